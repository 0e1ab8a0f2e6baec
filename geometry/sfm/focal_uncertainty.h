// The uncertainty of estimated focal lengths from the data themselves (internal to
// geometry/sfm, a step of self_calibration.h). The bundle adjustment's covariance assumes
// independent detection errors and a correct model; real detections are correlated in time and
// biased joint by joint, and with little motion in depth the focal length trades off against the
// distance to the person, so the covariance can be several times too small: on Pose2Sim's
// balancing trial it says 0.8 % while the focal length is 5 % off (the first and the second half
// of the trial alone give -3.6 % and +9.0 %).
//
// Two delete-a-group jackknifes, each replicate the final adjustment (no outlier rounds, no
// covariance) started from the calibrated rig:
//  - frame blocks: the frames (time-ordered) cut into contiguous blocks, one left out at a time
//    (errors correlated in time, motion that constrains the focal length in some stretches only);
//  - joint groups: the joints dealt into groups (both sides of a symmetric pair together), one
//    group left out at a time (a detector's joint-specific biases, constant over time).
// Each gives sigma = sqrt((n - 1) / n x sum (f_i - mean)^2) over its n replicates; the focal
// uncertainty is the two added in quadrature.
#pragma once

#include <vector>

#include "geometry/optim/bundle_adjustment.h"
#include "geometry/sfm/self_calibration_steps.h"

namespace epilabel {

struct FocalJackknife {
  int frame_blocks = 0;                  // replicates run (0: not run, too few frames)
  int joint_groups = 0;
  std::vector<double> frames_sigma_px;   // per camera; NaN when not estimated or not run
  std::vector<double> joints_sigma_px;
  std::vector<double> sigma_px;          // the two in quadrature (either alone when the other is NaN)
};

// Leaves out each of options.focal_jackknife_blocks contiguous blocks of `frames` (fewer when a
// block would have fewer than options.min_focal_block_frames frames; none below two), then each
// of options.focal_jackknife_joint_groups joint groups, adjusting a copy of `rig` with
// `final_ba` every time. Cameras whose intrinsics were given are not reported.
FocalJackknife EstimateFocalJackknife(const Observations2d& frames, const std::vector<bool>& registered,
                                      const std::vector<uint8_t>& intrinsics_given,
                                      const SelfCalibrationOptions& options, const BundleAdjustmentOptions& final_ba,
                                      const Rig& rig);

// The replicates of both jackknifes, shared with the check of given focal lengths
// (given_focal_check.h): how many frame blocks options allow for `num_frames` frames (0 below
// two), `frames` without block b of `blocks`, `frames` without joint group g, and per camera the
// jackknife standard deviation of the replicates' values (NaN unless all are finite, n >= 2).
int JackknifeFrameBlocks(const SelfCalibrationOptions& options, int num_frames);
Observations2d WithoutFrameBlock(const Observations2d& frames, int block, int blocks);
Observations2d WithoutJointGroup(const Observations2d& frames, const std::vector<int>& groups, int group);
std::vector<double> JackknifeSigma(const std::vector<std::vector<double>>& replicates, size_t num_cameras);

// The joint groups: symmetric pairs dealt in turn (both joints of a pair into one group), then
// the other joints. Per joint its group in [0, num_groups).
std::vector<int> JackknifeJointGroups(int num_joints, const std::vector<SymmetricPair>& pairs, int num_groups);

}  // namespace epilabel
