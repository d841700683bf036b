#!/usr/bin/env bash
# tests/run.sh: fairreg's whole test suite, in one throwaway PostgreSQL cluster.
#
# Called by `make test` once `make all unit` and `make SAN=1 all unit` have
# built build/fairreg, build/tests/test_*, build-san/fairreg and
# build-san/tests/test_*. It starts `pg_virtualenv -t -v 15` (a fresh cluster,
# dropped at the end) and runs itself inside it with --in-cluster. The parts,
# in order:
#
#   unit       build/tests/test_* (cmocka, TAP output)
#   schema     `fairreg migrate` into fairreg_test, then pg_prove tests/sql/*.sql
#   api        node --test tests/api/*.test.js against build/fairreg
#   openapi    redocly lint server/openapi.json
#   compose    docker-compose -f docker-compose.yml config -q
#   fuzz       a short libFuzzer run over the XML reader (tests/fuzz/run.sh --smoke)
#   unit-san   build-san/tests/test_* under ASan/UBSan/LSan
#   api-san    the api tests against build-san/fairreg
#
# Each part ends with its own line `== PART: N passed, N failed`; the last line
# of the output is `N passed, N failed` over all parts. A part that cannot run
# (a missing binary, no tests, no input file) counts as 1 failed, loudly. Exit
# status: 0 when nothing failed, 1 otherwise. Full outputs: build/test-logs/.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
LOGS="$ROOT/build/test-logs"

# Time limits, so that a hung test fails instead of hanging CI.
UNIT_TIMEOUT=300      # seconds for one unit test binary
SQL_TIMEOUT=600       # seconds for pg_prove
API_TIMEOUT=1200      # seconds for one run of the api tests

# --- helpers shared by the parts --------------------------------------------

# record PART PASSED FAILED: adds a part's counts to the totals and prints its
# closing line.
record() {
  printf '%s %s %s\n' "$1" "$2" "$3" >>"$FAIRREG_TEST_RESULTS"
  printf '== %s: %s passed, %s failed\n\n' "$1" "$2" "$3"
}

# problem MESSAGE: says loudly why something counts as failed.
problem() { printf '  FAIL: %s\n' "$*"; }

# show_log FILE: prints a failing tool's output (capped: the log keeps it all).
show_log() {
  local lines
  lines=$(wc -l <"$1")
  if [ "$lines" -gt 1500 ]; then
    printf '  (last 1500 of %s lines; all in %s)\n' "$lines" "${1#"$ROOT"/}"
    tail -n 1500 "$1" | sed 's/^/  | /'
  else
    sed 's/^/  | /' "$1"
  fi
}

# explain_status RC SECONDS: a short reason for a non-zero exit status.
explain_status() {
  case $1 in
    124|137) printf 'timed out after %ss' "$2" ;;
    134) printf 'aborted (exit 134: a sanitizer report or abort())' ;;
    139) printf 'crashed (exit 139: segmentation fault)' ;;
    *) printf 'exit status %s' "$1" ;;
  esac
}

# count_lines REGEX FILE: how many lines match (0 when none).
count_lines() { grep -cE "$1" "$2" || true; }

# sum_matches SED_EXPR FILE: adds up the numbers a sed -n expression prints.
sum_matches() { sed -nE "$1" "$2" | awk '{ s += $1 } END { print s + 0 }'; }

# fresh_db NAME: (re)creates an empty UTF-8 database in the throwaway cluster.
fresh_db() {
  dropdb --if-exists "$1" >/dev/null 2>&1 || true
  createdb -E UTF8 --locale=C.UTF-8 -T template0 "$1"
}

# --- the parts ------------------------------------------------------------

# run_cmocka_dir PART BUILD_DIR TIMEOUT: runs BUILD_DIR/tests/test_X for every
# tests/unit/test_X.c with TAP output and counts `ok` / `not ok` lines. Tests
# that a binary planned (`1..N`) but never reported, and a non-zero exit after
# no reported failure (a crash, a sanitizer report at exit), count as failed.
run_cmocka_dir() {
  local part=$1 build=$2 limit=$3
  local passed=0 failed=0 src name bin log rc plan ok notok skip missing note
  local make_cmd="make unit"
  [ "$build" = build ] || make_cmd="make SAN=1 unit"
  local -a sources=(tests/unit/test_*.c)

  echo "-- $part: $build/tests/test_* (cmocka)"
  if [ ! -e "${sources[0]}" ]; then
    problem "no unit tests: tests/unit/test_*.c matches nothing"
    record "$part" 0 1
    return
  fi
  if [ ! -d "$MUSTACHE_SPEC_DIR" ]; then
    problem "the mustache specification is missing: expected $MUSTACHE_SPEC_DIR (shared/mustache-spec beside the project)"
    failed=$((failed + 1))
  fi
  for src in "${sources[@]}"; do
    name=$(basename "$src" .c)
    bin="$build/tests/$name"
    log="$LOGS/$part-$name.log"
    if [ ! -x "$bin" ]; then
      problem "$bin was not built ($make_cmd builds it from $src)"
      failed=$((failed + 1))
      continue
    fi
    rc=0
    CMOCKA_MESSAGE_OUTPUT=TAP timeout -k 10 "$limit" "$bin" >"$log" 2>&1 || rc=$?
    plan=$(sum_matches 's/^1\.\.([0-9]+).*/\1/p' "$log")
    ok=$(count_lines '^ok ' "$log")
    notok=$(count_lines '^not ok ' "$log")
    skip=$(count_lines '^ok .*# *SKIP' "$log")
    missing=0
    if [ "$plan" -gt $((ok + notok)) ]; then
      missing=$((plan - ok - notok))
    fi
    passed=$((passed + ok))
    failed=$((failed + notok + missing))
    if [ "$rc" -ne 0 ] && [ "$notok" -eq 0 ] && [ "$missing" -eq 0 ]; then
      failed=$((failed + 1))          # all reported tests passed, yet it failed
    fi
    if [ "$rc" -eq 0 ] && [ "$notok" -eq 0 ] && [ "$missing" -eq 0 ] && [ "$ok" -gt 0 ]; then
      note=""
      if [ "$skip" -gt 0 ]; then note=", $skip of them skipped"; fi
      printf '  ok    %-28s %s tests%s\n' "$name" "$ok" "$note"
    else
      if [ "$ok" -eq 0 ] && [ "$notok" -eq 0 ] && [ "$rc" -eq 0 ]; then
        failed=$((failed + 1))
        problem "$bin ran no test (no TAP 'ok' line)"
      fi
      printf '  FAIL  %-28s %s ok, %s not ok, %s never reported; %s\n' \
        "$name" "$ok" "$notok" "$missing" "$(explain_status "$rc" "$limit")"
      show_log "$log"
    fi
  done
  record "$part" "$passed" "$failed"
}

part_unit() {
  run_cmocka_dir unit build "$UNIT_TIMEOUT"
}

# schema: migrate a fresh database with the real binary, then pgTAP. Counts:
# passed = `Tests=M` minus the failed tests pg_prove ran; failed = the sum of
# `Failed N/M subtests` (which includes planned tests that never ran), at least
# the number of files in the failure summary, at least 1 on `Result: FAIL`.
part_schema() {
  local log="$LOGS/schema.log" rc=0 total ran_failed failed files
  local -a tests=(tests/sql/*.sql)

  echo "-- schema: fairreg migrate, then pg_prove tests/sql/*.sql"
  if [ ! -x build/fairreg ]; then
    problem "build/fairreg was not built (make all)"
    record schema 0 1
    return
  fi
  if ! fresh_db fairreg_test >"$log" 2>&1; then
    show_log "$log"
    problem "could not create the database fairreg_test in the throwaway cluster"
    record schema 0 1
    return
  fi
  if ! PGDATABASE=fairreg_test build/fairreg migrate >>"$log" 2>&1; then
    show_log "$log"
    problem "'build/fairreg migrate' failed on an empty database (output above): the pgTAP tests did not run"
    record schema 0 1
    return
  fi
  if ! PGDATABASE=fairreg_test psql -X -q -v ON_ERROR_STOP=1 \
    -c 'create extension if not exists pgtap' >>"$log" 2>&1; then
    show_log "$log"
    problem "could not create the pgtap extension (install postgresql-15-pgtap: make deps)"
    record schema 0 1
    return
  fi
  if [ ! -e "${tests[0]}" ]; then
    problem "no pgTAP tests: tests/sql/*.sql matches nothing"
    record schema 0 1
    return
  fi
  if ! command -v pg_prove >/dev/null 2>&1; then
    problem "pg_prove is not installed (libtap-parser-sourcehandler-pgtap-perl: make deps)"
    record schema 0 1
    return
  fi
  timeout -k 10 "$SQL_TIMEOUT" pg_prove -d fairreg_test "${tests[@]}" >"$log" 2>&1 || rc=$?
  if ! grep -qE '^Files=[0-9]+, Tests=[0-9]+' "$log"; then
    show_log "$log"
    problem "pg_prove printed no summary ($(explain_status "$rc" "$SQL_TIMEOUT"))"
    record schema 0 1
    return
  fi
  total=$(sed -nE 's/^Files=[0-9]+, Tests=([0-9]+).*/\1/p' "$log" | tail -n 1)
  ran_failed=$(sum_matches 's/.*\(Wstat: .* Failed: ([0-9]+)\)$/\1/p' "$log")
  failed=$(sum_matches 's/^Failed ([0-9]+)\/[0-9]+ subtests.*/\1/p' "$log")
  files=$(count_lines '\(Wstat: ' "$log")
  [ "$failed" -ge "$files" ] || failed=$files
  if grep -q '^Result: FAIL' "$log" || [ "$rc" -ne 0 ]; then
    [ "$failed" -ge 1 ] || failed=1
  fi
  if [ "$failed" -gt 0 ]; then
    show_log "$log"
  else
    grep -E '^(Files=|Result:)' "$log" | sed 's/^/  /'
  fi
  record schema $((total - ran_failed)) "$failed"
}

# run_api PART FAIRREG_BIN DATABASE: the HTTP tests against one binary. The
# database is fresh and migrated by that binary; the tests start the server
# themselves. Counts: `# pass N` and `# fail N` (+ `# cancelled N`) of node's
# TAP summary; a non-zero exit with no counted failure counts as 1 failed.
run_api() {
  local part=$1 bin=$2 db=$3
  local log="$LOGS/$part.log" rc=0 passed failed cancelled make_cmd="make all"
  local -a tests=()

  echo "-- $part: node --test tests/api/*.test.js with FAIRREG_BIN=$bin"
  shopt -s nullglob
  tests=(tests/api/*.test.js tests/api/*.test.mjs)
  shopt -u nullglob
  if [ "${#tests[@]}" -eq 0 ]; then
    problem "no api tests: tests/api/*.test.js matches nothing"
    record "$part" 0 1
    return
  fi
  case $bin in build-san/*) make_cmd="make SAN=1 all" ;; esac
  if [ ! -x "$bin" ]; then
    problem "$bin was not built ($make_cmd)"
    record "$part" 0 1
    return
  fi
  if ! command -v node >/dev/null 2>&1; then
    problem "node is not installed (make deps)"
    record "$part" 0 1
    return
  fi
  if ! { fresh_db "$db" && PGDATABASE=$db "$bin" migrate; } >"$log" 2>&1; then
    show_log "$log"
    problem "could not prepare the database $db ('$bin migrate' failed?): the api tests did not run"
    record "$part" 0 1
    return
  fi
  PGDATABASE=$db FAIRREG_BIN="$ROOT/$bin" FAIRREG_ROOT="$ROOT" \
    timeout -k 10 "$API_TIMEOUT" node --test --test-reporter=tap "${tests[@]}" >"$log" 2>&1 || rc=$?
  if ! grep -qE '^# pass [0-9]+' "$log"; then
    show_log "$log"
    problem "node's test runner printed no summary ($(explain_status "$rc" "$API_TIMEOUT"))"
    record "$part" 0 1
    return
  fi
  passed=$(sed -nE 's/^# pass ([0-9]+)$/\1/p' "$log" | tail -n 1)
  failed=$(sed -nE 's/^# fail ([0-9]+)$/\1/p' "$log" | tail -n 1)
  cancelled=$(sed -nE 's/^# cancelled ([0-9]+)$/\1/p' "$log" | tail -n 1)
  failed=$((${failed:-0} + ${cancelled:-0}))
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
    problem "node --test exited with $(explain_status "$rc" "$API_TIMEOUT") although no test failed"
    failed=1
  fi
  if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
    problem "the api tests ran no test"
    failed=1
  fi
  if [ "$failed" -gt 0 ]; then
    show_log "$log"
  fi
  record "$part" "$passed" "$failed"
}

part_api() {
  run_api api build/fairreg fairreg_api
}

# openapi: 1 passed when redocly finds the document valid (exit 0).
part_openapi() {
  local log="$LOGS/openapi.log" rc=0
  echo "-- openapi: redocly lint server/openapi.json"
  if [ ! -f server/openapi.json ]; then
    problem "server/openapi.json does not exist"
    record openapi 0 1
    return
  fi
  if [ ! -x node_modules/.bin/redocly ]; then
    problem "redocly is not installed in node_modules (make deps runs npm ci)"
    record openapi 0 1
    return
  fi
  REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NPM_CONFIG_LOGLEVEL=error \
    npx --no-install redocly lint server/openapi.json >"$log" 2>&1 || rc=$?
  if [ "$rc" -eq 0 ]; then
    grep -E '^(Woohoo|You have [0-9]+ warning)' "$log" | sed 's/^/  /' || true
    record openapi 1 0
  else
    show_log "$log"
    record openapi 0 1
  fi
}

# compose: 1 passed when docker-compose accepts docker-compose.yml (exit 0).
part_compose() {
  local log="$LOGS/compose.log" rc=0
  echo "-- compose: docker-compose -f docker-compose.yml config -q"
  if [ ! -f docker-compose.yml ]; then
    problem "docker-compose.yml does not exist"
    record compose 0 1
    return
  fi
  if ! command -v docker-compose >/dev/null 2>&1; then
    problem "docker-compose is not installed (make deps)"
    record compose 0 1
    return
  fi
  docker-compose -f docker-compose.yml config -q >"$log" 2>&1 || rc=$?
  if [ "$rc" -eq 0 ]; then
    record compose 1 0
  else
    show_log "$log"
    record compose 0 1
  fi
}

# The sanitizer builds: a leak, an invalid access or undefined behaviour makes
# the process abort with a report on stderr (the api tests check the server's
# exit status and stderr).
sanitizer_env() {
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  export FAIRREG_SANITIZERS=1
}

# A short run of the libFuzzer target over the XML reader (tests/fuzz/run.sh
# --smoke, about 10 s): a crash found is 1 failed.
part_fuzz() {
  local log="$LOGS/fuzz.log" rc=0
  echo "-- fuzz: tests/fuzz/run.sh --smoke"
  if [ ! -x tests/fuzz/run.sh ]; then
    problem "tests/fuzz/run.sh does not exist or is not executable"
    record fuzz 0 1
    return
  fi
  tests/fuzz/run.sh --smoke >"$log" 2>&1 || rc=$?
  tail -n 1 "$log" | sed 's/^/  /'
  if [ "$rc" -eq 0 ]; then
    record fuzz 1 0
  else
    show_log "$log"
    record fuzz 0 1
  fi
}

part_unit_san() {
  (
    sanitizer_env
    run_cmocka_dir unit-san build-san $((UNIT_TIMEOUT * 2))
  )
}

part_api_san() {
  (
    sanitizer_env
    run_api api-san build-san/fairreg fairreg_api_san
  )
}

# --- inside the throwaway cluster ------------------------------------------
in_cluster() {
  MUSTACHE_SPEC_DIR=$(cd "$ROOT/.." && pwd)/shared/mustache-spec
  export MUSTACHE_SPEC_DIR
  # fairreg prefers DATABASE_URL to the PG* variables that pg_virtualenv set.
  unset DATABASE_URL FAIRREG_READ_DATABASE_URL FAIRREG_LISTEN
  part_unit
  part_schema
  part_api
  part_openapi
  part_compose
  part_fuzz
  part_unit_san
  part_api_san
  echo "finished" >>"$FAIRREG_TEST_RESULTS"
}

# --- outside: start the cluster, add up, print the closing line -----------
main() {
  local start results rc=0 passed=0 failed=0 part p f finished=0
  start=$(date +%s)
  rm -rf "$LOGS"
  mkdir -p "$LOGS"
  results="$LOGS/results.txt"
  : >"$results"
  export FAIRREG_TEST_RESULTS="$results"

  if ! command -v pg_virtualenv >/dev/null 2>&1; then
    echo "tests: pg_virtualenv is not installed (postgresql-common; make deps): no part could run"
    echo "cluster 0 1" >>"$results"
  else
    pg_virtualenv -t -v 15 -- "$ROOT/tests/run.sh" --in-cluster || rc=$?
  fi

  while read -r part p f; do
    if [ "$part" = finished ]; then
      finished=1
      continue
    fi
    passed=$((passed + p))
    failed=$((failed + f))
  done <"$results"
  if [ "$finished" -eq 0 ] && command -v pg_virtualenv >/dev/null 2>&1; then
    echo "tests: the run stopped before its last part (pg_virtualenv or tests/run.sh --in-cluster exited with $rc): see above"
    failed=$((failed + 1))
  fi

  echo "tests/run.sh took $(($(date +%s) - start))s (logs in build/test-logs/)"
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

if [ "${1:-}" = "--in-cluster" ]; then
  [ -n "${FAIRREG_TEST_RESULTS:-}" ] || { echo "tests/run.sh --in-cluster is run by tests/run.sh itself" >&2; exit 2; }
  in_cluster
else
  main
fi
