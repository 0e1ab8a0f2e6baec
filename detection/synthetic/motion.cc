#include "detection/synthetic/motion.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "detection/skeleton.h"
#include "detection/synthetic/random.h"
#include "foundation/error.h"

namespace epilabel {

namespace cmu {
const std::array<int, kNumJoints>& Parents() {
  static const std::array<int, kNumJoints> parents = {
      -1,                                              // Hips
      kHips, kLHipJoint, kLeftUpLeg, kLeftLeg, kLeftFoot,  // left leg
      kHips, kRHipJoint, kRightUpLeg, kRightLeg, kRightFoot,  // right leg
      kHips, kLowerBack, kSpine, kSpine1, kNeck, kNeck1,      // spine, neck, head
      kSpine1, kLeftShoulder, kLeftArm, kLeftForeArm, kLeftHand, kLeftFingerBase, kLeftHand,
      kSpine1, kRightShoulder, kRightArm, kRightForeArm, kRightHand, kRightFingerBase, kRightHand};
  return parents;
}
}  // namespace cmu

namespace {

using cmu::Joint;

// File axes (Y up, character faces +Z, +X is its left) to world axes (z up).
Eigen::Vector3d WorldAxes(const Eigen::Vector3d& p) { return Eigen::Vector3d(p.x(), -p.z(), p.y()); }

// Face points in the frame of the Head joint (file axes: +X left, +Y up, +Z forward), metres.
// The CMU Head joint sits at the top of the upper neck, about ear level.
const Eigen::Vector3d kNoseOffset(0.0, -0.01, 0.10);
const Eigen::Vector3d kLeftEyeOffset(0.032, 0.025, 0.085);
const Eigen::Vector3d kRightEyeOffset(-0.032, 0.025, 0.085);
const Eigen::Vector3d kLeftEarOffset(0.075, 0.0, 0.0);
const Eigen::Vector3d kRightEarOffset(-0.075, 0.0, 0.0);
const Eigen::Vector3d kHeadTopOffset(0.0, 0.12, 0.0);
// Heights of the ankle and toe-base joints above the floor when standing flat, metres.
constexpr double kAnkleAboveFloor = 0.08;
constexpr double kToeAboveFloor = 0.055;

// COCO-17 indices (detection/skeleton.h order).
enum Coco : int {
  kNose = 0, kLEye, kREye, kLEar, kREar, kLShoulder, kRShoulder, kLElbow, kRElbow,
  kLWrist, kRWrist, kLHip, kRHip, kLKnee, kRKnee, kLAnkle, kRAnkle
};

double LegLength(const std::vector<BvhJoint>& joints) {
  return 0.5 * (joints[cmu::kLeftLeg].offset.norm() + joints[cmu::kLeftFoot].offset.norm() +
                joints[cmu::kRightLeg].offset.norm() + joints[cmu::kRightFoot].offset.norm());
}

double FloorOf(const CocoPose& pose) {
  return std::min({pose.joints[kLAnkle].z() - kAnkleAboveFloor, pose.joints[kRAnkle].z() - kAnkleAboveFloor,
                   pose.toes[0].z() - kToeAboveFloor, pose.toes[1].z() - kToeAboveFloor});
}

}  // namespace

void CheckCmuSkeleton(const BvhMotion& motion) {
  const std::string where = motion.name.empty() ? std::string("BVH clip") : motion.name;
  if (static_cast<int>(motion.joints.size()) != cmu::kNumJoints) {
    throw InputError(where, "has " + std::to_string(motion.joints.size()) + " joints, expected the " +
                                std::to_string(cmu::kNumJoints) + "-joint CMU skeleton (cgspeed BVH)");
  }
  const auto& parents = cmu::Parents();
  for (int j = 0; j < cmu::kNumJoints; ++j) {
    const BvhJoint& joint = motion.joints[j];
    if (joint.parent != parents[j]) {
      throw InputError(where, "joint " + std::to_string(j) + " '" + joint.name +
                                  "' is not where the CMU skeleton has it (expected parent " + std::to_string(parents[j]) +
                                  ", found " + std::to_string(joint.parent) + ")");
    }
    int rotations = 0, positions = 0;
    for (BvhChannel c : joint.channels) {
      if (c == BvhChannel::kXrotation || c == BvhChannel::kYrotation || c == BvhChannel::kZrotation) ++rotations;
      else ++positions;
    }
    if (rotations != 3 || positions != (j == 0 ? 3 : 0)) {
      throw InputError(where, "joint '" + joint.name + "' has " + std::to_string(joint.channels.size()) +
                                  " channels; expected " + (j == 0 ? "3 positions and 3 rotations" : "3 rotations"));
    }
  }
  if (!(motion.joints[cmu::kLeftUpLeg].offset.x() > 0.0 && motion.joints[cmu::kRightUpLeg].offset.x() < 0.0)) {
    throw InputError(where, "the left leg is not on the +X side; expected the CMU convention (Y up, +X left)");
  }
  if (!(LegLength(motion.joints) > 0.0)) throw InputError(where, "the legs have zero length");
}

// ---------------------------------------------------------------------------------------------
// BodyModel

BodyModel::BodyModel(const BvhMotion& reference) {
  CheckCmuSkeleton(reference);
  joints_ = reference.joints;
  reference_name_ = reference.name;
  rest_positions_.assign(joints_.size(), Eigen::Vector3d::Zero());
  for (size_t j = 1; j < joints_.size(); ++j) rest_positions_[j] = rest_positions_[joints_[j].parent] + joints_[j].offset;
  leg_length_ = LegLength(joints_);
  // Upright stature: the CMU rest pose spreads the legs outwards, so its head height is not the
  // standing height. Stack the straight legs (ankle above the floor, shin, thigh) under the rest
  // pose's upright torso and head (hip joint to head top).
  const CocoPose rest = RestPose();
  const double shin =
      0.5 * kCmuMetresPerUnit * (joints_[cmu::kLeftFoot].offset.norm() + joints_[cmu::kRightFoot].offset.norm());
  const double thigh =
      0.5 * kCmuMetresPerUnit * (joints_[cmu::kLeftLeg].offset.norm() + joints_[cmu::kRightLeg].offset.norm());
  const double hip_to_top = rest.head_top.z() - 0.5 * (rest.joints[kLHip].z() + rest.joints[kRHip].z());
  standing_height_ = kAnkleAboveFloor + shin + thigh + hip_to_top;
}

CocoPose BodyModel::Retarget(const std::vector<BvhJoint>& source_joints, const BvhWorldPose& source_world,
                             const Eigen::Vector3d& root) const {
  const std::vector<Eigen::Quaterniond>& w = source_world.orientations;
  // The segment from joint j to its child: the body's length along the source's direction.
  auto segment = [&](int j, int child) -> Eigen::Vector3d {
    const Eigen::Vector3d& target = joints_[child].offset;
    const double length = target.norm();
    if (length == 0.0) return Eigen::Vector3d::Zero();
    const Eigen::Vector3d& source = source_joints[child].offset;
    const double source_length = source.norm();
    const Eigen::Vector3d direction = source_length > 1e-9 ? Eigen::Vector3d(source / source_length)
                                                           : Eigen::Vector3d(target / length);
    return w[j] * (direction * length);
  };
  // Rigid torso: pelvis-chest half-way rotation.
  const Eigen::Quaterniond torso = w[cmu::kHips].slerp(0.5, w[cmu::kSpine1]);
  auto torso_point = [&](int j) -> Eigen::Vector3d { return root + torso * rest_positions_[j]; };

  const Eigen::Vector3d l_hip = torso_point(cmu::kLeftUpLeg);
  const Eigen::Vector3d r_hip = torso_point(cmu::kRightUpLeg);
  const Eigen::Vector3d l_knee = l_hip + segment(cmu::kLeftUpLeg, cmu::kLeftLeg);
  const Eigen::Vector3d r_knee = r_hip + segment(cmu::kRightUpLeg, cmu::kRightLeg);
  const Eigen::Vector3d l_ankle = l_knee + segment(cmu::kLeftLeg, cmu::kLeftFoot);
  const Eigen::Vector3d r_ankle = r_knee + segment(cmu::kRightLeg, cmu::kRightFoot);
  const Eigen::Vector3d l_toe = l_ankle + segment(cmu::kLeftFoot, cmu::kLeftToeBase);
  const Eigen::Vector3d r_toe = r_ankle + segment(cmu::kRightFoot, cmu::kRightToeBase);
  const Eigen::Vector3d l_shoulder = torso_point(cmu::kLeftArm);
  const Eigen::Vector3d r_shoulder = torso_point(cmu::kRightArm);
  const Eigen::Vector3d l_elbow = l_shoulder + segment(cmu::kLeftArm, cmu::kLeftForeArm);
  const Eigen::Vector3d r_elbow = r_shoulder + segment(cmu::kRightArm, cmu::kRightForeArm);
  const Eigen::Vector3d l_wrist = l_elbow + segment(cmu::kLeftForeArm, cmu::kLeftHand);
  const Eigen::Vector3d r_wrist = r_elbow + segment(cmu::kRightForeArm, cmu::kRightHand);
  const Eigen::Vector3d neck = torso_point(cmu::kNeck);
  const Eigen::Vector3d neck1 = neck + segment(cmu::kNeck, cmu::kNeck1);
  const Eigen::Vector3d head = neck1 + segment(cmu::kNeck1, cmu::kHead);
  const Eigen::Quaterniond& head_frame = w[cmu::kHead];
  auto face = [&](const Eigen::Vector3d& offset_m) -> Eigen::Vector3d {
    return head + head_frame * (offset_m / kCmuMetresPerUnit);
  };

  CocoPose pose;
  auto set = [&](int coco, const Eigen::Vector3d& p) { pose.joints[coco] = kCmuMetresPerUnit * WorldAxes(p); };
  set(kNose, face(kNoseOffset));
  set(kLEye, face(kLeftEyeOffset));
  set(kREye, face(kRightEyeOffset));
  set(kLEar, face(kLeftEarOffset));
  set(kREar, face(kRightEarOffset));
  set(kLShoulder, l_shoulder);
  set(kRShoulder, r_shoulder);
  set(kLElbow, l_elbow);
  set(kRElbow, r_elbow);
  set(kLWrist, l_wrist);
  set(kRWrist, r_wrist);
  set(kLHip, l_hip);
  set(kRHip, r_hip);
  set(kLKnee, l_knee);
  set(kRKnee, r_knee);
  set(kLAnkle, l_ankle);
  set(kRAnkle, r_ankle);
  pose.head_top = kCmuMetresPerUnit * WorldAxes(face(kHeadTopOffset));
  pose.toes[0] = kCmuMetresPerUnit * WorldAxes(l_toe);
  pose.toes[1] = kCmuMetresPerUnit * WorldAxes(r_toe);
  return pose;
}

CocoPose BodyModel::RestPose() const {
  BvhWorldPose world;
  world.orientations.assign(joints_.size(), Eigen::Quaterniond::Identity());
  CocoPose pose = Retarget(joints_, world, Eigen::Vector3d::Zero());
  const double floor = FloorOf(pose);
  for (auto& p : pose.joints) p.z() -= floor;
  pose.head_top.z() -= floor;
  for (auto& p : pose.toes) p.z() -= floor;
  return pose;
}

// ---------------------------------------------------------------------------------------------
// RetargetedClip

RetargetedClip::RetargetedClip(const BvhMotion& clip, const BodyModel* body) : name_(clip.name), body_(body) {
  CheckCmuSkeleton(clip);
  joints_ = clip.joints;
  frame_time_ = clip.frame_time;
  num_frames_ = clip.num_frames;
  duration_ = clip.Duration();
  translation_scale_ = body_->leg_length() / LegLength(joints_);
  const size_t nj = joints_.size();
  rotations_.resize(static_cast<size_t>(num_frames_) * nj);
  root_positions_.resize(num_frames_);
  for (int f = 0; f < num_frames_; ++f) {
    const BvhPose pose = PoseAtFrame(clip, f);
    std::copy(pose.local_rotations.begin(), pose.local_rotations.end(), rotations_.begin() + f * nj);
    root_positions_[f] = translation_scale_ * (joints_[0].offset + pose.translations[0]);
  }
  // Segments: cut where a joint jumps between consecutive frames.
  std::vector<CocoPose> poses(num_frames_);
  for (int f = 0; f < num_frames_; ++f) poses[f] = SampleFrame(f);
  const double max_step = kMaxJointSpeed * frame_time_;
  int first = 0;
  for (int f = 1; f <= num_frames_; ++f) {
    bool cut = f == num_frames_;
    for (int j = 0; j < 17 && !cut; ++j) cut = (poses[f].joints[j] - poses[f - 1].joints[j]).norm() > max_step;
    if (!cut) continue;
    const int last = f - 1;
    if ((last - first) * frame_time_ >= kMinSegmentSeconds - 1e-9) {
      segments_.push_back({first * frame_time_, last * frame_time_});
    }
    first = f;
  }
  if (segments_.empty()) {
    throw InputError(name_.empty() ? std::string("BVH clip") : name_,
                     "no stretch of at least " + std::to_string(static_cast<int>(kMinSegmentSeconds)) +
                         " s without jumps (joints moving faster than " +
                         std::to_string(static_cast<int>(kMaxJointSpeed)) + " m/s)");
  }
  // The floor of this clip: the lowest the feet go within the segments (they rest on the floor
  // in CMU captures).
  floor_z_ = std::numeric_limits<double>::infinity();
  for (const ClipSegment& segment : segments_) {
    const int begin = static_cast<int>(std::lround(segment.start / frame_time_));
    const int end = static_cast<int>(std::lround(segment.end / frame_time_));
    for (int f = begin; f <= end; ++f) floor_z_ = std::min(floor_z_, FloorOf(poses[f]));
  }
}

CocoPose RetargetedClip::SampleFrame(int frame) const {
  const size_t nj = joints_.size();
  BvhWorldPose world;
  world.orientations.resize(nj);
  for (size_t j = 0; j < nj; ++j) {
    const Eigen::Quaterniond& q = rotations_[frame * nj + j];
    const int p = joints_[j].parent;
    world.orientations[j] = p < 0 ? q : world.orientations[p] * q;
  }
  return body_->Retarget(joints_, world, root_positions_[frame]);
}

CocoPose RetargetedClip::SampleUnfloored(double seconds) const {
  const double t = std::clamp(seconds, 0.0, duration_);
  const double s = t / frame_time_;
  const int i0 = std::min(static_cast<int>(std::floor(s)), num_frames_ - 1);
  const int i1 = std::min(i0 + 1, num_frames_ - 1);
  const double a = std::clamp(s - i0, 0.0, 1.0);
  const size_t nj = joints_.size();
  BvhWorldPose world;
  world.orientations.resize(nj);
  for (size_t j = 0; j < nj; ++j) {
    const Eigen::Quaterniond& q0 = rotations_[i0 * nj + j];
    const Eigen::Quaterniond q = (a == 0.0 || i0 == i1) ? q0 : q0.slerp(a, rotations_[i1 * nj + j]);
    const int p = joints_[j].parent;
    world.orientations[j] = p < 0 ? q : world.orientations[p] * q;
  }
  const Eigen::Vector3d root = (1.0 - a) * root_positions_[i0] + a * root_positions_[i1];
  return body_->Retarget(joints_, world, root);
}

CocoPose RetargetedClip::Sample(double seconds) const {
  CocoPose pose = SampleUnfloored(seconds);
  for (auto& p : pose.joints) p.z() -= floor_z_;
  pose.head_top.z() -= floor_z_;
  for (auto& p : pose.toes) p.z() -= floor_z_;
  return pose;
}

// ---------------------------------------------------------------------------------------------
// GenerateMotion

namespace {

Eigen::Vector2d Rotate2d(double yaw, const Eigen::Vector3d& p) {
  const double c = std::cos(yaw), s = std::sin(yaw);
  return Eigen::Vector2d(c * p.x() - s * p.y(), s * p.x() + c * p.y());
}

// Number of leading poses whose joints, turned by `yaw`, fit in a box of size `box`.
int FitPrefix(const std::vector<CocoPose>& poses, double yaw, const Eigen::Vector2d& box) {
  Eigen::Vector2d lo = Eigen::Vector2d::Constant(std::numeric_limits<double>::infinity());
  Eigen::Vector2d hi = -lo;
  for (size_t i = 0; i < poses.size(); ++i) {
    for (const auto& p : poses[i].joints) {
      const Eigen::Vector2d q = Rotate2d(yaw, p);
      lo = lo.cwiseMin(q);
      hi = hi.cwiseMax(q);
    }
    if (((hi - lo).array() > box.array()).any()) return static_cast<int>(i);
  }
  return static_cast<int>(poses.size());
}

}  // namespace

MotionLibrary::MotionLibrary(const std::vector<BvhMotion>& clips) {
  if (clips.empty()) throw InputError("motion clips", "no BVH clips given");
  body_ = std::make_unique<BodyModel>(clips[0]);
  clips_.reserve(clips.size());
  for (const BvhMotion& clip : clips) clips_.emplace_back(clip, body_.get());
}

std::vector<Eigen::Vector2d> MidHipTrack(const Points3d& points, const std::vector<uint8_t>& present) {
  std::vector<Eigen::Vector2d> track(points.num_frames(), Eigen::Vector2d::Constant(kNaN));
  for (int f = 0; f < points.num_frames(); ++f) {
    if (!present.empty() && !present[f]) continue;
    track[f] = 0.5 * (points.at(f, kLHip) + points.at(f, kRHip)).head<2>();
  }
  return track;
}

MotionSequence GenerateMotion(const std::vector<BvhMotion>& clips, const MotionOptions& options) {
  if (clips.empty()) throw InputError("motion clips", "no BVH clips given");
  options.Check();
  return PlayMotion(MotionLibrary(clips), options);
}

namespace {

// Where one stretch goes: heading, horizontal offset and the number of frames it is played.
struct Placement {
  double yaw = 0.0;
  Eigen::Vector2d offset = Eigen::Vector2d::Zero();
  int count = 0;
  double clearance = -1.0;  // smallest mid-hip distance to the others in the first frame (m; inf: nobody)
};

// Lowest and highest turned joint positions over the first `count` poses.
void TurnedBounds(const std::vector<CocoPose>& poses, int count, double yaw, Eigen::Vector2d* lo, Eigen::Vector2d* hi) {
  *lo = Eigen::Vector2d::Constant(std::numeric_limits<double>::infinity());
  *hi = -*lo;
  for (int i = 0; i < count; ++i) {
    for (const auto& p : poses[i].joints) {
      const Eigen::Vector2d q = Rotate2d(yaw, p);
      *lo = lo->cwiseMin(q);
      *hi = hi->cwiseMax(q);
    }
  }
}

// A random offset in [min_offset, max_offset] per axis (the middle when the range is empty).
Eigen::Vector2d RandomOffset(const Eigen::Vector2d& lo, const Eigen::Vector2d& hi, const MotionOptions& options,
                             synthetic::Random* rng) {
  const Eigen::Vector2d area_lo = options.area_center - options.area_half_extents;
  const Eigen::Vector2d area_hi = options.area_center + options.area_half_extents;
  Eigen::Vector2d offset;
  for (int a = 0; a < 2; ++a) {
    const double min_offset = area_lo[a] - lo[a], max_offset = area_hi[a] - hi[a];
    offset[a] = max_offset >= min_offset ? rng->Uniform(min_offset, max_offset) : 0.5 * (min_offset + max_offset);
  }
  return offset;
}

// The single-person placement: the heading with the longest prefix fitting the area, then a
// random offset (the draws of the original studio, in the same order).
Placement PlaceAlone(const std::vector<CocoPose>& poses, const MotionOptions& options, synthetic::Random* rng) {
  const Eigen::Vector2d box = 2.0 * options.area_half_extents;
  const int count = static_cast<int>(poses.size());
  int best = -1;
  double best_yaw = 0.0;
  for (int attempt = 0; attempt < std::max(1, options.max_yaw_tries); ++attempt) {
    const double yaw = rng->Uniform(0.0, 2.0 * EIGEN_PI);
    const int fit = FitPrefix(poses, yaw, box);
    if (fit > best) {
      best = fit;
      best_yaw = yaw;
    }
    if (best == count) break;
  }
  Placement placement;
  placement.yaw = best_yaw;
  placement.count = std::max(best, 1);  // 0 only when the body alone is wider than the area
  Eigen::Vector2d lo, hi;
  TurnedBounds(poses, placement.count, best_yaw, &lo, &hi);
  placement.offset = RandomOffset(lo, hi, options, rng);
  return placement;
}

// The fallback when no random pair frees the first frame: 16 headings x a 5 cm grid of offsets
// (no random draws), the spot of the first pose farthest from the others; the stretch then runs
// while it stays inside the area and min_distance from the others.
Placement PlaceInTheClearest(const std::vector<CocoPose>& poses, int first_frame, const MotionOptions& options,
                             const MotionConstraints& constraints) {
  const Eigen::Vector2d area_lo = options.area_center - options.area_half_extents;
  const Eigen::Vector2d area_hi = options.area_center + options.area_half_extents;
  auto hip_at = [&](int i, double yaw, const Eigen::Vector2d& offset) -> Eigen::Vector2d {
    return Rotate2d(yaw, 0.5 * (poses[i].joints[kLHip] + poses[i].joints[kRHip])) + offset;
  };
  auto clearance = [&](int i, const Eigen::Vector2d& hip) {
    double nearest = std::numeric_limits<double>::infinity();
    for (const auto& track : constraints.avoid) {
      if (track[first_frame + i].allFinite()) nearest = std::min(nearest, (track[first_frame + i] - hip).norm());
    }
    return nearest;
  };
  Placement best;
  for (int k = 0; k < 16; ++k) {
    const double yaw = 2.0 * EIGEN_PI * k / 16.0;
    Eigen::Vector2d lo, hi;
    TurnedBounds(poses, 1, yaw, &lo, &hi);
    const Eigen::Vector2d min_offset = area_lo - lo, max_offset = area_hi - hi;
    for (double x = min_offset.x(); x <= max_offset.x(); x += 0.05) {
      for (double y = min_offset.y(); y <= max_offset.y(); y += 0.05) {
        const Eigen::Vector2d offset(x, y);
        const double c = clearance(0, hip_at(0, yaw, offset));
        if (c > best.clearance) best = {yaw, offset, 1, c};
      }
    }
  }
  if (best.clearance < 0.0) return best;  // the body is wider than the area: count stays 0
  const int count = static_cast<int>(poses.size());
  for (int i = 1; i < count; ++i) {
    const int frame = first_frame + i;
    bool inside = true;
    for (const auto& p : poses[i].joints) {
      const Eigen::Vector2d q = Rotate2d(best.yaw, p) + best.offset;
      inside = inside && (q.array() >= area_lo.array() - 1e-9).all() && (q.array() <= area_hi.array() + 1e-9).all();
    }
    const bool present = constraints.present.empty() || constraints.present[frame];
    if (!inside || (present && clearance(i, hip_at(i, best.yaw, best.offset)) < options.min_distance)) break;
    best.count = i + 1;
  }
  if (best.clearance < options.min_distance && !(constraints.present.empty() || constraints.present[first_frame])) {
    best.clearance = options.min_distance;  // absent in the first frame: nothing to avoid there
  }
  return best;
}

// Placement among others: random (heading, offset) pairs; the longest prefix that fits the area
// and keeps min_distance from every track wins (ties: more clearance in the first frame).
Placement PlaceAmongOthers(const std::vector<CocoPose>& poses, int first_frame, const MotionOptions& options,
                           const MotionConstraints& constraints, synthetic::Random* rng) {
  const Eigen::Vector2d box = 2.0 * options.area_half_extents;
  const int count = static_cast<int>(poses.size());
  Placement best;
  best.count = -1;
  for (int attempt = 0; attempt < std::max(1, options.max_place_tries); ++attempt) {
    Placement candidate;
    candidate.clearance = std::numeric_limits<double>::infinity();  // absent in the first frame: free
    candidate.yaw = rng->Uniform(0.0, 2.0 * EIGEN_PI);
    const int fit = std::max(FitPrefix(poses, candidate.yaw, box), 1);
    Eigen::Vector2d lo, hi;
    TurnedBounds(poses, fit, candidate.yaw, &lo, &hi);
    candidate.offset = RandomOffset(lo, hi, options, rng);
    candidate.count = fit;
    for (int i = 0; i < fit && candidate.count == fit; ++i) {
      const int frame = first_frame + i;
      if (!constraints.present.empty() && !constraints.present[frame]) continue;
      const Eigen::Vector2d hip =
          Rotate2d(candidate.yaw, 0.5 * (poses[i].joints[kLHip] + poses[i].joints[kRHip])) + candidate.offset;
      double nearest = std::numeric_limits<double>::infinity();
      for (const auto& track : constraints.avoid) {
        if (track[frame].allFinite()) nearest = std::min(nearest, (track[frame] - hip).norm());
      }
      if (i == 0) candidate.clearance = nearest;
      if (nearest < options.min_distance) candidate.count = i;
    }
    if (candidate.count > best.count || (candidate.count == best.count && candidate.clearance > best.clearance)) {
      best = candidate;
    }
    if (best.count == count) break;
  }
  if (best.count == 0) best = PlaceInTheClearest(poses, first_frame, options, constraints);
  return best;
}

// ---------------------------------------------------------------------------------------------
// Continuous play

using Pose17 = std::array<Eigen::Vector3d, 17>;

constexpr double kBlendSpeed = 1.2;         // m/s: the most the cross-fade itself moves a joint
constexpr double kEscapeMargin = 0.4;       // m beyond min_distance where a continued stretch may end
constexpr double kMinContinuationSeconds = 1.0;  // a shorter best continuation tries the next segment

Eigen::Vector3d MidHip(const Pose17& pose) { return 0.5 * (pose[kLHip] + pose[kRHip]); }
Eigen::Vector3d Ground(const Eigen::Vector2d& xy) { return Eigen::Vector3d(xy.x(), xy.y(), 0.0); }

// Heading (rad) of the horizontal direction across the body, right to left (hips and shoulders).
double AcrossAngle(const Pose17& pose) {
  const Eigen::Vector3d v = pose[kLHip] - pose[kRHip] + pose[kLShoulder] - pose[kRShoulder];
  return std::atan2(v.y(), v.x());
}

// An orthonormal frame (columns) from a first axis and a second direction.
Eigen::Matrix3d FrameOf(const Eigen::Vector3d& first, const Eigen::Vector3d& second) {
  const Eigen::Vector3d x = first.normalized();
  const Eigen::Vector3d y = (second - second.dot(x) * x).normalized();
  Eigen::Matrix3d frame;
  frame << x, y, x.cross(y);
  return frame;
}

// The rotation `w` of the way from the identity to `q`.
Eigen::Quaterniond PartOf(const Eigen::Quaterniond& q, double w) { return Eigen::Quaterniond::Identity().slerp(w, q); }

// The pose `w` (0..1) of the way from `from` to `to`, two poses of one body, keeping every COCO-17
// bone length: the rigid torso (hips, shoulders) turns about the mid-hip, which moves in a straight
// line; every limb segment turns from its old to its new direction; the rigid face turns about its
// centre, carried by the mid-shoulder.
Pose17 BlendPoses(const Pose17& from, const Pose17& to, double w) {
  Pose17 out;
  const Eigen::Vector3d hip_from = MidHip(from), hip_to = MidHip(to);
  const Eigen::Vector3d shoulders_from = 0.5 * (from[kLShoulder] + from[kRShoulder]);
  const Eigen::Vector3d shoulders_to = 0.5 * (to[kLShoulder] + to[kRShoulder]);
  const Eigen::Matrix3d torso_from =
      FrameOf(from[kLHip] - from[kRHip] + from[kLShoulder] - from[kRShoulder], shoulders_from - hip_from);
  const Eigen::Matrix3d torso_to = FrameOf(to[kLHip] - to[kRHip] + to[kLShoulder] - to[kRShoulder], shoulders_to - hip_to);
  const Eigen::Quaterniond torso = PartOf(Eigen::Quaterniond(torso_to * torso_from.transpose()), w);
  const Eigen::Vector3d hip = (1.0 - w) * hip_from + w * hip_to;
  for (int j : {kLShoulder, kRShoulder, kLHip, kRHip}) out[j] = hip + torso * (from[j] - hip_from);

  static constexpr std::array<std::pair<int, int>, 8> kLimbs = {{{kLShoulder, kLElbow}, {kLElbow, kLWrist},
                                                                 {kRShoulder, kRElbow}, {kRElbow, kRWrist},
                                                                 {kLHip, kLKnee}, {kLKnee, kLAnkle},
                                                                 {kRHip, kRKnee}, {kRKnee, kRAnkle}}};
  for (const auto& [parent, child] : kLimbs) {
    const Eigen::Vector3d a = from[child] - from[parent], b = to[child] - to[parent];
    out[child] = out[parent] + PartOf(Eigen::Quaterniond::FromTwoVectors(a, b), w) * a;
  }

  static constexpr std::array<int, 5> kFace = {kNose, kLEye, kREye, kLEar, kREar};
  Eigen::Vector3d centre_from = Eigen::Vector3d::Zero(), centre_to = Eigen::Vector3d::Zero();
  for (int j : kFace) {
    centre_from += from[j] / 5.0;
    centre_to += to[j] / 5.0;
  }
  const Eigen::Matrix3d face_from = FrameOf(from[kLEar] - from[kREar], from[kNose] - centre_from);
  const Eigen::Matrix3d face_to = FrameOf(to[kLEar] - to[kREar], to[kNose] - centre_to);
  const Eigen::Quaterniond face = PartOf(Eigen::Quaterniond(face_to * face_from.transpose()), w);
  const Eigen::Vector3d centre = 0.5 * (out[kLShoulder] + out[kRShoulder]) +
                                 (1.0 - w) * (centre_from - shoulders_from) + w * (centre_to - shoulders_to);
  for (int j : kFace) out[j] = centre + face * (from[j] - centre_from);
  return out;
}

Pose17 Placed(const CocoPose& pose, double yaw, const Eigen::Vector2d& offset) {
  Pose17 out;
  for (int j = 0; j < 17; ++j) {
    const Eigen::Vector2d xy = Rotate2d(yaw, pose.joints[j]) + offset;
    out[j] = Eigen::Vector3d(xy.x(), xy.y(), pose.joints[j].z());
  }
  return out;
}

// One continuation of a stretch: where it goes and its poses as played.
struct Continuation {
  double yaw = 0.0;
  Eigen::Vector2d offset = Eigen::Vector2d::Zero();
  int blend_frames = 0;
  int valid = 0;  // leading frames inside the area and min_distance from the others
  // Frames to play: `valid`, cut back to the last frame with the escape margin (escaped) or, when
  // no frame has it, to the frame with the most clearance (`room`, metres).
  int count = 0;
  bool escaped = false;
  double room = -1.0;
  std::vector<Pose17> poses;  // [valid] world
};

// Escaping beats not escaping; then the longer stretch, or the one ending with more room.
bool Better(const Continuation& a, const Continuation& b) {
  if (a.escaped != b.escaped) return a.escaped;
  return a.escaped ? a.count > b.count : a.room > b.room;
}

// The smallest horizontal distance from `hip` to the others in `frame` (infinity: nobody there or
// this person absent).
double Clearance(const Eigen::Vector2d& hip, int frame, const MotionConstraints& constraints) {
  double nearest = std::numeric_limits<double>::infinity();
  if (!constraints.present.empty() && !constraints.present[frame]) return nearest;
  for (const auto& track : constraints.avoid) {
    if (track[frame].allFinite()) nearest = std::min(nearest, (track[frame] - hip).norm());
  }
  return nearest;
}

bool InsideArea(const Pose17& pose, const MotionOptions& options) {
  const Eigen::Vector2d lo = options.area_center - options.area_half_extents;
  const Eigen::Vector2d hi = options.area_center + options.area_half_extents;
  for (const Eigen::Vector3d& p : pose) {
    if ((p.head<2>().array() < lo.array() - 1e-9).any() || (p.head<2>().array() > hi.array() + 1e-9).any()) return false;
  }
  return true;
}

// `poses` (one stretch as sampled) turned by `yaw`, its first mid-hip put on `last`'s, its first
// frames cross-faded from `last` (held still relative to the moving mid-hip).
Continuation TryHeading(const std::vector<CocoPose>& poses, const Pose17& last, double yaw, int first_frame,
                        const MotionOptions& options, const MotionConstraints& constraints) {
  Continuation c;
  c.yaw = yaw;
  const Eigen::Vector2d start = MidHip(last).head<2>();
  c.offset = start - Rotate2d(yaw, 0.5 * (poses[0].joints[kLHip] + poses[0].joints[kRHip]));
  const Pose17 first = Placed(poses[0], yaw, c.offset);
  double change = 0.0;
  for (int j = 0; j < 17; ++j) change = std::max(change, (first[j] - last[j]).norm());
  // Smoothstep weights: the fastest step is 1.5 / (frames + 1) of the way; turned segments move
  // on arcs up to pi/2 longer than the straight line.
  c.blend_frames = static_cast<int>(std::ceil(1.5 * 0.5 * EIGEN_PI * change / kBlendSpeed * options.fps));
  // Each blended pose goes the share alpha of the way left from the one before (carried along
  // with the mid-hip) to the clip's pose; with the clip's pose held still this is the direct
  // blend with weights w, and a moving (say spinning) clip pose cannot make it jump.
  auto weight = [&](int i) {
    const double t = (i + 1.0) / (c.blend_frames + 1.0);
    return i < 0 ? 0.0 : t * t * (3.0 - 2.0 * t);
  };
  Pose17 previous = last;
  Eigen::Vector2d previous_hip = start;
  int last_with_margin = -1, roomiest = -1;
  for (size_t i = 0; i < poses.size(); ++i) {
    Pose17 pose = Placed(poses[i], yaw, c.offset);
    const Eigen::Vector2d hip = MidHip(pose).head<2>();
    const int b = static_cast<int>(i);
    if (b < c.blend_frames) {
      for (Eigen::Vector3d& p : previous) p += Ground(hip - previous_hip);
      pose = BlendPoses(previous, pose, (weight(b) - weight(b - 1)) / (1.0 - weight(b - 1)));
    }
    previous = pose;
    previous_hip = hip;
    const double clearance = Clearance(hip, first_frame + static_cast<int>(i), constraints);
    if (!InsideArea(pose, options) || clearance < options.min_distance) break;
    if (clearance >= options.min_distance + kEscapeMargin) last_with_margin = static_cast<int>(i);
    if (clearance >= c.room) {
      c.room = clearance;
      roomiest = static_cast<int>(i);
    }
    c.poses.push_back(pose);
  }
  c.valid = static_cast<int>(c.poses.size());
  c.escaped = last_with_margin >= 0;
  c.count = c.escaped ? last_with_margin + 1 : roomiest + 1;
  return c;
}

// The best continuation of one stretch over max_yaw_tries headings: the previous facing first,
// then 15 degree steps either way; the first that plays whole wins, else the longest.
Continuation ContinueStretch(const std::vector<CocoPose>& poses, const Pose17& last, int first_frame,
                             const MotionOptions& options, const MotionConstraints& constraints) {
  Pose17 start;
  for (int j = 0; j < 17; ++j) start[j] = poses[0].joints[j];
  const double facing = AcrossAngle(last) - AcrossAngle(start);
  Continuation best;
  for (int k = 0; k < std::max(1, options.max_yaw_tries); ++k) {
    const int step = (k + 1) / 2 * (k % 2 == 1 ? 1 : -1);  // 0, +1, -1, +2, -2, ...
    Continuation c = TryHeading(poses, last, facing + step * EIGEN_PI / 12.0, first_frame, options, constraints);
    if (Better(c, best)) best = std::move(c);
    if (best.escaped && best.count == static_cast<int>(poses.size())) break;
  }
  return best;
}

// A freely placed stretch cut short by the others: its frames up to the last one with the escape
// margin (all of them when none has it), so that the continuation after it has room.
int TrimToMargin(const std::vector<CocoPose>& poses, const Placement& placement, int first_frame,
                 const MotionOptions& options, const MotionConstraints& constraints) {
  if (placement.count >= static_cast<int>(poses.size())) return placement.count;
  for (int i = placement.count - 1; i > 0; --i) {
    const Eigen::Vector2d hip =
        Rotate2d(placement.yaw, 0.5 * (poses[i].joints[kLHip] + poses[i].joints[kRHip])) + placement.offset;
    if (Clearance(hip, first_frame + i, constraints) >= options.min_distance + kEscapeMargin) return i + 1;
  }
  return placement.count;
}

// The continuation of the stretch due at play position k: the segments order[k], order[k + 1],
// ... (max_unit_tries of them) are tried in turn until one plays whole or at least
// kMinContinuationSeconds; else the longest. *chosen = the position offset of the segment used.
template <typename Sample>
Continuation ContinueUnits(int n, int k, const Pose17& last, int frame, const MotionOptions& options,
                           const MotionConstraints& constraints, const std::vector<int>& order, const Sample& sample,
                           int* chosen) {
  Continuation best;
  const int good = static_cast<int>(std::ceil(kMinContinuationSeconds * options.fps));
  for (int d = 0; d < std::min(n, std::max(1, options.max_unit_tries)); ++d) {
    const std::vector<CocoPose> poses = sample(order[(k + d) % n]);
    Continuation c = ContinueStretch(poses, last, frame, options, constraints);
    const bool whole = c.count == static_cast<int>(poses.size());
    if (Better(c, best)) {
      best = std::move(c);
      *chosen = d;
    }
    if (best.escaped && ((whole && *chosen == d) || best.count >= good)) break;
  }
  return best;
}

}  // namespace

void MotionOptions::Check() const {
  const MotionOptions& options = *this;
  if (options.num_frames < 1) throw InputError("motion", "the number of frames must be at least 1");
  if (!(options.fps > 0.0) || !std::isfinite(options.fps)) throw InputError("motion", "fps must be positive");
  if (!(options.area_half_extents.array() > 0.0).all() || !options.area_half_extents.allFinite()) {
    throw InputError("motion", "the capture area must have a positive size");
  }
  if (!(options.body_scale > 0.0) || !std::isfinite(options.body_scale)) {
    throw InputError("motion", "the body scale must be positive");
  }
  if (!(options.min_distance >= 0.0) || !std::isfinite(options.min_distance)) {
    throw InputError("motion", "the minimum distance must be >= 0");
  }
}

MotionPlayer::MotionPlayer(const MotionLibrary& library, const MotionOptions& options)
    : library_(&library),
      options_(options),
      rng_(synthetic::StreamSeed(options.seed, 0x6D6F74696F6EULL, options.stream)) {  // "motion"; stream 0 is the single-person studio's
  options_.Check();
  const BodyModel& body = library.body();
  const double scale = options_.body_scale;
  seq_.body = body.reference_name();
  seq_.subject_height = scale * body.standing_height();
  const CocoPose rest = body.RestPose();
  for (const Bone& bone : GetSkeleton("coco17").bones) {
    seq_.bone_lengths.push_back(scale * (rest.joints[bone.child] - rest.joints[bone.parent]).norm());
  }
  seq_.points3d = Points3d(options_.num_frames, 17);
  // Units of play: every glitch-free segment of every clip, in a seeded order.
  const std::vector<RetargetedClip>& retargeted = library.clips();
  for (size_t c = 0; c < retargeted.size(); ++c) {
    for (const ClipSegment& segment : retargeted[c].segments()) units_.push_back({static_cast<int>(c), segment});
  }
  const int n = static_cast<int>(units_.size());
  order_.resize(n);
  std::iota(order_.begin(), order_.end(), 0);
  for (int i = n - 1; i > 0; --i) std::swap(order_[i], order_[rng_.Index(static_cast<uint64_t>(i) + 1)]);
  cursor_.assign(n, 0.0);
  if (options_.random_start) {
    for (int u = 0; u < n; ++u) {
      cursor_[u] = rng_.Uniform(0.0, std::max(0.0, units_[u].segment.duration() - 1.0 / options_.fps));
    }
  }
}

std::vector<CocoPose> MotionPlayer::Sample(int u) const {
  const Unit& unit = units_[u];
  const double t0 = unit.segment.start + cursor_[u];
  const int available = std::max(1, static_cast<int>(std::floor((unit.segment.end - t0) * options_.fps + 1e-9)) + 1);
  std::vector<CocoPose> poses(std::min(options_.num_frames - frame_, available));
  for (size_t i = 0; i < poses.size(); ++i) poses[i] = library_->clips()[unit.clip].Sample(t0 + i / options_.fps);
  if (options_.body_scale != 1.0) {
    for (CocoPose& pose : poses) {
      for (auto& p : pose.joints) p *= options_.body_scale;
    }
  }
  return poses;
}

void MotionPlayer::Record(int u, ClipPlay play) {
  const Unit& unit = units_[u];
  play.clip = library_->clips()[unit.clip].name();
  play.clip_start = unit.segment.start + cursor_[u];
  if (play.jump) seq_.jump_frames.push_back(play.first_frame);
  seq_.plays.push_back(play);
  cursor_[u] += play.num_frames / options_.fps;
  if (unit.segment.start + cursor_[u] + 1.0 / options_.fps > unit.segment.end + 1e-9) cursor_[u] = 0.0;
  frame_ += play.num_frames;
  ++turn_;
}

bool MotionPlayer::Continue(const MotionConstraints& constraints) {
  Pose17 last;
  for (int j = 0; j < 17; ++j) last[j] = seq_.points3d.at(frame_ - 1, j);
  const int n = static_cast<int>(units_.size());
  int chosen = 0;
  auto sample = [&](int u) { return Sample(u); };
  const Continuation c = ContinueUnits(n, turn_, last, frame_, options_, constraints, order_, sample, &chosen);
  if (c.count == 0) return false;
  std::swap(order_[turn_ % n], order_[(turn_ + chosen) % n]);
  for (int i = 0; i < c.count; ++i) {
    for (int j = 0; j < 17; ++j) seq_.points3d.at(frame_ + i, j) = c.poses[i][j];
  }
  ClipPlay play;
  play.first_frame = frame_;
  play.num_frames = c.count;
  play.yaw_deg = c.yaw * 180.0 / EIGEN_PI;
  play.offset = c.offset;
  play.continued = true;
  play.blend_frames = std::min(c.blend_frames, c.count);
  Record(order_[turn_ % n], play);
  return true;
}

void MotionPlayer::PlayNext(const MotionConstraints& constraints) {
  if (done()) return;
  const size_t num_frames = static_cast<size_t>(options_.num_frames);
  if (!constraints.present.empty() && constraints.present.size() != num_frames) {
    throw std::invalid_argument("PlayMotion: presence must have one entry per frame");
  }
  for (const auto& track : constraints.avoid) {
    if (track.size() != num_frames) throw std::invalid_argument("PlayMotion: tracks must have one entry per frame");
  }
  auto present = [&](int f) { return constraints.present.empty() || constraints.present[f] != 0; };
  bool jump = false;
  if (options_.continuous && frame_ > 0 && present(frame_ - 1)) {
    if (Continue(constraints)) return;
    jump = present(frame_);
  }
  const bool avoiding = options_.min_distance > 0.0 && !constraints.avoid.empty();
  const int u = order_[turn_ % static_cast<int>(units_.size())];
  const std::vector<CocoPose> poses = Sample(u);
  Placement placement = avoiding ? PlaceAmongOthers(poses, frame_, options_, constraints, &rng_)
                                 : PlaceAlone(poses, options_, &rng_);
  if (avoiding && placement.count == 0) placement.count = 1;  // the body is wider than the area
  if (avoiding && placement.clearance < options_.min_distance) ++seq_.crowded_frames;
  if (avoiding && options_.continuous) placement.count = TrimToMargin(poses, placement, frame_, options_, constraints);
  for (int i = 0; i < placement.count; ++i) {
    for (int j = 0; j < 17; ++j) {
      const Eigen::Vector3d& p = poses[i].joints[j];
      const Eigen::Vector2d xy = Rotate2d(placement.yaw, p) + placement.offset;
      seq_.points3d.at(frame_ + i, j) = Eigen::Vector3d(xy.x(), xy.y(), p.z());
    }
  }
  ClipPlay play;
  play.first_frame = frame_;
  play.num_frames = placement.count;
  play.yaw_deg = placement.yaw * 180.0 / EIGEN_PI;
  play.offset = placement.offset;
  play.jump = jump;
  Record(u, play);
}

MotionSequence PlayMotion(const MotionLibrary& library, const MotionOptions& options,
                          const MotionConstraints& constraints) {
  MotionPlayer player(library, options);
  while (!player.done()) player.PlayNext(constraints);
  return player.Take();
}

}  // namespace epilabel
