#!/usr/bin/env bash
# Installs what zarrfs needs to build and test on Debian 12 (run as root).
# Packages already present are not fetched again, so repeated runs are fast.
set -euo pipefail
PKGS=(build-essential cmake pkg-config
      libzstd-dev libjson-c-dev zlib1g-dev libblosc-dev liblz4-dev libbz2-dev liblzma-dev
      libfuse3-dev fuse3 check libsubunit-dev libxml2-dev
      libcurl4-openssl-dev libssl-dev nginx openssl
      zstd gzip python3 python3-pip attr bsdextrautils
      python3-numpy python3-zarr python3-numcodecs python3-zstandard python3-crc32c
      gdal-bin python3-gdal teem-apps python3-vtk9
      python3-tifffile python3-lxml libtiff-tools imagemagick
      default-jre-headless libij-java
      hdf5-tools netcdf-bin nco python3-h5py python3-netcdf4 python3-xarray
      clang-14 libclang-rt-14-dev
      dpkg-dev file man-db groff-base bsdutils) # cpack DEB, man -l, script(1)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-deps: run as root to install: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
