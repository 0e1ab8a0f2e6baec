#!/usr/bin/env python3
"""Time offsets with several people in view, end to end through the command line.

For every case a studio is written (`epilabel synth --people N --time-offsets ... [--fps ...]`,
Gaussian or realistic detector), then
  1. `epilabel sync --keypoints keypoints2d.npz` (no calibration: each camera's people are
     followed in 2D and paired with the reference's by their motion), and
  2. with --sync-calib, `epilabel sync --calib` with the studio's cameras (motion, then the
     reprojection refinement; how many cameras it was not sure of, keeping the motion estimate),
     and with --bad-start also from the motion estimate with every other camera's offset moved by
     0.3-1 frame either way (`sync --calib --start`): can the refinement tell a wrong start?
     Each camera is counted right (within --right frames of the truth) or wrong, and sure
     (estimated, confidence >= 0.2, the verdict's rule) or unsure; the table is printed at the end.
  3. with --calibrate, `epilabel calibrate --sync` from the studio's intrinsics, scored by
     `epilabel evalcalib` against the studio's cameras,
and the largest offset error (reference frames) and the worst camera rotation (deg) are printed.
The per-camera frame rates come from the keypoints' timestamps (keypoints2d.npz keeps them).

Usage: bench/sync_people.py [--exe build/epilabel] [--seeds 1,2] [--frames 1200] [--sync-calib [--bad-start]] [--calibrate]
       [--cases h36m4:2,ring8:3] [--detectors gaussian,realistic] [--rates same,mixed] [--out DIR]
"""
import argparse
import random
import re
import json
import os
import subprocess
import sys
import time
import tomllib
import zlib

OFFSETS = [0.0, 17.3, -41.6, 58.9, -7.45, 33.0, -59.7, 4.6]  # frames at 30 fps, as sync_accuracy
MIXED_RATES = [30, 60, 30, 25]  # repeated over the rig's cameras


def run(cmd):
    t0 = time.time()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stdout[-2000:]}")
    return time.time() - t0


def true_offsets_frames(calibration):
    with open(calibration, "rb") as f:
        cams = tomllib.load(f)
    return [v.get("time_offset", 0.0) * 30.0 for k, v in cams.items() if isinstance(v, dict) and "matrix" in v]


def sync_offsets_frames(path):
    with open(path, "rb") as f:
        doc = tomllib.load(f)
    cams = [v for k, v in doc.items() if k.startswith("cam_")]
    return [c["time_offset_frames"] for c in cams], [c.get("estimated", False) for c in cams], doc["metadata"]["verdict"]


def not_sure_count(path):
    with open(path, "rb") as f:
        doc = tomllib.load(f)
    return sum("not sure" in v.get("note", "") for k, v in doc.items() if k.startswith("cam_"))


def sure_flags(path):
    with open(path, "rb") as f:
        doc = tomllib.load(f)
    cams = [v for k, v in doc.items() if k.startswith("cam_")]
    return [c.get("estimated", False) and c.get("confidence", 0.0) >= 0.2 for c in cams]


def perturbed_copy(path, out, seed):
    """The sync.toml at `path` with every camera but the reference moved by 0.3-1 frame either way
    (reference frames; time_offset in seconds moved alike); returns the moves."""
    with open(path, "rb") as f:
        doc = tomllib.load(f)
    rng = random.Random(seed)
    text = open(path).read()
    moves = []
    for k, v in doc.items():
        if not k.startswith("cam_"):
            continue
        move = 0.0 if v["name"] == doc["metadata"]["reference"] else rng.choice([-1, 1]) * rng.uniform(0.3, 1.0)
        moves.append(move)
        fps_ref = v["time_offset_frames"] / v["time_offset"] if v["time_offset"] != 0.0 else 30.0
        block = re.search(r"\[" + k + r"\]\n(?:.*\n)*?(?=\n\[|\Z)", text).group(0)
        new = re.sub(r"time_offset = .*", f"time_offset = {v['time_offset'] + move / fps_ref!r}", block, count=1)
        new = re.sub(r"time_offset_frames = .*", f"time_offset_frames = {v['time_offset_frames'] + move!r}", new, count=1)
        text = text.replace(block, new)
    open(out, "w").write(text)
    return moves


def calibrated_offsets_frames(path):
    with open(path, "rb") as f:
        cams = tomllib.load(f)
    return [v.get("time_offset", 0.0) * 30.0 for k, v in cams.items() if isinstance(v, dict) and "matrix" in v]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exe", default="build/epilabel")
    ap.add_argument("--seeds", default="1,2")
    ap.add_argument("--frames", type=int, default=1200)
    ap.add_argument("--sync-calib", action="store_true")
    ap.add_argument("--bad-start", action="store_true")
    ap.add_argument("--right", type=float, default=0.1)
    ap.add_argument("--calibrate", action="store_true")
    ap.add_argument("--cases", default="h36m4:2,ring8:3")
    ap.add_argument("--detectors", default="gaussian,realistic")
    ap.add_argument("--rates", default="same,mixed")
    ap.add_argument("--out", default="/tmp/sync_people")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    confusion = {}  # (start, right, sure) -> cameras
    print("rig    people detector  rates seed | sync: max err frames, verdict, s"
          " [| sync --calib: max err frames, verdict, cameras not sure, s] [| calibrate --sync: max err frames, rot deg, s]")
    for case in a.cases.split(","):
        rig, people = case.split(":")
        cameras = 4 if rig == "h36m4" else 8
        for detector in a.detectors.split(","):
            for rates in a.rates.split(","):
                for seed in a.seeds.split(","):
                    name = f"{rig}_{people}_{detector}_{rates}_{seed}"
                    scene = os.path.join(a.out, name)
                    cmd = [a.exe, "-q", "synth", "--rig", rig, "--people", people, "--detector", detector,
                           "--seed", seed, "--frames", str(a.frames), "--out", scene,
                           "--time-offsets", ",".join(str(o) for o in OFFSETS[:cameras])]
                    if rates == "mixed":
                        cmd += ["--fps", ",".join(str(MIXED_RATES[c % 4]) for c in range(cameras))]
                    run(cmd)
                    truth = true_offsets_frames(os.path.join(scene, "calibration.toml"))
                    sync_toml = os.path.join(scene, "sync.toml")
                    t_sync = run([a.exe, "-q", "sync", "--keypoints", os.path.join(scene, "keypoints2d.npz"),
                                  "--out", sync_toml])
                    est, estimated, verdict = sync_offsets_frames(sync_toml)
                    errors = [abs(e - t) if ok else float("nan") for e, t, ok in zip(est, truth, estimated)]
                    worst = max(errors) if all(x == x for x in errors) else float("nan")
                    line = f"{rig:6s} {people:6s} {detector:9s} {rates:5s} {seed:4s} | {worst:7.3f} {verdict:9s} {t_sync:5.1f}"
                    if a.sync_calib:
                        calibrated_toml = os.path.join(scene, "sync_calib.toml")
                        t_cal = run([a.exe, "-q", "sync", "--keypoints", os.path.join(scene, "keypoints2d.npz"),
                                     "--calib", os.path.join(scene, "calibration.toml"), "--out", calibrated_toml])
                        est, estimated, verdict = sync_offsets_frames(calibrated_toml)
                        errors = [abs(e - t) if ok else float("nan") for e, t, ok in zip(est, truth, estimated)]
                        worst = max(errors) if all(x == x for x in errors) else float("nan")
                        line += f" | {worst:7.3f} {verdict:9s} {not_sure_count(calibrated_toml):2d} {t_cal:5.1f}"
                        starts = [("motion", calibrated_toml)]
                        if a.bad_start:
                            bad = os.path.join(scene, "sync_bad_start.toml")
                            perturbed_copy(sync_toml, bad, zlib.crc32(name.encode()) % 100000)
                            bad_out = os.path.join(scene, "sync_calib_bad.toml")
                            run([a.exe, "-q", "sync", "--keypoints", os.path.join(scene, "keypoints2d.npz"),
                                 "--calib", os.path.join(scene, "calibration.toml"), "--start", bad, "--out", bad_out])
                            est, estimated, verdict = sync_offsets_frames(bad_out)
                            errors = [abs(e - t) for e, t in zip(est, truth)]
                            line += f" | bad start: {max(errors):6.3f} {verdict:9s} {not_sure_count(bad_out):2d}"
                            starts.append(("bad", bad_out))
                        for start, path in starts:
                            est, _, _ = sync_offsets_frames(path)
                            for c, (e, t, sure) in enumerate(zip(est, truth, sure_flags(path))):
                                if c == 0:
                                    continue
                                key = (start, abs(e - t) <= a.right, sure)
                                confusion[key] = confusion.get(key, 0) + 1
                    if a.calibrate:
                        calib = os.path.join(scene, "selfcal.toml")
                        t_cal = run([a.exe, "-q", "calibrate", "--keypoints", os.path.join(scene, "keypoints2d.npz"),
                                     "--intrinsics", os.path.join(scene, "intrinsics.toml"), "--sync", "--no-report",
                                     "--out", calib])
                        got = calibrated_offsets_frames(calib)
                        cal_worst = max(abs(g - t) for g, t in zip(got, truth))
                        evaluation = os.path.join(scene, "eval.json")
                        run([a.exe, "-q", "evalcalib", "--gt", os.path.join(scene, "calibration.toml"), "--est", calib,
                             "--json", evaluation])
                        with open(evaluation) as f:
                            rot = json.load(f)["max_rotation_error_deg"]
                        line += f" | {cal_worst:7.3f} {rot:7.3f} {t_cal:6.1f}"
                    print(line, flush=True)
    for start in ("motion", "bad"):
        if any(k[0] == start for k in confusion):
            c = lambda right, sure: confusion.get((start, right, sure), 0)
            print(f"sync --calib from the {start} start, cameras (right: within {a.right} frame): "
                  f"right & sure {c(True, True)}, right & unsure {c(True, False)}, "
                  f"wrong & sure {c(False, True)}, wrong & unsure {c(False, False)}")


if __name__ == "__main__":
    main()
