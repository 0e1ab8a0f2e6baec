#include "detection/synthetic/motion.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <gtest/gtest.h>

#include "detection/skeleton.h"
#include "detection/synthetic/rigs.h"
#include "foundation/error.h"
#include "tests/detection/synthetic/synthetic_testing.h"

namespace epilabel {
namespace {

// COCO-17 indices used below.
constexpr int kNose = 0, kLShoulder = 5, kRShoulder = 6, kLElbow = 7, kLWrist = 9, kLHip = 11, kRHip = 12,
              kLKnee = 13, kLAnkle = 15, kRAnkle = 16;

const std::vector<BvhMotion>& Clips() {
  static const std::vector<BvhMotion> clips = [] {
    std::vector<BvhMotion> c;
    for (const auto& path : testing::ShippedClips()) c.push_back(ReadBvh(path));
    return c;
  }();
  return clips;
}

Eigen::Vector3d FileToWorld(const Eigen::Vector3d& p) { return Eigen::Vector3d(p.x(), -p.z(), p.y()); }

double AngleBetween(const Eigen::Vector3d& a, const Eigen::Vector3d& b) {
  return std::atan2(a.cross(b).norm(), a.dot(b));
}

TEST(Motion, ShippedClipsAreCmuSkeletonsAndOthersAreRejected) {
  for (const auto& clip : Clips()) EXPECT_NO_THROW(CheckCmuSkeleton(clip)) << clip.name;
  BvhMotion other = ParseBvh(
      "HIERARCHY\nROOT Hips\n{\nOFFSET 0 0 0\nCHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation\n"
      "End Site\n{\nOFFSET 0 1 0\n}\n}\nMOTION\nFrames: 1\nFrame Time: 0.01\n0 0 0 0 0 0\n",
      "tiny.bvh");
  other.name = "tiny";
  try {
    CheckCmuSkeleton(other);
    ADD_FAILURE() << "a one-joint skeleton was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("tiny"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("31-joint CMU skeleton"), std::string::npos) << e.what();
  }
  EXPECT_THROW(GenerateMotion({other}, MotionOptions{}), InputError);
  EXPECT_THROW(GenerateMotion({}, MotionOptions{}), InputError);
}

TEST(Motion, RestPoseIsAnUprightPersonOnTheFloor) {
  const BodyModel body(Clips()[0]);
  const CocoPose rest = body.RestPose();
  EXPECT_GT(body.standing_height(), 1.4);
  EXPECT_LT(body.standing_height(), 1.9);
  // The stature stands the legs straight: taller than the rest pose, whose legs splay outwards,
  // by no more than a few centimetres.
  EXPECT_GT(body.standing_height(), rest.head_top.z());
  EXPECT_LT(body.standing_height() - rest.head_top.z(), 0.08);
  EXPECT_GT(rest.head_top.z(), rest.joints[kNose].z());
  EXPECT_GT(rest.joints[kNose].z(), rest.joints[kLShoulder].z());
  EXPECT_GT(rest.joints[kLShoulder].z(), rest.joints[kLHip].z());
  EXPECT_GT(rest.joints[kLHip].z(), rest.joints[kLKnee].z());
  EXPECT_GT(rest.joints[kLKnee].z(), rest.joints[kLAnkle].z());
  EXPECT_NEAR(std::min(rest.joints[kLAnkle].z(), rest.joints[kRAnkle].z()), 0.08, 0.03);
  // Left is +x at rest (the person faces -y); the nose is in front of the head (-y).
  EXPECT_GT(rest.joints[kLHip].x(), rest.joints[kRHip].x());
  EXPECT_GT(rest.joints[kLShoulder].x(), rest.joints[kRShoulder].x());
  EXPECT_LT(rest.joints[kNose].y(), 0.5 * (rest.joints[3].y() + rest.joints[4].y()));
  // Plausible proportions: hip width 0.1-0.4 m, shoulder width 0.25-0.5 m, thigh 0.3-0.55 m.
  EXPECT_GT((rest.joints[kLHip] - rest.joints[kRHip]).norm(), 0.1);
  EXPECT_LT((rest.joints[kLHip] - rest.joints[kRHip]).norm(), 0.4);
  EXPECT_GT((rest.joints[kLShoulder] - rest.joints[kRShoulder]).norm(), 0.25);
  EXPECT_LT((rest.joints[kLShoulder] - rest.joints[kRShoulder]).norm(), 0.5);
  EXPECT_GT((rest.joints[kLHip] - rest.joints[kLKnee]).norm(), 0.3);
  EXPECT_LT((rest.joints[kLHip] - rest.joints[kLKnee]).norm(), 0.55);
}

// Retargeting a clip of another subject (131, arms-down rest pose) keeps the direction of
// every limb segment of the source motion and the body's segment lengths.
TEST(Motion, RetargetingKeepsSourceLimbDirections) {
  const BodyModel body(Clips()[0]);
  const BvhMotion& source = Clips()[3];
  ASSERT_EQ(source.name, "131_03");
  const RetargetedClip clip(source, &body);
  EXPECT_NE(clip.translation_scale(), 1.0);
  const CocoPose rest = body.RestPose();
  const double shin = (rest.joints[kLAnkle] - rest.joints[kLKnee]).norm();
  const double forearm = (rest.joints[kLWrist] - rest.joints[kLElbow]).norm();
  for (int f = 0; f < source.num_frames; f += 37) {
    const CocoPose pose = clip.Sample(f * source.frame_time);
    const auto p = JointPositionsAtFrame(source, f);
    const Eigen::Vector3d source_shin = FileToWorld(p[cmu::kLeftFoot] - p[cmu::kLeftLeg]);
    const Eigen::Vector3d source_forearm = FileToWorld(p[cmu::kLeftHand] - p[cmu::kLeftForeArm]);
    const Eigen::Vector3d shin_vec = pose.joints[kLAnkle] - pose.joints[kLKnee];
    const Eigen::Vector3d forearm_vec = pose.joints[kLWrist] - pose.joints[kLElbow];
    EXPECT_LT(AngleBetween(shin_vec, source_shin), 1e-6) << "frame " << f;
    EXPECT_LT(AngleBetween(forearm_vec, source_forearm), 1e-6) << "frame " << f;
    EXPECT_NEAR(shin_vec.norm(), shin, 1e-12);
    EXPECT_NEAR(forearm_vec.norm(), forearm, 1e-12);
  }
}

TEST(Motion, BoneLengthsAreExactlyConstantAcrossClipsAndResampling) {
  MotionOptions options;
  options.num_frames = 2400;
  options.fps = 25.0;  // not a divisor of 120: every frame is interpolated
  options.seed = 7;
  const MotionSequence seq = GenerateMotion(Clips(), options);
  std::set<std::string> played;
  for (const auto& play : seq.plays) played.insert(play.clip);
  EXPECT_EQ(played.size(), 4u) << "every clip (three CMU subjects) is played";
  const auto& bones = GetSkeleton("coco17").bones;
  ASSERT_EQ(seq.bone_lengths.size(), bones.size());
  double worst = 0.0;
  for (int f = 0; f < seq.points3d.num_frames(); ++f) {
    for (size_t b = 0; b < bones.size(); ++b) {
      const double length = (seq.points3d.at(f, bones[b].child) - seq.points3d.at(f, bones[b].parent)).norm();
      worst = std::max(worst, std::abs(length - seq.bone_lengths[b]));
    }
  }
  EXPECT_LT(worst, 1e-9);
  for (double length : seq.bone_lengths) EXPECT_GT(length, 0.02);
}

// Slerp of the joint rotations: no jumps inside a clip even across the +-180 degree Euler
// wraps of the files, at any output rate, and feet never below the floor.
TEST(Motion, ResampledMotionIsSmoothAndAboveTheFloor) {
  for (double fps : {30.0, 240.0}) {
    MotionOptions options;
    options.num_frames = fps == 30.0 ? 1200 : 2400;
    options.fps = fps;
    options.area_half_extents = Eigen::Vector2d(4.0, 4.0);  // room for whole clips
    const MotionSequence seq = GenerateMotion(Clips(), options);
    std::set<int> starts;
    for (const auto& play : seq.plays) starts.insert(play.first_frame);
    double worst_step = 0.0, lowest = 1e9;
    for (int f = 0; f < seq.points3d.num_frames(); ++f) {
      for (int j = 0; j < 17; ++j) lowest = std::min(lowest, seq.points3d.at(f, j).z());
      if (f == 0 || starts.count(f)) continue;
      for (int j = 0; j < 17; ++j) {
        worst_step = std::max(worst_step, (seq.points3d.at(f, j) - seq.points3d.at(f - 1, j)).norm() * fps);
      }
    }
    // Fast limbs in a dance or a jump move at a few m/s, never tens.
    EXPECT_LT(worst_step, 15.0) << "fps " << fps;
    EXPECT_GT(lowest, 0.0) << "fps " << fps;
  }
}

TEST(Motion, InterpolatedPosesLieBetweenTheFrames) {
  const BodyModel body(Clips()[0]);
  const RetargetedClip clip(Clips()[2], &body);  // 05_06 dance: fast limbs
  const double dt = Clips()[2].frame_time;
  for (int f = 10; f < Clips()[2].num_frames - 1; f += 53) {
    const CocoPose a = clip.Sample(f * dt), b = clip.Sample((f + 1) * dt), mid = clip.Sample((f + 0.5) * dt);
    const Eigen::Vector3d da = a.joints[kLWrist] - a.joints[kLElbow], db = b.joints[kLWrist] - b.joints[kLElbow];
    const Eigen::Vector3d dm = mid.joints[kLWrist] - mid.joints[kLElbow];
    const double total = AngleBetween(da, db);
    EXPECT_LE(AngleBetween(da, dm), total + 1e-9);
    EXPECT_LE(AngleBetween(dm, db), total + 1e-9);
  }
}

TEST(Motion, EveryClipStandsOnTheFloor) {
  const BodyModel body(Clips()[0]);
  for (const auto& source : Clips()) {
    const RetargetedClip clip(source, &body);
    double lowest_ankle = 1e9, lowest_foot = 1e9;
    for (const ClipSegment& segment : clip.segments()) {
      for (double t = segment.start; t <= segment.end + 1e-9; t += source.frame_time) {
        const CocoPose p = clip.Sample(t);
        lowest_ankle = std::min({lowest_ankle, p.joints[kLAnkle].z(), p.joints[kRAnkle].z()});
        lowest_foot = std::min({lowest_foot, p.joints[kLAnkle].z() - 0.08, p.joints[kRAnkle].z() - 0.08,
                                p.toes[0].z() - 0.055, p.toes[1].z() - 0.055});
      }
    }
    // The floor is where the ankles (8 cm above it) or the toe bases (5.5 cm) come lowest.
    EXPECT_NEAR(lowest_foot, 0.0, 1e-9) << source.name;
    EXPECT_GT(lowest_ankle, 0.06) << source.name;
    EXPECT_LT(lowest_ankle, 0.2) << source.name;
  }
}

// The T-pose frame of 01_01 and the limb flips of 05_06 are cut out; segments are smooth.
TEST(Motion, CaptureGlitchesAreCutOut) {
  const BodyModel body(Clips()[0]);
  for (const auto& source : Clips()) {
    const RetargetedClip clip(source, &body);
    ASSERT_FALSE(clip.segments().empty());
    double covered = 0.0;
    for (const ClipSegment& segment : clip.segments()) {
      EXPECT_GE(segment.duration(), RetargetedClip::kMinSegmentSeconds - 1e-9);
      covered += segment.duration();
      CocoPose previous = clip.Sample(segment.start);
      for (double t = segment.start + source.frame_time; t <= segment.end + 1e-9; t += source.frame_time) {
        const CocoPose p = clip.Sample(t);
        for (int j = 0; j < 17; ++j) {
          ASSERT_LE((p.joints[j] - previous.joints[j]).norm(), RetargetedClip::kMaxJointSpeed * source.frame_time + 1e-9)
              << source.name << " t=" << t;
        }
        previous = p;
      }
    }
    if (source.name == "01_01") {
      EXPECT_GT(clip.segments().front().start, 0.0) << "frame 0 is a T-pose";
    }
    if (source.name == "05_06") {
      EXPECT_GT(clip.segments().size(), 1u);
    }
    if (source.name == "02_01" || source.name == "131_03") {
      EXPECT_EQ(clip.segments().size(), 1u) << source.name << " is clean";
      EXPECT_NEAR(covered, clip.duration(), 1e-9);
    }
    EXPECT_GT(covered, 0.5 * clip.duration()) << source.name;
  }
}

TEST(Motion, PersonStaysInsideTheCaptureAreaOfEveryRig) {
  for (const auto& name : StudioRigNames()) {
    const StudioRig rig = MakeStudioRig(name);
    MotionOptions options;
    options.num_frames = 1500;
    options.area_center = rig.area_center;
    options.area_half_extents = rig.area_half_extents;
    options.seed = 3;
    const MotionSequence seq = GenerateMotion(Clips(), options);
    for (int f = 0; f < seq.points3d.num_frames(); ++f) {
      for (int j = 0; j < 17; ++j) {
        const Eigen::Vector2d d = seq.points3d.at(f, j).head<2>() - rig.area_center;
        ASSERT_LE(std::abs(d.x()), rig.area_half_extents.x() + 1e-9) << name << " frame " << f;
        ASSERT_LE(std::abs(d.y()), rig.area_half_extents.y() + 1e-9) << name << " frame " << f;
      }
    }
    int total = 0;
    for (const auto& play : seq.plays) {
      EXPECT_EQ(play.first_frame, total);
      EXPECT_GE(play.num_frames, 1);
      total += play.num_frames;
    }
    EXPECT_EQ(total, options.num_frames);
  }
}

TEST(Motion, SameSeedSameMotionOtherSeedOtherMotion) {
  MotionOptions options;
  options.num_frames = 300;
  options.seed = 11;
  const MotionSequence a = GenerateMotion(Clips(), options);
  const MotionSequence b = GenerateMotion(Clips(), options);
  EXPECT_EQ(a.points3d.data(), b.points3d.data());
  options.seed = 12;
  const MotionSequence c = GenerateMotion(Clips(), options);
  EXPECT_NE(a.points3d.data(), c.points3d.data());
}

TEST(Motion, PlayMotionOnALibraryEqualsGenerateMotion) {
  MotionOptions options;
  options.num_frames = 400;
  options.seed = 4;
  const MotionLibrary library(Clips());
  const MotionSequence a = GenerateMotion(Clips(), options);
  const MotionSequence b = PlayMotion(library, options);
  EXPECT_EQ(a.points3d.data(), b.points3d.data());
  EXPECT_EQ(a.bone_lengths, b.bone_lengths);
  EXPECT_EQ(a.subject_height, b.subject_height);
}

TEST(Motion, BodyScaleScalesBonesAndHeight) {
  MotionOptions options;
  options.num_frames = 300;
  options.seed = 4;
  options.area_half_extents = Eigen::Vector2d(2.0, 2.0);
  const MotionLibrary library(Clips());
  const MotionSequence base = PlayMotion(library, options);
  options.body_scale = 1.2;
  options.stream = 3;
  options.random_start = true;
  const MotionSequence tall = PlayMotion(library, options);
  EXPECT_NEAR(tall.subject_height, 1.2 * base.subject_height, 1e-12);
  const auto& bones = GetSkeleton("coco17").bones;
  ASSERT_EQ(tall.bone_lengths.size(), bones.size());
  double worst = 0.0, lowest = 1e9;
  for (int f = 0; f < tall.points3d.num_frames(); ++f) {
    for (size_t b = 0; b < bones.size(); ++b) {
      EXPECT_NEAR(tall.bone_lengths[b], 1.2 * base.bone_lengths[b], 1e-12);
      const double length = (tall.points3d.at(f, bones[b].child) - tall.points3d.at(f, bones[b].parent)).norm();
      worst = std::max(worst, std::abs(length - tall.bone_lengths[b]));
    }
    for (int j = 0; j < 17; ++j) lowest = std::min(lowest, tall.points3d.at(f, j).z());
  }
  EXPECT_LT(worst, 1e-9);
  EXPECT_GT(lowest, 0.0);  // still on (above) the floor
  EXPECT_NE(tall.plays[0].clip_start, base.plays[0].clip_start);  // another stream, a random start
}

TEST(Motion, PeoplePlacedAgainstOthersKeepTheMinimumDistance) {
  const MotionLibrary library(Clips());
  MotionOptions options;
  options.num_frames = 600;
  options.seed = 8;
  options.area_half_extents = Eigen::Vector2d(1.6, 1.6);
  options.min_distance = 0.8;
  options.random_start = true;
  MotionConstraints constraints;
  for (int p = 0; p < 3; ++p) {
    options.stream = static_cast<uint64_t>(p);
    const MotionSequence seq = PlayMotion(library, options, constraints);
    EXPECT_EQ(seq.crowded_frames, 0);
    const std::vector<Eigen::Vector2d> track = MidHipTrack(seq.points3d);
    for (const auto& other : constraints.avoid) {
      for (int f = 0; f < options.num_frames; ++f) ASSERT_GE((track[f] - other[f]).norm(), 0.8) << p << " " << f;
    }
    constraints.avoid.push_back(track);
  }
  // Frames where this person is absent are not constrained: a track pinned to the centre.
  options.stream = 7;
  MotionConstraints blocked;
  blocked.avoid.assign(1, std::vector<Eigen::Vector2d>(options.num_frames, Eigen::Vector2d::Zero()));
  blocked.present.assign(options.num_frames, 1);
  for (int f = 0; f < 300; ++f) blocked.present[f] = 0;
  const MotionSequence seq = PlayMotion(library, options, blocked);
  const std::vector<Eigen::Vector2d> track = MidHipTrack(seq.points3d, blocked.present);
  for (int f = 0; f < options.num_frames; ++f) {
    EXPECT_EQ(track[f].allFinite(), f >= 300);
    if (f >= 300) {
      ASSERT_GE(track[f].norm(), 0.8) << f;
    }
  }
}

// Largest mid-hip ground step and joint step (metres) between consecutive frames, except at the
// first frames of `skip`.
std::pair<double, double> LargestSteps(const Points3d& points, const std::set<int>& skip) {
  double hip = 0.0, joint = 0.0;
  for (int f = 1; f < points.num_frames(); ++f) {
    if (skip.count(f) != 0) continue;
    const auto mid_hip = [&](int g) { return Eigen::Vector2d(0.5 * (points.at(g, kLHip) + points.at(g, kRHip)).head<2>()); };
    hip = std::max(hip, (mid_hip(f) - mid_hip(f - 1)).norm());
    for (int j = 0; j < 17; ++j) joint = std::max(joint, (points.at(f, j) - points.at(f - 1, j)).norm());
  }
  return {hip, joint};
}

TEST(Motion, ContinuousPlayStartsEveryStretchWhereTheLastEnded) {
  const MotionLibrary library(Clips());
  MotionOptions options;
  options.num_frames = 900;
  options.seed = 5;
  options.area_half_extents = Eigen::Vector2d(1.2, 1.2);  // small: many stretches are cut
  options.random_start = true;
  const MotionSequence jumping = PlayMotion(library, options);
  options.continuous = true;
  const MotionSequence seq = PlayMotion(library, options);
  ASSERT_GE(seq.plays.size(), 5u);
  EXPECT_TRUE(seq.jump_frames.empty());
  std::set<int> starts;
  for (size_t i = 1; i < seq.plays.size(); ++i) {
    EXPECT_TRUE(seq.plays[i].continued) << i;
    EXPECT_FALSE(seq.plays[i].jump) << i;
    starts.insert(seq.plays[i].first_frame);
  }
  // The mid-hip walks (CMU clips: < 0.11 m a frame at 30 fps) and no joint moves faster than
  // 10 m/s, across the stretch boundaries too; the old placement jumps there.
  const auto [hip, joint] = LargestSteps(seq.points3d, {});
  EXPECT_LT(hip, 0.12);
  EXPECT_LT(joint * options.fps, 10.0);
  std::set<int> jumping_starts;
  for (const ClipPlay& play : jumping.plays) jumping_starts.insert(play.first_frame);
  EXPECT_GT(LargestSteps(jumping.points3d, {}).first, 0.3);
  EXPECT_LT(LargestSteps(jumping.points3d, jumping_starts).first, 0.12);
  // Cross-faded or not, every pose keeps the bone lengths and stays in the area.
  const auto& bones = GetSkeleton("coco17").bones;
  double worst = 0.0;
  for (int f = 0; f < options.num_frames; ++f) {
    for (size_t b = 0; b < bones.size(); ++b) {
      const double length = (seq.points3d.at(f, bones[b].child) - seq.points3d.at(f, bones[b].parent)).norm();
      worst = std::max(worst, std::abs(length - seq.bone_lengths[b]));
    }
    for (int j = 0; j < 17; ++j) {
      ASSERT_LE(seq.points3d.at(f, j).head<2>().cwiseAbs().maxCoeff(), 1.2 + 1e-9) << f;
    }
  }
  EXPECT_LT(worst, 1e-9);
  int blended = 0;
  for (const ClipPlay& play : seq.plays) blended += play.blend_frames;
  EXPECT_GT(blended, 0);
}

TEST(Motion, TakingTurnsGivesThePlayedMotion) {
  const MotionLibrary library(Clips());
  MotionOptions options;
  options.num_frames = 300;
  options.seed = 6;
  options.continuous = true;
  MotionPlayer player(library, options);
  int turns = 0;
  while (!player.done()) {
    const int before = player.frame();
    player.PlayNext({});
    EXPECT_GT(player.frame(), before);
    ++turns;
  }
  EXPECT_EQ(turns, static_cast<int>(player.sequence().plays.size()));
  EXPECT_EQ(player.sequence().points3d.data(), PlayMotion(library, options).points3d.data());
}

TEST(Motion, BadOptionsAreInputErrors) {
  MotionOptions options;
  options.num_frames = 0;
  EXPECT_THROW(GenerateMotion(Clips(), options), InputError);
  options.num_frames = 10;
  options.fps = 0.0;
  EXPECT_THROW(GenerateMotion(Clips(), options), InputError);
  options.fps = 30.0;
  options.area_half_extents = Eigen::Vector2d(0.0, 1.0);
  EXPECT_THROW(GenerateMotion(Clips(), options), InputError);
  options.area_half_extents = Eigen::Vector2d(1.0, 1.0);
  options.body_scale = 0.0;
  EXPECT_THROW(GenerateMotion(Clips(), options), InputError);
  options.body_scale = 1.0;
  options.min_distance = -1.0;
  EXPECT_THROW(GenerateMotion(Clips(), options), InputError);
}

}  // namespace
}  // namespace epilabel
