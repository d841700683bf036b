#!/usr/bin/env bash
# bench/search-data.sh [BUILD]: the input of bench/search-micro.c, made once.
#
# Why: the end-to-end search benchmark (bench/api.sh) takes minutes, shares
# two cores with the load generator and measures wall-clock latency, which is
# too noisy to tell a 10% change in the search's CPU apart.  This script loads
# the same benchmark registry (tests/data/gen/bench-registry.js, through
# `fairreg import`), grows it to 1,000,000 agencies as bench/api.sh does
# (bench/grow-registry.sql), and writes what the search index is built from,
# already folded by the database's fr_fold, into BUILD/bench-data/search/:
#   agencies-100k.tsv, names-100k.tsv, queries-100k.txt  (and -1m)
# agencies: id, country, in_good_standing (t/f), fr_fold(name);
# names: agency_id, fr_fold(name); queries: fr_fold of each search query,
# one a line (COPY text format, so backslashes and tabs are escaped).
# Runs in a throwaway cluster on port 5621 (BENCH_PGPORT to change).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD=${1:-build}

if [ -z "${SEARCH_DATA_IN_CLUSTER:-}" ]; then
  SEARCH_DATA_IN_CLUSTER=1 exec pg_virtualenv -t -v 15 -o "port=${BENCH_PGPORT:-5621}" -- "$0" "$@"
fi

BIN=$ROOT/$BUILD/fairreg
DATA=$ROOT/$BUILD/bench-data/registry-100000-150000
OUT=$ROOT/$BUILD/bench-data/search
mkdir -p "$OUT"
[ -f "$DATA/search.txt" ] \
  || node tests/data/gen/bench-registry.js --agencies 100000 --licences 150000 --out "$DATA" >&2

DB=search_micro
createdb -E UTF8 --locale=C.UTF-8 -T template0 "$DB"
PGDATABASE=$DB "$BIN" migrate >/dev/null
for file in "$DATA"/*.xml; do
  PGDATABASE=$DB "$BIN" import --authority "$(basename "$file" .xml)" "$file" >/dev/null
done
psql -qX -d "$DB" -c 'VACUUM ANALYZE' >/dev/null

decode() { # the q= of each search path, one a line
  node -e 'const fs=require("fs");for(const l of fs.readFileSync(0,"utf8").split("\n"))if(l.startsWith("/v1/agencies?q="))console.log(decodeURIComponent(l.slice(15)).replace(/[\\\t\n\r]/g," "));'
}

dump() { # SUFFIX QUERYFILE
  psql -qX -v ON_ERROR_STOP=1 -d "$DB" <<EOF
\copy (SELECT id, country, in_good_standing, fr_fold(name) FROM pub_agency ORDER BY id) TO '$OUT/agencies-$1.tsv'
\copy (SELECT agency_id, fr_fold(name) FROM pub_agency_name) TO '$OUT/names-$1.tsv'
CREATE TEMP TABLE q (i serial, t text);
\copy q (t) FROM '$2'
\copy (SELECT fr_fold(t) FROM q ORDER BY i) TO '$OUT/queries-$1.txt'
EOF
}

decode <"$DATA/search.txt" >"$OUT/raw-100k.txt"
dump 100k "$OUT/raw-100k.txt"
psql -qX -v ON_ERROR_STOP=1 -d "$DB" -f bench/grow-registry.sql >/dev/null
node bench/grow-queries.js "$DATA/search.txt" | decode >"$OUT/raw-1m.txt"
dump 1m "$OUT/raw-1m.txt"
rm -f "$OUT/raw-100k.txt" "$OUT/raw-1m.txt"
wc -l "$OUT"/*
