#!/usr/bin/env bash
# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer (CMakePresets.json).
#   scripts/sanitizer-check.sh              the readers of untrusted files: foundation and
#                                           detection/io unit tests and every fuzz replay of
#                                           those readers (CTest label `readers`); a few
#                                           minutes on two cores, run by .ci/run
#   scripts/sanitizer-check.sh --full       the whole suite (with libtorch); hours on two cores
#   --clang                                 the asan-clang preset (build-asan-clang/) instead
#                                           of asan (the default compiler, build-asan/)
# The presets compile at -O1 with line tables only (-g1, clang -gline-tables-only): sanitizer
# reports keep file:line, and a file builds in ~30 % less CPU time and memory than with
# RelWithDebInfo's -O2 -g (geometry/sfm/world_frame.cc under gcc 12: 18.4 s vs 26.2 s).
# Exit code: CTest's (non-zero when a test fails or a sanitizer reports an error).
# The test presets set ASAN_OPTIONS with intercept_tls_get_addr=0: the __tls_get_addr
# interceptor of the sanitizer runtimes up to GCC 13 / LLVM 16 mistakes some malloc'd dynamic
# TLS blocks for old glibc headers, and LeakSanitizer's tracer then crashes at exit ("Tracer
# caught signal 11", exit 1, no leak report) depending on where the block lands: the CLI test
# IntrinsicsCommand.BadBoardsAndInputsExitWithTwo did so under CTest, every time, with clang 14.
set -euo pipefail
cd "$(dirname "$0")/.."

preset=asan
full=0
for arg in "$@"; do
  case "$arg" in
    --full) full=1 ;;
    --clang) preset=asan-clang ;;
    *) echo "sanitizer-check.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

jobs=$(nproc 2>/dev/null || echo 2)
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
cmake --preset "$preset" > /dev/null
if [[ $full -eq 1 ]]; then
  cmake --build --preset "$preset" -j "$jobs"
  ctest --preset "$preset" -j "$jobs"
else
  # Every target of the `readers` label (tests/foundation, tests/detection/io, tests/fuzz).
  readers="foundation_test detection_io_test"
  for r in npz openpose coco calibration qualisys easymocap vicon points timestamps; do readers+=" replay_$r"; done
  # shellcheck disable=SC2086
  cmake --build --preset "$preset" -j "$jobs" --target $readers
  ctest --preset "$preset" -j "$jobs" -L readers
fi
