// COCO keypoint results: ROOT/<camera>.json, a list of {"image_id": frame, "category_id": 1,
// "keypoints": [x, y, v, ...], "score": s}; one entry per person. "image_id" is the frame number
// (an integer, or a string whose last digit group is the frame number); entries of another
// category are skipped; several entries of one frame are several people, in file order.
#pragma once

#include <string>

#include "detection/io/keypoint_read_options.h"
#include "detection/keypoints.h"

namespace epilabel {

// Reads a folder of COCO result files, one per camera (camera name = file stem), or a single
// such file as one camera. Only frames with an entry exist. Throws InputError naming the file,
// the entry and the problem.
KeypointSequence ReadCocoFolder(const std::string& root, const KeypointReadOptions& options = {});

// Writes "<root>/<camera>.json" with entries ordered by frame, then person; "score" is the mean
// confidence of the detected joints. Atomic and protective of unrelated folders as
// WriteOpenPoseFolder (an existing `root` may hold .json files only).
void WriteCocoFolder(const KeypointSequence& sequence, const std::string& root);

}  // namespace epilabel
