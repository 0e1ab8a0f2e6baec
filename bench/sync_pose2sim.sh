#!/usr/bin/env bash
# Time offsets on real detections: a Pose2Sim trial (four cameras, OpenPose JSON per camera,
# Qualisys calibration, 60 fps) copied with some cameras shifted by known whole frames (leading
# frames dropped, files renumbered) and fractional frames (keypoints interpolated linearly between
# the neighbouring frames, people matched between them), then
#   1. `epilabel sync` without and with --calib (the Qualisys file): the shifts recovered, as
#      errors against the known shifts and against the estimate on the unshifted copy (the
#      method's own bias on this trial, which a shift should not change);
#   2. `epilabel calibrate` on the unshifted copy, and on each copy `calibrate --sync-offsets` with
#      the true shifts (the oracle: the same shorter, interpolated copy synchronised exactly) and
#      `calibrate --sync` with each refinement (search, adjust, auto), all with the Qualisys intrinsics,
#      each scored by `epilabel evalcalib` against the Qualisys calibration, and the offsets
#      `calibrate --sync` writes compared with the shifts.
# Usage: bench/sync_pose2sim.sh DATA_DIR [EPILABEL] [OUT_DIR]
#   DATA_DIR  e.g. /work/shared/data/pose2sim_balancing (pose/camNN_json/, Calib_qualisys.toml)
#   EPILABEL  the executable (default build/epilabel); OUT_DIR default /tmp/sync_pose2sim
# Needs python3 with numpy (PYTHON=..., default /usr/bin/python3). SYNC_FINE="search adjust auto" (the
# default) lists calibrate --sync's refinements run (--sync-fine); HALVES=1 (the default) also runs
# `calibrate --sync` on the first and on the second half of each copy's frames (the spread of the
# offsets), printing each offset's standard error where the refinement reports one. MAX_OFFSET (see
# below; default 0.5 s) the search.
set -euo pipefail
DATA=${1:?usage: bench/sync_pose2sim.sh DATA_DIR [EPILABEL] [OUT_DIR]}
EXE=${2:-build/epilabel}
OUT=${3:-/tmp/sync_pose2sim}
PY=${PYTHON:-/usr/bin/python3}
FPS=60
# Seconds searched by `sync --max-offset` and `calibrate --sync-max-offset` (MAX_OFFSET=default:
# the flags left out, the default search of 5 s, 300 frames, on these 100-frame trials).
MAX_OFFSET=${MAX_OFFSET:-0.5}
if [[ $MAX_OFFSET == default ]]; then SYNC_MAX=(); CAL_MAX=(); else
  SYNC_MAX=(--max-offset "$MAX_OFFSET"); CAL_MAX=(--sync-max-offset "$MAX_OFFSET"); fi
CALIB="$DATA/Calib_qualisys.toml"
mkdir -p "$OUT"

# Cases: name and one shift per camera (frames; camera c's new frame N shows the reference's new
# frame N + shift, the convention of sync.toml).
CASES=(
  "unshifted 0,0,0,0"
  "whole 0,3,0,7"
  "negative 0,-4,-9,5"
  "fractional 0,2.5,-1.5,4.25"
  "mixed 0,-6.3,11,0.6"
)

# Writes a shifted copy of DATA/pose into OUT/CASE/pose.
shift_copy() {
  "$PY" - "$DATA/pose" "$1" "$2" <<'EOF'
import glob, json, math, os, re, sys
import numpy as np

src, dst, shifts = sys.argv[1], sys.argv[2], [float(s) for s in sys.argv[3].split(',')]
cams = sorted(d for d in os.listdir(src) if os.path.isdir(os.path.join(src, d)))
assert len(cams) == len(shifts), f'{len(cams)} cameras, {len(shifts)} shifts'
# Every camera drops `extra` more frames, so that no shifted frame is before the first.
extra = max(0, math.ceil(max(-s for s in shifts)))

def frames_of(cam):
    files = sorted(glob.glob(os.path.join(src, cam, '*.json')))
    return files

def people(path):
    with open(path) as f:
        return [np.array(p['pose_keypoints_2d'], float).reshape(-1, 3) for p in json.load(f)['people']]

def distance(a, b):
    seen = (a[:, 2] > 0) & (b[:, 2] > 0)
    return np.median(np.linalg.norm(a[seen, :2] - b[seen, :2], axis=1)) if seen.sum() >= 3 else np.inf

def blend(pa, pb, w):
    """People of frame a and frame b interpolated at weight w (0: a, 1: b); people matched by the
    smallest median joint distance; a joint missing in either stays missing."""
    out, used = [], set()
    for a in pa:
        d = [distance(a, b) if i not in used else np.inf for i, b in enumerate(pb)]
        if not d or not np.isfinite(min(d)):
            continue
        i = int(np.argmin(d))
        used.add(i)
        b = pb[i]
        k = (1 - w) * a + w * b
        k[(a[:, 2] <= 0) | (b[:, 2] <= 0)] = 0.0
        out.append(k)
    return out

for cam, shift in zip(cams, shifts):
    files = frames_of(cam)
    prefix = re.sub(r'\.\d+\.json$', '', os.path.basename(files[0]))
    digits = len(re.search(r'\.(\d+)\.json$', files[0]).group(1))
    os.makedirs(os.path.join(dst, cam), exist_ok=True)
    n = 0
    while True:
        t = n + shift + extra          # old frame shown by the new frame n
        f0 = math.floor(t + 1e-9)
        w = t - f0
        if w < 1e-9:
            w = 0.0
        if f0 + (1 if w > 0 else 0) >= len(files):
            break
        if w == 0.0:
            ps = people(files[f0])
        else:
            ps = blend(people(files[f0]), people(files[f0 + 1]), w)
        doc = {'version': 1.3, 'people': [{'person_id': [-1], 'pose_keypoints_2d': [round(float(v), 4) for v in p.ravel()]}
                                          for p in ps]}
        with open(os.path.join(dst, cam, f'{prefix}.{n:0{digits}d}.json'), 'w') as f:
            json.dump(doc, f)
        n += 1
EOF
}

# Prints "name truth motion calibrated" rows from the sync.toml files of a case.
offsets() {
  "$PY" - "$@" <<'EOF'
import sys, tomllib
truth = [float(s) for s in sys.argv[1].split(',')]
def read(path):
    with open(path, 'rb') as f:
        doc = tomllib.load(f)
    cams = [v for k, v in doc.items() if k != 'metadata']
    return {c['name']: c for c in cams}, doc['metadata']
motion, mm = read(sys.argv[2])
calib, cm = read(sys.argv[3])
names = list(motion)
print(f"    verdict: motion {mm['verdict']}, calibrated {cm['verdict']}")
for name, t in zip(names, truth):
    m, c = motion[name], calib[name]
    print(f"    {name:<12} truth {t:+7.2f}  motion {m['time_offset_frames']:+8.3f} (conf {m['confidence']:.2f})"
          f"  calibrated {c['time_offset_frames']:+8.3f} (conf {c['confidence']:.2f}){'  ' + c.get('note', '') if c.get('note') else ''}")
EOF
}

# evalcalib's summary line of a calibration, or why there is none.
score() {
  if [[ -f "$1" ]]; then
    "$EXE" evalcalib --gt "$CALIB" --est "$1" 2>&1 | grep "max rotation error"
  else
    echo "no calibration written (see $(dirname "$1")/report.json)"
  fi
}

# The true shifts as a sync.toml (camera names as `sync` writes them).
true_sync() {
  "$PY" - "$1" "$2" "$FPS" "$3" <<'EOF'
import sys, tomllib
shifts, names_from, fps, out = [float(s) for s in sys.argv[1].split(',')], sys.argv[2], float(sys.argv[3]), sys.argv[4]
with open(names_from, 'rb') as f:
    names = [v['name'] for k, v in tomllib.load(f).items() if k != 'metadata']
with open(out, 'w') as f:
    f.write(f'[metadata]\nreference = "{names[0]}"\n')
    for c, (name, s) in enumerate(zip(names, shifts)):
        f.write(f'\n[cam_{c}]\nname = "{name}"\ntime_offset = {s / fps!r}\nfps = {fps!r}\n')
EOF
}

# The offsets a calibration writes, in frames, and their largest error against the shifts; with
# the report (arg 3), each offset's standard error where the refinement gave one.
written() {
  "$PY" - "$1" "$2" "$FPS" "${3:-}" <<'EOF'
import json, os, sys, tomllib
shifts, fps = [float(s) for s in sys.argv[1].split(',')], float(sys.argv[3])
with open(sys.argv[2], 'rb') as f:
    cams = [v for k, v in tomllib.load(f).items() if k != 'metadata']
got = [c.get('time_offset', 0.0) * fps for c in cams]
se = ''
if sys.argv[4] and os.path.exists(sys.argv[4]):
    sync = json.load(open(sys.argv[4])).get('sync', {}).get('cameras', [])
    vals = [c.get('standard_error_frames') for c in sync]
    if any(v is not None for v in vals):
        se = ' SE ' + ' '.join('-' if v is None else (v if isinstance(v, str) else f'{v:.3f}') for v in vals)
print(' '.join(f'{g:+.3f}' for g in got), f'frames (largest error {max(abs(g - s) for g, s in zip(got, shifts)):.3f}){se}')
EOF
}

# The first or second half (arg 3: 1 or 2) of the frames of a pose folder, renumbered from 0.
half_copy() {
  "$PY" - "$1" "$2" "$3" <<'EOF'
import glob, os, shutil, sys
src, dst, half = sys.argv[1], sys.argv[2], int(sys.argv[3])
cams = sorted(os.listdir(src))
# One split frame for every camera (frame N of every camera shows the same instant, up to the
# offsets): half the shortest camera's frames.
n = min(len(glob.glob(os.path.join(src, cam, '*.json'))) for cam in cams) // 2
for cam in cams:
    files = sorted(glob.glob(os.path.join(src, cam, '*.json')))
    part = files[:n] if half == 1 else files[n:]
    os.makedirs(os.path.join(dst, cam), exist_ok=True)
    stem = os.path.basename(files[0]).split('.')[0]
    for i, f in enumerate(part):
        shutil.copy(f, os.path.join(dst, cam, f'{stem}.{i:04d}.json'))
EOF
}

for entry in "${CASES[@]}"; do
  read -r name shifts <<<"$entry"
  dir="$OUT/$name"
  rm -rf "$dir"
  mkdir -p "$dir"
  shift_copy "$dir/pose" "$shifts"
  echo "== $name: shifts $shifts frames at $FPS fps"
  "$EXE" -q sync --poses "$dir/pose" --fps $FPS "${SYNC_MAX[@]}" --out "$dir/sync_motion.toml" >/dev/null
  "$EXE" -q sync --poses "$dir/pose" --fps $FPS "${SYNC_MAX[@]}" --calib "$CALIB" \
    --out "$dir/sync_calib.toml" >/dev/null
  offsets "$shifts" "$dir/sync_motion.toml" "$dir/sync_calib.toml"
  if [[ $name == unshifted ]]; then
    "$EXE" -q calibrate --poses "$dir/pose" --intrinsics "$CALIB" --out "$dir/calibration.toml" \
      --no-report >"$dir/calibrate.log" 2>&1 || true
    echo "    calibrate:        $(score "$dir/calibration.toml")"
  fi
  true_sync "$shifts" "$dir/sync_motion.toml" "$dir/sync_true.toml"
  "$EXE" -q calibrate --poses "$dir/pose" --intrinsics "$CALIB" --sync-offsets "$dir/sync_true.toml" \
    --out "$dir/calibration_oracle.toml" --report-dir "$dir/oracle" --no-report >"$dir/calibrate_oracle.log" 2>&1 || true
  echo "    oracle offsets:   $(score "$dir/calibration_oracle.toml")"
  for fine in ${SYNC_FINE:-search adjust auto}; do
    "$EXE" -q calibrate --poses "$dir/pose" --intrinsics "$CALIB" --sync --sync-fps $FPS --sync-fine $fine \
      "${CAL_MAX[@]}" --out "$dir/calibration_$fine.toml" --report-dir "$dir/$fine" --no-report \
      >"$dir/calibrate_$fine.log" 2>&1 || true
    printf "    --sync %-9s %s\n" "$fine:" "$(score "$dir/calibration_$fine.toml")"
    if [[ -f "$dir/calibration_$fine.toml" ]]; then
      echo "      offsets written: $(written "$shifts" "$dir/calibration_$fine.toml" "$dir/$fine/report.json")"
    fi
  done
  # The spread of the offsets: `calibrate --sync` (auto) on each half of the frames.
  if [[ ${HALVES:-1} == 1 ]]; then
    for half in 1 2; do
      half_copy "$dir/pose" "$dir/half$half/pose" $half
      "$EXE" -q calibrate --poses "$dir/half$half/pose" --intrinsics "$CALIB" --sync --sync-fps $FPS \
        "${CAL_MAX[@]}" --out "$dir/half$half/calibration.toml" --report-dir "$dir/half$half" --no-report \
        >"$dir/half$half/calibrate.log" 2>&1 || true
      if [[ -f "$dir/half$half/calibration.toml" ]]; then
        echo "    half $half auto:  $(written "$shifts" "$dir/half$half/calibration.toml" "$dir/half$half/report.json")"
      else
        echo "    half $half auto:  no calibration written"
      fi
    done
  fi
done
