#!/usr/bin/env bash
# bench/run.sh (`make bench`): every benchmark of bench/*.sh, one after the
# other, in one throwaway PostgreSQL cluster (pg_virtualenv), each printing
# its figures and ratios against its baseline.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
if [ -z "${BENCH_IN_CLUSTER:-}" ]; then
  command -v pg_virtualenv >/dev/null || { echo "bench: pg_virtualenv is missing (make deps)" >&2; exit 1; }
  BENCH_IN_CLUSTER=1 exec pg_virtualenv -t -v 15 -- "$0" "$@"
fi
status=0
for script in bench/*.sh; do
  [ "$(basename "$script")" = run.sh ] && continue
  echo "== $script"
  bash "$script" || { echo "bench: $script failed" >&2; status=1; }
done
exit "$status"
