#!/usr/bin/python3
"""An independent scene generator for checking triangulation (issue 18).

Written apart from the studio (detection/synthetic/): its own body, motion, rigs and detector
noise, so that a check on its scenes says whether our triangulation is fitted to the studio.
Only the file formats `epilabel triangulate` reads are shared (README, *File formats*).

World frame: metres, z up, the floor at z = 0. Cameras: pinhole, cam_from_world x = R X + t,
OpenCV image axes (x right, y down). Frames are numbered 0..N-1 at --fps.

Outputs in --out:
  calibration.toml  the true cameras (Anipose layout, no distortion)
  keypoints2d.npz   COCO-17 detections [cameras, frames, 17, 3] (x px, y px, confidence; 0 = missing)
  truth.npz         points3d [frames, 17, 3] (m), gross [cameras, frames, 17] bool (the views the
                    masked oracle leaves out: swaps, jumps to another joint, random points,
                    guesses at an occluded joint), kind [cameras, frames, 17] int8 (0 clean,
                    1 swap, 2 other joint, 3 random, 4 occluded guess), occluded [cameras, frames, 17]
                    bool, sigma_px [cameras, frames, 17] (the noise scale used), meta (json string)

  /usr/bin/python3 bench/altscene/generate.py --rig opp4|ring|arc4 --noise low|high --seed S
                                              --frames N --out DIR [--off COMPONENT ...]
                                              [--noisy-camera K:FACTOR] [--distance-scale S]
Deterministic per (rig, noise, seed, frames, --off). --off bias|tails|correlation|occlusion|swaps|gross
switches one part of the detector model off (ablations; the scene then differs in its noise draws).
"""
import argparse
import json
import math
import os

import numpy as np

JOINTS = ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
          "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
          "right_knee", "left_ankle", "right_ankle"]
NOSE, LEYE, REYE, LEAR, REAR, LSH, RSH, LEL, REL, LWR, RWR, LHIP, RHIP, LKN, RKN, LAN, RAN = range(17)
MIRROR = [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]
# Limb chains a detector confuses together in a profile view (a whole leg or arm flips).
SWAP_GROUPS = [(LHIP, LKN, LAN), (LKN, LAN), (LAN,), (LSH, LEL, LWR), (LEL, LWR), (LWR,), (LEAR, LEYE)]
PARENT = [-1, NOSE, NOSE, LEYE, REYE, -1, -1, LSH, RSH, LEL, REL, -1, -1, LHIP, RHIP, LKN, RKN]


# ----------------------------------------------------------------------------------------------
# Body: segment lengths per subject
# ----------------------------------------------------------------------------------------------
def make_body(rng):
    h = rng.uniform(1.5, 1.95)
    j = lambda: rng.uniform(0.93, 1.07)  # each segment its own proportion
    return {
        "height": h,
        "pelvis_half": 0.088 * h * j(),
        "thigh": 0.232 * h * j(),
        "shin": 0.238 * h * j(),
        "ankle_height": 0.045 * h * j(),
        "torso": 0.295 * h * j(),
        "shoulder_half": 0.118 * h * j(),
        "upper_arm": 0.172 * h * j(),
        "forearm": 0.152 * h * j(),
        "neck": 0.072 * h * j(),
        "head": 0.065 * h * j(),
    }


def rot_z(a):
    c, s = np.cos(a), np.sin(a)
    r = np.zeros(np.shape(a) + (3, 3))
    r[..., 0, 0], r[..., 0, 1], r[..., 1, 0], r[..., 1, 1], r[..., 2, 2] = c, -s, s, c, 1
    return r


def rot_y(a):
    c, s = np.cos(a), np.sin(a)
    r = np.zeros(np.shape(a) + (3, 3))
    r[..., 0, 0], r[..., 0, 2], r[..., 2, 0], r[..., 2, 2], r[..., 1, 1] = c, s, -s, c, 1
    return r


def rot_x(a):
    c, s = np.cos(a), np.sin(a)
    r = np.zeros(np.shape(a) + (3, 3))
    r[..., 1, 1], r[..., 1, 2], r[..., 2, 1], r[..., 2, 2], r[..., 0, 0] = c, -s, s, c, 1
    return r


def smooth_noise(rng, n, fps, period_s, amplitude):
    """Band-limited random signal: white noise low-passed twice (time constant ~ period_s)."""
    a = math.exp(-1.0 / max(1.0, period_s * fps / (2 * math.pi)))
    x = rng.normal(size=n + 200)
    for _ in range(2):
        y = np.empty_like(x)
        acc = 0.0
        for i, v in enumerate(x):
            acc = a * acc + (1 - a) * v
            y[i] = acc
        x = y
    x = x[200:]
    return amplitude * x / max(1e-9, x.std())


# ----------------------------------------------------------------------------------------------
# Motion: a script of activities, each with its own joint-angle targets, blended smoothly
# ----------------------------------------------------------------------------------------------
ACTIVITIES = ["walk", "walk", "turn", "squat", "bend", "stand", "reach", "walk"]


def make_motion(rng, body, n, fps):
    """Returns the joint angles and root trajectory of n frames (dict of arrays)."""
    # Activity script: segments of 1.5-5 s.
    kind = np.empty(n, dtype=object)
    i = 0
    while i < n:
        k = ACTIVITIES[rng.integers(len(ACTIVITIES))]
        m = int(rng.uniform(1.5, 5.0) * fps)
        kind[i:i + m] = k
        i += m
    weights = {}
    for k in set(ACTIVITIES):
        w = np.array([1.0 if kind[t] == k else 0.0 for t in range(n)])
        # Blend over ~0.4 s (a forward-backward exponential filter).
        a = math.exp(-1.0 / (0.15 * fps))
        for rev in (False, True):
            seq = w[::-1] if rev else w
            out = np.empty(n)
            acc = seq[0]
            for t in range(n):
                acc = a * acc + (1 - a) * seq[t]
                out[t] = acc
            w = out[::-1] if rev else out
        weights[k] = w
    walk = weights["walk"]

    # Root: walk towards random waypoints inside a disc of 1.5 m; speed per subject.
    speed = rng.uniform(0.7, 1.4)
    pos = np.zeros((n, 2))
    heading = np.zeros(n)
    p = rng.uniform(-0.8, 0.8, size=2)
    hd = rng.uniform(-math.pi, math.pi)
    target = rng.uniform(-1.4, 1.4, size=2)
    turn_rate = rng.uniform(1.2, 2.5)  # rad/s at most
    spin = 0.0
    for t in range(n):
        if np.linalg.norm(target - p) < 0.3 or np.linalg.norm(target) > 1.6:
            target = rng.uniform(-1.4, 1.4, size=2)
        want = math.atan2(target[1] - p[1], target[0] - p[0])
        d = (want - hd + math.pi) % (2 * math.pi) - math.pi
        if kind[t] == "turn":
            if spin == 0.0:
                spin = rng.choice([-1.0, 1.0]) * rng.uniform(0.8, 1.8)
            hd += spin / fps * weights["turn"][t]
        else:
            spin = 0.0
            hd += np.clip(d, -turn_rate / fps, turn_rate / fps) * walk[t]
        v = speed * walk[t]
        p = p + v / fps * np.array([math.cos(hd), math.sin(hd)])
        if np.linalg.norm(p) > 1.7:  # a soft wall keeps the subject in the capture volume
            p *= 1.7 / np.linalg.norm(p)
        pos[t], heading[t] = p, hd

    # Gait: phase advances with the distance walked (stride ~ 0.75 H).
    step = np.r_[0, np.linalg.norm(np.diff(pos, axis=0), axis=1)]
    phase = 2 * math.pi * np.cumsum(step) / (0.75 * body["height"]) + rng.uniform(0, 2 * math.pi)
    amp = walk
    sq = weights["squat"] * rng.uniform(0.6, 1.0)
    bd = weights["bend"] * rng.uniform(0.6, 1.0)
    rc = weights["reach"]
    st = weights["stand"]
    r = lambda period, a: smooth_noise(rng, n, fps, period, a)

    ang = {}
    for side, sgn in (("l", 1.0), ("r", -1.0)):
        ph = phase + (0.0 if side == "l" else math.pi)
        ang["hip_flex_" + side] = (amp * 0.45 * np.sin(ph) + sq * 1.6 + bd * 0.25 + r(2.0, 0.08))
        ang["hip_abd_" + side] = 0.05 + r(3.0, 0.06) + st * np.abs(r(4.0, 0.08))
        ang["knee_" + side] = (amp * (0.55 + 0.5 * np.sin(ph + 1.3)) * (np.sin(ph + 1.3) > -0.3) * 0.9
                               + sq * 2.0 + bd * 0.3 + np.abs(r(2.0, 0.06)))
        ang["sh_flex_" + side] = (-amp * 0.4 * np.sin(ph) + rc * (1.2 + 1.0 * np.abs(r(1.5, 1.0))) * (
            r(6.0, 1.0) * sgn > -0.3) + sq * 0.9 + r(2.5, 0.15))
        ang["sh_abd_" + side] = 0.12 + np.abs(r(3.0, 0.25)) + rc * np.abs(r(2.0, 0.5))
        ang["elbow_" + side] = 0.25 + amp * 0.25 + np.abs(r(1.5, 0.45)) + rc * np.abs(r(1.0, 0.5))
    ang["bend"] = bd * rng.uniform(0.9, 1.3) + sq * 0.35 + r(3.0, 0.05) + amp * 0.06
    ang["tilt"] = r(3.0, 0.06)
    ang["twist"] = r(2.0, 0.12) + amp * 0.1 * np.sin(phase)
    ang["head_yaw"] = r(2.0, 0.45)
    ang["head_pitch"] = r(2.5, 0.2) - bd * 0.3
    return pos, heading, ang, kind


def forward_kinematics(body, pos, heading, ang):
    """COCO-17 joints [n, 17, 3] in the world, feet on the floor."""
    n = len(heading)
    b = body
    x = np.zeros((n, 17, 3))
    pelvis_r = rot_z(heading)
    torso_r = pelvis_r @ rot_z(ang["twist"]) @ rot_y(ang["bend"]) @ rot_x(ang["tilt"])
    up = np.array([0, 0, 1.0])
    hip_c = np.zeros((n, 3))

    def apply(r, v):
        return np.einsum("nij,nj->ni", r, v)

    for side, sgn, (hip, knee, ankle, sh, el, wr) in (("l", 1.0, (LHIP, LKN, LAN, LSH, LEL, LWR)),
                                                      ("r", -1.0, (RHIP, RKN, RAN, RSH, REL, RWR))):
        f, a, k = ang["hip_flex_" + side], ang["hip_abd_" + side], ang["knee_" + side]
        x[:, hip] = hip_c + apply(pelvis_r, np.stack([0 * f, sgn * b["pelvis_half"] + 0 * f, 0 * f], 1))
        thigh = np.stack([np.sin(f) * np.cos(a), sgn * np.sin(a), -np.cos(f) * np.cos(a)], 1)
        shin = np.stack([np.sin(f - k) * np.cos(a), sgn * np.sin(a) * 0.6, -np.cos(f - k) * np.cos(a)], 1)
        shin /= np.linalg.norm(shin, axis=1, keepdims=True)
        x[:, knee] = x[:, hip] + b["thigh"] * apply(pelvis_r, thigh)
        x[:, ankle] = x[:, knee] + b["shin"] * apply(pelvis_r, shin)
        top = hip_c + apply(torso_r, np.tile(b["torso"] * up, (n, 1)))
        x[:, sh] = top + apply(torso_r, np.tile([0, sgn * b["shoulder_half"], 0], (n, 1)))
        f, a, e = ang["sh_flex_" + side], ang["sh_abd_" + side], ang["elbow_" + side]
        upper = np.stack([np.sin(f) * np.cos(a), sgn * np.sin(a), -np.cos(f) * np.cos(a)], 1)
        fore = np.stack([np.sin(f + e) * np.cos(a), sgn * np.sin(a), -np.cos(f + e) * np.cos(a)], 1)
        fore /= np.linalg.norm(fore, axis=1, keepdims=True)
        x[:, el] = x[:, sh] + b["upper_arm"] * apply(torso_r, upper)
        x[:, wr] = x[:, el] + b["forearm"] * apply(torso_r, fore)
    neck = hip_c + apply(torso_r, np.tile((b["torso"] + b["neck"]) * up, (n, 1)))
    head_r = torso_r @ rot_z(ang["head_yaw"]) @ rot_y(ang["head_pitch"])
    hd = b["head"]
    for j, v in ((NOSE, [0.95, 0, 0.35]), (LEYE, [0.8, 0.42, 0.7]), (REYE, [0.8, -0.42, 0.7]),
                 (LEAR, [-0.1, 0.98, 0.45]), (REAR, [-0.1, -0.98, 0.45])):
        x[:, j] = neck + apply(head_r, np.tile(np.array(v) * hd, (n, 1)))
    # Feet on the floor: the lower ankle at the ankle height.
    low = np.minimum(x[:, LAN, 2], x[:, RAN, 2])
    x[:, :, 2] += (b["ankle_height"] - low)[:, None]
    x[:, :, 0] += pos[:, 0:1]
    x[:, :, 1] += pos[:, 1:2]
    return x, torso_r, head_r


# ----------------------------------------------------------------------------------------------
# Rigs
# ----------------------------------------------------------------------------------------------
def look_at(centre, target):
    z = target - centre
    z /= np.linalg.norm(z)
    x = np.cross(z, [0, 0, 1.0])
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    r = np.stack([x, y, z])  # rows: camera axes in the world (x right, y down, z forward)
    return r, -r @ centre


def make_rig(rng, kind, distance_scale=1.0):
    """distance_scale: every camera's distance and focal length x this (the same images of the
    person at the rig's centre, stronger or weaker perspective; the random draws are unchanged)."""
    if kind == "opp4":  # four opposite cameras at varied heights (h36m-like)
        az = np.deg2rad(45 + 90 * np.arange(4) + rng.uniform(-12, 12, 4))
        heights = rng.uniform(0.9, 2.9, 4)
    elif kind == "ring":  # a ring of 6-8
        m = int(rng.integers(6, 9))
        az = np.deg2rad(360 * np.arange(m) / m + rng.uniform(-8, 8, m) + rng.uniform(0, 360))
        heights = rng.uniform(1.4, 2.6, m)
    elif kind == "arc4":  # four cameras on one side (an arc of 110-150 degrees)
        span = rng.uniform(110, 150)
        az = np.deg2rad(rng.uniform(0, 360) + np.linspace(-span / 2, span / 2, 4) + rng.uniform(-5, 5, 4))
        heights = rng.uniform(1.0, 2.5, 4)
    else:
        raise ValueError("unknown rig " + kind)
    cams = []
    for i, (a, h) in enumerate(zip(az, heights)):
        w, hgt = (1280, 720) if rng.uniform() < 0.5 else (1000, 1000)
        fr = rng.uniform(0.9, 1.6)
        f = fr * w
        # Far enough that a 2.3 m half-width around the centre (or the body height) stays in view.
        half_fov = min(w, hgt) / 2 / f
        d = max(2.3, 1.25) / half_fov * rng.uniform(0.95, 1.1) * distance_scale
        c = np.array([d * math.cos(a), d * math.sin(a), h])
        target = np.array([rng.uniform(-0.2, 0.2), rng.uniform(-0.2, 0.2), rng.uniform(0.8, 1.1)])
        r, t = look_at(c, target)
        f = f * distance_scale
        k = np.array([[f * rng.uniform(0.995, 1.005), 0, w / 2 + rng.uniform(-0.02, 0.02) * w],
                      [0, f, hgt / 2 + rng.uniform(-0.02, 0.02) * hgt], [0, 0, 1]])
        cams.append({"name": "cam_%d" % (i + 1), "K": k, "R": r, "t": t, "size": (w, hgt), "centre": c})
    return cams


def rodrigues(r):
    angle = math.acos(max(-1.0, min(1.0, (np.trace(r) - 1) / 2)))
    if angle < 1e-12:
        return np.zeros(3)
    v = np.array([r[2, 1] - r[1, 2], r[0, 2] - r[2, 0], r[1, 0] - r[0, 1]])
    if math.pi - angle < 1e-6:  # near pi: from the symmetric part
        m = (r + np.eye(3)) / 2
        axis = np.sqrt(np.maximum(np.diag(m), 0))
        i = int(np.argmax(axis))
        axis = m[:, i] / math.sqrt(m[i, i])
        return axis * angle
    return v / (2 * math.sin(angle)) * angle


def write_calibration(path, cams):
    with open(path, "w") as f:
        for c in cams:
            k = c["K"]
            f.write("[%s]\nname = \"%s\"\nsize = [ %d, %d ]\n" % (c["name"], c["name"], *c["size"]))
            f.write("matrix = [ [ %.10f, 0.0, %.10f ], [ 0.0, %.10f, %.10f ], [ 0.0, 0.0, 1.0 ] ]\n" %
                    (k[0, 0], k[0, 2], k[1, 1], k[1, 2]))
            f.write("distortions = [ 0.0, 0.0, 0.0, 0.0, 0.0 ]\n")
            f.write("rotation = [ %.12f, %.12f, %.12f ]\n" % tuple(rodrigues(c["R"])))
            f.write("translation = [ %.12f, %.12f, %.12f ]\nfisheye = false\n\n" % tuple(c["t"]))


def project(cam, x):
    p = x @ cam["R"].T + cam["t"]
    uv = p @ cam["K"].T
    return uv[..., :2] / uv[..., 2:3], p[..., 2]


# ----------------------------------------------------------------------------------------------
# Detector noise
# ----------------------------------------------------------------------------------------------
NOISE_LEVELS = {"low": 0.007, "high": 0.013}  # noise scale as a fraction of the body's image height
# Per joint: noise factor (the face is sharp, hips and wrists loose).
JOINT_NOISE = np.array([0.6, 0.55, 0.55, 0.8, 0.8, 1.0, 1.0, 1.2, 1.2, 1.5, 1.5, 1.5, 1.5, 1.1, 1.1, 1.15, 1.15])


def ar1_student(rng, shape, n, rho, nu):
    """AR(1) series along axis 0 of length n with Student-t innovations (unit scale)."""
    e = rng.standard_t(nu, size=(n,) + shape) if nu else rng.normal(size=(n,) + shape)
    out = np.empty_like(e)
    acc = e[0]
    s = math.sqrt(1 - rho * rho)
    for t in range(n):
        acc = rho * acc + s * e[t] if t else e[0]
        out[t] = acc
    return out


def occluded_by_body(cam, x, torso_r, head_r):
    """[n, 17] True where the camera sees the joint behind the torso or the head.

    The torso is a box between the hips and the shoulders (half widths: shoulders, 0.11 m deep);
    a joint is hidden when the segment from the camera to it crosses the box and the joint is on
    the far side of the box's mid-plane. Face joints are hidden when they face away from the camera.
    """
    n = x.shape[0]
    c = cam["centre"]
    occ = np.zeros((n, 17), dtype=bool)
    hip_c = (x[:, LHIP] + x[:, RHIP]) / 2
    sh_c = (x[:, LSH] + x[:, RSH]) / 2
    centre = (hip_c + sh_c) / 2
    half = np.stack([np.full(n, 0.11), np.linalg.norm(x[:, LSH] - x[:, RSH], axis=1) / 2 * 0.9,
                     np.linalg.norm(sh_c - hip_c, axis=1) / 2], 1)
    rt = np.transpose(torso_r, (0, 2, 1))
    o = np.einsum("nij,nj->ni", rt, c - centre)
    for j in range(17):
        if j in (LSH, RSH, LHIP, RHIP):  # on the box's edge: hidden when the torso faces away
            side = np.einsum("nij,nj->ni", rt, x[:, j] - centre)
            to_cam = o - side
            occ[:, j] = -to_cam[:, 1] * np.sign(side[:, 1]) > \
                np.abs(to_cam[:, 0]) * 1.2
            continue
        p = np.einsum("nij,nj->ni", rt, x[:, j] - centre)
        d = p - o
        # Slab test of the segment o -> p against the box.
        t0, t1 = np.zeros(n), np.ones(n)
        for a in range(3):
            with np.errstate(divide="ignore", invalid="ignore"):
                ta = (-half[:, a] - o[:, a]) / d[:, a]
                tb = (half[:, a] - o[:, a]) / d[:, a]
            lo, hi = np.minimum(ta, tb), np.maximum(ta, tb)
            par = np.abs(d[:, a]) < 1e-12
            inside = np.abs(o[:, a]) <= half[:, a]
            lo = np.where(par, np.where(inside, -np.inf, np.inf), lo)
            hi = np.where(par, np.where(inside, np.inf, -np.inf), hi)
            t0, t1 = np.maximum(t0, lo), np.minimum(t1, hi)
        occ[:, j] = (t0 < t1) & (t1 < 0.999)
    # Face: a joint whose outward direction points away from the camera.
    head_c = (x[:, LEAR] + x[:, REAR]) / 2
    for j, out in ((NOSE, [1, 0, 0]), (LEYE, [1, 0.5, 0]), (REYE, [1, -0.5, 0]), (LEAR, [0, 1, 0]), (REAR, [0, -1, 0])):
        nrm = np.einsum("nij,j->ni", head_r, np.array(out, float) / np.linalg.norm(out))
        v = c - head_c
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        occ[:, j] = np.einsum("ni,ni->n", nrm, v) < -0.15
    return occ


def detect(rng, cams, x, torso_r, head_r, noise, off=(), noisy=None):
    """Detections [C, n, 17, 3], gross mask, kind, occluded, sigma. `off`: components switched off
    (bias, tails, correlation, occlusion, swaps, gross), for ablations. `noisy`: (camera index
    from 1, factor): that camera's noise scale x factor (a worse camera; the random draws are
    the same, so the other cameras' detections do not change)."""
    n = x.shape[0]
    C = len(cams)
    det = np.zeros((C, n, 17, 3))
    gross = np.zeros((C, n, 17), dtype=bool)
    kind = np.zeros((C, n, 17), dtype=np.int8)
    occluded = np.zeros((C, n, 17), dtype=bool)
    sig_all = np.zeros((C, n, 17))
    level = NOISE_LEVELS[noise]
    nu = rng.uniform(3.0, 5.0)
    body_fwd = torso_r[:, :, 0]  # torso's forward axis in the world
    # Per-joint view-dependent bias in the body frame: a 3D offset that turns with the angle
    # between the camera and the body's facing: b(theta) = u_j * cos(theta) + v_j * sin(2 theta)
    # (metres), plus a 2D pull towards the parent joint growing with foreshortening.
    u = rng.normal(0, 0.012, size=(17, 3))
    v = rng.normal(0, 0.010, size=(17, 3))
    u[[LHIP, RHIP]] += rng.normal(0, 0.018, size=(2, 3))
    pull = rng.uniform(0.04, 0.12)
    for ci, cam in enumerate(cams):
        uv, depth = project(cam, x)
        body_px = cam["K"][0, 0] * 1.0 / np.maximum(depth.mean(axis=1), 0.5)  # pixels per metre at the body
        to_cam = cam["centre"][None, :] - x.mean(axis=1)
        to_cam[:, 2] = 0
        to_cam /= np.linalg.norm(to_cam, axis=1, keepdims=True)
        fwd = body_fwd.copy()
        fwd[:, 2] = 0
        fwd /= np.linalg.norm(fwd, axis=1, keepdims=True)
        cos_t = np.einsum("ni,ni->n", fwd, to_cam)
        sin_t = np.cross(fwd, to_cam)[:, 2]
        theta = np.arctan2(sin_t, cos_t)
        # Biased 3D position, projected.
        off_body = np.cos(theta)[:, None, None] * u[None] + np.sin(2 * theta)[:, None, None] * v[None]
        off_world = np.einsum("nij,nkj->nki", torso_r, off_body) * (0.0 if "bias" in off else 1.0)
        uv_b, _ = project(cam, x + off_world)
        # Foreshortening pull towards the parent's projection.
        for j in range(17):
            p = PARENT[j]
            if p < 0:
                continue
            bone = x[:, j] - x[:, p]
            ray = x[:, j] - cam["centre"]
            cosr = np.abs(np.einsum("ni,ni->n", bone, ray)) / (
                np.linalg.norm(bone, axis=1) * np.linalg.norm(ray, axis=1) + 1e-12)
            uv_b[:, j] += -(0.0 if "bias" in off else pull) * cosr[:, None] ** 2 * (uv[:, j] - uv[:, p])
        occ = occluded_by_body(cam, x, torso_r, head_r)
        if "occlusion" in off:
            occ[:] = False
        occluded[ci] = occ
        sigma = level * cam["K"][0, 0] / np.maximum(depth, 0.5) * 1.75  # ~ level x body image height
        sigma = sigma * JOINT_NOISE[None, :] * np.where(occ, 2.5, 1.0)
        if noisy is not None and noisy[0] == ci + 1:
            sigma = sigma * noisy[1]
        rho = rng.uniform(0.6, 0.9)
        e = ar1_student(rng, (17, 2), n, 0.0 if "correlation" in off else rho, None if "tails" in off else nu) * sigma[:, :, None]
        obs = uv_b + e
        k = np.zeros((n, 17), dtype=np.int8)
        # Left/right swaps in profile (|sin theta| large): stretches of a few frames.
        prof = np.abs(sin_t)
        t = 0
        while t < n:
            if "swaps" not in off and prof[t] > 0.8 and rng.uniform() < 0.012 * (prof[t] - 0.8) / 0.2:
                dur = int(rng.integers(3, 15))
                grp = SWAP_GROUPS[rng.integers(len(SWAP_GROUPS))]
                for jl in grp:
                    jr = MIRROR[jl]
                    a, b = obs[t:t + dur, jl].copy(), obs[t:t + dur, jr].copy()
                    obs[t:t + dur, jl], obs[t:t + dur, jr] = b, a
                    k[t:t + dur, jl] = 1
                    k[t:t + dur, jr] = 1
                t += dur
            t += 1
        # Jumps to another joint (mostly a near one: the detector latches on a neighbour limb)
        # and random points, each for 1-4 frames.
        for t in range(n):
            if "gross" not in off and rng.uniform() < 0.006:
                j = int(rng.integers(17))
                dur = int(rng.integers(1, 5))
                other = int(rng.choice([jj for jj in range(17) if jj != j]))
                jitter = rng.normal(0, 2 * sigma[t, j], 2)
                obs[t:t + dur, j] = uv[t:t + dur, other] + jitter
                k[t:t + dur, j] = 2
            if "gross" not in off and rng.uniform() < 0.003:
                j = int(rng.integers(17))
                dur = int(rng.integers(1, 3))
                centre = uv[t].mean(axis=0)
                obs[t:t + dur, j] = centre + rng.uniform(-1, 1, 2) * body_px[t] * 0.8
                k[t:t + dur, j] = 3
        # Occluded: sometimes the detector guesses the mirrored joint's place.
        guess = occ & (rng.uniform(size=(n, 17)) < 0.08) & (k == 0)
        for j in range(17):
            g = guess[:, j]
            obs[g, j] = uv[g, MIRROR[j]] + rng.normal(0, 1, (g.sum(), 2)) * sigma[g, j][:, None]
            k[g, j] = 4
        # Confidence: falls with the error in units of the scale, lower when occluded; gross
        # errors are half the time confident.
        err = np.linalg.norm(obs - uv, axis=2) / np.maximum(sigma, 1e-6)
        conf = 0.92 - 0.06 * err + rng.normal(0, 0.07, (n, 17))
        conf = np.where(occ, conf * 0.55, conf)
        bad = k > 0
        gross_conf = np.where(rng.uniform(size=(n, 17)) < 0.5, rng.uniform(0.45, 0.9, (n, 17)),
                              rng.uniform(0.1, 0.45, (n, 17)))
        conf = np.where(bad, gross_conf, conf)
        conf = np.clip(conf, 0.05, 0.99)
        # Dropped: occluded 25 %, any 1 %, outside the image, behind the camera.
        w, h = cam["size"]
        drop = (occ & (rng.uniform(size=(n, 17)) < 0.25)) | (rng.uniform(size=(n, 17)) < 0.01)
        drop |= (obs[..., 0] < 0) | (obs[..., 0] >= w) | (obs[..., 1] < 0) | (obs[..., 1] >= h) | (depth < 0.2)
        det[ci, :, :, :2] = obs
        det[ci, :, :, 2] = conf
        det[ci][drop] = 0
        k[drop] = 0
        kind[ci] = k
        gross[ci] = k > 0
        sig_all[ci] = sigma
    return det, gross, kind, occluded, sig_all


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rig", default="opp4", choices=["opp4", "ring", "arc4"])
    ap.add_argument("--noise", default="low", choices=sorted(NOISE_LEVELS))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--frames", type=int, default=1000)
    ap.add_argument("--fps", type=float, default=30.0)
    ap.add_argument("--out", required=True)
    ap.add_argument("--off", action="append", default=[], choices=["bias", "tails", "correlation", "occlusion", "swaps", "gross"],
                    help="switch a detector component off (repeatable; ablations)")
    ap.add_argument("--distance-scale", type=float, default=1.0,
                    help="cameras' distances and focal lengths x this (perspective strength; same images at the centre)")
    ap.add_argument("--noisy-camera", default="", help="K:FACTOR: camera K's (from 1) noise scale x FACTOR")
    a = ap.parse_args()
    tag = {"opp4": 11, "ring": 23, "arc4": 37}[a.rig] * 1000 + {"low": 1, "high": 2}[a.noise]
    rng = np.random.default_rng([a.seed, tag, a.frames])
    body = make_body(rng)
    pos, heading, ang, kind_act = make_motion(rng, body, a.frames, a.fps)
    x, torso_r, head_r = forward_kinematics(body, pos, heading, ang)
    cams = make_rig(rng, a.rig, a.distance_scale)
    noisy = None
    if a.noisy_camera:
        k, f = a.noisy_camera.split(":")
        noisy = (int(k), float(f))
    det, gross, kind, occluded, sigma = detect(rng, cams, x, torso_r, head_r, a.noise, a.off, noisy)
    os.makedirs(a.out, exist_ok=True)
    write_calibration(os.path.join(a.out, "calibration.toml"), cams)
    np.savez(os.path.join(a.out, "keypoints2d.npz"), keypoints2d=det,
             camera_names=np.array([c["name"] for c in cams]), frame_numbers=np.arange(a.frames, dtype=np.int64),
             joint_names=np.array(JOINTS), image_sizes=np.array([c["size"] for c in cams], dtype=np.int32))
    meta = {"off": a.off, "noisy_camera": a.noisy_camera, "distance_scale": a.distance_scale, "rig": a.rig, "noise": a.noise, "seed": a.seed, "frames": a.frames, "height_m": body["height"],
            "cameras": len(cams), "activities": {k: int((kind_act == k).sum()) for k in set(ACTIVITIES)}}
    np.savez(os.path.join(a.out, "truth.npz"), points3d=x, gross=gross, kind=kind, occluded=occluded,
             sigma_px=sigma, meta=np.array(json.dumps(meta)))
    seen = det[..., 2] > 0
    print("%s: %d cameras, %d frames, height %.2f m; seen %.1f %%, gross %.2f %% of seen, occluded %.1f %%" %
          (a.out, len(cams), a.frames, body["height"], 100 * seen.mean(), 100 * gross[seen].mean(),
           100 * occluded[seen].mean()))


if __name__ == "__main__":
    main()
