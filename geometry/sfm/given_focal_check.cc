#include "geometry/sfm/given_focal_check.h"

#include <algorithm>
#include <cmath>

#include "geometry/sfm/focal_uncertainty.h"

namespace epilabel {

namespace {

// The final adjustment with only camera c's focal length free: no outlier rounds, no covariance,
// no priors on it.
BundleAdjustmentOptions FreeOneFocal(const BundleAdjustmentOptions& final_ba, size_t num_cameras, camera_t c) {
  BundleAdjustmentOptions ba = final_ba;
  ba.outlier_rounds = 0;
  ba.compute_covariance = false;
  ba.refine_focal = true;
  ba.refine_k1 = ba.refine_k2 = ba.refine_principal_point = false;
  ba.focal_prior_sigma_rel = 0.0;
  ba.focal_groups.clear();
  ba.fixed_intrinsics.assign(num_cameras, 1);
  ba.fixed_intrinsics[c] = 0;
  return ba;
}

// Camera c's pull on `frames` against the given focal length `given_fx`, adjusting a copy of
// `start` (NaN when the adjustment fails); `adjusted` (if not null) gets the adjusted rig.
double Pull(const Observations2d& frames, const std::vector<bool>& registered, const SelfCalibrationOptions& options,
            const BundleAdjustmentOptions& ba, const Rig& start, camera_t c, double given_fx, Rig* adjusted = nullptr) {
  Rig free = start;
  int num_points = 0;
  const BundleAdjustmentSummary s = AdjustRegistered(frames, registered, options, ba, false, &free, &num_points);
  if (adjusted) *adjusted = free;
  return s.success ? free[c].fx / given_fx - 1.0 : kNaN;
}

}  // namespace

GivenFocalCheck CheckGivenFocalLengths(const Observations2d& frames, const std::vector<bool>& registered,
                                       const std::vector<uint8_t>& intrinsics_given,
                                       const SelfCalibrationOptions& options, const BundleAdjustmentOptions& final_ba,
                                       const Rig& rig, const GivenFocalCheckOptions& check_options) {
  GivenFocalCheck out;
  const size_t n = rig.size();
  out.pull_rel.assign(n, kNaN);
  out.sigma_rel.assign(n, kNaN);
  int num_registered = 0;
  for (size_t c = 0; c < n; ++c) num_registered += c < registered.size() && registered[c] ? 1 : 0;
  if (num_registered < 3) return out;
  const int blocks = JackknifeFrameBlocks(options, frames.num_frames());
  const int groups = std::min(options.focal_jackknife_joint_groups, frames.num_joints());
  std::vector<Observations2d> replicates;
  for (int b = 0; b < blocks; ++b) replicates.push_back(WithoutFrameBlock(frames, b, blocks));
  const std::vector<int> joint_group = JackknifeJointGroups(frames.num_joints(), options.symmetric_pairs, std::max(groups, 1));
  for (int g = 0; g < (groups >= 2 ? groups : 0); ++g) replicates.push_back(WithoutJointGroup(frames, joint_group, g));
  out.frame_blocks = blocks;
  out.joint_groups = groups >= 2 ? groups : 0;
  for (camera_t c = 0; c < static_cast<camera_t>(n); ++c) {
    if (!registered[c] || c >= static_cast<camera_t>(intrinsics_given.size()) || !intrinsics_given[c]) continue;
    const BundleAdjustmentOptions ba = FreeOneFocal(final_ba, n, c);
    Rig pulled;
    out.pull_rel[c] = Pull(frames, registered, options, ba, rig, c, rig[c].fx, &pulled);
    // A pull too small to matter gets no sigma: the jackknife would cost 1 + blocks + groups times as much.
    if (!(std::abs(out.pull_rel[c]) > check_options.jackknife_min_pull_rel)) continue;
    // One "camera" per jackknife: the replicates' pulls of camera c, frame blocks then joint groups,
    // each started from the pulled rig (nearer the replicates' optima than the calibrated one).
    std::vector<std::vector<double>> by_blocks, by_groups;
    for (size_t r = 0; r < replicates.size(); ++r) {
      const double p = Pull(replicates[r], registered, options, ba, pulled, c, rig[c].fx);
      (static_cast<int>(r) < blocks ? by_blocks : by_groups).push_back({p});
    }
    const double a = JackknifeSigma(by_blocks, 1)[0], b = JackknifeSigma(by_groups, 1)[0];
    if (std::isfinite(a) || std::isfinite(b))
      out.sigma_rel[c] = std::hypot(std::isfinite(a) ? a : 0.0, std::isfinite(b) ? b : 0.0);
  }
  return out;
}

}  // namespace epilabel
