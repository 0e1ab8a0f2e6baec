#!/usr/bin/env bash
# The batch benchmark of issue 5: `epilabel batch` over 20 synthetic sequences of 2,000 frames
# seen by 4 cameras (h36m4, 3 px noise, self-calibration from known intrinsics), then the same
# batch again (everything skipped). Prints the wall time, the CPU time (user + sys, to see whether
# both cores were busy), the peak memory, and the split of the per-sequence time between reading
# the keypoints (OpenPose JSON, one file per camera and frame), computing (self-calibration,
# triangulation, gates, labels), writing the data files and writing report.html, from the
# per-sequence report.json timings ("timings_s": read, compute, write, total).
#
#   bench/batch_bench.sh [BUILD_DIR] [WORK_DIR]
#     BUILD_DIR  default: build (holds the epilabel executable)
#     WORK_DIR   default: /tmp/epilabel_batch_bench (scenes are kept and reused between runs)
#   Environment: SEQUENCES (20), FRAMES (2000), THREADS (0 = all cores), HTML (true),
#     CALIBRATION: "intrinsics" (default: self-calibration from known intrinsics) or "calib" (the
#     true calibration is given: no self-calibration).
set -euo pipefail

BUILD_DIR=${1:-build}
WORK=${2:-/tmp/epilabel_batch_bench}
SEQUENCES=${SEQUENCES:-20}
FRAMES=${FRAMES:-2000}
THREADS=${THREADS:-0}
HTML=${HTML:-true}
CALIBRATION=${CALIBRATION:-intrinsics}
case "$CALIBRATION" in intrinsics|calib) ;; *) echo "CALIBRATION must be intrinsics or calib" >&2; exit 2 ;; esac
EXE="$BUILD_DIR/epilabel"
[ -x "$EXE" ] || { echo "no $EXE: build the epilabel target first" >&2; exit 2; }
EXE=$(readlink -f "$EXE")
mkdir -p "$WORK"
cd "$WORK"

# 1. The scenes (not timed as part of the batch; reused when present).
t0=$(date +%s.%N)
for i in $(seq 1 "$SEQUENCES"); do
  name=$(printf "s%02d" "$i")
  if [ ! -f "scenes/$name/scene.json" ] || ! grep -q "\"frames\": $FRAMES," "scenes/$name/scene.json"; then
    "$EXE" -q synth --rig h36m4 --frames "$FRAMES" --seed "$i" --out "scenes/$name" > /dev/null
  fi
done
t1=$(date +%s.%N)
echo "scenes: $SEQUENCES x $FRAMES frames x 4 cameras in $WORK/scenes ($(echo "$t1 - $t0" | bc) s to make or check)"
echo "input: $(find scenes -path '*/pose/*' -name '*.json' | wc -l) OpenPose JSON files, $(du -sh --apparent-size scenes | cut -f1) (warm page cache)"

# 2. The manifest: self-calibration from each scene's intrinsics, the person's height known.
/usr/bin/python3 - "$SEQUENCES" "$HTML" "$CALIBRATION" > manifest.toml <<'PY'
import json, sys
n, html, calibration = int(sys.argv[1]), sys.argv[2], sys.argv[3]
calibration_file = "intrinsics.toml" if calibration == "intrinsics" else "calibration.toml"
print(f"[defaults]\nhtml_report = {html}")
for i in range(1, n + 1):
    name = f"s{i:02d}"
    height = json.load(open(f"scenes/{name}/scene.json"))["subject_height_m"]
    print(f'\n[[sequence]]\nname = "{name}"\nposes = "scenes/{name}/pose"\n'
          f'{calibration} = "scenes/{name}/{calibration_file}"\nsubject_height = {height:.3f}')
PY

# 3. The batch, timed by GNU time when present.
rm -rf out
run() {
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "%e %U %S %M" -o "$1" "$EXE" -q -j "$THREADS" batch manifest.toml --out out > "$2"
  else
    local s e
    s=$(date +%s.%N)
    "$EXE" -q -j "$THREADS" batch manifest.toml --out out > "$2"
    e=$(date +%s.%N)
    echo "$(echo "$e - $s" | bc) 0 0 0" > "$1"
  fi
}
run time_first.txt table_first.txt || true
cat table_first.txt
cp out/batch_report.json batch_report_first.json
run time_second.txt table_second.txt || true
tail -n 2 table_second.txt

# 4. The figures (load from other processes shows as fewer busy cores: check `uptime`).
uptime
/usr/bin/python3 - "$(nproc)" <<'EOF'
import json, os, sys
cores = int(sys.argv[1])
def times(path):
    wall, user, sys_, rss = open(path).read().split()
    return float(wall), float(user), float(sys_), int(rss)
wall, user, sys_, rss = times("time_first.txt")
wall2, _, _, _ = times("time_second.txt")
report = json.load(open("batch_report_first.json"))
read = compute = write = total = html = 0.0
n = 0
for s in report["sequences"]:
    if s["status"] not in ("ok", "skipped"):
        print(f"sequence {s['name']}: {s['status']} {s['error']}")
        continue
    t = json.load(open(os.path.join("out", s["name"], "report.json")))["timings_s"]
    read += t.get("read", 0.0); compute += t.get("compute", 0.0); write += t.get("write", 0.0)
    total += t["total"]; html += max(0.0, s["seconds"] - t["total"]); n += 1
per_seq = total + html
merge = max(0.0, wall - report["seconds"])
print()
print(f"batch of {n} sequences: wall {wall:.1f} s, user {user:.1f} s + sys {sys_:.1f} s = CPU {user + sys_:.1f} s "
      f"-> {(user + sys_) / wall:.2f} cores busy on average of {cores}; peak RSS {rss / 1024:.0f} MB")
print(f"sum over sequences {per_seq:.1f} s (sequence-seconds, run {per_seq / max(wall, 1e-9):.2f} at a time on average):")
for label, v in (("read keypoints (OpenPose JSON)", read), ("compute (calibration, triangulation, gates, labels)", compute),
                 ("write data files (npz, toml)", write), ("write report.html", html)):
    print(f"  {label:<52} {v:8.1f} s  {100 * v / per_seq:5.1f}%")
print(f"  per sequence: read {read / n:.2f} s, compute {compute / n:.2f} s, write {write / n:.2f} s, html {html / n:.2f} s")
print(f"merged dataset: {report['merged']['samples'] if report['merged'] else 0} samples; "
      f"batch outside the sequences (manifest, merge, report, start-up): {merge:.1f} s")
print(f"second run (every sequence skipped, merge skipped): wall {wall2:.1f} s")
EOF
