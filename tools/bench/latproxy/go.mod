module zarrfs/latproxy

go 1.21
