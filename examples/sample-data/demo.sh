#!/usr/bin/env bash
# twh-extract against the bundled fake Ticketsauce and Stripe APIs, without
# any real credentials. See README.md beside this file.
#
#   demo.sh fakes     serve the fakes on 127.0.0.1:$PORT (leave it running)
#   demo.sh run       extract into $LAKE (Ctrl-C it halfway, then run again)
#   demo.sh status    cursors, last run and counts of $LAKE
#   demo.sh verify    check that every record is in $LAKE exactly once
#   demo.sh change    change a few records in the fakes (then `run` again)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
PORT="${PORT:-8700}"
LAKE="${LAKE:-$root/target/demo-lake}"
# The sample data: generated from this seed, the same on every machine.
FAKE_ARGS=(--seed 42 --events 20 --orders-per-event 200 --charges 100000 --malformed-every 997)

build() {
    if [ -z "${TWH_EXTRACT:-}" ] || [ -z "${TWH_FAKES:-}" ]; then
        cargo build --quiet --locked --manifest-path "$root/Cargo.toml" --workspace --bins >&2
        TWH_EXTRACT="${TWH_EXTRACT:-${CARGO_TARGET_DIR:-$root/target}/debug/twh-extract}"
        TWH_FAKES="${TWH_FAKES:-${CARGO_TARGET_DIR:-$root/target}/debug/twh-fakes}"
    fi
}
bin() { build; "$TWH_EXTRACT" "$@"; }
# The fake APIs are the dev-only twh-fakes binary, not part of twh-extract.
fakes() { build; "$TWH_FAKES" "$@"; }

case "${1:-}" in
fakes)
    echo "serving the fakes on 127.0.0.1:$PORT with 20 ms latency; Ctrl-C stops them" >&2
    fakes serve --port "$PORT" --latency-ms 20 "${FAKE_ARGS[@]}"
    ;;
run)
    bin run --source all --sink "$LAKE" \
        --credentials "$here/credentials.env" \
        --ticketsauce-api-base "http://127.0.0.1:$PORT/ticketsauce/v2" \
        --stripe-api-base "http://127.0.0.1:$PORT/stripe" \
        --summary-file "$LAKE.summary.json" >/dev/null
    echo "summary: $LAKE.summary.json; the lake: $LAKE" >&2
    ;;
status)
    bin status --sink "$LAKE"
    ;;
verify)
    fakes verify --sink "$LAKE" "${FAKE_ARGS[@]}"
    ;;
change)
    curl -fsS -X POST "http://127.0.0.1:$PORT/_fake/stripe/mutate?kind=charges&n=${2:-5}"; echo
    curl -fsS -X POST "http://127.0.0.1:$PORT/_fake/ticketsauce/mutate?n=${2:-5}"; echo
    ;;
*)
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
