// Motion for the synthetic studio: CMU motion capture (BVH) retargeted onto one fixed body,
// mapped to COCO-17, resampled to the studio's frame rate and placed in the capture area.
//
// Retargeting. Every clip drives one fixed body: the bone offsets of a reference clip. A
// clip's own joint rotations (slerp-interpolated between its 120 Hz frames) give the world
// direction of each limb segment, which is applied to the reference body's segment length;
// the root translation is scaled by the ratio of leg lengths. Because COCO-17 also has
// "bones" across the torso (hip-hip, shoulder-hip, shoulder-shoulder), the torso is made
// rigid: hips, shoulders and the neck base are the reference rest-pose points carried by one
// torso rotation, the half-way slerp between the pelvis (Hips) and chest (Spine1) rotations.
// Every COCO-17 bone therefore has exactly the same length in every frame of every clip.
//
// Mapping to COCO-17: hips = the thigh roots (LeftUpLeg/RightUpLeg), knees = LeftLeg/RightLeg,
// ankles = LeftFoot/RightFoot, shoulders = the arm roots (LeftArm/RightArm), elbows =
// LeftForeArm/RightForeArm, wrists = LeftHand/RightHand; nose, eyes and ears are fixed
// offsets in the frame of the Head joint (see kFaceOffsets in motion.cc).
//
// Frames: BVH files are Y up (file units); the studio's world is z up, metres
// (x_world = x_file, y_world = -z_file, z_world = y_file, times kCmuMetresPerUnit), with the
// floor at z = 0 (ankle joints 8 cm above it when standing).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <Eigen/Geometry>

#include "detection/synthetic/bvh.h"
#include "detection/synthetic/random.h"
#include "geometry/core/observations.h"

namespace epilabel {

// Metres per CMU BVH length unit ((1 / 0.45) inch).
constexpr double kCmuMetresPerUnit = 0.056444;

// The 31 joints of the CMU skeleton as converted to BVH by cgspeed, by position in the file
// (names differ between releases: LeftUpLeg/LeftHip, LeftArm/LeftShoulder, ...; the structure
// does not).
namespace cmu {
enum Joint : int {
  kHips = 0, kLHipJoint, kLeftUpLeg, kLeftLeg, kLeftFoot, kLeftToeBase,
  kRHipJoint, kRightUpLeg, kRightLeg, kRightFoot, kRightToeBase,
  kLowerBack, kSpine, kSpine1, kNeck, kNeck1, kHead,
  kLeftShoulder, kLeftArm, kLeftForeArm, kLeftHand, kLeftFingerBase, kLeftFingers, kLeftThumb,
  kRightShoulder, kRightArm, kRightForeArm, kRightHand, kRightFingerBase, kRightFingers, kRightThumb,
  kNumJoints
};
// Parent of every joint (-1 for the root).
const std::array<int, kNumJoints>& Parents();
}  // namespace cmu

// Throws InputError naming the clip unless it has the 31-joint CMU hierarchy with three
// rotation channels per joint (and position channels on the root).
void CheckCmuSkeleton(const BvhMotion& motion);

// COCO-17 joints (detection/skeleton.h order) and the head top of one pose.
struct CocoPose {
  std::array<Eigen::Vector3d, 17> joints;
  Eigen::Vector3d head_top = Eigen::Vector3d::Zero();
  std::array<Eigen::Vector3d, 2> toes;  // left, right toe base (for the floor)
};

// The fixed body every clip is retargeted onto.
class BodyModel {
 public:
  BodyModel() = default;
  // The body of `reference` (its offsets); throws InputError unless it is a CMU skeleton.
  explicit BodyModel(const BvhMotion& reference);

  // The COCO-17 pose of this body for a source pose: `source_joints` (hierarchy with the
  // source's offsets), `source_world` (FK of the source pose), `root` = root position already
  // scaled to this body, file units. Output in world axes (z up), metres, not yet floored.
  CocoPose Retarget(const std::vector<BvhJoint>& source_joints, const BvhWorldPose& source_world,
                    const Eigen::Vector3d& root) const;
  // The rest pose (all rotations identity) standing on z = 0.
  CocoPose RestPose() const;
  // Thigh + shin length (mean of both legs), file units.
  double leg_length() const { return leg_length_; }
  // Standing height (stature): head top above the floor standing upright with straight legs, metres.
  double standing_height() const { return standing_height_; }
  const std::string& reference_name() const { return reference_name_; }
  const std::vector<BvhJoint>& joints() const { return joints_; }

 private:
  std::vector<BvhJoint> joints_;
  std::vector<Eigen::Vector3d> rest_positions_;  // relative to the root, file units
  double leg_length_ = 0.0;
  double standing_height_ = 0.0;
  std::string reference_name_;
};

// A stretch of a clip free of capture glitches, in seconds from the clip's first frame.
struct ClipSegment {
  double start = 0.0;
  double end = 0.0;
  double duration() const { return end - start; }
};

// One clip retargeted onto a body and ready to sample at any time.
//
// Motion capture files have glitches: a T-pose as the first frame, limbs that flip for a few
// frames (05_06 has several). The clip is cut wherever a COCO joint would move faster than
// kMaxJointSpeed between two consecutive frames; stretches shorter than kMinSegmentSeconds are
// dropped; the rest are the clip's segments, the only parts GenerateMotion plays.
class RetargetedClip {
 public:
  static constexpr double kMaxJointSpeed = 12.0;      // m/s
  static constexpr double kMinSegmentSeconds = 1.0;

  // Throws InputError unless `clip` is a CMU skeleton with at least one glitch-free segment.
  // Keeps a pointer to `body`.
  RetargetedClip(const BvhMotion& clip, const BodyModel* body);

  const std::string& name() const { return name_; }
  double duration() const { return duration_; }  // seconds
  const std::vector<ClipSegment>& segments() const { return segments_; }
  // Ratio body leg length / clip leg length applied to the root translation.
  double translation_scale() const { return translation_scale_; }
  // The pose at `seconds` (clamped to [0, duration]): joint rotations slerped between the two
  // neighbouring frames, root translation interpolated linearly. World axes (z up), metres,
  // floor of this clip at z = 0 (where the feet come lowest within the segments), horizontal
  // placement as recorded.
  CocoPose Sample(double seconds) const;

 private:
  CocoPose SampleUnfloored(double seconds) const;
  CocoPose SampleFrame(int frame) const;  // exactly at a file frame, unfloored

  std::string name_;
  const BodyModel* body_ = nullptr;
  std::vector<BvhJoint> joints_;                 // the clip's hierarchy (its own offsets)
  std::vector<Eigen::Quaterniond> rotations_;    // [frame * joints + joint] parent_from_joint
  std::vector<Eigen::Vector3d> root_positions_;  // [frame] root position, scaled to the body, file units
  double frame_time_ = 0.0;
  int num_frames_ = 0;
  double duration_ = 0.0;
  double translation_scale_ = 1.0;
  double floor_z_ = 0.0;  // metres, subtracted from z
  std::vector<ClipSegment> segments_;
};

struct MotionOptions {
  int num_frames = 600;
  double fps = 30.0;
  // Capture area: the rectangle [center - half_extents, center + half_extents] of the floor
  // (world x, y, metres); every joint of every frame stays inside it.
  Eigen::Vector2d area_center = Eigen::Vector2d::Zero();
  Eigen::Vector2d area_half_extents = Eigen::Vector2d(1.5, 1.5);
  uint64_t seed = 1;
  int max_yaw_tries = 24;  // random headings tried per clip before shortening it
  // Several people (all defaults leave the single-person result unchanged):
  uint64_t stream = 0;        // random stream of this person (the person's index)
  double body_scale = 1.0;    // every joint position scaled about the clip's floor origin (> 0):
                              // bone lengths, height and stride scale together
  bool random_start = false;  // start every clip segment at a random time instead of its start
  double min_distance = 0.0;  // metres between this person's mid-hip and every MotionConstraints
                              // track (horizontal), in frames where both are present
  int max_place_tries = 48;   // random (heading, offset) pairs tried per stretch when avoiding others
  // Continuous play (several people): every stretch after the first starts where the previous
  // one ended (same mid-hip ground position), at the first of max_yaw_tries headings (the
  // previous facing first, then 15 degree steps either way) that keeps the stretch in the area
  // and clear of the others for longest; the pose is cross-faded from the last one (bone lengths
  // kept). Only when no continuation of max_unit_tries clip segments fits does the person jump
  // to a new place (MotionSequence.jump_frames). false = the single-person placement.
  bool continuous = false;
  int max_unit_tries = 8;     // clip segments tried, in play order, for a continuation

  // Throws InputError for frames < 1, fps <= 0, an empty area, body_scale <= 0, min_distance < 0.
  void Check() const;
};

// Other people to keep away from, and when this person is present.
struct MotionConstraints {
  // Horizontal mid-hip tracks [frames] (world x, y metres) of people already placed; NaN where
  // that person is absent.
  std::vector<std::vector<Eigen::Vector2d>> avoid;
  // [frames] 1 where this person is present (only those frames are checked); empty = all.
  std::vector<uint8_t> present;
};

// One played stretch of a clip.
struct ClipPlay {
  std::string clip;
  int first_frame = 0;      // first output frame
  int num_frames = 0;
  double clip_start = 0.0;  // seconds into the clip (not the segment) of the first frame
  double yaw_deg = 0.0;     // heading applied about the vertical axis
  Eigen::Vector2d offset = Eigen::Vector2d::Zero();  // horizontal translation applied, metres
  // Continuous play: the stretch continues the previous one (its first blend_frames frames
  // cross-fade from the previous last pose, so yaw and offset hold exactly only after them).
  bool continued = false;
  int blend_frames = 0;
  bool jump = false;  // placed afresh while present before and after (a teleport)
};

struct MotionSequence {
  Points3d points3d;                 // [frames, 17] world metres
  std::vector<ClipPlay> plays;       // in order
  std::vector<double> bone_lengths;  // COCO-17 bones (skeleton.h order), metres
  double subject_height = 0.0;       // metres
  std::string body;                  // name of the reference clip
  int crowded_frames = 0;            // stretch starts placed closer than min_distance (no free spot found)
  // Continuous play: first frames of the stretches where the person jumped to a new place
  // (present in that frame and the one before; no continuation fitted).
  std::vector<int> jump_frames;
};

// Plays the glitch-free segments of the clips in turn (a seeded shuffle, then cyclically; each
// segment continues where it stopped) until `num_frames` frames at `fps`. Each stretch gets a random heading and a random
// horizontal offset that keep every joint inside the capture area; a stretch that cannot fit
// whole is cut at the longest prefix that fits. The body is that of clips[0]. Throws
// InputError for empty `clips`, non-CMU skeletons or bad options.
MotionSequence GenerateMotion(const std::vector<BvhMotion>& clips, const MotionOptions& options);

// The body (of clips[0]) and every clip retargeted onto it, built once and played by several
// people. Throws InputError for empty `clips` or non-CMU skeletons.
class MotionLibrary {
 public:
  explicit MotionLibrary(const std::vector<BvhMotion>& clips);
  const BodyModel& body() const { return *body_; }
  const std::vector<RetargetedClip>& clips() const { return clips_; }

 private:
  std::unique_ptr<BodyModel> body_;  // the clips point to it
  std::vector<RetargetedClip> clips_;
};

// GenerateMotion on a library, for one of several people: with options.min_distance > 0 each
// freely placed stretch tries up to max_place_tries random (heading, offset) pairs and keeps the
// one whose collision-free prefix (mid-hip at least min_distance from every `constraints.avoid`
// track in frames where both are present) is longest, cutting the stretch there. When no pair
// frees even the first frame, the pair with the most clearance is kept
// (MotionSequence.crowded_frames). With options.continuous, stretches after the first are
// continuations (see MotionOptions::continuous) while the person is present; a continuation is
// cut early enough to leave the others 0.4 m more than min_distance where it can, so that the
// next one has room to turn away.
MotionSequence PlayMotion(const MotionLibrary& library, const MotionOptions& options,
                          const MotionConstraints& constraints = {});

// PlayMotion one stretch at a time, so that several people can take turns (each stretch placed
// among the others' stretches played so far). Keeps a pointer to `library`.
class MotionPlayer {
 public:
  // Throws InputError for bad options.
  MotionPlayer(const MotionLibrary& library, const MotionOptions& options);
  // Plays the next stretch (see PlayMotion); `constraints` must cover every frame.
  void PlayNext(const MotionConstraints& constraints);
  bool done() const { return frame_ >= options_.num_frames; }
  int frame() const { return frame_; }  // the first frame not played yet
  const MotionSequence& sequence() const { return seq_; }
  MotionSequence Take() { return std::move(seq_); }

 private:
  struct Unit {
    int clip = 0;
    ClipSegment segment;
  };
  std::vector<CocoPose> Sample(int unit) const;  // unit's poses from its cursor, at most to the end
  bool Continue(const MotionConstraints& constraints);
  void Record(int unit, ClipPlay play);

  const MotionLibrary* library_ = nullptr;
  MotionOptions options_;
  synthetic::Random rng_;
  MotionSequence seq_;
  std::vector<Unit> units_;     // every glitch-free segment of every clip
  std::vector<int> order_;      // play order of the units (cyclic)
  std::vector<double> cursor_;  // seconds into each unit
  int frame_ = 0;
  int turn_ = 0;                // stretches played
};

// The horizontal mid-hip track of `points` ([frames, 17]), NaN where `present` (if not empty) is 0.
std::vector<Eigen::Vector2d> MidHipTrack(const Points3d& points, const std::vector<uint8_t>& present = {});

}  // namespace epilabel
