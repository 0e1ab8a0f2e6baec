// Matching camera folders (keypoints) to calibration entries.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "detection/keypoints.h"
#include "geometry/core/camera.h"

namespace epilabel {

// The number in a camera name: its last group of digits, leading zeros ignored
// ("cam01_json" -> 1, "cam_01" -> 1, "Static_cam_12" -> 12); nullopt without digits.
std::optional<long long> CameraNameNumber(const std::string& name);

// For each name in `folder_names`, the index of its calibration entry: first by exact name,
// then by the number in the name ("cam01_json" <-> "cam_01", "camera_3" <-> "cam3"; leading
// zeros ignored). Throws InputError listing both sets of names when a folder has no match or
// two folders map to the same entry. `where` names the inputs in the message.
std::vector<int> MatchCameraNames(const std::vector<std::string>& folder_names,
                                  const std::vector<std::string>& calibration_names, const std::string& where);

// The same for the cameras of keypoints (in order) and of a calibration: for each keypoint
// camera the index of its calibration camera. The one entry point every reader uses.
std::vector<int> MatchKeypointCameras(const KeypointSequence& keypoints, const Rig& calibration,
                                      const std::string& where);
std::vector<int> MatchRigCameras(const std::vector<std::string>& camera_names, const Rig& calibration,
                                 const std::string& where);

}  // namespace epilabel
