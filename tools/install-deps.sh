#!/usr/bin/env bash
# Installs what zarrfs needs to build and test on Debian 12 (bookworm), or
# on Debian 13 (trixie: tools/debian13.sh runs it in its root) (run as root).
# Packages already present are not fetched again, so repeated runs are fast.
set -euo pipefail
# The packages whose names differ between the releases (the fuzzer's clang).
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
case $codename in
bookworm) CLANG=(clang-14 libclang-rt-14-dev) ;;
trixie) CLANG=(clang-19 libclang-rt-19-dev) ;;
*) echo "install-deps: Debian 12 (bookworm) or 13 (trixie) expected, not" \
        "'${codename:-unknown}'" >&2; exit 1 ;;
esac
PKGS=(build-essential cmake pkg-config
      libzstd-dev libjson-c-dev zlib1g-dev libblosc-dev liblz4-dev libbz2-dev liblzma-dev
      libfuse3-dev fuse3 check libsubunit-dev libxml2-dev
      libcurl4-openssl-dev libssl-dev nginx openssl curl unzip
      zstd gzip python3 python3-pip attr bsdextrautils
      python3-numpy python3-zarr python3-numcodecs python3-zstandard python3-crc32c
      gdal-bin python3-gdal teem-apps python3-vtk9
      python3-tifffile python3-lxml libtiff-tools imagemagick
      default-jre-headless libij-java
      hdf5-tools netcdf-bin nco python3-h5py python3-netcdf4 python3-xarray
      "${CLANG[@]}"
      dpkg-dev file man-db groff-base bsdutils # cpack DEB, man -l, script(1)
      debootstrap) # the Debian 13 root of tools/debian13.sh
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
