// Left/right consistency of one tracked person over frames.
//
// A pose model can swap the person's left and right from one frame to the next: BlazePose full
// takes a front view whose face it cannot see (the balancing trial's blurred face, cam02) for a
// back view in 32 of 100 frames, and every left joint then lands where the right one was a frame
// before. Crops and smoothing do not undo that; the previous frames do. LeftRightCheck compares
// each new pose with the last pose it trusts, as it is and with every left/right pair exchanged,
// and exchanges the pairs back when the swapped pose continues the track much better.
//
// Coordinates: poses are (x, y, score) per joint in pixels of one camera's frames, in one
// skeleton's order; `flip` is that skeleton's Skeleton::FlipPermutation() (the mirror of each
// joint, itself for centre joints). Distances are fractions of the reference pose's keypoint-box
// diagonal (its confident joints), so the thresholds do not depend on the image size.
#pragma once

#include <cstddef>
#include <limits>
#include <vector>

#include <Eigen/Core>

#include "geometry/core/types.h"

namespace epilabel {

struct LeftRightCheckOptions {
  // Joints with at least this score take part (both joints of a pair and the reference's).
  double min_keypoint_score = 0.2;
  // Fewest left/right joints seen in both poses for a decision; fewer: the pose is kept as it is.
  int min_joints = 4;
  // The pose is swapped back when the swapped assignment's mean distance to the reference is at
  // most max_ratio times the direct one's and smaller by at least min_gain (fraction of the
  // diagonal). Between frames of a tracked person the direct distance is about 0.01 (60 fps) and
  // a full swap about 0.2-0.3; a person turning in profile gives two small, similar distances.
  double max_ratio = 0.5;
  double min_gain = 0.05;
  // A pose whose better assignment is still further than max_step from the reference (a jump:
  // a pose half-way between sides, a person half lost) does not become the reference: the next
  // frames are compared with the last trusted pose, for at most max_reference_age frames, after
  // which the current pose is trusted again (the track goes on from there).
  double max_step = 0.06;
  int max_reference_age = 5;

  // Throws InputError naming the option for invalid values.
  void Check() const;
};

// Mean distances of `pose`'s left/right joints (those whose mirror differs) to `reference`, as
// they are and with each exchanged for its mirror; fractions of the reference's keypoint-box
// diagonal. `joints` = how many joints were compared (0: direct and swapped are NaN).
struct LeftRightDistances {
  double direct = std::numeric_limits<double>::quiet_NaN();
  double swapped = std::numeric_limits<double>::quiet_NaN();
  int joints = 0;
};
LeftRightDistances CompareLeftRight(const std::vector<Eigen::Vector3d>& reference,
                                    const std::vector<Eigen::Vector3d>& pose, const std::vector<joint_t>& flip,
                                    double min_keypoint_score);

// The pose with every joint replaced by its mirror (left <-> right).
std::vector<Eigen::Vector3d> SwapLeftRight(const std::vector<Eigen::Vector3d>& pose, const std::vector<joint_t>& flip);

// The check over one person's frames, in order. Not thread-safe (one per camera and person).
class LeftRightCheck {
 public:
  explicit LeftRightCheck(std::vector<joint_t> flip, const LeftRightCheckOptions& options = {});

  // Checks the next frame's pose against the track and swaps its left and right in place when
  // the swapped pose continues the track (see the options); returns true when it did. The first
  // pose after construction or Reset is taken as it is.
  bool Apply(std::vector<Eigen::Vector3d>* pose);
  // Forgets the track (a lost person: the next pose starts a new one).
  void Reset();

  // Poses swapped back since construction or the last Reset.
  size_t swaps() const { return swaps_; }

 private:
  std::vector<joint_t> flip_;
  LeftRightCheckOptions options_;
  std::vector<Eigen::Vector3d> reference_;  // the last trusted pose (after any swap), empty = none
  int reference_age_ = 0;                   // frames since reference_ was taken
  size_t swaps_ = 0;
};

}  // namespace epilabel
