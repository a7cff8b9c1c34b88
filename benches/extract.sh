#!/usr/bin/env bash
# twh-extract benchmark (a measurement, not a test): records per second,
# share of the rate ceiling and peak RSS against the fake APIs with 20 ms of
# latency per request, side by side with Singer's tap-stripe on the same fake.
#
#   benches/extract.sh                           full size (about 10 minutes)
#   CHARGES=100000 TAP_CHARGES=5000 ORDERS=10000 benches/extract.sh   smaller
#   NO_TAP=1 benches/extract.sh                  without tap-stripe
#
# Data shapes (the fake makes them from a seed; `created` evenly spread):
#   dense    every charge within DENSE_DAYS days (an on-sale burst), so
#            all of them fall into one or two 30-day `created` windows;
#   uniform  the charges spread over UNIFORM_DAYS days (three years).
# For each shape:
#   - tap-stripe and twh-extract, unpaced, on a fake of TAP_CHARGES charges
#     (tap-stripe reads about a thousand a second, so not a million);
#   - twh-extract paced at the fake's enforced limit (CEILING_RPS requests a
#     second, Stripe's test-mode limit by default), against the ceiling of
#     CEILING_RPS x 100 charges a second (a page holds 100);
#   - twh-extract, unpaced, on CHARGES charges: records/s and peak RSS.
# Ticketsauce: one event with ORDERS orders (its dense shape), unpaced and
# paced at TS_RPS; the ceiling is TS_RPS requests a second, one per order
# plus one per page of 500.
#
# tap-stripe 3.3.0 (PyPI, pinned with its dependencies below) runs in a venv
# of its own under ~/.cache, made on first use. It has no setting for the
# API's address, so a five-line wrapper sets `stripe.api_base` to the fake
# and turns off its request timer (which parses api.stripe.com URLs only),
# then calls the tap's own main(). It selects the charges stream only.
#
# Each measured run is a release build under /usr/bin/time -v; the fakes run
# in their own process, so the RSS is the extractor's alone.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
CHARGES="${CHARGES:-1000000}"
TAP_CHARGES="${TAP_CHARGES:-20000}"
DENSE_DAYS="${DENSE_DAYS:-3}"
UNIFORM_DAYS="${UNIFORM_DAYS:-1095}"
LATENCY_MS="${LATENCY_MS:-20}"
CEILING_RPS="${CEILING_RPS:-25}"
ORDERS="${ORDERS:-50000}"
TS_RPS="${TS_RPS:-1000}"
DETAIL_CONCURRENCY="${DETAIL_CONCURRENCY:-64}"
PORT="${PORT:-8790}"
TAP_VENV="${TAP_VENV:-$HOME/.cache/twh-bench-tap-stripe-3.3.0}"

command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
# The extractor alone in release (not the reconciler and its AWS SDK crates).
cargo build --release --quiet --manifest-path "$root/Cargo.toml" \
    -p twh-extract --example twh-extract -p twh-fakes --bin twh-fakes
BIN="$CARGO_TARGET_DIR/release/examples/twh-extract"
FAKES="$CARGO_TARGET_DIR/release/twh-fakes"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]:-}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

if [ -z "${NO_TAP:-}" ] && [ ! -x "$TAP_VENV/bin/python" ]; then
    echo "creating $TAP_VENV (tap-stripe 3.3.0) ..." >&2
    python3 -m venv "$TAP_VENV"
    "$TAP_VENV/bin/pip" install --quiet tap-stripe==3.3.0 singer-python==6.0.1 stripe==5.5.0 \
        requests==2.34.2 backoff==2.2.1 jsonschema==2.6.0 simplejson==3.20.2 \
        python-dateutil==2.9.0.post0 pytz==2026.6 ciso8601==2.4.1
fi

now="$(date +%s)"
day=86400
# Both shapes end before now: the newest charge a day ago at the latest.
dense_epoch=$((now - (DENSE_DAYS + 2) * day))
uniform_epoch=$((now - (UNIFORM_DAYS + 2) * day))

fake_pid=""
start_fake() { # epoch span_days charges events orders [extra args]
    local epoch="$1" span="$2" charges="$3" events="$4" orders="$5"; shift 5
    stop_fake
    "$FAKES" serve --port "$PORT" --seed 1 --latency-ms "$LATENCY_MS" \
        --charges "$charges" --events "$events" --orders-per-event "$orders" \
        --stripe-epoch "$epoch" --stripe-span-days "$span" "$@" >"$work/fake.out" 2>&1 &
    fake_pid="$!"
    pids+=("$fake_pid")
    for _ in $(seq 1 100); do grep -q '^ready' "$work/fake.out" && return; sleep 0.1; done
    cat "$work/fake.out" >&2; exit 1
}
stop_fake() {
    if [ -n "$fake_pid" ]; then kill "$fake_pid" 2>/dev/null || true; wait "$fake_pid" 2>/dev/null || true; fake_pid=""; fi
}
base="http://127.0.0.1:$PORT"

# twh NAME ARGS... -> "records milliseconds rss_kib"
twh() {
    local name="$1"; shift
    rm -rf "$work/$name"
    /usr/bin/time -v -o "$work/$name.time" "$BIN" run --sink "$work/$name" --no-progress -q \
        --credentials "$root/examples/sample-data/credentials.env" \
        --ticketsauce-api-base "$base/ticketsauce/v2" --stripe-api-base "$base/stripe" \
        --summary-file "$work/$name.json" "$@" >/dev/null
    local records ms rss
    records="$(grep -m1 '"records":' "$work/$name.json" | tr -dc '0-9')"
    ms="$(grep -m1 '"duration_ms":' "$work/$name.json" | tr -dc '0-9')"
    rss="$(grep 'Maximum resident set size' "$work/$name.time" | tr -dc '0-9')"
    echo "$records $ms $rss"
}

# tap START_DATE -> "records milliseconds rss_kib"
tap() {
    cat >"$work/tap.py" <<'PY'
import sys
import stripe
import tap_stripe
stripe.api_base = sys.argv.pop(1)
tap_stripe.apply_request_timer_to_client = lambda client: None
tap_stripe.main()
PY
    printf '{"start_date": "%s", "account_id": "acct_fake", "client_secret": "sk_fake_demo"}\n' "$1" >"$work/tap-config.json"
    "$TAP_VENV/bin/python" "$work/tap.py" "$base/stripe" --config "$work/tap-config.json" --discover >"$work/catalog.json"
    "$TAP_VENV/bin/python" - "$work/catalog.json" <<'PY'
import json, sys
path = sys.argv[1]
cat = json.load(open(path))
for s in cat["streams"]:
    for m in s["metadata"]:
        if m["breadcrumb"] == []:
            m["metadata"]["selected"] = s["tap_stream_id"] == "charges"
json.dump(cat, open(path, "w"))
PY
    local t0 t1
    t0="$(date +%s%N)"
    /usr/bin/time -v -o "$work/tap.time" "$TAP_VENV/bin/python" "$work/tap.py" "$base/stripe" \
        --config "$work/tap-config.json" --catalog "$work/catalog.json" >"$work/tap.out" 2>"$work/tap.err"
    t1="$(date +%s%N)"
    local records rss
    records="$(grep -c '"type": "RECORD"' "$work/tap.out" || true)"
    rss="$(grep 'Maximum resident set size' "$work/tap.time" | tr -dc '0-9')"
    echo "$records $(((t1 - t0) / 1000000)) $rss"
}

rate() { awk -v n="$1" -v ms="$2" 'BEGIN { printf "%.0f", (ms > 0 ? n * 1000 / ms : 0) }'; }
secs() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
rows=()
row() { # label records ms rss [note]
    rows+=("| $1 | $2 | $(secs "$3") | $(rate "$2" "$3") | $(($4 / 1024)) MiB | ${5:-} |")
}

for shape in dense uniform; do
    if [ "$shape" = dense ]; then epoch="$dense_epoch"; span="$DENSE_DAYS"; else epoch="$uniform_epoch"; span="$UNIFORM_DAYS"; fi
    label="$shape ($span days)"
    since="$(iso $((epoch - day)))"

    start_fake "$epoch" "$span" "$TAP_CHARGES" 1 1
    tap_rate=""
    if [ -z "${NO_TAP:-}" ]; then
        echo "$label: tap-stripe, $TAP_CHARGES charges ..." >&2
        read -r t_rec t_ms t_rss < <(tap "$since")
        row "$label: tap-stripe 3.3.0" "$t_rec" "$t_ms" "$t_rss"
        tap_rate="$(rate "$t_rec" "$t_ms")"
    fi
    echo "$label: twh-extract unpaced, $TAP_CHARGES charges ..." >&2
    read -r u_rec u_ms u_rss < <(twh "u-$shape" --source stripe --streams charges --since "$since" --stripe-rps 0)
    note=""
    [ -n "$tap_rate" ] && note="$(awk -v a="$(rate "$u_rec" "$u_ms")" -v b="$tap_rate" 'BEGIN { printf "%.1fx tap-stripe", a / b }')"
    row "$label: twh-extract, unpaced" "$u_rec" "$u_ms" "$u_rss" "$note"

    start_fake "$epoch" "$span" "$TAP_CHARGES" 1 1 --stripe-rate-limits "$CEILING_RPS,$CEILING_RPS"
    echo "$label: twh-extract at the fake's limit of $CEILING_RPS req/s ..." >&2
    read -r p_rec p_ms p_rss < <(twh "p-$shape" --source stripe --streams charges --since "$since" \
        --stripe-rps "$CEILING_RPS" --stripe-endpoint-rps "$CEILING_RPS")
    stats="$(curl -s "$base/_fake/stats" || true)"
    throttled="$(echo "$stats" | tr ',' '\n' | grep '"throttled"' | tr -dc '0-9')"
    pct="$(awk -v n="$p_rec" -v ms="$p_ms" -v c="$CEILING_RPS" 'BEGIN { printf "%.0f%%", n * 1000 / ms / (c * 100) * 100 }')"
    row "$label: twh-extract, paced at the fake's $CEILING_RPS req/s" "$p_rec" "$p_ms" "$p_rss" \
        "$pct of the ceiling ($((CEILING_RPS * 100)) records/s), ${throttled:-?} refused"

    start_fake "$epoch" "$span" "$CHARGES" 1 1
    echo "$label: twh-extract unpaced, $CHARGES charges ..." >&2
    read -r b_rec b_ms b_rss < <(twh "b-$shape" --source stripe --streams charges --since "$since" --stripe-rps 0)
    row "$label: twh-extract, unpaced, $CHARGES charges" "$b_rec" "$b_ms" "$b_rss"
done

start_fake "$dense_epoch" 1 0 1 "$ORDERS"
echo "ticketsauce: one event, $ORDERS orders, unpaced ..." >&2
read -r o_rec o_ms o_rss < <(twh orders-u --source ticketsauce --streams orders \
    --ticketsauce-rps 0 --detail-concurrency "$DETAIL_CONCURRENCY")
row "ticketsauce: one event of $ORDERS orders, unpaced" "$o_rec" "$o_ms" "$o_rss" "$DETAIL_CONCURRENCY details at once"
echo "ticketsauce: one event, $ORDERS orders, at $TS_RPS req/s ..." >&2
read -r q_rec q_ms q_rss < <(twh orders-p --source ticketsauce --streams orders \
    --ticketsauce-rps "$TS_RPS" --detail-concurrency "$DETAIL_CONCURRENCY")
ceiling="$(awk -v r="$TS_RPS" 'BEGIN { printf "%.0f", r * 500 / 501 }')"
pct="$(awk -v n="$q_rec" -v ms="$q_ms" -v c="$ceiling" 'BEGIN { printf "%.0f%%", n * 1000 / ms / c * 100 }')"
row "ticketsauce: one event of $ORDERS orders, paced at $TS_RPS req/s" "$q_rec" "$q_ms" "$q_rss" "$pct of the ceiling ($ceiling orders/s)"
stop_fake

cat <<REPORT
| run | records | seconds | records/s | peak RSS | |
| --- | ---: | ---: | ---: | ---: | --- |
$(printf '%s\n' "${rows[@]}")

Shapes: dense = every charge within $DENSE_DAYS days, uniform = spread over $UNIFORM_DAYS days;
$LATENCY_MS ms of latency per request; Stripe charges only ("records" counts charges), Ticketsauce
orders with their details (tickets and ticket types land too, not counted).
REPORT
