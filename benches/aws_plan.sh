#!/usr/bin/env bash
# Benchmark: API calls per plan, and plan wall time under injected latency,
# against a private emulator on loopback. Prints figures; asserts nothing.
#
#   bash benches/aws_plan.sh              # both parts
#   SIZE=300 LATENCY_MS=50 bash benches/aws_plan.sh
#
# Part 1: an estate of 50 tables, 10 crawlers, 20 datasets (half SPICE) and 2 data sources
# (plus the database, role and workgroup they need). After a sync, one
# `twh diff` is counted per operation and compared with the lower bound: one
# call per batch page (GetTables per database, BatchGetCrawlers per 100
# names), one read per resource where AWS has no batch API, and the
# Describe/permissions/tags/refresh reads each dataset and data source needs.
#
# Part 2: an estate of SIZE (default 1000) resources; `twh diff` is timed with
# LATENCY_MS (default 50) added to every call.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${TWH_VENV:-$HOME/.cache/twh-venv}"
size="${SIZE:-1000}"
latency="${LATENCY_MS:-50}"
work="$(mktemp -d "${TMPDIR:-/tmp}/twh-bench.XXXXXX")"
py="$venv/bin/python"
[ -x "$py" ] || { echo "no emulator venv at $venv: run bash .ci/run once" >&2; exit 1; }

pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

cargo build --quiet --manifest-path "$root/Cargo.toml" --bin twh
target_dir="$(cargo metadata --format-version 1 --no-deps --manifest-path "$root/Cargo.toml" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
twh="$target_dir/debug/twh"

port="$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
(cd "$root/emulator" && exec "$py" -m twh_emulator --host 127.0.0.1 --port "$port") >"$work/emulator.log" 2>&1 &
pid=$!
for _ in $(seq 1 150); do grep -q '^ready' "$work/emulator.log" 2>/dev/null && break; sleep 0.2; done
url="http://127.0.0.1:$port"
export AWS_ENDPOINT_URL="$url" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
    AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 NO_COLOR=1
unset AWS_PROFILE AWS_SESSION_TOKEN TWH_MEMORY_PROVIDER

# estate DIR TABLES CRAWLERS DATASETS SOURCES VIEWS WORKGROUPS: writes a repository.
estate() {
    "$py" - "$@" <<'PY'
import json, os, sys
d, tables, crawlers, datasets, sources, views, wgs = sys.argv[1], *map(int, sys.argv[2:])
os.makedirs(f"{d}/resources/environments", exist_ok=True)
json.dump({"region": "us-east-1", "variables": {"bucket": "bench-lake"}, "state": {"backend": "local"}},
          open(f"{d}/resources/environments/bench.json", "w"))
res = [{"type": "iam_role", "name": "crawler", "spec": {"RoleName": "bench-crawler",
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}},
       {"type": "glue_database", "name": "db", "spec": {"DatabaseInput": {"Name": "bench"}}}]
for i in range(wgs):
    res.append({"type": "athena_workgroup", "name": f"wg{i}", "spec": {"Name": f"bench-{i}",
        "Configuration": {"ResultConfiguration": {"OutputLocation": "s3://bench-lake/athena/"}}}})
for i in range(tables):
    res.append({"type": "glue_table", "name": f"t{i}", "spec": {"DatabaseName": "${ref:glue_database.db.name}",
        "TableInput": {"Name": f"t{i}", "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "string"}],
                "Location": f"s3://bench-lake/t{i}/"}}}})
for i in range(views):
    res.append({"type": "athena_view", "name": f"v{i}", "spec": {"Name": f"v{i}", "Database": "${ref:glue_database.db.name}",
        "WorkGroup": "${ref:athena_workgroup.wg0.name}", "Sql": f"SELECT id FROM t{i % max(tables, 1)}"},
        "depends_on": [f"glue_table.t{i % max(tables, 1)}"]})
for i in range(crawlers):
    res.append({"type": "glue_crawler", "name": f"c{i}", "spec": {"Name": f"bench-c{i}", "Role": "${ref:iam_role.crawler.arn}",
        "DatabaseName": "${ref:glue_database.db.name}", "Targets": {"S3Targets": [{"Path": f"s3://bench-lake/c{i}/"}]}}})
for i in range(sources):
    res.append({"type": "quicksight_data_source", "name": f"s{i}", "spec": {"DataSourceId": f"bench-s{i}", "Name": f"s{i}",
        "Type": "ATHENA", "DataSourceParameters": {"AthenaParameters": {"WorkGroup": "${ref:athena_workgroup.wg0.name}"}}}})
for i in range(datasets):
    res.append({"type": "quicksight_data_set", "name": f"d{i}", "spec": {"DataSetId": f"bench-d{i}", "Name": f"d{i}",
        "ImportMode": "SPICE" if i % 2 else "DIRECT_QUERY", "PhysicalTableMap": {"p": {"CustomSql": {
            "DataSourceArn": f"${{ref:quicksight_data_source.s{i % max(sources, 1)}.arn}}", "Name": "q",
            "SqlQuery": f"SELECT id FROM bench.t{i % max(tables, 1)}", "Columns": [{"Name": "id", "Type": "STRING"}]}}}}})
json.dump({"resources": res}, open(f"{d}/resources/all.json", "w"))
print(len(res))
PY
}

calls() { curl -s "$url/_twh/calls"; }

echo "== Part 1: API calls per plan (50 tables, 10 crawlers, 20 datasets, 2 data sources)"
mkdir -p "$work/p1"
n=$(estate "$work/p1" 50 10 20 2 0 1)
curl -s -X PUT "$url/bench-lake" >/dev/null
(cd "$work/p1" && "$twh" sync --env bench --auto-approve --no-progress -q >/dev/null)
curl -s -X DELETE "$url/_twh/calls" >/dev/null
(cd "$work/p1" && "$twh" diff --env bench --no-progress -q)
calls | "$py" -c '
import json, sys, collections
calls = json.load(sys.stdin)
by = collections.Counter(c["operation"] for c in calls)
n = int(sys.argv[1])
# The lower bound for this estate, from what AWS offers:
bound = {
  "GetCallerIdentity": 1,            # the account, for ARNs
  "GetRole": 1, "ListRolePolicies": 1, "ListAttachedRolePolicies": 1, "ListRoleTags": 0,  # no batch API for roles
  "GetDatabase": 1,                  # one database (GetDatabases would be the same one call)
  "GetTables": 1,                    # 50 tables, one page of 100
  "BatchGetCrawlers": 1,             # 10 names, one batch of 100
  "GetTags": 10 + 1,                 # Glue returns tags per resource: each crawler, the database
  "GetWorkGroup": 1, "ListTagsForResource": 1 + 2 + 20,  # workgroup (Athena); data sources, datasets (QuickSight)
  "DescribeDataSource": 2, "DescribeDataSourcePermissions": 2,
  "DescribeDataSet": 20, "DescribeDataSetPermissions": 20,
  "ListRefreshSchedules": 10, "DescribeDataSetRefreshProperties": 10,  # SPICE ones only
}
total_bound = sum(bound.values())
print(f"resources: {n}; calls made by one diff: {len(calls)}; lower bound: {total_bound}; "
      f"overhead: {100 * (len(calls) - total_bound) / total_bound:+.1f}%")
for op in sorted(set(by) | set(bound)):
    flag = "" if by.get(op, 0) <= bound.get(op, 0) else "   <- above bound"
    print(f"  {op:36} {by.get(op, 0):4}  (bound {bound.get(op, 0)}){flag}")
' "$n"

echo
echo "== Part 2: plan wall time, $size resources, ${latency} ms added to every call"
mkdir -p "$work/p2"
curl -s -X POST "$url/_twh/reset" >/dev/null
curl -s -X PUT "$url/bench-lake" >/dev/null
t=$(( size * 40 / 100 )); c=$(( size * 20 / 100 )); ds=$(( size * 20 / 100 )); v=$(( size * 10 / 100 ))
w=$(( size * 5 / 100 )); s=2
n=$(estate "$work/p2" "$t" "$c" "$ds" "$s" "$v" "$w")
echo "estate: $n resources ($t tables, $v views, $c crawlers, $ds datasets, $s data sources, $w workgroups, 1 role, 1 database)"
start=$(date +%s.%N)
(cd "$work/p2" && "$twh" sync --env bench --auto-approve --no-progress -q --parallelism 16 >/dev/null)
echo "initial sync (no latency): $(echo "$(date +%s.%N) - $start" | bc) s"
start=$(date +%s.%N)
(cd "$work/p2" && "$twh" diff --env bench --no-progress -q >/dev/null)
echo "diff with no added latency (twh + emulator CPU floor): $(echo "$(date +%s.%N) - $start" | bc) s"
curl -s -X POST "$url/_twh/faults" -d "{\"latency_ms\": [$latency, $latency]}" >/dev/null
curl -s -X DELETE "$url/_twh/calls" >/dev/null
for run in 1 2 3; do
    start=$(date +%s.%N)
    # bash's `times` after the subshell: the CPU twh itself used (user, sys),
    # apart from the emulator's, which shares the machine.
    cpu=$( (cd "$work/p2" && "$twh" diff --env bench --no-progress -q >/dev/null && times) | tail -1)
    echo "diff run $run: $(echo "$(date +%s.%N) - $start" | bc) s wall; twh CPU (user sys): $cpu"
done
echo "calls per diff: $(calls | "$py" -c 'import json,sys; print(len(json.load(sys.stdin)) // 3)')"
