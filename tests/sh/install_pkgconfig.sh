#!/usr/bin/env bash
# install_pkgconfig.sh - `cmake --install` to a temporary prefix gives what
# a user builds against: the four programs, libzarrfs.so (versioned, with a
# SONAME, exporting exactly the functions zarrfs.h declares), libzarrfs.a,
# the headers, zarrfs.pc and the man pages.  A C program written here,
# outside the source tree, is built with `cc $(pkg-config --cflags --libs
# zarrfs)` against the installed copy, and again statically linked to
# libzarrfs.a with `pkg-config --static`; both read an array the installed
# zarrfs-pack made from known bytes, and must give those bytes back.
# In a sanitizer build the program is built with the same sanitizers (the
# installed library needs their runtime).  Needs ZF_BIN; exit 77 without cc
# or pkg-config.  Helpers: mount_common.bash.
set -u

BIN=${ZF_BIN:-build/bin}
BUILD=$(cd "$BIN/.." && pwd)
for c in cmake cc pkg-config nm readelf; do
    if ! command -v "$c" >/dev/null; then
        echo "skip: $c is not installed"
        exit 77
    fi
done
# shellcheck source=mount_common.bash
. "$(dirname "$0")/mount_common.bash" # T, ok, bad, zf_finish
P=$T/prefix

if cmake --install "$BUILD" --prefix "$P" >"$T/install.log" 2>&1; then
    ok "cmake --install to a prefix"
else
    bad "cmake --install: $(tail -5 "$T/install.log")"
    zf_finish
fi

# --- what was installed --------------------------------------------------
version=$("$P/bin/zarrfs-pack" --version | grep -oE '[0-9]+\.[0-9]+\.[0-9]+')
[ -n "$version" ] && ok "installed zarrfs-pack --version: $version" ||
    bad "installed zarrfs-pack --version printed no version"
for prog in zarrfs zarrfs-cat zarrfs-info zarrfs-pack; do
    if [ -x "$P/bin/$prog" ] &&
        "$P/bin/$prog" --version | head -1 | grep -qx "$prog version $version"; then
        ok "$prog installed; --version says $version"
    else
        bad "$P/bin/$prog missing or its --version is not '$prog version $version'"
    fi
    [ -f "$P/share/man/man1/$prog.1" ] && ok "man page $prog.1 installed" ||
        bad "no man page $prog.1"
done
for h in zarrfs.h version.h; do
    [ -f "$P/include/zarrfs/$h" ] && ok "include/zarrfs/$h installed" || bad "no include/zarrfs/$h"
done
pc=$(find "$P" -name zarrfs.pc)
if [ -n "$pc" ]; then ok "zarrfs.pc installed"; else bad "no zarrfs.pc"; zf_finish; fi
export PKG_CONFIG_PATH=${pc%/zarrfs.pc}
unset PKG_CONFIG_LIBDIR
[ "$(pkg-config --modversion zarrfs)" = "$version" ] && ok "zarrfs.pc's version is $version" ||
    bad "zarrfs.pc's version $(pkg-config --modversion zarrfs) is not $version"
libdir=$(cd "$(pkg-config --variable=libdir zarrfs)" 2>/dev/null && pwd)
[ "${libdir#"$P"/}" != "$libdir" ] && ok "pkg-config's libdir is under the prefix" ||
    bad "pkg-config's libdir '$libdir' is not under the prefix $P"
cflags=$(pkg-config --cflags zarrfs)
[ "${cflags%% *}" = "-I$(pkg-config --variable=includedir zarrfs)" ] &&
    ok "pkg-config --cflags starts with the include folder" ||
    bad "cflags do not start with the include folder: $cflags"
case "$(pkg-config --cflags --libs zarrfs)" in
*"${ZF_SRC:-/nonexistent}"* | *"$BUILD"*) bad "pkg-config points into the tree" ;;
*) ok "pkg-config points into the prefix, not the tree" ;;
esac

# The shared library: the real file carries the version, the SONAME the
# ABI (major.minor before 1.0, then major); it exports the header's
# functions and nothing else.
major=${version%%.*}
rest=${version#*.}
minor=${rest%%.*}
soname=libzarrfs.so.$major
[ "$major" = 0 ] && soname=libzarrfs.so.0.$minor
so=$libdir/libzarrfs.so.$version
if [ -f "$so" ] && [ ! -L "$so" ]; then
    ok "libzarrfs.so.$version is a file, not a link"
else
    bad "no $so"
    zf_finish
fi
[ "$(readlink "$libdir/$soname")" = "libzarrfs.so.$version" ] &&
    ok "$soname links to libzarrfs.so.$version" ||
    bad "$soname is not a link to libzarrfs.so.$version"
[ "$(readlink "$libdir/libzarrfs.so")" = "$soname" ] && ok "libzarrfs.so links to $soname" ||
    bad "libzarrfs.so is not a link to $soname"
readelf -d "$so" | grep -q "SONAME.*\[$soname\]" && ok "the SONAME is $soname" ||
    bad "SONAME of $so is not $soname: $(readelf -d "$so" | grep SONAME)"
[ -f "$libdir/libzarrfs.a" ] && ok "libzarrfs.a installed" || bad "no libzarrfs.a"
cc -fpreprocessed -dD -E -P "$P/include/zarrfs/zarrfs.h" 2>/dev/null |
    grep -oE '\bzf_[a-z0-9_]+[[:space:]]*\(' | tr -d ' (' | sort -u >"$T/declared"
nm -D --defined-only "$so" | awk '$2 ~ /^[TtWwDdBbRr]$/ {print $3}' |
    sort -u >"$T/exported"
if [ "$(wc -l <"$T/declared")" -ge 15 ] && cmp -s "$T/declared" "$T/exported"; then
    ok "libzarrfs.so exports exactly zarrfs.h's functions"
else
    bad "exports differ from zarrfs.h's functions (< header, > library):" \
        "$(diff "$T/declared" "$T/exported" | grep '^[<>]' | tr '\n' ' ')"
fi

# --- an array of known bytes, made with the installed zarrfs-pack --------
# 50 x 70 uint16, sharded, with edge chunks and edge shards.
head -c $((50 * 70 * 2)) /dev/urandom >"$T/known.bin"
"$P/bin/zarrfs-pack" --shape 50,70 --dtype uint16 --chunks 8,16 \
    --shards 16,32 --crc32c "$T/known.bin" "$T/a.zarr" 2>"$T/err" &&
    ok "installed zarrfs-pack packs the known bytes" ||
    bad "installed zarrfs-pack: $(cat "$T/err")"
"$P/bin/zarrfs-info" "$T/a.zarr" | grep -q "50 x 70\|50x70\|\[50, 70\]" &&
    ok "installed zarrfs-info shows the shape 50 x 70" ||
    bad "installed zarrfs-info does not show the shape: $("$P/bin/zarrfs-info" "$T/a.zarr")"

# --- a program of a user's, outside the tree ------------------------------
mkdir -p "$T/user"
cat >"$T/user/readarr.c" <<'EOF'
/* Reads the root array of a store through libzarrfs, in two reads split
 * at an odd offset, and writes its flat bytes to stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <zarrfs/zarrfs.h>

int main(int argc, char **argv)
{
    zf_zarr *z;
    zf_array *a;
    zf_err err;
    if (argc != 2 || zf_open(argv[1], NULL, &z, &err) != ZF_OK) {
        fprintf(stderr, "open: %s\n", argc == 2 ? err.msg : "usage");
        return 1;
    }
    if (zf_array_get(z, "", &a, &err) != ZF_OK) {
        fprintf(stderr, "array: %s\n", err.msg);
        return 1;
    }
    const zf_array_info *info = zf_array_get_info(a);
    size_t n = (size_t)info->nbytes, split = n / 3 | 1, got1 = 0, got2 = 0;
    unsigned char *buf = malloc(n);
    if (!buf || zf_array_read(a, 0, split, buf, &got1, &err) != ZF_OK ||
        zf_array_read(a, split, n - split, buf + split, &got2, &err) != ZF_OK ||
        got1 + got2 != n) {
        fprintf(stderr, "read: %s\n", err.msg);
        return 1;
    }
    fwrite(buf, 1, n, stdout);
    fprintf(stderr, "%s %s %d-d, library %s\n", info->dtype, info->codecs,
            info->ndim, ZF_VERSION);
    free(buf);
    zf_close(z);
    return 0;
}
EOF
# A sanitizer build's library needs the sanitizers' runtime in the program.
san=()
if readelf -d "$so" | grep -q 'libasan'; then
    san=(-fsanitize=address,undefined)
    echo "note: sanitizer build: the program is built with ${san[*]}"
fi
cd "$T/user" || exit 1

# Shared: found through LD_LIBRARY_PATH in the prefix.
# shellcheck disable=SC2046 # pkg-config's words are meant to split
if cc -std=c11 -Wall -Wextra -Werror "${san[@]}" -o readarr readarr.c \
    $(pkg-config --cflags --libs zarrfs) 2>"$T/cc.log"; then
    ok "cc with pkg-config builds a program outside the tree"
else
    bad "cc with pkg-config: $(cat "$T/cc.log")"
fi
LD_LIBRARY_PATH=$libdir ldd ./readarr 2>/dev/null | grep -q "$soname => $libdir/$soname" &&
    ok "readarr loads $soname from the prefix" ||
    bad "readarr does not load $libdir/$soname: $(LD_LIBRARY_PATH=$libdir ldd ./readarr)"
if LD_LIBRARY_PATH=$libdir ./readarr "$T/a.zarr" >"$T/out.bin" 2>"$T/err" &&
    cmp -s "$T/out.bin" "$T/known.bin"; then
    ok "shared readarr gives the known bytes back"
else
    bad "shared readarr: not the known bytes ($(cat "$T/err"))"
fi
grep -q "uint16 .* 2-d, library $version" "$T/err" &&
    ok "readarr reports uint16, 2-d, library $version" ||
    bad "readarr said: $(cat "$T/err")"

# Static: libzarrfs.a, its dependencies from Requires.private/Libs.private.
# shellcheck disable=SC2046
if cc -std=c11 -Wall -Wextra -Werror "${san[@]}" -o readarr_static readarr.c \
    $(pkg-config --cflags zarrfs) \
    $(pkg-config --static --libs zarrfs | sed 's/-lzarrfs\b/-l:libzarrfs.a/') \
    2>"$T/cc.log"; then
    ok "cc with pkg-config --static links libzarrfs.a"
else
    bad "cc with pkg-config --static: $(cat "$T/cc.log")"
fi
readelf -d readarr_static 2>/dev/null | grep -q 'NEEDED.*libzarrfs' &&
    bad "readarr_static still needs libzarrfs.so" ||
    ok "readarr_static does not need libzarrfs.so"
rm -f "$T/out.bin"
if ./readarr_static "$T/a.zarr" >"$T/out.bin" 2>"$T/err" &&
    cmp -s "$T/out.bin" "$T/known.bin"; then
    ok "static readarr gives the known bytes back"
else
    bad "static readarr: not the known bytes ($(cat "$T/err"))"
fi

zf_finish
