#!/usr/bin/env bash
# deb_package.sh - the Debian package, installed and used like a user would:
#   1. cpack (in the build folder, output to a temporary folder) makes
#      zarrfs_VERSION_ARCH.deb, VERSION being what --version prints; its
#      control fields are filled, and its Depends name fuse3 and the package
#      of every shared library the programs and libzarrfs.so need (found
#      here with readelf, ldconfig and dpkg -S, not from CPack).
#   2. dpkg -i, then apt-get -f install (nothing to fetch when the
#      dependencies are installed, as tools/install-deps.sh leaves them).
#   3. The INSTALLED /usr/bin/zarrfs mounts an array of known bytes three
#      ways: `zarrfs STORE MNT`; `mount -t fuse.zarrfs -o ro,threads=2,
#      views=npy STORE MNT` (mount.fuse3 runs zarrfs; views=npy showing
#      NAME.npy proves the options arrive, and a bad threads= must fail);
#      and an /etc/fstab line, then `mount MNT`.  Each: the serving process
#      is /usr/bin/zarrfs, the file is cmp'd to the known bytes, umount.
#   4. dpkg --purge; every path `dpkg -L` listed is gone again, except the
#      folders that were there before.
# The system is left as it was, pass or fail: /etc/fstab is restored byte
# for byte (trap), mounts are undone, the package is purged.  It skips (77)
# when not root, without /dev/fuse, when a zarrfs package or any file of the
# package is already on the system (it could not restore it), or when a
# zarrfs in /usr/local would shadow the package's for mount.  Runs of it
# are serialized with a lock (/run/lock), so two builds' runs are safe.
# In a sanitizer build it skips: its binaries need the sanitizer runtime,
# so its package is not what users install and would test another thing;
# the Release build's run covers the package.  Helpers: mount_common.bash.
set -u

BIN=${ZF_BIN:-build/bin}
BUILD=$(cd "$BIN/.." && pwd)
skip_test() {
    echo "skip: $*"
    exit 77
}
[ "$(id -u)" = 0 ] || skip_test "not root: installing a package needs root"
[ -c /dev/fuse ] || skip_test "/dev/fuse is absent: cannot mount"
for c in cpack dpkg dpkg-deb dpkg-shlibdeps apt-get mount umount mountpoint \
    flock readelf ldconfig; do
    command -v "$c" >/dev/null || skip_test "$c is not installed (tools/install-deps.sh)"
done
[ -x "$BIN/zarrfs" ] || skip_test "$BIN/zarrfs is not built (no fuse3 at configure)"
if ldd "$BIN/zarrfs" | grep -qE 'lib(asan|tsan|ubsan)'; then
    skip_test "sanitizer build: its package would need the sanitizer runtime;" \
        "the package is tested in the Release build"
fi

exec 9>/run/lock/zarrfs-deb-test.lock
flock -w 900 9 || {
    echo "FAIL: another run of this test held the lock for 15 minutes"
    exit 1
}
if dpkg-query -W -f='${Status}\n' zarrfs 2>/dev/null | grep -qv 'not-installed'; then
    skip_test "a zarrfs package is on this system ($(dpkg-query -W \
        -f='${Status} ${Version}' zarrfs)); this test installs and purges its" \
        "own: remove it first (dpkg --purge zarrfs)"
fi
for d in /usr/local/bin /usr/local/sbin; do
    [ -e "$d/zarrfs" ] && skip_test "$d/zarrfs would run instead of the package's" \
        "for mount -t fuse.zarrfs"
done

# shellcheck source=mount_common.bash
. "$(dirname "$0")/mount_common.bash" # T, ok, bad, check, zf_daemon_pid, ...
MNT=$T/mnt
mkdir -p "$MNT"
installed=0    # 1 once dpkg -i ran: cleanup purges
fstab_edited=0 # 1 once the line is added: cleanup restores /etc/fstab

cp -p /etc/fstab "$T/fstab.orig"
restore_fstab() {
    [ "$fstab_edited" = 1 ] || return 0
    cmp -s "$T/fstab.orig" /etc/fstab || cat "$T/fstab.orig" >/etc/fstab
}
cleanup() {
    if mountpoint -q "$MNT"; then
        umount "$MNT" 2>/dev/null || umount -l "$MNT"
    fi
    restore_fstab
    if [ "$installed" = 1 ] &&
        dpkg-query -W -f='${Status}' zarrfs 2>/dev/null | grep -q installed; then
        dpkg --purge zarrfs >/dev/null 2>&1 || echo "cleanup: dpkg --purge zarrfs failed"
    fi
    zf_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# lacks REGEX TEXT: no line of TEXT matches.
lacks() { ! grep -qE -- "$1" <<<"$2"; }

# dpkg and apt-get wait while another dpkg (someone's apt-get) holds its lock.
dpkg_run() {
    local i
    for i in $(seq 1 150); do
        "$@" >"$T/dpkg.log" 2>&1 && return 0
        grep -qi 'lock' "$T/dpkg.log" || break
        sleep 2
    done
    cat "$T/dpkg.log"
    return 1
}

# served_by MNT: the executable of the zarrfs process serving MNT.
served_by() {
    local pid
    pid=$(zf_daemon_pid "$1") && readlink "/proc/$pid/exe"
}

# umount_and_wait: unmounts MNT with umount(8) and waits until its zarrfs
# has exited.
umount_and_wait() {
    local pid
    pid=$(zf_daemon_pid "$MNT")
    umount "$MNT" || return 1
    [ -z "$pid" ] || zf_wait_gone "$pid" 10
}

# --- 1. the package -------------------------------------------------------
version=$("$BIN/zarrfs-pack" --version | grep -oE '[0-9]+\.[0-9]+\.[0-9]+')
arch=$(dpkg --print-architecture)
deb=$T/pkg/zarrfs_${version}_${arch}.deb
(cd "$BUILD" && cpack -G DEB -B "$T/pkg") >"$T/cpack.log" 2>&1
if [ -f "$deb" ]; then
    ok "cpack made $(basename "$deb")"
else
    bad "no $deb: $(tail -5 "$T/cpack.log"; ls "$T/pkg")"
    zf_finish
fi
field() { dpkg-deb -f "$deb" "$1"; }
check "Package zarrfs" [ "$(field Package)" = zarrfs ]
check "Version $version" [ "$(field Version)" = "$version" ]
check "Architecture $arch" [ "$(field Architecture)" = "$arch" ]
check "Section $(field Section)" [ -n "$(field Section)" ]
check "Maintainer $(field Maintainer)" \
    grep -qE '^[^<]+ <[^@ ]+@[^> ]+>$' <<<"$(field Maintainer)"
check "a description" [ "$(field Description | wc -l)" -ge 3 ]
depends=$(field Depends)
# owner SONAME: the package of the library the loader would take (dpkg knows
# a path with or without /usr, whichever the package shipped).
owner() {
    local path p q o
    path=$(ldconfig -p | awk -v l="$1" '$1 == l {print $NF; exit}')
    [ -n "$path" ] || return
    for p in "$path" "$(readlink -f "$path")"; do
        for q in "$p" "${p#/usr}" "/usr$p"; do
            o=$(dpkg -S "$q" 2>/dev/null | head -1 | cut -d: -f1)
            [ -n "$o" ] && echo "$o" && return
        done
    done
}
want=(fuse3)
for f in "$BIN"/zarrfs "$BIN"/zarrfs-cat "$BIN"/zarrfs-info "$BIN"/zarrfs-pack \
    "$BUILD/libzarrfs.so.$version"; do
    for lib in $(readelf -d "$f" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p'); do
        pkg=$(owner "$lib")
        if [ -n "$pkg" ]; then want+=("$pkg"); else bad "no package owns $lib"; fi
    done
done
for p in $(printf '%s\n' "${want[@]}" | sort -u); do
    check "Depends names $p" grep -qE "(^|, )$p( \(|,|$)" <<<"$depends"
done
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|; s|/$||' | sed '/^$/d' \
    >"$T/contents"
for f in /usr/bin/zarrfs /usr/bin/zarrfs-cat /usr/bin/zarrfs-info \
    /usr/bin/zarrfs-pack /usr/include/zarrfs/zarrfs.h \
    /usr/share/man/man1/zarrfs.1 /usr/share/man/man1/zarrfs-pack.1; do
    check "the package holds $f" grep -qxF "$f" "$T/contents"
done
check "the package holds libzarrfs.so.$version" \
    grep -qE "/libzarrfs\.so\.$version$" "$T/contents"
check "the package holds zarrfs.pc" grep -qE "/pkgconfig/zarrfs\.pc$" "$T/contents"

# What is on the system already: folders are shared, files would be lost.
: >"$T/predirs"
while IFS= read -r f; do
    if [ -d "$f" ] && [ ! -L "$f" ]; then
        echo "$f" >>"$T/predirs"
    elif [ -e "$f" ] || [ -L "$f" ]; then
        skip_test "$f is on the system already; installing the package would replace it"
    fi
done <"$T/contents"

# --- 2. install -------------------------------------------------------------
installed=1
check "dpkg -i" dpkg_run dpkg -i "$deb"
check "apt-get -f install" dpkg_run apt-get -f install -y -q \
    -o DPkg::Lock::Timeout=300
grep -E 'newly installed' "$T/dpkg.log" | sed 's/^/  apt-get: /'
check "the package is installed" \
    grep -q 'install ok installed' <<<"$(dpkg-query -W -f='${Status}' zarrfs)"
check "/usr/bin/zarrfs --version prints $version" \
    grep -qx "zarrfs version $version" <<<"$(/usr/bin/zarrfs --version)"
check "ldconfig knows libzarrfs" grep -q 'libzarrfs\.so\.' <<<"$(ldconfig -p)"
check "pkg-config finds zarrfs $version" \
    [ "$(env -u PKG_CONFIG_PATH pkg-config --modversion zarrfs)" = "$version" ]
if grep -rqs 'path-exclude.*/usr/share/man' /etc/dpkg/dpkg.cfg.d; then
    skip "dpkg is set to leave out man pages here"
else
    check "man finds zarrfs-pack(1)" \
        [ "$(man -w zarrfs-pack 2>/dev/null)" = /usr/share/man/man1/zarrfs-pack.1 ]
fi

# An array of known bytes, packed with the installed zarrfs-pack: 96 x 64
# float32, sharded, with edge chunks.
head -c $((96 * 64 * 4)) /dev/urandom >"$T/known.bin"
check "installed zarrfs-pack" /usr/bin/zarrfs-pack --shape 96,64 \
    --dtype float32 --chunks 16,24 --shards 32,48 "$T/known.bin" "$T/t2m.zarr"
STORE=$T/t2m.zarr

# checked_mount WHAT: the mount serves the known bytes from /usr/bin/zarrfs.
checked_mount() {
    local what=$1
    check "$what: mounted" mountpoint -q "$MNT" || return
    check "$what: served by /usr/bin/zarrfs" \
        [ "$(served_by "$MNT")" = /usr/bin/zarrfs ]
    check "$what: read equals the known bytes" cmp "$MNT/t2m" "$T/known.bin"
    check "$what: read-only fuse.zarrfs in /proc/mounts" \
        grep -qE "^[^ ]+ $MNT fuse\.zarrfs ro[, ]" /proc/mounts
}

# --- 3a. zarrfs STORE MNT ------------------------------------------------------
check "zarrfs STORE MNT" /usr/bin/zarrfs "$STORE" "$MNT"
checked_mount "zarrfs"
check "zarrfs: umount" umount_and_wait

# --- 3b. mount -t fuse.zarrfs ------------------------------------------------
check "mount -t fuse.zarrfs" mount -t fuse.zarrfs -o ro,threads=2,views=npy \
    "$STORE" "$MNT"
checked_mount "mount -t"
check "mount -t: views=npy reached zarrfs (t2m.npy)" [ -f "$MNT/t2m.npy" ]
check "mount -t: umount" umount_and_wait
if mount -t fuse.zarrfs -o ro,threads=many "$STORE" "$MNT" 2>"$T/err"; then
    bad "mount -t with threads=many succeeded"
    umount_and_wait
else
    check "mount -t: a bad threads= fails in zarrfs" grep -q 'threads' "$T/err"
fi

# --- 3c. /etc/fstab ----------------------------------------------------------
fstab_edited=1
printf '%s %s fuse.zarrfs ro,noauto,nofail,threads=2,views=npy 0 0\n' \
    "$STORE" "$MNT" >>/etc/fstab
check "mount MNT (fstab)" mount "$MNT"
checked_mount "fstab"
check "fstab: views=npy reached zarrfs" [ -f "$MNT/t2m.npy" ]
check "fstab: umount" umount_and_wait
restore_fstab
check "/etc/fstab is restored byte for byte" cmp -s "$T/fstab.orig" /etc/fstab

# --- 4. purge ----------------------------------------------------------------
dpkg -L zarrfs >"$T/files"
check "dpkg -L lists the package's files" grep -qxF /usr/bin/zarrfs "$T/files"
check "dpkg --purge" dpkg_run dpkg --purge zarrfs
installed=0
check "the package is gone" \
    lacks 'ok installed|config-files|half' "$(dpkg-query -W -f='${Status}' zarrfs 2>&1)"
left=()
while IFS= read -r f; do
    [ "$f" = /. ] && continue
    if [ -e "$f" ] || [ -L "$f" ]; then
        grep -qxF "$f" "$T/predirs" || left+=("$f")
    fi
done <"$T/files"
check "no file of the package is left (${left[*]:-none})" [ ${#left[@]} -eq 0 ]
check "ldconfig has forgotten libzarrfs" lacks 'libzarrfs' "$(ldconfig -p)"

zf_finish
