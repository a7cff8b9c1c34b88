#!/usr/bin/env bash
# twh-extract benchmark (a measurement, not a test): records per second and
# peak RSS against the fake APIs with 20 ms latency per request.
#
#   benches/extract.sh                  full size: 1,000,000 Stripe charges,
#                                       100,000 Ticketsauce orders with details
#   CHARGES=100000 EVENTS=20 benches/extract.sh     smaller
#
# Each measured run is the release binary under /usr/bin/time -v; the fakes
# run in their own process, so the RSS is the extractor's alone.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
CHARGES="${CHARGES:-1000000}"
EVENTS="${EVENTS:-200}"
ORDERS_PER_EVENT="${ORDERS_PER_EVENT:-500}"
LATENCY_MS="${LATENCY_MS:-20}"
# Stripe pacing: the defaults for a live key, Stripe's published limits
# (docs.stripe.com/rate-limits): 100 req/s in all, 25 req/s per endpoint, so
# one stream (one endpoint) reads at 25 req/s. STRIPE_RPS=0 is unpaced.
STRIPE_RPS="${STRIPE_RPS:-100}"
STRIPE_ENDPOINT_RPS="${STRIPE_ENDPOINT_RPS:-25}"
# Ticketsauce publishes no limit; the fake has none either.
TS_RPS="${TS_RPS:-2000}"
DETAIL_CONCURRENCY="${DETAIL_CONCURRENCY:-64}"
SEQ_EVENTS="${SEQ_EVENTS:-4}"   # one-at-a-time baseline: SEQ_EVENTS x ORDERS_PER_EVENT orders
PORT="${PORT:-8790}"

command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
cargo build --release --quiet --manifest-path "$root/Cargo.toml" -p twh -p twh-fakes --bin twh-extract --bin twh-fakes
BIN="$CARGO_TARGET_DIR/release/twh-extract"
FAKES="$CARGO_TARGET_DIR/release/twh-fakes"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]:-}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

start_fake() { # port events orders_per_event charges
    "$FAKES" serve --port "$1" --seed 1 --events "$2" --orders-per-event "$3" \
        --charges "$4" --latency-ms "$LATENCY_MS" >"$work/fake-$1.out" 2>&1 &
    pids+=("$!")
    for _ in $(seq 1 100); do grep -q '^ready' "$work/fake-$1.out" && return; sleep 0.1; done
    cat "$work/fake-$1.out" >&2; exit 1
}

# measure NAME PORT ARGS... -> "records seconds rss_kib"
measure() {
    local name="$1" port="$2"; shift 2
    /usr/bin/time -v -o "$work/$name.time" "$BIN" run --sink "$work/$name" --no-progress -q \
        --credentials "$root/examples/sample-data/credentials.env" \
        --ticketsauce-api-base "http://127.0.0.1:$port/ticketsauce/v2" \
        --stripe-api-base "http://127.0.0.1:$port/stripe" \
        --summary-file "$work/$name.json" "$@" >/dev/null
    local records ms rss
    records="$(grep -m1 '"records":' "$work/$name.json" | tr -dc '0-9')"
    ms="$(grep -m1 '"duration_ms":' "$work/$name.json" | tr -dc '0-9')"
    rss="$(grep 'Maximum resident set size' "$work/$name.time" | tr -dc '0-9')"
    echo "$records $ms $rss"
}

start_fake "$PORT" "$EVENTS" "$ORDERS_PER_EVENT" "$CHARGES"
start_fake "$((PORT + 1))" "$SEQ_EVENTS" "$ORDERS_PER_EVENT" 0

echo "stripe charges: $CHARGES at $STRIPE_RPS req/s ..." >&2
read -r s_rec s_ms s_rss < <(measure stripe "$PORT" --source stripe --streams charges --stripe-rps "$STRIPE_RPS" --stripe-endpoint-rps "$STRIPE_ENDPOINT_RPS")
echo "ticketsauce orders: $((EVENTS * ORDERS_PER_EVENT)) with details, $DETAIL_CONCURRENCY at once ..." >&2
read -r t_rec t_ms t_rss < <(measure orders "$PORT" --source ticketsauce --streams orders \
    --ticketsauce-rps "$TS_RPS" --detail-concurrency "$DETAIL_CONCURRENCY")
echo "ticketsauce orders one at a time: $((SEQ_EVENTS * ORDERS_PER_EVENT)) ..." >&2
read -r q_rec q_ms q_rss < <(measure sequential "$((PORT + 1))" --source ticketsauce --streams orders \
    --ticketsauce-rps 0 --detail-concurrency 1 --event-concurrency 1)

rate() { awk -v n="$1" -v ms="$2" 'BEGIN { printf "%.0f", (ms > 0 ? n * 1000 / ms : 0) }'; }
orders_fast="$(awk -v n="$t_rec" -v ms="$t_ms" 'BEGIN { printf "%.1f", n * 1000 / ms }')"
orders_seq="$(awk -v n="$q_rec" -v ms="$q_ms" 'BEGIN { printf "%.1f", n * 1000 / ms }')"
cat <<REPORT
| run | records | seconds | records/s | peak RSS |
| --- | ---: | ---: | ---: | ---: |
| Stripe charges, $STRIPE_RPS req/s ($STRIPE_ENDPOINT_RPS per endpoint) | $s_rec | $(awk -v ms="$s_ms" 'BEGIN{printf "%.1f", ms/1000}') | $(rate "$s_rec" "$s_ms") | $((s_rss / 1024)) MiB |
| Ticketsauce orders + details, $DETAIL_CONCURRENCY at once | $t_rec | $(awk -v ms="$t_ms" 'BEGIN{printf "%.1f", ms/1000}') | $(rate "$t_rec" "$t_ms") | $((t_rss / 1024)) MiB |
| Ticketsauce orders + details, one at a time | $q_rec | $(awk -v ms="$q_ms" 'BEGIN{printf "%.1f", ms/1000}') | $(rate "$q_rec" "$q_ms") | $((q_rss / 1024)) MiB |

orders with details: $(awk -v a="$orders_fast" -v b="$orders_seq" 'BEGIN { printf "%.1f", a / b }')x one at a time
(latency $LATENCY_MS ms per request; "records" counts orders, each with its tickets and ticket types)
REPORT
