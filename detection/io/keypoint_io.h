// Readers and writers of 2D keypoint formats.
//
// OpenPose JSON folders: ROOT/<camera>/<anything><frame number>[_keypoints].json with
// people[*].pose_keypoints_2d = [x0, y0, c0, x1, y1, c1, ...] (Pose2Sim, EasyMocap, FreeMoCap).
// The frame number is the last group of digits in the file name before "_keypoints" or the
// extension. Every person is kept. Missing joints are (0, 0, 0).
//
// COCO keypoint results: ROOT/<camera>.json, a list of {"image_id": frame, "category_id": 1,
// "keypoints": [x, y, v, ...], "score": s}; one entry per person.
//
// keypoints2d.npz: `keypoints2d` [cameras, frames, joints, 3] float64 (x, y, confidence),
// `camera_names` [cameras], `frame_numbers` [frames] int64, `joint_names` [joints],
// `image_sizes` [cameras, 2] int32 (0 when unknown); one person.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "detection/keypoints.h"
#include "foundation/progress.h"

namespace epilabel {

struct KeypointReadOptions {
  // Skeleton name; empty = guess from the joint count (see GuessSkeleton).
  std::string skeleton;
  // Only these camera folders (empty = all sub-folders, sorted by name).
  std::vector<std::string> cameras;
  ProgressCallback progress;
};

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

// The frame number in an OpenPose file name: the last group of digits before "_keypoints" and
// the extension ("Static_cam_01.00003.json" -> 3, "000012_keypoints.json" -> 12); -1 when the
// name has no digits.
int64_t FrameNumberFromFileName(const std::string& file_name);

// Reads any supported input (see DetectKeypointFormat): an OpenPose folder tree, a folder of
// COCO JSON files, or a keypoints2d.npz. A folder of OpenPose JSON files without camera
// sub-folders is read as one camera named after the folder; a single COCO file as one camera
// named after the file. Throws InputError naming the file and the problem (malformed JSON,
// wrong joint count, non-numeric frame name, empty folder, NaN).
KeypointSequence ReadKeypoints(const std::string& path, const KeypointReadOptions& options = {});

KeypointSequence ReadOpenPoseFolder(const std::string& root, const KeypointReadOptions& options = {});
KeypointSequence ReadCocoFolder(const std::string& root, const KeypointReadOptions& options = {});
KeypointSequence ReadKeypointsNpz(const std::string& path, const KeypointReadOptions& options = {});

// Writers. Folders are written to a temporary sibling and renamed when complete; an existing
// output folder is replaced only when it holds keypoint files alone (else InputError), so a
// mistyped path never wipes unrelated data. OpenPose files are named
// "<camera>_<frame, 12 digits>_keypoints.json" (OpenPose's own pattern) with OpenPose's keys
// ("version", "people", "person_id", "pose_keypoints_2d", empty face/hand arrays). COCO entries
// are ordered by frame, then person; "score" is the mean confidence of the detected joints.
// keypoints2d.npz keeps one person per camera and frame (the most confident) and every frame of
// the union of frame numbers. Joints with non-finite values are written as (0, 0, 0).
void WriteOpenPoseFolder(const KeypointSequence& sequence, const std::string& root);
void WriteCocoFolder(const KeypointSequence& sequence, const std::string& root);
void WriteKeypointsNpz(const KeypointSequence& sequence, const std::string& path);

}  // namespace epilabel
