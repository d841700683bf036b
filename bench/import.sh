#!/usr/bin/env bash
# bench/import.sh: the import benchmark (`make bench-import`, part of `make
# bench`).  DESIGN.md section 10: a canonical file of 1,000,000 licences
# imports in under 60 s with a peak RSS under 64 MB, the same RSS whatever the
# file size.
#
# For each size (BENCH_IMPORT_SIZES, default "100000 1000000") it
#   1. writes a canonical list of that many licences with realistic
#      multi-script names (tests/data/gen/licence-lists.js, seeded, so every
#      run measures the same bytes), and beside it the same content as the
#      loader's staging rows, tab-separated; both in build/bench-import/,
#      never committed;
#   2. imports the list into a fresh, migrated database with
#      `/usr/bin/time -v fairreg import`: wall time and peak RSS;
#   3. measures the baseline on the same file in the same run: `xmllint
#      --stream` over it (parsing alone) plus `COPY` of the equivalent rows
#      into an unindexed table (loading alone);
#   4. prints both and the ratio.
#
# It needs a PostgreSQL 15 it may create databases in: PG* variables (or
# DATABASE_URL unset); without PGHOST it runs itself inside a throwaway
# `pg_virtualenv -t -v 15` cluster, on port BENCH_PGPORT when set (so that
# two benchmarks on one machine do not collide).  FAIRREG_BIN defaults to
# build/fairreg.
# FAIRREG_IMPORT_TRACE=1 adds the time of reading and staging the file and of
# each step of the merge (importers/load.c says where the time goes).
# BENCH_IMPORT_ABLATION=1 imports each file twice more, into databases whose
# register tables have (a) no audit triggers, (b) no triggers at all (audit,
# foreign-key checks, the change feed), and prints those times beside the
# real one: what the audit log and referential integrity cost, and the floor
# of writing the rows and their indexes alone.  Needs a superuser (the
# throwaway cluster's is); never what the registry runs.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

if [ -z "${PGHOST:-}" ] && [ "${1:-}" != --in-cluster ]; then
  exec pg_virtualenv -t -v 15 ${BENCH_PGPORT:+-o "port=$BENCH_PGPORT"} "$0" --in-cluster
fi
unset DATABASE_URL FAIRREG_READ_DATABASE_URL

BIN=${FAIRREG_BIN:-build/fairreg}
SIZES=${BENCH_IMPORT_SIZES:-"100000 1000000"}
OUT="$ROOT/build/bench-import"
mkdir -p "$OUT"

for tool in /usr/bin/time xmllint psql createdb node; do
  command -v "$tool" >/dev/null || { echo "bench-import: $tool is missing (build-aux/deps.sh installs it)" >&2; exit 1; }
done
[ -x "$BIN" ] || { echo "bench-import: $BIN is missing: run make" >&2; exit 1; }

# seconds: wall time of a command from GNU time's "Elapsed" line (h:mm:ss or m:ss.ss).
elapsed_seconds() {
  sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$1" |
    awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }'
}
max_rss_mb() {
  sed -n 's/.*Maximum resident set size (kbytes): //p' "$1" | awk '{ printf "%.1f", $1 / 1024 }'
}
now() { date +%s.%N; }

declare -A IMPORT_S IMPORT_RSS BASE_S XML_S COPY_S NOAUDIT_S NOTRIGGERS_S
REGISTER_TABLES="agency agency_name agency_officer agency_personnel agency_branch licence licence_status_history"

# ablated_import N WHAT DISABLE: the wall time of importing list N into a
# fresh database whose register tables have "ALTER TABLE ... DISABLE
# TRIGGER $DISABLE" (audit_insert, or ALL).
ablated_import() {
  local n=$1 what=$2 disable=$3 adb="fairreg_bench_import_${1}_$2" t
  dropdb --if-exists "$adb" >/dev/null 2>&1 || true
  createdb -E UTF8 --locale=C.UTF-8 -T template0 "$adb"
  PGDATABASE=$adb "$BIN" migrate >/dev/null
  for t in $REGISTER_TABLES; do
    PGDATABASE=$adb psql -X -q -v ON_ERROR_STOP=1 -c "ALTER TABLE $t DISABLE TRIGGER $disable"
  done
  PGDATABASE=$adb /usr/bin/time -v "$BIN" import --authority PH-DMW "$OUT/list-$n.xml" >"$OUT/import-$n-$what.log" 2>&1 || {
    cat "$OUT/import-$n-$what.log" >&2
    echo "bench-import: the ablated import ($what) of list $n failed" >&2
    exit 1
  }
  dropdb "$adb"
  elapsed_seconds "$OUT/import-$n-$what.log"
}
for n in $SIZES; do
  xml="$OUT/list-$n.xml"
  tsv="$OUT/rows-$n.tsv"
  if [ ! -s "$xml" ] || [ ! -s "$tsv" ] || [ "$xml" -ot tests/data/gen/licence-lists.js ]; then
    echo "== generating $n licences into $xml"
    node tests/data/gen/licence-lists.js bench --licences "$n" --xml "$xml" --tsv "$tsv"
  fi
  size_mb=$(du -m "$xml" | cut -f1)

  db="fairreg_bench_import_$n"
  dropdb --if-exists "$db" >/dev/null 2>&1 || true
  createdb -E UTF8 --locale=C.UTF-8 -T template0 "$db"
  PGDATABASE=$db "$BIN" migrate >/dev/null

  echo "== $n licences ($size_mb MB): fairreg import"
  log="$OUT/import-$n.log"
  PGDATABASE=$db /usr/bin/time -v "$BIN" import --authority PH-DMW "$xml" >"$log" 2>&1 || {
    cat "$log" >&2
    echo "bench-import: the import of $xml failed" >&2
    exit 1
  }
  grep -E '^  (licences|agencies)|fairreg import:' "$log" || true
  IMPORT_S[$n]=$(elapsed_seconds "$log")
  IMPORT_RSS[$n]=$(max_rss_mb "$log")

  echo "== $n licences: baseline xmllint --stream + COPY into an unindexed table"
  xlog="$OUT/xmllint-$n.log"
  /usr/bin/time -v xmllint --stream --noout "$xml" >"$xlog" 2>&1
  XML_S[$n]=$(elapsed_seconds "$xlog")
  PGDATABASE=$db psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE TABLE bench_rows (kind "char", seq bigint,
    item bigint, line bigint, c1 text, c2 text, c3 text, c4 text, c5 text, c6 text, c7 text, c8 text)'
  start=$(now)
  PGDATABASE=$db psql -X -q -v ON_ERROR_STOP=1 -c "\\copy bench_rows FROM '$tsv'"
  COPY_S[$n]=$(echo "$(now) - $start" | bc)
  BASE_S[$n]=$(echo "${XML_S[$n]} + ${COPY_S[$n]}" | bc)
  dropdb "$db"

  if [ "${BENCH_IMPORT_ABLATION:-0}" = 1 ]; then
    echo "== $n licences: the same import without audit triggers, then without any trigger"
    NOAUDIT_S[$n]=$(ablated_import "$n" noaudit audit_insert)
    NOTRIGGERS_S[$n]=$(ablated_import "$n" notriggers ALL)
  fi
done

echo
printf '%-10s %12s %12s %14s %12s %12s %8s\n' licences 'import s' 'peak RSS MB' 'xmllint s' 'COPY s' 'baseline s' ratio
for n in $SIZES; do
  ratio=$(echo "scale=2; ${IMPORT_S[$n]} / ${BASE_S[$n]}" | bc)
  printf '%-10s %12.1f %12s %14.1f %12.1f %12.1f %7sx\n' "$n" "${IMPORT_S[$n]}" "${IMPORT_RSS[$n]}" \
    "${XML_S[$n]}" "${COPY_S[$n]}" "${BASE_S[$n]}" "$ratio"
done
if [ "${BENCH_IMPORT_ABLATION:-0}" = 1 ]; then
  echo
  echo "where the time goes (the same import, into registers stripped for measurement only):"
  printf '%-10s %12s %16s %22s\n' licences 'import s' 'no audit s' 'no triggers at all s'
  for n in $SIZES; do
    printf '%-10s %12.1f %16.1f %22.1f\n' "$n" "${IMPORT_S[$n]}" "${NOAUDIT_S[$n]}" "${NOTRIGGERS_S[$n]}"
  done
fi
echo
echo "targets (DESIGN.md section 10): 1,000,000 licences under 60 s; peak RSS under 64 MB, the same for every size"
for n in $SIZES; do
  verdict_rss=$(echo "${IMPORT_RSS[$n]} < 64" | bc)
  line="  $n: peak RSS ${IMPORT_RSS[$n]} MB $([ "$verdict_rss" = 1 ] && echo met || echo MISSED)"
  if [ "$n" = 1000000 ]; then
    verdict_time=$(echo "${IMPORT_S[$n]} < 60" | bc)
    line="$line; ${IMPORT_S[$n]} s $([ "$verdict_time" = 1 ] && echo met || echo MISSED)"
  fi
  echo "$line"
done
