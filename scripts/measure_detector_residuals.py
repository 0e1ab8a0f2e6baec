#!/usr/bin/env python3
"""Residual statistics of a real 2D detector against its own triangulation.

Reads a calibration (Pose2Sim/Anipose TOML, Rodrigues rotations, k1 k2 p1 p2 [k3]), OpenPose
JSON folders (BODY_25B or COCO: joints 0-16 in COCO order) and the points3d.npz that
`epilabel triangulate` wrote for them, reprojects the subject's 3D joints (the track with the
most triangulated points) into every camera and prints per-joint statistics of the 2D
residual (detection - reprojection), normalised to a person 400 px tall:

- face joints: the residual along the image direction the face points to, regressed on
  |sin(head yaw)| (the shift in a profile view);
- spread: per-axis robust sigma (1.4826 MAD) and the ratio of the 95th percentile of |r| to
  its median (2.45 / 1.18 = 2.08 for a 2D Gaussian; larger = heavier tail), with the Student-t
  degrees of freedom whose radial 95/50 ratio matches;
- bias along the image body axis (mid-hip -> mid-shoulder) for hips, outward along the
  shoulder line for shoulders; face joints: the slope of the residual along the head's image
  left direction against the sine of the head yaw relative to the camera;
- temporal autocorrelation of each residual axis at lag 1 (per camera and joint, pooled) and
  the correlation time it implies;
- Spearman rank correlation between confidence and |r|; spread frontal vs profile.

A held-out camera (`--held-out`) is reprojected from the others' triangulation: its residuals
contain the whole view-dependent error, while the other cameras' residuals are shrunk by the
triangulation that used them.

Usage: /usr/bin/python3 scripts/measure_detector_residuals.py CALIB.toml POSE_DIR POINTS3D.npz
           [--fps 60] [--height 1.72] [--min-confidence 0.2]
"""
import argparse
import glob
import json
import math
import os
import re
import tomllib

import numpy as np

COCO = ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
        "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
        "right_knee", "left_ankle", "right_ankle"]
LS, RS, LH, RH = 5, 6, 11, 12


def rodrigues(r):
    r = np.asarray(r, float)
    theta = np.linalg.norm(r)
    if theta < 1e-12:
        return np.eye(3)
    k = r / theta
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + math.sin(theta) * kx + (1 - math.cos(theta)) * kx @ kx


def read_calibration(path):
    data = tomllib.load(open(path, "rb"))
    cams = []
    for name, c in data.items():
        if not isinstance(c, dict) or "matrix" not in c:
            continue
        d = list(c["distortions"]) + [0.0] * (5 - len(c["distortions"]))
        cams.append(dict(name=c.get("name", name), K=np.array(c["matrix"], float), dist=np.array(d[:5]),
                         R=rodrigues(c["rotation"]), t=np.array(c["translation"], float)))
    return cams


def project(cam, X):
    """X [..., 3] world -> pixels [..., 2] and depth."""
    Xc = X @ cam["R"].T + cam["t"]
    z = Xc[..., 2]
    x, y = Xc[..., 0] / z, Xc[..., 1] / z
    k1, k2, p1, p2, k3 = cam["dist"]
    r2 = x * x + y * y
    radial = 1 + k1 * r2 + k2 * r2 ** 2 + k3 * r2 ** 3
    xd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x)
    yd = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y
    K = cam["K"]
    return np.stack([K[0, 0] * xd + K[0, 1] * yd + K[0, 2], K[1, 1] * yd + K[1, 2]], -1), z


def read_openpose(folder, num_frames, reference):
    """[F, 17, 3] of the detection nearest to `reference` [F, 17, 2] (the subject), per frame."""
    files = sorted(glob.glob(os.path.join(folder, "*.json")))
    out = np.zeros((num_frames, 17, 3))
    for f, path in enumerate(files[:num_frames]):
        people = json.load(open(path)).get("people", [])
        best, best_d = None, np.inf
        for p in people:
            k = np.array(p["pose_keypoints_2d"], float).reshape(-1, 3)[:17]
            ok = (k[:, 2] > 0) & np.isfinite(reference[f]).all(-1)
            if ok.sum() < 5:
                continue
            d = np.median(np.linalg.norm(k[ok, :2] - reference[f][ok], axis=1))
            if d < best_d:
                best, best_d = k, d
        if best is not None:
            out[f] = best
    return out


def spearman(a, b):
    ra = np.argsort(np.argsort(a)).astype(float)
    rb = np.argsort(np.argsort(b)).astype(float)
    return float(np.corrcoef(ra, rb)[0, 1])


def student_ratio(nu, n=400000, seed=1):
    """95th / 50th percentile of the radius of a 2D Student-t (unit-variance axes)."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, 2))
    w = rng.chisquare(nu, n) / nu
    r = np.linalg.norm(z / np.sqrt(w)[:, None], axis=1)
    return np.percentile(r, 95) / np.median(r)


def unit(v):
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(n > 1e-12, n, 1.0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("calib")
    ap.add_argument("pose_dir")
    ap.add_argument("points3d")
    ap.add_argument("--fps", type=float, default=60.0)
    ap.add_argument("--height", type=float, default=1.72)
    ap.add_argument("--min-confidence", type=float, default=0.2)
    ap.add_argument("--skip", nargs="*", default=[], help="cameras left out of the statistics (e.g. cam_03)")
    args = ap.parse_args()

    cams = read_calibration(args.calib)
    npz = np.load(args.points3d)
    P = npz["points3d"]
    if P.ndim == 4:  # [F, tracks, J, 3]: the track with the most points
        P = P[:, np.argmax(np.isfinite(P[..., 0]).sum((0, 2)))]
    P = P[:, :17]
    F = P.shape[0]
    folders = sorted(glob.glob(os.path.join(args.pose_dir, "*")))

    rows = []  # per observation: cam, frame, joint, rx, ry, conf, scale, axis (u,v), yaw terms
    for ci, cam in enumerate(cams):
        if cam["name"] in args.skip:
            continue
        num = re.sub(r"\D", "", cam["name"])
        folder = [d for d in folders if re.sub(r"\D", "", os.path.basename(d)) == num][0]
        proj, depth = project(cam, P)
        det = read_openpose(folder, F, proj)
        center = -cam["R"].T @ cam["t"]
        mid_hip = 0.5 * (P[:, LH] + P[:, RH])
        _, hip_depth = project(cam, mid_hip)
        scale = cam["K"][0, 0] * args.height / hip_depth / 400.0  # [F]
        axis = unit(0.5 * (proj[:, LS] + proj[:, RS]) - 0.5 * (proj[:, LH] + proj[:, RH]))  # image up the body
        # Body yaw: forward = lateral (right->left) x z; angle to the camera direction.
        lateral = (P[:, LS] - P[:, RS]) + (P[:, LH] - P[:, RH])
        lateral[:, 2] = 0
        forward = unit(np.cross(lateral, [0, 0, 1]))
        to_cam = center - mid_hip
        to_cam[:, 2] = 0
        to_cam = unit(to_cam)
        body_cos = (forward * to_cam).sum(-1)
        body_sin = np.cross(forward, to_cam)[:, 2]  # > 0: camera on the person's left
        # Head yaw from nose and ears.
        ear_mid = 0.5 * (P[:, 3] + P[:, 4])
        head_fwd = P[:, 0] - ear_mid
        head_fwd[:, 2] = 0
        head_fwd = unit(head_fwd)
        head_sin = np.cross(head_fwd, to_cam)[:, 2]
        # Image direction the face points to (well defined in profile, where the effect is).
        left_img = unit(project(cam, ear_mid + 0.1 * head_fwd)[0] - project(cam, ear_mid)[0])
        outward = {LS: unit(proj[:, LS] - proj[:, RS]), RS: unit(proj[:, RS] - proj[:, LS]),
                   LH: unit(proj[:, LH] - proj[:, RH]), RH: unit(proj[:, RH] - proj[:, LH])}
        for f in range(F):
            for j in range(17):
                if det[f, j, 2] < args.min_confidence or not np.isfinite(proj[f, j]).all():
                    continue
                r = (det[f, j, :2] - proj[f, j]) / scale[f]
                rows.append((ci, f, j, r[0], r[1], det[f, j, 2], scale[f], axis[f, 0], axis[f, 1],
                             body_cos[f], body_sin[f], head_sin[f], left_img[f, 0], left_img[f, 1],
                             *(outward[j][f] if j in outward else (0.0, 0.0))))
    A = np.array(rows)
    cam_i, frame_i, joint_i = A[:, 0].astype(int), A[:, 1].astype(int), A[:, 2].astype(int)
    r = A[:, 3:5]
    conf = A[:, 5]
    axis = A[:, 7:9]
    body_sin, head_sin = A[:, 10], A[:, 11]
    left_img = A[:, 12:14]
    rad = np.linalg.norm(r, axis=1)
    ok = rad < 60  # gross errors (>15% of 400 px) apart
    print(f"observations {len(A)}, gross (> 60 px at 400 px) {np.sum(~ok)} ({np.mean(~ok) * 100:.2f}%)")
    for c in sorted(set(cam_i)):
        mc = (cam_i == c) & ok
        print(f"{cams[c]['name']}: median |r| {np.median(rad[mc]):.2f} px at 400 px, median offset "
              f"({np.median(r[mc, 0]):+.2f}, {np.median(r[mc, 1]):+.2f})")
    ratios = {nu: student_ratio(nu) for nu in (2.5, 3, 4, 5, 7, 10, 30)}
    print("Student-t 95/50 radial ratio:", ", ".join(f"nu={k}: {v:.2f}" for k, v in ratios.items()))

    print("\njoint            sigma_x  sigma_y  med|r|  p95/p50  nu~  rho1_x rho1_y  bias  spearman(conf,|r|)")
    lag_all = []
    for j in range(17):
        m = (joint_i == j) & ok
        if m.sum() < 20:
            continue
        rj = r[m]
        sig = 1.4826 * np.median(np.abs(rj - np.median(rj, 0)), 0)
        radj = np.linalg.norm(rj - np.median(rj, 0), axis=1)
        ratio = np.percentile(radj, 95) / np.median(radj)
        nu = min(ratios, key=lambda k: abs(ratios[k] - ratio))
        # Lag-1 autocorrelation per camera, pooled (residuals centred per camera).
        xs, ys = [], []
        for c in range(len(cams)):
            mc = m & (cam_i == c)
            if mc.sum() < 10:
                continue
            series = np.full((A[:, 1].max().astype(int) + 1, 2), np.nan)
            series[frame_i[mc]] = r[mc] - np.median(r[mc], 0)
            xs.append(series[:-1])
            ys.append(series[1:])
        X, Y = np.concatenate(xs), np.concatenate(ys)
        good = np.isfinite(X).all(1) & np.isfinite(Y).all(1)
        rho = [np.corrcoef(X[good, k], Y[good, k])[0, 1] for k in range(2)]
        lag_all.append(rho)
        bias = ""
        if j in (LH, RH):
            bias = f"up {np.median((rj * axis[m]).sum(1)):+.2f} out {np.median((rj * A[m, 14:16]).sum(1)):+.2f}"
        elif j in (LS, RS):
            bias = f"out {np.median((rj * A[m, 14:16]).sum(1)):+.2f}"
        elif j <= 4:
            along = (rj * left_img[m]).sum(1)
            hs = np.abs(head_sin[m])
            along, hs = along[np.isfinite(hs)], hs[np.isfinite(hs)]
            slope = np.sum(along * hs) / np.sum(hs * hs)
            bias = f"fwd {slope:+.2f}*|sin(yaw)|"
        print(f"{COCO[j]:15s} {sig[0]:7.2f} {sig[1]:7.2f} {np.median(radj):7.2f} {ratio:7.2f} {nu:4} "
              f"{rho[0]:6.2f} {rho[1]:6.2f}  {bias:22s} {spearman(conf[m], radj):+.2f}")
    rho = np.nanmean(np.array(lag_all))
    print(f"\nmean lag-1 autocorrelation {rho:.2f} at {args.fps:g} fps -> correlation time "
          f"{-1.0 / (args.fps * math.log(max(rho, 1e-6))):.3f} s")
    prof = np.abs(body_sin) > 0.7
    front = np.abs(body_sin) < 0.4
    print(f"median |r| frontal (|sin yaw| < 0.4) {np.median(rad[ok & front]):.2f}, "
          f"profile (> 0.7) {np.median(rad[ok & prof]):.2f}; views {np.sum(front)}, {np.sum(prof)}")
    print(f"median confidence frontal {np.median(conf[front]):.3f}, profile {np.median(conf[prof]):.3f}")
    print(f"spearman(conf, |r|) all joints {spearman(conf[ok], rad[ok]):+.2f}")

    # Shoulder outward bias, hips along the axis, in 3D: widths and segment ratios.
    shoulder_w = np.nanmedian(np.linalg.norm(P[:, LS] - P[:, RS], axis=1))
    hip_w = np.nanmedian(np.linalg.norm(P[:, LH] - P[:, RH], axis=1))
    trunk = np.nanmedian(np.linalg.norm(0.5 * (P[:, LS] + P[:, RS]) - 0.5 * (P[:, LH] + P[:, RH]), axis=1))
    thigh = np.nanmedian(np.concatenate([np.linalg.norm(P[:, LH] - P[:, 13], axis=1),
                                         np.linalg.norm(P[:, RH] - P[:, 14], axis=1)]))
    shin = np.nanmedian(np.concatenate([np.linalg.norm(P[:, 13] - P[:, 15], axis=1),
                                        np.linalg.norm(P[:, 14] - P[:, 16], axis=1)]))
    print(f"\n3D (m): shoulder width {shoulder_w:.3f}, hip width {hip_w:.3f}, trunk (mid-hip to "
          f"mid-shoulder) {trunk:.3f}, thigh {thigh:.3f}, shin {shin:.3f}; per height {args.height}: "
          f"shoulder {shoulder_w / args.height:.3f}, hip {hip_w / args.height:.3f}, trunk {trunk / args.height:.3f}, "
          f"thigh {thigh / args.height:.3f}, shin {shin / args.height:.3f}")


if __name__ == "__main__":
    main()
