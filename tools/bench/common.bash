# common.bash - helpers shared by the benchmark scripts (sourced; not a
# benchmark itself).  The caller sets W (its temporary folder) first, or has
# bench_workdir make it.

# bench_workdir NAME: runs the caller at nice ZF_BENCH_NICE (-20), so that
# other processes do not take the cores a measurement needs; makes W
# (zf_NAME.XXXXXX) with the mount point MNT=$W/m; at exit every mount in a
# folder of W is unmounted and W removed.
bench_workdir() {
    renice -n "${ZF_BENCH_NICE:--20}" -p $$ >/dev/null 2>&1 ||
        echo "warning: cannot renice: other processes compete for the cores" >&2
    W=$(mktemp -d "${TMPDIR:-/tmp}/zf_$1.XXXXXX")
    MNT=$W/m
    mkdir -p "$MNT"
    trap bench_cleanup EXIT
}
bench_cleanup() {
    set +e
    local m
    for m in "$W"/*/; do
        m=${m%/}
        mountpoint -q "$m" 2>/dev/null && { fusermount3 -u "$m" || fusermount3 -uz "$m"; }
    done
    wait 2>/dev/null
    rm -rf "$W"
}

now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", (b - a) / 1e9 }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# col FILE N: the median of column N of FILE.
col() { awk -v c="$2" '{ print $c }' "$1" | median; }
# wait_mount MNT PID: until MNT is mounted; 1 if PID died first or 20 s passed.
wait_mount() {
    local i
    for ((i = 0; i < 400; i++)); do
        mountpoint -q "$1" && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}
unmount() { fusermount3 -u "$1"; wait "$2" 2>/dev/null || true; }
stat_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
# stats_delta BEFORE AFTER FIELD: how much a .zarrfs/stats counter grew.
stats_delta() { echo $(($(stat_field "$2" "$3") - $(stat_field "$1" "$3"))); }
# cpu_of PID: the CPU seconds (user + sys, all threads) a live process took.
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%.3f", ($12 + $13) / hz }' "/proc/$1/stat"; }
# vmhwm PID: the peak RSS of a live process, MiB.
vmhwm() { awk '/^VmHWM/ { printf "%.0f\n", $2 / 1024 }' "/proc/$1/status"; }

# zarrita_modules: installs zarrita.js (pinned as in
# tests/sh/zarrita_reads_pack.sh) from npm once into $ZF_NPM_CACHE and
# prints its node_modules folder; prints nothing without node/npm or when
# the install fails (then the peer rows are not run).
zarrita_modules() {
    local zr=0.7.5 st=0.2.0 npm=${ZF_NPM_CACHE:-$HOME/.cache/zarrfs-npm} tmp
    local mods=$npm/zarrita-$zr-storage-$st
    command -v node >/dev/null && command -v npm >/dev/null || return 0
    if [ ! -e "$mods/.complete" ]; then
        echo "installing zarrita@$zr @zarrita/storage@$st into $mods" >&2
        mkdir -p "$npm"
        tmp=$(mktemp -d "$npm/.install.XXXXXX")
        if timeout 300 npm install --prefix "$tmp" --no-audit --no-fund --no-update-notifier \
            --loglevel=error "zarrita@$zr" "@zarrita/storage@$st" >"$W/npm.log" 2>&1; then
            touch "$tmp/.complete"
            mv -T "$tmp" "$mods" 2>/dev/null || rm -rf "$tmp"
        else
            rm -rf "$tmp"
        fi
    fi
    [ -e "$mods/.complete" ] && echo "$mods/node_modules"
    return 0
}

# latproxy_build DIR: builds tools/bench/latproxy (the delay proxy of the
# latency benchmark) into DIR/latproxy with the first go found (the PATH's,
# /usr/local/go's, or .peers/go, which tools/install-s3server.sh fetches).
latproxy_build() {
    local g go= src
    src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    for g in "$(command -v go)" /usr/local/go/bin/go "$src/../../.peers/go/bin/go"; do
        [ -x "$g" ] && go=$g && break
    done
    [ -n "$go" ] || { echo "no go to build latproxy (tools/install-s3server.sh fetches one)" >&2; return 1; }
    (cd "$src/latproxy" && "$go" build -o "$1/latproxy" .)
}
# latproxy_start DIR UPSTREAM DELAY: (re)starts DIR/latproxy in front of
# UPSTREAM (http://host:port); sets LP (its pid) and PX (its URL).
LP=
latproxy_start() {
    local i
    [ -n "$LP" ] && kill "$LP" 2>/dev/null && wait "$LP" 2>/dev/null
    rm -f "$1/lp.port" # (the job truncates it only once started)
    "$1/latproxy" -upstream "$2" -delay "$3" >"$1/lp.port" 2>"$1/lp.err" &
    LP=$!
    for ((i = 0; i < 200; i++)); do [ -s "$1/lp.port" ] && break; sleep 0.05; done
    PX=http://127.0.0.1:$(awk '{ print $2 }' "$1/lp.port")
}
