#!/usr/bin/env bash
# Runs every test of the solution. Extra arguments go to `dotnet test`.
set -euo pipefail
cd "$(dirname "$0")"
dotnet build Autonomy.sln -c Release
dotnet test Autonomy.sln -c Release --no-build --logger trx "$@"
