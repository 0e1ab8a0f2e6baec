// Finding and loading the OpenCV image module (see detector_module.h).
#include <dlfcn.h>

#include <cstdlib>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "detection/dnn/detector_module.h"
#include "foundation/error.h"

namespace epilabel {

std::vector<std::string> DetectorModuleCandidates() {
  std::vector<std::string> candidates;
  const char* env = std::getenv("EPILABEL_DETECTOR_MODULE");
  if (env != nullptr && *env != '\0') candidates.emplace_back(env);
  candidates.emplace_back(EPILABEL_DETECTOR_MODULE_PATH);
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  const std::string beside = (self.parent_path() / EPILABEL_DETECTOR_MODULE_NAME).string();
  if (!ec && std::find(candidates.begin(), candidates.end(), beside) == candidates.end()) candidates.push_back(beside);
  return candidates;
}

const DetectorModuleApi& LoadDetectorModule(const std::vector<std::string>& candidates) {
  std::string errors;
  for (const std::string& path : candidates) {
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = dlerror();  // names the file
      errors += "\n  " + (why != nullptr ? std::string(why) : path + ": cannot be loaded");
      continue;
    }
    using Entry = const DetectorModuleApi* (*)();
    auto entry = reinterpret_cast<Entry>(dlsym(handle, "epilabel_detector_module_api"));
    const DetectorModuleApi* api = entry != nullptr ? entry() : nullptr;
    if (api == nullptr || api->abi != kDetectorModuleAbi) {
      dlclose(handle);
      errors += "\n  " + path + ": not an EpiLabel detector module of this version";
      continue;
    }
    return *api;  // the module stays loaded for the life of the process
  }
  throw std::runtime_error(
      "the image and video module " EPILABEL_DETECTOR_MODULE_NAME
      " (OpenCV dnn, videoio, imgcodecs) could not be loaded; rebuild, or set EPILABEL_DETECTOR_MODULE to its path. "
      "Tried:" +
      errors);
}

const DetectorModuleApi& DetectorModule() {
  static const DetectorModuleApi* api = nullptr;
  static std::string failure;
  static std::once_flag once;
  std::call_once(once, [] {
    try {
      api = &LoadDetectorModule(DetectorModuleCandidates());
    } catch (const std::runtime_error& e) {
      failure = e.what();
    }
  });
  if (api == nullptr) throw std::runtime_error(failure);
  return *api;
}

std::unique_ptr<FrameSource> FrameSource::Open(const std::string& path) {
  std::error_code ec;
  const std::filesystem::file_status status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) throw InputError(path, "no such file or folder");
  return DetectorModule().open_frame_source(path);
}

BoardDetection DetectBoard(const cv::Mat& image, const BoardSpec& board, const BoardDetectionOptions& options) {
  options.Check();
  return DetectorModule().detect_board(image, board, options);
}

}  // namespace epilabel
