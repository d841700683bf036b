#!/usr/bin/env bash
# deps.sh: install whatever fairreg needs that this machine lacks.
#
# Called by `make deps`, and so by `make run`, `make test`, `make bench` and
# `make fuzz`. Reads build-aux/debian-packages.txt (the one list of Debian
# packages), installs the missing ones with apt-get, then installs the npm dev
# tools of package.json with `npm ci` when node_modules is missing or older than
# package-lock.json. When everything is present it only looks, and takes well
# under a second.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LIST="$ROOT/build-aux/debian-packages.txt"

say() { printf 'deps: %s\n' "$*"; }
die() { printf 'deps: error: %s\n' "$*" >&2; exit 1; }

[ -r "$LIST" ] || die "cannot read $LIST (the list of Debian packages)"
command -v dpkg-query >/dev/null 2>&1 \
  || die "dpkg-query not found: this script expects Debian 12; install by hand the packages listed in $LIST"

# --- which packages does the list want? ------------------------------------
# wanted_plain: installed with recommends; wanted_norec: --no-install-recommends
wanted_plain=()
wanted_norec=()
lineno=0
while IFS= read -r line || [ -n "$line" ]; do
  lineno=$((lineno + 1))
  line=${line%%#*}
  read -r -a words <<<"$line" || true
  [ "${#words[@]}" -gt 0 ] || continue
  name=${words[0]}
  norec=0
  for flag in "${words[@]:1}"; do
    case $flag in
      no-recommends) norec=1 ;;
      *) die "$LIST:$lineno: unknown flag '$flag' (the only flag is no-recommends)" ;;
    esac
  done
  if [ "$norec" -eq 1 ]; then
    wanted_norec+=("$name")
  else
    wanted_plain+=("$name")
  fi
done <"$LIST"

# --- which of them are present? -------------------------------------------
# One dpkg-query over every package: installed names, plus the names that
# installed packages provide (e.g. the machine's nodejs provides npm).
declare -A present=()
load_present() {
  present=()
  local status pkg provides p plist
  while IFS=$'\t' read -r status pkg provides; do
    [ "${status:0:2}" = "ii" ] || continue
    present[$pkg]=1
    [ -n "$provides" ] || continue
    IFS=',' read -r -a plist <<<"$provides"
    for p in "${plist[@]}"; do
      p=${p# }
      p=${p%% *}          # drop a version: "npm (= 1.0)" -> "npm"
      if [ -n "$p" ]; then present[$p]=1; fi
    done
  done < <(dpkg-query -W -f='${db:Status-Abbrev}\t${Package}\t${Provides}\n' 2>/dev/null)
}

missing_plain=()
missing_norec=()
find_missing() {
  load_present
  missing_plain=()
  missing_norec=()
  local p
  for p in "${wanted_plain[@]}"; do
    [ -n "${present[$p]:-}" ] || missing_plain+=("$p")
  done
  for p in "${wanted_norec[@]}"; do
    [ -n "${present[$p]:-}" ] || missing_norec+=("$p")
  done
}

# Runs a command as root: directly, through sudo, or not at all (then it says
# exactly what to run and fails).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "not root and no sudo: run as root:  $*   then run make again"
  fi
}

# The package lists need refreshing when there are none, when they are more
# than a day old, or when a missing package has no install candidate in them.
lists_stale() {
  local lists=/var/lib/apt/lists p candidate
  if ! compgen -G "$lists/*_Packages*" >/dev/null; then
    return 0
  fi
  if [ -z "$(find "$lists" -maxdepth 1 -name '*_Packages*' -mmin -1440 -print -quit)" ]; then
    return 0
  fi
  for p in "$@"; do
    candidate=$(apt-cache policy "$p" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
    if [ -z "$candidate" ] || [ "$candidate" = "(none)" ]; then
      return 0
    fi
  done
  return 1
}

find_missing
if [ "${#missing_plain[@]}" -gt 0 ] || [ "${#missing_norec[@]}" -gt 0 ]; then
  say "missing Debian packages: ${missing_plain[*]} ${missing_norec[*]}"
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
    cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y"
    if [ "${#missing_plain[@]}" -gt 0 ]; then cmd+=" ${missing_plain[*]}"; fi
    if [ "${#missing_norec[@]}" -gt 0 ]; then
      cmd+=" && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing_norec[*]}"
    fi
    die "not root and no sudo: run as root:  $cmd   then run make again"
  fi
  if lists_stale "${missing_plain[@]}" "${missing_norec[@]}"; then
    say "refreshing the package lists (apt-get update)"
    as_root apt-get update -q || die "apt-get update failed: check the machine's apt sources and network"
  fi
  if [ "${#missing_plain[@]}" -gt 0 ]; then
    say "installing: ${missing_plain[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing_plain[@]}" \
      || die "apt-get install failed for: ${missing_plain[*]}"
  fi
  if [ "${#missing_norec[@]}" -gt 0 ]; then
    say "installing without recommends: ${missing_norec[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing_norec[@]}" \
      || die "apt-get install --no-install-recommends failed for: ${missing_norec[*]}"
  fi
  find_missing
  if [ "${#missing_plain[@]}" -gt 0 ] || [ "${#missing_norec[@]}" -gt 0 ]; then
    die "still missing after apt-get install: ${missing_plain[*]} ${missing_norec[*]} (see apt-get's messages above)"
  fi
  say "Debian packages installed"
fi

# --- npm dev tools (tests/api, OpenAPI lint) --------------------------------
command -v npm >/dev/null 2>&1 || die "npm not found although the package list is satisfied: install Node.js 20 with npm"
[ -f "$ROOT/package.json" ] || die "$ROOT/package.json is missing: it lists the npm dev tools"
[ -f "$ROOT/package-lock.json" ] \
  || die "$ROOT/package-lock.json is missing: run 'npm install' in $ROOT once and commit the lock file"

stamp="$ROOT/node_modules/.package-lock.json"   # npm rewrites it on every install
if [ ! -d "$ROOT/node_modules" ] || [ ! -f "$stamp" ] || [ "$ROOT/package-lock.json" -nt "$stamp" ]; then
  node_version=$(node --version 2>/dev/null || echo none)
  case $node_version in
    v2[0-9].*|v[3-9][0-9].*) ;;
    *) say "warning: node $node_version is older than @redocly/cli 2.77.0 wants (20.19 or later); the openapi tests may fail" ;;
  esac
  say "installing the npm dev tools (npm ci)"
  (cd "$ROOT" && NPM_CONFIG_LOGLEVEL=error npm ci --no-audit --no-fund) \
    || die "npm ci failed in $ROOT: see npm's message above (is package-lock.json in step with package.json? run 'npm install' to update it)"
  touch "$stamp"
fi
