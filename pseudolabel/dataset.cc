#include "pseudolabel/dataset.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <stdexcept>

#include "foundation/npz.h"
#include "foundation/error.h"

namespace epilabel {

void LabelDataset::Resize(int num_samples) {
  const size_t n = static_cast<size_t>(num_samples);
  const size_t nj = n * joint_names.size();
  keypoints2d.resize(nj, Eigen::Vector3d::Zero());
  points3d_cam.resize(nj, Eigen::Vector3d::Constant(kNaN));
  valid.resize(nj, 0);
  uncertainty.resize(nj, kNaN);
  root_cam.resize(n, Eigen::Vector3d::Constant(kNaN));
  K.resize(n, Eigen::Matrix3d::Identity());
  image_size.resize(n, Eigen::Vector2i::Zero());
  camera.resize(n, 0);
  frame.resize(n, 0);
  sequence.resize(n, 0);
  person.resize(n, 0);
}

namespace {
int32_t IndexOf(std::vector<std::string>* names, const std::string& name) {
  auto it = std::find(names->begin(), names->end(), name);
  if (it != names->end()) return static_cast<int32_t>(it - names->begin());
  names->push_back(name);
  return static_cast<int32_t>(names->size() - 1);
}
}  // namespace

int32_t LabelDataset::CameraIndex(const std::string& name) { return IndexOf(&camera_names, name); }
int32_t LabelDataset::SequenceIndex(const std::string& name) { return IndexOf(&sequence_names, name); }

void LabelDataset::Check(const std::string& where) const {
  const size_t n = camera.size();
  const size_t nj = n * joint_names.size();
  auto expect = [&](size_t size, size_t expected, const char* name) {
    if (size != expected) {
      throw InputError(where, std::string("dataset array '") + name + "' has " + std::to_string(size) +
                                  " entries, expected " + std::to_string(expected));
    }
  };
  if (joint_names.empty()) throw InputError(where, "dataset has no joint names");
  expect(keypoints2d.size(), nj, "keypoints2d");
  expect(points3d_cam.size(), nj, "points3d_cam");
  expect(valid.size(), nj, "valid");
  expect(uncertainty.size(), nj, "uncertainty");
  expect(root_cam.size(), n, "root_cam");
  expect(K.size(), n, "K");
  expect(image_size.size(), n, "image_size");
  expect(frame.size(), n, "frame");
  expect(sequence.size(), n, "sequence");
  expect(person.size(), n, "person");
  for (size_t i = 0; i < n; ++i) {
    if (camera[i] < 0 || static_cast<size_t>(camera[i]) >= camera_names.size()) {
      throw InputError(where, "sample " + std::to_string(i) + ": camera id " + std::to_string(camera[i]) +
                                  " is not an index into the " + std::to_string(camera_names.size()) +
                                  " camera names");
    }
    if (sequence[i] < 0 || static_cast<size_t>(sequence[i]) >= sequence_names.size()) {
      throw InputError(where, "sample " + std::to_string(i) + ": sequence id " + std::to_string(sequence[i]) +
                                  " is not an index into the " + std::to_string(sequence_names.size()) +
                                  " sequence names");
    }
  }
}

void WriteDatasetNpz(const LabelDataset& d, const std::string& path) {
  d.Check(path);
  const int64_t n = d.num_samples();
  const int64_t j = d.num_joints();
  auto flatten3 = [](const std::vector<Eigen::Vector3d>& v) {
    std::vector<double> out(v.size() * 3);
    for (size_t i = 0; i < v.size(); ++i)
      for (int k = 0; k < 3; ++k) out[3 * i + k] = v[i](k);
    return out;
  };
  std::vector<double> k(static_cast<size_t>(n) * 9);
  for (int64_t i = 0; i < n; ++i)
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) k[9 * i + 3 * r + c] = d.K[i](r, c);  // C order: row major
  std::vector<int32_t> sizes(static_cast<size_t>(n) * 2);
  for (int64_t i = 0; i < n; ++i) {
    sizes[2 * i] = d.image_size[i].x();
    sizes[2 * i + 1] = d.image_size[i].y();
  }
  NpzWriter w(path);
  w.Add("keypoints2d", NpyArray::FromVector(flatten3(d.keypoints2d), {n, j, 3}));
  w.Add("points3d_cam", NpyArray::FromVector(flatten3(d.points3d_cam), {n, j, 3}));
  w.Add("root_cam", NpyArray::FromVector(flatten3(d.root_cam), {n, 3}));
  w.Add("K", NpyArray::FromVector(k, {n, 3, 3}));
  w.Add("image_size", NpyArray::FromVector(sizes, {n, 2}));
  w.Add("camera", NpyArray::FromVector(d.camera, {n}));
  w.Add("frame", NpyArray::FromVector(d.frame, {n}));
  w.Add("sequence", NpyArray::FromVector(d.sequence, {n}));
  w.Add("person", NpyArray::FromVector(d.person, {n}));
  w.Add("valid", NpyArray::FromVector(d.valid, {n, j}));
  w.Add("uncertainty", NpyArray::FromVector(d.uncertainty, {n, j}));
  w.Add("joint_names", NpyArray::FromStrings(d.joint_names));
  w.Add("camera_names", NpyArray::FromStrings(d.camera_names));
  w.Add("sequence_names", NpyArray::FromStrings(d.sequence_names));
  w.Add("skeleton", NpyArray::FromStrings({d.skeleton}));
  w.Close();
}

namespace {

// Element access with the dtype errors of NpyArray turned into InputError naming the file.
std::vector<double> Doubles(const NpyArray& a, const std::string& name, const std::string& path) {
  try {
    return a.ToDoubles();
  } catch (const std::runtime_error& e) {
    throw InputError(path, "array '" + name + "': " + e.what());
  }
}
std::vector<int64_t> Ints(const NpyArray& a, const std::string& name, const std::string& path) {
  try {
    return a.ToInt64();
  } catch (const std::runtime_error& e) {
    throw InputError(path, "array '" + name + "': " + e.what());
  }
}
std::vector<std::string> Strings(const NpyArray& a, const std::string& name, const std::string& path) {
  try {
    return a.ToStrings();
  } catch (const std::runtime_error& e) {
    throw InputError(path, "array '" + name + "': " + e.what());
  }
}

void ExpectShape(const NpyArray& a, const std::string& name, const std::vector<int64_t>& shape,
                 const std::string& path) {
  if (a.shape != shape) {
    auto str = [](const std::vector<int64_t>& s) {
      std::string out = "[";
      for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
      return out + "]";
    };
    throw InputError(path, "array '" + name + "' has shape " + str(a.shape) + ", expected " + str(shape));
  }
}

}  // namespace

LabelDataset ReadDatasetNpz(const std::string& path_or_dir) {
  std::string path = path_or_dir;
  std::error_code ec;
  if (std::filesystem::is_directory(path_or_dir, ec)) path = (std::filesystem::path(path_or_dir) / "dataset.npz").string();
  const std::map<std::string, NpyArray> npz = ReadNpz(path);
  LabelDataset d;
  d.joint_names = Strings(RequireArray(npz, "joint_names", 1, path), "joint_names", path);
  d.camera_names = Strings(RequireArray(npz, "camera_names", 1, path), "camera_names", path);
  const NpyArray& kp = RequireArray(npz, "keypoints2d", 3, path);
  const int64_t n = kp.shape[0];
  const int64_t j = static_cast<int64_t>(d.joint_names.size());
  ExpectShape(kp, "keypoints2d", {n, j, 3}, path);
  d.Resize(static_cast<int>(n));

  auto read3 = [&](const std::string& name, int rank, std::vector<Eigen::Vector3d>* out) {
    const NpyArray& a = RequireArray(npz, name, rank, path);
    ExpectShape(a, name, rank == 3 ? std::vector<int64_t>{n, j, 3} : std::vector<int64_t>{n, 3}, path);
    const std::vector<double> v = Doubles(a, name, path);
    for (size_t i = 0; i < out->size(); ++i) (*out)[i] = Eigen::Vector3d(v[3 * i], v[3 * i + 1], v[3 * i + 2]);
  };
  read3("keypoints2d", 3, &d.keypoints2d);
  read3("points3d_cam", 3, &d.points3d_cam);
  read3("root_cam", 2, &d.root_cam);
  {
    const NpyArray& a = RequireArray(npz, "K", 3, path);
    ExpectShape(a, "K", {n, 3, 3}, path);
    const std::vector<double> v = Doubles(a, "K", path);
    for (int64_t i = 0; i < n; ++i)
      for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 3; ++c) d.K[i](r, c) = v[9 * i + 3 * r + c];
  }
  auto read_ids = [&](const std::string& name, auto* out) {
    const NpyArray& a = RequireArray(npz, name, 1, path);
    ExpectShape(a, name, {n}, path);
    const std::vector<int64_t> v = Ints(a, name, path);
    for (int64_t i = 0; i < n; ++i) (*out)[i] = static_cast<typename std::decay_t<decltype(*out)>::value_type>(v[i]);
  };
  read_ids("camera", &d.camera);
  read_ids("frame", &d.frame);
  read_ids("sequence", &d.sequence);
  if (npz.count("person")) read_ids("person", &d.person);

  if (auto it = npz.find("valid"); it != npz.end()) {
    ExpectShape(it->second, "valid", {n, j}, path);
    const std::vector<int64_t> v = Ints(it->second, "valid", path);
    for (size_t i = 0; i < v.size(); ++i) d.valid[i] = v[i] != 0 ? 1 : 0;
  } else {
    for (size_t i = 0; i < d.valid.size(); ++i) d.valid[i] = d.points3d_cam[i].allFinite() ? 1 : 0;
  }
  if (auto it = npz.find("uncertainty"); it != npz.end()) {
    ExpectShape(it->second, "uncertainty", {n, j}, path);
    d.uncertainty = Doubles(it->second, "uncertainty", path);
  } else {
    for (size_t i = 0; i < d.uncertainty.size(); ++i) d.uncertainty[i] = d.valid[i] ? 0.0 : kNaN;
  }
  if (auto it = npz.find("image_size"); it != npz.end()) {
    ExpectShape(it->second, "image_size", {n, 2}, path);
    const std::vector<int64_t> v = Ints(it->second, "image_size", path);
    for (int64_t i = 0; i < n; ++i) d.image_size[i] = Eigen::Vector2i(static_cast<int>(v[2 * i]), static_cast<int>(v[2 * i + 1]));
  } else {
    for (int64_t i = 0; i < n; ++i) {
      d.image_size[i] = Eigen::Vector2i(static_cast<int>(std::lround(2.0 * d.K[i](0, 2))),
                                        static_cast<int>(std::lround(2.0 * d.K[i](1, 2))));
    }
  }
  if (auto it = npz.find("sequence_names"); it != npz.end()) {
    d.sequence_names = Strings(it->second, "sequence_names", path);
  } else {
    int32_t max_id = -1;
    for (int32_t s : d.sequence) max_id = std::max(max_id, s);
    for (int32_t s = 0; s <= max_id; ++s) d.sequence_names.push_back("seq" + std::to_string(s));
  }
  if (auto it = npz.find("skeleton"); it != npz.end()) {
    const std::vector<std::string> s = Strings(it->second, "skeleton", path);
    if (!s.empty()) d.skeleton = s[0];
  }
  for (int64_t i = 0; i < n; ++i) {
    if (d.image_size[i].x() <= 0 || d.image_size[i].y() <= 0) {
      throw InputError(path, "sample " + std::to_string(i) + " has no image size (array 'image_size')");
    }
  }
  d.Check(path);
  return d;
}

LabelDataset SelectSamples(const LabelDataset& d, const std::vector<int>& samples) {
  LabelDataset out;
  out.skeleton = d.skeleton;
  out.joint_names = d.joint_names;
  out.camera_names = d.camera_names;
  out.sequence_names = d.sequence_names;
  out.Resize(static_cast<int>(samples.size()));
  const int j = d.num_joints();
  for (size_t i = 0; i < samples.size(); ++i) {
    const int s = samples[i];
    if (s < 0 || s >= d.num_samples()) throw std::invalid_argument("SelectSamples: sample index out of range");
    for (int k = 0; k < j; ++k) {
      const size_t src = d.Index(s, k), dst = out.Index(static_cast<int>(i), k);
      out.keypoints2d[dst] = d.keypoints2d[src];
      out.points3d_cam[dst] = d.points3d_cam[src];
      out.valid[dst] = d.valid[src];
      out.uncertainty[dst] = d.uncertainty[src];
    }
    out.root_cam[i] = d.root_cam[s];
    out.K[i] = d.K[s];
    out.image_size[i] = d.image_size[s];
    out.camera[i] = d.camera[s];
    out.frame[i] = d.frame[s];
    out.sequence[i] = d.sequence[s];
    out.person[i] = d.person[s];
  }
  return out;
}

LabelDataset MergeDatasets(const std::vector<LabelDataset>& parts, bool same_sequence_allowed) {
  LabelDataset out;
  if (parts.empty()) return out;
  out.skeleton = parts[0].skeleton;
  out.joint_names = parts[0].joint_names;
  size_t total = 0;
  for (size_t p = 0; p < parts.size(); ++p) {
    const std::string where = "dataset " + std::to_string(p);
    parts[p].Check(where);
    if (parts[p].joint_names != out.joint_names) {
      throw InputError(where, "its joint names differ from those of dataset 0");
    }
    if (!parts[p].skeleton.empty() && !out.skeleton.empty() && parts[p].skeleton != out.skeleton) {
      throw InputError(where, "skeleton '" + parts[p].skeleton + "' differs from '" + out.skeleton + "' of dataset 0");
    }
    if (out.skeleton.empty()) out.skeleton = parts[p].skeleton;
    total += static_cast<size_t>(parts[p].num_samples());
  }
  std::map<std::string, size_t> sequence_owner;
  for (size_t p = 0; p < parts.size(); ++p) {
    for (const std::string& name : parts[p].sequence_names) {
      auto [it, inserted] = sequence_owner.emplace(name, p);
      if (!inserted && it->second != p && !same_sequence_allowed) {
        throw InputError("dataset " + std::to_string(p), "sequence '" + name + "' also appears in dataset " +
                                                              std::to_string(it->second) +
                                                              " (give the sequences distinct names before merging)");
      }
    }
  }
  out.Resize(static_cast<int>(total));
  const int j = out.num_joints();
  size_t row = 0;
  for (const LabelDataset& part : parts) {
    std::vector<int32_t> camera_map, sequence_map;
    for (const std::string& name : part.camera_names) camera_map.push_back(out.CameraIndex(name));
    for (const std::string& name : part.sequence_names) sequence_map.push_back(out.SequenceIndex(name));
    for (int s = 0; s < part.num_samples(); ++s, ++row) {
      const int r = static_cast<int>(row);
      for (int k = 0; k < j; ++k) {
        out.keypoints2d[out.Index(r, k)] = part.keypoints2d[part.Index(s, k)];
        out.points3d_cam[out.Index(r, k)] = part.points3d_cam[part.Index(s, k)];
        out.valid[out.Index(r, k)] = part.valid[part.Index(s, k)];
        out.uncertainty[out.Index(r, k)] = part.uncertainty[part.Index(s, k)];
      }
      out.root_cam[row] = part.root_cam[s];
      out.K[row] = part.K[s];
      out.image_size[row] = part.image_size[s];
      out.camera[row] = camera_map[part.camera[s]];
      out.frame[row] = part.frame[s];
      out.sequence[row] = sequence_map[part.sequence[s]];
      out.person[row] = part.person[s];
    }
  }
  return out;
}

LabelDataset MakeGroundTruthDataset(const Rig& rig, const Points3d& points_in_world,
                                    const std::vector<int64_t>& frame_numbers, const Observations2d* detections,
                                    const GroundTruthDatasetOptions& options) {
  const int num_joints = points_in_world.num_joints();
  if (static_cast<int>(options.joint_names.size()) != num_joints) {
    throw std::invalid_argument("MakeGroundTruthDataset: joint_names does not match the poses' joint count");
  }
  if (options.root_joints.empty()) throw std::invalid_argument("MakeGroundTruthDataset: no root joints");
  for (joint_t r : options.root_joints) {
    if (r < 0 || r >= num_joints) throw std::invalid_argument("MakeGroundTruthDataset: root joint out of range");
  }
  if (static_cast<int>(frame_numbers.size()) != points_in_world.num_frames()) {
    throw std::invalid_argument("MakeGroundTruthDataset: one frame number per frame is needed");
  }
  if (detections != nullptr &&
      (detections->num_cameras() != static_cast<int>(rig.size()) ||
       detections->num_frames() != points_in_world.num_frames() || detections->num_joints() != num_joints)) {
    throw std::invalid_argument("MakeGroundTruthDataset: detections do not match the rig and poses");
  }
  LabelDataset d;
  d.skeleton = options.skeleton;
  d.joint_names = options.joint_names;
  for (const Camera& cam : rig) d.camera_names.push_back(cam.name);
  d.sequence_names = {options.sequence_name};

  std::vector<Eigen::Vector3d> in_cam(num_joints), pixels(num_joints);
  for (camera_t c = 0; c < static_cast<camera_t>(rig.size()); ++c) {
    const Camera& cam = rig[c];
    for (frame_t f = 0; f < points_in_world.num_frames(); ++f) {
      Eigen::Vector3d root = Eigen::Vector3d::Zero();
      bool root_ok = true;
      for (joint_t r : options.root_joints) {
        root_ok = root_ok && points_in_world.IsValid(f, r);
        if (root_ok) root += points_in_world.at(f, r);
      }
      if (!root_ok) continue;
      root = cam.cam_from_world * Eigen::Vector3d(root / static_cast<double>(options.root_joints.size()));
      if (!(root.z() > 0.0)) continue;
      int visible = 0;
      for (joint_t j = 0; j < num_joints; ++j) {
        in_cam[j] = points_in_world.IsValid(f, j) ? Eigen::Vector3d(cam.cam_from_world * points_in_world.at(f, j))
                                                  : Eigen::Vector3d::Constant(kNaN);
        pixels[j] = Eigen::Vector3d::Zero();
        if (in_cam[j].allFinite()) {
          const auto px = cam.ImageFromCam(in_cam[j]);
          if (px && cam.IsInImage(*px)) pixels[j] = Eigen::Vector3d(px->x(), px->y(), 1.0);
        }
        if (detections != nullptr) pixels[j] = detections->IsObserved(c, f, j) ? detections->at(c, f, j) : Eigen::Vector3d::Zero();
        visible += pixels[j].z() > 0.0 ? 1 : 0;
      }
      if (visible < options.min_visible_share * num_joints || visible == 0) continue;
      const int row = d.num_samples();
      d.Resize(row + 1);
      for (joint_t j = 0; j < num_joints; ++j) {
        const size_t i = d.Index(row, j);
        d.keypoints2d[i] = pixels[j];
        d.points3d_cam[i] = in_cam[j];
        d.valid[i] = in_cam[j].allFinite() ? 1 : 0;
        d.uncertainty[i] = d.valid[i] ? 0.0 : kNaN;
      }
      d.root_cam[row] = root;
      d.K[row] = cam.K();
      d.image_size[row] = Eigen::Vector2i(cam.width, cam.height);
      d.camera[row] = c;
      d.frame[row] = frame_numbers[f];
      d.sequence[row] = 0;
    }
  }
  return d;
}

}  // namespace epilabel
