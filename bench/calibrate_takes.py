#!/usr/bin/env python3
"""One rig calibrated from several takes (`calibrate --poses A --poses B`), scored by evalcalib.

Real trials (Pose2Sim's four-camera rig, the Qualisys calibration as reference):
  bench/calibrate_takes.py real --data /work/shared/data --epilabel build/epilabel
runs each take alone, balancing + two_person and all three, with unknown intrinsics
(--image-size 1088x1920), the same with --shared-focal, and with the Qualisys intrinsics given.

Studio (known truth): two scenes of the same rig with different motion and placement
  bench/calibrate_takes.py studio --rig h36m4 --seeds 1,2 --detector realistic
runs take A alone, take B alone, take A at twice the length (one take as long as both) and
A + B, with unknown intrinsics, and prints the focal errors.

Per run: max rotation error (deg) and focal errors per camera (%) for both evalcalib alignments,
scale error, verdict, and what each take gave (report.json "takes").
"""
import argparse
import json
import os
import subprocess
import sys
import time


def run(cmd, quiet=True):
    t0 = time.time()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0 and not quiet:
        print(p.stdout[-3000:], file=sys.stderr)
    return p.returncode, p.stdout, time.time() - t0


def evalcalib(epilabel, gt, est, out_json):
    code, text, _ = run([epilabel, "-q", "evalcalib", "--gt", gt, "--est", est, "--json", out_json], quiet=False)
    if code != 0:
        return None
    with open(out_json) as f:
        return json.load(f)


def calibrate(epilabel, takes, out_dir, extra):
    os.makedirs(out_dir, exist_ok=True)
    cmd = [epilabel, "-q", "calibrate"]
    for t in takes:
        cmd += ["--poses", t]
    cmd += ["--out", os.path.join(out_dir, "calibration.toml")] + extra
    code, text, secs = run(cmd, quiet=False)
    report = None
    rp = os.path.join(out_dir, "report.json")
    if os.path.exists(rp):
        with open(rp) as f:
            report = json.load(f)
    return code, report, secs


def row(label, mode, code, report, ev, secs):
    if code != 0 or ev is None:
        print(f"{label:<28} {mode:<14} FAILED (exit {code})")
        return
    o, c = ev, ev["by_centres"]
    fo = " ".join(f"{100 * cam['focal_error_rel']:+6.1f}" for cam in o["cameras"])
    print(f"{label:<28} {mode:<14} {o['max_rotation_error_deg']:6.2f} {c['max_rotation_error_deg']:6.2f}  "
          f"{fo}  {100 * max(abs(cam['focal_error_rel']) for cam in o['cameras']):5.1f}  "
          f"{100 * o['scale_error_rel']:+6.1f}  {report['verdict']['status']:<6} {secs:5.0f}s")
    for t in report.get("takes", []):
        print(f"{'':<30}take {os.path.basename(os.path.dirname(t['path'].rstrip('/'))) or t['path']}: "
              f"{t['frames']} frames, {t['people']} people, {t['used_frames']} person-frames used")


HEADER = (f"{'takes':<28} {'mode':<14} {'rotO':>6} {'rotC':>6}  {'focal % per camera':<27}  {'|f|max':>5}  "
          f"{'scale%':>6}  verdict  time")


def real(args):
    d = args.data
    takes = {"balancing": f"{d}/pose2sim_balancing/pose", "two_person": f"{d}/pose2sim_two_person/pose",
             "static": f"{d}/pose2sim_static/pose"}
    gt = f"{d}/pose2sim_balancing/Calib_qualisys.toml"
    sets = [["balancing"], ["two_person"], ["static"], ["balancing", "two_person"],
            ["balancing", "two_person", "static"]]
    if args.sets:
        sets = [s.split("+") for s in args.sets.split(",")]
    modes = {"unknown": ["--image-size", "1088x1920"], "shared-focal": ["--image-size", "1088x1920", "--shared-focal"],
             "qualisys-K": ["--intrinsics", gt]}
    wanted = args.modes.split(",") if args.modes else list(modes)
    print(HEADER)
    for s in sets:
        label = "+".join(s)
        for m in wanted:
            out = os.path.join(args.work, label, m)
            extra = modes[m] + ["--subject-height", "1.72"] + (["--track-heights", args.track_heights]
                                                              if args.track_heights and "two_person" in s else [])
            code, report, secs = calibrate(args.epilabel, [takes[t] for t in s], out, extra)
            ev = evalcalib(args.epilabel, gt, os.path.join(out, "calibration.toml"), os.path.join(out, "eval.json")) \
                if code == 0 else None
            row(label, m, code, report, ev, secs)
            sys.stdout.flush()


def studio(args):
    print(HEADER)
    for seed in [int(s) for s in args.seeds.split(",")]:
        base = os.path.join(args.work, f"{args.rig}_{args.detector}{'_ideal' if args.ideal_lenses else ''}_s{seed}")
        scenes = {}
        # Two takes of the same rig: different clips, seeds (placement, speed, paths) and lengths.
        # "A2": take A's clip and seed at twice the length (as many frames as A + B in one take).
        for name, motion, s, frames in (("A", args.motion_a, seed, args.frames), ("B", args.motion_b, seed + 100, args.frames),
                                        ("A2", args.motion_a, seed, 2 * args.frames)):
            out = os.path.join(base, name)
            code, text, _ = run([args.epilabel, "-q", "synth", "--rig", args.rig, "--frames", str(frames),
                                 "--detector", args.detector, "--motion-variation", "--seed", str(s),
                                 "--motion", os.path.join(args.motions, motion), "--out", out] +
                                (["--ideal-lenses"] if args.ideal_lenses else []), quiet=False)
            if code != 0:
                sys.exit(f"synth failed: {text[-2000:]}")
            scenes[name] = out
        gt = os.path.join(scenes["A"], "calibration.toml")
        with open(gt) as f:
            text = f.read()
        w, h = [int(v) for v in text.split("size = [", 1)[1].split("]", 1)[0].split(",")]
        for label, names in (("A", ["A"]), ("B", ["B"]), ("A2 (one take, 2x)", ["A2"]), ("A+B", ["A", "B"])):
            out = os.path.join(base, "calib_" + "_".join(names))
            code, report, secs = calibrate(args.epilabel, [os.path.join(scenes[n], "pose") for n in names], out,
                                           ["--image-size", f"{w}x{h}"])
            ev = evalcalib(args.epilabel, gt, os.path.join(out, "calibration.toml"), os.path.join(out, "eval.json")) \
                if code == 0 else None
            row(f"{args.rig} {args.detector}{' ideal' if args.ideal_lenses else ''} s{seed} {label}", "unknown", code,
                report, ev, secs)
            sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["real", "studio"])
    ap.add_argument("--epilabel", default="build/epilabel")
    ap.add_argument("--work", default="/tmp/calibrate_takes")
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--sets", help="real: e.g. balancing,balancing+two_person")
    ap.add_argument("--modes", help="real: unknown,shared-focal,qualisys-K")
    ap.add_argument("--track-heights", help="real: --track-heights for runs with two_person (ids from report.json)")
    ap.add_argument("--rig", default="h36m4")
    ap.add_argument("--seeds", default="1")
    ap.add_argument("--detector", default="realistic")
    ap.add_argument("--frames", type=int, default=240)
    ap.add_argument("--ideal-lenses", action="store_true",
                    help="studio: principal points at the image centres and no distortion (what --image-size assumes)")
    ap.add_argument("--motions", default="data/motions")
    ap.add_argument("--motion-a", default="05_06.bvh")
    ap.add_argument("--motion-b", default="131_03.bvh")
    args = ap.parse_args()
    real(args) if args.what == "real" else studio(args)


if __name__ == "__main__":
    main()
