# Sourced by the benchmark scripts once they are at the repository root: sets out (bench/results, created) and stamp
# (the UTC time that names this run's result files); bench_build PROJECT ... builds each project in Release, quietly.
out=bench/results
mkdir -p "$out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)

bench_build() {
  local project
  for project in "$@"; do
    dotnet build -c Release "$project" -v q >/dev/null
  done
}
