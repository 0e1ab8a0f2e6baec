// OpenPose JSON folders (Pose2Sim, EasyMocap, FreeMoCap): ROOT/<camera>/<anything><frame
// number>[_keypoints].json with people[*].pose_keypoints_2d = [x0, y0, c0, x1, y1, c1, ...].
// The frame number is the last group of digits in the file name before "_keypoints" or the
// extension. Every person is kept, in file order. Missing joints are (0, 0, 0).
// Timestamps (optional): <camera>/timestamps.csv, a header "frame,time_s" then one line
// "<frame number>,<seconds>" per JSON file in frame order (as `detect` writes it).
// Image size (optional): <camera>/image_size.csv, a header "width,height" then one line
// "<width>,<height>" in pixels (as `detect` writes it): the size the keypoints were detected on,
// checked against a calibration's (CheckImageSizes). OpenPose itself writes neither file.
#pragma once

#include <cstdint>
#include <string>

#include "detection/io/keypoint_read_options.h"
#include "detection/keypoints.h"

namespace epilabel {

// The frame number in an OpenPose file name: the last group of digits before "_keypoints" and
// the extension ("Static_cam_01.00003.json" -> 3, "000012_keypoints.json" -> 12); -1 when the
// name has no digits (or more than 18 of them).
int64_t FrameNumberFromFileName(const std::string& file_name);

// Reads a folder of camera folders of OpenPose JSON files; a folder of OpenPose JSON files
// without camera sub-folders is one camera named after the folder. Files are parsed in
// parallel; the result and the error reported do not depend on the thread count. Throws
// InputError naming the file and the problem (malformed JSON, wrong joint count, non-numeric
// frame name, duplicate frame, empty folder, NaN; in timestamps.csv a malformed line, a frame
// that is not the next JSON frame, a missing line, a non-finite or non-increasing time, a file
// over 64 MiB; in image_size.csv anything but the header and two integers in [1, 65536], or a
// file over 1 KiB).
KeypointSequence ReadOpenPoseFolder(const std::string& root, const KeypointReadOptions& options = {});

// Writes "<root>/<camera>/<camera>_<frame, 12 digits>_keypoints.json" (OpenPose's own pattern)
// with OpenPose's keys ("version", "people", "person_id", "pose_keypoints_2d", empty face/hand
// arrays), one file per frame, timestamps.csv for a camera with timestamps and image_size.csv
// for a camera with an image size. The folder is
// written to a temporary sibling and renamed when complete; an existing `root` is replaced only
// when it holds camera folders of .json files (and timestamps.csv) alone (else InputError). Joints with non-finite values are written as (0, 0, 0).
void WriteOpenPoseFolder(const KeypointSequence& sequence, const std::string& root);

}  // namespace epilabel
