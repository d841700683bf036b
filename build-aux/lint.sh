#!/usr/bin/env bash
# lint.sh: checks the C sources; never rewrites them. Called by `make lint`.
#
#   1. layout: every tracked or new (not ignored) .c/.h file under server/
#      importers/ tests/ build-aux/ bench/ against .clang-format, with
#      `clang-format --dry-run --Werror`; the fix is shown as a diff.
#   2. static analysis: cppcheck over server/ and importers/.
#
# Exit status: 0 when both are clean, 1 otherwise. To fix the layout of a file:
#   clang-format -i FILE
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
DIRS=(server importers tests build-aux bench)

say() { printf 'lint: %s\n' "$*"; }
die() { printf 'lint: error: %s\n' "$*" >&2; exit 1; }

command -v clang-format >/dev/null 2>&1 || die "clang-format is not installed: run 'make deps'"
command -v cppcheck >/dev/null 2>&1 || die "cppcheck is not installed: run 'make deps'"
[ -f .clang-format ] || die "$ROOT/.clang-format is missing: it defines the project's C style"

# Tracked files plus new ones that .gitignore does not exclude; outside a git
# work tree, every file.
files=()
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  while IFS= read -r -d '' f; do
    [ -f "$f" ] && files+=("$f")      # a tracked file may be deleted in the tree
  done < <(git ls-files -z --cached --others --exclude-standard -- "${DIRS[@]}" \
             | grep -zE '\.[ch]$' | sort -zu)
else
  while IFS= read -r -d '' f; do
    files+=("$f")
  done < <(find "${DIRS[@]}" -type f \( -name '*.c' -o -name '*.h' \) -print0 2>/dev/null | sort -z)
fi

problems=0

# --- 1. layout ------------------------------------------------------------
if [ "${#files[@]}" -eq 0 ]; then
  say "no C files under ${DIRS[*]}: nothing to check for layout"
else
  bad=()
  for f in "${files[@]}"; do
    if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
      bad+=("$f")
    fi
  done
  if [ "${#bad[@]}" -gt 0 ]; then
    problems=$((problems + ${#bad[@]}))
    say "${#bad[@]} of ${#files[@]} C files do not follow .clang-format (fix: clang-format -i FILE):"
    for f in "${bad[@]}"; do
      printf '\n--- %s: clang-format would change:\n' "$f"
      clang-format "$f" | diff -u --label "$f" --label "$f (formatted)" "$f" - | head -n 60 || true
    done
    echo
  else
    say "layout: ${#files[@]} C files follow .clang-format"
  fi
fi

# --- 2. static analysis ---------------------------------------------------
# Only the directories that hold C files: cppcheck fails on a path with none.
cpp_dirs=()
for d in server importers; do
  if [ -n "$(find "$d" -name '*.c' -print -quit 2>/dev/null)" ]; then
    cpp_dirs+=("$d")
  fi
done
if [ "${#cpp_dirs[@]}" -eq 0 ]; then
  say "no C files in server/ or importers/: cppcheck has nothing to check"
else
  cpp_log=$(mktemp)
  trap 'rm -f "$cpp_log"' EXIT
  rc=0
  cppcheck --enable=warning,performance,portability --error-exitcode=1 \
    --inline-suppr -q -D__GNUC__ -I server -I importers \
    --suppress=missingIncludeSystem "${cpp_dirs[@]}" >"$cpp_log" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ] || [ -s "$cpp_log" ]; then
    problems=$((problems + 1))
    say "cppcheck found problems in ${cpp_dirs[*]} (silence a false alarm on its line with // cppcheck-suppress ID):"
    cat "$cpp_log"
    echo
  else
    say "cppcheck: ${cpp_dirs[*]} clean"
  fi
fi

if [ "$problems" -gt 0 ]; then
  say "FAILED: fix the problems above"
  exit 1
fi
say "all clean"
