#!/usr/bin/env bash
# Runs every test of the solution (the command CI runs). Extra arguments go to `dotnet test`.
# The cluster-mode tests need PostgreSQL: set AUTONOMY_TEST_POSTGRES to an Npgsql connection string of a role
# that may create databases, or let this script install (as root, on Debian), start and prepare the local server.
set -euo pipefail
cd "$(dirname "$0")"

if [ -z "${AUTONOMY_TEST_POSTGRES:-}" ]; then
  bash deploy/local-postgres.sh
  export AUTONOMY_TEST_POSTGRES="Host=127.0.0.1;Port=5432;Username=autonomy;Password=autonomy"
fi

# The README walkthrough's test runs its curl commands as written.
if ! command -v curl >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null
  else
    echo "curl is not installed: the README walkthrough's test needs it (apt-get install curl)." >&2
  fi
fi

dotnet build Autonomy.sln -c Release

# One project after another, each with its own TRX file, so results never overwrite each other and the
# PostgreSQL-backed clusters of different projects do not compete for the two cores.
status=0
for project in tests/*.Tests/*.csproj; do
  name=$(basename "$project" .csproj)
  dotnet test "$project" -c Release --no-build --logger "trx;LogFileName=$name.trx" "$@" || status=$?
done
exit "$status"
