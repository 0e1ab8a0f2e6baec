#include "geometry/sfm/given_focal_check.h"

#include <algorithm>
#include <cmath>

#include "geometry/sfm/focal_uncertainty.h"

namespace epilabel {

namespace {

// The final adjustment with only camera c's focal length free: no outlier rounds, no priors on it.
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
// With `adjusted`, also the adjusted rig and the covariance sigma of the pull (`sigma_rel`).
double Pull(const Observations2d& frames, const std::vector<bool>& registered, const SelfCalibrationOptions& options,
            BundleAdjustmentOptions ba, const Rig& start, camera_t c, double given_fx, Rig* adjusted = nullptr,
            double* sigma_rel = nullptr) {
  Rig free = start;
  int num_points = 0;
  ba.compute_covariance = sigma_rel != nullptr;
  const BundleAdjustmentSummary s = AdjustRegistered(frames, registered, options, ba, false, &free, &num_points);
  if (adjusted) *adjusted = free;
  if (sigma_rel)
    *sigma_rel = s.success && c < static_cast<camera_t>(s.uncertainty.size()) ? s.uncertainty[c].focal_sigma_px / given_fx
                                                                               : kNaN;
  return s.success ? free[c].fx / given_fx - 1.0 : kNaN;
}

// A wrong focal length distorts the structure the other cameras are measured against (on h36m4
// a focal 5 % long on one camera pulled the opposite camera's by +3.9 %, 4.4 sigma): the other
// cameras pulled by more than the floor are measured again with the most pulled significant
// camera's focal length freed as well, and keep that pull (their sigma at least that
// adjustment's covariance).
void MeasureGivenTheMostPulled(const Observations2d& frames, const std::vector<bool>& registered,
                               const SelfCalibrationOptions& options, const BundleAdjustmentOptions& final_ba,
                               const Rig& rig, const GivenFocalCheckOptions& check_options, GivenFocalCheck* out) {
  std::vector<camera_t> significant;
  for (camera_t c = 0; c < static_cast<camera_t>(rig.size()); ++c) {
    const double pull = std::abs(out->pull_rel[c]);
    if (pull > check_options.jackknife_min_pull_rel && pull > check_options.significance_sigmas * out->sigma_rel[c])
      significant.push_back(c);
  }
  if (significant.empty()) return;
  const camera_t top = *std::max_element(significant.begin(), significant.end(), [&](camera_t a, camera_t b) {
    return std::abs(out->pull_rel[a]) < std::abs(out->pull_rel[b]);
  });
  for (camera_t c = 0; c < static_cast<camera_t>(rig.size()); ++c) {
    if (c == top || !(std::abs(out->pull_rel[c]) > check_options.jackknife_min_pull_rel)) continue;
    BundleAdjustmentOptions ba = FreeOneFocal(final_ba, rig.size(), c);
    ba.fixed_intrinsics[top] = 0;
    double covariance_rel = kNaN;
    out->pull_rel[c] = Pull(frames, registered, options, ba, rig, c, rig[c].fx, nullptr, &covariance_rel);
    if (std::isfinite(covariance_rel)) out->sigma_rel[c] = std::max(out->sigma_rel[c], covariance_rel);
  }
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
  out.frame_blocks = blocks;
  out.joint_groups = groups >= 2 ? groups : 0;
  // The jackknife's replicates, made when the first camera needs them (most calibrations have
  // no pull that could matter).
  std::vector<Observations2d> replicates;
  const auto make_replicates = [&] {
    if (!replicates.empty()) return;
    for (int b = 0; b < blocks; ++b) replicates.push_back(WithoutFrameBlock(frames, b, blocks));
    const std::vector<int> joint_group =
        JackknifeJointGroups(frames.num_joints(), options.symmetric_pairs, std::max(groups, 1));
    for (int g = 0; g < out.joint_groups; ++g) replicates.push_back(WithoutJointGroup(frames, joint_group, g));
  };
  for (camera_t c = 0; c < static_cast<camera_t>(n); ++c) {
    if (!registered[c] || c >= static_cast<camera_t>(intrinsics_given.size()) || !intrinsics_given[c]) continue;
    const BundleAdjustmentOptions ba = FreeOneFocal(final_ba, n, c);
    Rig pulled;
    double covariance_rel = kNaN;
    out.pull_rel[c] = Pull(frames, registered, options, ba, rig, c, rig[c].fx, &pulled, &covariance_rel);
    out.sigma_rel[c] = covariance_rel;
    // A pull too small to matter, or not significant by the covariance alone, gets no jackknife;
    // nor the joint groups one that the frame blocks already make insignificant (the two add).
    const double pull = std::abs(out.pull_rel[c]);
    const auto significant = [&](double sigma) {
      return pull > check_options.jackknife_min_pull_rel && !(pull <= check_options.significance_sigmas * sigma);
    };
    if (!significant(covariance_rel)) continue;
    make_replicates();
    // The replicates' pulls of camera c (one "camera" per replicate for JackknifeSigma), each
    // started from the pulled rig (nearer the replicates' optima than the calibrated one).
    const auto jackknife = [&](int begin, int end) {
      std::vector<std::vector<double>> pulls;
      for (int r = begin; r < end; ++r) pulls.push_back({Pull(replicates[r], registered, options, ba, pulled, c, rig[c].fx)});
      return JackknifeSigma(pulls, 1)[0];
    };
    const double a = jackknife(0, blocks);
    if (std::isfinite(a)) out.sigma_rel[c] = std::max(covariance_rel, a);
    if (!significant(out.sigma_rel[c])) continue;
    const double b = jackknife(blocks, static_cast<int>(replicates.size()));
    if (std::isfinite(a) || std::isfinite(b))
      out.sigma_rel[c] = std::max(covariance_rel, std::hypot(std::isfinite(a) ? a : 0.0, std::isfinite(b) ? b : 0.0));
  }
  MeasureGivenTheMostPulled(frames, registered, options, final_ba, rig, check_options, &out);
  return out;
}

}  // namespace epilabel
