// Per-camera tracking of several people over frames: each frame's people get the id of the
// person they continue, so that a person keeps one index in a camera's output.
//
// Motion: each track predicts its joints at the current frame from its last seen joints and a
// constant image velocity (mean displacement of its common confident joints per frame,
// smoothed over updates with weight 1/2 on the previous velocity), so that two people crossing
// keep their ids and a person missed for a few frames is found again where they went.
//
// Distance of a detection to a track: the mean image distance over the joints confident in
// both (score >= min_joint_score) between the detection and the track's prediction, divided by
// the diagonal of the track's last keypoint box (pixels / pixels); fewer than
// min_common_joints common joints = no match. Per frame, the detections are assigned to the
// tracks alive (seen within max_gap_frames, lost ones included) by minimum total distance
// (Hungarian, SolveAssignment) within the gate max_distance; a detection left over starts a
// new track with the next id (0, 1, ...). Deterministic.
#pragma once

#include <vector>

#include <Eigen/Core>

namespace epilabel {

struct PersonTrackerOptions {
  // Joints with a score at least this are compared.
  double min_joint_score = 0.2;
  // At least this many joints confident in both, else the pair cannot match.
  int min_common_joints = 3;
  // Gate on the mean joint distance, as a fraction of the track's keypoint-box diagonal.
  double max_distance = 0.5;
  // A track not seen for more than this many frames is forgotten (its id is not reused).
  int max_gap_frames = 30;

  // Throws InputError for invalid values (naming the option).
  void Check() const;
};

class PersonTracker {
 public:
  explicit PersonTracker(const PersonTrackerOptions& options = {});

  // Assigns a track id to each person of the next frame (joints (x, y, score), pixel
  // coordinates). Returns one id per person.
  std::vector<int> Update(const std::vector<std::vector<Eigen::Vector3d>>& people);

  // Tracks started so far (the next new id).
  int tracks_started() const { return next_id_; }

 private:
  struct Track {
    int id = 0;
    std::vector<Eigen::Vector3d> joints;  // last seen
    int last_frame = 0;
    Eigen::Vector2d velocity = Eigen::Vector2d::Zero();  // pixels per frame
    bool has_velocity = false;
  };
  // A track's last joints moved to the current frame along its velocity.
  std::vector<Eigen::Vector3d> Predict(const Track& track) const;
  // Takes `joints` as the track's position at the current frame and updates its velocity.
  void Continue(Track& track, const std::vector<Eigen::Vector3d>& joints) const;
  // The gated distance of `joints` to `track`'s prediction (+infinity when it cannot match).
  double Distance(const Track& track, const std::vector<Eigen::Vector3d>& joints) const;

  PersonTrackerOptions options_;
  std::vector<Track> tracks_;
  int next_id_ = 0;
  int frame_ = 0;
};

}  // namespace epilabel
