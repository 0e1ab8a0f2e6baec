// keypoints2d.npz: 2D keypoints of several cameras in one numpy archive (see docs/formats.md).
//
//   keypoints2d    [cameras, frames, joints, 3] float64 (x px, y px, confidence) — one person —
//               or [cameras, frames, people, joints, 3] — several people per camera and frame,
//                  in slots; a slot whose confidences are all <= 0 (zero padding) is nobody;
//   camera_names   [cameras] unicode            (default cam_0, cam_1, ...)
//   frame_numbers  [frames] int64, increasing   (default 0, 1, ...)
//   joint_names    [joints] unicode             (the skeleton's; used to recognise it)
//   image_sizes    [cameras, 2] int32 width, height, 0 when unknown (default 0)
//   timestamps_s   [cameras, frames] float64 seconds, optional: when each frame was taken (a
//                  video's presentation timestamps); a camera's row is all NaN (none) or finite
//                  and increasing.
// Missing joints are (0, 0, 0) in both layouts.
#pragma once

#include <string>

#include "detection/io/keypoint_read_options.h"
#include "detection/keypoints.h"

namespace epilabel {

// Reads either layout. Every camera lists every frame of `frame_numbers`; a frame with nobody
// has an empty people list. Throws InputError naming the file (and the array or element) for
// a malformed archive (see ReadNpz), a missing keypoints2d, wrong shapes or dtypes, NaN or
// infinite values ("keypoints2d[c, f, j] is NaN"), non-increasing frame numbers, duplicate camera
// names, invalid image sizes, a timestamps_s row that is partly NaN, infinite or not
// increasing ("timestamps_s[c]: ..."), and arrays whose lengths disagree.
KeypointSequence ReadKeypointsNpz(const std::string& path, const KeypointReadOptions& options = {});

// Writes the union of the cameras' frame numbers. When no camera and frame has more than one
// detected person (a person with some confidence > 0), the one-person layout
// [cameras, frames, joints, 3] is written, byte for byte as before the multi-person layout
// existed; otherwise [cameras, frames, people, joints, 3] with people = the largest number of
// detected people in one camera and frame, each camera and frame's detected people in their
// order, then zero slots. Joints with a non-finite value or a confidence <= 0 are written as
// (0, 0, 0). timestamps_s only when some camera has timestamps (a frame a camera lacks gets a
// time interpolated in frame number). Uncompressed (numpy.savez), atomic.
void WriteKeypointsNpz(const KeypointSequence& sequence, const std::string& path);

}  // namespace epilabel
