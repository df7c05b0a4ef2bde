#!/usr/bin/env bash
# Mutation testing of the pure core with Stryker.NET (docs/mutation-testing.md). Not part of .ci/run: it is slow.
#   bash bench/mutation.sh [options] [Folder ...]
# Folders are under src/Core; the default is the pure core: Policy Budgets CostGate Triggers. Each folder is
# mutated in a run of its own against tests/Autonomy.Core.Tests, with its reports in
# StrykerReports/<folder>/reports/ (gitignored); the score per folder is printed at the end.
# Options:
#   --account          also mutate the account grain's execution path (AccountGrain.Run.cs and .Execute.cs)
#                      against the account tests of tests/Autonomy.Grains.Tests (slow: Orleans clusters per mutant)
#   --only-account     only that run
#   --concurrency N    parallel test runners (default 1; the machine is shared)
#   --level L          Stryker mutation level: Basic, Standard (default), Advanced, Complete
#   --out DIR          report folder (default StrykerReports)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

concurrency=1
level=Standard
out=StrykerReports
account=0
core=1
folders=()
while [ $# -gt 0 ]; do
  case "$1" in
    --account) account=1 ;;
    --only-account) account=1; core=0 ;;
    --concurrency) concurrency=$2; shift ;;
    --level) level=$2; shift ;;
    --out) out=$2; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) folders+=("${1%/}") ;;
  esac
  shift
done
[ ${#folders[@]} -gt 0 ] || folders=(Policy Budgets CostGate Triggers)

for f in "${folders[@]}"; do
  [ -d "src/Core/$f" ] || { echo "no folder src/Core/$f" >&2; exit 2; }
done
command -v jq >/dev/null || { echo "jq is needed to read the reports (apt-get install jq)" >&2; exit 2; }

dotnet tool restore >/dev/null
mkdir -p "$out"
out=$(cd "$out" && pwd)

# One Stryker run: $1 name, $2 mutated project, $3 test project, $4 test filter, then the mutate globs.
run() {
  local name=$1 project=$2 tests=$3 filter=$4
  shift 4
  local globs=()
  for g in "$@"; do globs+=(--mutate "$g"); done
  rm -rf "${out:?}/$name"
  echo "== $name: mutating $* against $tests"
  local args=(--config-file "$root/bench/stryker-config.json" --project "$project" --test-project "$root/$tests"
    --concurrency "$concurrency" --mutation-level "$level" --output "$out/$name" --skip-version-check)
  [ -n "$filter" ] && args+=(--test-case-filter "$filter")
  # Stryker finds the mutated project among the test project's references; run it from the test project.
  (cd "$root/$(dirname "$tests")" && dotnet stryker "${args[@]}" "${globs[@]}") || echo "== $name: Stryker failed (exit $?)" >&2
}

ran=()
if [ "$core" = 1 ]; then
  for f in "${folders[@]}"; do
    run "$f" Autonomy.Core.csproj tests/Autonomy.Core.Tests/Autonomy.Core.Tests.csproj '' "**/Core/$f/**/*.cs"
    ran+=("$f")
  done
fi
if [ "$account" = 1 ]; then
  # The account tests run the flow in an in-process cluster; the cluster tests (real processes, silo kills) are
  # about failover, not the flow, and would take minutes per mutant. PostgreSQL as for test.sh, if they need it.
  run Accounts.Run Autonomy.Grains.csproj tests/Autonomy.Grains.Tests/Autonomy.Grains.Tests.csproj 'FullyQualifiedName~Autonomy.Tests.Accounts' \
    '**/Grains/Accounts/AccountGrain.Run.cs' '**/Grains/Accounts/AccountGrain.Execute.cs'
  ran+=(Accounts.Run)
fi

# Score as Stryker counts it: detected (killed, timeout) over detected plus undetected (survived, no coverage);
# mutants that do not compile or are ignored are left out.
echo
printf '%-14s %7s %7s %8s %9s %9s %8s\n' folder score killed timeout survived nocover total
for name in "${ran[@]}"; do
  report="$out/$name/reports/mutation-report.json"
  if [ ! -f "$report" ]; then
    printf '%-14s %7s\n' "$name" "no report"
    continue
  fi
  jq -r --arg name "$name" '
    [.files[].mutants[].status] as $s
    | ($s | map(select(. == "Killed")) | length) as $k
    | ($s | map(select(. == "Timeout")) | length) as $t
    | ($s | map(select(. == "Survived")) | length) as $sv
    | ($s | map(select(. == "NoCoverage")) | length) as $n
    | ($k + $t + $sv + $n) as $all
    | [$name, (if $all == 0 then "n/a" else ((($k + $t) * 10000 / $all | floor) / 100 | tostring) + "%" end), $k, $t, $sv, $n, $all]
    | @tsv' "$report" | awk -F'\t' '{ printf "%-14s %7s %7s %8s %9s %9s %8s\n", $1, $2, $3, $4, $5, $6, $7 }'
done
echo "reports: $out/<folder>/reports/mutation-report.html"
