// The Ceres side of BundleAdjust (internal to geometry/optim): the cameras as parameter
// blocks, and the problem of one solve round built from the observations that take part in it.
#pragma once

#include <array>
#include <vector>

#include <ceres/problem.h>
#include <Eigen/Core>

#include "geometry/optim/bundle_adjustment.h"
#include "geometry/optim/cost_functions/reprojection.h"

namespace epilabel {

// The cameras of a rig as parameter blocks, with what the priors hold them to.
struct BACameraBlocks {
  std::vector<std::array<double, kPoseBlockSize>> poses;            // cam_from_world, see reprojection.h
  std::vector<std::array<double, kIntrinsicsBlockSize>> intrinsics;  // see reprojection.h
  std::vector<double> aspects;       // fy / fx, held constant
  std::vector<LensModel> lenses;     // the lens model of each camera, held constant
  std::vector<double> focal0;        // fx at the start (focal prior), pixels
  std::vector<Eigen::Vector2d> pp0;  // principal point at the start (its prior), pixels
  int size() const { return static_cast<int>(poses.size()); }
};

BACameraBlocks CameraBlocksFromRig(const Rig& rig);
// Writes the blocks back (extrinsics and intrinsics).
void CameraBlocksToRig(const BACameraBlocks& blocks, Rig* rig);

// Distance in pixels between the projection of the observation's point and its pixel
// (infinity when the point is behind the camera).
double ObservationError(const BACameraBlocks& blocks, const BAObservation& observation, const Eigen::Vector3d& point);

// What the problem of one round holds fixed: the gauge (fixed camera pose, baseline to the scale
// camera) and which intrinsics are free.
struct BAGauge {
  Eigen::Vector3d fixed_center = Eigen::Vector3d::Zero();  // fixed camera's centre, world
  double baseline = 0.0;                                   // centre distance to the scale camera
  std::vector<double> initial_bone_lengths;                // the bone terms' reference lengths
  std::vector<double> initial_time_offsets;                // the offsets' priors' centres, frames
  std::vector<int> constant_intrinsics;                    // intrinsics entries held constant
  bool intrinsics_free = false;                            // any intrinsics entry refined
};

BAGauge MakeGauge(const Rig& rig, const BAProblemData& data, const BundleAdjustmentOptions& options);

// The problem of one solve round. The reprojection blocks are listed in the order of the
// observations they come from.
struct BARoundProblem {
  ceres::Problem problem;
  std::vector<ceres::ResidualBlockId> reprojection_blocks;
  std::vector<int> reprojection_obs;  // index into BAProblemData::observations per block
  std::vector<bool> camera_used;      // per camera: has a reprojection term
};

// The pixel of every observation set to its track window at the current time offsets; an
// observation whose window has no segment with both samples is made an outlier (not inlier).
void UpdateTimeOffsetPixels(BAProblemData* data);

// Adds the reprojection terms of the inlier observations of determined points, the bone terms,
// the intrinsics manifolds and priors, the time offsets (options.refine_time_offsets: the
// reference's held, priors), and the gauge, to `round` (empty on entry). The
// parameter blocks are `blocks` and `data`'s points and bone lengths, which must outlive it.
void BuildRoundProblem(const BundleAdjustmentOptions& options, const BAGauge& gauge, const std::vector<bool>& determined,
                       BACameraBlocks* blocks, BAProblemData* data, BARoundProblem* round);

}  // namespace epilabel
