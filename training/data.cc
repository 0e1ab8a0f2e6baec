#include "training/data.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

#include <Eigen/Geometry>

#include "detection/skeleton.h"
#include "foundation/error.h"

namespace epilabel {

Eigen::Vector2d NormalizeScreen(const Eigen::Vector2d& pixel, int width, int height) {
  const double w = width;
  return Eigen::Vector2d(pixel.x() / w * 2.0 - 1.0, pixel.y() / w * 2.0 - static_cast<double>(height) / w);
}

Eigen::Vector2d UnnormalizeScreen(const Eigen::Vector2d& normalized, int width, int height) {
  const double w = width;
  return Eigen::Vector2d((normalized.x() + 1.0) * w / 2.0, (normalized.y() + static_cast<double>(height) / w) * w / 2.0);
}

const Skeleton* FindDatasetSkeleton(const LabelDataset& dataset) {
  if (!dataset.skeleton.empty()) {
    const Skeleton& s = GetSkeleton(dataset.skeleton);
    if (s.joint_names.size() != dataset.joint_names.size()) {
      throw InputError("dataset", "skeleton '" + dataset.skeleton + "' has " + std::to_string(s.num_joints()) +
                                      " joints but the dataset has " + std::to_string(dataset.num_joints()));
    }
    return &s;
  }
  for (const std::string& name : SkeletonNames()) {
    const Skeleton& s = GetSkeleton(name);
    if (s.joint_names == dataset.joint_names) return &s;
  }
  return nullptr;
}

int64_t UniformIndex(std::mt19937_64& rng, int64_t n) {
  if (n <= 0) throw std::invalid_argument("UniformIndex: empty range");
  // Rejection sampling keeps the draw unbiased and identical on every platform.
  const uint64_t range = static_cast<uint64_t>(n);
  const uint64_t limit = UINT64_MAX - UINT64_MAX % range;
  uint64_t x;
  do {
    x = rng();
  } while (x >= limit);
  return static_cast<int64_t>(x % range);
}

double Uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

void Shuffle(std::vector<int>* values, std::mt19937_64& rng) {
  for (int64_t i = static_cast<int64_t>(values->size()) - 1; i > 0; --i) {
    std::swap((*values)[i], (*values)[UniformIndex(rng, i + 1)]);
  }
}

LifterData PrepareLifterData(const LabelDataset& dataset, const LabelWeightOptions& options) {
  LifterData data;
  const int n = dataset.num_samples();
  const int j = dataset.num_joints();
  data.num_joints = j;
  data.keypoints = dataset.keypoints2d;
  data.target.assign(static_cast<size_t>(n) * j, Eigen::Vector3d::Zero());
  data.weight.assign(static_cast<size_t>(n) * j, 0.0f);
  data.valid.assign(static_cast<size_t>(n) * j, 0);
  data.root_cam = dataset.root_cam;
  data.K = dataset.K;
  data.image_size = dataset.image_size;
  for (int s = 0; s < n; ++s) {
    const Eigen::Vector3d& root = dataset.root_cam[s];
    if (!root.allFinite()) continue;
    for (int k = 0; k < j; ++k) {
      const size_t i = dataset.Index(s, k);
      if (!dataset.valid[i] || !dataset.points3d_cam[i].allFinite()) continue;
      data.valid[i] = 1;
      data.target[i] = dataset.points3d_cam[i] - root;
      double w = 1.0;
      const double u = dataset.uncertainty[i];
      if (options.use_uncertainty && std::isfinite(u) && options.uncertainty_scale > 0.0) {
        const double r = u / options.uncertainty_scale;
        w = 1.0 / (1.0 + r * r);
      }
      data.weight[i] = static_cast<float>(w);
    }
  }
  // Missing or non-finite 2D becomes (0, 0, 0).
  for (Eigen::Vector3d& kp : data.keypoints) {
    if (!(kp.z() > 0.0) || !kp.allFinite()) kp = Eigen::Vector3d::Zero();
  }
  std::map<std::pair<int32_t, int32_t>, int> track_index;
  data.track_of.resize(n);
  data.position_of.resize(n);
  for (int s = 0; s < n; ++s) {
    const auto key = std::make_pair(dataset.sequence[s], dataset.camera[s]);
    auto [it, inserted] = track_index.emplace(key, static_cast<int>(data.tracks.size()));
    if (inserted) data.tracks.emplace_back();
    data.tracks[it->second].push_back(s);
  }
  for (size_t t = 0; t < data.tracks.size(); ++t) {
    std::vector<int>& track = data.tracks[t];
    std::stable_sort(track.begin(), track.end(), [&](int a, int b) { return dataset.frame[a] < dataset.frame[b]; });
    for (size_t p = 0; p < track.size(); ++p) {
      data.track_of[track[p]] = static_cast<int>(t);
      data.position_of[track[p]] = static_cast<int>(p);
    }
  }
  return data;
}

std::vector<int> TemporalWindow(const LifterData& data, int sample, int window) {
  if (window < 1 || window % 2 == 0) throw std::invalid_argument("TemporalWindow: window must be odd and positive");
  const std::vector<int>& track = data.tracks[data.track_of[sample]];
  const int centre = data.position_of[sample];
  const int half = window / 2;
  const int last = static_cast<int>(track.size()) - 1;
  std::vector<int> out(window);
  for (int k = 0; k < window; ++k) out[k] = track[std::clamp(centre - half + k, 0, last)];
  return out;
}

DataSplit SplitBySequence(const LabelDataset& dataset, double validation_fraction,
                          const std::vector<std::string>& validation_sequences) {
  if (!(validation_fraction >= 0.0 && validation_fraction < 1.0)) {
    throw InputError("val_fraction", "must be in [0, 1)");
  }
  DataSplit split;
  std::set<int32_t> present;
  for (int32_t s : dataset.sequence) present.insert(s);
  std::set<int32_t> held_out;
  if (!validation_sequences.empty()) {
    for (const std::string& name : validation_sequences) {
      auto it = std::find(dataset.sequence_names.begin(), dataset.sequence_names.end(), name);
      if (it == dataset.sequence_names.end()) {
        std::string known;
        for (const auto& n : dataset.sequence_names) known += (known.empty() ? "" : ", ") + n;
        throw InputError("val_sequences", "no sequence named '" + name + "' in the dataset (it has: " + known + ")");
      }
      held_out.insert(static_cast<int32_t>(it - dataset.sequence_names.begin()));
    }
  } else if (present.size() >= 2 && validation_fraction > 0.0) {
    std::vector<int32_t> ids(present.begin(), present.end());
    std::sort(ids.begin(), ids.end(),
              [&](int32_t a, int32_t b) { return dataset.sequence_names[a] < dataset.sequence_names[b]; });
    const size_t s = ids.size();
    const size_t count = std::clamp<size_t>(static_cast<size_t>(std::lround(validation_fraction * s)), 1, s - 1);
    // Evenly spread: the sequence at the end of each of `count` equal strides.
    for (size_t k = 0; k < count; ++k) held_out.insert(ids[(k + 1) * s / count - 1]);
  } else if (present.size() == 1 && validation_fraction > 0.0) {
    split.split_in_time = true;
    std::vector<int64_t> frames(dataset.frame.begin(), dataset.frame.end());
    std::sort(frames.begin(), frames.end());
    frames.erase(std::unique(frames.begin(), frames.end()), frames.end());
    const size_t first_val = frames.size() - std::max<size_t>(1, static_cast<size_t>(std::lround(validation_fraction * frames.size())));
    const int64_t cut = frames[std::min(first_val, frames.size() - 1)];
    for (int s = 0; s < dataset.num_samples(); ++s) (dataset.frame[s] >= cut ? split.validation : split.train).push_back(s);
    split.validation_sequences = {dataset.sequence_names[*present.begin()]};
    return split;
  }
  for (int32_t id : held_out) split.validation_sequences.push_back(dataset.sequence_names[id]);
  for (int s = 0; s < dataset.num_samples(); ++s) {
    (held_out.count(dataset.sequence[s]) ? split.validation : split.train).push_back(s);
  }
  return split;
}

void AugmentOptions::Check() const {
  if (!(flip_probability >= 0.0 && flip_probability <= 1.0)) throw std::invalid_argument("flip_probability not in [0, 1]");
  if (!(virtual_camera_rate >= 0.0 && virtual_camera_rate <= 1.0))
    throw std::invalid_argument("virtual_camera_rate not in [0, 1]");
  if (!(virtual_min_distance > 0.0 && virtual_max_distance >= virtual_min_distance))
    throw std::invalid_argument("virtual camera distances must satisfy 0 < min <= max");
  if (!(virtual_min_fov_deg > 1.0 && virtual_max_fov_deg >= virtual_min_fov_deg && virtual_max_fov_deg < 179.0))
    throw std::invalid_argument("virtual camera field of view must satisfy 1 < min <= max < 179 degrees");
}

GpaReference MakeGpaReference(const std::vector<Eigen::Vector3d>& keypoints, int num_joints,
                              const std::vector<Eigen::Vector2i>& image_size, const std::vector<joint_t>& root_joints) {
  GpaReference ref;
  if (root_joints.empty()) return ref;
  const size_t n = image_size.size();
  for (size_t s = 0; s < n; ++s) {
    const Eigen::Vector3d* pose = keypoints.data() + s * num_joints;
    const double w = image_size[s].x();
    if (!(w > 0)) continue;
    Eigen::Vector2d root = Eigen::Vector2d::Zero();
    bool ok = true;
    for (joint_t r : root_joints) {
      ok = ok && pose[r].z() > 0.0 && pose[r].allFinite();
      root += pose[r].head<2>();
    }
    if (!ok) continue;
    root /= static_cast<double>(root_joints.size());
    double sum = 0.0;
    int count = 0;
    for (int j = 0; j < num_joints; ++j) {
      if (pose[j].z() > 0.0 && pose[j].allFinite()) {
        sum += (pose[j].head<2>() - root).squaredNorm();
        ++count;
      }
    }
    if (count < 4 || !(sum > 0.0)) continue;
    ref.root_and_size.emplace_back(root.x() / w, root.y() / w, std::sqrt(sum / count) / w);
  }
  return ref;
}

namespace {

constexpr double kDeg = M_PI / 180.0;

// One sample of a batch while it is being augmented: per frame of the window the pixels
// (x, y, conf) and the camera; for the centre frame the target, weights and root.
struct WindowSample {
  std::vector<Eigen::Vector3d> pixels;  // [window * J]
  std::vector<Eigen::Matrix3d> frame_k;
  std::vector<Eigen::Vector2i> frame_size;
  std::vector<Eigen::Vector3d> target;  // [J]
  std::vector<float> weight;            // [J]
  Eigen::Vector3d root = Eigen::Vector3d::Zero();
  // Every frame's root-relative 3D and weight [window * J], when the batch wants them.
  std::vector<Eigen::Vector3d> frame_target;
  std::vector<float> frame_weight;
};

Batch EmptyBatch(int size, int window, int j_count) {
  Batch batch;
  batch.size = size;
  batch.window = window;
  batch.num_joints = j_count;
  batch.input.assign(static_cast<size_t>(size) * window * j_count * 2, 0.0f);
  batch.target.assign(static_cast<size_t>(size) * j_count * 3, 0.0f);
  batch.weight.assign(static_cast<size_t>(size) * j_count, 0.0f);
  batch.root_cam.resize(size);
  batch.K.resize(size);
  batch.image_size.resize(size);
  batch.flipped.assign(size, 0);
  batch.virtual_camera.assign(size, 0);
  return batch;
}

// The window of sample s as recorded (its frames' cameras and detections).
void ReadWindow(const LifterData& data, int s, const std::vector<int>& frames, WindowSample* w) {
  const int j_count = data.num_joints;
  for (int k = 0; k < j_count; ++k) {
    w->target[k] = data.target[static_cast<size_t>(s) * j_count + k];
    w->weight[k] = data.weight[static_cast<size_t>(s) * j_count + k];
  }
  w->root = data.root_cam[s];
  for (size_t t = 0; t < frames.size(); ++t) {
    const int m = frames[t];
    w->frame_k[t] = data.K[m];
    w->frame_size[t] = data.image_size[m];
    for (int k = 0; k < j_count; ++k) w->pixels[t * j_count + k] = data.keypoints[static_cast<size_t>(m) * j_count + k];
  }
  for (size_t t = 0; t < frames.size() && !w->frame_target.empty(); ++t)
    for (int k = 0; k < j_count; ++k) {
      const size_t src = static_cast<size_t>(frames[t]) * j_count + k;
      w->frame_target[t * j_count + k] = data.target[src];
      w->frame_weight[t * j_count + k] = data.weight[src];
    }
}

// Where a virtual camera puts the root: a pixel (u, v) and a depth, metres.
Eigen::Vector3d VirtualRootPlacement(const LifterData& data, int s, const WindowSample& w, double focal,
                                     const Eigen::Vector2i& size, const AugmentOptions& augment,
                                     std::mt19937_64& rng, const GpaReference* gpa) {
  const double width = size.x(), height = size.y();
  if (augment.global_position_alignment) {
    const Eigen::Vector3d& ref = gpa->root_and_size[UniformIndex(rng, static_cast<int64_t>(gpa->root_and_size.size()))];
    double sum = 0.0;
    int count = 0;
    for (int k = 0; k < data.num_joints; ++k) {
      if (data.valid[static_cast<size_t>(s) * data.num_joints + k]) {
        sum += w.target[k].squaredNorm();
        ++count;
      }
    }
    const double size_3d = count > 0 ? std::sqrt(sum / count) : 0.5;
    return {ref.x() * width, ref.y() * width, std::clamp(focal * size_3d / std::max(ref.z() * width, 1e-6), 0.5, 100.0)};
  }
  const double u = (0.2 + 0.6 * Uniform01(rng)) * width;
  const double v = (0.2 + 0.6 * Uniform01(rng)) * height;
  const double depth =
      augment.virtual_min_distance + Uniform01(rng) * (augment.virtual_max_distance - augment.virtual_min_distance);
  return {u, v, depth};
}

// Re-renders the window of sample s from a random virtual camera with the sample's image size:
// the 3D labels are rotated about the root, placed in front of the camera and projected.
void RenderVirtualCamera(const LifterData& data, int s, const std::vector<int>& frames, const AugmentOptions& augment,
                         std::mt19937_64& rng, const GpaReference* gpa, WindowSample* w) {
  const int j_count = data.num_joints;
  const Eigen::Vector2i size = data.image_size[s];
  const double width = size.x(), height = size.y();
  const double yaw = (2.0 * Uniform01(rng) - 1.0) * augment.virtual_max_yaw_deg * kDeg;
  const double pitch = (2.0 * Uniform01(rng) - 1.0) * augment.virtual_max_pitch_deg * kDeg;
  const double roll = (2.0 * Uniform01(rng) - 1.0) * augment.virtual_max_roll_deg * kDeg;
  const double fov =
      (augment.virtual_min_fov_deg + Uniform01(rng) * (augment.virtual_max_fov_deg - augment.virtual_min_fov_deg)) * kDeg;
  const double jitter_x = (2.0 * Uniform01(rng) - 1.0) * 0.02 * width;
  const double jitter_y = (2.0 * Uniform01(rng) - 1.0) * 0.02 * width;
  const double focal = 0.5 * width / std::tan(0.5 * fov);
  Eigen::Matrix3d k_virtual = Eigen::Matrix3d::Identity();
  k_virtual(0, 0) = k_virtual(1, 1) = focal;
  k_virtual(0, 2) = 0.5 * (width - 1.0) + jitter_x;
  k_virtual(1, 2) = 0.5 * (height - 1.0) + jitter_y;
  Eigen::Matrix3d rotation = Eigen::Matrix3d::Identity();
  if (augment.virtual_rotation) {
    rotation = (Eigen::AngleAxisd(roll, Eigen::Vector3d::UnitZ()) * Eigen::AngleAxisd(pitch, Eigen::Vector3d::UnitX()) *
                Eigen::AngleAxisd(yaw, Eigen::Vector3d::UnitY()))
                   .toRotationMatrix();
  }
  const Eigen::Vector3d placement = VirtualRootPlacement(data, s, *w, focal, size, augment, rng, gpa);
  const Eigen::Vector3d new_root = placement.z() * (k_virtual.inverse() * Eigen::Vector3d(placement.x(), placement.y(), 1.0));
  const Eigen::Vector3d old_root = data.root_cam[s];
  for (size_t t = 0; t < frames.size(); ++t) {
    const int m = frames[t];
    w->frame_k[t] = k_virtual;
    w->frame_size[t] = size;
    for (int k = 0; k < j_count; ++k) {
      const size_t src = static_cast<size_t>(m) * j_count + k;
      Eigen::Vector3d& px = w->pixels[t * j_count + k];
      px = Eigen::Vector3d::Zero();
      if (!data.valid[src] || !data.root_cam[m].allFinite()) continue;
      const Eigen::Vector3d point = rotation * (data.root_cam[m] + data.target[src] - old_root) + new_root;
      if (point.z() < 0.05) continue;
      const Eigen::Vector3d h_px = k_virtual * point;
      px = Eigen::Vector3d(h_px.x() / h_px.z(), h_px.y() / h_px.z(), 1.0);
    }
  }
  for (int k = 0; k < j_count; ++k) w->target[k] = rotation * w->target[k];
  for (Eigen::Vector3d& x : w->frame_target) x = rotation * x;  // every frame's root moves alike
  w->root = new_root;
}

// Mirrors the window about the principal point of each frame and swaps left and right.
void FlipWindow(const std::vector<joint_t>& flip_permutation, WindowSample* w) {
  const int j_count = static_cast<int>(flip_permutation.size());
  const int window = static_cast<int>(w->frame_k.size());
  std::vector<Eigen::Vector3d> mirrored(j_count);
  for (int t = 0; t < window; ++t) {
    Eigen::Vector3d* row = &w->pixels[static_cast<size_t>(t) * j_count];
    for (int k = 0; k < j_count; ++k) {
      const Eigen::Vector3d& src = row[flip_permutation[k]];
      mirrored[k] = src.z() > 0.0 ? Eigen::Vector3d(2.0 * w->frame_k[t](0, 2) - src.x(), src.y(), src.z())
                                  : Eigen::Vector3d::Zero();
    }
    std::copy(mirrored.begin(), mirrored.end(), row);
  }
  std::vector<Eigen::Vector3d> t3(j_count);
  std::vector<float> w3(j_count);
  for (int k = 0; k < j_count; ++k) {
    const Eigen::Vector3d& src = w->target[flip_permutation[k]];
    t3[k] = Eigen::Vector3d(-src.x(), src.y(), src.z());
    w3[k] = w->weight[flip_permutation[k]];
  }
  w->target = t3;
  w->weight = w3;
  w->root.x() = -w->root.x();
  for (size_t t = 0; t * j_count < w->frame_target.size(); ++t) {
    Eigen::Vector3d* row = &w->frame_target[t * j_count];
    float* weights = &w->frame_weight[t * j_count];
    for (int k = 0; k < j_count; ++k) {
      t3[k] = Eigen::Vector3d(-row[flip_permutation[k]].x(), row[flip_permutation[k]].y(), row[flip_permutation[k]].z());
      w3[k] = weights[flip_permutation[k]];
    }
    std::copy(t3.begin(), t3.end(), row);
    std::copy(w3.begin(), w3.end(), weights);
  }
}

// Writes sample b of the batch: normalised 2D, target, weights and the centre frame's camera.
void WriteSample(const WindowSample& w, int b, Batch* batch) {
  const int j_count = batch->num_joints, window = batch->window;
  for (int t = 0; t < window; ++t) {
    for (int k = 0; k < j_count; ++k) {
      const Eigen::Vector3d& px = w.pixels[static_cast<size_t>(t) * j_count + k];
      if (!(px.z() > 0.0)) continue;
      const Eigen::Vector2d n = NormalizeScreen(px.head<2>(), w.frame_size[t].x(), w.frame_size[t].y());
      const size_t i = ((static_cast<size_t>(b) * window + t) * j_count + k) * 2;
      batch->input[i] = static_cast<float>(n.x());
      batch->input[i + 1] = static_cast<float>(n.y());
    }
  }
  for (int k = 0; k < j_count; ++k) {
    const size_t i = static_cast<size_t>(b) * j_count + k;
    for (int c = 0; c < 3; ++c) batch->target[3 * i + c] = static_cast<float>(w.target[k](c));
    batch->weight[i] = w.weight[k];
  }
  for (size_t i = 0; i < w.frame_target.size(); ++i) {
    const size_t o = static_cast<size_t>(b) * window * j_count + i;
    for (int c = 0; c < 3; ++c) batch->window_target[3 * o + c] = static_cast<float>(w.frame_target[i](c));
    batch->window_weight[o] = w.frame_weight[i];
  }
  batch->root_cam[b] = w.root;
  batch->K[b] = w.frame_k[window / 2];
  batch->image_size[b] = w.frame_size[window / 2];
}

}  // namespace

Batch MakeBatch(const LifterData& data, const std::vector<int>& samples, int window, const AugmentOptions& augment,
                std::mt19937_64* rng, const std::vector<joint_t>& flip_permutation, const GpaReference* gpa,
                bool window_targets) {
  const int j_count = data.num_joints;
  Batch batch = EmptyBatch(static_cast<int>(samples.size()), window, j_count);
  if (window_targets) {
    batch.window_target.assign(static_cast<size_t>(batch.size) * window * j_count * 3, 0.0f);
    batch.window_weight.assign(static_cast<size_t>(batch.size) * window * j_count, 0.0f);
  }
  const bool flip_possible = rng != nullptr && augment.flip_probability > 0.0;
  if (flip_possible && static_cast<int>(flip_permutation.size()) != j_count) {
    throw std::invalid_argument("MakeBatch: flipping needs a flip permutation with one entry per joint");
  }
  if (rng != nullptr && augment.virtual_camera_rate > 0.0 && augment.global_position_alignment &&
      (gpa == nullptr || gpa->empty())) {
    throw std::invalid_argument("MakeBatch: global position alignment needs a non-empty reference");
  }
  WindowSample w;
  w.pixels.resize(static_cast<size_t>(window) * j_count);
  w.frame_k.resize(window);
  w.frame_size.resize(window);
  w.target.resize(j_count);
  w.weight.resize(j_count);
  if (window_targets) {
    w.frame_target.resize(static_cast<size_t>(window) * j_count);
    w.frame_weight.resize(static_cast<size_t>(window) * j_count);
  }
  for (int b = 0; b < batch.size; ++b) {
    const int s = samples[b];
    const std::vector<int> frames = TemporalWindow(data, s, window);
    bool flip = false, virtual_camera = false;
    if (rng != nullptr) {
      const double u_flip = Uniform01(*rng);
      const double u_virtual = Uniform01(*rng);
      flip = flip_possible && u_flip < augment.flip_probability;
      virtual_camera = u_virtual < augment.virtual_camera_rate && data.root_cam[s].allFinite();
    }
    ReadWindow(data, s, frames, &w);
    if (virtual_camera) RenderVirtualCamera(data, s, frames, augment, *rng, gpa, &w);
    if (flip) FlipWindow(flip_permutation, &w);
    WriteSample(w, b, &batch);
    batch.flipped[b] = flip ? 1 : 0;
    batch.virtual_camera[b] = virtual_camera ? 1 : 0;
  }
  return batch;
}

Eigen::Matrix3d RotationToOpticalAxis(const Eigen::Vector3d& ray) {
  return Eigen::Quaterniond::FromTwoVectors(ray.normalized(), Eigen::Vector3d::UnitZ()).toRotationMatrix();
}

namespace {

bool MissingInput(const float* uv) { return uv[0] == 0.0f && uv[1] == 0.0f; }

// The centre frame's 2D root of sample b in pixels (mean of the observed root joints, else of
// every observed joint); nullopt when no joint is observed.
std::optional<Eigen::Vector2d> CentreRootPixel(const Batch& batch, int b, const std::vector<joint_t>& root_joints) {
  const int j_count = batch.num_joints, centre = batch.window / 2;
  const float* frame = batch.input.data() + (static_cast<size_t>(b) * batch.window + centre) * j_count * 2;
  const Eigen::Vector2i& size = batch.image_size[b];
  for (int pass = 0; pass < 2; ++pass) {
    Eigen::Vector2d sum = Eigen::Vector2d::Zero();
    int n = 0;
    for (int k = 0; k < j_count; ++k) {
      const bool is_root = std::find(root_joints.begin(), root_joints.end(), k) != root_joints.end();
      if ((pass == 0 && !is_root) || MissingInput(frame + 2 * k)) continue;
      sum += UnnormalizeScreen(Eigen::Vector2d(frame[2 * k], frame[2 * k + 1]), size.x(), size.y());
      ++n;
    }
    if (n > 0) return Eigen::Vector2d(sum / n);
  }
  return std::nullopt;
}

}  // namespace

std::vector<Eigen::Matrix3d> PerspectiveNormalize(Batch* batch, const std::vector<joint_t>& root_joints) {
  std::vector<Eigen::Matrix3d> rotations(batch->size, Eigen::Matrix3d::Identity());
  const int j_count = batch->num_joints;
  for (int b = 0; b < batch->size; ++b) {
    const Eigen::Matrix3d& K = batch->K[b];
    if (!(K(0, 0) > 0.0 && K(1, 1) > 0.0 && K(2, 2) == 1.0)) {
      throw InputError("intrinsics", "perspective normalisation needs the camera intrinsics");
    }
    const std::optional<Eigen::Vector2d> root = CentreRootPixel(*batch, b, root_joints);
    if (!root) continue;
    const Eigen::Matrix3d R = RotationToOpticalAxis(K.inverse() * root->homogeneous());
    const Eigen::Matrix3d H = K * R * K.inverse();
    const Eigen::Vector2i& size = batch->image_size[b];
    float* uv = batch->input.data() + static_cast<size_t>(b) * batch->window * j_count * 2;
    for (int i = 0; i < batch->window * j_count; ++i, uv += 2) {
      if (MissingInput(uv)) continue;
      const Eigen::Vector3d p = H * UnnormalizeScreen(Eigen::Vector2d(uv[0], uv[1]), size.x(), size.y()).homogeneous();
      const Eigen::Vector2d n = NormalizeScreen(p.hnormalized(), size.x(), size.y());
      const bool ok = p.z() > 1e-9 && n.allFinite() && !(n.x() == 0.0 && n.y() == 0.0);
      uv[0] = ok ? static_cast<float>(n.x()) : 0.0f;
      uv[1] = ok ? static_cast<float>(n.y()) : 0.0f;
    }
    float* t = batch->target.data() + static_cast<size_t>(b) * j_count * 3;
    for (int k = 0; k < j_count; ++k, t += 3) {
      const Eigen::Vector3d x = R * Eigen::Vector3d(t[0], t[1], t[2]);
      for (int c = 0; c < 3; ++c) t[c] = static_cast<float>(x[c]);
    }
    if (!batch->window_target.empty()) {
      float* wt = batch->window_target.data() + static_cast<size_t>(b) * batch->window * j_count * 3;
      for (int i = 0; i < batch->window * j_count; ++i, wt += 3) {
        const Eigen::Vector3d x = R * Eigen::Vector3d(wt[0], wt[1], wt[2]);
        for (int c = 0; c < 3; ++c) wt[c] = static_cast<float>(x[c]);
      }
    }
    batch->root_cam[b] = R * batch->root_cam[b];
    rotations[b] = R;
  }
  return rotations;
}

std::vector<float> PerspectiveEncoding(const Batch& batch) {
  const int j_count = batch.num_joints;
  std::vector<float> rays(batch.input.size(), 0.0f);
  for (int b = 0; b < batch.size; ++b) {
    const Eigen::Matrix3d& K = batch.K[b];
    if (!(K(0, 0) > 0.0 && K(1, 1) > 0.0 && K(2, 2) == 1.0)) {
      throw InputError("intrinsics", "the perspective encoding needs the camera intrinsics");
    }
    const Eigen::Matrix3d K_inv = K.inverse();
    const Eigen::Vector2i& size = batch.image_size[b];
    const size_t offset = static_cast<size_t>(b) * batch.window * j_count * 2;
    for (int i = 0; i < batch.window * j_count; ++i) {
      const float* uv = batch.input.data() + offset + 2 * i;
      if (MissingInput(uv)) continue;
      const Eigen::Vector3d ray = K_inv * UnnormalizeScreen(Eigen::Vector2d(uv[0], uv[1]), size.x(), size.y()).homogeneous();
      rays[offset + 2 * i] = static_cast<float>(ray.x() / ray.z());
      rays[offset + 2 * i + 1] = static_cast<float>(ray.y() / ray.z());
    }
  }
  return rays;
}

void MaskBatchInput(Batch* batch, double joint_rate, double frame_rate, std::mt19937_64& rng) {
  const int j_count = batch->num_joints, centre = batch->window / 2;
  for (int b = 0; b < batch->size; ++b)
    for (int f = 0; f < batch->window; ++f) {
      float* uv = batch->input.data() + (static_cast<size_t>(b) * batch->window + f) * j_count * 2;
      const bool frame_masked = Uniform01(rng) < frame_rate && f != centre;
      for (int k = 0; k < j_count; ++k) {
        const bool masked = Uniform01(rng) < joint_rate || frame_masked;
        if (masked) uv[2 * k] = uv[2 * k + 1] = 0.0f;
      }
    }
}

PoseBatch3d::PoseBatch3d(int batch_size, int window_frames, int joints, float weight_value)
    : size(batch_size),
      window(window_frames),
      num_joints(joints),
      input(static_cast<size_t>(batch_size) * window_frames * joints * 3, 0.0f),
      target(static_cast<size_t>(batch_size) * joints * 3, 0.0f),
      weight(static_cast<size_t>(batch_size) * joints, weight_value) {}

PoseBatch3d MakeMaskedPoseBatch(const LifterData& data, const std::vector<int>& samples, int window, double joint_rate,
                                double frame_rate, std::mt19937_64& rng) {
  const int j_count = data.num_joints, centre = window / 2;
  PoseBatch3d out(static_cast<int>(samples.size()), window, j_count, 0.0f);
  for (int b = 0; b < out.size; ++b) {
    const std::vector<int> frames = TemporalWindow(data, samples[b], window);
    for (int f = 0; f < window; ++f) {
      const size_t s = static_cast<size_t>(frames[f]) * j_count;
      float* xyz = out.input.data() + ((static_cast<size_t>(b) * window + f) * j_count) * 3;
      const bool frame_masked = Uniform01(rng) < frame_rate && f != centre;
      for (int k = 0; k < j_count; ++k) {
        const bool masked = Uniform01(rng) < joint_rate || frame_masked;
        if (masked || data.weight[s + k] <= 0.0f) continue;
        for (int c = 0; c < 3; ++c) xyz[3 * k + c] = static_cast<float>(data.target[s + k][c]);
      }
    }
    const size_t s = static_cast<size_t>(samples[b]) * j_count;
    for (int k = 0; k < j_count; ++k) {
      for (int c = 0; c < 3; ++c) out.target[(static_cast<size_t>(b) * j_count + k) * 3 + c] = static_cast<float>(data.target[s + k][c]);
      out.weight[static_cast<size_t>(b) * j_count + k] = data.weight[s + k];
    }
  }
  return out;
}

}  // namespace epilabel
