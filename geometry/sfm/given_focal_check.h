// Do the people agree with the focal lengths that were given? (internal to geometry/sfm, a step
// of self_calibration.h). A given focal length that is wrong (intrinsics from another resolution
// or zoom, a phone's EXIF focal, a board calibration gone bad) leaves no trace in the adjustment
// that holds it: the camera slides along its axis until the person has the right size in its
// image, its reprojection error stays small and the leave-one-out check resects it where the
// adjustment put it. On the studio a focal 3-5 % long makes that camera the one furthest off and
// it is seen by no other figure.
//
// The check frees one camera's focal length at a time (aspect ratio kept, no prior, the other
// cameras' intrinsics held) in a copy of the final adjustment started from the calibrated rig,
// on the frames of the quick adjustments, and measures how far the people pull it from the given
// value: pull = f_free / f_given - 1. The other cameras hold the scale of the reconstruction and
// the gauge holds the rig's, so a rig-wide scale change cannot appear as a pull: what remains is
// the one camera's focal length against its distance to the person, which the person's motion in
// depth and across the image determines. Its uncertainty is that of the focal jackknife
// (focal_uncertainty.h): the pull measured again without each contiguous frame block and without
// each joint group, the two jackknife sigmas in quadrature, so that errors correlated in time and
// a detector's joint-specific biases count (the covariance would ignore both; with four
// replicates each the jackknife can also fall below it by chance, so the larger of the two
// counts). The jackknife runs only for a pull that could matter (GivenFocalCheckOptions). A wrong
// focal length distorts the structure the other cameras are measured against (the camera
// opposite it is pulled the other way): when a pull is significant, every other camera pulled by
// more than the floor is measured again with the most pulled significant camera's focal length
// freed as well.
#pragma once

#include <vector>

#include "geometry/optim/bundle_adjustment.h"
#include "geometry/sfm/self_calibration_steps.h"

namespace epilabel {

struct GivenFocalCheckOptions {
  // The jackknife runs only for cameras pulled by more than this (relative) and more than
  // significance_sigmas x the adjustment's covariance sigma of the freed focal length, and its
  // joint groups only when the pull is still significant against the frame blocks' sigma: a
  // pull that fails any of these is never a disagreement (WeakestCameraOptions::min_focal_pull_rel and
  // focal_pull_sigmas, calibration_verdict.h, hold the same values), and the jackknife costs
  // blocks + groups adjustments more than the pull alone. 0, 0: every camera.
  double jackknife_min_pull_rel = 0.015;
  double significance_sigmas = 3.0;
};

struct GivenFocalCheck {
  int frame_blocks = 0;             // jackknife replicates per camera (0: not run)
  int joint_groups = 0;
  std::vector<double> pull_rel;     // per camera f_free / f_given - 1; NaN when not measured
  // Its uncertainty (relative): the larger of the covariance sigma and the jackknife's; when the
  // jackknife stopped early (GivenFocalCheckOptions: the covariance, or the frame blocks alone,
  // already make the pull insignificant) a lower bound of it. NaN: not measured.
  std::vector<double> sigma_rel;
};

// Measures the pull of every registered camera whose intrinsics were given, when at least three
// cameras are registered (with two, the pull of one is the other's as well). `final_ba` is the
// final adjustment's options; its gauge is kept.
GivenFocalCheck CheckGivenFocalLengths(const Observations2d& frames, const std::vector<bool>& registered,
                                       const std::vector<uint8_t>& intrinsics_given,
                                       const SelfCalibrationOptions& options, const BundleAdjustmentOptions& final_ba,
                                       const Rig& rig, const GivenFocalCheckOptions& check_options = {});

}  // namespace epilabel
