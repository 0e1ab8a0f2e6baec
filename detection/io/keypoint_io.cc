#include "detection/io/keypoint_io.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <simdjson.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include "foundation/file_util.h"
#include "foundation/npz.h"
#include "detection/skeleton.h"
#include "foundation/error.h"

namespace fs = std::filesystem;

namespace epilabel {

namespace {

// ---------------------------------------------------------------------------------------------
// Small helpers

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool IsHidden(const fs::path& p) {
  const std::string name = p.filename().string();
  return !name.empty() && name[0] == '.';
}

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out;
}

// Regular .json files directly in `dir` (not hidden), sorted by name.
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

// Sub-folders of `dir` (not hidden), sorted by name.
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

// A reusable read buffer with simdjson's padding; grows but never shrinks.
struct JsonWorker {
  simdjson::dom::parser parser;
  std::unique_ptr<char[]> buffer;
  size_t capacity = 0;

  // Reads the whole file into `buffer`; returns its length or an error message.
  bool Load(const std::string& path, size_t* length, std::string* error) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      *error = std::string("cannot open: ") + std::strerror(errno);
      return false;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      *error = std::string("cannot stat: ") + std::strerror(errno);
      ::close(fd);
      return false;
    }
    const size_t size = static_cast<size_t>(st.st_size);
    if (size + simdjson::SIMDJSON_PADDING > capacity) {
      capacity = std::max<size_t>(size + simdjson::SIMDJSON_PADDING, 2 * capacity);
      buffer.reset(new char[capacity]);
    }
    size_t done = 0;
    while (done < size) {
      const ssize_t n = ::read(fd, buffer.get() + done, size - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        *error = n < 0 ? std::string("read failed: ") + std::strerror(errno) : "file shrank while reading";
        ::close(fd);
        return false;
      }
      done += static_cast<size_t>(n);
    }
    ::close(fd);
    std::memset(buffer.get() + size, 0, simdjson::SIMDJSON_PADDING);
    *length = size;
    return true;
  }
};

// A JSON parse error with a hint for the usual culprits (NaN and Infinity are not JSON).
std::string JsonErrorMessage(simdjson::error_code code, const char* text, size_t length) {
  const std::string_view view(text, length);
  for (const char* literal : {"NaN", "Infinity"}) {
    const size_t at = view.find(literal);
    if (at != std::string_view::npos) {
      const size_t line = 1 + static_cast<size_t>(std::count(view.begin(), view.begin() + at, '\n'));
      return std::string("malformed JSON: ") + literal + " on line " + std::to_string(line) +
             " is not a JSON number (missing joints are written as 0, 0, 0)";
    }
  }
  if (length == 0) return "malformed JSON: the file is empty";
  return std::string("malformed JSON: ") + simdjson::error_message(code);
}

// Reads a flat array of x, y, c triples into a person; returns an error message or "".
std::string ParseTriples(simdjson::dom::element value, const char* key, Person2d* person) {
  simdjson::dom::array arr;
  if (value.get_array().get(arr)) return std::string("'") + key + "' is not an array";
  const size_t n = arr.size();
  if (n % 3 != 0) {
    return std::string("'") + key + "' has " + std::to_string(n) +
           " values, not a multiple of 3 (x, y, confidence per joint)";
  }
  person->joints.resize(n / 3);
  double* out = person->joints.empty() ? nullptr : person->joints.front().data();
  size_t i = 0;
  for (simdjson::dom::element v : arr) {
    double d;
    if (v.get_double().get(d)) {
      return std::string("'") + key + "' value " + std::to_string(i) + " (joint " + std::to_string(i / 3) +
             ") is not a number";
    }
    if (!std::isfinite(d)) {
      return std::string("'") + key + "' value " + std::to_string(i) + " (joint " + std::to_string(i / 3) +
             ") is not finite";
    }
    out[i++] = d;  // Eigen::Vector3d is three packed doubles.
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// Skeleton choice

// Median over the sample poses of the mean bone length, relative to the pose's size: small for
// the skeleton whose limbs connect neighbouring joints. NaN when no sample has a seen bone.
double BoneScore(const Skeleton& skeleton, const std::vector<const Person2d*>& samples) {
  std::vector<double> scores;
  for (const Person2d* p : samples) {
    Eigen::Vector2d lo = Eigen::Vector2d::Constant(1e300), hi = -lo;
    for (const auto& j : p->joints) {
      if (j.z() <= 0.0) continue;
      lo = lo.cwiseMin(j.head<2>());
      hi = hi.cwiseMax(j.head<2>());
    }
    const double scale = (hi - lo).norm();
    if (!(scale > 0.0) || !std::isfinite(scale)) continue;
    double sum = 0.0;
    int count = 0;
    for (const Bone& b : skeleton.bones) {
      const auto& a = p->joints[static_cast<size_t>(b.parent)];
      const auto& c = p->joints[static_cast<size_t>(b.child)];
      if (a.z() <= 0.0 || c.z() <= 0.0) continue;
      sum += (a.head<2>() - c.head<2>()).norm();
      ++count;
    }
    if (count > 0) scores.push_back(sum / count / scale);
  }
  if (scores.empty()) return kNaN;
  std::nth_element(scores.begin(), scores.begin() + static_cast<long>(scores.size() / 2), scores.end());
  return scores[scores.size() / 2];
}

// The skeleton of the input: the requested one (checked against the joint count, and against
// the file's joint names when it has them), else a guess from the joint count and sample poses.
std::string ResolveSkeleton(const std::string& requested, int num_joints, const std::vector<const Person2d*>& samples,
                            const std::string& where, const std::vector<std::string>& joint_names = {}) {
  if (!requested.empty()) {
    const Skeleton& s = GetSkeleton(requested);
    if (s.num_joints() != num_joints) {
      throw InputError(where, "has " + std::to_string(num_joints) + " joints per person, but skeleton '" + requested +
                                  "' has " + std::to_string(s.num_joints()));
    }
    if (!joint_names.empty() && joint_names != s.joint_names) {
      for (const std::string& other : SkeletonNames()) {
        if (GetSkeleton(other).joint_names == joint_names) {
          throw InputError(where, "holds the joints of skeleton '" + other + "', not '" + requested + "'");
        }
      }
    }
    return requested;
  }
  if (!joint_names.empty()) {
    for (const std::string& name : SkeletonNames()) {
      if (GetSkeleton(name).joint_names == joint_names) return name;
    }
  }
  // The most complete sample pose lets GuessSkeleton look at the joints it needs.
  std::vector<Eigen::Vector3d> sample;
  int best_seen = -1;
  for (const Person2d* p : samples) {
    int seen = 0;
    for (const auto& j : p->joints) seen += j.z() > 0.0 ? 1 : 0;
    if (seen > best_seen) {
      best_seen = seen;
      sample = p->joints;
    }
  }
  std::string reason;
  const std::optional<std::string> guess = GuessSkeleton(num_joints, sample, &reason);
  if (!guess) throw InputError(where, reason + "; pass --skeleton");
  if (reason.empty()) return *guess;
  // Several skeletons share the count and the sample did not settle it: prefer a layout whose
  // limbs are clearly shorter than the default's on these poses (e.g. BODY_25B detections
  // without eyes, which GuessSkeleton's neck test needs).
  const double default_score = BoneScore(GetSkeleton(*guess), samples);
  std::string best = *guess;
  double best_score = default_score;
  for (const std::string& name : SkeletonsWithJointCount(num_joints)) {
    const double score = BoneScore(GetSkeleton(name), samples);
    if (std::isfinite(score) && (!std::isfinite(best_score) || score < best_score)) {
      best = name;
      best_score = score;
    }
  }
  if (best != *guess && std::isfinite(default_score) && best_score < 0.6 * default_score) return best;
  return *guess;
}

// Every `stride`-th person, at most ~400, in a fixed order.
std::vector<const Person2d*> SamplePeople(const std::vector<const std::vector<Person2d>*>& frames) {
  size_t total = 0;
  for (const auto* f : frames) total += f->size();
  const size_t stride = std::max<size_t>(1, total / 400);
  std::vector<const Person2d*> out;
  size_t k = 0;
  for (const auto* f : frames) {
    for (const Person2d& p : *f) {
      if (k++ % stride == 0) out.push_back(&p);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Progress

class Progress {
 public:
  Progress(const ProgressCallback& callback, std::string stage, size_t total)
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

// ---------------------------------------------------------------------------------------------
// OpenPose

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
    file.error = JsonErrorMessage(code, worker.buffer.get(), length);
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
    std::string error = ParseTriples(pose, "pose_keypoints_2d", &parsed);
    if (!error.empty()) {
      file.error = "person " + std::to_string(index) + ": " + error;
      return;
    }
    // OpenPose writes an empty array when the body was not estimated: no person.
    if (!parsed.joints.empty()) file.people.push_back(std::move(parsed));
    ++index;
  }
}

KeypointSequence ReadOpenPoseCameras(const std::vector<CameraSource>& cameras, const std::string& root,
                                     const KeypointReadOptions& options) {
  // List the files of every camera, with their frame numbers, in a fixed order.
  std::vector<OpenPoseFile> files;
  std::vector<size_t> first_file(cameras.size() + 1, 0);
  for (size_t c = 0; c < cameras.size(); ++c) {
    first_file[c] = files.size();
    const std::vector<fs::path> paths = JsonFiles(cameras[c].folder);
    if (paths.empty()) throw InputError(cameras[c].folder.string(), "no .json files in the camera folder");
    std::map<int64_t, std::string> seen;
    for (const fs::path& p : paths) {
      const std::string name = p.filename().string();
      const int64_t frame = FrameNumberFromFileName(name);
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
    std::sort(files.begin() + static_cast<long>(first_file[c]), files.end(),
              [](const OpenPoseFile& a, const OpenPoseFile& b) { return a.frame < b.frame; });
  }
  first_file[cameras.size()] = files.size();

  // Parse in parallel; each file's result goes to its own slot, so the order is fixed.
  tbb::enumerable_thread_specific<JsonWorker> workers;
  Progress progress(options.progress, "Reading OpenPose JSON", files.size());
  tbb::parallel_for(tbb::blocked_range<size_t>(0, files.size(), 16), [&](const tbb::blocked_range<size_t>& range) {
    JsonWorker& worker = workers.local();
    for (size_t i = range.begin(); i != range.end(); ++i) {
      ParseOpenPoseFile(worker, files[i]);
      progress.Step();
    }
  });

  // Validate sequentially so that the error reported is the first one in file order.
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
  KeypointSequence seq;
  if (num_joints < 0) {
    if (options.skeleton.empty()) {
      throw InputError(root, "no person in any file, so the skeleton cannot be guessed; pass --skeleton");
    }
    seq.skeleton = options.skeleton;
    seq.num_joints = GetSkeleton(options.skeleton).num_joints();
  } else {
    seq.skeleton = ResolveSkeleton(options.skeleton, num_joints, SamplePeople(frames), first_path);
    seq.num_joints = num_joints;
  }

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
  }
  return seq;
}

// Applies options.cameras to a list of (name, source) pairs.
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

// ---------------------------------------------------------------------------------------------
// COCO

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
    file.error = JsonErrorMessage(code, worker.buffer.get(), length);
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
    const std::string error = ParseTriples(kp, "keypoints", &person);
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
  Progress progress(options.progress, "Reading COCO JSON", files.size());
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
      throw InputError(root, "no person in any file, so the skeleton cannot be guessed; pass --skeleton");
    }
    seq.skeleton = options.skeleton;
    seq.num_joints = GetSkeleton(options.skeleton).num_joints();
    return seq;
  }
  std::vector<const std::vector<Person2d>*> frames;
  for (const auto& cam : seq.cameras) {
    for (const auto& people : cam.people) frames.push_back(&people);
  }
  seq.skeleton = ResolveSkeleton(options.skeleton, num_joints, SamplePeople(frames), first_path);
  seq.num_joints = num_joints;
  return seq;
}

// ---------------------------------------------------------------------------------------------
// Writers

// Appends the shortest text that reads back to the same double.
void AppendNumber(std::string& out, double v) {
  if (v == 0.0) {
    out += '0';
    return;
  }
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, res.ptr);
}

void AppendJoints(std::string& out, const Person2d& person) {
  out += '[';
  for (size_t j = 0; j < person.joints.size(); ++j) {
    const Eigen::Vector3d& k = person.joints[j];
    const bool ok = k.allFinite();
    if (j > 0) out += ',';
    AppendNumber(out, ok ? k.x() : 0.0);
    out += ',';
    AppendNumber(out, ok ? k.y() : 0.0);
    out += ',';
    AppendNumber(out, ok ? k.z() : 0.0);
  }
  out += ']';
}

void CheckSequence(const KeypointSequence& seq, const std::string& where) {
  std::set<std::string> names;
  for (const CameraKeypoints& cam : seq.cameras) {
    if (cam.name.empty() || cam.name == "." || cam.name == ".." || cam.name.find('/') != std::string::npos ||
        cam.name[0] == '.') {
      throw InputError(where, "camera name '" + cam.name + "' cannot be used as a file or folder name");
    }
    if (!names.insert(cam.name).second) throw InputError(where, "camera name '" + cam.name + "' is used twice");
    if (cam.frame_numbers.size() != cam.people.size()) {
      throw std::invalid_argument(where + ": camera '" + cam.name + "' has mismatched frame_numbers and people");
    }
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

// An existing output folder may be replaced only when it holds keypoint files alone.
void CheckReplaceableFolder(const std::string& root, bool camera_subfolders) {
  std::error_code ec;
  if (!fs::exists(root, ec)) return;
  if (!fs::is_directory(root, ec)) throw InputError(root, "exists and is not a folder");
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    const fs::path& p = entry.path();
    bool ok = false;
    if (camera_subfolders && entry.is_directory()) {
      ok = true;
      for (const auto& inner : fs::directory_iterator(p, ec)) ok = ok && inner.path().extension() == ".json";
    } else if (!camera_subfolders && entry.is_regular_file()) {
      ok = p.extension() == ".json";
    }
    if (!ok) {
      throw InputError(root, "exists and holds other things than keypoint files (" + p.filename().string() +
                                 "); refusing to replace it");
    }
  }
}

std::string TemporaryFolder(const std::string& root) {
  static std::atomic<unsigned> counter{0};
  fs::path p(root);
  if (p.filename().empty()) p = p.parent_path();  // trailing slash
  return (p.parent_path() / ("." + p.filename().string() + ".tmp." + std::to_string(::getpid()) + "." +
                             std::to_string(counter.fetch_add(1))))
      .string();
}

void WriteTextFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw std::runtime_error(path + ": cannot open for writing");
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) throw std::runtime_error(path + ": write failed (disk full?)");
}

// Writes a folder through a temporary sibling, committed only when `fill` succeeds.
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

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public functions

const char* KeypointFormatName(KeypointFormat format) {
  switch (format) {
    case KeypointFormat::kOpenPose: return "openpose";
    case KeypointFormat::kCoco: return "coco";
    case KeypointFormat::kNpz: return "npz";
  }
  return "?";
}

int64_t FrameNumberFromFileName(const std::string& file_name) {
  std::string stem = fs::path(file_name).filename().string();
  if (EndsWith(stem, ".json")) stem.resize(stem.size() - 5);
  if (EndsWith(stem, "_keypoints")) stem.resize(stem.size() - 10);
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
  if (!SubFolders(path).empty()) return KeypointFormat::kOpenPose;
  const std::vector<fs::path> files = JsonFiles(path);
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

KeypointSequence ReadOpenPoseFolder(const std::string& root, const KeypointReadOptions& options) {
  std::error_code ec;
  if (!fs::exists(root, ec)) throw InputError(root, "not found");
  if (!fs::is_directory(root, ec)) throw InputError(root, "is not a folder (expected one folder per camera)");
  std::vector<CameraSource> cameras;
  for (const fs::path& folder : SubFolders(root)) cameras.push_back({folder.filename().string(), folder});
  if (cameras.empty()) {
    // A single camera folder: the JSON files are right here.
    if (JsonFiles(root).empty()) throw InputError(root, "empty folder: no camera folders and no .json files");
    fs::path p(root);
    if (p.filename().empty()) p = p.parent_path();
    cameras.push_back({fs::absolute(p).lexically_normal().filename().string(), p});
  }
  return ReadOpenPoseCameras(SelectCameras(std::move(cameras), options.cameras, root), root, options);
}

KeypointSequence ReadCocoFolder(const std::string& root, const KeypointReadOptions& options) {
  std::error_code ec;
  if (!fs::exists(root, ec)) throw InputError(root, "not found");
  std::vector<CocoSource> sources;
  if (fs::is_regular_file(root, ec)) {
    sources.push_back({fs::path(root).stem().string(), root});
  } else {
    for (const fs::path& f : JsonFiles(root)) sources.push_back({f.stem().string(), f});
    if (sources.empty()) throw InputError(root, "empty folder: no COCO .json files (one per camera)");
  }
  return ReadCocoFiles(SelectCameras(std::move(sources), options.cameras, root), root, options);
}

KeypointSequence ReadKeypointsNpz(const std::string& path, const KeypointReadOptions& options) {
  const auto npz = ReadNpz(path);
  const NpyArray& kp = RequireArray(npz, "keypoints2d", 4, path);
  const int64_t nc = kp.shape[0], nf = kp.shape[1], nj = kp.shape[2];
  if (kp.shape[3] != 3) {
    throw InputError(path, "keypoints2d has shape [" + std::to_string(nc) + ", " + std::to_string(nf) + ", " +
                               std::to_string(nj) + ", " + std::to_string(kp.shape[3]) +
                               "], expected [cameras, frames, joints, 3]");
  }
  std::vector<double> values;
  try {
    values = kp.ToDoubles();
  } catch (const std::exception& e) {
    throw InputError(path, std::string("keypoints2d: ") + e.what());
  }
  auto optional_1d = [&](const std::string& name, int64_t expected) -> const NpyArray* {
    auto it = npz.find(name);
    if (it == npz.end()) return nullptr;
    const NpyArray& a = RequireArray(npz, name, 1, path);
    if (a.shape[0] != expected) {
      throw InputError(path, name + " has " + std::to_string(a.shape[0]) + " entries, expected " +
                                 std::to_string(expected) + " (from keypoints2d)");
    }
    return &it->second;
  };
  std::vector<std::string> camera_names, joint_names;
  std::vector<int64_t> frame_numbers;
  try {
    if (const NpyArray* a = optional_1d("camera_names", nc)) camera_names = a->ToStrings();
    if (const NpyArray* a = optional_1d("joint_names", nj)) joint_names = a->ToStrings();
    if (const NpyArray* a = optional_1d("frame_numbers", nf)) frame_numbers = a->ToInt64();
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw InputError(path, e.what());
  }
  if (camera_names.empty()) {
    for (int64_t c = 0; c < nc; ++c) camera_names.push_back("cam_" + std::to_string(c));
  }
  if (frame_numbers.empty()) {
    for (int64_t f = 0; f < nf; ++f) frame_numbers.push_back(f);
  }
  for (size_t f = 1; f < frame_numbers.size(); ++f) {
    if (frame_numbers[f] <= frame_numbers[f - 1]) {
      throw InputError(path, "frame_numbers are not increasing at index " + std::to_string(f));
    }
  }
  std::set<std::string> unique_names(camera_names.begin(), camera_names.end());
  if (unique_names.size() != camera_names.size()) throw InputError(path, "camera_names has duplicates");
  std::vector<int32_t> sizes(static_cast<size_t>(2 * nc), 0);
  if (auto it = npz.find("image_sizes"); it != npz.end()) {
    const NpyArray& a = RequireArray(npz, "image_sizes", 2, path);
    if (a.shape[0] != nc || a.shape[1] != 2) throw InputError(path, "image_sizes must have shape [cameras, 2]");
    const std::vector<int64_t> s = a.ToInt64();
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] < 0 || s[i] > 1000000) throw InputError(path, "image_sizes holds an invalid size " + std::to_string(s[i]));
      sizes[i] = static_cast<int32_t>(s[i]);
    }
  }
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      const size_t j = (i / 3) % static_cast<size_t>(nj), f = (i / 3 / static_cast<size_t>(nj)) % static_cast<size_t>(nf),
                   c = i / 3 / static_cast<size_t>(nj) / static_cast<size_t>(nf);
      throw InputError(path, "keypoints2d[" + std::to_string(c) + ", " + std::to_string(f) + ", " + std::to_string(j) +
                                 "] is " + (std::isnan(values[i]) ? "NaN" : "infinite") +
                                 " (missing joints are 0, 0, 0)");
    }
  }

  KeypointSequence seq;
  seq.num_joints = static_cast<int>(nj);
  seq.cameras.resize(static_cast<size_t>(nc));
  for (int64_t c = 0; c < nc; ++c) {
    CameraKeypoints& cam = seq.cameras[static_cast<size_t>(c)];
    cam.name = camera_names[static_cast<size_t>(c)];
    cam.width = sizes[static_cast<size_t>(2 * c)];
    cam.height = sizes[static_cast<size_t>(2 * c + 1)];
    cam.frame_numbers = frame_numbers;
    cam.people.resize(static_cast<size_t>(nf));
    for (int64_t f = 0; f < nf; ++f) {
      const double* row = values.data() + static_cast<size_t>((c * nf + f) * nj * 3);
      bool any = false;
      for (int64_t j = 0; j < nj; ++j) any = any || row[3 * j + 2] > 0.0;
      if (!any) continue;
      Person2d person;
      person.joints.resize(static_cast<size_t>(nj));
      std::memcpy(person.joints.front().data(), row, static_cast<size_t>(nj) * 3 * sizeof(double));
      cam.people[static_cast<size_t>(f)].push_back(std::move(person));
    }
  }
  if (!options.cameras.empty()) {
    std::vector<CameraKeypoints> selected;
    for (const std::string& w : options.cameras) {
      const int i = seq.CameraIndex(w);
      if (i < 0) throw InputError(path, "no camera '" + w + "' (found: " + Join(camera_names) + ")");
      selected.push_back(seq.cameras[static_cast<size_t>(i)]);
    }
    seq.cameras = std::move(selected);
  }
  std::vector<const std::vector<Person2d>*> frames;
  for (const auto& cam : seq.cameras) {
    for (const auto& people : cam.people) frames.push_back(&people);
  }
  seq.skeleton = ResolveSkeleton(options.skeleton, seq.num_joints, SamplePeople(frames), path, joint_names);
  return seq;
}

void WriteOpenPoseFolder(const KeypointSequence& sequence, const std::string& root) {
  CheckSequence(sequence, root);
  CheckReplaceableFolder(root, /*camera_subfolders=*/true);
  struct Item {
    size_t camera, index;
  };
  std::vector<Item> items;
  for (size_t c = 0; c < sequence.cameras.size(); ++c) {
    for (size_t i = 0; i < sequence.cameras[c].frame_numbers.size(); ++i) items.push_back({c, i});
  }
  WriteFolder(root, [&](const std::string& tmp) {
    for (const CameraKeypoints& cam : sequence.cameras) fs::create_directories(fs::path(tmp) / cam.name);
    tbb::enumerable_thread_specific<std::string> buffers;
    tbb::parallel_for(tbb::blocked_range<size_t>(0, items.size(), 32), [&](const tbb::blocked_range<size_t>& r) {
      std::string& text = buffers.local();
      for (size_t k = r.begin(); k != r.end(); ++k) {
        const CameraKeypoints& cam = sequence.cameras[items[k].camera];
        const int64_t frame = cam.frame_numbers[items[k].index];
        text.clear();
        text += "{\"version\":1.3,\"people\":[";
        const auto& people = cam.people[items[k].index];
        for (size_t p = 0; p < people.size(); ++p) {
          if (p > 0) text += ',';
          text += "{\"person_id\":[-1],\"pose_keypoints_2d\":";
          AppendJoints(text, people[p]);
          text +=
              ",\"face_keypoints_2d\":[],\"hand_left_keypoints_2d\":[],\"hand_right_keypoints_2d\":[],"
              "\"pose_keypoints_3d\":[],\"face_keypoints_3d\":[],\"hand_left_keypoints_3d\":[],"
              "\"hand_right_keypoints_3d\":[]}";
        }
        text += "]}\n";
        char name[64];
        std::snprintf(name, sizeof(name), "_%012lld_keypoints.json", static_cast<long long>(frame));
        WriteTextFile((fs::path(tmp) / cam.name / (cam.name + name)).string(), text);
      }
    });
  });
}

void WriteCocoFolder(const KeypointSequence& sequence, const std::string& root) {
  CheckSequence(sequence, root);
  CheckReplaceableFolder(root, /*camera_subfolders=*/false);
  WriteFolder(root, [&](const std::string& tmp) {
    tbb::parallel_for(size_t{0}, sequence.cameras.size(), [&](size_t c) {
      const CameraKeypoints& cam = sequence.cameras[c];
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
          AppendJoints(text, person);
          text += ",\"score\":";
          AppendNumber(text, seen > 0 ? sum / seen : 0.0);
          text += '}';
        }
      }
      text += "\n]\n";
      WriteTextFile((fs::path(tmp) / (cam.name + ".json")).string(), text);
    });
  });
}

void WriteKeypointsNpz(const KeypointSequence& sequence, const std::string& path) {
  CheckSequence(sequence, path);
  const ObservationTable table = ToObservations(sequence);
  const Observations2d& obs = table.observations;
  const int nc = obs.num_cameras(), nf = obs.num_frames(), nj = sequence.num_joints;
  std::vector<double> values(static_cast<size_t>(nc) * nf * nj * 3, 0.0);
  for (int c = 0; c < nc; ++c) {
    for (int f = 0; f < nf; ++f) {
      for (int j = 0; j < nj; ++j) {
        const Eigen::Vector3d& k = obs.at(c, f, j);
        double* out = values.data() + ((static_cast<size_t>(c) * nf + f) * nj + j) * 3;
        if (k.allFinite()) {
          out[0] = k.x();
          out[1] = k.y();
          out[2] = k.z();
        }
      }
    }
  }
  std::vector<std::string> camera_names, joint_names;
  std::vector<int32_t> sizes;
  for (const CameraKeypoints& cam : sequence.cameras) {
    camera_names.push_back(cam.name);
    sizes.push_back(cam.width);
    sizes.push_back(cam.height);
  }
  bool known = false;
  for (const std::string& name : SkeletonNames()) known = known || name == sequence.skeleton;
  if (known && GetSkeleton(sequence.skeleton).num_joints() == nj) {
    joint_names = GetSkeleton(sequence.skeleton).joint_names;
  } else {
    for (int j = 0; j < nj; ++j) joint_names.push_back("joint_" + std::to_string(j));
  }
  NpzWriter writer(path);
  writer.Add("keypoints2d", NpyArray::FromVector(values, {nc, nf, nj, 3}));
  writer.Add("camera_names", NpyArray::FromStrings(camera_names));
  writer.Add("frame_numbers", NpyArray::FromVector(table.frame_numbers, {nf}));
  writer.Add("joint_names", NpyArray::FromStrings(joint_names));
  writer.Add("image_sizes", NpyArray::FromVector(sizes, {nc, 2}));
  writer.Close();
}

}  // namespace epilabel
