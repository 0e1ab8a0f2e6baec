#!/usr/bin/python3
"""Self-calibration on scenes of the independent generator (generate.py) against their true cameras.

For every rig x noise level x seed: generates the scene (cached in --work), runs
`epilabel calibrate` from the 2D alone
  (a) "known K": the true intrinsics given (`--intrinsics` = the true calibration.toml, whose
      poses calibrate ignores),
  (b) "unknown K": only each camera's image size given (an intrinsics TOML with `size` alone:
      the cameras of one rig have different sizes, so not `--image-size`),
with `--subject-height` the generator's nominal height, then `epilabel evalcalib` against the true
calibration. Prints per run: worst / median rotation error (deg), worst centre error (% of the
rig radius), worst focal error (%, unknown K), scale error (%), the verdict, the camera the
verdict names weakest ("-" none) and the camera truly furthest off (largest of rotation and
centre error each over the cameras' median; with that ratio).

The generator's nominal height is not what calibrate measures: calibrate stacks 0.08 m + shin
+ thigh + mid-hip to mid-ear + 0.13 m (README, calibrate). "stack %" is that stack computed on
the true 3D points (median over frames) against the nominal height: the scale error calibrate
would make with perfect cameras and joints (scale error ~ nominal / stack - 1). "scale-stack"
is the scale error with that part taken out.

Weakest-camera check: `--perturb-focal K:FACTOR` gives camera K (1-based) a focal length x FACTOR
in the known-K intrinsics (the cameras' true poses are unchanged); `--noisy-camera K:FACTOR`
makes the generator's detector noise of camera K FACTOR x larger (generate.py option). The
perturbed camera is the right one to name.

  /usr/bin/python3 bench/altscene/calibrate_eval.py [--epilabel build/epilabel]
      [--rigs opp4,ring,arc4] [--noise low,high] [--seeds 1-3] [--frames 800] [--work /tmp/altscene]
      [--modes known,unknown] [--perturb-focal 2:1.04] [--noisy-camera 2:2.0] [--off bias,tails] [--distance-scale 0.4]
      [--extra "--ba-joint-weights 1"] [--second-pass] [--json out.json]
"""
import argparse
import ast
import json
import os
import sys

import numpy as np

from evaluate import parse_seeds, run  # same folder

HERE = os.path.dirname(os.path.abspath(__file__))

# COCO-17 indices
NOSE, LEAR, REAR, LHIP, RHIP, LKNEE, RKNEE, LANK, RANK = 0, 3, 4, 11, 12, 13, 14, 15, 16


def parse_cam_factor(s):
    if not s:
        return None
    k, f = s.split(":")
    return int(k), float(f)


def camera_blocks(path):
    """The calibration TOML as a list of (header line, [lines]) per camera."""
    blocks, cur = [], None
    for line in open(path):
        s = line.rstrip("\n")
        if s.startswith("["):
            cur = (s, [])
            blocks.append(cur)
        elif cur is not None and s.strip():
            cur[1].append(s)
    return blocks


def write_sizes_only(src, dst):
    with open(dst, "w") as f:
        for head, lines in camera_blocks(src):
            f.write(head + "\n")
            for l in lines:
                if l.startswith("name") or l.startswith("size"):
                    f.write(l + "\n")
            f.write("\n")


def write_perturbed_focal(src, dst, cam, factor):
    """Camera number cam (1-based) with fx and fy x factor."""
    with open(dst, "w") as f:
        for i, (head, lines) in enumerate(camera_blocks(src)):
            f.write(head + "\n")
            for l in lines:
                if l.startswith("matrix") and i + 1 == cam:
                    m = np.array(ast.literal_eval(l.split("=", 1)[1]), dtype=float)
                    m[0, 0] *= factor
                    m[1, 1] *= factor
                    l = "matrix = [ [ %.10f, 0.0, %.10f ], [ 0.0, %.10f, %.10f ], [ 0.0, 0.0, 1.0 ] ]" % (
                        m[0, 0], m[0, 2], m[1, 1], m[1, 2])
                f.write(l + "\n")
            f.write("\n")


def stature_stack(points):
    """calibrate's height definition on the true 3D points [F, 17, 3] (medians over frames)."""
    d = lambda a, b: np.linalg.norm(points[:, a] - points[:, b], axis=-1)
    shin = np.median(np.concatenate([d(LKNEE, LANK), d(RKNEE, RANK)]))
    thigh = np.median(np.concatenate([d(LHIP, LKNEE), d(RHIP, RKNEE)]))
    mid_hip = (points[:, LHIP] + points[:, RHIP]) / 2
    mid_ear = (points[:, LEAR] + points[:, REAR]) / 2
    trunk = np.median(np.linalg.norm(mid_ear - mid_hip, axis=-1))
    return 0.08 + shin + thigh + trunk + 0.13


def scene_dir(args, rig, noise, seed):
    noisy = parse_cam_factor(args.noisy_camera)
    off = [c for c in args.off.split(",") if c]
    tag = ("" if noisy is None else "-noisy%d_%g" % noisy) + "".join("-no" + c for c in off)
    tag += "" if args.distance_scale == 1.0 else "-dist%g" % args.distance_scale
    d = os.path.join(args.work, "%s-%s-%d-%d%s" % (rig, noise, seed, args.frames, tag))
    if not os.path.exists(os.path.join(d, "truth.npz")):
        extra = ([] if noisy is None else ["--noisy-camera", "%d:%g" % noisy]) + sum([["--off", c] for c in off], [])
        extra += ["--distance-scale", "%g" % args.distance_scale]
        run([sys.executable, os.path.join(HERE, "generate.py"), "--rig", rig, "--noise", noise, "--seed", str(seed),
             "--frames", str(args.frames), "--out", d] + extra)
    return d


def truly_furthest(cams):
    rot = np.array([c["rotation_error_deg"] for c in cams])
    cen = np.array([c["center_error_rel"] for c in cams])
    rr = rot / max(np.median(rot), 1e-12)
    rc = cen / max(np.median(cen), 1e-12)
    score = np.maximum(rr, rc)
    i = int(np.argmax(score))
    return cams[i]["name"], float(score[i])


def calibrate_scene(args, d, mode, height, stack):
    label = args.label + "_" + mode
    out = os.path.join(d, "calib_" + label)
    os.makedirs(out, exist_ok=True)
    gt = os.path.join(d, "calibration.toml")
    pf = parse_cam_factor(args.perturb_focal)
    if mode == "known":
        intr = gt
        if pf is not None:
            intr = os.path.join(out, "intrinsics.toml")
            write_perturbed_focal(gt, intr, *pf)
    else:
        intr = os.path.join(out, "sizes.toml")
        write_sizes_only(gt, intr)
    est = os.path.join(out, "calibration.toml")
    if os.path.exists(est):
        os.remove(est)
    cmd = [args.epilabel, "calibrate", "--keypoints", os.path.join(d, "keypoints2d.npz"), "--intrinsics", intr,
           "--subject-height", "%.4f" % height, "--out", est, "--no-report", "--max-frames", str(args.max_frames)]
    cmd += args.extra.split()
    rc, text = run(["/usr/bin/time", "-f", "CPU %U %S"] + cmd, allow_fail=True)
    cpu = float("nan")
    for line in text.splitlines():
        if line.startswith("CPU "):
            cpu = sum(float(v) for v in line.split()[1:])
    rep_path = os.path.join(out, "report.json")
    rep = json.load(open(rep_path)) if os.path.exists(rep_path) else {}
    verdict = rep.get("verdict", {}).get("status", "?")
    weakest = rep.get("weakest_camera")
    row = {"mode": mode, "verdict": verdict, "weakest": weakest["name"] if weakest else "-",
           "weakest_evidence": weakest["evidence"] if weakest else "", "cpu_s": cpu,
           "reasons": rep.get("verdict", {}).get("reasons", []),
           # the final adjustment's passes (calibrate --ba-passes): per pass its change, and why they stopped
           "passes": rep.get("bundle_adjustment", {}).get("passes", []),
           "passes_stop": rep.get("bundle_adjustment", {}).get("passes_stop", "")}
    if not os.path.exists(est):
        # Written only when the verdict is not failed: nothing to score.
        row.update({"rot_max": float("nan"), "rot_med": float("nan"), "centre_max": float("nan"),
                    "focal_max": float("nan"), "scale": float("nan"), "furthest": "-", "furthest_ratio": float("nan")})
        return row
    ev_path = os.path.join(out, "eval.json")
    run([args.epilabel, "-q", "evalcalib", "--gt", gt, "--est", est, "--json", ev_path])
    ev = json.load(open(ev_path))
    cams = ev["cameras"]
    rot = np.array([c["rotation_error_deg"] for c in cams])
    far, ratio = truly_furthest(cams)
    def percent(key):  # evalcalib writes null where it has no figure (e.g. no metric scale)
        v = ev.get(key)
        return float("nan") if v is None else 100 * v

    scale = percent("scale_error_rel")
    row.update({"rot_max": float(rot.max()), "rot_med": float(np.median(rot)),
                "centre_max": percent("max_center_error_rel"), "focal_max": percent("max_focal_error_rel"),
                "scale": scale,
                "scale_stack": 100 * ((1 + scale / 100) * stack / height - 1),
                "furthest": far, "furthest_ratio": ratio, "radius_m": ev["rig_radius_m"],
                "per_camera": cams})
    if args.second_pass:
        # `calibrate --init` on the result: every usable view of the re-triangulated joints
        # (Huber loss) instead of the views the robust triangulation kept with the rig as it
        # was before the final adjustment.
        ref = os.path.join(out, "second_pass.toml")
        if os.path.exists(ref):
            os.remove(ref)
        rc2, text2 = run(["/usr/bin/time", "-f", "CPU %U %S", args.epilabel, "-q", "calibrate", "--keypoints",
                          os.path.join(d, "keypoints2d.npz"), "--init", est, "--out", ref, "--no-report",
                          "--max-frames", str(args.max_frames), "--report-dir", os.path.join(out, "second")],
                         allow_fail=True)
        if os.path.exists(ref):
            ev2_path = os.path.join(out, "eval_second.json")
            run([args.epilabel, "-q", "evalcalib", "--gt", gt, "--est", ref, "--json", ev2_path])
            ev2 = json.load(open(ev2_path))
            rot2 = np.array([c["rotation_error_deg"] for c in ev2["cameras"]])
            row.update({"second_rot_max": float(rot2.max()), "second_rot_med": float(np.median(rot2)),
                        "second_centre_max": 100 * ev2["max_center_error_rel"],
                        "second_focal_max": 100 * ev2["max_focal_error_rel"]})
            for line in text2.splitlines():
                if line.startswith("CPU "):
                    row["second_cpu_s"] = sum(float(v) for v in line.split()[1:])
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epilabel", default="build/epilabel")
    ap.add_argument("--rigs", default="opp4,ring,arc4")
    ap.add_argument("--noise", default="low,high")
    ap.add_argument("--seeds", default="1-3")
    ap.add_argument("--frames", type=int, default=800)
    ap.add_argument("--max-frames", type=int, default=600, help="calibrate --max-frames")
    ap.add_argument("--work", default="/tmp/altscene")
    ap.add_argument("--label", default="run", help="name of this run's outputs in the scene folders")
    ap.add_argument("--modes", default="known,unknown")
    ap.add_argument("--perturb-focal", default="", help="K:FACTOR, camera K's given focal x FACTOR (known K)")
    ap.add_argument("--noisy-camera", default="", help="K:FACTOR, camera K's detector noise x FACTOR (generator)")
    ap.add_argument("--off", default="", help="generator components switched off, comma-separated (generate.py --off)")
    ap.add_argument("--distance-scale", type=float, default=1.0,
                    help="generator: cameras' distances and focal lengths x this (perspective strength)")
    ap.add_argument("--extra", default="", help="more calibrate options")
    ap.add_argument("--second-pass", action="store_true",
                    help="also refine each result with `calibrate --init` (every usable view) and score that")
    ap.add_argument("--json", default="", help="write every row here")
    args = ap.parse_args()
    rows = []
    print("%-5s %-4s %4s %-7s | %7s %7s %8s %7s %7s %7s | %-7s %-6s %-10s %6s" % (
        "rig", "noise", "seed", "mode", "rot max", "rot med", "centre %", "focal %", "scale %", "sc-stk",
        "verdict", "weak", "furthest", "CPU s"))
    for rig in args.rigs.split(","):
        for noise in args.noise.split(","):
            for seed in parse_seeds(args.seeds):
                d = scene_dir(args, rig, noise, seed)
                truth = np.load(os.path.join(d, "truth.npz"))
                height = json.loads(str(truth["meta"]))["height_m"]
                stack = stature_stack(truth["points3d"])
                for mode in args.modes.split(","):
                    row = calibrate_scene(args, d, mode, height, stack)
                    row.update({"rig": rig, "noise": noise, "seed": seed, "height": height,
                                "stack_pct": 100 * (stack / height - 1)})
                    rows.append(row)
                    print("%-5s %-4s %4d %-7s | %7.3f %7.3f %8.3f %7.2f %+7.2f %+7.2f | %-7s %-6s %-6s %3.1f %6.1f" % (
                        rig, noise, seed, mode, row["rot_max"], row["rot_med"], row["centre_max"], row["focal_max"],
                        row["scale"], row.get("scale_stack", float("nan")), row["verdict"], row["weakest"],
                        row["furthest"], row["furthest_ratio"], row["cpu_s"]), flush=True)
                    if "second_rot_max" in row:
                        print("%-5s %-4s %4d %-7s | %7.3f %7.3f %8.3f %7.2f   (second pass, calibrate --init on it) %6.1f" % (
                            "", "", seed, "2nd", row["second_rot_max"], row["second_rot_med"],
                            row["second_centre_max"], row["second_focal_max"], row.get("second_cpu_s", float("nan"))),
                            flush=True)
                    if row["verdict"] == "failed":
                        print("      failed: " + "; ".join(row["reasons"])[:400], flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1, default=float)


if __name__ == "__main__":
    main()
