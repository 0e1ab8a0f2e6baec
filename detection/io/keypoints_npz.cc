#include "detection/io/keypoints_npz.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <unordered_map>

#include "detection/io/keypoint_files.h"
#include "detection/io/keypoint_skeleton.h"
#include "detection/keypoint_timing.h"
#include "detection/skeleton.h"
#include "foundation/error.h"
#include "foundation/npz.h"

namespace epilabel {

namespace {

using NpzArrays = std::map<std::string, NpyArray>;

// The extents of keypoints2d; people = 1 for the one-person layout.
struct KeypointsShape {
  int64_t cameras = 0, frames = 0, people = 1, joints = 0;
  bool multi_person = false;

  // "[c, f, j]" or "[c, f, p, j]".
  std::string Index(int64_t c, int64_t f, int64_t p, int64_t j) const {
    std::string s = "[" + std::to_string(c) + ", " + std::to_string(f) + ", ";
    if (multi_person) s += std::to_string(p) + ", ";
    return s + std::to_string(j) + "]";
  }
};

// The metadata arrays, filled with their defaults when absent.
struct KeypointsMetadata {
  std::vector<std::string> camera_names, joint_names;  // joint_names empty when absent
  std::vector<int64_t> frame_numbers;
  std::vector<int32_t> sizes;  // width, height per camera
  std::vector<std::vector<double>> timestamps;  // per camera, empty when unknown
};

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

KeypointsShape CheckKeypointsShape(const NpyArray& kp, const std::string& path) {
  const std::vector<int64_t>& s = kp.shape;
  const bool rank_ok = s.size() == 4 || s.size() == 5;
  if (!rank_ok || s.back() != 3) {
    throw InputError(path, "keypoints2d has shape " + ShapeText(s) +
                               ", expected [cameras, frames, joints, 3] or [cameras, frames, people, joints, 3]");
  }
  KeypointsShape shape;
  shape.multi_person = s.size() == 5;
  shape.cameras = s[0];
  shape.frames = s[1];
  shape.people = shape.multi_person ? s[2] : 1;
  shape.joints = s[s.size() - 2];
  if (shape.joints > INT_MAX / 3) throw InputError(path, "keypoints2d has " + std::to_string(shape.joints) + " joints");
  return shape;
}

// A 1-D array with `expected` entries, or nullptr when the archive lacks it.
const NpyArray* Optional1d(const NpzArrays& npz, const std::string& name, int64_t expected, const std::string& path) {
  auto it = npz.find(name);
  if (it == npz.end()) return nullptr;
  const NpyArray& a = RequireArray(npz, name, 1, path);
  if (a.shape[0] != expected) {
    throw InputError(path, name + " has " + std::to_string(a.shape[0]) + " entries, expected " +
                               std::to_string(expected) + " (from keypoints2d)");
  }
  return &a;
}

std::vector<int32_t> ReadImageSizes(const NpzArrays& npz, int64_t num_cameras, const std::string& path) {
  std::vector<int32_t> sizes(static_cast<size_t>(2 * num_cameras), 0);
  if (npz.find("image_sizes") == npz.end()) return sizes;
  const NpyArray& a = RequireArray(npz, "image_sizes", 2, path);
  if (a.shape[0] != num_cameras || a.shape[1] != 2) throw InputError(path, "image_sizes must have shape [cameras, 2]");
  const std::vector<int64_t> s = a.ToInt64();
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] < 0 || s[i] > 1000000) throw InputError(path, "image_sizes holds an invalid size " + std::to_string(s[i]));
    sizes[i] = static_cast<int32_t>(s[i]);
  }
  return sizes;
}

// timestamps_s [cameras, frames]: a camera's row is all NaN (no timestamps) or finite and
// increasing.
std::vector<std::vector<double>> ReadTimestamps(const NpzArrays& npz, const KeypointsShape& shape,
                                                const std::string& path) {
  std::vector<std::vector<double>> rows(static_cast<size_t>(shape.cameras));
  if (npz.find("timestamps_s") == npz.end()) return rows;
  const NpyArray& a = RequireArray(npz, "timestamps_s", 2, path);
  if (a.shape[0] != shape.cameras || a.shape[1] != shape.frames) {
    throw InputError(path, "timestamps_s has shape " + ShapeText(a.shape) + ", expected [cameras, frames] = [" +
                               std::to_string(shape.cameras) + ", " + std::to_string(shape.frames) + "]");
  }
  const std::vector<double> values = a.ToDoubles();
  for (size_t c = 0; c < rows.size(); ++c) {
    const auto begin = values.begin() + static_cast<std::ptrdiff_t>(c * static_cast<size_t>(shape.frames));
    std::vector<double> row(begin, begin + static_cast<std::ptrdiff_t>(shape.frames));
    bool all_nan = true;
    for (double t : row) all_nan = all_nan && std::isnan(t);
    if (all_nan) continue;
    CheckTimestamps(row, path + ": timestamps_s[" + std::to_string(c) + "]");
    rows[c] = std::move(row);
  }
  return rows;
}

// The timestamps of every camera on the union `frame_numbers` ([cameras, frames], NaN for a
// camera without): a frame the camera lacks gets the time interpolated linearly in frame number
// between its neighbours, or before its first and after its last frame extrapolated at its mean
// rate (so that the mean rate measured on reading stays its own); NaN row when the camera has a
// single timestamp and lacks frames).
std::vector<double> TimestampsOnFrames(const KeypointSequence& sequence, const std::vector<int64_t>& frame_numbers) {
  const size_t nf = frame_numbers.size();
  std::vector<double> out(sequence.cameras.size() * nf, std::nan(""));
  for (size_t c = 0; c < sequence.cameras.size(); ++c) {
    const CameraKeypoints& cam = sequence.cameras[c];
    const std::vector<double>& t = cam.timestamps_s;
    if (t.empty() || (t.size() < 2 && cam.frame_numbers.size() != nf)) continue;
    for (size_t f = 0; f < nf; ++f) {
      const auto it = std::lower_bound(cam.frame_numbers.begin(), cam.frame_numbers.end(), frame_numbers[f]);
      const size_t i = static_cast<size_t>(it - cam.frame_numbers.begin());
      if (it != cam.frame_numbers.end() && *it == frame_numbers[f]) {
        out[c * nf + f] = t[i];
        continue;
      }
      const bool outside = i == 0 || i == t.size();
      const size_t hi = outside ? t.size() - 1 : i, lo = outside ? 0 : i - 1;
      const double per_frame = (t[hi] - t[lo]) / static_cast<double>(cam.frame_numbers[hi] - cam.frame_numbers[lo]);
      out[c * nf + f] = t[lo] + per_frame * static_cast<double>(frame_numbers[f] - cam.frame_numbers[lo]);
    }
  }
  return out;
}

KeypointsMetadata ReadMetadata(const NpzArrays& npz, const KeypointsShape& shape, const std::string& path) {
  KeypointsMetadata meta;
  try {
    if (const NpyArray* a = Optional1d(npz, "camera_names", shape.cameras, path)) meta.camera_names = a->ToStrings();
    if (const NpyArray* a = Optional1d(npz, "joint_names", shape.joints, path)) meta.joint_names = a->ToStrings();
    if (const NpyArray* a = Optional1d(npz, "frame_numbers", shape.frames, path)) meta.frame_numbers = a->ToInt64();
    meta.sizes = ReadImageSizes(npz, shape.cameras, path);
    meta.timestamps = ReadTimestamps(npz, shape, path);
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw InputError(path, e.what());
  }
  if (meta.camera_names.empty()) {
    for (int64_t c = 0; c < shape.cameras; ++c) meta.camera_names.push_back("cam_" + std::to_string(c));
  }
  if (meta.frame_numbers.empty()) {
    for (int64_t f = 0; f < shape.frames; ++f) meta.frame_numbers.push_back(f);
  }
  for (size_t f = 1; f < meta.frame_numbers.size(); ++f) {
    if (meta.frame_numbers[f] <= meta.frame_numbers[f - 1]) {
      throw InputError(path, "frame_numbers are not increasing at index " + std::to_string(f));
    }
  }
  const std::set<std::string> unique_names(meta.camera_names.begin(), meta.camera_names.end());
  if (unique_names.size() != meta.camera_names.size()) throw InputError(path, "camera_names has duplicates");
  return meta;
}

void CheckFinite(const std::vector<double>& values, const KeypointsShape& shape, const std::string& path) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isfinite(values[i])) continue;
    const int64_t k = static_cast<int64_t>(i / 3);
    const int64_t j = k % shape.joints, p = k / shape.joints % shape.people,
                  f = k / shape.joints / shape.people % shape.frames,
                  c = k / shape.joints / shape.people / shape.frames;
    throw InputError(path, "keypoints2d" + shape.Index(c, f, p, j) + " is " +
                               (std::isnan(values[i]) ? "NaN" : "infinite") + " (missing joints are 0, 0, 0)");
  }
}

// Every camera lists every frame; each slot with some confidence > 0 is a person.
std::vector<CameraKeypoints> AssembleCameras(const std::vector<double>& values, const KeypointsShape& shape,
                                             const KeypointsMetadata& meta) {
  const size_t nj = static_cast<size_t>(shape.joints);
  std::vector<CameraKeypoints> cameras(static_cast<size_t>(shape.cameras));
  for (size_t c = 0; c < cameras.size(); ++c) {
    CameraKeypoints& cam = cameras[c];
    cam.name = meta.camera_names[c];
    cam.width = meta.sizes[2 * c];
    cam.height = meta.sizes[2 * c + 1];
    cam.frame_numbers = meta.frame_numbers;
    cam.timestamps_s = meta.timestamps[c];
    cam.people.resize(static_cast<size_t>(shape.frames));
    for (size_t f = 0; f < cam.people.size(); ++f) {
      for (size_t p = 0; p < static_cast<size_t>(shape.people); ++p) {
        const size_t slot = (c * cam.people.size() + f) * static_cast<size_t>(shape.people) + p;
        const double* row = values.data() + slot * nj * 3;
        bool any = false;
        for (size_t j = 0; j < nj; ++j) any = any || row[3 * j + 2] > 0.0;
        if (!any) continue;
        Person2d person;
        person.joints.resize(nj);
        std::memcpy(person.joints.front().data(), row, nj * 3 * sizeof(double));
        cam.people[f].push_back(std::move(person));
      }
    }
  }
  return cameras;
}

// The detected people of a list: those with some finite confidence > 0.
size_t DetectedPeople(const std::vector<Person2d>& people) {
  size_t n = 0;
  for (const Person2d& p : people) n += p.TotalConfidence() > 0.0 ? 1 : 0;
  return n;
}

// joint_names of the skeleton when it is known and fits, else joint_0, joint_1, ...
std::vector<std::string> JointNamesFor(const KeypointSequence& sequence) {
  const int nj = sequence.num_joints;
  bool known = false;
  for (const std::string& name : SkeletonNames()) known = known || name == sequence.skeleton;
  if (known && GetSkeleton(sequence.skeleton).num_joints() == nj) return GetSkeleton(sequence.skeleton).joint_names;
  std::vector<std::string> names;
  for (int j = 0; j < nj; ++j) names.push_back("joint_" + std::to_string(j));
  return names;
}

// Adds keypoints2d, then the metadata arrays, in the order the one-person layout always had.
void WriteArchive(const KeypointSequence& sequence, const std::vector<double>& values, std::vector<int64_t> shape,
                  const std::vector<int64_t>& frame_numbers, const std::string& path) {
  std::vector<std::string> camera_names;
  std::vector<int32_t> sizes;
  for (const CameraKeypoints& cam : sequence.cameras) {
    camera_names.push_back(cam.name);
    sizes.push_back(cam.width);
    sizes.push_back(cam.height);
  }
  const int64_t nc = static_cast<int64_t>(sequence.cameras.size()), nf = static_cast<int64_t>(frame_numbers.size());
  NpzWriter writer(path);
  writer.Add("keypoints2d", NpyArray::FromVector(values, std::move(shape)));
  writer.Add("camera_names", NpyArray::FromStrings(camera_names));
  writer.Add("frame_numbers", NpyArray::FromVector(frame_numbers, {nf}));
  writer.Add("joint_names", NpyArray::FromStrings(JointNamesFor(sequence)));
  writer.Add("image_sizes", NpyArray::FromVector(sizes, {nc, 2}));
  bool timestamps = false;
  for (const CameraKeypoints& cam : sequence.cameras) timestamps = timestamps || !cam.timestamps_s.empty();
  if (timestamps) writer.Add("timestamps_s", NpyArray::FromVector(TimestampsOnFrames(sequence, frame_numbers), {nc, nf}));
  writer.Close();
}

// [cameras, frames, joints, 3]: the most confident person of each camera and frame.
void WriteOnePersonLayout(const KeypointSequence& sequence, const std::string& path) {
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
  WriteArchive(sequence, values, {nc, nf, nj, 3}, table.frame_numbers, path);
}

// [cameras, frames, people, joints, 3]: every detected person, in order, then zero slots.
void WriteMultiPersonLayout(const KeypointSequence& sequence, size_t max_people, const std::string& path) {
  const std::vector<int64_t> frame_numbers = sequence.AllFrameNumbers();
  std::unordered_map<int64_t, size_t> index_of;
  for (size_t i = 0; i < frame_numbers.size(); ++i) index_of[frame_numbers[i]] = i;
  const size_t nc = sequence.cameras.size(), nf = frame_numbers.size(), np = max_people;
  const size_t nj = static_cast<size_t>(sequence.num_joints);
  std::vector<double> values(nc * nf * np * nj * 3, 0.0);
  for (size_t c = 0; c < nc; ++c) {
    const CameraKeypoints& cam = sequence.cameras[c];
    for (size_t i = 0; i < cam.frame_numbers.size(); ++i) {
      size_t slot = 0;
      for (const Person2d& person : cam.people[i]) {
        if (!(person.TotalConfidence() > 0.0)) continue;
        double* out = values.data() + ((c * nf + index_of.at(cam.frame_numbers[i])) * np + slot++) * nj * 3;
        for (size_t j = 0; j < nj; ++j) {
          const Eigen::Vector3d& k = person.joints[j];
          if (!k.allFinite() || !(k.z() > 0.0)) continue;
          out[3 * j] = k.x();
          out[3 * j + 1] = k.y();
          out[3 * j + 2] = k.z();
        }
      }
    }
  }
  const auto extent = [](size_t n) { return static_cast<int64_t>(n); };
  WriteArchive(sequence, values, {extent(nc), extent(nf), extent(np), extent(nj), 3}, frame_numbers, path);
}

}  // namespace

KeypointSequence ReadKeypointsNpz(const std::string& path, const KeypointReadOptions& options) {
  const NpzArrays npz = ReadNpz(path);
  const NpyArray& kp = RequireArray(npz, "keypoints2d", -1, path);
  const KeypointsShape shape = CheckKeypointsShape(kp, path);
  std::vector<double> values;
  try {
    values = kp.ToDoubles();
  } catch (const std::exception& e) {
    throw InputError(path, std::string("keypoints2d: ") + e.what());
  }
  const KeypointsMetadata meta = ReadMetadata(npz, shape, path);
  CheckFinite(values, shape, path);

  KeypointSequence seq;
  seq.num_joints = static_cast<int>(shape.joints);
  seq.cameras = AssembleCameras(values, shape, meta);
  if (!options.cameras.empty()) {
    std::vector<CameraKeypoints> selected;
    for (const std::string& w : options.cameras) {
      const int i = seq.CameraIndex(w);
      if (i < 0) throw InputError(path, "no camera '" + w + "' (found: " + keypoint_files::Join(meta.camera_names) + ")");
      selected.push_back(seq.cameras[static_cast<size_t>(i)]);
    }
    seq.cameras = std::move(selected);
  }
  seq.skeleton = keypoint_skeleton::ResolveSkeleton(options.skeleton, seq.num_joints,
                                                    keypoint_skeleton::SamplePeople(keypoint_skeleton::PeopleLists(seq)),
                                                    path, meta.joint_names);
  return seq;
}

void WriteKeypointsNpz(const KeypointSequence& sequence, const std::string& path) {
  keypoint_files::CheckSequence(sequence, path);
  size_t max_people = 0;
  for (const CameraKeypoints& cam : sequence.cameras) {
    for (const auto& people : cam.people) max_people = std::max(max_people, DetectedPeople(people));
  }
  if (max_people <= 1) {
    WriteOnePersonLayout(sequence, path);
  } else {
    WriteMultiPersonLayout(sequence, max_people, path);
  }
}

}  // namespace epilabel
