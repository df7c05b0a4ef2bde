#!/usr/bin/env bash
# HTTP ingest against its ceiling, in one run: starts the gateway (embedded mode, shipped defaults) on a fresh data
# directory and the bare ceiling host (the gateway's own JWT auth, JSON setup and signal validation, no grain
# behind it) with the same signing key, mints an ingest token, and runs alternating rounds against both with
# unique signal ids. Prints a progress line per round and a Markdown table (req/s, p50, p99, max, allocated per
# request when dotnet-counters is installed, ratio); writes bench/results/ingest-<time>.json and .md.
#   bash bench/ingest.sh [seconds per round] [clients] [signals per request] [rounds] [accounts]   (defaults 20 32 1 3 5000)
#   BENCH_FRESH=true bash bench/ingest.sh ...   every request to a new account (the activation rate through HTTP)
#   BENCH_BASELINE=/path/to/Autonomy.Gateway.dll bash bench/ingest.sh ...   also another build of the gateway, in the same
#     rounds, on a data directory of its own (before/after a change: build the older commit in a worktree);
#     BENCH_BASELINE_ARGS="--Autonomy:Engine:SnapshotDelay=00:00:30" adds settings to it (the same build, A/B of a setting)
#   BENCH_PORT=5099 (gateway; the ceiling takes the next port, a baseline the one after)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
bench_build bench/Ingest
data=$(mktemp -d)
port=${BENCH_PORT:-5099}
cport=$((port + 1))
bin=bench/Ingest/bin/Release/net10.0
dotnet $bin/Autonomy.Gateway.dll --urls "http://127.0.0.1:$port" --Autonomy:DataDirectory="$data" \
  --Logging:LogLevel:Default=Warning >"$data/gateway.log" 2>&1 &
gw=$!
ceil=
base=
trap 'kill $gw $ceil $base 2>/dev/null; wait $gw $ceil $base 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 240); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.5; done
# The ceiling reads the signing key the gateway generated into the data directory.
dotnet $bin/Autonomy.Bench.Ingest.dll ceiling --urls "http://127.0.0.1:$cport" --Autonomy:DataDirectory="$data" >"$data/ceiling.log" 2>&1 &
ceil=$!
for _ in $(seq 1 240); do curl -sf "http://127.0.0.1:$cport/health/ready" >/dev/null && break; sleep 0.5; done
extra=()
if [ -n "${BENCH_BASELINE:-}" ]; then
  # The baseline gets its own data directory with the same signing key, so one token serves all three.
  mkdir -p "$data/baseline" && cp "$data/signing.key" "$data/baseline/"
  dotnet "$BENCH_BASELINE" --urls "http://127.0.0.1:$((port + 2))" --Autonomy:DataDirectory="$data/baseline" \
    --Autonomy:SiloPort=11121 --Autonomy:GatewayPort=30010 --Logging:LogLevel:Default=Warning ${BENCH_BASELINE_ARGS:-} >"$data/baseline.log" 2>&1 &
  base=$!
  for _ in $(seq 1 240); do curl -sf "http://127.0.0.1:$((port + 2))/health/ready" >/dev/null && break; sleep 0.5; done
  extra=(--baseline "http://127.0.0.1:$((port + 2))" --baseline-pid "$base")
fi
token=$(dotnet $bin/Autonomy.Gateway.dll mint-token --tenant bench --role ingest --sub bench --Autonomy:DataDirectory="$data")
export PATH="$PATH:$HOME/.dotnet/tools"
dotnet $bin/Autonomy.Bench.Ingest.dll --url "http://127.0.0.1:$port" --ceiling "http://127.0.0.1:$cport" --token "$token" --tenant bench \
  --pid "$gw" --ceiling-pid "$ceil" --seconds "${1:-20}" --concurrency "${2:-32}" --batch "${3:-1}" --rounds "${4:-3}" \
  --accounts "${5:-5000}" --fresh "${BENCH_FRESH:-false}" "${extra[@]}" \
  --json "$out/ingest-$stamp.json" --md "$out/ingest-$stamp.md"
echo "results: $out/ingest-$stamp.json, $out/ingest-$stamp.md" >&2
