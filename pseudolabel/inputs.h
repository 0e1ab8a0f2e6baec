// Loading the inputs of a run: keypoints (any supported format), the skeleton, and a
// calibration matched to the keypoint cameras. File-level errors are InputError naming the
// file and the problem.
#pragma once

#include <string>
#include <vector>

#include "detection/keypoints.h"
#include "detection/skeleton.h"
#include "geometry/core/camera.h"
#include "geometry/core/observations.h"
#include "foundation/progress.h"
#include "geometry/sfm/world_frame.h"

namespace epilabel {

struct PoseInput {
  std::string path;
  KeypointSequence keypoints;          // as read (all people)
  const Skeleton* skeleton = nullptr;  // resolved from --skeleton or guessed
  Observations2d observations;         // one person: [camera][frame][joint]
  std::vector<int64_t> frame_numbers;  // frame number of each frame index
  std::vector<std::string> camera_names;
};

// Reads keypoints from `path` (OpenPose folders, COCO folder, keypoints2d.npz); `skeleton` may
// be empty (guessed). Throws InputError when there is nothing usable: no cameras, no frames,
// or fewer than `min_cameras` cameras.
PoseInput LoadPoseInput(const std::string& path, const std::string& skeleton, int min_cameras,
                        const ProgressCallback& progress = {});

// The calibration's cameras reordered to the keypoint cameras (by exact name, then by the
// number in the name). Throws InputError listing both sets of names when they do not match,
// and when a camera lacks what `need` asks for.
enum class CalibrationNeed { kIntrinsics, kIntrinsicsAndExtrinsics, kImageSize };
Rig MatchCalibration(const Rig& calibration, const std::string& calibration_path, const PoseInput& poses,
                     CalibrationNeed need);

// Geometry options derived from a skeleton.
std::vector<Bone> SkeletonBones(const Skeleton& skeleton);
WorldFrameOptions WorldFrameOptionsFor(const Skeleton& skeleton);

}  // namespace epilabel
