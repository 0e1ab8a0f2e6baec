#!/usr/bin/env bash
# One-step set-up on a fresh Debian machine: installs the Debian packages, prepares the
# optional assets and builds everything into build/ (executable: build/epilabel).
#   scripts/setup.sh            build for use (epilabel demo)
#   scripts/setup.sh --tests    also install what the test suite needs (Chromium for the
#                               browser test of the HTML report)
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=0
for arg in "$@"; do
  case "$arg" in
    --tests) with_tests=1 ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

if [[ $with_tests -eq 1 ]]; then
  scripts/install-deps.sh --with-browser
else
  scripts/install-deps.sh
fi

# Optional assets, each a quick no-op when already present.
for step in scripts/setup-*.sh; do
  [[ -x "$step" ]] || continue
  "$step"
done

jobs=$(nproc 2>/dev/null || echo 2)
# Compiler-cache hits across clones: paths inside the checkout are hashed relative to it.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$jobs"
