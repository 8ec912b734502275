#!/usr/bin/env bash
# mount_mmap.sh - mmap of a mounted array file, in each read mode this build
# and kernel can negotiate (iomode.h): reads=cached everywhere, and
# reads=direct where FUSE_DIRECT_IO_ALLOW_MMAP is negotiated (libfuse 3.16+,
# Linux 6.6+: the Debian 13 leg, tools/debian13.sh); elsewhere one line
# says the direct mode was not run and why.  In each mode, one mount with
# -o metadata_ttl=0.5 of a sharded, compressed uint32 array (4 MiB, 16
# shards of 64 chunks of 4 KiB):
#  - 8 processes map the file at once, 4 MAP_SHARED and 4 MAP_PRIVATE
#    (tests/sh/mmap_reader.py), and check every byte, pass after pass;
#  - meanwhile the whole page cache is dropped in a loop
#    (echo 3 > /proc/sys/vm/drop_caches, every 0.3 s; root only);
#  - three shards are replaced on the store (renamed over) while mapped:
#    each mapping shows the new bytes once the refresher notices, and no
#    chunk ever shows a mix of the two versions or other bytes, nor goes
#    back to the old ones;
#  - a write to a private mapping stays in it.
# A chunk is one page here: the kernel fills and drops a mapping's pages
# one at a time, so a chunk of several pages can show two versions while
# the refresher's invalidation runs through it (what a mount promises is
# that each read it answers is of one version).
# Exit 0 = pass, 77 = skip (no /dev/fuse, no numpy).
source "$(dirname "$0")/mount_common.bash"
zf_require
READS_OPT=() # (this test picks the modes itself; ZF_READS does not apply)
PY=/usr/bin/python3
$PY -c 'import numpy' 2>/dev/null ||
    { echo "skip: $PY has no numpy (apt-get install python3-numpy)"; exit 77; }
READER=$(dirname "$0")/mmap_reader.py
N=$((1 << 20)) # uint32 elements: 4 MiB, 1024 chunks of 1024, 16 shards of 64
REPLACE=(3 8 15)
DROPPER=
trap '[ -n "$DROPPER" ] && kill "$DROPPER" 2>/dev/null; zf_cleanup' EXIT

# The old and the new bytes: the new differ in the replaced shards only.
$PY - "$N" "$T/old.raw" "$T/v2.raw" "$T/new.raw" "${REPLACE[@]}" <<'PYEOF' ||
import sys
import numpy as np
n, old_p, v2_p, new_p = int(sys.argv[1]), *sys.argv[2:5]
i = np.arange(n, dtype=np.uint64)
old = ((i * 2654435761) % (1 << 32)).astype(np.uint32)
v2 = old ^ np.uint32(0xA5A5A5A5)
new = old.copy()
for s in map(int, sys.argv[5:]):
    new[s * 65536:(s + 1) * 65536] = v2[s * 65536:(s + 1) * 65536]
old.tofile(old_p); v2.tofile(v2_p); new.tofile(new_p)
PYEOF
    { bad "making the expected bytes"; zf_finish; }
S=$T/a.zarr
pack() { zf_pack "$1" "$2" --shape "$N" --dtype uint32 --chunks 1024 --shards 65536; }
pack "$T/v2.raw" "$T/v2.zarr" || zf_finish
for s in "${REPLACE[@]}"; do
    [ -f "$T/v2.zarr/c/$s" ] || { bad "no shard c/$s in $(ls "$T/v2.zarr")"; zf_finish; }
done

# The page cache dropped every 0.3 s while the mappings read (root only).
if [ -w /proc/sys/vm/drop_caches ]; then
    (while :; do echo 3 >/proc/sys/vm/drop_caches; sleep 0.3; done) 2>/dev/null &
    DROPPER=$!
else
    skip "drop_caches is not writable here (not root): the page cache is not dropped"
fi

# wait_signals CTRL WHAT PID...: until every reader wrote CTRL/WHAT.PID,
# or exited; 1 after 120 s, or when one exited without writing it.
wait_signals() {
    local ctrl=$1 what=$2 p i
    shift 2
    for ((i = 0; i < 1200; i++)); do
        local all=1
        for p in "$@"; do
            [ -e "$ctrl/$what.$p" ] && continue
            zf_alive "$p" || return 1
            all=0
        done
        [ "$all" = 1 ] && return 0
        sleep 0.1
    done
    return 1
}

# run_mode MODE: one mount, 8 mappings, the replacement.
run_mode() {
    local mode=$1 m=$T/m_$1 ctrl=$T/ctrl_$1 pids=() p s i rc=0
    rm -rf "$S" "$ctrl"
    mkdir -p "$ctrl"
    pack "$T/old.raw" "$S" || return
    zf_mount_fg "$S" "$m" "$T/$mode.log" -o "reads=$mode,metadata_ttl=0.5" ||
        { bad "$mode: mount: $(cat "$T/$mode.log")"; return; }
    check "$mode: the mount reads $mode" [ "$(zf_reads "$m")" = "$mode" ]
    for i in 0 1 2 3 4 5 6 7; do
        local kind=shared
        [ $((i % 2)) = 1 ] && kind=private
        $PY "$READER" "$m/a" "$kind" "$T/old.raw" "$T/new.raw" "$ctrl" 0.5 \
            >"$T/$mode.r$i" 2>&1 &
        pids+=($!)
    done
    # passes over the old bytes, the page cache dropped meanwhile; then the
    # shards are renamed over once no reader is in a pass that wants them
    # old (mmap_reader.py: ready, ack)
    wait_signals "$ctrl" ready "${pids[@]}" || bad "$mode: the readers did not all start"
    sleep 2
    touch "$ctrl/replacing"
    wait_signals "$ctrl" ack "${pids[@]}" || bad "$mode: the readers did not all see the replacement coming"
    for s in "${REPLACE[@]}"; do
        cp "$T/v2.zarr/c/$s" "$S/c/.new$s" && mv "$S/c/.new$s" "$S/c/$s" ||
            bad "$mode: replacing shard c/$s"
    done
    touch "$ctrl/replaced"
    for i in "${!pids[@]}"; do
        p=${pids[i]}
        for ((s = 0; s < 600; s++)); do zf_alive "$p" || break; sleep 0.1; done
        zf_alive "$p" && { kill "$p"; echo "FAIL: reader $i still running after 60 s" >>"$T/$mode.r$i"; }
        wait "$p"
        cat "$T/$mode.r$i"
        passed=$((passed + $(grep -c '^ok: ' "$T/$mode.r$i")))
        failed=$((failed + $(grep -c '^FAIL: ' "$T/$mode.r$i")))
        grep -q '^\(ok\|FAIL\): ' "$T/$mode.r$i" || bad "$mode: reader $i said nothing"
    done
    check "$mode: a fresh read of the file gives the new bytes" cmp -s "$m/a" "$T/new.raw"
    check "$mode: unmounted" zf_umount "$m" "$ZF_PID"
    check "$mode: no sanitizer report in the mount's log" \
        sh -c "! grep -q Sanitizer '$T/$mode.log'"
}

run_mode cached
if [ "$(ZF_READS= zf_reads_expected)" = direct ]; then
    run_mode direct
else
    echo "direct mode not run: it needs FUSE_DIRECT_IO_ALLOW_MMAP, which libfuse 3.16+ (this build: $("$ZARRFS" --version | sed -n 's/^libfuse version //p')) on Linux 6.6+ negotiates (tools/debian13.sh runs it)"
fi
zf_finish
