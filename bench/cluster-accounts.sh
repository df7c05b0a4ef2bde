#!/usr/bin/env bash
# New accounts on a 2-silo PostgreSQL cluster: two silo processes and a gateway on a throw-away PostgreSQL database
# (AUTONOMY_TEST_POSTGRES; ProcessCluster, shipped defaults), each account brought in by its first signal posted over the
# HTTP API by 64 concurrent callers (an attempt that times out or answers 503 is retried, same signal id, counted). At each
# milestone: new accounts/s of the segment, p50/p99/max, non-2xx, each silo's RSS and RSS per account, account
# activations per silo (the management grain), database size per account. Then a second signal to 1,000 existing
# accounts (all 2xx?) and their ledger read back over the API (every acknowledged signal there?). A progress line while
# it runs, a Markdown table at the end; bench/results/cluster-accounts-<time>.json, .md and the hosts' logs (-<host>.log).
#   bash bench/cluster-accounts.sh [milestones] [options ...]   (default 10000,50000,100000)
#   options: --concurrency 64 --sample 1000 --settle 35 (s before memory is read) --attempt-timeout 30 --stall 120
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
bench_build src/Silo src/Gateway bench/ClusterAccounts
milestones=${1:-10000,50000,100000}
shift || true
dotnet bench/ClusterAccounts/bin/Release/net10.0/Autonomy.Bench.ClusterAccounts.dll --milestones "$milestones" \
  --json "$out/cluster-accounts-$stamp.json" --md "$out/cluster-accounts-$stamp.md" --logs "$out/cluster-accounts-$stamp" "$@"
echo "results: $out/cluster-accounts-$stamp.json, $out/cluster-accounts-$stamp.md" >&2
