#!/usr/bin/env bash
# Cold-build figures (issue 15): the README's two commands on a fresh clone
# with an empty target directory, timed, and how many times each AWS SDK
# crate was compiled in each mode across them. Goal: each SDK crate at most
# once per profile (build, check for clippy).
#
#   bash benches/cold.sh            # demo, then .ci/run, then .ci/run alone from cold
#   COLD_STEPS=demo,ci bash benches/cold.sh
#   COLD_KEEP=1 bash benches/cold.sh   # keep the clones and targets
#
# A RUSTC_WRAPPER logs every rustc invocation (crate name, and whether it
# emits code or only metadata, as clippy does) and then runs rustc unchanged.
# Takes an hour or more on 2 cores; run it on a quiet machine.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
steps="${COLD_STEPS:-demo,ci,ci-alone}"
work="$(mktemp -d "${TMPDIR:-/tmp}/twh-cold.XXXXXX")"
# COLD_KEEP=1 keeps the clones and their warm target directories (printed at
# the end), so the machine time spent building them is not thrown away.
if [ "${COLD_KEEP:-}" = 1 ]; then
    trap 'echo "kept $work"' EXIT
else
    trap 'rm -rf "$work"' EXIT
fi

# bash, not sh: Debian's sh (dash) drops environment variables whose names
# are not shell identifiers, such as CARGO_BIN_EXE_twh-extract, so rustc
# would not see them and the integration tests would not compile.
cat >"$work/rustc-wrapper" <<'WRAP'
#!/usr/bin/env bash
# $1 is rustc; log `<crate-name> <build|check>` for real compilations.
name=""; mode="build"; prev=""
for a in "$@"; do
    case "$prev" in --crate-name) name="$a" ;; esac
    case "$a" in --emit=*) case "$a" in *link*) ;; *) mode="check" ;; esac ;; esac
    prev="$a"
done
[ -n "$name" ] && echo "$name $mode" >>"$TWH_COLD_LOG"
exec "$@"
WRAP
chmod +x "$work/rustc-wrapper"

fresh_clone() { # dir
    git clone --quiet "$root" "$1"
}

timed() { # label log command...
    local label="$1" log="$2"; shift 2
    local start end out
    out="$work/$(printf '%s' "$label" | tr -c 'A-Za-z0-9' '_').out"
    start=$(date +%s)
    if ! "$@" >"$out" 2>&1; then
        tail -n 40 "$out" >&2
        echo "$label failed" >&2
        exit 1
    fi
    end=$(date +%s)
    printf '%-28s %4d min %02d s\n' "$label" $(((end - start) / 60)) $(((end - start) % 60))
}

report() { # log
    echo "SDK crates compiled (crate, mode: times):"
    grep -E '^aws_sdk_|^aws_smithy_|^aws_config ' "$1" | sort | uniq -c |
        awk '{printf "  %-32s %-6s %d\n", $2, $3, $1}'
    local worst
    worst="$(grep -E '^aws_sdk_' "$1" | sort | uniq -c | awk 'max < $1 {max = $1} END {print max + 0}')"
    echo "most compilations of one SDK crate in one mode: $worst (goal: 1)"
}

export RUSTC_WRAPPER="$work/rustc-wrapper" CI=true
unset CARGO_BUILD_RUSTC_WRAPPER

if [[ ",$steps," == *",demo,"* || ",$steps," == *",ci,"* ]]; then
    echo "== the README's two commands, one after the other, on one fresh clone"
    fresh_clone "$work/a"
    export CARGO_TARGET_DIR="$work/a-target" TWH_VENV="$work/a-venv" TWH_CACHE_DIR="$work/a-cache"
    export TWH_COLD_LOG="$work/a.log"
    : >"$TWH_COLD_LOG"
    [[ ",$steps," == *",demo,"* ]] && timed "examples/demo/run" "$TWH_COLD_LOG" "$work/a/examples/demo/run"
    [[ ",$steps," == *",ci,"* ]] && timed "then bash .ci/run" "$TWH_COLD_LOG" bash "$work/a/.ci/run"
    report "$TWH_COLD_LOG"
fi

if [[ ",$steps," == *",ci-alone,"* ]]; then
    echo "== bash .ci/run alone, from cold"
    fresh_clone "$work/b"
    export CARGO_TARGET_DIR="$work/b-target" TWH_VENV="$work/b-venv" TWH_CACHE_DIR="$work/b-cache"
    export TWH_COLD_LOG="$work/b.log"
    : >"$TWH_COLD_LOG"
    timed "bash .ci/run (cold)" "$TWH_COLD_LOG" bash "$work/b/.ci/run"
    report "$TWH_COLD_LOG"
fi
