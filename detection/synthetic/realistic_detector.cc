#include "detection/synthetic/realistic_detector.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <tbb/parallel_for.h>

#include "detection/skeleton.h"
#include "detection/synthetic/random.h"
#include "foundation/error.h"

namespace epilabel {

namespace {

constexpr int kNumJoints = 17;
constexpr int kNose = 0, kLeftEye = 1, kRightEye = 2, kLeftEar = 3, kRightEar = 4, kLeftShoulder = 5,
              kRightShoulder = 6, kLeftHip = 11, kRightHip = 12;
constexpr uint64_t kRealisticStream = 0x5245414C4954ULL;  // "REALIT" (+ person index)
constexpr uint64_t kRealisticOcclusionStream = 0x52454F43434CULL;  // "REOCCL" (+ person index)

std::string Number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

bool IsLeft(int j) { return j > 0 && j % 2 == 1; }
bool IsRight(int j) { return j > 0 && j % 2 == 0; }
// Elbows, wrists, knees, ankles: the joints that can land on the other limb.
bool IsLimbJoint(int j) { return (j >= 7 && j <= 10) || j >= 13; }
int OtherSide(int j) { return IsLeft(j) ? j + 1 : j - 1; }

Eigen::Vector3d Horizontal(Eigen::Vector3d v) {
  v.z() = 0.0;
  const double n = v.norm();
  return n > 1e-12 ? Eigen::Vector3d(v / n) : Eigen::Vector3d::Zero();
}

// How the camera sees the person in one frame.
struct ViewPose {
  double profile = 0.0;        // |sin(body yaw)|: 0 facing or back to the camera, 1 in profile
  bool camera_on_left = true;  // the camera is on the person's left side
  Eigen::Vector2d face_direction = Eigen::Vector2d::Zero();  // image direction ears -> nose (unit or 0)
  double head_profile = 0.0;   // |sin(head yaw)|
};

ViewPose ComputeViewPose(const Camera& camera, const Eigen::Vector3d* joints) {
  ViewPose view;
  const Eigen::Vector3d center = camera.CenterInWorld();
  const Eigen::Vector3d mid_hip = 0.5 * (joints[kLeftHip] + joints[kRightHip]);
  const Eigen::Vector3d lateral =
      (joints[kLeftShoulder] - joints[kRightShoulder]) + (joints[kLeftHip] - joints[kRightHip]);
  const Eigen::Vector3d forward = Horizontal(lateral.cross(Eigen::Vector3d::UnitZ()));
  const Eigen::Vector3d to_camera = Horizontal(center - mid_hip);
  const double body_sin = forward.cross(to_camera).z();
  view.profile = std::min(1.0, std::abs(body_sin));
  view.camera_on_left = body_sin >= 0.0;

  const Eigen::Vector3d ears = 0.5 * (joints[kLeftEar] + joints[kRightEar]);
  const Eigen::Vector3d head_forward = Horizontal(joints[kNose] - ears);
  const Eigen::Vector3d head_to_camera = Horizontal(center - ears);
  view.head_profile = std::min(1.0, std::abs(head_forward.cross(head_to_camera).z()));
  const auto a = camera.ImageFromWorld(ears);
  const auto b = camera.ImageFromWorld(ears + 0.1 * head_forward);
  if (a && b && (*b - *a).norm() > 1e-9) view.face_direction = (*b - *a).normalized();
  return view;
}

// The joints where the detector means to put them (step 1 of the header): hips and shoulders
// moved in the body frame.
std::array<Eigen::Vector3d, kNumJoints> SystematicJoints(const Eigen::Vector3d* joints, double subject_height,
                                                        const RealisticDetectorOptions& o) {
  std::array<Eigen::Vector3d, kNumJoints> out;
  std::copy(joints, joints + kNumJoints, out.begin());
  const double k = subject_height / o.reference_height_m;
  const Eigen::Vector3d mid_hip = 0.5 * (joints[kLeftHip] + joints[kRightHip]);
  const Eigen::Vector3d mid_shoulder = 0.5 * (joints[kLeftShoulder] + joints[kRightShoulder]);
  const Eigen::Vector3d trunk = (mid_shoulder - mid_hip).normalized();
  const Eigen::Vector3d hip_line = (joints[kLeftHip] - joints[kRightHip]).normalized();
  const Eigen::Vector3d shoulder_line = (joints[kLeftShoulder] - joints[kRightShoulder]).normalized();
  if (trunk.allFinite() && hip_line.allFinite()) {
    out[kLeftHip] += k * (o.hip_raise_m * trunk + o.hip_outward_m * hip_line);
    out[kRightHip] += k * (o.hip_raise_m * trunk - o.hip_outward_m * hip_line);
  }
  if (shoulder_line.allFinite()) {
    out[kLeftShoulder] += k * o.shoulder_outward_m * shoulder_line;
    out[kRightShoulder] -= k * o.shoulder_outward_m * shoulder_line;
  }
  return out;
}

double FaceShiftPx(int j, const RealisticDetectorOptions& o) {
  if (j == kNose) return o.nose_profile_shift_px;
  if (j == kLeftEye || j == kRightEye) return o.eye_profile_shift_px;
  if (j == kLeftEar || j == kRightEar) return o.ear_profile_shift_px;
  return 0.0;
}

// The draws of one joint in one view, made whatever the options, in a fixed order.
struct JointDraws {
  Eigen::Vector2d innovation = Eigen::Vector2d::Zero();  // unit-variance Student-t per axis
  double u_missing = 1.0, u_outlier = 1.0, u_magnitude = 0.0, u_direction = 0.0, u_outlier_conf = 0.0;
  double u_wrong_limb = 1.0, n_conf = 0.0;
};

JointDraws DrawJoint(synthetic::Random* rng, int dof) {
  JointDraws d;
  const double t_scale = std::sqrt((dof - 2.0) / dof);
  for (int axis = 0; axis < 2; ++axis) {
    const double z = rng->Normal();
    const double chi = std::max(rng->ChiSquare(dof), 1e-12);
    d.innovation[axis] = t_scale * z / std::sqrt(chi / dof);
  }
  d.u_missing = rng->Uniform();
  d.u_outlier = rng->Uniform();
  d.u_magnitude = rng->Uniform();
  d.u_direction = rng->Uniform();
  d.u_outlier_conf = rng->Uniform();
  d.u_wrong_limb = rng->Uniform();
  d.n_conf = rng->Normal();
  return d;
}

struct ViewCounts {
  int64_t visible = 0, missing = 0, outliers = 0, eligible = 0, swapped = 0, occluded = 0;
};

// Occlusion by other people in one view (the group detector): which joints are hidden, the
// view's occlusion stream and the effect's options (SimulatedDetectorOptions' occlusion_*).
struct ViewOcclusion {
  const bool* hidden = nullptr;  // [17]
  synthetic::Random* rng = nullptr;
  const SimulatedDetectorOptions* options = nullptr;
};

// The occlusion draws of one joint, made whatever the options, in a fixed order.
struct OcclusionDraws {
  double u_drop = 1.0;
  Eigen::Vector2d normal = Eigen::Vector2d::Zero();
};

// Per-view outputs: the 17 rows and their mask entries.
struct ViewOutput {
  Eigen::Vector3d* row = nullptr;
  uint8_t* outlier = nullptr;
  uint8_t* swap = nullptr;
  uint8_t* missing = nullptr;
  uint8_t* invisible = nullptr;
  uint8_t* occluded = nullptr;  // null without occlusion
};

// Draws the view's 17 joints and advances the AR(1) state of every joint (the first step of
// every view, the person present or not, so that the state is a function of the frame alone).
void DrawAndAdvance(synthetic::Random* rng, int dof, double rho, Eigen::Vector2d* ar_state, JointDraws* draws) {
  const double innovation_weight = std::sqrt(1.0 - rho * rho);
  for (int j = 0; j < kNumJoints; ++j) {
    draws[j] = DrawJoint(rng, dof);
    ar_state[j] = rho * ar_state[j] + innovation_weight * draws[j].innovation;
  }
}

// One (camera, frame) view: steps 1-8 of the header. `ar_state` [17] is the AR(1) state of
// this camera, advanced here for every joint (visible or not) so that it stays a function of
// the frame index alone.
void DetectRealisticView(const Camera& camera, const VisibleProjector& projector, const Eigen::Vector3d* joints,
                         double subject_height, const RealisticDetectorOptions& o, double rho,
                         synthetic::Random* rng, const ViewOcclusion* occlusion, Eigen::Vector2d* ar_state,
                         const ViewOutput& out, ViewCounts* counts) {
  const double height_px = PersonHeightPx(camera, joints, subject_height);
  const double scale = height_px / o.reference_height_px;
  const ViewPose view = ComputeViewPose(camera, joints);
  const std::array<Eigen::Vector3d, kNumJoints> meant = SystematicJoints(joints, subject_height, o);
  bool present[kNumJoints] = {};
  JointDraws draws[kNumJoints];
  DrawAndAdvance(rng, static_cast<int>(o.student_dof), rho, ar_state, draws);
  OcclusionDraws hiding[kNumJoints];
  if (occlusion != nullptr) {
    for (OcclusionDraws& h : hiding) {
      h.u_drop = occlusion->rng->Uniform();
      h.normal.x() = occlusion->rng->Normal();
      h.normal.y() = occlusion->rng->Normal();
    }
  }
  for (int j = 0; j < kNumJoints; ++j) {
    out.row[j] = Eigen::Vector3d::Zero();
    const JointDraws& d = draws[j];
    const std::optional<Eigen::Vector2d> pixel = projector.Project(joints[j]);
    if (!pixel) {
      out.invisible[j] = 1;
      continue;
    }
    ++counts->visible;
    if (d.u_missing < o.missing_rate) {
      out.missing[j] = 1;
      ++counts->missing;
      continue;
    }
    const bool hidden = occlusion != nullptr && occlusion->hidden[j];
    if (hidden) {
      out.occluded[j] = 1;
      ++counts->occluded;
      if (hiding[j].u_drop < occlusion->options->occlusion_drop_rate) continue;
    }
    present[j] = true;
    const bool far_side = (IsLeft(j) && !view.camera_on_left) || (IsRight(j) && view.camera_on_left);
    const double sigma = o.noise_px * scale * o.joint_noise_scale[j];
    const double gain = far_side ? 1.0 + o.far_side_noise_gain * view.profile : 1.0;
    Eigen::Vector2d error = sigma * gain * ar_state[j];
    if (hidden) error += occlusion->options->occlusion_noise_factor * sigma * hiding[j].normal;
    const std::optional<Eigen::Vector2d> meant_pixel = camera.ImageFromWorld(meant[j]);
    Eigen::Vector2d detected = (meant_pixel ? *meant_pixel : *pixel) + error;
    detected += FaceShiftPx(j, o) * scale * view.head_profile * view.face_direction;
    detected = ClampToImage(camera, detected);

    double confidence = o.joint_confidence[j] * (1.0 - o.profile_confidence_drop * view.profile);
    if (far_side) confidence *= 1.0 - o.far_side_confidence_drop * view.profile;
    if (sigma > 0.0) {
      const double z = error.norm() / (o.confidence_error_scale * sigma);
      confidence *= std::exp(-0.5 * z * z);
    }
    if (hidden) confidence *= occlusion->options->occlusion_confidence_factor;
    confidence = std::clamp(confidence + o.confidence_noise * d.n_conf, 0.05, 0.99);
    if (d.u_outlier < o.outlier_rate) {
      const double magnitude = (0.15 + 0.35 * d.u_magnitude) * height_px;
      const double angle = 2.0 * EIGEN_PI * d.u_direction;
      const Eigen::Vector2d shift = magnitude * Eigen::Vector2d(std::cos(angle), std::sin(angle));
      detected = *pixel + shift;
      if (!camera.IsInImage(detected)) detected = *pixel - shift;
      detected = ClampToImage(camera, detected);
      confidence = 0.2 + 0.7 * d.u_outlier_conf;
      out.outlier[j] = 1;
      ++counts->outliers;
    }
    out.row[j] = Eigen::Vector3d(detected.x(), detected.y(), confidence);
  }
  // Wrong limb (step 7), on the detections before any swap.
  Eigen::Vector3d before[kNumJoints];
  std::copy(out.row, out.row + kNumJoints, before);
  for (int j = 0; j < kNumJoints; ++j) {
    const int other = OtherSide(j);
    if (!IsLimbJoint(j) || !present[j] || !present[other] || out.outlier[j]) continue;
    if (draws[j].u_wrong_limb >= o.wrong_limb_rate) continue;
    out.row[j] = Eigen::Vector3d(before[other].x(), before[other].y(), before[j].z() * o.wrong_limb_confidence_factor);
    out.outlier[j] = 1;
    ++counts->outliers;
  }
  // Left/right confusions (step 8).
  const double p2 = view.profile * view.profile;
  const double swap_rate = o.swap_rate_frontal + (o.swap_rate_profile - o.swap_rate_frontal) * p2;
  static const std::vector<SymmetricPair>& pairs = GetSkeleton("coco17").symmetric;
  for (const SymmetricPair& pair : pairs) {
    const double u_swap = rng->Uniform();
    if (!present[pair.left] || !present[pair.right]) continue;
    ++counts->eligible;
    if (u_swap < swap_rate) {
      std::swap(out.row[pair.left], out.row[pair.right]);
      out.swap[pair.left] = 1;
      out.swap[pair.right] = 1;
      ++counts->swapped;
    }
  }
}

}  // namespace

void RealisticDetectorOptions::Check() const {
  auto finite_nonneg = [](double v, const std::string& name) {
    if (!(v >= 0.0) || !std::isfinite(v)) throw InputError(name, "must be a finite number >= 0, got " + Number(v));
  };
  auto rate = [](double v, const std::string& name) {
    if (!(v >= 0.0 && v <= 1.0)) throw InputError(name, "must be a share between 0 and 1, got " + Number(v));
  };
  auto finite = [](double v, const std::string& name) {
    if (!std::isfinite(v)) throw InputError(name, "must be finite, got " + Number(v));
  };
  finite_nonneg(noise_px, "noise_px");
  if (!(reference_height_px > 0.0) || !std::isfinite(reference_height_px)) {
    throw InputError("reference_height_px", "must be positive");
  }
  if (!(reference_height_m > 0.0) || !std::isfinite(reference_height_m)) {
    throw InputError("reference_height_m", "must be positive");
  }
  for (double v : joint_noise_scale) finite_nonneg(v, "joint_noise_scale");
  for (double v : joint_confidence) rate(v, "joint_confidence");
  if (!(student_dof >= 3.0 && student_dof <= 100.0) || student_dof != std::floor(student_dof)) {
    throw InputError("student_dof", "must be a whole number from 3 to 100, got " + Number(student_dof));
  }
  finite_nonneg(correlation_time_s, "correlation_time_s");
  if (!(fps > 0.0) || !std::isfinite(fps)) throw InputError("fps", "must be positive, got " + Number(fps));
  for (double v : camera_fps) {
    if (!(v > 0.0) || !std::isfinite(v)) throw InputError("camera_fps", "each rate must be positive, got " + Number(v));
  }
  for (auto [v, name] : {std::pair{hip_raise_m, "hip_raise_m"}, {hip_outward_m, "hip_outward_m"},
                         {shoulder_outward_m, "shoulder_outward_m"}, {nose_profile_shift_px, "nose_profile_shift_px"},
                         {eye_profile_shift_px, "eye_profile_shift_px"}, {ear_profile_shift_px, "ear_profile_shift_px"}}) {
    finite(v, name);
  }
  finite_nonneg(far_side_noise_gain, "far_side_noise_gain");
  rate(far_side_confidence_drop, "far_side_confidence_drop");
  rate(profile_confidence_drop, "profile_confidence_drop");
  if (!(confidence_error_scale > 0.0) || !std::isfinite(confidence_error_scale)) {
    throw InputError("confidence_error_scale", "must be positive");
  }
  finite_nonneg(confidence_noise, "confidence_noise");
  rate(missing_rate, "missing_rate");
  rate(outlier_rate, "outlier_rate");
  rate(wrong_limb_rate, "wrong_limb_rate");
  rate(wrong_limb_confidence_factor, "wrong_limb_confidence_factor");
  rate(swap_rate_frontal, "swap_rate_frontal");
  rate(swap_rate_profile, "swap_rate_profile");
}

double RealisticDetectorOptions::Rho() const {
  return correlation_time_s > 0.0 ? std::exp(-1.0 / (fps * correlation_time_s)) : 0.0;
}

double RealisticDetectorOptions::CameraRho(int camera) const {
  if (camera_fps.empty()) return Rho();
  if (camera < 0 || static_cast<size_t>(camera) >= camera_fps.size()) {
    throw std::invalid_argument("RealisticDetectorOptions: no camera_fps entry for camera " + std::to_string(camera));
  }
  return correlation_time_s > 0.0 ? std::exp(-1.0 / (camera_fps[camera] * correlation_time_s)) : 0.0;
}

const std::vector<std::string>& RealisticComponentNames() {
  static const std::vector<std::string> names = {"offsets",  "face",       "noise", "correlation",
                                                 "tails",    "far_side",   "confidence", "gross"};
  return names;
}

RealisticDetectorOptions WithoutComponent(RealisticDetectorOptions o, const std::string& name) {
  if (name == "offsets") {
    o.hip_raise_m = o.hip_outward_m = o.shoulder_outward_m = 0.0;
  } else if (name == "face") {
    o.nose_profile_shift_px = o.eye_profile_shift_px = o.ear_profile_shift_px = 0.0;
  } else if (name == "noise") {
    o.noise_px = 0.0;
  } else if (name == "correlation") {
    o.correlation_time_s = 0.0;
  } else if (name == "tails") {
    o.student_dof = 100.0;
  } else if (name == "far_side") {
    o.far_side_noise_gain = 0.0;
  } else if (name == "confidence") {
    o.confidence_noise = o.profile_confidence_drop = o.far_side_confidence_drop = 0.0;
    o.confidence_error_scale = 1e9;
  } else if (name == "gross") {
    o.outlier_rate = o.wrong_limb_rate = o.swap_rate_frontal = o.swap_rate_profile = 0.0;
  } else {
    std::string known;
    for (const std::string& n : RealisticComponentNames()) known += (known.empty() ? "" : ", ") + n;
    throw InputError("realistic-off", "unknown component '" + name + "' (known: " + known + ")");
  }
  return o;
}

namespace {

DetectorStatistics SumCounts(const std::vector<ViewCounts>& counts, int64_t points) {
  DetectorStatistics s;
  s.points = points;
  for (const ViewCounts& c : counts) {  // fixed order
    s.visible += c.visible;
    s.missing += c.missing;
    s.outliers += c.outliers;
    s.swap_eligible_pairs += c.eligible;
    s.swapped_pairs += c.swapped;
    s.occluded += c.occluded;
  }
  return s;
}

bool Present(const Points3d& person, int f) { return person.Row(f)[0].allFinite(); }

// Every person's 17 joints in frame f of the group (the group detector): who is present, their
// bodies for occlusion.
struct GroupFrame {
  std::vector<int> present;
  std::vector<BodyCapsules> bodies;
};

GroupFrame MakeGroupFrame(const std::vector<const Points3d*>& people, const std::vector<double>& heights, int f) {
  GroupFrame g;
  g.bodies.resize(people.size());
  for (size_t p = 0; p < people.size(); ++p) {
    if (!Present(*people[p], f)) continue;
    g.present.push_back(static_cast<int>(p));
    g.bodies[p] = MakeBodyCapsules(people[p]->Row(f), heights[p]);
  }
  return g;
}

// Person p seen by camera c over all frames, in frame order (the AR(1) recursion at camera c's
// rate); `people` are everyone as camera c sees them. With `occluders` (the group detector) the
// other people hide joints; a frame where person p is absent (NaN) is marked invisible, its
// draws still advance the state.
void DetectPersonInCamera(const Rig& rig, int c, const std::vector<const Points3d*>& people,
                          const std::vector<double>& heights, int p, const RealisticDetectorOptions& options,
                          const SimulatedDetectorOptions* occluders, SimulatedDetection* out, ViewCounts* counts) {
  const Points3d& truth = *people[p];
  const int num_frames = truth.num_frames();
  const VisibleProjector projector(rig[c]);
  const Eigen::Vector3d center = rig[c].CenterInWorld();
  const double rho = options.CameraRho(c);
  const uint64_t person = static_cast<uint64_t>(p);
  Eigen::Vector2d ar_state[kNumJoints];
  for (Eigen::Vector2d& s : ar_state) s.setZero();
  for (int f = 0; f < num_frames; ++f) {
    const double rho_f = f == 0 ? 0.0 : rho;
    synthetic::Random rng(synthetic::StreamSeed(options.seed, kRealisticStream + person, static_cast<uint64_t>(c),
                                                static_cast<uint64_t>(f)));
    const size_t base = (static_cast<size_t>(c) * num_frames + f) * kNumJoints;
    if (!Present(truth, f)) {
      JointDraws draws[kNumJoints];
      DrawAndAdvance(&rng, static_cast<int>(options.student_dof), rho_f, ar_state, draws);
      std::fill_n(out->invisible_mask.begin() + base, kNumJoints, uint8_t{1});
      continue;
    }
    const ViewOutput view{out->observations.Row(c, f), out->outlier_mask.data() + base, out->swap_mask.data() + base,
                          out->missing_mask.data() + base, out->invisible_mask.data() + base,
                          out->occluded_mask.empty() ? nullptr : out->occluded_mask.data() + base};
    if (occluders == nullptr) {
      DetectRealisticView(rig[c], projector, truth.Row(f), heights[p], options, rho_f, &rng, nullptr, ar_state, view,
                          counts);
      continue;
    }
    const GroupFrame group = MakeGroupFrame(people, heights, f);
    bool hidden[kNumJoints] = {};
    FindHiddenJoints(center, truth.Row(f), p, group.present, group.bodies, hidden);
    synthetic::Random occlusion_rng(synthetic::StreamSeed(options.seed, kRealisticOcclusionStream + person,
                                                          static_cast<uint64_t>(c), static_cast<uint64_t>(f)));
    const ViewOcclusion occlusion{hidden, &occlusion_rng, occluders};
    DetectRealisticView(rig[c], projector, truth.Row(f), heights[p], options, rho_f, &rng, &occlusion, ar_state, view,
                        counts);
  }
}

}  // namespace

SimulatedDetection SimulateRealisticDetector(const Rig& rig, const Points3d& truth, double subject_height,
                                             const RealisticDetectorOptions& options) {
  return SimulateRealisticDetector(rig, std::vector<const Points3d*>(rig.size(), &truth), subject_height, options);
}

SimulatedDetection SimulateRealisticDetector(const Rig& rig, const std::vector<const Points3d*>& camera_truth,
                                             double subject_height, const RealisticDetectorOptions& options) {
  options.Check();
  if (camera_truth.size() != rig.size() || rig.empty())
    throw std::invalid_argument("SimulateRealisticDetector: one truth per camera expected");
  const int num_frames = camera_truth[0]->num_frames();
  for (const Points3d* truth : camera_truth)
    if (truth->num_joints() != kNumJoints || truth->num_frames() != num_frames)
      throw std::invalid_argument("SimulateRealisticDetector: expects COCO-17 over the same frames in every camera");
  if (!(subject_height > 0.0)) throw std::invalid_argument("SimulateRealisticDetector: height must be positive");
  const int num_cameras = static_cast<int>(rig.size());
  SimulatedDetection out = EmptySimulatedDetection(num_cameras, num_frames, /*with_occlusion=*/false);
  const std::vector<double> heights = {subject_height};
  std::vector<ViewCounts> per_camera(num_cameras);
  std::atomic<int> cameras_done{0};

  // One task per camera: the AR(1) recursion runs over its frames in order.
  tbb::parallel_for(0, num_cameras, [&](int c) {
    DetectPersonInCamera(rig, c, {camera_truth[c]}, heights, 0, options, nullptr, &out, &per_camera[c]);
    const int done = ++cameras_done;
    if (options.progress) options.progress("realistic detector", done, num_cameras);
  });
  out.statistics = SumCounts(per_camera, static_cast<int64_t>(num_cameras) * num_frames * kNumJoints);
  return out;
}

std::vector<SimulatedDetection> SimulateRealisticGroupDetector(const Rig& rig, const std::vector<Points3d>& people,
                                                               const std::vector<double>& heights,
                                                               const RealisticDetectorOptions& options,
                                                               const SimulatedDetectorOptions& occlusion) {
  std::vector<const Points3d*> everyone;
  for (const Points3d& person : people) everyone.push_back(&person);
  return SimulateRealisticGroupDetector(rig, std::vector<std::vector<const Points3d*>>(rig.size(), everyone), heights,
                                        options, occlusion);
}

std::vector<SimulatedDetection> SimulateRealisticGroupDetector(
    const Rig& rig, const std::vector<std::vector<const Points3d*>>& camera_people, const std::vector<double>& heights,
    const RealisticDetectorOptions& options, const SimulatedDetectorOptions& occlusion) {
  options.Check();
  occlusion.Check();
  if (rig.empty() || camera_people.size() != rig.size() || camera_people[0].empty() ||
      heights.size() != camera_people[0].size()) {
    throw std::invalid_argument("SimulateRealisticGroupDetector: one view of the people per camera, one height per "
                                "person expected");
  }
  const int num_cameras = static_cast<int>(rig.size());
  const int num_people = static_cast<int>(heights.size());
  const int num_frames = camera_people[0][0]->num_frames();
  for (const std::vector<const Points3d*>& seen : camera_people) {
    if (static_cast<int>(seen.size()) != num_people) {
      throw std::invalid_argument("SimulateRealisticGroupDetector: every camera must see the same people");
    }
    for (int p = 0; p < num_people; ++p) {
      if (seen[p]->num_joints() != kNumJoints || seen[p]->num_frames() != num_frames || !(heights[p] > 0.0)) {
        throw std::invalid_argument("SimulateRealisticGroupDetector: expects COCO-17 points over the same frames");
      }
    }
  }
  std::vector<SimulatedDetection> out;
  for (int p = 0; p < num_people; ++p)
    out.push_back(EmptySimulatedDetection(num_cameras, num_frames, /*with_occlusion=*/true));
  const int tasks = num_people * num_cameras;
  std::vector<ViewCounts> counts(static_cast<size_t>(tasks));
  std::atomic<int> done{0};

  // One task per (person, camera): the AR(1) recursion runs over its frames in order.
  tbb::parallel_for(0, tasks, [&](int item) {
    const int p = item / num_cameras, c = item % num_cameras;
    DetectPersonInCamera(rig, c, camera_people[c], heights, p, options, &occlusion, &out[p], &counts[item]);
    const int d = ++done;
    if (options.progress) options.progress("realistic detector", d, tasks);
  });
  for (int p = 0; p < num_people; ++p) {
    int64_t present_views = 0;  // frames person p is present, summed over the cameras' views
    for (int c = 0; c < num_cameras; ++c) {
      for (int f = 0; f < num_frames; ++f) present_views += Present(*camera_people[c][p], f);
    }
    const std::vector<ViewCounts> mine(counts.begin() + p * num_cameras, counts.begin() + (p + 1) * num_cameras);
    out[p].statistics = SumCounts(mine, present_views * kNumJoints);
  }
  return out;
}

}  // namespace epilabel
