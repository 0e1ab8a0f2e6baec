#include "detection/dnn/person_tracker.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "foundation/error.h"
#include "geometry/association/assignment.h"

namespace epilabel {

void PersonTrackerOptions::Check() const {
  if (!(min_joint_score >= 0.0 && min_joint_score <= 1.0)) throw InputError("track_min_score", "must be in [0, 1]");
  if (min_common_joints < 1) throw InputError("track_min_joints", "must be at least 1");
  if (!(max_distance > 0.0)) throw InputError("track_max_distance", "must be positive");
  if (max_gap_frames < 0) throw InputError("track_max_gap", "must be non-negative");
}

PersonTracker::PersonTracker(const PersonTrackerOptions& options) : options_(options) { options_.Check(); }

namespace {

bool Confident(const Eigen::Vector3d& joint, double min_score) { return joint.z() >= min_score && joint.allFinite(); }

}  // namespace

std::vector<Eigen::Vector3d> PersonTracker::Predict(const Track& track) const {
  std::vector<Eigen::Vector3d> predicted = track.joints;
  const Eigen::Vector2d shift = track.velocity * static_cast<double>(frame_ - track.last_frame);
  for (Eigen::Vector3d& joint : predicted) joint.head<2>() += shift;
  return predicted;
}

void PersonTracker::Continue(Track& track, const std::vector<Eigen::Vector3d>& joints) const {
  Eigen::Vector2d shift = Eigen::Vector2d::Zero();
  int common = 0;
  const size_t n = std::min(track.joints.size(), joints.size());
  for (size_t j = 0; j < n; ++j) {
    if (!Confident(track.joints[j], options_.min_joint_score) || !Confident(joints[j], options_.min_joint_score)) continue;
    shift += joints[j].head<2>() - track.joints[j].head<2>();
    ++common;
  }
  if (common > 0 && frame_ > track.last_frame) {
    const Eigen::Vector2d v = shift / common / static_cast<double>(frame_ - track.last_frame);
    track.velocity = track.has_velocity ? 0.5 * track.velocity + 0.5 * v : v;
    track.has_velocity = true;
  }
  track.joints = joints;
  track.last_frame = frame_;
}

double PersonTracker::Distance(const Track& track, const std::vector<Eigen::Vector3d>& joints) const {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  Eigen::Vector2d lo = Eigen::Vector2d::Constant(kInf), hi = -lo;
  double sum = 0.0;
  int common = 0;
  const std::vector<Eigen::Vector3d> predicted = Predict(track);
  const size_t n = std::min(track.joints.size(), joints.size());
  for (size_t j = 0; j < n; ++j) {
    const Eigen::Vector3d& a = track.joints[j];
    if (!Confident(a, options_.min_joint_score)) continue;
    lo = lo.cwiseMin(a.head<2>());
    hi = hi.cwiseMax(a.head<2>());
    const Eigen::Vector3d& b = joints[j];
    if (!Confident(b, options_.min_joint_score)) continue;
    sum += (predicted[j].head<2>() - b.head<2>()).norm();
    ++common;
  }
  if (common < options_.min_common_joints) return kInf;
  const double diagonal = std::max((hi - lo).norm(), 1.0);
  const double distance = sum / common / diagonal;
  return distance <= options_.max_distance ? distance : kInf;
}

std::vector<int> PersonTracker::Update(const std::vector<std::vector<Eigen::Vector3d>>& people) {
  tracks_.erase(std::remove_if(tracks_.begin(), tracks_.end(),
                               [&](const Track& t) { return frame_ - t.last_frame > options_.max_gap_frames; }),
                tracks_.end());
  std::vector<int> ids(people.size(), -1);
  if (!people.empty() && !tracks_.empty()) {
    Eigen::MatrixXd cost(people.size(), tracks_.size());
    for (size_t p = 0; p < people.size(); ++p)
      for (size_t t = 0; t < tracks_.size(); ++t) cost(p, t) = Distance(tracks_[t], people[p]);
    const std::vector<int> match = SolveAssignment(cost);
    for (size_t p = 0; p < people.size(); ++p) {
      if (match[p] < 0) continue;
      Track& track = tracks_[match[p]];
      ids[p] = track.id;
      Continue(track, people[p]);
    }
  }
  for (size_t p = 0; p < people.size(); ++p) {
    if (ids[p] >= 0) continue;
    ids[p] = next_id_++;
    Track track;
    track.id = ids[p];
    track.joints = people[p];
    track.last_frame = frame_;
    tracks_.push_back(std::move(track));
  }
  ++frame_;
  return ids;
}

}  // namespace epilabel
