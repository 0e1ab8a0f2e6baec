#!/usr/bin/env bash
# Installs the npm packages of the HTML report (`epilabel report`):
#   pseudolabel/report/web/node_modules   three.js, bundled into every report at build time
#                                         (the CMake configure step needs it)
#   tests/report/node_modules             playwright-core, which drives Debian's /usr/bin/chromium
#                                         in the browser test (it downloads no browser)
# Versions are pinned in each folder's package.json and package-lock.json (`npm ci`).
# A quick no-op when node_modules is up to date with the lock file. Exits non-zero, saying why,
# on any failure.
#   scripts/setup-report.sh            set up (or check)
#   scripts/setup-report.sh --force    reinstall
set -euo pipefail
cd "$(dirname "$0")/.."

FOLDERS=(pseudolabel/report/web tests/report)

die() { echo "setup-report.sh: error: $*" >&2; exit 1; }

force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    *) die "unknown option $arg (expected --force)" ;;
  esac
done

command -v npm >/dev/null 2>&1 || die "npm not found (install Debian's nodejs and npm: scripts/install-deps.sh)"

for folder in "${FOLDERS[@]}"; do
  [[ -f "$folder/package.json" ]] || die "$folder/package.json is missing"
  stamp="$folder/node_modules/.package-lock.json"
  if [[ $force -eq 0 && -f "$stamp" && ! "$folder/package.json" -nt "$stamp" &&
        ( ! -f "$folder/package-lock.json" || ! "$folder/package-lock.json" -nt "$stamp" ) ]]; then
    continue
  fi
  echo "setup-report.sh: installing npm packages in $folder"
  if [[ -f "$folder/package-lock.json" ]]; then
    (cd "$folder" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in $folder"
  else
    (cd "$folder" && npm install --no-audit --no-fund --loglevel=error) || die "npm install failed in $folder"
  fi
  # npm ci leaves the lock file untouched; refresh the stamp so the next run is a no-op.
  touch "$stamp"
done
