#include "geometry/optim/bundle_adjustment_problem.h"

#include <cmath>
#include <limits>
#include <map>

#include <ceres/ceres.h>

#include "geometry/optim/cost_functions/camera_priors.h"
#include "geometry/optim/cost_functions/skeleton_priors.h"
#include "geometry/optim/cost_functions/time_offset_reprojection.h"
#include "geometry/optim/bundle_adjustment_weights.h"

namespace epilabel {

BACameraBlocks CameraBlocksFromRig(const Rig& rig) {
  const int num_cameras = static_cast<int>(rig.size());
  BACameraBlocks blocks;
  blocks.poses.resize(num_cameras);
  blocks.intrinsics.resize(num_cameras);
  blocks.aspects.resize(num_cameras);
  blocks.lenses.resize(num_cameras);
  blocks.focal0.resize(num_cameras);
  blocks.pp0.resize(num_cameras);
  for (int c = 0; c < num_cameras; ++c) {
    CameraToBlocks(rig[c], blocks.poses[c].data(), blocks.intrinsics[c].data());
    blocks.aspects[c] = rig[c].fx > 0 ? rig[c].fy / rig[c].fx : 1.0;
    blocks.lenses[c] = rig[c].lens;
    blocks.focal0[c] = rig[c].fx;
    blocks.pp0[c] = Eigen::Vector2d(rig[c].cx, rig[c].cy);
  }
  return blocks;
}

void CameraBlocksToRig(const BACameraBlocks& blocks, Rig* rig) {
  for (int c = 0; c < blocks.size(); ++c) BlocksToCamera(blocks.poses[c].data(), blocks.intrinsics[c].data(), &(*rig)[c]);
}

double ObservationError(const BACameraBlocks& blocks, const BAObservation& o, const Eigen::Vector3d& point) {
  double px[2];
  if (!ProjectWithBlocks(blocks.poses[o.camera].data(), blocks.intrinsics[o.camera].data(), point.data(),
                         blocks.aspects[o.camera], blocks.lenses[o.camera], px))
    return std::numeric_limits<double>::infinity();
  return std::hypot(px[0] - o.pixel.x(), px[1] - o.pixel.y());
}

BAGauge MakeGauge(const Rig& rig, const BAProblemData& data, const BundleAdjustmentOptions& options) {
  BAGauge gauge;
  gauge.fixed_center = rig[options.fixed_camera].CenterInWorld();
  gauge.baseline = (rig[options.scale_camera].CenterInWorld() - gauge.fixed_center).norm();
  gauge.initial_bone_lengths = data.bone_lengths;
  gauge.initial_time_offsets = data.time_offsets;
  for (int i = 0; i < kIntrinsicsBlockSize; ++i) {
    if (i == 0 && options.refine_focal) continue;
    if ((i == 1 || i == 2) && options.refine_principal_point) continue;
    if (i == 3 && options.refine_k1) continue;
    if (i == 4 && options.refine_k2) continue;
    gauge.constant_intrinsics.push_back(i);
  }
  gauge.intrinsics_free =
      options.refine_focal || options.refine_k1 || options.refine_k2 || options.refine_principal_point;
  return gauge;
}

void UpdateTimeOffsetPixels(BAProblemData* data) {
  for (size_t k = 0; k < data->observations.size(); ++k) {
    BAObservation& o = data->observations[k];
    if (!InterpolateTrackWindow(data->track_windows[k], data->time_offsets[o.camera], &o.pixel)) o.inlier = false;
  }
}

namespace {

// The reprojection term of observation k (of weight `weight`) with its camera's time offset as a
// parameter.
ceres::ResidualBlockId AddTimeOffsetTerm(const BundleAdjustmentOptions& options, bool intrinsics_free, size_t k,
                                         double weight, BACameraBlocks* blocks, BAProblemData* data,
                                         ceres::Problem* problem) {
  const BAObservation& o = data->observations[k];
  double* pose = blocks->poses[o.camera].data();
  double* intrinsics = blocks->intrinsics[o.camera].data();
  double* point = data->points[o.point].data();
  double* offset = &data->time_offsets[o.camera];
  const BATrackWindow& window = data->track_windows[k];
  const double aspect = blocks->aspects[o.camera];
  const LensModel lens = blocks->lenses[o.camera];
  if (intrinsics_free && !options.IntrinsicsHeld(o.camera))
    return problem->AddResidualBlock(TimeOffsetIntrinsicsReprojectionCost::Create(window, weight, aspect, lens),
                                     new ceres::HuberLoss(options.loss_scale_px), pose, intrinsics, point, offset);
  return problem->AddResidualBlock(TimeOffsetReprojectionCost::Create(intrinsics, window, weight, aspect, lens),
                                   new ceres::HuberLoss(options.loss_scale_px), pose, point, offset);
}

// Per used camera with time offsets: the reference's held, the others' priors.
void AddTimeOffsetTerms(const BundleAdjustmentOptions& options, const BAGauge& gauge, BAProblemData* data, BARoundProblem* round) {
  if (!options.refine_time_offsets) return;
  for (int c = 0; c < static_cast<int>(round->camera_used.size()); ++c) {
    if (!round->camera_used[c]) continue;
    double* offset = &data->time_offsets[c];
    if (c == options.time_reference) {
      round->problem.SetParameterBlockConstant(offset);
    } else if (options.time_offset_prior_frames > 0) {
      round->problem.AddResidualBlock(TimeOffsetPrior::Create(gauge.initial_time_offsets[c], options.time_offset_prior_frames),
                                      nullptr, offset);
    }
  }
}

// One robust reprojection term per inlier observation of a determined point.
void AddReprojectionTerms(const BundleAdjustmentOptions& options, bool intrinsics_free,
                          const std::vector<bool>& determined, BACameraBlocks* blocks, BAProblemData* data,
                          BARoundProblem* round) {
  for (size_t k = 0; k < data->observations.size(); ++k) {
    const BAObservation& o = data->observations[k];
    if (!o.inlier || !determined[o.point]) continue;
    const double weight = o.weight * WeightFactor(*data, o);
    double* pose = blocks->poses[o.camera].data();
    double* intrinsics = blocks->intrinsics[o.camera].data();
    double* point = data->points[o.point].data();
    const double aspect = blocks->aspects[o.camera];
    const LensModel lens = blocks->lenses[o.camera];
    const ceres::ResidualBlockId id =
        options.refine_time_offsets ? AddTimeOffsetTerm(options, intrinsics_free, k, weight, blocks, data, &round->problem)
        : intrinsics_free && !options.IntrinsicsHeld(o.camera)
            ? round->problem.AddResidualBlock(ReprojectionCost::Create(o.pixel, weight, aspect, lens),
                                              new ceres::HuberLoss(options.loss_scale_px), pose, intrinsics, point)
            : round->problem.AddResidualBlock(
                  FixedIntrinsicsReprojectionCost::Create(intrinsics, o.pixel, weight, aspect, lens),
                  new ceres::HuberLoss(options.loss_scale_px), pose, point);
    round->reprojection_blocks.push_back(id);
    round->reprojection_obs.push_back(static_cast<int>(k));
    round->camera_used[o.camera] = true;
  }
}

// Bone-length constancy between the two joints of each bone term (bones with a length).
void AddBoneTerms(const BundleAdjustmentOptions& options, const std::vector<double>& initial_lengths,
                  BAProblemData* data, ceres::Problem* problem) {
  for (const BABoneTerm& b : data->bone_terms) {
    const double l0 = initial_lengths[b.bone];
    if (!(l0 > 0)) continue;
    problem->AddResidualBlock(BoneLengthError::Create(options.bone_sigma_rel * l0), new ceres::HuberLoss(3.0),
                              data->points[b.point_a].data(), data->points[b.point_b].data(),
                              &data->bone_lengths[b.bone]);
  }
}

// The focal lengths of each group of options.focal_groups tied into one: a chain over the group's
// used cameras whose intrinsics are refined.
void AddSharedFocalTies(const BundleAdjustmentOptions& options, BACameraBlocks* blocks, BARoundProblem* round) {
  if (!options.refine_focal || options.focal_groups.empty()) return;
  std::map<int, int> last_of_group;
  for (int c = 0; c < blocks->size() && c < static_cast<int>(options.focal_groups.size()); ++c) {
    const int group = options.focal_groups[c];
    if (group < 0 || !round->camera_used[c] || options.IntrinsicsHeld(c)) continue;
    const auto it = last_of_group.find(group);
    if (it != last_of_group.end())
      round->problem.AddResidualBlock(SharedFocalTie::Create(blocks->focal0[c], options.shared_focal_sigma_rel),
                                      nullptr, blocks->intrinsics[it->second].data(), blocks->intrinsics[c].data());
    last_of_group[group] = c;
  }
}

// Per used camera: the fixed camera's pose held, the free intrinsics entries and their priors.
void AddCameraTerms(const BundleAdjustmentOptions& options, const BAGauge& gauge, BACameraBlocks* blocks,
                    BARoundProblem* round) {
  for (int c = 0; c < blocks->size(); ++c) {
    if (!round->camera_used[c]) continue;
    if (c == options.fixed_camera) round->problem.SetParameterBlockConstant(blocks->poses[c].data());
    if (!gauge.intrinsics_free || options.IntrinsicsHeld(c)) continue;
    double* intrinsics = blocks->intrinsics[c].data();
    round->problem.SetManifold(intrinsics, new ceres::SubsetManifold(kIntrinsicsBlockSize, gauge.constant_intrinsics));
    if (options.refine_focal && options.focal_prior_sigma_rel > 0)
      round->problem.AddResidualBlock(FocalPrior::Create(blocks->focal0[c], options.focal_prior_sigma_rel), nullptr,
                                      intrinsics);
    if ((options.refine_k1 || options.refine_k2) && options.distortion_prior_sigma > 0)
      round->problem.AddResidualBlock(DistortionPrior::Create(options.distortion_prior_sigma), nullptr, intrinsics);
    if (options.refine_principal_point && options.principal_point_prior_px > 0)
      round->problem.AddResidualBlock(PrincipalPointPrior::Create(blocks->pp0[c], options.principal_point_prior_px),
                                      nullptr, intrinsics);
  }
  AddSharedFocalTies(options, blocks, round);
}

}  // namespace

void BuildRoundProblem(const BundleAdjustmentOptions& options, const BAGauge& gauge, const std::vector<bool>& determined,
                       BACameraBlocks* blocks, BAProblemData* data, BARoundProblem* round) {
  round->camera_used.assign(blocks->size(), false);
  AddReprojectionTerms(options, gauge.intrinsics_free, determined, blocks, data, round);
  AddBoneTerms(options, gauge.initial_bone_lengths, data, &round->problem);
  AddCameraTerms(options, gauge, blocks, round);
  AddTimeOffsetTerms(options, gauge, data, round);
  if (round->camera_used[options.scale_camera] && gauge.baseline > 0)
    round->problem.AddResidualBlock(BaselinePrior::Create(gauge.fixed_center, gauge.baseline, 1e-6 * gauge.baseline),
                                    nullptr, blocks->poses[options.scale_camera].data());
}

}  // namespace epilabel
