#include "detection/io/coco_json.h"

#include <algorithm>
#include <filesystem>

#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include "detection/io/keypoint_files.h"
#include "detection/io/keypoint_json.h"
#include "detection/io/keypoint_skeleton.h"
#include "detection/io/openpose_json.h"
#include "detection/skeleton.h"
#include "foundation/error.h"

namespace fs = std::filesystem;

namespace epilabel {

namespace {

using keypoint_json::JsonWorker;

struct CocoSource {
  std::string name;
  fs::path file;
};

struct CocoFile {
  std::vector<std::pair<int64_t, Person2d>> entries;  // (frame, person) in file order
  std::string error;
};

void ParseCocoFile(JsonWorker& worker, const std::string& path, CocoFile& file) {
  size_t length = 0;
  if (!worker.Load(path, &length, &file.error)) return;
  simdjson::dom::element doc;
  if (const auto code = worker.parser.parse(worker.buffer.get(), length, false).get(doc)) {
    file.error = keypoint_json::JsonErrorMessage(code, worker.buffer.get(), length);
    return;
  }
  simdjson::dom::array list;
  if (doc.get_array().get(list)) {
    file.error = "expected a list of COCO keypoint results [{\"image_id\": ..., \"keypoints\": [...]}, ...]";
    return;
  }
  file.entries.reserve(list.size());
  size_t index = 0;
  for (simdjson::dom::element e : list) {
    const std::string at = "entry " + std::to_string(index++);
    simdjson::dom::object obj;
    if (e.get_object().get(obj)) {
      file.error = at + " is not an object";
      return;
    }
    int64_t category = 1;
    if (simdjson::dom::element c; !obj["category_id"].get(c) && c.get_int64().get(category)) {
      file.error = at + ": \"category_id\" is not an integer";
      return;
    }
    if (category != 1) continue;  // not a person
    simdjson::dom::element id;
    if (obj["image_id"].get(id)) {
      file.error = at + " has no \"image_id\"";
      return;
    }
    int64_t frame = -1;
    std::string_view id_text;
    if (!id.get_int64().get(frame)) {
      if (frame < 0) {
        file.error = at + ": negative \"image_id\" " + std::to_string(frame);
        return;
      }
    } else if (!id.get_string().get(id_text)) {
      frame = FrameNumberFromFileName(std::string(id_text));
      if (frame < 0) {
        file.error = at + ": \"image_id\" '" + std::string(id_text) + "' has no frame number";
        return;
      }
    } else {
      file.error = at + ": \"image_id\" is neither an integer nor a string";
      return;
    }
    simdjson::dom::element kp;
    if (obj["keypoints"].get(kp)) {
      file.error = at + " has no \"keypoints\"";
      return;
    }
    Person2d person;
    const std::string error = keypoint_json::ParseTriples(kp, "keypoints", &person);
    if (!error.empty()) {
      file.error = at + ": " + error;
      return;
    }
    if (!person.joints.empty()) file.entries.emplace_back(frame, std::move(person));
  }
}

KeypointSequence ReadCocoFiles(const std::vector<CocoSource>& sources, const std::string& root,
                               const KeypointReadOptions& options) {
  std::vector<CocoFile> files(sources.size());
  tbb::enumerable_thread_specific<JsonWorker> workers;
  keypoint_files::ReadProgress progress(options.progress, "Reading COCO JSON", files.size());
  tbb::parallel_for(size_t{0}, files.size(), [&](size_t i) {
    ParseCocoFile(workers.local(), sources[i].file.string(), files[i]);
    progress.Step();
  });

  int num_joints = -1;
  std::string first_path;
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string path = sources[i].file.string();
    if (!files[i].error.empty()) throw InputError(path, files[i].error);
    for (size_t e = 0; e < files[i].entries.size(); ++e) {
      const int n = static_cast<int>(files[i].entries[e].second.joints.size());
      if (num_joints < 0) {
        num_joints = n;
        first_path = path;
      } else if (n != num_joints) {
        throw InputError(path, "entry " + std::to_string(e) + " has " + std::to_string(n) + " joints, but " +
                                   first_path + " has " + std::to_string(num_joints));
      }
    }
  }

  KeypointSequence seq;
  seq.cameras.resize(sources.size());
  for (size_t i = 0; i < files.size(); ++i) {
    auto& entries = files[i].entries;
    std::stable_sort(entries.begin(), entries.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    CameraKeypoints& cam = seq.cameras[i];
    cam.name = sources[i].name;
    for (auto& [frame, person] : entries) {
      if (cam.frame_numbers.empty() || cam.frame_numbers.back() != frame) {
        cam.frame_numbers.push_back(frame);
        cam.people.emplace_back();
      }
      cam.people.back().push_back(std::move(person));
    }
  }
  if (num_joints < 0) {
    if (options.skeleton.empty()) {
      throw InputError(root, "no person in any file, so the skeleton cannot be guessed; give `skeleton`");
    }
    seq.skeleton = options.skeleton;
    seq.num_joints = GetSkeleton(options.skeleton).num_joints();
    return seq;
  }
  seq.skeleton = keypoint_skeleton::ResolveSkeleton(
      options.skeleton, num_joints, keypoint_skeleton::SamplePeople(keypoint_skeleton::PeopleLists(seq)), first_path);
  seq.num_joints = num_joints;
  return seq;
}

// One camera's COCO result list.
std::string CocoFileText(const CameraKeypoints& cam) {
  std::string text = "[";
  bool first = true;
  for (size_t i = 0; i < cam.frame_numbers.size(); ++i) {
    for (const Person2d& person : cam.people[i]) {
      double sum = 0.0;
      int seen = 0;
      for (const auto& k : person.joints) {
        if (k.allFinite() && k.z() > 0.0) {
          sum += k.z();
          ++seen;
        }
      }
      text += first ? "\n" : ",\n";
      first = false;
      text += "{\"image_id\":" + std::to_string(cam.frame_numbers[i]) + ",\"category_id\":1,\"keypoints\":";
      keypoint_json::AppendJoints(text, person);
      text += ",\"score\":";
      keypoint_json::AppendNumber(text, seen > 0 ? sum / seen : 0.0);
      text += '}';
    }
  }
  text += "\n]\n";
  return text;
}

}  // namespace

KeypointSequence ReadCocoFolder(const std::string& root, const KeypointReadOptions& options) {
  std::error_code ec;
  if (!fs::exists(root, ec)) throw InputError(root, "not found");
  std::vector<CocoSource> sources;
  if (fs::is_regular_file(root, ec)) {
    sources.push_back({fs::path(root).stem().string(), root});
  } else {
    for (const fs::path& f : keypoint_files::JsonFiles(root)) sources.push_back({f.stem().string(), f});
    if (sources.empty()) throw InputError(root, "empty folder: no COCO .json files (one per camera)");
  }
  return ReadCocoFiles(keypoint_files::SelectCameras(std::move(sources), options.cameras, root), root, options);
}

void WriteCocoFolder(const KeypointSequence& sequence, const std::string& root) {
  keypoint_files::CheckSequence(sequence, root);
  keypoint_files::CheckReplaceableFolder(root, /*camera_subfolders=*/false);
  keypoint_files::WriteFolder(root, [&](const std::string& tmp) {
    tbb::parallel_for(size_t{0}, sequence.cameras.size(), [&](size_t c) {
      const CameraKeypoints& cam = sequence.cameras[c];
      keypoint_files::WriteTextFile((fs::path(tmp) / (cam.name + ".json")).string(), CocoFileText(cam));
    });
  });
}

}  // namespace epilabel
