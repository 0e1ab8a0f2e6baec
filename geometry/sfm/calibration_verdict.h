// The verdict of a calibration and its reasons (see calibration_pipeline.h): per camera, "check"
// when a figure of the bundle adjustment, the triangulation or the leave-one-camera-out check
// crosses its threshold (CalibrationThresholds) and "failed" when it is not registered or
// moves tens of degrees in the leave-one-out check; for the whole rig, the worst camera verdict, made "check" by too few cameras, frames or motion, or no
// floor from the feet.
#pragma once

#include <string>
#include <vector>

#include "geometry/sfm/calibration_pipeline.h"

namespace epilabel {

struct WeakestCameraOptions {
  // A camera is named the weakest only when it stands out from the other registered cameras by
  // this factor over their median, on either of two figures:
  //  - its leave-one-out shift against the limits (CalibrationThresholds, the larger of rotation
  //    and centre), when it also exceeds them: it disagrees with the others;
  //  - its pose uncertainty: the adjustment's rotation sigma scaled by the camera's reprojection
  //    RMS over the median camera's (the covariance assumes one noise level for every camera);
  //    the adjustment's gauge camera (sigma 0) is not compared: it is weakly held (few frames,
  //    few joints, a poor view).
  // Measured (bench/README.md, "Which camera is weak"): on unperturbed studio scenes the
  // uncertainty stays within 1.4 x the others' median, a camera that sees the person in 12 % of
  // the frames reaches 2.5-3.9 x; a sound camera's leave-one-out shift is mostly detector bias,
  // up to 3 x the others' median within the limits, so it counts only past them.
  double standout_ratio = 2.0;
  // A camera whose given focal length the people pull significantly (given_focal_check.h) is
  // named in the notes and, when it is the only one or its pull stands out (standout_ratio over
  // the other measured cameras' median |pull|), the weakest with evidence "intrinsics": its
  // |pull| above both focal_pull_sigmas x its jackknife sigma and min_focal_pull_rel.
  // Measured (bench/README.md, "Which camera is weak"; h36m4, ring8, ceiling6 x Gaussian and
  // realistic detector x seeds 1-3): on unperturbed scenes every camera's |pull| within 1.6 %
  // and 2.6 sigma (108 cameras); a given focal 3-5 % long is pulled back by 2.5-5.3 %, 4.0-16.5
  // sigma.
  double focal_pull_sigmas = 3.0;
  double min_focal_pull_rel = 0.015;
};

// The weakest camera, when one stands out (WeakestCameraOptions): first by the leave-one-out
// shift past its limits, then by a given focal length the people disagree with, then by the pose
// uncertainty.
struct WeakestCamera {
  int camera = -1;                   // index into the report's cameras; -1: none stands out
  std::string evidence;              // "leave-one-out", "intrinsics" or "uncertainty"
  double ratio = kNaN;               // its figure over the other cameras' median
  // The largest camera's figure over the others' median, named or not (NaN: not comparable).
  double loo_ratio = kNaN;
  double uncertainty_ratio = kNaN;
  // Cameras whose given focal length the people disagree with (significant pull), largest first.
  std::vector<int> focal_disagrees;
  std::string text;                  // what the verdict says; empty when nothing could be compared
};

// From a judged report (the per-camera figures, the leave-one-out shifts and limits, the pulls on
// given focal lengths): which camera stands out as the weakest, if any. JudgeCalibration states it in the reasons (first,
// when the verdict is not "good") or the notes.
WeakestCamera FindWeakestCamera(const CalibrationReport& report, const WeakestCameraOptions& options = {});

// Fills, from the report's self-calibration, world frame, triangulation and leave-one-out
// figures: the per-camera figures and verdicts, the leave-one-out limits in force, the reasons
// and notes (with the weakest camera, FindWeakestCamera, and every given focal length the people
// disagree with), and the overall verdict. `rig` is the calibrated rig in the world frame.
void JudgeCalibration(const CalibrationThresholds& thresholds, const Rig& rig, CalibrationReport* report);

}  // namespace epilabel
