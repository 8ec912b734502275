// latproxy - a TCP proxy that delays every byte from client to server by
// DELAY, so that each reply's first byte comes DELAY later than without it:
// cloud latency on loopback for the latency benchmark (this kernel has no
// netem qdisc).  The requests' direction is a delay line (each read from the
// client is forwarded DELAY after it arrived, in order), so the delay is
// added once a request, not once a chunk of its body, and never limits
// throughput; replies are copied unchanged with splice(2) (Go's io.Copy
// between TCP connections), no copy through the proxy's memory.
//
// Why TCP, not an HTTP reverse proxy: the bytes, the Host header that SigV4
// signs included, pass unchanged, and a reverse proxy's copy of every reply
// body through user space cost up to half the server's throughput on this
// 2-core machine (tools/bench/latproxy.sh).
//
//	latproxy -upstream [http://]HOST:PORT [-delay 25ms] [-port 0]
//
// The first line on stdout is "PORT <n>".  Standard library only.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strings"
	"time"
)

// chunk is one read from the client, to be sent upstream at `at`.
type chunk struct {
	b  []byte
	at time.Time
}

// delayLine copies src to dst, each read DELAY after it arrived.
func delayLine(dst, src *net.TCPConn, delay time.Duration) {
	ch := make(chan chunk, 4096)
	go func() {
		for k := range ch {
			time.Sleep(time.Until(k.at))
			if _, err := dst.Write(k.b); err != nil {
				break
			}
		}
		dst.CloseWrite()
		for range ch { // (drain after a failed write)
		}
	}()
	for {
		b := make([]byte, 64<<10)
		n, err := src.Read(b)
		if n > 0 {
			ch <- chunk{b[:n], time.Now().Add(delay)}
		}
		if err != nil {
			close(ch)
			return
		}
	}
}

func serve(c *net.TCPConn, upstream string, delay time.Duration) {
	defer c.Close()
	u, err := net.Dial("tcp", upstream)
	if err != nil {
		log.Print(err)
		return
	}
	up := u.(*net.TCPConn)
	defer up.Close()
	if delay > 0 {
		go delayLine(up, c, delay)
	} else {
		go func() { io.Copy(up, c); up.CloseWrite() }()
	}
	io.Copy(c, up) // the replies: splice, unchanged
}

func main() {
	upstream := flag.String("upstream", "", "the server, [http://]host:port")
	delay := flag.Duration("delay", 0, "added before the first byte of every reply")
	port := flag.Int("port", 0, "the port to listen on (0: any free one)")
	flag.Parse()
	up := strings.TrimPrefix(*upstream, "http://")
	if up == "" || strings.Contains(up, "/") {
		fmt.Fprintln(os.Stderr, "latproxy: -upstream [http://]host:port is needed")
		os.Exit(2)
	}
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: *port})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("PORT %d\n", ln.Addr().(*net.TCPAddr).Port)
	os.Stdout.Sync()
	for {
		c, err := ln.AcceptTCP()
		if err != nil {
			log.Fatal(err)
		}
		go serve(c, up, *delay)
	}
}
