#!/usr/bin/env bash
# Makes a local PostgreSQL ready for the tests: installs it when missing (root, Debian/Ubuntu), starts the
# newest cluster, and creates the role `autonomy` (password `autonomy`, may create databases). Re-runnable.
set -euo pipefail

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "PostgreSQL is not installed: install it (apt-get install postgresql) or set AUTONOMY_TEST_POSTGRES." >&2
    exit 1
  fi
  echo "Installing PostgreSQL..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

version=$(ls /etc/postgresql | sort -V | tail -n 1)
if [ -z "$version" ]; then
  echo "No PostgreSQL cluster found under /etc/postgresql." >&2
  exit 1
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" && $4 == "online"' | grep -q .; then
  echo "Starting PostgreSQL $version..."
  pg_ctlcluster "$version" main start
fi
for _ in $(seq 1 60); do
  pg_isready -q -h 127.0.0.1 -p 5432 && break
  sleep 0.5
done
pg_isready -h 127.0.0.1 -p 5432

as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -c "$1"; else sudo -u postgres sh -c "$1"; fi; }

# The test suites run several clusters at once (silos, gateways, processes), each with connection pools.
if [ "$(as_postgres "psql -tAc 'show max_connections'")" -lt 400 ]; then
  as_postgres "psql -q -c 'alter system set max_connections = 400'"
  pg_ctlcluster "$version" main restart
  for _ in $(seq 1 60); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
fi
if ! as_postgres "psql -tAc \"select 1 from pg_roles where rolname = 'autonomy'\"" | grep -q 1; then
  as_postgres "psql -q -c \"create role autonomy login createdb superuser password 'autonomy'\""
fi
