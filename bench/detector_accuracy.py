#!/usr/bin/python3
"""Per-joint accuracy of `epilabel detect` against OpenPose detections of the same frames.

Compares two folders of OpenPose JSON, one subfolder per camera: ours (COCO-17, as `detect`
writes it, or BlazePose's 33 joints from `detect --model blazepose`) and a reference (OpenPose BODY_25B or COCO: joints 0-16 in COCO order; BODY_25B also
has 18 = head top, 21/24 = heels). Per camera and frame, the reference subject is the person
with the tallest keypoint box; ours is the person whose confident joints are closest to it.
Distances are in % of the subject's body height in that frame: head top (18) to the mid-heel
(21, 24) for BODY_25B, else the keypoint box height scaled by 1.15. A joint counts when the
reference scores it >= --min-ref and ours scores it > 0. The medians over all joints are over
the 17 COCO joints; with BlazePose and a BODY_25B reference, the heels and toes (BlazePose's
foot index against BODY_25B's big toe) are compared too and printed apart.

The fastest tenth of the compared joints (by OpenPose's own speed, central difference over the
neighbouring frames) is reported apart: temporal smoothing that smears fast motion shows there.

Also prints per camera the mean offset (ours - reference) in pixels, to see frame-size
mismatches (the balancing trial's cam01/cam02 videos are 1080 px wide, OpenPose's 1088).

Usage:
  /usr/bin/python3 bench/detector_accuracy.py OURS_DIR REFERENCE_DIR [--min-ref 0.3] [--json OUT]
      [--frame-scale CAM=SX[,SY]]... [--frame-offset CAM=DX[,DY]]... [--remove-camera-offset]
Example (the balancing trial, see bench/README.md):
  epilabel detect --video .../pose2sim_balancing/videos/cam0{1,2,3,4}.mp4 --out /tmp/ours
  /usr/bin/python3 bench/detector_accuracy.py /tmp/ours .../pose2sim_balancing/pose
"""
import argparse
import glob
import json
import os
import re
import sys

import numpy as np

COCO = ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
        "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
        "right_knee", "left_ankle", "right_ankle"]
# Feet in BODY_25B's layout (index: name), compared when both sides have them.
FEET = {19: "left_big_toe", 21: "left_heel", 22: "right_big_toe", 24: "right_heel"}
# BlazePose (blazepose33) -> BODY_25B layout: the 17 COCO joints, then the feet.
BLAZEPOSE_COCO = [0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28]
BLAZEPOSE_FEET = {19: 31, 21: 29, 22: 32, 24: 30}


def as_body25b_layout(person):
    """A BlazePose person (33 joints) in BODY_25B's layout (25, missing joints 0); others as they are."""
    if person.shape[0] != 33:
        return person
    out = np.zeros((25, 3))
    out[:17] = person[BLAZEPOSE_COCO]
    for b25, bp in BLAZEPOSE_FEET.items():
        out[b25] = person[bp]
    return out


def camera_key(folder_name):
    """cam01, cam01_json, cam_01 -> 'cam01'."""
    m = re.search(r"(\d+)", folder_name)
    return "cam%02d" % int(m.group(1)) if m else folder_name


def frame_number(path):
    m = re.findall(r"(\d+)", os.path.basename(path))
    return int(m[-1]) if m else -1


def read_folder(root):
    """{camera: {frame: [array (J, 3)]}}"""
    out = {}
    for sub in sorted(os.listdir(root)):
        folder = os.path.join(root, sub)
        if not os.path.isdir(folder):
            continue
        frames = {}
        for f in glob.glob(os.path.join(folder, "*.json")):
            people = json.load(open(f)).get("people", [])
            frames[frame_number(f)] = [as_body25b_layout(np.array(p["pose_keypoints_2d"], dtype=float).reshape(-1, 3))
                                       for p in people]
        out[camera_key(sub)] = frames
    return out


def box_height(person, min_score):
    ok = person[:, 2] >= min_score
    return np.ptp(person[ok, 1]) if ok.sum() >= 2 else 0.0


def body_height(ref, min_score):
    if ref.shape[0] >= 25 and ref[18, 2] >= min_score and ref[21, 2] >= min_score and ref[24, 2] >= min_score:
        return float(np.linalg.norm(ref[18, :2] - 0.5 * (ref[21, :2] + ref[24, :2])))
    return 1.15 * box_height(ref[:17], min_score)


def match(ours, ref, min_score):
    best, best_d = None, np.inf
    for p in ours:
        ok = (p[:17, 2] > 0) & (ref[:17, 2] >= min_score)
        if ok.sum() < 3:
            continue
        d = np.median(np.linalg.norm(p[:17, :2][ok] - ref[:17, :2][ok], axis=1))
        if d < best_d:
            best, best_d = p, d
    return best


def people_found(ours, ref, min_score, min_joints=6):
    """Per camera: people per frame in both, and how many reference people one of ours matches."""
    out = {}
    for cam in sorted(set(ours) & set(ref)):
        c = {"frames": 0, "reference": 0, "ours": 0, "found": 0, "subject": 0, "subject_found": 0, "others": 0,
             "others_found": 0, "unmatched_ours": 0}
        others_pct = []
        for frame, ref_people in sorted(ref[cam].items()):
            if frame not in ours[cam]:
                continue
            c["frames"] += 1
            real = [p for p in ref_people if (p[:17, 2] >= min_score).sum() >= min_joints]
            mine = [p for p in ours[cam][frame] if (p[:17, 2] > 0).sum() >= min_joints]
            c["reference"] += len(real)
            c["ours"] += len(mine)
            subject = max(real, key=lambda p: box_height(p[:17], min_score)) if real else None
            used = set()
            for r in sorted(real, key=lambda p: -box_height(p[:17], min_score)):
                height = body_height(r, min_score)
                best, best_d = None, np.inf
                for i, p in enumerate(mine):
                    ok = (p[:17, 2] > 0) & (r[:17, 2] >= min_score)
                    if i in used or ok.sum() < 3:
                        continue
                    d = np.median(np.linalg.norm(p[:17, :2][ok] - r[:17, :2][ok], axis=1))
                    if d < best_d:
                        best, best_d = i, d
                found = best is not None and height > 0 and best_d <= 0.1 * height
                is_subject = r is subject
                c["subject" if is_subject else "others"] += 1
                if found:
                    used.add(best)
                    c["found"] += 1
                    c["subject_found" if is_subject else "others_found"] += 1
                    if not is_subject:
                        others_pct.append(100.0 * best_d / height)
            c["unmatched_ours"] += len(mine) - len(used)
        n = max(c["frames"], 1)
        c["reference_per_frame"] = c["reference"] / n
        c["ours_per_frame"] = c["ours"] / n
        c["others_median_pct"] = float(np.median(others_pct)) if others_pct else None
        out[cam] = c
    return out


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ours")
    ap.add_argument("reference")
    ap.add_argument("--min-ref", type=float, default=0.3, help="reference joints scoring below are not compared")
    ap.add_argument("--json", default="", help="write the figures as JSON here")
    ap.add_argument("--frame-scale", action="append", default=[], metavar="CAM=SX[,SY]",
                    help="map our joints of camera CAM into the reference's pixel frame as a resize by (SX, SY), pixel "
                         "centres at integers: x_ref = (x + 0.5) SX - 0.5, SY 1 when not given (the balancing trial: cam01=1.0074074 "
                         "cam02=1.0074074, i.e. 1088/1080: OpenPose's 1088 px frames squeezed into the 1080 px "
                         "videos, see bench/README.md); repeat per camera")
    ap.add_argument("--frame-offset", action="append", default=[], metavar="CAM=DX[,DY]",
                    help="add (DX, DY) px to our joints of camera CAM (after --frame-scale): a video cropped (DX > 0) "
                         "or padded from the reference's frames; repeat per camera")
    ap.add_argument("--remove-camera-offset", action="store_true",
                    help="subtract each camera's median offset (ours - reference, all joints) first: separates a "
                         "frame-size mismatch (cam01/cam02 of the balancing trial) from the detector's error")
    args = ap.parse_args(argv)
    ours, ref = read_folder(args.ours), read_folder(args.reference)
    for items, is_scale in ((args.frame_scale, True), (args.frame_offset, False)):
        for item in items:
            cam, _, value = item.partition("=")
            d = [float(v) for v in value.split(",")]
            d = d + [1.0 if is_scale else 0.0] if len(d) == 1 else d  # one value: x only
            for people in ours.get(camera_key(cam), {}).values():
                for p in people:
                    seen = p[:, 2] > 0
                    for axis in (0, 1):
                        p[seen, axis] = (p[seen, axis] + 0.5) * d[axis] - 0.5 if is_scale else p[seen, axis] + d[axis]
    errors = [[] for _ in COCO]  # % of body height
    feet_errors = {j: [] for j in FEET}
    per_camera = {}
    shift = {}
    if args.remove_camera_offset:
        for cam in sorted(set(ours) & set(ref)):
            offsets = []
            for frame, ref_people in ref[cam].items():
                if not ref_people or frame not in ours[cam]:
                    continue
                subject = max(ref_people, key=lambda p: box_height(p[:17], args.min_ref))
                mine = match(ours[cam][frame], subject, args.min_ref)
                if mine is not None:
                    ok = (subject[:17, 2] >= args.min_ref) & (mine[:17, 2] > 0)
                    offsets.extend(mine[:17, :2][ok] - subject[:17, :2][ok])
            shift[cam] = np.median(np.array(offsets), axis=0) if offsets else np.zeros(2)
    # Each compared joint's speed in the reference (% of body height per frame, central difference
    # of OpenPose's subject): the fastest decile shows whether smoothing smears fast motion.
    speed_error = []
    for cam in sorted(set(ours) & set(ref)):
        subjects = {f: max(people, key=lambda p: box_height(p[:17], args.min_ref))
                    for f, people in ref[cam].items() if people}
        offsets, cam_errors, missed = [], [], 0
        cam_joint = [[] for _ in COCO]
        for frame, ref_people in sorted(ref[cam].items()):
            if not ref_people or frame not in ours[cam]:
                continue
            subject = max(ref_people, key=lambda p: box_height(p[:17], args.min_ref))
            height = body_height(subject, args.min_ref)
            if height <= 0:
                continue
            mine = match(ours[cam][frame], subject, args.min_ref)
            if mine is None:
                missed += 1
                continue
            for j in range(17):
                if subject[j, 2] >= args.min_ref and mine[j, 2] > 0:
                    e = 100.0 * np.linalg.norm(mine[j, :2] - shift.get(cam, 0.0) - subject[j, :2]) / height
                    errors[j].append(e)
                    before, after = subjects.get(frame - 1), subjects.get(frame + 1)
                    if (before is not None and after is not None and before[j, 2] >= args.min_ref
                            and after[j, 2] >= args.min_ref):
                        speed_error.append((50.0 * np.linalg.norm(after[j, :2] - before[j, :2]) / height, e))
                    cam_joint[j].append(e)
                    cam_errors.append(e)
                    offsets.append(mine[j, :2] - subject[j, :2])
            for j in FEET:
                if mine.shape[0] > j and subject.shape[0] > j and subject[j, 2] >= args.min_ref and mine[j, 2] > 0:
                    feet_errors[j].append(100.0 * np.linalg.norm(mine[j, :2] - shift.get(cam, 0.0) - subject[j, :2]) / height)
        off = np.median(np.array(offsets), axis=0) if offsets else np.zeros(2)
        per_camera[cam] = {"median_pct": float(np.median(cam_errors)) if cam_errors else None,
                           "median_offset_px": [float(off[0]), float(off[1])], "subject_missed_frames": missed,
                           "per_joint_median_pct": {COCO[j]: float(np.median(v)) if v else None
                                                    for j, v in enumerate(cam_joint)}}
    people = people_found(ours, ref, args.min_ref)
    per_joint = {COCO[j]: float(np.median(errors[j])) if errors[j] else None for j in range(17)}
    everything = np.concatenate([np.array(e) for e in errors if e]) if any(errors) else np.zeros(0)
    summary = {"median_pct": float(np.median(everything)) if everything.size else None,
               "worst_joint_pct": max(v for v in per_joint.values() if v is not None) if everything.size else None,
               "per_joint_median_pct": per_joint, "per_camera": per_camera, "joints_compared": int(everything.size),
               "feet_median_pct": {FEET[j]: float(np.median(v)) for j, v in feet_errors.items() if v},
               "people": people}
    if speed_error:
        se = np.array(speed_error)
        fast = se[:, 0] >= np.quantile(se[:, 0], 0.9)
        summary["fastest_decile"] = {"min_speed_pct_per_frame": float(se[fast, 0].min()),
                                     "median_speed_pct_per_frame": float(np.median(se[fast, 0])),
                                     "median_pct": float(np.median(se[fast, 1])),
                                     "others_median_pct": float(np.median(se[~fast, 1]))}
    cams = list(per_camera)
    print("joint               median % of body height   (per camera: " + " ".join(cams) + ")")
    for name, v in per_joint.items():
        print("  %-16s  %-6s   %s" % (name, "%.2f" % v if v is not None else "-", " ".join(
            "%5s" % ("%.2f" % per_camera[c]["per_joint_median_pct"][name]
                     if per_camera[c]["per_joint_median_pct"][name] is not None else "-") for c in cams)))
    for name, v in summary["feet_median_pct"].items():
        print("  %-16s  %.2f   (feet: not in the medians below)" % (name, v))
    print("all joints: median %.2f %%, worst joint %.2f %%, %d joints compared" % (
        summary["median_pct"], summary["worst_joint_pct"], summary["joints_compared"]))
    for cam, c in per_camera.items():
        print("  %s: median %.2f %%, median offset (%.1f, %.1f) px, subject missed in %d frames" % (
            cam, c["median_pct"] or 0, c["median_offset_px"][0], c["median_offset_px"][1], c["subject_missed_frames"]))
    if "fastest_decile" in summary:
        fd = summary["fastest_decile"]
        print("fastest 10 %% of the joints (OpenPose's joint moving >= %.2f %% of the height per frame, median %.2f): "
              "median %.2f %% (the others %.2f %%)" % (fd["min_speed_pct_per_frame"], fd["median_speed_pct_per_frame"],
                                                       fd["median_pct"], fd["others_median_pct"]))
    print("people per frame (reference people with >= 6 joints scored >= %.2f; found = one of ours within 10 %% "
          "of its height, median joint distance):" % args.min_ref)
    for cam, c in people.items():
        print("  %s: reference %.2f, ours %.2f; found %d of %d reference people (subject %d of %d, others %d of %d), "
              "%d of ours match nobody; others' median joint distance %s %%" % (
                  cam, c["reference_per_frame"], c["ours_per_frame"], c["found"], c["reference"], c["subject_found"],
                  c["subject"], c["others_found"], c["others"], c["unmatched_ours"],
                  "%.2f" % c["others_median_pct"] if c["others_median_pct"] is not None else "-"))
    if args.json:
        json.dump(summary, open(args.json, "w"), indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
