#!/usr/bin/env bash
# The pure core in BenchmarkDotNet (0.15.8): policy evaluation, budget check, cost gate, trigger OnSignal, heat;
# mean, median and bytes allocated per call. Not part of the test run. Results (Markdown, CSV, JSON) in
# BenchmarkDotNet.Artifacts/results/ (gitignored).
#   bash bench/core.sh                       every benchmark, BenchmarkDotNet's default job, in process
#   bash bench/core.sh --filter '*Policy*'   one group; any BenchmarkDotNet option (--job short for a quick look)
# In process: on a loaded machine BenchmarkDotNet's own build of a generated project outruns its 2-minute timeout.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build -c Release bench/Autonomy.Benchmarks -v q >/dev/null
cd bench/Autonomy.Benchmarks/bin/Release/net10.0
# Every benchmark unless a --filter is given (BenchmarkDotNet would otherwise ask which to run).
case " $* " in *" --filter "*) ;; *) set -- "$@" --filter '*' ;; esac
dotnet Autonomy.Benchmarks.dll --inProcess "$@" --artifacts "$(cd ../../../../.. && pwd)/BenchmarkDotNet.Artifacts"
