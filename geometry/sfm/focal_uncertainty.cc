#include "geometry/sfm/focal_uncertainty.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace epilabel {

namespace {

// `frames` without the frames [begin, end).
Observations2d WithoutFrames(const Observations2d& frames, frame_t begin, frame_t end) {
  Observations2d rest(frames.num_cameras(), frames.num_frames() - (end - begin), frames.num_joints());
  for (camera_t c = 0; c < frames.num_cameras(); ++c)
    for (frame_t f = 0, k = 0; f < frames.num_frames(); ++f) {
      if (f >= begin && f < end) continue;
      for (joint_t j = 0; j < frames.num_joints(); ++j) rest.at(c, k, j) = frames.at(c, f, j);
      ++k;
    }
  return rest;
}

}  // namespace

Observations2d WithoutJointGroup(const Observations2d& frames, const std::vector<int>& groups, int group) {
  Observations2d rest = frames;
  for (camera_t c = 0; c < frames.num_cameras(); ++c)
    for (frame_t f = 0; f < frames.num_frames(); ++f)
      for (joint_t j = 0; j < frames.num_joints(); ++j)
        if (groups[j] == group) rest.at(c, f, j).setZero();
  return rest;
}

std::vector<double> JackknifeSigma(const std::vector<std::vector<double>>& replicates, size_t num_cameras) {
  std::vector<double> sigma(num_cameras, kNaN);
  const double n = static_cast<double>(replicates.size());
  if (replicates.size() < 2) return sigma;
  for (size_t c = 0; c < num_cameras; ++c) {
    double mean = 0;
    bool finite = true;
    for (const auto& r : replicates) finite = finite && std::isfinite(r[c]), mean += r[c];
    if (!finite) continue;
    mean /= n;
    double ss = 0;
    for (const auto& r : replicates) ss += (r[c] - mean) * (r[c] - mean);
    sigma[c] = std::sqrt((n - 1) / n * ss);
  }
  return sigma;
}

int JackknifeFrameBlocks(const SelfCalibrationOptions& options, int num_frames) {
  const int blocks = std::min(options.focal_jackknife_blocks, num_frames / std::max(1, options.min_focal_block_frames));
  return blocks >= 2 ? blocks : 0;
}

Observations2d WithoutFrameBlock(const Observations2d& frames, int block, int blocks) {
  const int64_t nf = frames.num_frames();
  return WithoutFrames(frames, static_cast<frame_t>(block * nf / blocks), static_cast<frame_t>((block + 1) * nf / blocks));
}

namespace {

// Runs `count` replicates (the observations of replicate i from `make(i)`) and returns their
// jackknife sigma per camera.
std::vector<double> RunReplicates(int count, const std::function<Observations2d(int)>& make,
                                  const std::vector<bool>& registered, const std::vector<uint8_t>& intrinsics_given,
                                  const SelfCalibrationOptions& options, const BundleAdjustmentOptions& ba,
                                  const Rig& rig) {
  std::vector<std::vector<double>> focal;
  for (int i = 0; i < count; ++i) {
    Rig replicate = rig;
    int num_points = 0;
    const BundleAdjustmentSummary s = AdjustRegistered(make(i), registered, options, ba, false, &replicate, &num_points);
    std::vector<double> f(rig.size(), kNaN);
    for (size_t c = 0; c < rig.size(); ++c)
      if (s.success && registered[c] && !intrinsics_given[c]) f[c] = replicate[c].fx;
    focal.push_back(f);
  }
  return JackknifeSigma(focal, rig.size());
}

}  // namespace

std::vector<int> JackknifeJointGroups(int num_joints, const std::vector<SymmetricPair>& pairs, int num_groups) {
  std::vector<int> groups(num_joints, -1);
  int next = 0;
  for (const SymmetricPair& p : pairs) {
    if (p.left < 0 || p.right < 0 || p.left >= num_joints || p.right >= num_joints) continue;
    if (groups[p.left] >= 0 || groups[p.right] >= 0) continue;
    groups[p.left] = groups[p.right] = next++ % num_groups;
  }
  for (int j = 0; j < num_joints; ++j)
    if (groups[j] < 0) groups[j] = next++ % num_groups;
  return groups;
}

FocalJackknife EstimateFocalJackknife(const Observations2d& frames, const std::vector<bool>& registered,
                                      const std::vector<uint8_t>& intrinsics_given,
                                      const SelfCalibrationOptions& options, const BundleAdjustmentOptions& final_ba,
                                      const Rig& rig) {
  FocalJackknife out;
  const size_t num_cameras = rig.size();
  out.frames_sigma_px.assign(num_cameras, kNaN);
  out.joints_sigma_px.assign(num_cameras, kNaN);
  out.sigma_px.assign(num_cameras, kNaN);
  BundleAdjustmentOptions ba = final_ba;
  ba.outlier_rounds = 0;
  ba.compute_covariance = false;
  const int blocks = JackknifeFrameBlocks(options, frames.num_frames());
  if (blocks >= 2) {
    out.frame_blocks = blocks;
    const auto without_block = [&](int b) { return WithoutFrameBlock(frames, b, blocks); };
    out.frames_sigma_px = RunReplicates(blocks, without_block, registered, intrinsics_given, options, ba, rig);
  }
  const int groups = std::min(options.focal_jackknife_joint_groups, frames.num_joints());
  if (groups >= 2) {
    out.joint_groups = groups;
    const std::vector<int> joint_group = JackknifeJointGroups(frames.num_joints(), options.symmetric_pairs, groups);
    const auto without_group = [&](int g) { return WithoutJointGroup(frames, joint_group, g); };
    out.joints_sigma_px = RunReplicates(groups, without_group, registered, intrinsics_given, options, ba, rig);
  }
  for (size_t c = 0; c < num_cameras; ++c) {
    const double a = out.frames_sigma_px[c], b = out.joints_sigma_px[c];
    if (std::isfinite(a) || std::isfinite(b))
      out.sigma_px[c] = std::hypot(std::isfinite(a) ? a : 0.0, std::isfinite(b) ? b : 0.0);
  }
  return out;
}

}  // namespace epilabel
