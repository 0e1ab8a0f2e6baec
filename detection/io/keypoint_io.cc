#include "detection/io/keypoint_io.h"

#include <cctype>
#include <filesystem>
#include <fstream>

#include "detection/io/keypoint_files.h"
#include "foundation/error.h"

namespace fs = std::filesystem;

namespace epilabel {

const char* KeypointFormatName(KeypointFormat format) {
  switch (format) {
    case KeypointFormat::kOpenPose: return "openpose";
    case KeypointFormat::kCoco: return "coco";
    case KeypointFormat::kNpz: return "npz";
  }
  return "?";
}

KeypointFormat DetectKeypointFormat(const std::string& path) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) throw InputError(path, "not found");
  if (fs::is_regular_file(status)) {
    const std::string ext = fs::path(path).extension().string();
    if (ext == ".npz") return KeypointFormat::kNpz;
    if (ext == ".json") return KeypointFormat::kCoco;
    throw InputError(path, "unknown keypoint file type (expected keypoints2d .npz, a COCO .json file, an OpenPose "
                           "folder or a folder of COCO .json files)");
  }
  if (!fs::is_directory(status)) throw InputError(path, "is neither a file nor a folder");
  if (!keypoint_files::SubFolders(path).empty()) return KeypointFormat::kOpenPose;
  const std::vector<fs::path> files = keypoint_files::JsonFiles(path);
  if (files.empty()) {
    throw InputError(path, "empty folder: no camera folders of OpenPose JSON files and no COCO .json files");
  }
  // Sniff the first JSON file: a list is COCO results, an object is OpenPose.
  std::ifstream in(files.front(), std::ios::binary);
  char c = 0;
  while (in.get(c) && std::isspace(static_cast<unsigned char>(c))) {
  }
  if (c == '[') return KeypointFormat::kCoco;
  if (c == '{') return KeypointFormat::kOpenPose;
  throw InputError(files.front().string(), "malformed JSON: expected '[' (COCO results) or '{' (OpenPose)");
}

KeypointSequence ReadKeypoints(const std::string& path, const KeypointReadOptions& options) {
  switch (DetectKeypointFormat(path)) {
    case KeypointFormat::kNpz: return ReadKeypointsNpz(path, options);
    case KeypointFormat::kCoco: return ReadCocoFolder(path, options);
    case KeypointFormat::kOpenPose: return ReadOpenPoseFolder(path, options);
  }
  return {};
}

}  // namespace epilabel
