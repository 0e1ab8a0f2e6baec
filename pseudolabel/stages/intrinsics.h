// Stage 3: the intrinsics the self-calibration starts from, for the keypoint cameras: from a
// calibration or intrinsics file (already read, matched by camera name), from one image size
// for every camera (focal lengths unknown), or from the image sizes the keypoints carry
// (keypoints2d.npz). Cameras with only a size get their focal length estimated later.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "geometry/core/camera.h"
#include "pseudolabel/keypoint_input.h"

namespace epilabel {

struct IntrinsicsSource {
  // Cameras read from an intrinsics (or full calibration) file, and its path for messages;
  // matched to the keypoint cameras by name.
  std::optional<Rig> file;
  std::string file_path;
  // Else one image size for every camera (pixels); 0 = not given.
  int image_width = 0, image_height = 0;
  // Else the sizes stored with the keypoints. Nothing of the three: InputError.
};

// Parses "WIDTHxHEIGHT" (pixels, both positive); throws InputError naming the key `image_size`.
void ParseImageSize(const std::string& text, int* width, int* height);

// The keypoint cameras with what is known of their intrinsics. Throws InputError naming the
// file (or the keypoints, or the key `image_size`) when a camera cannot be given a size, and
// for keypoints far outside a file's image sizes (CheckImageSizes, whose warnings are appended
// to `warnings` when given).
Rig ResolveIntrinsics(const IntrinsicsSource& source, const KeypointInput& input,
                      std::vector<std::string>* warnings = nullptr);

}  // namespace epilabel
