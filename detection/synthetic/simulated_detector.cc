#include "detection/synthetic/simulated_detector.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "detection/skeleton.h"
#include "detection/synthetic/random.h"
#include "foundation/error.h"

namespace epilabel {

namespace {

constexpr int kNumJoints = 17;
// COCO-17 indices used here.
constexpr int kLeftShoulder = 5, kRightShoulder = 6, kLeftElbow = 7, kRightElbow = 8, kLeftWrist = 9,
              kRightWrist = 10, kLeftHip = 11, kRightHip = 12;
// Confidence of an exact detection, per joint (face, shoulders, elbows, wrists, hips, knees, ankles).
constexpr double kBaseConfidence[kNumJoints] = {0.92, 0.92, 0.92, 0.9, 0.9, 0.9, 0.9, 0.85, 0.85,
                                                0.8,  0.8,  0.85, 0.85, 0.85, 0.85, 0.82, 0.82};
constexpr double kConfidenceErrorScale = 2.5;  // error (in limb std. devs.) at which confidence is base * e^-0.5
constexpr double kConfidenceNoise = 0.04;
constexpr double kStudentDof = 4.0;
constexpr uint64_t kDetectorStream = 0x444554454354ULL;  // "DETECT"

std::string Number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

Eigen::Vector2d ClampToImage(const Camera& camera, const Eigen::Vector2d& p) {
  return Eigen::Vector2d(std::clamp(p.x(), 0.0, camera.width - 1.0), std::clamp(p.y(), 0.0, camera.height - 1.0));
}

}  // namespace

double JointNoiseScale(int j) {
  if (j <= 4) return 0.8;                                  // face
  if (j == kLeftElbow || j == kRightElbow) return 1.3;
  if (j == kLeftWrist || j == kRightWrist) return 1.5;
  return 1.0;                                              // shoulders, hips, knees, ankles
}

bool JointHasHeavyTail(int j) { return j == kLeftElbow || j == kRightElbow || j == kLeftWrist || j == kRightWrist; }

void SimulatedDetectorOptions::Check() const {
  auto check_rate = [](double rate, const std::string& name) {
    if (!(rate >= 0.0 && rate <= 1.0)) {
      throw InputError(name, "must be a share between 0 and 1, got " + Number(rate));
    }
  };
  if (!(noise_px >= 0.0) || !std::isfinite(noise_px)) {
    throw InputError("--noise-px", "must be a finite number >= 0, got " + Number(noise_px));
  }
  if (!(reference_height_px > 0.0) || !std::isfinite(reference_height_px)) {
    throw InputError("reference_height_px", "must be positive");
  }
  if (!std::isfinite(hip_offset_px)) throw InputError("hip_offset_px", "must be finite");
  check_rate(outlier_rate, "--outlier-rate");
  check_rate(swap_rate, "--swap-rate");
  check_rate(missing_rate, "--missing-rate");
}

VisibleProjector::VisibleProjector(const Camera& camera) : camera_(camera) {
  if (camera.width <= 0 || camera.height <= 0) throw std::invalid_argument("VisibleProjector: camera without image size");
  normalized_min_ = Eigen::Vector2d::Constant(std::numeric_limits<double>::infinity());
  normalized_max_ = -normalized_min_;
  constexpr int kSteps = 16;
  const double w = camera.width - 1.0, h = camera.height - 1.0;
  for (int i = 0; i <= kSteps; ++i) {
    const double a = static_cast<double>(i) / kSteps;
    for (const Eigen::Vector2d& pixel : {Eigen::Vector2d(a * w, 0.0), Eigen::Vector2d(a * w, h),
                                         Eigen::Vector2d(0.0, a * h), Eigen::Vector2d(w, a * h)}) {
      const Eigen::Vector2d n = camera.NormalizedFromImage(pixel);
      normalized_min_ = normalized_min_.cwiseMin(n);
      normalized_max_ = normalized_max_.cwiseMax(n);
    }
  }
  // A margin, so that the border test is made on pixels and not on this box.
  const Eigen::Vector2d margin = 0.05 * (normalized_max_ - normalized_min_);
  normalized_min_ -= margin;
  normalized_max_ += margin;
}

std::optional<Eigen::Vector2d> VisibleProjector::Project(const Eigen::Vector3d& point_in_world) const {
  const Eigen::Vector3d p = camera_.cam_from_world * point_in_world;
  if (!(p.z() > 1e-9)) return std::nullopt;
  const Eigen::Vector2d n = p.hnormalized();
  if ((n.array() < normalized_min_.array()).any() || (n.array() > normalized_max_.array()).any()) return std::nullopt;
  const Eigen::Vector2d pixel = camera_.ImageFromNormalized(n);
  if (!camera_.IsInImage(pixel)) return std::nullopt;
  return pixel;
}

double PersonHeightPx(const Camera& camera, const Eigen::Vector3d* joints, double subject_height) {
  const Eigen::Vector3d mid_hip = 0.5 * (joints[kLeftHip] + joints[kRightHip]);
  const double depth = std::max(0.1, (camera.cam_from_world * mid_hip).z());
  return camera.MeanFocal() * subject_height / depth;
}

SimulatedDetection SimulateDetector(const Rig& rig, const Points3d& truth, double subject_height,
                                    const SimulatedDetectorOptions& options) {
  options.Check();
  if (truth.num_joints() != kNumJoints) throw std::invalid_argument("SimulateDetector: expects COCO-17 points");
  if (!(subject_height > 0.0)) throw std::invalid_argument("SimulateDetector: subject height must be positive");
  const int num_cameras = static_cast<int>(rig.size());
  const int num_frames = truth.num_frames();
  const std::vector<SymmetricPair>& pairs = GetSkeleton("coco17").symmetric;

  SimulatedDetection out;
  out.observations = Observations2d(num_cameras, num_frames, kNumJoints);
  const size_t n = static_cast<size_t>(num_cameras) * num_frames * kNumJoints;
  out.outlier_mask.assign(n, 0);
  out.swap_mask.assign(n, 0);
  out.missing_mask.assign(n, 0);
  out.invisible_mask.assign(n, 0);

  std::vector<VisibleProjector> projectors;
  for (const Camera& camera : rig) projectors.emplace_back(camera);

  std::atomic<int64_t> visible{0}, missing{0}, outliers{0}, eligible{0}, swapped{0};
  std::atomic<size_t> done{0};
  const size_t total = static_cast<size_t>(num_cameras) * num_frames;
  const size_t report_every = std::max<size_t>(1, total / 100);
  const double hip_offset = options.EffectiveHipOffsetPx();

  auto process = [&](size_t item) {
    const camera_t c = static_cast<camera_t>(item / num_frames);
    const frame_t f = static_cast<frame_t>(item % num_frames);
    const Camera& camera = rig[c];
    synthetic::Random rng(synthetic::StreamSeed(options.seed, kDetectorStream, static_cast<uint64_t>(c),
                                                static_cast<uint64_t>(f)));
    const Eigen::Vector3d* joints = truth.Row(f);
    const double height_px = PersonHeightPx(camera, joints, subject_height);
    const double scale = height_px / options.reference_height_px;
    const double sigma = options.noise_px * scale;

    // Direction from the hips to the shoulders in the image, for the systematic hip shift.
    Eigen::Vector2d up(0.0, -1.0);
    {
      const auto hips = camera.ImageFromWorld(0.5 * (joints[kLeftHip] + joints[kRightHip]));
      const auto shoulders = camera.ImageFromWorld(0.5 * (joints[kLeftShoulder] + joints[kRightShoulder]));
      if (hips && shoulders && (*shoulders - *hips).norm() > 1e-9) up = (*shoulders - *hips).normalized();
    }
    const Eigen::Vector2d hip_shift = hip_offset * scale * up;

    Eigen::Vector3d* row = out.observations.Row(c, f);
    const size_t base = (static_cast<size_t>(c) * num_frames + f) * kNumJoints;
    bool present[kNumJoints] = {};
    int64_t n_visible = 0, n_missing = 0, n_outliers = 0, n_eligible = 0, n_swapped = 0;
    for (int j = 0; j < kNumJoints; ++j) {
      // Every draw is made whatever the options, in a fixed order.
      const double n1 = rng.Normal(), n2 = rng.Normal();
      const double chi = rng.ChiSquare(static_cast<int>(kStudentDof));
      const double u_missing = rng.Uniform(), u_outlier = rng.Uniform();
      const double u_magnitude = rng.Uniform(), u_direction = rng.Uniform(), u_outlier_conf = rng.Uniform();
      const double n_conf = rng.Normal();

      row[j] = Eigen::Vector3d::Zero();
      const std::optional<Eigen::Vector2d> pixel = projectors[c].Project(joints[j]);
      if (!pixel) {
        out.invisible_mask[base + j] = 1;
        continue;
      }
      ++n_visible;
      if (u_missing < options.missing_rate) {
        out.missing_mask[base + j] = 1;
        ++n_missing;
        continue;
      }
      present[j] = true;
      Eigen::Vector2d error(n1, n2);
      if (JointHasHeavyTail(j)) error *= std::sqrt((kStudentDof - 2.0) / std::max(chi, 1e-12));
      error *= sigma * JointNoiseScale(j);
      Eigen::Vector2d detected = *pixel + error;
      if (j == kLeftHip || j == kRightHip) detected += hip_shift;
      detected = ClampToImage(camera, detected);
      double confidence = kBaseConfidence[j];
      if (sigma > 0.0) {
        const double z = error.norm() / (kConfidenceErrorScale * sigma);
        confidence *= std::exp(-0.5 * z * z);
      }
      confidence = std::clamp(confidence + kConfidenceNoise * n_conf, 0.05, 0.99);
      if (u_outlier < options.outlier_rate) {
        const double magnitude = (0.15 + 0.35 * u_magnitude) * height_px;
        const double angle = 2.0 * EIGEN_PI * u_direction;
        const Eigen::Vector2d d = magnitude * Eigen::Vector2d(std::cos(angle), std::sin(angle));
        detected = *pixel + d;
        if (!camera.IsInImage(detected)) detected = *pixel - d;
        detected = ClampToImage(camera, detected);
        confidence = 0.2 + 0.7 * u_outlier_conf;
        out.outlier_mask[base + j] = 1;
        ++n_outliers;
      }
      row[j] = Eigen::Vector3d(detected.x(), detected.y(), confidence);
    }
    for (const SymmetricPair& pair : pairs) {
      const double u_swap = rng.Uniform();
      if (!present[pair.left] || !present[pair.right]) continue;
      ++n_eligible;
      if (u_swap < options.swap_rate) {
        std::swap(row[pair.left], row[pair.right]);
        out.swap_mask[base + pair.left] = 1;
        out.swap_mask[base + pair.right] = 1;
        ++n_swapped;
      }
    }
    visible += n_visible;
    missing += n_missing;
    outliers += n_outliers;
    eligible += n_eligible;
    swapped += n_swapped;
    if (options.progress) {
      const size_t d = ++done;
      if (d % report_every == 0 || d == total) options.progress("simulated detector", d, total);
    }
  };

  tbb::parallel_for(tbb::blocked_range<size_t>(0, total, 64), [&](const tbb::blocked_range<size_t>& range) {
    for (size_t item = range.begin(); item != range.end(); ++item) process(item);
  });

  out.statistics.points = static_cast<int64_t>(n);
  out.statistics.visible = visible;
  out.statistics.missing = missing;
  out.statistics.outliers = outliers;
  out.statistics.swap_eligible_pairs = eligible;
  out.statistics.swapped_pairs = swapped;
  return out;
}

}  // namespace epilabel
