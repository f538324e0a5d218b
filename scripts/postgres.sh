#!/usr/bin/env bash
# Start a throwaway local PostgreSQL (initdb into a temp dir, trust auth, 127.0.0.1 only) and
# print the TARGET_POSTGRES_* variables for `meltano run tap-miso target-postgres`.
#   eval "$(scripts/postgres.sh start)"     then   scripts/postgres.sh stop "$PGDATA_DIR"
# Installs Debian's postgresql package when the server binaries are missing (as root).
set -euo pipefail
cmd="${1:-start}"
bindir="${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)}"
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    bindir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  else
    echo "PostgreSQL server binaries not found; install postgresql or set PG_BINDIR" >&2
    exit 1
  fi
fi
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
  start)
    dir="$(mktemp -d /tmp/tap-miso-pg.XXXXXX)"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >/dev/null
    as_owner "$bindir/pg_ctl" -D "$dir/data" -w -l "$dir/server.log" start \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1" >/dev/null
    "$bindir/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "CREATE DATABASE miso"
    cat <<VARS
export PGDATA_DIR=$dir
export TARGET_POSTGRES_HOST=127.0.0.1
export TARGET_POSTGRES_PORT=$port
export TARGET_POSTGRES_USER=postgres
export TARGET_POSTGRES_PASSWORD=unused-trust-auth
export TARGET_POSTGRES_DATABASE=miso
VARS
    ;;
  stop)
    dir="${2:?usage: scripts/postgres.sh stop PGDATA_DIR}"
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast stop >/dev/null || true
    rm -rf "$dir"
    ;;
  *) echo "usage: scripts/postgres.sh start | stop PGDATA_DIR" >&2; exit 2 ;;
esac
