#!/usr/bin/env bash
# Installs (Debian packages) and starts PostgreSQL and Redis on loopback for the server-mode tests.
# Idempotent: safe to run on a machine where they are already installed or running.
set -euo pipefail

need=()
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# PostgreSQL refuses to run as root; pg_ctlcluster runs it as the postgres user.
ver=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -q "^$ver main$"; then
  pg_createcluster "$ver" main >/dev/null
fi
pg_ctlcluster "$ver" main start 2>/dev/null || true
for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -q && break; sleep 1; done
pg_isready -h 127.0.0.1 -q || { echo "PostgreSQL did not start" >&2; exit 1; }
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='till'\"" | grep -q 1 ||
  su postgres -c "psql -qc \"CREATE ROLE till LOGIN SUPERUSER PASSWORD 'till'\""
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='till'\"" | grep -q 1 ||
  su postgres -c "psql -qc 'CREATE DATABASE till OWNER till'"

if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save '' --appendonly no >/dev/null
fi
for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 1; done
redis-cli -h 127.0.0.1 ping >/dev/null || { echo "Redis did not start" >&2; exit 1; }
echo "PostgreSQL: postgres://till:till@127.0.0.1:5432/till   Redis: redis://127.0.0.1:6379"
