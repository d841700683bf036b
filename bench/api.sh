#!/usr/bin/env bash
# bench/api.sh (`make bench-api`, and part of `make bench`): the public API
# under load, against its baselines, in one run on one throwaway cluster.
#
#   1. a registry of 100,000 agencies and 150,000 licences with names in every
#      script of the region (tests/data/gen/bench-registry.js, deterministic),
#      loaded through the importer (`fairreg import`, one list per authority);
#   2. with wrk (2 threads, 64 connections, a random key per request from
#      bench/wrk/paths.lua, wrk pinned to core 1 with taskset):
#        (a) licence lookup  GET /v1/licences?number=  on fairreg
#        (b) name search     GET /v1/agencies?q=       on fairreg
#        (c) the same two on the Node.js baseline (bench/baseline: fastify +
#            pg, an indexed join and a pg_trgm similarity query, same database)
#        (d) nginx serving a static 1 KB JSON file: the HTTP ceiling
#   3. the same search over 1,000,000 agencies for its p95: the 100k registry
#      grown tenfold in SQL (each agency copied nine times with its letters
#      rotated, so every copy has names of its own), since the importer takes
#      minutes per 100k agencies on this machine;
#   4. the ratios against the targets of DESIGN.md section 10, and the
#      server's peak resident memory (VmHWM) on the 100k registry.
#
# Rate limiting is off (FAIRREG_PUBLIC_PER_MINUTE=0).  Knobs (environment):
#   BENCH_SECONDS (15)  per wrk run      BENCH_1M (1)  0 skips step 3
#   BENCH_AGENCIES (100000)  BENCH_LICENCES (150000)
#   BENCH_PGPORT (pg_virtualenv's choice)  the throwaway cluster's port
# Generated registries are kept in build/bench-data/ between runs.  Results:
# the table below, and build/bench-results/api-*.txt.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

if [ -z "${BENCH_IN_CLUSTER:-}" ]; then
  command -v pg_virtualenv >/dev/null || { echo "api: pg_virtualenv is missing (make deps)" >&2; exit 1; }
  BENCH_IN_CLUSTER=1 exec pg_virtualenv -t -v 15 ${BENCH_PGPORT:+-o "port=$BENCH_PGPORT"} -- "$0" "$@"
fi

BIN=${FAIRREG_BIN:-$ROOT/build/fairreg}
SECONDS_PER_RUN=${BENCH_SECONDS:-15}
AGENCIES=${BENCH_AGENCIES:-100000}
LICENCES=${BENCH_LICENCES:-150000}
DATA=$ROOT/build/bench-data/registry-$AGENCIES-$LICENCES
OUT=$ROOT/build/bench-results
WORK=$(mktemp -d /tmp/fairreg-bench-api.XXXXXX)
DB=bench_api
DB1M=bench_api_1m
PIDS=()

say() { printf 'api: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

for tool in wrk taskset node nginx curl; do
  command -v "$tool" >/dev/null || die "$tool is missing (make deps)"
done
[ -x "$BIN" ] || die "$BIN is missing (make all)"
[ -d bench/baseline/node_modules ] \
  || (cd bench/baseline && NPM_CONFIG_LOGLEVEL=error npm ci --no-audit --no-fund >/dev/null) \
  || die "cannot install the baseline's packages (bench/baseline: npm ci)"
mkdir -p "$OUT"

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}

wait_http() { # URL SECONDS PID
  local i
  for i in $(seq $(($2 * 10))); do
    curl -fs -o /dev/null "$1" && return 0
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# ---- 1. the registry ------------------------------------------------------
if [ ! -f "$DATA/search.txt" ]; then
  say "generating $AGENCIES agencies, $LICENCES licences into ${DATA#"$ROOT"/}"
  node tests/data/gen/bench-registry.js --agencies "$AGENCIES" --licences "$LICENCES" --out "$DATA" >&2
fi
dropdb --if-exists "$DB" >/dev/null 2>&1 || true
createdb -E UTF8 --locale=C.UTF-8 -T template0 "$DB"
PGDATABASE=$DB "$BIN" migrate >/dev/null
say "importing through fairreg import"
t0=$(date +%s)
for file in "$DATA"/*.xml; do
  PGDATABASE=$DB "$BIN" import --authority "$(basename "$file" .xml)" "$file" >"$WORK/import.log" 2>&1 \
    || { cat "$WORK/import.log" >&2; die "import of $file failed"; }
done
IMPORT_S=$(($(date +%s) - t0))
# A live registry's history is kept up to date with what the dates change
# by its servers (fr_record_date_transitions, server/date_transitions.c):
# catch the freshly loaded one up first, as they would have long ago, so
# that the server measured does not start by writing (and rebuilding).
catch_up_dates() { # DATABASE
  psql -qAtX -v ON_ERROR_STOP=1 -d "$1" -c 'SELECT recorded FROM fr_record_date_transitions()' >/dev/null
}
catch_up_dates "$DB"
psql -qX -d "$DB" -c 'VACUUM ANALYZE' >/dev/null
COUNTS=$(psql -qAtX -d "$DB" -c "SELECT (SELECT count(*) FROM agency) || ' agencies, ' || (SELECT count(*) FROM licence) || ' licences, ' || (SELECT count(*) FROM agency_name) || ' other names'")
say "loaded $COUNTS in ${IMPORT_S}s"
if [ "${BENCH_1M:-1}" != 0 ]; then
  dropdb --if-exists "$DB1M" >/dev/null 2>&1 || true
  createdb -T "$DB" "$DB1M" # now, while nothing is connected to $DB
fi

# ---- the three servers ------------------------------------------------------
start_fairreg() { # DATABASE LOGFILE -> sets FAIRREG_URL, FAIRREG_PID
  local port
  port=$(free_port)
  PGDATABASE=$1 FAIRREG_LISTEN=127.0.0.1:$port FAIRREG_THREADS=4 FAIRREG_PUBLIC_PER_MINUTE=0 \
    "$BIN" serve 2>"$2" &
  FAIRREG_PID=$!
  PIDS+=("$FAIRREG_PID")
  FAIRREG_URL=http://127.0.0.1:$port
  wait_http "$FAIRREG_URL/healthz" 20 "$FAIRREG_PID" || { cat "$2" >&2; die "fairreg did not start"; }
  # searches use the database until the index is built: wait for it
  local i
  for i in $(seq 1800); do
    grep -q '"search index: ' "$2" && return 0
    sleep 0.2
  done
  die "the search index was not built within 6 minutes"
}

start_fairreg "$DB" "$WORK/fairreg.log"
INDEX_LINE=$(grep -o 'search index: [^"]*' "$WORK/fairreg.log" | tail -1)
say "fairreg at $FAIRREG_URL; $INDEX_LINE"

BASE_PORT=$(free_port)
PGDATABASE=$DB BASELINE_PORT=$BASE_PORT node bench/baseline/server.js 2>"$WORK/baseline.log" &
PIDS+=("$!")
BASE_URL=http://127.0.0.1:$BASE_PORT
wait_http "$BASE_URL/healthz" 20 "$!" || { cat "$WORK/baseline.log" >&2; die "the baseline did not start"; }

NGINX_PORT=$(free_port)
mkdir -p "$WORK/nginx/www"
chmod 755 "$WORK" "$WORK/nginx" "$WORK/nginx/www" # nginx's workers drop root
# 1 KB of JSON, the size of a licence lookup's answer
node -e 'let o={items:[{id:1,number:"DMW-0123-LB-031520-R",authority:{code:"PH-DMW",country:"PH",name:"Department of Migrant Workers"},status:"active",valid_until:"2028-03-14",history:[]}],pad:""};o.pad="x".repeat(1024-JSON.stringify(o).length);process.stdout.write(JSON.stringify(o));' >"$WORK/nginx/www/static.json"
cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes 2;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
daemon off;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/json;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $WORK/nginx/www;
  }
}
EOF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" &
PIDS+=("$!")
NGINX_URL=http://127.0.0.1:$NGINX_PORT
wait_http "$NGINX_URL/static.json" 10 "$!" || die "nginx did not start"

# ---- 2. the runs ------------------------------------------------------------
# run NAME URL [PATHS]: wrk pinned to core 1; prints "rps p50 p95 p99 errors"
run() {
  local name=$1 url=$2 paths=${3:-} log="$OUT/api-$1.txt"
  if [ -n "$paths" ]; then
    taskset -c 1 wrk -t2 -c64 -d"$SECONDS_PER_RUN"s --latency -s bench/wrk/paths.lua "$url" -- "$paths" >"$log" 2>&1
  else
    taskset -c 1 wrk -t2 -c64 -d"$SECONDS_PER_RUN"s --latency -s bench/wrk/static.lua "$url" >"$log" 2>&1
  fi
  local line
  line=$(grep '^RESULT' "$log") || { cat "$log" >&2; die "wrk gave no result for $name"; }
  echo "$line" | sed -E 's/.*rps=([0-9.]+) p50_ms=([0-9.]+) p95_ms=([0-9.]+) p99_ms=([0-9.]+) errors=([0-9]+).*/\1 \2 \3 \4 \5/'
}

warm() { # URL PATHS [SECONDS]: the paths in order, so that caches, plans and JIT are warm
  taskset -c 1 wrk -t2 -c64 -d"${3:-3}"s -s bench/wrk/paths.lua "$1" -- "$2" in-order >/dev/null 2>&1 || true
}

# cache_lookups: "hits misses" of fairreg's response cache so far (/metrics)
cache_lookups() {
  curl -fs "$FAIRREG_URL/metrics" | awk '
    /^fairreg_cache_lookups_total\{result="hit"\}/ { h = $2 }
    /^fairreg_cache_lookups_total\{result="(miss|outdated)"\}/ { m += $2 }
    END { printf "%d %d\n", h, m }'
}

# settle: waits until the database has had no query running for a second
# (at most two minutes).  wrk stops sending when its run ends, but a server
# still works through what it had queued: the baseline's search backlog runs
# on in PostgreSQL for seconds, and must not land in the next run's figures.
settle() {
  local quiet=0 i active
  for i in $(seq 600); do
    active=$(psql -qAtX -d "$DB" -c "SELECT count(*) FROM pg_stat_activity
      WHERE state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid()")
    if [ "$active" = 0 ]; then
      quiet=$((quiet + 1))
      [ "$quiet" -ge 5 ] && return 0
    else
      quiet=0
    fi
    sleep 0.2
  done
  say "warning: the database was still busy after two minutes"
}

# Each target is warmed just before it is measured, with the paths in order:
# long enough, for the lookup, for the first pass (all misses) to reach
# every path.  Each warm-up and each run starts on a settled database.
say "measuring, ${SECONDS_PER_RUN}s a run, each after its warm-up"
settle; warm "$FAIRREG_URL" "$DATA/lookup.txt" 10
settle
read -r HITS0 MISSES0 < <(cache_lookups)
read -r F_LOOK_RPS F_LOOK_P50 F_LOOK_P95 F_LOOK_P99 F_LOOK_ERR < <(run fairreg-lookup "$FAIRREG_URL" "$DATA/lookup.txt")
read -r HITS1 MISSES1 < <(cache_lookups)
settle; warm "$FAIRREG_URL" "$DATA/search.txt"
settle
read -r F_SRCH_RPS F_SRCH_P50 F_SRCH_P95 F_SRCH_P99 F_SRCH_ERR < <(run fairreg-search "$FAIRREG_URL" "$DATA/search.txt")
settle; warm "$BASE_URL" "$DATA/lookup.txt"
settle
read -r B_LOOK_RPS B_LOOK_P50 B_LOOK_P95 B_LOOK_P99 B_LOOK_ERR < <(run baseline-lookup "$BASE_URL" "$DATA/lookup.txt")
settle; warm "$BASE_URL" "$DATA/search.txt"
settle
read -r B_SRCH_RPS B_SRCH_P50 B_SRCH_P95 B_SRCH_P99 B_SRCH_ERR < <(run baseline-search "$BASE_URL" "$DATA/search.txt")
settle
read -r N_RPS N_P50 N_P95 N_P99 N_ERR < <(run nginx-static "$NGINX_URL/static.json")
RSS_KB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$FAIRREG_PID/status")
kill -TERM "$FAIRREG_PID"
wait "$FAIRREG_PID" || true
CACHE_LINE=$(grep -o 'cache: [0-9]* hits[^"]*' "$WORK/fairreg.log" | tail -1 || true)

# ---- 3. search over 1,000,000 agencies ---------------------------------------
S1M="skipped (BENCH_1M=0)"
if [ "${BENCH_1M:-1}" != 0 ]; then
  say "growing the registry to 1,000,000 agencies in SQL"
  t0=$(date +%s)
  psql -qX -v ON_ERROR_STOP=1 -d "$DB1M" -f bench/grow-registry.sql >"$WORK/grow.log" 2>&1 \
    || { cat "$WORK/grow.log" >&2; die "growing the registry failed"; }
  catch_up_dates "$DB1M"
  GROW_S=$(($(date +%s) - t0))
  # the search paths of the 1M registry: the same queries, and the same
  # queries with the letters of each copy rotated
  node bench/grow-queries.js "$DATA/search.txt" >"$WORK/search-1m.txt"
  start_fairreg "$DB1M" "$WORK/fairreg-1m.log"
  INDEX_1M=$(grep -o 'search index: [^"]*' "$WORK/fairreg-1m.log" | tail -1)
  say "1M: grown in ${GROW_S}s; $INDEX_1M"
  settle; warm "$FAIRREG_URL" "$WORK/search-1m.txt"
  settle
  read -r M_RPS M_P50 M_P95 M_P99 M_ERR < <(run fairreg-search-1m "$FAIRREG_URL" "$WORK/search-1m.txt")
  RSS_1M_KB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$FAIRREG_PID/status")
  kill -TERM "$FAIRREG_PID"
  wait "$FAIRREG_PID" || true
  S1M="$M_RPS req/s, p50 $M_P50 ms, p95 $M_P95 ms, p99 $M_P99 ms, errors $M_ERR (target p95 < 50 ms); peak RSS $((RSS_1M_KB / 1024)) MB"
fi

# ---- 4. the report ------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }
verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { ok = (op == ">=") ? v >= t : v < t; print ok ? "met" : "NOT met" }'; }
{
  echo "== bench-api: $COUNTS (imported in ${IMPORT_S}s); wrk -t2 -c64 -d${SECONDS_PER_RUN}s pinned to core 1 =="
  printf '%-26s %10s %9s %9s %9s %7s\n' "" "req/s" "p50 ms" "p95 ms" "p99 ms" "errors"
  printf '%-26s %10s %9s %9s %9s %7s\n' "fairreg licence lookup" "$F_LOOK_RPS" "$F_LOOK_P50" "$F_LOOK_P95" "$F_LOOK_P99" "$F_LOOK_ERR"
  printf '%-26s %10s %9s %9s %9s %7s\n' "fairreg name search" "$F_SRCH_RPS" "$F_SRCH_P50" "$F_SRCH_P95" "$F_SRCH_P99" "$F_SRCH_ERR"
  printf '%-26s %10s %9s %9s %9s %7s\n' "baseline licence lookup" "$B_LOOK_RPS" "$B_LOOK_P50" "$B_LOOK_P95" "$B_LOOK_P99" "$B_LOOK_ERR"
  printf '%-26s %10s %9s %9s %9s %7s\n' "baseline name search" "$B_SRCH_RPS" "$B_SRCH_P50" "$B_SRCH_P95" "$B_SRCH_P99" "$B_SRCH_ERR"
  printf '%-26s %10s %9s %9s %9s %7s\n' "nginx static 1 KB" "$N_RPS" "$N_P50" "$N_P95" "$N_P99" "$N_ERR"
  echo "lookup vs baseline: $(ratio "$F_LOOK_RPS" "$B_LOOK_RPS")x (target >= 3: $(verdict "$(ratio "$F_LOOK_RPS" "$B_LOOK_RPS")" 3 '>='))"
  echo "lookup p99: $F_LOOK_P99 ms (target < 10: $(verdict "$F_LOOK_P99" 10 '<')); cache during the run: $((HITS1 - HITS0)) hits, $((MISSES1 - MISSES0)) misses"
  echo "lookup vs nginx: $(ratio "$F_LOOK_RPS" "$N_RPS") (aim 0.5)"
  echo "search vs baseline: $(ratio "$F_SRCH_RPS" "$B_SRCH_RPS")x (target >= 10: $(verdict "$(ratio "$F_SRCH_RPS" "$B_SRCH_RPS")" 10 '>='))"
  echo "search over 1M agencies: $S1M"
  echo "fairreg peak RSS on the 100k registry: $((RSS_KB / 1024)) MB (target < 128: $(verdict "$((RSS_KB / 1024))" 128 '<'))"
  echo "fairreg: $INDEX_LINE"
  [ -z "$CACHE_LINE" ] || echo "fairreg: $CACHE_LINE"
} | tee "$OUT/api-summary.txt"
