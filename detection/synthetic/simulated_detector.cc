#include "detection/synthetic/simulated_detector.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <utility>

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
constexpr uint64_t kDetectorStream = 0x444554454354ULL;  // "DETECT" (+ person index)
constexpr uint64_t kOcclusionStream = 0x4F43434C5544ULL;  // "OCCLUD" (+ person index)

std::string Number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
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
    throw InputError("noise_px", "must be a finite number >= 0, got " + Number(noise_px));
  }
  if (!(reference_height_px > 0.0) || !std::isfinite(reference_height_px)) {
    throw InputError("reference_height_px", "must be positive");
  }
  if (!std::isfinite(hip_offset_px)) throw InputError("hip_offset_px", "must be finite");
  check_rate(outlier_rate, "outlier_rate");
  check_rate(swap_rate, "swap_rate");
  check_rate(missing_rate, "missing_rate");
  check_rate(occlusion_drop_rate, "occlusion_drop_rate");
  if (!(occlusion_noise_factor >= 0.0) || !std::isfinite(occlusion_noise_factor)) {
    throw InputError("occlusion_noise_factor", "must be a finite number >= 0");
  }
  if (!(occlusion_confidence_factor >= 0.0) || !std::isfinite(occlusion_confidence_factor)) {
    throw InputError("occlusion_confidence_factor", "must be a finite number >= 0");
  }
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

namespace {

// Mask entries of one (camera, frame) view: pointers to its 17 entries (occluded may be null).
struct ViewMasks {
  uint8_t* outlier = nullptr;
  uint8_t* swap = nullptr;
  uint8_t* missing = nullptr;
  uint8_t* invisible = nullptr;
  uint8_t* occluded = nullptr;
};

struct ViewCounts {
  int64_t visible = 0, missing = 0, outliers = 0, eligible = 0, swapped = 0, occluded = 0;
};

// Occlusion of one view: which joints are hidden and the stream of the degradation draws.
struct ViewOcclusion {
  const bool* hidden = nullptr;            // [17]
  synthetic::Random* rng = nullptr;
};

// The detector on one person in one view (the steps of the header comment). `rng` is the
// view's stream, drawn in a fixed order whatever the options; `occlusion` (optional) drops or
// degrades hidden joints with draws from its own stream, so the other draws do not move.
void DetectView(const Camera& camera, const VisibleProjector& projector, const Eigen::Vector3d* joints,
                double subject_height, const SimulatedDetectorOptions& options, synthetic::Random* rng,
                const ViewOcclusion* occlusion, Eigen::Vector3d* row, const ViewMasks& masks, ViewCounts* counts) {
  const double height_px = PersonHeightPx(camera, joints, subject_height);
  const double scale = height_px / options.reference_height_px;
  const double sigma = options.noise_px * scale;
  const double hip_offset = options.EffectiveHipOffsetPx();

  // Direction from the hips to the shoulders in the image, for the systematic hip shift.
  Eigen::Vector2d up(0.0, -1.0);
  {
    const auto hips = camera.ImageFromWorld(0.5 * (joints[kLeftHip] + joints[kRightHip]));
    const auto shoulders = camera.ImageFromWorld(0.5 * (joints[kLeftShoulder] + joints[kRightShoulder]));
    if (hips && shoulders && (*shoulders - *hips).norm() > 1e-9) up = (*shoulders - *hips).normalized();
  }
  const Eigen::Vector2d hip_shift = hip_offset * scale * up;

  bool present[kNumJoints] = {};
  for (int j = 0; j < kNumJoints; ++j) {
    // Every draw is made whatever the options, in a fixed order.
    const double n1 = rng->Normal(), n2 = rng->Normal();
    const double chi = rng->ChiSquare(static_cast<int>(kStudentDof));
    const double u_missing = rng->Uniform(), u_outlier = rng->Uniform();
    const double u_magnitude = rng->Uniform(), u_direction = rng->Uniform(), u_outlier_conf = rng->Uniform();
    const double n_conf = rng->Normal();
    double u_drop = 1.0, n3 = 0.0, n4 = 0.0;
    if (occlusion != nullptr) {
      u_drop = occlusion->rng->Uniform();
      n3 = occlusion->rng->Normal();
      n4 = occlusion->rng->Normal();
    }

    row[j] = Eigen::Vector3d::Zero();
    const std::optional<Eigen::Vector2d> pixel = projector.Project(joints[j]);
    if (!pixel) {
      masks.invisible[j] = 1;
      continue;
    }
    ++counts->visible;
    if (u_missing < options.missing_rate) {
      masks.missing[j] = 1;
      ++counts->missing;
      continue;
    }
    const bool hidden = occlusion != nullptr && occlusion->hidden[j];
    if (hidden) {
      masks.occluded[j] = 1;
      ++counts->occluded;
      if (u_drop < options.occlusion_drop_rate) continue;
    }
    present[j] = true;
    Eigen::Vector2d error(n1, n2);
    if (JointHasHeavyTail(j)) error *= std::sqrt((kStudentDof - 2.0) / std::max(chi, 1e-12));
    if (hidden) error += options.occlusion_noise_factor * Eigen::Vector2d(n3, n4);
    error *= sigma * JointNoiseScale(j);
    Eigen::Vector2d detected = *pixel + error;
    if (j == kLeftHip || j == kRightHip) detected += hip_shift;
    detected = ClampToImage(camera, detected);
    double confidence = kBaseConfidence[j];
    if (sigma > 0.0) {
      const double z = error.norm() / (kConfidenceErrorScale * sigma);
      confidence *= std::exp(-0.5 * z * z);
    }
    if (hidden) confidence *= options.occlusion_confidence_factor;
    confidence = std::clamp(confidence + kConfidenceNoise * n_conf, 0.05, 0.99);
    if (u_outlier < options.outlier_rate) {
      const double magnitude = (0.15 + 0.35 * u_magnitude) * height_px;
      const double angle = 2.0 * EIGEN_PI * u_direction;
      const Eigen::Vector2d d = magnitude * Eigen::Vector2d(std::cos(angle), std::sin(angle));
      detected = *pixel + d;
      if (!camera.IsInImage(detected)) detected = *pixel - d;
      detected = ClampToImage(camera, detected);
      confidence = 0.2 + 0.7 * u_outlier_conf;
      masks.outlier[j] = 1;
      ++counts->outliers;
    }
    row[j] = Eigen::Vector3d(detected.x(), detected.y(), confidence);
  }
  static const std::vector<SymmetricPair>& pairs = GetSkeleton("coco17").symmetric;
  for (const SymmetricPair& pair : pairs) {
    const double u_swap = rng->Uniform();
    if (!present[pair.left] || !present[pair.right]) continue;
    ++counts->eligible;
    if (u_swap < options.swap_rate) {
      std::swap(row[pair.left], row[pair.right]);
      masks.swap[pair.left] = 1;
      masks.swap[pair.right] = 1;
      ++counts->swapped;
    }
  }
}

// Thread-safe sums of ViewCounts and the progress report.
class DetectorTally {
 public:
  DetectorTally(ProgressCallback progress, size_t total)
      : progress_(std::move(progress)), total_(total), report_every_(std::max<size_t>(1, total / 100)) {}
  void Add(const ViewCounts& c) {
    visible_ += c.visible;
    missing_ += c.missing;
    outliers_ += c.outliers;
    eligible_ += c.eligible;
    swapped_ += c.swapped;
    occluded_ += c.occluded;
  }
  void ItemDone() {
    if (!progress_) return;
    const size_t d = ++done_;
    if (d % report_every_ == 0 || d == total_) progress_("simulated detector", d, total_);
  }
  DetectorStatistics Statistics(int64_t points) const {
    DetectorStatistics s;
    s.points = points;
    s.visible = visible_;
    s.missing = missing_;
    s.outliers = outliers_;
    s.swap_eligible_pairs = eligible_;
    s.swapped_pairs = swapped_;
    s.occluded = occluded_;
    return s;
  }

 private:
  ProgressCallback progress_;
  size_t total_, report_every_;
  std::atomic<int64_t> visible_{0}, missing_{0}, outliers_{0}, eligible_{0}, swapped_{0}, occluded_{0};
  std::atomic<size_t> done_{0};
};

ViewMasks MasksAt(SimulatedDetection& d, size_t base) {
  ViewMasks m;
  m.outlier = d.outlier_mask.data() + base;
  m.swap = d.swap_mask.data() + base;
  m.missing = d.missing_mask.data() + base;
  m.invisible = d.invisible_mask.data() + base;
  if (!d.occluded_mask.empty()) m.occluded = d.occluded_mask.data() + base;
  return m;
}

template <typename Body>
void ForEachView(size_t total, const Body& body) {
  tbb::parallel_for(tbb::blocked_range<size_t>(0, total, 64), [&](const tbb::blocked_range<size_t>& range) {
    for (size_t item = range.begin(); item != range.end(); ++item) body(item);
  });
}

// Closest approach of segments [p1, q1] and [p2, q2]: squared distance, and the parameter s in
// [0, 1] of the closest point on the first (Ericson, Real-Time Collision Detection, 5.1.9).
double SegmentSegmentDistance2(const Eigen::Vector3d& p1, const Eigen::Vector3d& q1, const Eigen::Vector3d& p2,
                               const Eigen::Vector3d& q2, double* s_out) {
  constexpr double kEps = 1e-12;
  const Eigen::Vector3d d1 = q1 - p1, d2 = q2 - p2, r = p1 - p2;
  const double a = d1.squaredNorm(), e = d2.squaredNorm(), f = d2.dot(r);
  double s = 0.0, t = 0.0;
  if (a <= kEps && e <= kEps) {
    s = t = 0.0;
  } else if (a <= kEps) {
    t = std::clamp(f / e, 0.0, 1.0);
  } else {
    const double c = d1.dot(r);
    if (e <= kEps) {
      s = std::clamp(-c / a, 0.0, 1.0);
    } else {
      const double b = d1.dot(d2);
      const double denom = a * e - b * b;
      s = denom > kEps * a * e ? std::clamp((b * f - c * e) / denom, 0.0, 1.0) : 0.0;
      t = (b * s + f) / e;
      if (t < 0.0) {
        t = 0.0;
        s = std::clamp(-c / a, 0.0, 1.0);
      } else if (t > 1.0) {
        t = 1.0;
        s = std::clamp((b - c) / a, 0.0, 1.0);
      }
    }
  }
  *s_out = s;
  return ((p1 + s * d1) - (p2 + t * d2)).squaredNorm();
}

}  // namespace

BodyCapsules MakeBodyCapsules(const Eigen::Vector3d* j, double height) {
  const double k = height / 1.75;
  const Eigen::Vector3d head = 0.5 * (j[3] + j[4]);
  const Eigen::Vector3d shoulders = 0.5 * (j[kLeftShoulder] + j[kRightShoulder]);
  const Eigen::Vector3d hips = 0.5 * (j[kLeftHip] + j[kRightHip]);
  return {{{head, head, 0.11 * k},
           {shoulders, head, 0.06 * k},
           {shoulders, hips, 0.13 * k},
           {j[kLeftShoulder], j[kLeftHip], 0.07 * k},
           {j[kRightShoulder], j[kRightHip], 0.07 * k},
           {j[kLeftShoulder], j[kLeftElbow], 0.05 * k},
           {j[kRightShoulder], j[kRightElbow], 0.05 * k},
           {j[kLeftElbow], j[kLeftWrist], 0.04 * k},
           {j[kRightElbow], j[kRightWrist], 0.04 * k},
           {j[kLeftHip], j[13], 0.08 * k},
           {j[kRightHip], j[14], 0.08 * k},
           {j[13], j[15], 0.055 * k},
           {j[14], j[16], 0.055 * k}}};
}

bool IsOccludedBy(const Eigen::Vector3d& camera_center, const Eigen::Vector3d& point, const BodyCapsules& body) {
  const double length = (point - camera_center).norm();
  for (const BodyCapsule& capsule : body) {
    double s = 0.0;
    const double d2 = SegmentSegmentDistance2(camera_center, point, capsule.a, capsule.b, &s);
    if (d2 < capsule.radius * capsule.radius && s * length < length - capsule.radius) return true;
  }
  return false;
}

void FindHiddenJoints(const Eigen::Vector3d& camera_center, const Eigen::Vector3d* joints, int person,
                      const std::vector<int>& present, const std::vector<BodyCapsules>& bodies, bool hidden[17]) {
  for (int j = 0; j < kNumJoints; ++j) {
    hidden[j] = false;
    for (int q : present) hidden[j] = hidden[j] || (q != person && IsOccludedBy(camera_center, joints[j], bodies[q]));
  }
}

SimulatedDetection EmptySimulatedDetection(int num_cameras, int num_frames, bool with_occlusion) {
  SimulatedDetection out;
  out.observations = Observations2d(num_cameras, num_frames, kNumJoints);
  const size_t n = static_cast<size_t>(num_cameras) * num_frames * kNumJoints;
  out.outlier_mask.assign(n, 0);
  out.swap_mask.assign(n, 0);
  out.missing_mask.assign(n, 0);
  out.invisible_mask.assign(n, 0);
  if (with_occlusion) out.occluded_mask.assign(n, 0);
  return out;
}

Eigen::Vector2d ClampToImage(const Camera& camera, const Eigen::Vector2d& p) {
  return Eigen::Vector2d(std::clamp(p.x(), 0.0, camera.width - 1.0), std::clamp(p.y(), 0.0, camera.height - 1.0));
}

SimulatedDetection SimulateDetector(const Rig& rig, const Points3d& truth, double subject_height,
                                    const SimulatedDetectorOptions& options) {
  return SimulateDetector(rig, std::vector<const Points3d*>(rig.size(), &truth), subject_height, options);
}

SimulatedDetection SimulateDetector(const Rig& rig, const std::vector<const Points3d*>& camera_truth,
                                    double subject_height, const SimulatedDetectorOptions& options) {
  options.Check();
  if (camera_truth.size() != rig.size() || rig.empty()) {
    throw std::invalid_argument("SimulateDetector: one truth per camera expected");
  }
  const int num_frames = camera_truth[0]->num_frames();
  for (const Points3d* truth : camera_truth) {
    if (truth->num_joints() != kNumJoints || truth->num_frames() != num_frames) {
      throw std::invalid_argument("SimulateDetector: expects COCO-17 points over the same frames");
    }
  }
  if (!(subject_height > 0.0)) throw std::invalid_argument("SimulateDetector: subject height must be positive");
  const int num_cameras = static_cast<int>(rig.size());
  SimulatedDetection out = EmptySimulatedDetection(num_cameras, num_frames, /*with_occlusion=*/false);
  std::vector<VisibleProjector> projectors;
  for (const Camera& camera : rig) projectors.emplace_back(camera);
  const size_t total = static_cast<size_t>(num_cameras) * num_frames;
  DetectorTally tally(options.progress, total);

  ForEachView(total, [&](size_t item) {
    const camera_t c = static_cast<camera_t>(item / num_frames);
    const frame_t f = static_cast<frame_t>(item % num_frames);
    synthetic::Random rng(synthetic::StreamSeed(options.seed, kDetectorStream, static_cast<uint64_t>(c),
                                                static_cast<uint64_t>(f)));
    const size_t base = (static_cast<size_t>(c) * num_frames + f) * kNumJoints;
    ViewCounts counts;
    DetectView(rig[c], projectors[c], camera_truth[c]->Row(f), subject_height, options, &rng, nullptr,
               out.observations.Row(c, f),
               MasksAt(out, base), &counts);
    tally.Add(counts);
    tally.ItemDone();
  });
  out.statistics = tally.Statistics(static_cast<int64_t>(total) * kNumJoints);
  return out;
}

std::vector<SimulatedDetection> SimulateGroupDetector(const Rig& rig, const std::vector<Points3d>& people,
                                                      const std::vector<double>& heights,
                                                      const SimulatedDetectorOptions& options) {
  std::vector<std::vector<const Points3d*>> camera_people(rig.size());
  for (auto& list : camera_people) {
    for (const Points3d& person : people) list.push_back(&person);
  }
  return SimulateGroupDetector(rig, camera_people, heights, options);
}

std::vector<SimulatedDetection> SimulateGroupDetector(const Rig& rig,
                                                      const std::vector<std::vector<const Points3d*>>& camera_people,
                                                      const std::vector<double>& heights,
                                                      const SimulatedDetectorOptions& options) {
  options.Check();
  if (camera_people.size() != rig.size() || rig.empty() || camera_people[0].empty() ||
      heights.size() != camera_people[0].size()) {
    throw std::invalid_argument("SimulateGroupDetector: one height per person and people per camera expected");
  }
  const int num_cameras = static_cast<int>(rig.size());
  const int num_frames = camera_people[0][0]->num_frames();
  const int num_people = static_cast<int>(heights.size());
  for (const auto& people : camera_people) {
    for (int p = 0; p < num_people; ++p) {
      if (people.size() != heights.size() || people[p]->num_joints() != kNumJoints ||
          people[p]->num_frames() != num_frames || !(heights[p] > 0.0)) {
        throw std::invalid_argument("SimulateGroupDetector: expects COCO-17 points over the same frames");
      }
    }
  }
  std::vector<SimulatedDetection> out;
  for (int p = 0; p < num_people; ++p)
    out.push_back(EmptySimulatedDetection(num_cameras, num_frames, /*with_occlusion=*/true));
  std::vector<VisibleProjector> projectors;
  std::vector<Eigen::Vector3d> centers;
  for (const Camera& camera : rig) {
    projectors.emplace_back(camera);
    centers.push_back(camera.CenterInWorld());
  }
  const size_t total = static_cast<size_t>(num_cameras) * num_frames;
  std::vector<std::unique_ptr<DetectorTally>> tallies;
  for (int p = 0; p < num_people; ++p) tallies.push_back(std::make_unique<DetectorTally>(ProgressCallback(), total));
  DetectorTally progress(options.progress, total);
  std::vector<int64_t> present_frames(num_people, 0);
  for (int p = 0; p < num_people; ++p) {
    for (int f = 0; f < num_frames; ++f) present_frames[p] += camera_people[0][p]->Row(f)[0].allFinite();
  }

  ForEachView(total, [&](size_t item) {
    const camera_t c = static_cast<camera_t>(item / num_frames);
    const frame_t f = static_cast<frame_t>(item % num_frames);
    const size_t base = (static_cast<size_t>(c) * num_frames + f) * kNumJoints;
    const std::vector<const Points3d*>& people = camera_people[c];
    std::vector<int> present;
    std::vector<BodyCapsules> bodies(num_people);
    for (int p = 0; p < num_people; ++p) {
      if (!people[p]->Row(f)[0].allFinite()) continue;
      present.push_back(p);
      bodies[p] = MakeBodyCapsules(people[p]->Row(f), heights[p]);
    }
    for (int p = 0; p < num_people; ++p) {
      if (!people[p]->Row(f)[0].allFinite()) {
        std::fill_n(out[p].invisible_mask.begin() + base, kNumJoints, uint8_t{1});
        continue;
      }
      const Eigen::Vector3d* joints = people[p]->Row(f);
      bool hidden[kNumJoints] = {};
      FindHiddenJoints(centers[c], joints, p, present, bodies, hidden);
      // Person 0 draws from the single-person stream.
      const uint64_t person = static_cast<uint64_t>(p);
      synthetic::Random rng(synthetic::StreamSeed(options.seed, kDetectorStream + person, static_cast<uint64_t>(c),
                                                  static_cast<uint64_t>(f)));
      synthetic::Random occlusion_rng(synthetic::StreamSeed(options.seed, kOcclusionStream + person,
                                                            static_cast<uint64_t>(c), static_cast<uint64_t>(f)));
      const ViewOcclusion occlusion{hidden, &occlusion_rng};
      ViewCounts counts;
      DetectView(rig[c], projectors[c], joints, heights[p], options, &rng, &occlusion, out[p].observations.Row(c, f),
                 MasksAt(out[p], base), &counts);
      tallies[p]->Add(counts);
    }
    progress.ItemDone();
  });
  for (int p = 0; p < num_people; ++p) {
    out[p].statistics = tallies[p]->Statistics(present_frames[p] * num_cameras * kNumJoints);
  }
  return out;
}

}  // namespace epilabel
