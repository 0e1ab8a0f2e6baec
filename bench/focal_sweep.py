#!/usr/bin/env python3
"""Which focal length do a take's detections prefer, and does any bone-length cue see it?

For each scale s of --scales, every camera of the reference calibration gets its focal length
multiplied by s (principal point and distortion kept), `calibrate --intrinsics` places the
cameras from the people with those intrinsics held (no focal check), and `triangulate` (no
skeleton check, no single-view completion: the raw per-frame fit) rebuilds the joints. Per scale:

  cost       the final bundle adjustment's cost (report.json), and each camera's RMS (px)
  bone cv    median over bones of each bone's std / mean over frames (the most-seen person)
  scale sd   std over frames of the per-frame size (median over limb and trunk bones of the
             bone's length over its median): a focal length too long or short should make a
             person moving in depth change size
  joints     mean squared reprojection error (px^2) of the triangulated joints per body region,
             on the joints every scale triangulated: which regions pull the focal length which way

Real trial (Pose2Sim balancing, Qualisys calibration as the reference):
  /usr/bin/python3 bench/focal_sweep.py --keypoints ../shared/data/pose2sim_balancing/pose \
      --reference ../shared/data/pose2sim_balancing/Calib_qualisys.toml --work /tmp/sweep
Studio: `epilabel synth --out S ...`, then --keypoints S/keypoints2d.npz --reference S/calibration.toml.
"""
import argparse
import json
import os
import re
import subprocess
import sys

import numpy as np

BONES = [("left_shoulder", "left_elbow"), ("right_shoulder", "right_elbow"), ("left_elbow", "left_wrist"),
         ("right_elbow", "right_wrist"), ("left_hip", "left_knee"), ("right_hip", "right_knee"),
         ("left_knee", "left_ankle"), ("right_knee", "right_ankle"), ("left_shoulder", "right_shoulder"),
         ("left_hip", "right_hip"), ("left_shoulder", "left_hip"), ("right_shoulder", "right_hip"),
         ("left_ear", "right_ear"), ("upper_neck", "head_top"), ("left_ankle", "left_heel"),
         ("right_ankle", "right_heel")]
SIZE_BONES = 12  # the limb and trunk bones above: the per-frame size
REGIONS = {"face": ("nose", "eye", "ear"), "head": ("upper_neck", "head_top"),
           "arms": ("shoulder", "elbow", "wrist"), "hips": ("hip",), "legs": ("knee", "ankle"),
           "feet": ("toe", "heel")}


def scaled_calibration(src, scale, dst):
    """The reference TOML with fx and fy multiplied by `scale`."""
    out = []
    with open(src) as f:
        for line in f:
            if line.lstrip().startswith("matrix"):
                v = [float(x) for x in re.findall(r"[-+0-9.eE]+", line.split("=", 1)[1])]
                v[0] *= scale
                v[4] *= scale
                line = "matrix = [[%r, %r, %r], [%r, %r, %r], [%r, %r, %r]]\n" % tuple(v)
            out.append(line)
    with open(dst, "w") as f:
        f.write("".join(out))


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        sys.exit("failed: %s\n%s" % (" ".join(cmd), p.stdout[-2000:]))


def subject(path):
    """Points (frames x joints x 3), reprojection errors and joint names of the most-seen person."""
    z = np.load(path)
    p, err, nv = z["points3d"], z["reproj_error_px"], z["n_views"]
    if p.ndim == 3:
        p, err, nv = p[:, None], err[:, None], nv[:, None]
    ok = np.isfinite(p[..., 0]) & (nv >= 2)
    t = int(np.argmax(ok.sum(axis=(0, 2))))
    pts = np.where(ok[:, t, :, None], p[:, t], np.nan)
    return pts, np.where(ok[:, t], err[:, t], np.nan), [str(n) for n in z["joint_names"]]


def bone_lengths(pts, names):
    index = {n: i for i, n in enumerate(names)}
    lengths = []
    for a, b in BONES:
        if a in index and b in index:
            lengths.append(np.linalg.norm(pts[:, index[a]] - pts[:, index[b]], axis=1))
        else:
            lengths.append(np.full(len(pts), np.nan))
    return np.array(lengths)  # bones x frames


def bone_figures(pts, names):
    L = bone_lengths(pts, names)
    cvs = [np.nanstd(l) / np.nanmean(l) for l in L if np.sum(np.isfinite(l)) >= 20]
    rel = L[:SIZE_BONES] / np.nanmedian(L[:SIZE_BONES], axis=1, keepdims=True)
    size = np.nanmedian(rel, axis=0)
    return float(np.median(cvs)), float(np.nanstd(size))


def region_errors(errs, names, scales):
    """Mean squared error per region over the joints that every scale triangulated."""
    common = np.all([np.isfinite(errs[s]) for s in scales], axis=0)
    out = {}
    for region, keys in REGIONS.items():
        cols = [j for j, n in enumerate(names) if any(k in n for k in keys)]
        if not cols:
            continue
        out[region] = {s: float(np.mean(errs[s][:, cols][common[:, cols]] ** 2)) for s in scales}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keypoints", required=True)
    ap.add_argument("--reference", required=True, help="calibration TOML whose intrinsics are scaled")
    ap.add_argument("--work", required=True, help="output folder")
    ap.add_argument("--scales", default="0.95,0.97,1.00,1.03,1.05,1.07")
    ap.add_argument("--epilabel", default="build/epilabel")
    ap.add_argument("--calibrate-args", default="", help="extra calibrate flags, e.g. '--subject-height 1.72'")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    scales = args.scales.split(",")
    rows, errs, names = {}, {}, None
    for s in scales:
        base = os.path.join(args.work, "s" + s)
        scaled_calibration(args.reference, float(s), base + "_intrinsics.toml")
        run([args.epilabel, "-q", "calibrate", "--poses", args.keypoints, "--intrinsics", base + "_intrinsics.toml",
             "--no-given-focal-check", "--out", base + "_calibration.toml", "--report-dir", base + "_report"]
            + args.calibrate_args.split())
        run([args.epilabel, "-q", "triangulate", "--calib", base + "_calibration.toml", "--poses", args.keypoints,
             "--out", base + "_points", "--no-skeleton-check", "--no-complete-single-view", "--no-report"])
        with open(os.path.join(base + "_report", "report.json")) as f:
            report = json.load(f)
        rms = [c.get("rms_px", float("nan")) for c in report.get("cameras", [])]
        cost = report.get("bundle_adjustment", {}).get("final_cost", float("nan"))
        pts, errs[s], names = subject(os.path.join(base + "_points", "points3d.npz"))
        cv, size_sd = bone_figures(pts, names)
        rows[s] = (cost, rms, cv, size_sd)
    print("scale   cost        RMS px per camera              bone cv   scale sd")
    for s in scales:
        cost, rms, cv, size_sd = rows[s]
        print("%-6s %10.0f   %-30s %6.2f %%  %6.2f %%" % (s, cost, " ".join("%.2f" % r for r in rms), 100 * cv,
                                                         100 * size_sd))
    print("\nmean squared reprojection error (px^2) per region, by scale")
    print("region " + "".join("%9s" % s for s in scales))
    for region, by_scale in region_errors(errs, names, scales).items():
        print("%-7s" % region + "".join("%9.2f" % by_scale[s] for s in scales))


if __name__ == "__main__":
    main()
