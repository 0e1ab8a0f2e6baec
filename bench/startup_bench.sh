#!/usr/bin/env bash
# Start-up and whole-run wall time of short commands, for one or more executables side by side:
#   bench/startup_bench.sh [-n RUNS] EXE [EXE...]
#   bench/startup_bench.sh old-build/epilabel build/epilabel     # before / after
# Commands: `--help`, `info` on a calibration file, and `triangulate --format npz,csv,trc` on a
# small scene (h36m4, 4 cameras x 200 frames) and on ring8 (8 cameras x 2,000 frames). Each
# command runs once to warm the page cache, then RUNS times (default 9) per executable, the
# executables interleaved so that a change in the machine's load hits them alike; the table
# gives the median wall time in milliseconds. The scenes are made once with the first
# executable's `synth` into $STARTUP_BENCH_DIR (default: a temporary folder, removed at the end).
# Also prints the shared libraries each executable loads (ldd) and the dynamic linker's
# relocation time for `--help` (LD_DEBUG=statistics).
set -euo pipefail

runs=9
if [[ ${1:-} == -n ]]; then
  runs=$2
  shift 2
fi
if [[ $# -lt 1 ]]; then
  sed -n '2,11p' "$0"
  exit 2
fi
exes=()
for e in "$@"; do exes+=("$(realpath "$e")"); done

work=${STARTUP_BENCH_DIR:-}
if [[ -z $work ]]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
make_scene() {  # name, synth options...
  local name=$1
  shift
  [[ -f $work/$name/keypoints2d.npz ]] || "${exes[0]}" -q synth "$@" --out "$work/$name"
}
make_scene small --rig h36m4 --frames 200 --seed 1
make_scene ring8 --rig ring8 --frames 2000 --seed 2

# Median of the numbers on stdin.
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# Wall time of one run in milliseconds; output discarded, failure fatal.
time_ms() {
  local t0 t1
  t0=$(date +%s%N)
  "$@" > /dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000))
}

names=("--help" "info calibration.toml" "triangulate small (4 cams x 200)" "triangulate ring8 (8 cams x 2000)")
command_of() {  # index, exe, output folder
  case $1 in
    0) echo "$2 --help" ;;
    1) echo "$2 info $work/small/calibration.toml" ;;
    2) echo "$2 -q triangulate --calib $work/small/calibration.toml --poses $work/small/keypoints2d.npz --out $3 --format npz,csv,trc" ;;
    3) echo "$2 -q triangulate --calib $work/ring8/calibration.toml --poses $work/ring8/keypoints2d.npz --out $3 --format npz,csv,trc" ;;
  esac
}

printf '%-36s' "median wall ms ($runs runs)"
for k in "${!exes[@]}"; do printf '  %8s' "#$((k + 1))"; done
echo
for i in "${!names[@]}"; do
  declare -A samples=()
  for k in "${!exes[@]}"; do
    # shellcheck disable=SC2046
    time_ms $(command_of "$i" "${exes[$k]}" "$work/out$k") > /dev/null  # warm-up
  done
  for ((r = 0; r < runs; ++r)); do
    for k in "${!exes[@]}"; do
      # shellcheck disable=SC2046
      samples[$k]+="$(time_ms $(command_of "$i" "${exes[$k]}" "$work/out$k")) "
    done
  done
  printf '%-36s' "${names[$i]}"
  for k in "${!exes[@]}"; do
    printf '  %8.1f' "$(tr ' ' '\n' <<< "${samples[$k]}" | grep . | median | awk '{print $1 / 1000}')"
  done
  echo
  unset samples
done

echo
for k in "${!exes[@]}"; do
  e=${exes[$k]}
  libs=$(ldd "$e" | wc -l)
  stats=$(LD_DEBUG=statistics "$e" --help 2>&1 >/dev/null)
  cycles=$(awk '/total startup time in dynamic loader/ {print $(NF - 1); exit}' <<< "$stats")
  relocs=$(awk '/final number of relocations:/ {print $NF; exit}' <<< "$stats")
  echo "#$((k + 1)) $e: $libs shared libraries (ldd); --help: dynamic loader ${cycles:-?} cycles, ${relocs:-?} relocations"
done
