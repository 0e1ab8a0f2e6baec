#!/usr/bin/python3
"""Converts caliscope's MediaPipe landmark CSV (xy_<TRACKER>.csv: sync_index, port, frame_index,
frame_time, point_id, img_loc_x, img_loc_y, ...) to EpiLabel's keypoints2d.npz (BlazePose-33,
one camera per port named cam_<port>, frames = sync_index, confidence 1 for detected points).

    /usr/bin/python3 scripts/caliscope_to_npz.py xy_HOLISTIC.csv keypoints2d.npz [--size 1280x720]
"""
import argparse
import csv
import sys

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv")
    ap.add_argument("out")
    ap.add_argument("--size", default="", help="WIDTHxHEIGHT of every camera (stored in image_sizes)")
    args = ap.parse_args()
    rows = []
    with open(args.csv, newline="") as f:
        reader = csv.DictReader(f)
        for need in ("sync_index", "port", "point_id", "img_loc_x", "img_loc_y"):
            if need not in reader.fieldnames:
                sys.exit(f"{args.csv}: missing column '{need}'")
        for r in reader:
            pid = int(r["point_id"])
            if pid < 0 or pid > 32:  # body landmarks only (hands 100+, face 500+)
                continue
            rows.append((int(r["sync_index"]), int(r["port"]), pid, float(r["img_loc_x"]), float(r["img_loc_y"])))
    if not rows:
        sys.exit(f"{args.csv}: no body landmarks (point_id 0-32)")
    ports = sorted({r[1] for r in rows})
    frames = sorted({r[0] for r in rows})
    fi = {f: i for i, f in enumerate(frames)}
    ci = {p: i for i, p in enumerate(ports)}
    kp = np.zeros((len(ports), len(frames), 33, 3))
    for s, p, j, x, y in rows:
        kp[ci[p], fi[s], j] = (x, y, 1.0)
    w, h = (0, 0)
    if args.size:
        w, h = (int(v) for v in args.size.lower().split("x"))
    np.savez(args.out, keypoints2d=kp, camera_names=np.array([f"cam_{p}" for p in ports]),
             frame_numbers=np.array(frames, dtype=np.int64),
             image_sizes=np.array([[w, h]] * len(ports), dtype=np.int32))
    print(f"{len(ports)} cameras, {len(frames)} frames -> {args.out}")


if __name__ == "__main__":
    main()
