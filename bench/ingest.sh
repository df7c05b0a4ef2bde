#!/usr/bin/env bash
# Measures ingest through the gateway in embedded mode on this machine: starts the gateway on a fresh data
# directory, mints an ingest token, runs the load generator, stops the gateway.
#   bash bench/ingest.sh [seconds] [concurrency] [batch]   (BENCH_PORT=5099 unless set)
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build -c Release src/Gateway -v q >/dev/null
dotnet build -c Release bench/Ingest -v q >/dev/null
data=$(mktemp -d)
port=${BENCH_PORT:-5099}
dotnet src/Gateway/bin/Release/net10.0/Autonomy.Gateway.dll --urls "http://127.0.0.1:$port" --Autonomy:DataDirectory="$data" \
  --Logging:LogLevel:Default=Warning >"$data/gateway.log" 2>&1 &
gw=$!
trap 'kill $gw 2>/dev/null; wait $gw 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.5; done
token=$(dotnet src/Gateway/bin/Release/net10.0/Autonomy.Gateway.dll mint-token --tenant bench --role ingest --sub bench --Autonomy:DataDirectory="$data")
dotnet bench/Ingest/bin/Release/net10.0/Autonomy.Bench.Ingest.dll --url "http://127.0.0.1:$port" --token "$token" --tenant bench \
  --seconds "${1:-20}" --concurrency "${2:-64}" --batch "${3:-10}"
