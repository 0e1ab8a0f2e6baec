#include "detection/dnn/left_right_check.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "foundation/error.h"

namespace epilabel {

void LeftRightCheckOptions::Check() const {
  if (!(min_keypoint_score >= 0.0 && min_keypoint_score <= 1.0))
    throw InputError("left_right.min_keypoint_score", "must be in [0, 1]");
  if (min_joints < 1) throw InputError("left_right.min_joints", "must be at least 1");
  if (!(max_ratio > 0.0 && max_ratio < 1.0)) throw InputError("left_right.max_ratio", "must be in (0, 1)");
  if (!(min_gain >= 0.0) || !std::isfinite(min_gain)) throw InputError("left_right.min_gain", "must be non-negative");
  if (!(max_step > 0.0) || !std::isfinite(max_step)) throw InputError("left_right.max_step", "must be positive");
  if (max_reference_age < 0) throw InputError("left_right.max_reference_age", "must be non-negative");
}

LeftRightDistances CompareLeftRight(const std::vector<Eigen::Vector3d>& reference,
                                    const std::vector<Eigen::Vector3d>& pose, const std::vector<joint_t>& flip,
                                    double min_keypoint_score) {
  LeftRightDistances out;
  const size_t n = std::min({reference.size(), pose.size(), flip.size()});
  const auto seen = [&](const Eigen::Vector3d& j) { return j.allFinite() && j.z() >= min_keypoint_score; };
  Eigen::Vector2d lo = Eigen::Vector2d::Constant(std::numeric_limits<double>::infinity());
  Eigen::Vector2d hi = -lo;
  for (const Eigen::Vector3d& j : reference) {
    if (!seen(j)) continue;
    lo = lo.cwiseMin(j.head<2>());
    hi = hi.cwiseMax(j.head<2>());
  }
  const double diagonal = (hi - lo).norm();  // infinite or NaN when fewer than one joint is seen
  if (!(diagonal > 0.0) || !std::isfinite(diagonal)) return out;
  double direct = 0.0, swapped = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const size_t mirror = static_cast<size_t>(flip[i]);
    if (mirror == i || mirror >= n) continue;  // centre joints read the same either way
    if (!seen(reference[i]) || !seen(pose[i]) || !seen(pose[mirror])) continue;
    direct += (pose[i].head<2>() - reference[i].head<2>()).norm();
    swapped += (pose[mirror].head<2>() - reference[i].head<2>()).norm();
    ++out.joints;
  }
  if (out.joints == 0) return out;
  out.direct = direct / out.joints / diagonal;
  out.swapped = swapped / out.joints / diagonal;
  return out;
}

std::vector<Eigen::Vector3d> SwapLeftRight(const std::vector<Eigen::Vector3d>& pose, const std::vector<joint_t>& flip) {
  std::vector<Eigen::Vector3d> out = pose;
  for (size_t i = 0; i < pose.size() && i < flip.size(); ++i)
    if (flip[i] >= 0 && static_cast<size_t>(flip[i]) < pose.size()) out[i] = pose[static_cast<size_t>(flip[i])];
  return out;
}

LeftRightCheck::LeftRightCheck(std::vector<joint_t> flip, const LeftRightCheckOptions& options)
    : flip_(std::move(flip)), options_(options) {
  options_.Check();
}

void LeftRightCheck::Reset() {
  reference_.clear();
  reference_age_ = 0;
  swaps_ = 0;
}

bool LeftRightCheck::Apply(std::vector<Eigen::Vector3d>* pose) {
  if (reference_.empty()) {
    reference_ = *pose;
    reference_age_ = 0;
    return false;
  }
  const LeftRightDistances d = CompareLeftRight(reference_, *pose, flip_, options_.min_keypoint_score);
  if (d.joints < options_.min_joints) {  // too little seen to tell: the track goes on from here
    reference_ = *pose;
    reference_age_ = 0;
    return false;
  }
  if (d.swapped <= options_.max_ratio * d.direct && d.direct - d.swapped >= options_.min_gain) {
    *pose = SwapLeftRight(*pose, flip_);
    ++swaps_;
    reference_ = *pose;
    reference_age_ = 0;
    return true;
  }
  // Neither assignment continues the track: keep comparing with the last trusted pose for a while.
  if (std::min(d.direct, d.swapped) > options_.max_step && reference_age_ < options_.max_reference_age) {
    ++reference_age_;
    return false;
  }
  reference_ = *pose;
  reference_age_ = 0;
  return false;
}

}  // namespace epilabel
