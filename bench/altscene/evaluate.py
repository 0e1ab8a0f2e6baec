#!/usr/bin/python3
"""Triangulation on scenes of the independent generator (generate.py) against the masked oracle.

For every rig x noise level x seed: generates the scene (cached in --work), runs
`epilabel triangulate` with the true calibration per frame (the default options) and with
--smooth, and compares MPJPE (world, mm, no alignment) with the masked oracle: each point a
confidence-weighted DLT over the views that are not gross errors (and above triangulate's
--min-confidence, 0.2), refined by Gauss-Newton on the weighted pixel reprojection error; the
definition of bench/triangulation_accuracy.cc's oracle.

Columns: oracle / ours MPJPE each over the points that method triangulated (ours: the points
of two views or more; single-view completions, n_views 1, are counted apart), ratio; the same
on the points both triangulated ("common"); share of the oracle's points ours has; completions
and their MPJPE, ours with them / oracle ("+compl"); --smooth / oracle.

  /usr/bin/python3 bench/altscene/evaluate.py [--epilabel build/epilabel] [--rigs opp4,ring,arc4]
      [--noise low,high] [--seeds 1-5] [--frames 1000] [--work /tmp/altscene] [--no-smooth]
      [--off bias,tails] [--oracle-mask-sigmas K] [--extra "--threshold-sigmas 7"] [--diag]
"""
import argparse
import ast
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_seeds(s):
    out = []
    for part in s.split(","):
        if "-" in part:
            a, b = part.split("-")
            out += list(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    return out


def read_calibration(path):
    """Minimal reader of the calibration generate.py writes (K, R, t per camera, in file order)."""
    cams, cur = [], None
    for line in open(path):
        line = line.strip()
        if line.startswith("["):
            cur = {}
            cams.append(cur)
        elif "=" in line and cur is not None:
            k, v = [s.strip() for s in line.split("=", 1)]
            if k in ("matrix", "rotation", "translation"):
                cur[k] = np.array(ast.literal_eval(v), dtype=float)
    out = []
    for c in cams:
        rv = c["rotation"]
        th = np.linalg.norm(rv)
        if th < 1e-12:
            r = np.eye(3)
        else:
            k = rv / th
            kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
            r = np.eye(3) + np.sin(th) * kx + (1 - np.cos(th)) * kx @ kx
        out.append((c["matrix"], r, c["translation"]))
    return out


def masked_oracle(cams, det, gross, min_conf=0.2, iterations=3):
    """points [F, J, 3] (NaN where fewer than two clean views)."""
    C, F, J, _ = det.shape
    kinv = [np.linalg.inv(k) for k, _, _ in cams]
    rs = np.stack([r for _, r, _ in cams])
    ts = np.stack([t for _, _, t in cams])
    fs = np.array([(k[0, 0] + k[1, 1]) / 2 for k, _, _ in cams])
    pts = np.full((F, J, 3), np.nan)
    use = (det[..., 2] >= min_conf) & ~gross
    # Normalised coordinates of every detection.
    norm = np.zeros((C, F, J, 2))
    for c in range(C):
        h = np.concatenate([det[c, :, :, :2], np.ones((F, J, 1))], axis=2) @ kinv[c].T
        norm[c] = h[..., :2] / h[..., 2:3]
    for f in range(F):
        for j in range(J):
            v = np.nonzero(use[:, f, j])[0]
            if len(v) < 2:
                continue
            w = det[v, f, j, 2]
            xy = norm[v, f, j]
            r, t = rs[v], ts[v]
            # Inhomogeneous DLT: (x r3 - r1) X = t1 - x t3, (y r3 - r2) X = t2 - y t3, rows weighted.
            a = np.concatenate([xy[:, 0:1] * r[:, 2] - r[:, 0], xy[:, 1:2] * r[:, 2] - r[:, 1]]) * np.r_[w, w][:, None]
            b = np.concatenate([t[:, 0] - xy[:, 0] * t[:, 2], t[:, 1] - xy[:, 1] * t[:, 2]]) * np.r_[w, w]
            x, *_ = np.linalg.lstsq(a, b, rcond=None)

            def residual(p):
                q = np.einsum("vij,j->vi", r, p) + t
                e = (q[:, :2] / q[:, 2:3] - xy) * fs[v][:, None]
                return e, q

            e, q = residual(x)
            cost = np.sum(w[:, None] * e ** 2)
            for _ in range(iterations):
                # Jacobian of the pixel error wrt X.
                z = q[:, 2]
                jx = (r[:, 0] - (q[:, 0] / z)[:, None] * r[:, 2]) / z[:, None] * fs[v][:, None]
                jy = (r[:, 1] - (q[:, 1] / z)[:, None] * r[:, 2]) / z[:, None] * fs[v][:, None]
                jac = np.concatenate([jx, jy])
                res = np.concatenate([e[:, 0], e[:, 1]])
                ww = np.r_[w, w]
                h = jac.T @ (ww[:, None] * jac)
                g = jac.T @ (ww * res)
                try:
                    step = np.linalg.solve(h, -g)
                except np.linalg.LinAlgError:
                    break
                e2, q2 = residual(x + step)
                c2 = np.sum(w[:, None] * e2 ** 2)
                if not c2 < cost:
                    break
                x, e, q, cost = x + step, e2, q2, c2
            pts[f, j] = x
    return pts


def errors(pts, truth):
    return np.linalg.norm(pts - truth, axis=-1) * 1000.0


def run(cmd, allow_fail=False):
    """Runs cmd; exits naming it when it fails (unless allow_fail). Returns (exit code, output)."""
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0 and not allow_fail:
        sys.exit("failed: %s\n%s" % (" ".join(cmd), r.stdout))
    return r.returncode, r.stdout


def evaluate_scene(args, rig, noise, seed):
    off = [c for c in args.off.split(",") if c]
    d = os.path.join(args.work, "%s-%s-%d-%d%s" % (rig, noise, seed, args.frames, "".join("-no" + c for c in off)))
    if not os.path.exists(os.path.join(d, "truth.npz")):
        run([sys.executable, os.path.join(HERE, "generate.py"), "--rig", rig, "--noise", noise, "--seed", str(seed),
             "--frames", str(args.frames), "--out", d] + sum([["--off", c] for c in off], []))
    truth = np.load(os.path.join(d, "truth.npz"))
    kp = np.load(os.path.join(d, "keypoints2d.npz"))
    x, gross = truth["points3d"], truth["gross"]
    cams = read_calibration(os.path.join(d, "calibration.toml"))
    if args.oracle_mask_sigmas > 0:
        # Also leave out the noise beyond K x the detector's scale at that point (against the true
        # projection): an oracle told the tails too, a stricter reference.
        det = kp["keypoints2d"]
        err = np.zeros(gross.shape)
        for c, (k, r, t) in enumerate(cams):
            q = x @ r.T + t
            uv = q @ k.T
            err[c] = np.linalg.norm(det[c, :, :, :2] - uv[..., :2] / uv[..., 2:3], axis=-1)
        gross = gross | ((det[..., 2] > 0) & (err > args.oracle_mask_sigmas * truth["sigma_px"]))
    cache = os.path.join(d, "oracle%s.npy" % ("" if args.oracle_mask_sigmas <= 0 else "_tail%g" % args.oracle_mask_sigmas))
    if os.path.exists(cache):
        orc = np.load(cache)
    else:
        orc = masked_oracle(cams, kp["keypoints2d"], gross)
        np.save(cache, orc)
    out = {}
    modes = [("ours", [])] + ([] if args.no_smooth else [("smooth", ["--smooth"])])
    env = dict(os.environ)
    if args.diag:
        env["EPILABEL_TRI_DIAG"] = "1"
    for name, extra in modes:
        o = os.path.join(d, "out_" + args.label + "_" + name)
        cmd = [args.epilabel, "-q", "triangulate", "--calib", os.path.join(d, "calibration.toml"), "--keypoints",
               os.path.join(d, "keypoints2d.npz"), "--out", o, "--no-report"] + extra + args.extra.split()
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        if r.returncode != 0:
            sys.exit("failed: %s\n%s" % (" ".join(cmd), r.stdout))
        if args.diag and name == "ours":
            print(r.stdout)
        p = np.load(os.path.join(o, "points3d.npz"))
        out[name] = (p["points3d"], p["n_views"])
    eo = errors(orc, x)
    vo = np.isfinite(eo)
    pts, nv = out["ours"]
    e = errors(pts, x)
    v2 = np.isfinite(e) & (nv >= 2)
    v1 = np.isfinite(e) & (nv == 1)
    common = v2 & vo
    row = {
        "oracle": eo[vo].mean(), "ours": e[v2].mean(), "common_ours": e[common].mean(),
        "common_oracle": eo[common].mean(), "share": common.sum() / max(1, vo.sum()),
        "completed": v1.sum(), "completed_mm": e[v1].mean() if v1.any() else float("nan"),
        "cams": len(cams), "e": e, "eo": eo, "v2": v2, "vo": vo, "nv": nv,
        "clean": ((kp["keypoints2d"][..., 2] >= 0.2) & ~gross).sum(axis=0),
        "wrong": ((kp["keypoints2d"][..., 2] >= 0.2) & gross).sum(axis=0),
    }
    row["ratio"] = row["ours"] / row["oracle"]
    va = np.isfinite(e)
    row["all_ratio"] = e[va].mean() / row["oracle"]  # with the single-view completions
    row["common_ratio"] = row["common_ours"] / row["common_oracle"]
    if "smooth" in out:
        s = errors(out["smooth"][0], x)
        vs = np.isfinite(s)
        row["smooth"] = s[vs].mean()
        row["smooth_ratio"] = row["smooth"] / row["oracle"]
    else:
        row["smooth"] = row["smooth_ratio"] = float("nan")
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epilabel", default="build/epilabel")
    ap.add_argument("--rigs", default="opp4,ring,arc4")
    ap.add_argument("--noise", default="low,high")
    ap.add_argument("--seeds", default="1-5")
    ap.add_argument("--frames", type=int, default=1000)
    ap.add_argument("--work", default="/tmp/altscene")
    ap.add_argument("--label", default="run", help="name of this binary's outputs in the scene folders")
    ap.add_argument("--off", default="", help="generator components switched off, comma-separated (generate.py --off)")
    ap.add_argument("--oracle-mask-sigmas", type=float, default=0.0,
                    help="the oracle also leaves out views whose error exceeds this many noise scales (0: gross only)")
    ap.add_argument("--extra", default="", help="more triangulate options")
    ap.add_argument("--no-smooth", action="store_true")
    ap.add_argument("--diag", action="store_true", help="EPILABEL_TRI_DIAG=1 and per-joint excess")
    args = ap.parse_args()
    print("%-5s %-5s %4s %4s | %7s %7s %6s | %7s %7s %6s | %6s %5s %6s %6s | %7s %6s" %
          ("rig", "noise", "seed", "cams", "oracle", "ours", "ratio", "c.orac", "c.ours", "c.rat", "share",
           "compl", "c.mm", "+compl", "smooth", "s.rat"))
    for rig in args.rigs.split(","):
        for noise in args.noise.split(","):
            ratios, cratios, sratios = [], [], []
            for seed in parse_seeds(args.seeds):
                r = evaluate_scene(args, rig, noise, seed)
                ratios.append(r["ratio"])
                cratios.append(r["common_ratio"])
                sratios.append(r["smooth_ratio"])
                print("%-5s %-5s %4d %4d | %7.2f %7.2f %6.3f | %7.2f %7.2f %6.3f | %6.3f %5d %6.1f %6.3f | %7.2f %6.3f" %
                      (rig, noise, seed, r["cams"], r["oracle"], r["ours"], r["ratio"], r["common_oracle"],
                       r["common_ours"], r["common_ratio"], r["share"], r["completed"], r["completed_mm"],
                       r["all_ratio"], r["smooth"], r["smooth_ratio"]), flush=True)
                if args.diag:
                    both = r["v2"] & r["vo"]
                    ex = np.where(both, r["e"] - r["eo"], 0.0)
                    print("   excess per joint (mm, sum over common points / points):",
                          " ".join("%.2f" % (ex[:, j].sum() / max(1, both.sum())) for j in range(17)))
                    big = both & (ex > 20)
                    print("   points > 2 cm worse than the oracle: %d, carrying %.2f mm of the %.2f mm excess per point;"
                          " points > 2 cm better: %d (%.2f mm)" %
                          (big.sum(), ex[big].sum() / max(1, both.sum()), ex[both].mean(), (both & (ex < -20)).sum(),
                           -ex[both & (ex < -20)].sum() / max(1, both.sum())))
                    # Views: ours used more views than the clean ones (a wrong view kept, at least one)
                    # or fewer (good views dropped); same count: the same views or one swapped for another.
                    nv, cl, wr = r["nv"], r["clean"], r["wrong"]
                    for name, m in (("more views than clean (wrong kept)", big & (nv > cl)),
                                    ("fewer views than clean (good dropped)", big & (nv < cl)),
                                    ("as many as clean, gross views present", big & (nv == cl) & (wr > 0)),
                                    ("as many as clean, no gross view", big & (nv == cl) & (wr == 0))):
                        print("     %-40s %5d points, %.2f mm per point" % (name, m.sum(), ex[m].sum() / max(1, both.sum())))
                    print("   worse points per joint:", " ".join("%d" % big[:, j].sum() for j in range(17)))
            print("%-5s %-5s mean | ratio %.3f (max %.3f), common %.3f (max %.3f), smooth %.3f" %
                  (rig, noise, np.mean(ratios), np.max(ratios), np.mean(cratios), np.max(cratios), np.nanmean(sratios) if not args.no_smooth else float("nan")),
                  flush=True)


if __name__ == "__main__":
    main()
