#!/usr/bin/env bash
# pack_progress.sh - zarrfs-pack's progress line on stderr: silent when
# stderr is not a terminal, shown with --progress (into a pipe here) or on a
# terminal (script(1) gives it one).  The line is redrawn with '\r', at
# most 4 times a second, each redraw as long as the last at least (so no
# stale characters stay), with bytes read, chunks written, MB/s and ETA;
# the last one says "done" and ends with the only newline.  The chunk counts
# are checked against the shapes, computed here, and the chunk files
# written.  Needs ZF_BIN; exit 77 = skip.  Helpers: mount_common.bash.
set -u

BIN=${ZF_BIN:-build/bin}
PACK=$BIN/zarrfs-pack
if [ ! -x "$PACK" ]; then
    echo "skip: $PACK not built"
    exit 77
fi
# shellcheck source=mount_common.bash
. "$(dirname "$0")/mount_common.bash" # T, ok, bad, zf_finish

# secs T0 T1: the seconds between two `date +%s.%N`.
secs() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f\n", b - a}'; }

# ceil(a / b)
cdiv() { echo $((($1 + $2 - 1) / $2)); }

LINE='^zarrfs-pack: [0-9]+\.[0-9]/[0-9]+\.[0-9] (B|KiB|MiB|GiB|TiB) read \(([0-9]+)%\), ([0-9]+) chunks written, [0-9]+\.[0-9] MB/s, '

# check_lines ERRFILE TOTAL_TEXT CHUNKS: the redraws and the final line.
check_lines() {
    local err=$1 total=$2 chunks=$3
    local nl
    nl=$(tr -cd '\n' <"$err" | wc -c)
    [ "$nl" -eq 1 ] && [ "$(tail -c 1 "$err" | od -An -c | tr -d ' ')" = '\n' ] &&
        ok "exactly one newline, at the end" ||
        bad "want exactly one newline, at the end: $(od -c "$err" | tail -3)"
    tr '\r' '\n' <"$err" | sed '/^$/d' >"$T/lines"
    local n last prev_len=0 prev_pct=-1 prev_chunks=-1 line len pct c
    n=$(wc -l <"$T/lines")
    while IFS= read -r line; do
        len=${#line}
        line=${line%"${line##*[! ]}"} # the padding that blanks a longer line
        if [[ "$line" =~ $LINE ]]; then
            pct=${BASH_REMATCH[2]}
            c=${BASH_REMATCH[3]}
        else
            bad "not a progress line: '$line'"
            continue
        fi
        [ "$len" -ge "$prev_len" ] && [ "$pct" -ge "$prev_pct" ] &&
            [ "$c" -ge "$prev_chunks" ] &&
            ok "$pct%, $c chunks: no shorter than the last line, nothing goes back" ||
            bad "line shorter than the last or going back: '$line'"
        prev_len=$len prev_pct=$pct prev_chunks=$c
    done <"$T/lines"
    last=$(tail -n 1 "$T/lines" | sed 's/ *$//')
    [[ "$last" =~ ${LINE}done\ in\ [0-9.:]+( s)?$ ]] && ok "the last line says 'done'" ||
        bad "last line is not a 'done' line: '$last'"
    [[ "$last" == *": $total read (100%), $chunks chunks written,"* ]] &&
        ok "the last line: $total read (100%), $chunks chunks written" ||
        bad "last line: '$last', want '$total read (100%), $chunks chunks written'"
    # Every line before the last is an update with an ETA.
    if [ "$n" -gt 1 ]; then
        head -n $((n - 1)) "$T/lines" | grep -vqE "${LINE}ETA [0-9.:]+( s)?" &&
            bad "an update without an ETA: $(head -n $((n - 1)) "$T/lines")" ||
            ok "every update before the last has an ETA"
    fi
}

# 1. Silent without a terminal and without --progress.
head -c $((4 << 20)) /dev/urandom >"$T/in.bin" # 64 x 65536 uint8, 4 MiB
"$PACK" --shape 64,65536 --dtype uint8 --chunks 1,16384 "$T/in.bin" "$T/a" \
    2>"$T/err" && ok "pack without --progress" || bad "pack a: $(cat "$T/err")"
[ ! -s "$T/err" ] && ok "silent without a terminal and without --progress" ||
    bad "stderr not empty without --progress: $(cat -A "$T/err")"

# 2. --progress into a pipe, from a producer slower than the packer: 16
#    pieces of 256 KiB, 0.2 s apart, so that updates show between.
t0=$(date +%s.%N)
for i in $(seq 0 15); do
    tail -c +$((i * 262144 + 1)) "$T/in.bin" | head -c 262144
    sleep 0.2
done | "$PACK" --shape 64,65536 --dtype uint8 --chunks 1,16384 --progress \
    - "$T/b" 2>&1 >/dev/null | cat >"$T/err"
t1=$(date +%s.%N)
chunks=$(($(cdiv 64 1) * $(cdiv 65536 16384)))
files=$(find "$T/b/c" -type f | wc -l)
[ "$files" -eq "$chunks" ] && ok "$files chunk files" ||
    bad "$files chunk files, expected $chunks"
cmp -s "$T/b/c/0/0" "$T/a/c/0/0" && diff -r "$T/a" "$T/b" >/dev/null &&
    ok "--progress packs the same array" ||
    bad "the array packed with --progress differs from the one without"
check_lines "$T/err" "4.0/4.0 MiB" "$chunks"
n=$(tr '\r' '\n' <"$T/err" | grep -c 'chunks written')
[ "$n" -ge 4 ] && ok "$n progress lines over $(secs "$t0" "$t1") s" ||
    bad "only $n lines over $(secs "$t0" "$t1") s: $(cat -A "$T/err")"
# At most 4 redraws a second, and the last line.
max=$(secs "$t0" "$t1" | awk '{print int($1 * 4 + 2)}')
[ "$n" -le "$max" ] && ok "at most 4 redraws a second ($n, max $max)" ||
    bad "$n lines in $(secs "$t0" "$t1") s: more than 4 a second"

# 3. Throttled: 64 slabs 0.05 s apart would be 64 redraws unthrottled.
t0=$(date +%s.%N)
for i in $(seq 0 63); do
    tail -c +$((i * 65536 + 1)) "$T/in.bin" | head -c 65536
    sleep 0.05
done | "$PACK" --shape 64,65536 --dtype uint8 --chunks 1,16384 --progress \
    - "$T/c" 2>"$T/err"
t1=$(date +%s.%N)
n=$(tr '\r' '\n' <"$T/err" | grep -c 'chunks written')
max=$(secs "$t0" "$t1" | awk '{print int($1 * 4 + 2)}')
[ "$n" -ge 2 ] && [ "$n" -le "$max" ] &&
    ok "throttled: 64 slabs gave $n lines (2..$max)" ||
    bad "64 slabs in $(secs "$t0" "$t1") s gave $n lines (want 2..$max)"
check_lines "$T/err" "4.0/4.0 MiB" "$chunks"

# 4. Sharded, with edge chunks: the chunks are the inner chunks that hold
#    part of the array (ceil(20/4) x ceil(1000/300)), not the shard files.
head -c $((20 * 1000 * 2)) /dev/urandom >"$T/s.bin"
"$PACK" --shape 20,1000 --dtype int16 --chunks 4,300 --shards 16,600 \
    --progress "$T/s.bin" "$T/s" 2>"$T/err" &&
    ok "pack a sharded array with --progress" || bad "pack s: $(cat "$T/err")"
check_lines "$T/err" "39.1/39.1 KiB" $(($(cdiv 20 4) * $(cdiv 1000 300)))

# 5. An empty array: one line, nothing read.
"$PACK" --shape 0,10 --dtype float64 --chunks 4,4 --progress /dev/null \
    "$T/e" 2>"$T/err" && ok "pack an empty array with --progress" ||
    bad "pack e: $(cat "$T/err")"
check_lines "$T/err" "0.0/0.0 B" 0

# 6. A failed pack ends the progress line before its message: a slab, a
#    pause (so that the second slab draws a line), then a short input.
{
    head -c 65536 "$T/in.bin"
    sleep 1
    head -c $((65536 + 1000)) "$T/in.bin"
} | "$PACK" --shape 64,65536 --dtype uint8 --chunks 1,16384 --progress \
    - "$T/f" 2>"$T/err"
rc=$?
[ "$rc" -eq 1 ] && grep -q 'chunks written, .*ETA' "$T/err" &&
    [ "$(tail -n 1 "$T/err")" = "zarrfs-pack: input: got 132072 bytes, expected 4194304 (shape x itemsize)" ] &&
    [ "$(tr -cd '\n' <"$T/err" | wc -c)" -eq 2 ] &&
    ok "a short input: exit 1; the progress line ends before the message" ||
    bad "short input (exit $rc): $(cat -A "$T/err")"

# 7. --progress takes no value.
"$PACK" --shape 4 --dtype uint8 --chunks 4 --progress=1 /dev/null "$T/g" \
    2>"$T/err"
[ $? -eq 2 ] && grep -q "'--progress' takes no value" "$T/err" &&
    ok "--progress=1: exit 2, it takes no value" ||
    bad "--progress=1: $(cat "$T/err")"

# 8. On a terminal it is shown without --progress.
if command -v script >/dev/null; then
    script -qec "'$PACK' --shape 64,65536 --dtype uint8 --chunks 1,16384 \
        '$T/in.bin' '$T/h'" /dev/null >"$T/tty" 2>&1 </dev/null
    grep -q 'zarrfs-pack: 4.0/4.0 MiB read (100%), 256 chunks written' "$T/tty" &&
        ok "shown on a terminal without --progress" ||
        bad "no progress on a terminal: $(cat -A "$T/tty")"
else
    echo "skip: no script(1) for the terminal check"
fi

zf_finish
