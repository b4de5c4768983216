#!/usr/bin/env bash
# Starts a PostgreSQL server for VAE Lab's tests and prints its URI on the last line of stdout.
# Idempotent: a cluster already created or running is reused. Shared by .ci/run and by developers
# (`eval "$(scripts/ci/start-postgres.sh --env)"` exports VAE_LAB_TEST_POSTGRES).
#
# It uses Debian's postgresql packages (pg_createcluster / pg_ctlcluster): a cluster of its own,
# named vaelab on port 54329 unless VAE_LAB_PG_CLUSTER / VAE_LAB_PG_PORT say otherwise, so a
# server someone else runs (the default "main" on 5432) is never touched. The test role may create
# databases: every test file makes a fresh one and drops it afterwards.
set -euo pipefail
# Only the URI (or its export line) goes to stdout, which callers eval: every tool's own chatter
# (pg_ctlcluster prints "Removed stale pid file" to stdout) goes to stderr.
exec 3>&1 1>&2

VERSION=${VAE_LAB_PG_VERSION:-15}
CLUSTER=${VAE_LAB_PG_CLUSTER:-vaelab}
PORT=${VAE_LAB_PG_PORT:-54329}
ROLE=${VAE_LAB_PG_ROLE:-vaelab_test}
PASSWORD=${VAE_LAB_PG_PASSWORD:-vaelab_test}
DB=${VAE_LAB_PG_DB:-vaelab_test}

say() { echo "start-postgres: $*" >&2; }

if ! command -v pg_createcluster >/dev/null; then
  say "Debian's postgresql packages are not installed (apt-get install postgresql)"
  exit 1
fi

cluster_field() { # $1 = column of pg_lsclusters (3 port, 4 status)
  pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" -v f="$1" '$1 == v && $2 == c { print $f }'
}

if [ -z "$(cluster_field 3)" ]; then
  say "creating cluster $VERSION/$CLUSTER on port $PORT"
  pg_createcluster "$VERSION" "$CLUSTER" -p "$PORT" -- --auth-local=peer --auth-host=scram-sha-256 >/dev/null
  conf=/etc/postgresql/$VERSION/$CLUSTER/conf.d/vae-lab-tests.conf
  # Loopback only; room for the 16-worker benchmark and several test files at once.
  printf "listen_addresses = '127.0.0.1'\nmax_connections = 200\n" >"$conf"
fi
PORT=$(cluster_field 3)
if [ "$(cluster_field 4)" != online ]; then
  # A server killed without shutting down (or a machine image taken while one ran) leaves its
  # socket lock behind, and a new server refuses to start beside it. pg_ctlcluster clears the
  # stale pid file itself, not this lock.
  lock=/var/run/postgresql/.s.PGSQL.$PORT.lock
  if [ -f "$lock" ] && [ "$(cat "/proc/$(head -1 "$lock")/comm" 2>/dev/null)" != postgres ]; then
    say "removing the stale socket lock $lock"
    rm -f "$lock" "/var/run/postgresql/.s.PGSQL.$PORT"
  fi
  say "starting cluster $VERSION/$CLUSTER"
  pg_ctlcluster "$VERSION" "$CLUSTER" start 3>&-  # the server must not hold the caller's stdout open
fi

psql_admin() { runuser -u postgres -- psql -p "$PORT" -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }
for _ in $(seq 1 50); do psql_admin -c 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.2; done
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != 1 ]; then
  psql_admin -c "CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASSWORD'"
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]; then
  psql_admin -c "CREATE DATABASE $DB OWNER $ROLE"
fi

URI="postgres://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DB"
if [ "${1:-}" = --env ]; then echo "export VAE_LAB_TEST_POSTGRES='$URI'" >&3; else echo "$URI" >&3; fi
