#include "detection/io/openpose_json.h"

#include <cctype>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <system_error>

#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include "detection/io/keypoint_files.h"
#include "detection/io/keypoint_json.h"
#include "detection/io/keypoint_skeleton.h"
#include "detection/keypoint_timing.h"
#include "detection/skeleton.h"
#include "foundation/error.h"

namespace fs = std::filesystem;

namespace epilabel {

namespace {

using keypoint_json::JsonWorker;

struct CameraSource {
  std::string name;
  fs::path folder;
};

struct OpenPoseFile {
  int camera = 0;
  int64_t frame = 0;
  std::string path;
  std::vector<Person2d> people;
  std::string error;  // empty when parsed
};

void ParseOpenPoseFile(JsonWorker& worker, OpenPoseFile& file) {
  size_t length = 0;
  if (!worker.Load(file.path, &length, &file.error)) return;
  simdjson::dom::element doc;
  if (const auto code = worker.parser.parse(worker.buffer.get(), length, false).get(doc)) {
    file.error = keypoint_json::JsonErrorMessage(code, worker.buffer.get(), length);
    return;
  }
  simdjson::dom::object root;
  if (doc.get_object().get(root)) {
    file.error = "expected an OpenPose object {\"version\": ..., \"people\": [...]} at the top level";
    return;
  }
  simdjson::dom::array people;
  if (root["people"].get_array().get(people)) {
    file.error = "no \"people\" array (expected OpenPose JSON)";
    return;
  }
  file.people.reserve(people.size());
  size_t index = 0;
  for (simdjson::dom::element p : people) {
    simdjson::dom::object person;
    simdjson::dom::element pose;
    if (p.get_object().get(person) || person["pose_keypoints_2d"].get(pose)) {
      file.error = "person " + std::to_string(index) + " has no \"pose_keypoints_2d\"";
      return;
    }
    Person2d parsed;
    std::string error = keypoint_json::ParseTriples(pose, "pose_keypoints_2d", &parsed);
    if (!error.empty()) {
      file.error = "person " + std::to_string(index) + ": " + error;
      return;
    }
    // OpenPose writes an empty array when the body was not estimated: no person.
    if (!parsed.joints.empty()) file.people.push_back(std::move(parsed));
    ++index;
  }
}

// The files of every camera with their frame numbers, camera by camera in frame order;
// `first_file[c]` is the index of camera c's first file (first_file[cameras.size()] = total).
std::vector<OpenPoseFile> ListOpenPoseFiles(const std::vector<CameraSource>& cameras, std::vector<size_t>* first_file) {
  std::vector<OpenPoseFile> files;
  first_file->assign(cameras.size() + 1, 0);
  for (size_t c = 0; c < cameras.size(); ++c) {
    (*first_file)[c] = files.size();
    const std::vector<fs::path> paths = keypoint_files::JsonFiles(cameras[c].folder);
    if (paths.empty()) throw InputError(cameras[c].folder.string(), "no .json files in the camera folder");
    std::map<int64_t, std::string> seen;
    for (const fs::path& p : paths) {
      const int64_t frame = FrameNumberFromFileName(p.filename().string());
      if (frame < 0) {
        throw InputError(p.string(), "no frame number in the file name (expected digits before '_keypoints.json' "
                                     "or '.json', e.g. cam1_000012_keypoints.json)");
      }
      if (auto [it, inserted] = seen.emplace(frame, p.string()); !inserted) {
        throw InputError(p.string(), "frame " + std::to_string(frame) + " appears twice in camera '" +
                                         cameras[c].name + "' (also " + it->second + ")");
      }
      OpenPoseFile f;
      f.camera = static_cast<int>(c);
      f.frame = frame;
      f.path = p.string();
      files.push_back(std::move(f));
    }
    std::sort(files.begin() + static_cast<long>((*first_file)[c]), files.end(),
              [](const OpenPoseFile& a, const OpenPoseFile& b) { return a.frame < b.frame; });
  }
  (*first_file)[cameras.size()] = files.size();
  return files;
}

// Parses every file in parallel; each file's result goes to its own slot, so the order is fixed.
void ParseOpenPoseFiles(std::vector<OpenPoseFile>& files, const ProgressCallback& callback) {
  tbb::enumerable_thread_specific<JsonWorker> workers;
  keypoint_files::ReadProgress progress(callback, "Reading OpenPose JSON", files.size());
  tbb::parallel_for(tbb::blocked_range<size_t>(0, files.size(), 16), [&](const tbb::blocked_range<size_t>& range) {
    JsonWorker& worker = workers.local();
    for (size_t i = range.begin(); i != range.end(); ++i) {
      ParseOpenPoseFile(worker, files[i]);
      progress.Step();
    }
  });
}

// The skeleton of the parsed files, validated sequentially so that the error reported is the
// first one in file order (a parse error, or a joint count different from the first person's).
void ResolveOpenPoseSkeleton(const std::vector<OpenPoseFile>& files, const std::string& root,
                             const KeypointReadOptions& options, KeypointSequence* seq) {
  int num_joints = -1;
  std::string first_path;
  std::vector<const std::vector<Person2d>*> frames;
  frames.reserve(files.size());
  for (const OpenPoseFile& f : files) {
    if (!f.error.empty()) throw InputError(f.path, f.error);
    for (size_t p = 0; p < f.people.size(); ++p) {
      const int n = static_cast<int>(f.people[p].joints.size());
      if (num_joints < 0) {
        num_joints = n;
        first_path = f.path;
      } else if (n != num_joints) {
        throw InputError(f.path, "person " + std::to_string(p) + " has " + std::to_string(n) + " joints, but " +
                                     first_path + " has " + std::to_string(num_joints));
      }
    }
    frames.push_back(&f.people);
  }
  if (num_joints < 0) {
    if (options.skeleton.empty()) {
      throw InputError(root, "no person in any file, so the skeleton cannot be guessed; give `skeleton`");
    }
    seq->skeleton = options.skeleton;
    seq->num_joints = GetSkeleton(options.skeleton).num_joints();
  } else {
    seq->skeleton = keypoint_skeleton::ResolveSkeleton(options.skeleton, num_joints,
                                                       keypoint_skeleton::SamplePeople(frames), first_path);
    seq->num_joints = num_joints;
  }
}

// timestamps.csv of a camera folder: "frame,time_s", then one line per JSON frame, in order.
constexpr std::uintmax_t kMaxTimestampsBytes = 64u << 20;

// The timestamps of `frames` from `folder`'s kTimestampsFile; empty when there is none.
std::vector<double> ReadTimestampsCsv(const fs::path& folder, const std::vector<int64_t>& frames) {
  const fs::path path = folder / keypoint_files::kTimestampsFile;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return {};
  const std::string where = path.string();
  if (fs::file_size(path, ec) > kMaxTimestampsBytes) throw InputError(where, "larger than 64 MiB");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(where, "cannot be read");
  std::string line;
  if (!std::getline(in, line) || line.rfind("frame,time_s", 0) != 0) {
    throw InputError(where + ":1", "expected the header 'frame,time_s'");
  }
  std::vector<double> times;
  for (int number = 2; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const std::string at = where + ":" + std::to_string(number);
    const size_t comma = line.find(',');
    int64_t frame = -1;
    double time = 0.0;
    const char* end = line.data() + line.size();
    const char* frame_end = line.data() + std::min(comma, line.size());  // never past the line (npos)
    const auto f = std::from_chars(line.data(), frame_end, frame);
    const auto t = comma == std::string::npos ? std::from_chars_result{end, std::errc::invalid_argument}
                                              : std::from_chars(line.data() + comma + 1, end, time);
    if (comma == std::string::npos || f.ec != std::errc() || f.ptr != frame_end || t.ec != std::errc() ||
        t.ptr != end) {
      throw InputError(at, "expected 'frame,time_s' (an integer and a number), got '" + line.substr(0, 80) + "'");
    }
    if (times.size() >= frames.size() || frame != frames[times.size()]) {
      throw InputError(at, "frame " + std::to_string(frame) + " is not the camera's next JSON frame (" +
                               (times.size() < frames.size() ? std::to_string(frames[times.size()]) : "none left") +
                               "); one line per JSON file, in frame order");
    }
    times.push_back(time);
  }
  if (times.size() != frames.size()) {
    throw InputError(where, "has " + std::to_string(times.size()) + " timestamps for " + std::to_string(frames.size()) +
                                " JSON frames");
  }
  CheckTimestamps(times, where);
  return times;
}

// image_size.csv of a camera folder: "width,height", then "W,H". Sets `camera`'s size when the
// file is there.
void ReadImageSizeCsv(const fs::path& folder, CameraKeypoints* camera) {
  const fs::path path = folder / keypoint_files::kImageSizeFile;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return;
  const std::string where = path.string();
  if (fs::file_size(path, ec) > 1024) throw InputError(where, "larger than 1 KiB (expected two lines)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(where, "cannot be read");
  std::string header, line;
  std::getline(in, header);
  if (!header.empty() && header.back() == '\r') header.pop_back();
  if (header != "width,height") throw InputError(where + ":1", "expected the header 'width,height'");
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  const size_t comma = line.find(',');
  int width = 0, height = 0;
  const char* end = line.data() + line.size();
  const char* width_end = line.data() + std::min(comma, line.size());
  const auto w = std::from_chars(line.data(), width_end, width);
  const auto h = comma == std::string::npos ? std::from_chars_result{end, std::errc::invalid_argument}
                                            : std::from_chars(line.data() + comma + 1, end, height);
  if (comma == std::string::npos || w.ec != std::errc() || w.ptr != width_end || h.ec != std::errc() ||
      h.ptr != end || width < 1 || height < 1 || width > 65536 || height > 65536) {
    throw InputError(where + ":2", "expected 'width,height' in pixels (two integers in [1, 65536]), got '" +
                                       line.substr(0, 80) + "'");
  }
  camera->width = width;
  camera->height = height;
}

std::string TimestampsCsv(const CameraKeypoints& camera) {
  std::string text = "frame,time_s\n";
  char buffer[64];
  for (size_t i = 0; i < camera.timestamps_s.size(); ++i) {
    text += std::to_string(camera.frame_numbers[i]) + ',';
    const auto r = std::to_chars(buffer, buffer + sizeof(buffer), camera.timestamps_s[i]);
    text.append(buffer, r.ptr) += '\n';
  }
  return text;
}

KeypointSequence ReadOpenPoseCameras(const std::vector<CameraSource>& cameras, const std::string& root,
                                     const KeypointReadOptions& options) {
  std::vector<size_t> first_file;
  std::vector<OpenPoseFile> files = ListOpenPoseFiles(cameras, &first_file);
  ParseOpenPoseFiles(files, options.progress);
  KeypointSequence seq;
  ResolveOpenPoseSkeleton(files, root, options, &seq);
  seq.cameras.resize(cameras.size());
  for (size_t c = 0; c < cameras.size(); ++c) {
    CameraKeypoints& cam = seq.cameras[c];
    cam.name = cameras[c].name;
    const size_t n = first_file[c + 1] - first_file[c];
    cam.frame_numbers.reserve(n);
    cam.people.reserve(n);
    for (size_t i = first_file[c]; i < first_file[c + 1]; ++i) {
      cam.frame_numbers.push_back(files[i].frame);
      cam.people.push_back(std::move(files[i].people));
    }
    cam.timestamps_s = ReadTimestampsCsv(cameras[c].folder, cam.frame_numbers);
    ReadImageSizeCsv(cameras[c].folder, &cam);
  }
  return seq;
}

// One OpenPose file: {"version":1.3,"people":[{"person_id":[-1],"pose_keypoints_2d":[...],...}]}.
void AppendOpenPoseFile(std::string& text, const std::vector<Person2d>& people) {
  text += "{\"version\":1.3,\"people\":[";
  for (size_t p = 0; p < people.size(); ++p) {
    if (p > 0) text += ',';
    text += "{\"person_id\":[" + std::to_string(people[p].track_id < 0 ? -1 : people[p].track_id) +
            "],\"pose_keypoints_2d\":";
    keypoint_json::AppendJoints(text, people[p]);
    text +=
        ",\"face_keypoints_2d\":[],\"hand_left_keypoints_2d\":[],\"hand_right_keypoints_2d\":[],"
        "\"pose_keypoints_3d\":[],\"face_keypoints_3d\":[],\"hand_left_keypoints_3d\":[],"
        "\"hand_right_keypoints_3d\":[]}";
  }
  text += "]}\n";
}

}  // namespace

int64_t FrameNumberFromFileName(const std::string& file_name) {
  std::string stem = fs::path(file_name).filename().string();
  if (keypoint_files::EndsWith(stem, ".json")) stem.resize(stem.size() - 5);
  if (keypoint_files::EndsWith(stem, "_keypoints")) stem.resize(stem.size() - 10);
  size_t end = stem.size();
  while (end > 0 && !std::isdigit(static_cast<unsigned char>(stem[end - 1]))) --end;
  if (end == 0) return -1;
  size_t begin = end;
  while (begin > 0 && std::isdigit(static_cast<unsigned char>(stem[begin - 1]))) --begin;
  while (begin + 1 < end && stem[begin] == '0') ++begin;
  if (end - begin > 18) return -1;  // would overflow int64
  int64_t value = 0;
  std::from_chars(stem.data() + begin, stem.data() + end, value);
  return value;
}

KeypointSequence ReadOpenPoseFolder(const std::string& root, const KeypointReadOptions& options) {
  std::error_code ec;
  if (!fs::exists(root, ec)) throw InputError(root, "not found");
  if (!fs::is_directory(root, ec)) throw InputError(root, "is not a folder (expected one folder per camera)");
  std::vector<CameraSource> cameras;
  for (const fs::path& folder : keypoint_files::SubFolders(root)) {
    cameras.push_back({folder.filename().string(), folder});
  }
  if (cameras.empty()) {
    // A single camera folder: the JSON files are right here.
    if (keypoint_files::JsonFiles(root).empty()) {
      throw InputError(root, "empty folder: no camera folders and no .json files");
    }
    fs::path p(root);
    if (p.filename().empty()) p = p.parent_path();
    cameras.push_back({fs::absolute(p).lexically_normal().filename().string(), p});
  }
  return ReadOpenPoseCameras(keypoint_files::SelectCameras(std::move(cameras), options.cameras, root), root, options);
}

void WriteOpenPoseFolder(const KeypointSequence& sequence, const std::string& root) {
  keypoint_files::CheckSequence(sequence, root);
  keypoint_files::CheckReplaceableFolder(root, /*camera_subfolders=*/true);
  struct Item {
    size_t camera, index;
  };
  std::vector<Item> items;
  for (size_t c = 0; c < sequence.cameras.size(); ++c) {
    for (size_t i = 0; i < sequence.cameras[c].frame_numbers.size(); ++i) items.push_back({c, i});
  }
  keypoint_files::WriteFolder(root, [&](const std::string& tmp) {
    for (const CameraKeypoints& cam : sequence.cameras) {
      fs::create_directories(fs::path(tmp) / cam.name);
      if (!cam.timestamps_s.empty()) {
        keypoint_files::WriteTextFile((fs::path(tmp) / cam.name / keypoint_files::kTimestampsFile).string(),
                                      TimestampsCsv(cam));
      }
      if (cam.width > 0 && cam.height > 0) {
        keypoint_files::WriteTextFile((fs::path(tmp) / cam.name / keypoint_files::kImageSizeFile).string(),
                                      "width,height\n" + std::to_string(cam.width) + "," + std::to_string(cam.height) +
                                          "\n");
      }
    }
    tbb::enumerable_thread_specific<std::string> buffers;
    tbb::parallel_for(tbb::blocked_range<size_t>(0, items.size(), 32), [&](const tbb::blocked_range<size_t>& r) {
      std::string& text = buffers.local();
      for (size_t k = r.begin(); k != r.end(); ++k) {
        const CameraKeypoints& cam = sequence.cameras[items[k].camera];
        const int64_t frame = cam.frame_numbers[items[k].index];
        text.clear();
        AppendOpenPoseFile(text, cam.people[items[k].index]);
        char name[64];
        std::snprintf(name, sizeof(name), "_%012lld_keypoints.json", static_cast<long long>(frame));
        keypoint_files::WriteTextFile((fs::path(tmp) / cam.name / (cam.name + name)).string(), text);
      }
    });
  });
}

}  // namespace epilabel
