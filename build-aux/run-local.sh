#!/usr/bin/env bash
# run-local.sh: a local PostgreSQL 15 in ./var and fairreg serving from it.
#
#   build-aux/run-local.sh start    (`make run`, after building build/fairreg)
#   build-aux/run-local.sh stop     (`make stop`)
#   build-aux/run-local.sh status
#   build-aux/run-local.sh psql [PSQL ARGS...]
#   build-aux/run-local.sh env      (eval "$(build-aux/run-local.sh env)")
#
# `start` creates the cluster once in var/pgdata (no TCP port: its only socket
# is in var/run; log in var/log/postgresql.log), starts it unless it is already
# running, creates the database `fairreg` if missing, runs `fairreg migrate`,
# loads the demo registry when there is no agency yet, then runs `fairreg serve`
# in the foreground (Ctrl-C stops the server; `make stop` stops the database).
#
# As root the cluster belongs to the `postgres` user (initdb refuses root); as
# anyone else it belongs to that user. Either way its superuser is named
# postgres, and fairreg connects as it through the socket.
#
# Environment: FAIRREG_BIN (default build/fairreg), FAIRREG_LISTEN (default
# 127.0.0.1:8080).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VAR="$ROOT/var"
PGDATA_DIR="$VAR/pgdata"
SOCKET_DIR="$VAR/run"
LOG_DIR="$VAR/log"
LOG_FILE="$LOG_DIR/postgresql.log"
SERVER_PID_FILE="$SOCKET_DIR/fairreg.pid"
PGBIN=/usr/lib/postgresql/15/bin
PG_PORT=5432        # names the socket file only: the cluster listens on no TCP port
DB_NAME=fairreg
FAIRREG_BIN=${FAIRREG_BIN:-$ROOT/build/fairreg}
LISTEN=${FAIRREG_LISTEN:-127.0.0.1:8080}

say() { printf 'run-local: %s\n' "$*"; }
die() { printf 'run-local: error: %s\n' "$*" >&2; exit 1; }

# --- who runs PostgreSQL ----------------------------------------------------
if [ "$(id -u)" -eq 0 ]; then
  PG_OS_USER=postgres
  id "$PG_OS_USER" >/dev/null 2>&1 \
    || die "there is no 'postgres' user: install postgresql-15 (make deps)"
  as_pg() { runuser -u "$PG_OS_USER" -- "$@"; }
else
  PG_OS_USER=$(id -un)
  as_pg() { "$@"; }
fi

# The client side (psql, createdb, fairreg itself) reaches the cluster through
# these; DATABASE_URL would take precedence in fairreg, so it is dropped here.
export PGHOST="$SOCKET_DIR" PGPORT="$PG_PORT" PGDATABASE="$DB_NAME" PGUSER=postgres
unset PGHOSTADDR PGSERVICE PGPASSWORD PGSSLMODE DATABASE_URL FAIRREG_READ_DATABASE_URL

cluster_exists() { [ -f "$PGDATA_DIR/PG_VERSION" ]; }

cluster_running() {
  cluster_exists || return 1
  as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1
}

check_tools() {
  [ -x "$PGBIN/initdb" ] && [ -x "$PGBIN/pg_ctl" ] && [ -x "$PGBIN/psql" ] \
    || die "PostgreSQL 15 is not installed in $PGBIN: run 'make deps'"
  locale -a 2>/dev/null | grep -qix 'c\.utf-\?8' \
    || die "the C.UTF-8 locale is missing (it ships with libc-bin on Debian 12)"
}

# Creates var/ and hands the PostgreSQL parts to the cluster's owner.
make_dirs() {
  mkdir -p "$PGDATA_DIR" "$SOCKET_DIR" "$LOG_DIR"
  if [ "$(id -u)" -eq 0 ]; then
    chown "$PG_OS_USER:" "$PGDATA_DIR" "$SOCKET_DIR" "$LOG_DIR"
    as_pg test -x "$VAR" -a -w "$SOCKET_DIR" \
      || die "the postgres user cannot reach $SOCKET_DIR: give it search permission on every parent directory of $ROOT (chmod o+x DIR), or clone the project elsewhere (not under /root)"
  fi
  chmod 0700 "$PGDATA_DIR" "$SOCKET_DIR"
  local socket="$SOCKET_DIR/.s.PGSQL.$PG_PORT"
  [ "${#socket}" -le 100 ] \
    || die "the socket path $socket is too long for a Unix socket (over 100 bytes): move the project to a shorter path"
}

# The cluster's settings that depend on where the project is; rewritten on
# every start so that a moved work tree still works.
write_local_conf() {
  local dir=${SOCKET_DIR//\'/\'\'}
  as_pg tee "$PGDATA_DIR/fairreg-local.conf" >/dev/null <<EOF
# Written by build-aux/run-local.sh on every start: edits here are lost.
listen_addresses = ''
port = $PG_PORT
unix_socket_directories = '$dir'
unix_socket_permissions = 0700
EOF
}

create_cluster() {
  if [ -n "$(ls -A "$PGDATA_DIR" 2>/dev/null)" ]; then
    die "$PGDATA_DIR is not empty but holds no cluster (no PG_VERSION): remove it (rm -rf var/pgdata) and run again"
  fi
  say "creating a PostgreSQL 15 cluster in var/pgdata (owner: $PG_OS_USER, superuser: postgres)"
  # Trust on the Unix socket only: the socket lives in a 0700 directory that
  # only the cluster's owner (and root) can enter, and no TCP port is open.
  as_pg "$PGBIN/initdb" -D "$PGDATA_DIR" -U postgres --encoding=UTF8 \
    --locale=C.UTF-8 --auth-local=trust --auth-host=reject >"$LOG_DIR/initdb.log" 2>&1 \
    || { cat "$LOG_DIR/initdb.log" >&2; die "initdb failed (its output is above and in var/log/initdb.log)"; }
  printf "\n# fairreg: settings for the local cluster (build-aux/run-local.sh)\ninclude_if_exists = 'fairreg-local.conf'\n" \
    | as_pg tee -a "$PGDATA_DIR/postgresql.conf" >/dev/null
}

# Makes sure the cluster exists, runs and holds the database; used by start
# and psql.
db_up() {
  check_tools
  make_dirs
  cluster_exists || create_cluster
  if cluster_running; then
    say "PostgreSQL is already running (var/pgdata): reusing it"
  else
    write_local_conf
    say "starting PostgreSQL (log: var/log/postgresql.log)"
    if ! as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$LOG_FILE" -w -t 60 start >/dev/null; then
      tail -n 20 "$LOG_FILE" >&2 || true
      die "PostgreSQL did not start: the end of var/log/postgresql.log is above"
    fi
  fi
  local exists
  exists=$("$PGBIN/psql" -X -d postgres -tAc "select 1 from pg_database where datname = '$DB_NAME'") \
    || die "cannot connect to the local PostgreSQL through $SOCKET_DIR (see var/log/postgresql.log)"
  if [ "$exists" != 1 ]; then
    say "creating the database $DB_NAME"
    "$PGBIN/createdb" -E UTF8 --locale=C.UTF-8 -T template0 "$DB_NAME" \
      || die "createdb $DB_NAME failed"
  fi
}

# host and port of FAIRREG_LISTEN, as a client reaches them.
listen_host() {
  local h=${LISTEN%:*}
  h=${h#[}
  h=${h%]}
  case $h in
    ''|0.0.0.0|'*') h=127.0.0.1 ;;
    ::) h=::1 ;;
  esac
  printf '%s\n' "$h"
}
listen_port() { printf '%s\n' "${LISTEN##*:}"; }

port_in_use() {
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

# The pid of a `fairreg serve` that this script started, if it still runs.
server_pid() {
  local pid
  [ -f "$SERVER_PID_FILE" ] || return 1
  pid=$(cat "$SERVER_PID_FILE")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q ' serve' || return 1
  printf '%s\n' "$pid"
}

cmd_start() {
  local host port url
  host=$(listen_host)
  port=$(listen_port)
  [[ $port =~ ^[0-9]+$ ]] || die "FAIRREG_LISTEN=$LISTEN is not HOST:PORT (e.g. 127.0.0.1:8080)"
  case $host in *:*) url="http://[$host]:$port/" ;; *) url="http://$host:$port/" ;; esac

  [ -x "$FAIRREG_BIN" ] || die "$FAIRREG_BIN is missing or not executable: build it with 'make' (or run 'make run')"
  if port_in_use "$host" "$port"; then
    printf 'run-local: error: something is already listening on %s:%s.\n' "$host" "$port" >&2
    if command -v ss >/dev/null 2>&1; then
      ss -ltnpH "sport = :$port" 2>/dev/null | sed 's/^/    /' >&2 || true
    fi
    printf '  If it is an earlier `make run`, stop it (Ctrl-C in its terminal, or `make stop`);\n  or serve elsewhere: FAIRREG_LISTEN=127.0.0.1:8081 make run\n' >&2
    exit 1
  fi

  db_up
  say "applying migrations: $FAIRREG_BIN migrate"
  "$FAIRREG_BIN" migrate || die "'fairreg migrate' failed (its message is above)"
  local agencies
  agencies=$("$PGBIN/psql" -X -tAc "select count(*) from agency") \
    || die "cannot count agencies: did 'fairreg migrate' create the table agency?"
  if [ "$agencies" = 0 ]; then
    say "the registry is empty: loading the demo registry ($FAIRREG_BIN demo)"
    "$FAIRREG_BIN" demo || die "'fairreg demo' failed (its message is above)"
  fi

  echo
  echo "fairreg is serving at $url"
  echo "  Ctrl-C stops the server; 'make stop' stops it and the local PostgreSQL."
  echo "  'build-aux/run-local.sh psql' opens psql on the local database."
  echo
  echo "$$" >"$SERVER_PID_FILE"     # exec keeps this pid: `stop` can find the server
  export FAIRREG_LISTEN="$LISTEN"
  exec "$FAIRREG_BIN" serve
}

cmd_stop() {
  local pid i
  if pid=$(server_pid); then
    say "stopping fairreg serve (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      say "warning: fairreg (pid $pid) is still running after 5 s"
    fi
  fi
  rm -f "$SERVER_PID_FILE"
  if ! cluster_exists; then
    say "there is no local cluster in var/pgdata: nothing to stop"
  elif cluster_running; then
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null \
      || die "pg_ctl stop failed (see var/log/postgresql.log)"
    say "stopped the local PostgreSQL (var/pgdata)"
  else
    say "the local PostgreSQL (var/pgdata) is not running"
  fi
}

cmd_status() {
  local pid rc=0
  if ! cluster_exists; then
    say "PostgreSQL: no cluster yet in var/pgdata ('make run' creates it)"
    rc=3
  elif cluster_running; then
    say "PostgreSQL: running, socket in $SOCKET_DIR, database $DB_NAME, log var/log/postgresql.log"
  else
    say "PostgreSQL: stopped (var/pgdata); 'make run' starts it"
    rc=3
  fi
  if pid=$(server_pid); then
    say "fairreg: serving (pid $pid)"
  else
    say "fairreg: not running from 'make run'"
  fi
  return "$rc"
}

cmd_psql() {
  db_up >&2
  exec "$PGBIN/psql" -X "$@"
}

cmd_env() {
  printf 'export PGHOST=%q PGPORT=%q PGDATABASE=%q PGUSER=%q\n' \
    "$PGHOST" "$PGPORT" "$PGDATABASE" "$PGUSER"
}

usage() {
  echo "usage: build-aux/run-local.sh start|stop|status|psql [ARGS...]|env" >&2
  exit 2
}

cd "$ROOT"
[ "$#" -ge 1 ] || usage
command=$1
shift
case $command in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  psql) cmd_psql "$@" ;;
  env) cmd_env ;;
  *) usage ;;
esac
