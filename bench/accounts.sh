#!/usr/bin/env bash
# Activation rate and memory per account as a curve: an embedded silo (shipped defaults) in the benchmark's own
# process, new accounts by their first signal from 64 concurrent callers; at each milestone the rate of the segment
# (p50, p99, max), RSS and managed heap per account (after the write-behind snapshots and a full GC), activations,
# stored state bytes per account and the SQLite files. A progress line while it runs; a Markdown table at the end;
# writes bench/results/accounts-<time>.json and .md.
#   bash bench/accounts.sh [milestones] [silo settings ...]   (default 10000,100000; e.g. 10000,100000,1000000)
#   Stops before the next milestone once RSS passes --max-rss-mb (6000), so a 1M run cannot take the machine.
#   Each point has the segment's GC pauses (count, total, longest, and every pause of 200 ms or more with its generation,
#   kind and reason) and Orleans' reminder ticks delivered; --hold-minutes N then runs N minutes with no new accounts.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
bench_build bench/Accounts
milestones=${1:-10000,100000}
shift || true
dotnet bench/Accounts/bin/Release/net10.0/Autonomy.Bench.Accounts.dll --milestones "$milestones" \
  --json "$out/accounts-$stamp.json" --md "$out/accounts-$stamp.md" "$@"
echo "results: $out/accounts-$stamp.json, $out/accounts-$stamp.md" >&2
