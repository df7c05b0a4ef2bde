#!/usr/bin/env bash
# Ledger group commit against the raw store's insert ceiling, SQLite and PostgreSQL, in alternating rounds of one run:
# concurrent appenders (one chained stream each, awaiting every append as a grain does) through the ledger the silo
# uses, against one loop inserting the same rows into the same table in plain batches (prepared INSERT on SQLite,
# binary COPY on PostgreSQL). Prints a progress line per round and a Markdown table (entries/s, append p50/p99,
# entries per transaction, ratio); writes bench/results/ledger-<time>.json and .md.
#   bash bench/ledger.sh [entries per round] [appenders, a list] [rounds] [entries per append]   (defaults 20000 64,512 3 1)
#   BENCH_CEILING_BATCH=4096,64 bash bench/ledger.sh ...   also the raw insert in transactions as small as the committer's
#   BENCH_STORES=sqlite bash bench/ledger.sh ...   one store (PostgreSQL: AUTONOMY_TEST_POSTGRES, a throw-away database)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
bench_build bench/Ledger
dotnet bench/Ledger/bin/Release/net10.0/Autonomy.Bench.Ledger.dll --stores "${BENCH_STORES:-sqlite,postgres}" \
  --entries "${1:-20000}" --appenders "${2:-64,512}" --rounds "${3:-3}" --per-append "${4:-1}" --ceiling-batch "${BENCH_CEILING_BATCH:-4096}" \
  --json "$out/ledger-$stamp.json" --md "$out/ledger-$stamp.md"
echo "results: $out/ledger-$stamp.json, $out/ledger-$stamp.md" >&2
