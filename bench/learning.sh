#!/usr/bin/env bash
# The learning benchmark: synthetic sellers with hidden tastes, outcomes through the real core (ranking log,
# policy, taxonomy, dataset, trainer), the prior and each learned version on held-out accounts, sellers and days,
# the promotion gate's verdicts (an injected inverted model must be blocked) and the time to calibrate on
# 100,000 outcomes. Prints a markdown report; exits 1 when a target is missed.
#   bash bench/learning.sh
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build -c Release bench/LearningBench -v q >/dev/null
dotnet bench/LearningBench/bin/Release/net10.0/Autonomy.LearningBench.dll "$@"
