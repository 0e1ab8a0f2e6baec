// Matching camera folders (keypoints) to calibration entries.
#pragma once

#include <string>
#include <vector>

#include "detection/keypoints.h"
#include "geometry/core/camera.h"

namespace epilabel {

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
