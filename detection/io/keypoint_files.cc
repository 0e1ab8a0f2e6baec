#include "detection/io/keypoint_files.h"

#include <fstream>
#include <set>
#include <stdexcept>

#include <unistd.h>

#include "detection/keypoint_timing.h"
#include "foundation/error.h"
#include "foundation/file_util.h"

namespace fs = std::filesystem;

namespace epilabel::keypoint_files {

namespace {

bool IsHidden(const fs::path& p) {
  const std::string name = p.filename().string();
  return !name.empty() && name[0] == '.';
}

std::string TemporaryFolder(const std::string& root) {
  static std::atomic<unsigned> counter{0};
  fs::path p(root);
  if (p.filename().empty()) p = p.parent_path();  // trailing slash
  return (p.parent_path() / ("." + p.filename().string() + ".tmp." + std::to_string(::getpid()) + "." +
                             std::to_string(counter.fetch_add(1))))
      .string();
}

}  // namespace

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out;
}

std::vector<fs::path> JsonFiles(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    if (IsHidden(p) || p.extension() != ".json") continue;
    std::error_code ec2;
    if (it->is_regular_file(ec2)) files.push_back(p);
  }
  if (ec) throw InputError(dir.string(), "cannot list the folder: " + ec.message());
  // Plain string order (fs::path compares component by component, which is slow).
  std::sort(files.begin(), files.end(),
            [](const fs::path& a, const fs::path& b) { return a.native() < b.native(); });
  return files;
}

std::vector<fs::path> SubFolders(const fs::path& dir) {
  std::vector<fs::path> folders;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code ec2;
    if (!IsHidden(it->path()) && it->is_directory(ec2)) folders.push_back(it->path());
  }
  if (ec) throw InputError(dir.string(), "cannot list the folder: " + ec.message());
  std::sort(folders.begin(), folders.end());
  return folders;
}

void CheckSequence(const KeypointSequence& seq, const std::string& where) {
  std::set<std::string> names;
  for (const CameraKeypoints& cam : seq.cameras) {
    if (cam.name.empty() || cam.name == "." || cam.name == ".." || cam.name.find('/') != std::string::npos ||
        cam.name[0] == '.') {
      throw InputError(where, "camera name '" + cam.name + "' cannot be used as a file or folder name");
    }
    if (!names.insert(cam.name).second) throw InputError(where, "camera name '" + cam.name + "' is used twice");
    if (cam.frame_numbers.size() != cam.people.size() ||
        (!cam.timestamps_s.empty() && cam.timestamps_s.size() != cam.frame_numbers.size())) {
      throw std::invalid_argument(where + ": camera '" + cam.name + "' has mismatched frame_numbers, people and timestamps");
    }
    CheckTimestamps(cam.timestamps_s, where + " (camera '" + cam.name + "')");
    for (size_t i = 0; i < cam.frame_numbers.size(); ++i) {
      if (cam.frame_numbers[i] < 0) {
        throw InputError(where, "camera '" + cam.name + "' has negative frame number " +
                                    std::to_string(cam.frame_numbers[i]));
      }
      if (i > 0 && cam.frame_numbers[i] <= cam.frame_numbers[i - 1]) {
        throw std::invalid_argument(where + ": frame numbers of camera '" + cam.name + "' are not increasing");
      }
      for (const Person2d& p : cam.people[i]) {
        if (static_cast<int>(p.joints.size()) != seq.num_joints) {
          throw std::invalid_argument(where + ": a person of camera '" + cam.name + "' has " +
                                      std::to_string(p.joints.size()) + " joints, expected " +
                                      std::to_string(seq.num_joints));
        }
      }
    }
  }
}

void CheckReplaceableFolder(const std::string& root, bool camera_subfolders) {
  std::error_code ec;
  if (!fs::exists(root, ec)) return;
  if (!fs::is_directory(root, ec)) throw InputError(root, "exists and is not a folder");
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    const fs::path& p = entry.path();
    bool ok = false;
    if (camera_subfolders && entry.is_directory()) {
      ok = true;
      for (const auto& inner : fs::directory_iterator(p, ec)) {
        ok = ok && (inner.path().extension() == ".json" || inner.path().filename() == kTimestampsFile ||
                    inner.path().filename() == kImageSizeFile);
      }
    } else if (!camera_subfolders && entry.is_regular_file()) {
      ok = p.extension() == ".json";
    }
    if (!ok) {
      throw InputError(root, "exists and holds other things than keypoint files (" + p.filename().string() +
                                 "); refusing to replace it");
    }
  }
}

void WriteTextFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw std::runtime_error(path + ": cannot open for writing");
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) throw std::runtime_error(path + ": write failed (disk full?)");
}

void WriteFolder(const std::string& root, const std::function<void(const std::string& tmp)>& fill) {
  const std::string tmp = TemporaryFolder(root);
  try {
    fs::create_directories(tmp);
    fill(tmp);
    std::string final_root = root;
    while (final_root.size() > 1 && final_root.back() == '/') final_root.pop_back();
    CommitDirectory(tmp, final_root);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw;
  }
}

}  // namespace epilabel::keypoint_files
