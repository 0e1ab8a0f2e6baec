// Readers and writers of 2D keypoint formats: the public entry of detection/io for keypoints.
//
// Each format has its own unit, included here:
//  - openpose_json.h: OpenPose JSON folders (Pose2Sim, EasyMocap, FreeMoCap);
//  - coco_json.h: COCO keypoint result files, one per camera;
//  - keypoints_npz.h: keypoints2d.npz, one person ([cameras, frames, joints, 3]) or several
//    ([cameras, frames, people, joints, 3]).
// This header adds the format detection and ReadKeypoints, which reads any of them. All readers
// return every person of every frame (detection/keypoints.h); missing joints are (0, 0, 0).
#pragma once

#include <string>

#include "detection/io/coco_json.h"
#include "detection/io/keypoint_read_options.h"
#include "detection/io/keypoints_npz.h"
#include "detection/io/openpose_json.h"
#include "detection/keypoints.h"

namespace epilabel {

enum class KeypointFormat {
  kOpenPose,  // a folder of camera folders of OpenPose JSON files (or one such camera folder)
  kCoco,      // a folder of COCO keypoint result files, one per camera (or one such file)
  kNpz,       // keypoints2d.npz
};
const char* KeypointFormatName(KeypointFormat format);  // "openpose", "coco", "npz"

// The format of an existing input, from its kind (file/folder), extension and, for folders of
// JSON files, the first character of the first file ('[' = COCO, '{' = OpenPose). Throws
// InputError when the path is missing, empty or none of the above.
KeypointFormat DetectKeypointFormat(const std::string& path);

// Reads any supported input (see DetectKeypointFormat): an OpenPose folder tree, a folder of
// COCO JSON files, or a keypoints2d.npz. A folder of OpenPose JSON files without camera
// sub-folders is read as one camera named after the folder; a single COCO file as one camera
// named after the file. Throws InputError naming the file and the problem (malformed JSON,
// wrong joint count, non-numeric frame name, empty folder, NaN).
KeypointSequence ReadKeypoints(const std::string& path, const KeypointReadOptions& options = {});

}  // namespace epilabel
