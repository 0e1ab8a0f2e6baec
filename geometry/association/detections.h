// Every detected person of a capture, and the tracks that association makes of them.
//
// MultiDetections holds, per camera and frame, a list of detected people, each with
// num_joints (x px, y px, weight) in that camera's distorted image (weight 0: joint missing),
// in one joints array with offsets (no allocation per person). A Track is one person over
// the capture: per camera and frame the index of the detection it uses (kNoDetection where
// none) and the resulting single-person Observations2d [camera][frame][joint], ready for the
// single-person solvers (self-calibration, triangulation).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "geometry/core/observations.h"
#include "geometry/core/types.h"

namespace epilabel {

using detection_t = int32_t;  // index of a detection within one camera and frame
constexpr detection_t kNoDetection = -1;

// The joints of one person as detected in one image: (x px, y px, weight) per joint.
using PersonJoints = std::vector<Eigen::Vector3d>;

class MultiDetections {
 public:
  MultiDetections() = default;
  // From nested vectors people[camera][frame][detection] -> joints. Every camera must have
  // num_frames entries and every person num_joints joints; throws std::invalid_argument else.
  MultiDetections(const std::vector<std::vector<std::vector<PersonJoints>>>& people, int num_joints);
  // One detection per camera and frame where `observations` has an observed joint (the
  // single-person case).
  static MultiDetections FromObservations(const Observations2d& observations);

  int num_cameras() const { return num_cameras_; }
  int num_frames() const { return num_frames_; }
  int num_joints() const { return num_joints_; }
  // Number of detections in camera c at frame f.
  int NumDetections(camera_t c, frame_t f) const {
    const size_t k = Slot(c, f);
    return static_cast<int>(offsets_[k + 1] - offsets_[k]);
  }
  // The num_joints() joints of detection d of camera c at frame f.
  const Eigen::Vector3d* Joints(camera_t c, frame_t f, detection_t d) const {
    return &joints_[static_cast<size_t>(offsets_[Slot(c, f)] + d) * num_joints_];
  }
  // Sum of the positive finite weights of a detection (the single-person selection key).
  double TotalConfidence(camera_t c, frame_t f, detection_t d) const;
  // Whether a detection has at least one observed joint (positive finite weight, finite x, y).
  bool HasObservedJoint(camera_t c, frame_t f, detection_t d) const;
  // Number of detections in the whole capture.
  int64_t size() const { return offsets_.empty() ? 0 : offsets_.back(); }

 private:
  size_t Slot(camera_t c, frame_t f) const { return static_cast<size_t>(c) * num_frames_ + f; }

  int num_cameras_ = 0;
  int num_frames_ = 0;
  int num_joints_ = 0;
  std::vector<int64_t> offsets_;        // [camera * num_frames + frame] -> first detection; one extra at the end
  std::vector<Eigen::Vector3d> joints_;  // [detection * num_joints + joint]
};

// One person over the capture.
struct Track {
  int id = -1;  // stable identifier, 0.. in the order the tracks were confirmed
  int num_cameras = 0;
  int num_frames = 0;
  std::vector<detection_t> detections;  // [camera * num_frames + frame] -> detection or kNoDetection
  Observations2d observations;          // the detections' joints [camera][frame][joint]; zero elsewhere
  // The person's joints triangulated during association (world metres, NaN where unknown);
  // empty without a calibration.
  Points3d points;
  frame_t first_frame = kInvalidFrameId;  // first and last frame with an assigned detection
  frame_t last_frame = kInvalidFrameId;

  Track() = default;
  Track(int track_id, int cameras, int frames, int joints)
      : id(track_id),
        num_cameras(cameras),
        num_frames(frames),
        detections(static_cast<size_t>(cameras) * frames, kNoDetection),
        observations(cameras, frames, joints) {}
  detection_t DetectionAt(camera_t c, frame_t f) const { return detections[static_cast<size_t>(c) * num_frames + f]; }
  // Assigns detection d of camera c at frame f and copies its observed joints.
  void Assign(const MultiDetections& all, camera_t c, frame_t f, detection_t d);
  // Number of (camera, frame) with an assigned detection.
  int64_t NumAssigned() const;
};

struct AssociationSummary {
  int num_tracks = 0;
  int64_t num_detections = 0;  // detections with at least one observed joint
  int64_t num_assigned = 0;    // of those, assigned to a track
  int64_t num_unmatched = 0;   // of those, in no track (bystanders, released, too short to confirm)
  int64_t num_uncertain_frames = 0;  // frames where a detection fitted two people or was released
  int num_births = 0;           // tracks that started after the first frame with any detection
  int num_deaths = 0;           // tracks that ended (gap too long) before the last frame
  int num_reidentifications = 0;  // tracks picked up again after a gap of one or more frames
  // Calibrated association only: per camera pair (C x C, row-major, symmetric), the median mean
  // epipolar distance (pixels) of mutually nearest detections; NaN when unknown. A camera whose
  // pairs are far above the others' disagrees with the calibration.
  std::vector<double> pair_epipolar_px;
  std::string BriefReport() const;
};

struct AssociationResult {
  std::vector<Track> tracks;  // ordered by id
  AssociationSummary summary;
};

// Fills num_tracks, num_detections, num_assigned and num_unmatched from the tracks.
void CountAssignments(const MultiDetections& detections, AssociationResult* result);

}  // namespace epilabel
