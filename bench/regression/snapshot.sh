#!/usr/bin/env bash
# Runs calibrate, triangulate and label (multi-view and two-view) on several synthetic scenes
# with one executable and keeps every output in OUT_DIR, so that two builds (before and after a
# change) can be compared numerically with compare.py:
#   bench/regression/snapshot.sh build/epilabel /tmp/before     # on the old build
#   bench/regression/snapshot.sh build/epilabel /tmp/after      # on the new build
#   python3 bench/regression/compare.py /tmp/before /tmp/after
# One thread, so that the outputs do not depend on scheduling. Takes about a minute.
set -euo pipefail
exe=$(realpath "$1")
out=$2
mkdir -p "$out"
out=$(realpath "$out")
run() { "$exe" -q --threads 1 "$@"; }

scene() {  # name, synth options...
  local name=$1; shift
  local d="$out/$name"
  rm -rf "$d"; mkdir -p "$d"
  run synth "$@" --out "$d/studio"
  # Intrinsics only: the studio's calibration without extrinsics is what calibrate starts from.
  run calibrate --poses "$d/studio/pose" --intrinsics "$d/studio/calibration.toml" \
      --out "$d/calib/calibration.toml" --yaml "$d/calib/calibration.yml" > "$d/calibrate.txt" 2>&1 || echo "calibrate exit $?" >> "$d/calibrate.txt"
  run triangulate --calib "$d/studio/calibration.toml" --poses "$d/studio/pose" --out "$d/tri" \
      --format npz,csv,trc > "$d/triangulate.txt" 2>&1
  run triangulate --calib "$d/studio/calibration.toml" --poses "$d/studio/pose" --out "$d/tri_smooth" \
      --smooth > "$d/triangulate_smooth.txt" 2>&1
  run label --poses "$d/studio/pose" --intrinsics "$d/studio/calibration.toml" --out "$d/label" \
      > "$d/label.txt" 2>&1 || echo "label exit $?" >> "$d/label.txt"
  run label --poses "$d/studio/pose" --intrinsics "$d/studio/calibration.toml" --pairs neighbours \
      --out "$d/label_pairs" > "$d/label_pairs.txt" 2>&1 || echo "label exit $?" >> "$d/label_pairs.txt"
}

scene h36m4_s1 --rig h36m4 --frames 600 --seed 1
scene ring8_s2 --rig ring8 --frames 400 --seed 2
scene h36m4_noisy_s3 --rig h36m4 --frames 500 --seed 3 --noise-px 8 --outlier-rate 0.05
scene ceiling6_s4 --rig ceiling6 --frames 400 --seed 4
# Unknown focal lengths (image sizes only).
d="$out/h36m4_unknown_focal"; rm -rf "$d"; mkdir -p "$d"
run synth --rig h36m4 --frames 500 --seed 5 --ideal-lenses --out "$d/studio"
run calibrate --poses "$d/studio/pose" --image-size 1000x1000 --out "$d/calib/calibration.toml" \
    > "$d/calibrate.txt" 2>&1 || echo "calibrate exit $?" >> "$d/calibrate.txt"
# A failed calibration (two frames of a static scene) must report, not crash.
d="$out/stereo2_short"; rm -rf "$d"; mkdir -p "$d"
run synth --rig stereo2 --frames 40 --seed 6 --out "$d/studio"
run calibrate --poses "$d/studio/pose" --intrinsics "$d/studio/calibration.toml" \
    --out "$d/calib/calibration.toml" > "$d/calibrate.txt" 2>&1 || echo "calibrate exit $?" >> "$d/calibrate.txt"
echo "snapshot in $out"
