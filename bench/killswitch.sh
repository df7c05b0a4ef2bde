#!/usr/bin/env bash
# Kill switch engaged -> no new execution, across 3 silos under load: three silo processes and a gateway on a throw-away
# PostgreSQL database (AUTONOMY_TEST_POSTGRES), signals posted at a steady rate to many accounts whose runs auto-execute
# CREATE_TASK through the tenant's webhook to a receiver in the benchmark; then, again and again, the tenant switch
# engaged over the HTTP API, held, released. Per engagement: the PUT's latency, the last execution delivered after its
# 200 (by which every silo refuses), which silos were executing just before; at the end, from the ledger, any check that
# let an action through after a 200. A progress line per engagement, a Markdown table; bench/results/killswitch-<time>.json and .md.
#   bash bench/killswitch.sh [engagements] [signals/s] [accounts]   (defaults 25 40 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
bench_build src/Silo src/Gateway bench/KillSwitch
dotnet bench/KillSwitch/bin/Release/net10.0/Autonomy.Bench.KillSwitch.dll --engagements "${1:-25}" --rate "${2:-40}" \
  --accounts "${3:-1000}" --json "$out/killswitch-$stamp.json" --md "$out/killswitch-$stamp.md"
echo "results: $out/killswitch-$stamp.json, $out/killswitch-$stamp.md" >&2
