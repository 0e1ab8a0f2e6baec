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

#include <string>
#include <vector>

#include "detection/keypoints.h"
#include "geometry/core/progress.h"

namespace epilabel {

struct KeypointReadOptions {
  // Skeleton name; empty = guess from the joint count (see GuessSkeleton).
  std::string skeleton;
  // Only these camera folders (empty = all sub-folders, sorted by name).
  std::vector<std::string> cameras;
  ProgressCallback progress;
};

// Reads any supported input: an OpenPose folder tree, a folder of COCO JSON files, or a
// keypoints2d.npz. Throws InputError naming the file and the problem (malformed JSON, wrong
// joint count, non-numeric frame name, empty folder, NaN).
KeypointSequence ReadKeypoints(const std::string& path, const KeypointReadOptions& options = {});

KeypointSequence ReadOpenPoseFolder(const std::string& root, const KeypointReadOptions& options = {});
KeypointSequence ReadCocoFolder(const std::string& root, const KeypointReadOptions& options = {});
KeypointSequence ReadKeypointsNpz(const std::string& path, const KeypointReadOptions& options = {});

// Writers. Folders are written to a temporary sibling and renamed when complete.
void WriteOpenPoseFolder(const KeypointSequence& sequence, const std::string& root);
void WriteCocoFolder(const KeypointSequence& sequence, const std::string& root);
void WriteKeypointsNpz(const KeypointSequence& sequence, const std::string& path);

}  // namespace epilabel
