#include "geometry/association/detections.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace epilabel {
namespace {

bool IsObservedJoint(const Eigen::Vector3d& j) { return j.allFinite() && j.z() > 0.0; }

}  // namespace

MultiDetections::MultiDetections(const std::vector<std::vector<std::vector<PersonJoints>>>& people, int num_joints)
    : num_cameras_(static_cast<int>(people.size())),
      num_frames_(people.empty() ? 0 : static_cast<int>(people[0].size())),
      num_joints_(num_joints) {
  if (num_joints < 0) throw std::invalid_argument("MultiDetections: negative num_joints");
  offsets_.reserve(static_cast<size_t>(num_cameras_) * num_frames_ + 1);
  offsets_.push_back(0);
  int64_t count = 0;
  for (const auto& camera : people) {
    if (static_cast<int>(camera.size()) != num_frames_)
      throw std::invalid_argument("MultiDetections: cameras differ in their number of frames");
    for (const auto& frame : camera) {
      count += static_cast<int64_t>(frame.size());
      offsets_.push_back(count);
    }
  }
  joints_.reserve(static_cast<size_t>(count) * num_joints_);
  for (const auto& camera : people)
    for (const auto& frame : camera)
      for (const auto& person : frame) {
        if (static_cast<int>(person.size()) != num_joints_)
          throw std::invalid_argument("MultiDetections: a person has " + std::to_string(person.size()) +
                                      " joints, expected " + std::to_string(num_joints_));
        joints_.insert(joints_.end(), person.begin(), person.end());
      }
}

MultiDetections MultiDetections::FromObservations(const Observations2d& observations) {
  std::vector<std::vector<std::vector<PersonJoints>>> people(observations.num_cameras());
  for (camera_t c = 0; c < observations.num_cameras(); ++c) {
    people[c].resize(observations.num_frames());
    for (frame_t f = 0; f < observations.num_frames(); ++f) {
      const Eigen::Vector3d* row = observations.Row(c, f);
      bool any = false;
      for (joint_t j = 0; j < observations.num_joints(); ++j) any = any || IsObservedJoint(row[j]);
      if (any) people[c][f].emplace_back(row, row + observations.num_joints());
    }
  }
  return MultiDetections(people, observations.num_joints());
}

double MultiDetections::TotalConfidence(camera_t c, frame_t f, detection_t d) const {
  const Eigen::Vector3d* joints = Joints(c, f, d);
  double sum = 0.0;
  for (joint_t j = 0; j < num_joints_; ++j) {
    if (std::isfinite(joints[j].z()) && joints[j].z() > 0.0) sum += joints[j].z();
  }
  return sum;
}

bool MultiDetections::HasObservedJoint(camera_t c, frame_t f, detection_t d) const {
  const Eigen::Vector3d* joints = Joints(c, f, d);
  for (joint_t j = 0; j < num_joints_; ++j) {
    if (IsObservedJoint(joints[j])) return true;
  }
  return false;
}

void Track::Assign(const MultiDetections& all, camera_t c, frame_t f, detection_t d) {
  detections[static_cast<size_t>(c) * num_frames + f] = d;
  const Eigen::Vector3d* joints = all.Joints(c, f, d);
  Eigen::Vector3d* row = observations.Row(c, f);
  for (joint_t j = 0; j < observations.num_joints(); ++j)
    row[j] = IsObservedJoint(joints[j]) ? joints[j] : Eigen::Vector3d::Zero();
  if (first_frame == kInvalidFrameId || f < first_frame) first_frame = f;
  if (last_frame == kInvalidFrameId || f > last_frame) last_frame = f;
}

int64_t Track::NumAssigned() const {
  int64_t n = 0;
  for (detection_t d : detections) n += d != kNoDetection;
  return n;
}

std::string AssociationSummary::BriefReport() const {
  std::ostringstream out;
  out << num_tracks << " tracks, " << num_assigned << " of " << num_detections << " detections assigned ("
      << num_unmatched << " unmatched), " << num_uncertain_frames << " uncertain frames, " << num_births << " births, "
      << num_deaths << " deaths, " << num_reidentifications << " re-identifications";
  return out.str();
}

void CountAssignments(const MultiDetections& detections, AssociationResult* result) {
  AssociationSummary& s = result->summary;
  s.num_tracks = static_cast<int>(result->tracks.size());
  s.num_detections = 0;
  for (camera_t c = 0; c < detections.num_cameras(); ++c)
    for (frame_t f = 0; f < detections.num_frames(); ++f)
      for (detection_t d = 0; d < detections.NumDetections(c, f); ++d) s.num_detections += detections.HasObservedJoint(c, f, d);
  s.num_assigned = 0;
  for (const Track& t : result->tracks) {
    for (camera_t c = 0; c < t.num_cameras; ++c)
      for (frame_t f = 0; f < t.num_frames; ++f) {
        const detection_t d = t.DetectionAt(c, f);
        if (d != kNoDetection && detections.HasObservedJoint(c, f, d)) ++s.num_assigned;
      }
  }
  s.num_unmatched = s.num_detections - s.num_assigned;
}

}  // namespace epilabel
