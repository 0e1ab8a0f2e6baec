#!/usr/bin/env python3
# Diagnosis for bench/sync_pose2sim.sh: per camera, the reprojection cost of its keypoints
# interpolated (linear or Catmull-Rom) at frame f+d against the joints the other cameras
# triangulate at frame f (one person per camera and frame: the combination that fits best),
# with a given calibration (CALIB=..., default DATA/Calib_qualisys.toml); prints the minimum d
# per camera on all frames and on each half (CURVES=1: the cost curves instead, mean truncated
# squared error in px^2 at d = -1 .. 1 frame). Usage: CALIB=cal.toml /usr/bin/python3
# bench/sync_offset_scan.py DATA_DIR [joints]
# Per-camera sub-frame offset against the Qualisys calibration: the camera's track interpolated at
# frame f+d, compared with the projection of the point triangulated from the other cameras at f.
import glob, json, os, sys, tomllib, itertools
import numpy as np
data = sys.argv[1]
calib = tomllib.load(open(os.environ.get('CALIB', os.path.join(data, 'Calib_qualisys.toml')), 'rb'))
def rod(r):
    r = np.array(r); th = np.linalg.norm(r); k = r / th
    K = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(th) * K + (1 - np.cos(th)) * K @ K
cams = [v for k, v in calib.items() if k != 'metadata']
P = [np.array(c['matrix']) @ np.hstack([rod(c['rotation']), np.array(c['translation'])[:, None]]) for c in cams]
dirs = sorted(glob.glob(os.path.join(data, 'pose', 'cam*_json')))
def load(d):
    out = []
    for f in sorted(glob.glob(os.path.join(d, '*.json'))):
        out.append([np.array(p['pose_keypoints_2d']).reshape(-1, 3) for p in json.load(open(f))['people']])
    return out
people = [load(d) for d in dirs]
C, F = len(dirs), len(people[0])
def tri(obs):  # obs: list of (P, xy)
    A = []
    for Pm, xy in obs:
        A.append(xy[0] * Pm[2] - Pm[0]); A.append(xy[1] * Pm[2] - Pm[1])
    X = np.linalg.svd(np.array(A))[2][-1]; return X[:3] / X[3]
def proj(Pm, X):
    x = Pm @ np.append(X, 1); return x[:2] / x[2]
MINC = 0.3
# association: per frame the combination of one person per camera with the lowest median error
sel = np.zeros((F, C), int); J = people[0][0][0].shape[0]
track = np.full((C, F, J, 3), np.nan)
for f in range(F):
    best = None
    for combo in itertools.product(*[range(len(people[c][f])) for c in range(C)]):
        errs = []
        for j in range(J):
            obs = [(P[c], people[c][f][combo[c]][j, :2]) for c in range(C) if people[c][f][combo[c]][j, 2] > MINC]
            if len(obs) < 3: continue
            X = tri(obs); errs += [np.linalg.norm(proj(Pm, X) - xy) for Pm, xy in obs]
        if len(errs) < 10: continue
        m = np.median(errs)
        if best is None or m < best[0]: best = (m, combo)
    for c in range(C):
        track[c, f] = people[c][f][best[1][c]]
def interp(c, t, j, mode):
    f0 = int(np.floor(t)); w = t - f0
    if f0 < 1 or f0 + 2 >= F: return None
    p = track[c, f0 - 1:f0 + 3, j]
    if np.any(p[:, 2] <= MINC): return None
    if mode == 'linear': return (1 - w) * p[1, :2] + w * p[2, :2]
    w2, w3 = w * w, w * w * w
    return 0.5 * ((-w3 + 2 * w2 - w) * p[0, :2] + (3 * w3 - 5 * w2 + 2) * p[1, :2] + (-3 * w3 + 4 * w2 + w) * p[2, :2] + (w3 - w2) * p[3, :2])
joints = range(J) if len(sys.argv) < 3 else [int(s) for s in sys.argv[2].split(',')]
def cost(c, d, frames, mode, trunc=15.0):
    s, n = 0.0, 0
    for f in frames:
        for j in joints:
            obs = [(P[o], track[o, f, j, :2]) for o in range(C) if o != c and track[o, f, j, 2] > MINC]
            if len(obs) < 2: continue
            x = interp(c, f + d, j, mode)
            if x is None: continue
            e = np.linalg.norm(proj(P[c], tri(obs)) - x)
            s += min(e, trunc) ** 2; n += 1
    return s / max(n, 1)
if os.environ.get('CURVES'):  # the cost curves themselves, d = -1, -0.8, ..., 1 frame
    for c in range(C):
        for mode in ['linear', 'catmull']:
            print(f'cam{c + 1} {mode:<8}', ' '.join(f'{cost(c, d, range(2, F - 3), mode):6.1f}' for d in np.linspace(-1, 1, 11)))
    sys.exit(0)
ds = np.linspace(-0.6, 0.6, 25)
for frames_name, frames in [('all', range(2, F - 3)), ('first half', range(2, F // 2)), ('second half', range(F // 2, F - 3))]:
    for mode in ['linear', 'catmull']:
        row = []
        for c in range(C):
            cs = np.array([cost(c, d, frames, mode) for d in ds]); i = int(np.argmin(cs))
            i = min(max(i, 1), len(ds) - 2); a = np.polyfit(ds[i - 1:i + 2], cs[i - 1:i + 2], 2)
            row.append(-a[1] / (2 * a[0]))
        print(f'{frames_name:<12} {mode:<8} d* per camera (cam c at f+d matches others at f): ' + ' '.join(f'{r:+.3f}' for r in row), flush=True)
