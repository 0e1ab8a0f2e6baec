// 2D keypoint sequences as they come from detectors and files, possibly with several people
// per frame, and their conversion to the dense single-person Observations2d of geometry/.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "geometry/core/observations.h"

namespace epilabel {

// One detected person: (x px, y px, confidence) per joint; (0, 0, 0) where missing.
struct Person2d {
  std::vector<Eigen::Vector3d> joints;
  // The person's id in its camera over frames (a per-camera track, as `detect --people` writes
  // it to OpenPose's person_id); -1 = none.
  int track_id = -1;
  // Sum of the confidences (used to pick the main person).
  double TotalConfidence() const;
};

// The detections of one camera over time.
struct CameraKeypoints {
  std::string name;                           // camera name (the folder name on disk)
  int width = 0, height = 0;                  // image size in pixels, 0 when unknown
  std::vector<int64_t> frame_numbers;         // frame number of each entry, increasing
  std::vector<std::vector<Person2d>> people;  // people[i] = everyone detected in frame_numbers[i]
  // When the frame of each entry was taken, seconds on the camera's clock (strictly increasing,
  // e.g. a video's presentation timestamps; see keypoint_timing.h); empty = unknown (frames
  // evenly spaced at the sequence's frame rate).
  std::vector<double> timestamps_s;
};

// Keypoints of several cameras; every person has skeleton's num_joints joints.
struct KeypointSequence {
  std::string skeleton;  // skeleton name (see skeleton.h)
  int num_joints = 0;
  std::vector<CameraKeypoints> cameras;

  // Sorted union of the frame numbers of all cameras.
  std::vector<int64_t> AllFrameNumbers() const;
  // Index of a camera by name, or -1.
  int CameraIndex(const std::string& name) const;
};

// How ToObservations picks one person per camera and frame when several are detected.
enum class PersonSelection {
  kMostConfident,  // the person with the highest total confidence
  kFirst,          // the first person listed
};

struct ObservationTable {
  Observations2d observations;        // [camera][frame][joint]
  std::vector<int64_t> frame_numbers; // frame number of each frame index
};

// Dense single-person observations on the union of frame numbers. Cameras keep their order.
// Confidences below zero or non-finite coordinates become missing (weight 0).
ObservationTable ToObservations(const KeypointSequence& sequence,
                                PersonSelection selection = PersonSelection::kMostConfident);

// Builds a single-person sequence back from dense observations (for writers).
KeypointSequence FromObservations(const Observations2d& observations, const std::vector<int64_t>& frame_numbers,
                                  const std::vector<std::string>& camera_names, const std::string& skeleton);

}  // namespace epilabel
