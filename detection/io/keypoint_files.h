// Helpers shared by the keypoint readers and writers of detection/io (not a public API):
// listing camera folders and JSON files, choosing cameras, read progress, and writing a folder
// of keypoint files atomically.
#pragma once

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "detection/keypoints.h"
#include "foundation/error.h"
#include "foundation/progress.h"

namespace epilabel::keypoint_files {

bool EndsWith(const std::string& s, const std::string& suffix);
// "a, b, c".
std::string Join(const std::vector<std::string>& names);

// Regular .json files directly in `dir` (not hidden), sorted by name; InputError when the
// folder cannot be listed.
std::vector<std::filesystem::path> JsonFiles(const std::filesystem::path& dir);
// Sub-folders of `dir` (not hidden), sorted by name.
std::vector<std::filesystem::path> SubFolders(const std::filesystem::path& dir);

// Applies KeypointReadOptions::cameras to a list of sources with a `name` member: the wanted
// ones in the order given (all when `wanted` is empty); InputError naming `root` for a name
// that is not there.
template <typename Source>
std::vector<Source> SelectCameras(std::vector<Source> all, const std::vector<std::string>& wanted,
                                  const std::string& root) {
  if (wanted.empty()) return all;
  std::vector<Source> out;
  std::vector<std::string> names;
  for (const Source& s : all) names.push_back(s.name);
  for (const std::string& w : wanted) {
    auto it = std::find_if(all.begin(), all.end(), [&](const Source& s) { return s.name == w; });
    if (it == all.end()) throw InputError(root, "no camera '" + w + "' (found: " + Join(names) + ")");
    out.push_back(*it);
  }
  return out;
}

// Counts finished files from any thread and reports every 64th (and the last) to `callback`.
class ReadProgress {
 public:
  ReadProgress(const ProgressCallback& callback, std::string stage, size_t total)
      : callback_(callback), stage_(std::move(stage)), total_(total) {}
  void Step() {
    const size_t done = done_.fetch_add(1) + 1;
    if (callback_ && (done % 64 == 0 || done == total_)) callback_(stage_, done, total_);
  }

 private:
  const ProgressCallback& callback_;
  std::string stage_;
  size_t total_;
  std::atomic<size_t> done_{0};
};

// Checks what every writer needs: camera names usable as file names and unique (InputError),
// non-negative frame numbers (InputError), increasing frame numbers, one people list per frame
// and num_joints joints per person (std::invalid_argument: the caller built a bad sequence),
// timestamps absent or one per frame (std::invalid_argument), finite and increasing (InputError).
// The per-camera timestamps file beside an OpenPose camera folder's JSON files.
inline constexpr const char* kTimestampsFile = "timestamps.csv";
// The per-camera image size file beside them: "width,height", then one line "W,H" (pixels).
inline constexpr const char* kImageSizeFile = "image_size.csv";
void CheckSequence(const KeypointSequence& seq, const std::string& where);

// An existing output folder may be replaced only when it holds keypoint files alone: camera
// folders of .json files, kTimestampsFile and kImageSizeFile (`camera_subfolders`) or .json files; InputError
// otherwise.
void CheckReplaceableFolder(const std::string& root, bool camera_subfolders);

// Writes `text` to `path` (not atomically: used inside WriteFolder's temporary folder).
void WriteTextFile(const std::string& path, const std::string& text);

// Builds a folder through a hidden temporary sibling that `fill` writes into, renamed to `root`
// only when `fill` succeeds (the temporary folder is removed on failure).
void WriteFolder(const std::string& root, const std::function<void(const std::string& tmp)>& fill);

}  // namespace epilabel::keypoint_files
