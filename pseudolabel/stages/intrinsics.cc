#include "pseudolabel/stages/intrinsics.h"

#include <stdexcept>

#include "foundation/error.h"

namespace epilabel {

namespace {

Camera SizeOnlyCamera(const std::string& name, int width, int height) {
  Camera cam;
  cam.name = name;
  cam.width = width;
  cam.height = height;
  return cam;
}

}  // namespace

void ParseImageSize(const std::string& text, int* width, int* height) {
  const std::string expected = "expected WIDTHxHEIGHT in pixels (e.g. 1920x1080), got '" + text + "'";
  const auto x = text.find('x');
  size_t used_w = 0, used_h = 0;
  try {
    if (x == std::string::npos) throw std::invalid_argument("no x");
    *width = std::stoi(text.substr(0, x), &used_w);
    *height = std::stoi(text.substr(x + 1), &used_h);
  } catch (const std::exception&) {
    throw InputError("image_size", expected);
  }
  if (used_w != x || used_h != text.size() - x - 1) throw InputError("image_size", expected);
  if (*width <= 0 || *height <= 0) throw InputError("image_size", "sizes must be positive, got '" + text + "'");
}

Rig ResolveIntrinsics(const IntrinsicsSource& source, const KeypointInput& input, std::vector<std::string>* warnings) {
  if (source.file)
    return MatchCalibration(*source.file, source.file_path, input, CalibrationNeed::kImageSize, warnings);
  Rig rig;
  if (source.image_width > 0 && source.image_height > 0) {
    for (const std::string& name : input.camera_names)
      rig.push_back(SizeOnlyCamera(name, source.image_width, source.image_height));
    return rig;
  }
  if (source.image_width != 0 || source.image_height != 0)
    throw InputError("image_size", "sizes must be positive");
  for (const CameraKeypoints& cam : input.keypoints.cameras) {
    if (cam.width <= 0 || cam.height <= 0)
      throw InputError(input.path, "camera '" + cam.name + "' has no known image size: give the intrinsics or the image size");
    rig.push_back(SizeOnlyCamera(cam.name, cam.width, cam.height));
  }
  return rig;
}

}  // namespace epilabel
