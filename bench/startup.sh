#!/usr/bin/env bash
# bench/startup.sh: how long `fairreg serve` takes from exec to a 200 on
# /readyz (which needs a database connection), against the baseline of the
# database's own connect time (psql running `SELECT 1`) measured in the same
# run.  DESIGN.md's target: under 200 ms plus that connect time.
#
# Called by bench/run.sh inside a throwaway cluster (PG* set); runs alone too:
#   pg_virtualenv -t -v 15 bench/startup.sh [RUNS]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${FAIRREG_BIN:-$ROOT/build/fairreg}
RUNS=${1:-20}
PORT=${BENCH_STARTUP_PORT:-18931}
DB=bench_startup

now_ns() { date +%s%N; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

dropdb --if-exists "$DB" >/dev/null 2>&1 || true
createdb -E UTF8 --locale=C.UTF-8 -T template0 "$DB"
PGDATABASE=$DB "$BIN" migrate >/dev/null

serve_ms=()
connect_ms=()
for _ in $(seq "$RUNS"); do
  t0=$(now_ns)
  PGDATABASE=$DB FAIRREG_LISTEN=127.0.0.1:$PORT "$BIN" serve 2>/dev/null &
  pid=$!
  until curl -fs -o /dev/null "http://127.0.0.1:$PORT/readyz"; do
    kill -0 "$pid" 2>/dev/null || { echo "startup: the server died" >&2; exit 1; }
  done
  t1=$(now_ns)
  kill -TERM "$pid"
  wait "$pid"
  serve_ms+=("$(( (t1 - t0) / 1000 ))")

  t0=$(now_ns)
  PGDATABASE=$DB psql -qAtX -c 'SELECT 1' >/dev/null
  t1=$(now_ns)
  connect_ms+=("$(( (t1 - t0) / 1000 ))")
done
dropdb "$DB"

serve=$(printf '%s\n' "${serve_ms[@]}" | median)
connect=$(printf '%s\n' "${connect_ms[@]}" | median)
awk -v s="$serve" -v c="$connect" -v n="$RUNS" 'BEGIN {
  printf "startup: exec to /readyz 200: median %.1f ms over %d runs\n", s / 1000, n
  printf "startup: baseline, psql connect + SELECT 1: median %.1f ms\n", c / 1000
  printf "startup: fairreg minus baseline: %.1f ms (target < 200 ms); ratio %.2f\n", (s - c) / 1000, s / c
}'
