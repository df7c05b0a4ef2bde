#!/usr/bin/env bash
# The ledger checkpoint writer's steady-state pass as a tenant grows: fills one tenant with N streams (one entry each,
# checkpointed every 100,000 streams as the writer would have), then per round appends one entry to K existing streams
# (and starts M new ones) and times the next checkpoint (the whole pass), a bare read of the recorded heads, and the
# walk (read + both Merkle roots), with the process's allocations. Prints a progress line per fill chunk and round, a
# Markdown table; writes bench/results/checkpoint-<time>.json and .md.
#   bash bench/checkpoint.sh [streams, a list] [changed K] [new M] [rounds] [store]   (defaults 100000,1000000 1000 0 3 sqlite)
#   store postgres: AUTONOMY_TEST_POSTGRES, a throw-away database
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
bench_build bench/Ledger
dotnet bench/Ledger/bin/Release/net10.0/Autonomy.Bench.Ledger.dll --mode checkpoint --streams "${1:-100000,1000000}" --changed "${2:-1000}" \
  --new "${3:-0}" --rounds "${4:-3}" --stores "${5:-sqlite}" --json "$out/checkpoint-$stamp.json" --md "$out/checkpoint-$stamp.md"
echo "results: $out/checkpoint-$stamp.json, $out/checkpoint-$stamp.md" >&2
