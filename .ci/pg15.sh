# Sourced by .ci/run: a throw-away PostgreSQL 15 cluster for the suite's "15 or newer" run.
# Installs Debian's postgresql-15 when its binaries are missing; sets PG15_URL; pg15_stop removes it.

PG15_BIN=${PG15_BIN:-/usr/lib/postgresql/15/bin}
PG15_DIR='' PG15_URL=''

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg15_start() {
  if [ ! -x "$PG15_BIN/postgres" ]; then
    echo "ci: installing postgresql-15"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null
  fi
  [ "$(id -u)" != 0 ] || id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  PG15_DIR=$(mktemp -d /tmp/lotline-pg15.XXXXXX)
  [ "$(id -u)" != 0 ] || chown postgres "$PG15_DIR"
  local port=$((40000 + RANDOM % 10000))
  as_pg "$PG15_BIN/initdb" -D "$PG15_DIR/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  as_pg "$PG15_BIN/pg_ctl" -D "$PG15_DIR/data" -l "$PG15_DIR/log" -w -o \
    "-p $port -k $PG15_DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null
  PG15_URL="postgres://postgres@127.0.0.1:$port/postgres"
  echo "ci: PostgreSQL $(as_pg "$PG15_BIN/postgres" --version | awk '{print $3}') on port $port"
}

pg15_stop() {
  [ -n "$PG15_DIR" ] || return 0
  as_pg "$PG15_BIN/pg_ctl" -D "$PG15_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG15_DIR"
  PG15_DIR=''
}
