# zarrita.bash - zarrita.js for the benchmarks (sourced by run.sh and
# subarray.sh; not run on its own): pinned as in
# tests/sh/zarrita_reads_pack.sh, installed with npm once into
# ${ZF_NPM_CACHE:-~/.cache/zarrfs-npm}.
ZARRITA=0.7.5
ZARRITA_STORAGE=0.2.0
NPM=${ZF_NPM_CACHE:-$HOME/.cache/zarrfs-npm}
MODS=$NPM/zarrita-$ZARRITA-storage-$ZARRITA_STORAGE

# zf_zarrita_install LOG: installs zarrita into $MODS unless it is there
# (npm's output in LOG); returns 0 when $MODS holds it.
zf_zarrita_install() {
    if command -v node >/dev/null && command -v npm >/dev/null &&
        [ ! -e "$MODS/.complete" ]; then
        echo "installing zarrita@$ZARRITA @zarrita/storage@$ZARRITA_STORAGE into $MODS"
        mkdir -p "$NPM"
        local tmp
        tmp=$(mktemp -d "$NPM/.install.XXXXXX")
        if timeout 300 npm install --prefix "$tmp" --no-audit --no-fund --no-update-notifier \
            --loglevel=error "zarrita@$ZARRITA" "@zarrita/storage@$ZARRITA_STORAGE" >"$1" 2>&1; then
            touch "$tmp/.complete"
            mv -T "$tmp" "$MODS" 2>/dev/null || rm -rf "$tmp"
        else
            rm -rf "$tmp"
        fi
    fi
    [ -e "$MODS/.complete" ]
}
