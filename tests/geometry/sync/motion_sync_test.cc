#include "geometry/sync/motion_sync.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "tests/geometry/sync/sync_fixture.h"

namespace epilabel {
namespace {

using testing::MakeSyncInput;
using testing::RingRig;

TEST(EstimateOffsetsFromMotion, WholeFrameShiftsOfAnExactSignal) {
  const std::vector<double> offsets = {0.0, 3.0 / 30, -7.0 / 30, 12.0 / 30};
  const SyncInput input = MakeSyncInput(RingRig(4), offsets, {30, 30, 30, 30}, 40.0, 0.0);
  const SyncResult r = EstimateOffsetsFromMotion(input);
  ASSERT_TRUE(r.success) << r.reason;
  for (int c = 1; c < 4; ++c) {
    EXPECT_TRUE(r.cameras[c].estimated) << r.cameras[c].note;
    EXPECT_NEAR(r.cameras[c].offset_frames, offsets[c] * 30, 0.25) << "camera " << c;
    EXPECT_GT(r.cameras[c].confidence, 0.3);
  }
  EXPECT_EQ(r.cameras[0].offset_s, 0.0);
  EXPECT_EQ(r.Verdict(), "ok");
}

TEST(EstimateOffsetsFromMotion, FractionalShiftsWithNoise) {
  const std::vector<double> offsets = {0.0, 3.4 / 30, -7.2 / 30, 12.5 / 30};
  const SyncInput input = MakeSyncInput(RingRig(4), offsets, {30, 30, 30, 30}, 40.0, 1.0);
  const SyncResult r = EstimateOffsetsFromMotion(input);
  ASSERT_TRUE(r.success) << r.reason;
  for (int c = 1; c < 4; ++c) EXPECT_NEAR(r.cameras[c].offset_frames, offsets[c] * 30, 0.05) << "camera " << c;
}

TEST(EstimateOffsetsFromMotion, ReferenceAndFrameRates) {
  // Camera 1 at 60 fps, camera 2 the reference; offsets relative to camera 2.
  const std::vector<double> offsets = {0.2, -0.1, 0.0};
  const SyncInput base = MakeSyncInput(RingRig(3), offsets, {30, 60, 30}, 40.0, 0.5);
  SyncInput input = base;
  input.reference = 2;
  const SyncResult r = EstimateOffsetsFromMotion(input);
  ASSERT_TRUE(r.success) << r.reason;
  EXPECT_NEAR(r.cameras[0].offset_s, 0.2, 0.012);
  EXPECT_NEAR(r.cameras[1].offset_s, -0.1, 0.012);
  EXPECT_EQ(r.cameras[2].offset_s, 0.0);
}

TEST(EstimateOffsetsFromMotion, RefusesAPersonStandingStill) {
  const SyncInput input = MakeSyncInput(RingRig(4), {0.0, 0.1, 0.2, 0.3}, {30, 30, 30, 30}, 20.0, 2.0, false);
  const SyncResult r = EstimateOffsetsFromMotion(input);
  EXPECT_FALSE(r.success);
  EXPECT_NE(r.reason.find("too little motion"), std::string::npos) << r.reason;
  EXPECT_EQ(r.Verdict(), "refused");
  EXPECT_LT(MotionMeasure(input, 0), 0.1);
}

TEST(EstimateOffsetsFromMotion, SameResultWithOneThread) {
  const SyncInput input = MakeSyncInput(RingRig(3), {0.0, 0.13, -0.21}, {30, 30, 30}, 20.0, 1.0);
  MotionSyncOptions one;
  one.num_threads = 1;
  const SyncResult a = EstimateOffsetsFromMotion(input), b = EstimateOffsetsFromMotion(input, one);
  for (int c = 0; c < 3; ++c) EXPECT_EQ(a.cameras[c].offset_s, b.cameras[c].offset_s);
}

// A short recording (100 frames at 60 fps, offset 0) of a person who repeats a movement: every
// joint follows a pattern of period `period` frames plus a drift of its own (weight `drift`), and
// camera 1 sees it well in its first half but foreshortened to 10 % (plus 0.5 px noise) in its
// second half. Its first half then also matches the reference's second half shifted by a period,
// except for the drift: over half the overlap, the raw correlation at that lag is the higher.
SyncInput RepeatedMovement(int period, double drift) {
  constexpr int kFrames = 100, kJoints = 17;
  SyncInput input;
  input.fps = {60.0, 60.0};
  Observations2d track(2, kFrames, kJoints);
  std::mt19937_64 rng(5);
  std::normal_distribution<double> noise(0.0, 0.5);
  constexpr double kTwoPi = 6.283185307179586;
  for (int j = 0; j < kJoints; ++j) {
    const Eigen::Vector2d base(300.0 + 60.0 * std::cos(j), 200.0 + 12.0 * j);
    for (int f = 0; f < kFrames; ++f) {
      Eigen::Vector2d move = Eigen::Vector2d::Zero();
      for (int k = 1; k <= 3; ++k) {
        move.x() += 8.0 / k * std::sin(kTwoPi * k * f / period + 0.7 * j + k);
        move.y() += 6.0 / k * std::sin(kTwoPi * k * f / period + 1.3 * j + 2.0 * k);
      }
      move += drift * 8.0 * Eigen::Vector2d(std::sin(0.11 * f + j), std::cos(0.083 * f + 2.0 * j));
      track.at(0, f, j) = Eigen::Vector3d(base.x() + move.x(), base.y() + move.y(), 0.9);
      const double seen = f < kFrames / 2 ? 1.0 : 0.1;
      track.at(1, f, j) = Eigen::Vector3d(base.x() + seen * move.x() + noise(rng),
                                          base.y() + seen * move.y() + noise(rng), 0.9);
    }
  }
  input.tracks.push_back(std::move(track));
  return input;
}

TEST(EstimateOffsetsFromMotion, ShortRecordingWeighsALagByItsOverlap) {
  // Whole lags only (the refinements off): which lag wins the search.
  MotionSyncOptions options;
  options.canonical_radius_s = 0.0;
  options.epipolar.radius_frames = 0.0;
  const SyncInput input = RepeatedMovement(46, 0.45);
  const SyncResult r = EstimateOffsetsFromMotion(input, options);
  ASSERT_TRUE(r.success) << r.reason;
  ASSERT_TRUE(r.cameras[1].estimated) << r.cameras[1].note;
  // The raw correlation peaks at +46 frames (0.64 over the 54 frames of the repeat, 0.49 at the
  // true lag over all 100; the search by the raw correlation took +46); weighed by the evidence
  // over each overlap (CorrelationEvidence), the true lag wins (1.75 against 1.55).
  EXPECT_NEAR(r.cameras[1].offset_frames, 0.0, 0.5);
  EXPECT_GT(r.cameras[1].confidence, 0.0);
  MotionSyncOptions one = options;
  one.num_threads = 1;
  const SyncResult single = EstimateOffsetsFromMotion(input, one);
  EXPECT_EQ(single.cameras[1].offset_s, r.cameras[1].offset_s);
  EXPECT_EQ(single.cameras[1].confidence, r.cameras[1].confidence);
}

// The first `frames` frames of every camera of `input` (each camera records that many frames at
// its own rate), in tracks of `track_frames` frames (>= frames; the rest unobserved).
SyncInput FirstFrames(const SyncInput& input, int frames, int track_frames) {
  SyncInput out = input;
  for (Observations2d& track : out.tracks) {
    Observations2d cut(track.num_cameras(), track_frames, track.num_joints());
    for (int c = 0; c < track.num_cameras(); ++c)
      for (int f = 0; f < std::min(frames, track.num_frames()); ++f)
        for (int j = 0; j < track.num_joints(); ++j) cut.at(c, f, j) = track.at(c, f, j);
    track = std::move(cut);
  }
  return out;
}

TEST(EstimateOffsetsFromMotion, ShortRecordingAtTwiceTheReferencesRate) {
  // 150 frames per camera, as the studio's short scenes: 5 s of the 30-fps reference, 2.5 s
  // (75 reference frames) of the 60-fps camera, whose offset (18.37 frames) keeps it inside the
  // reference's recording. The overlap asked for is capped at half the shorter recording in
  // reference frames (37), not in the camera's own frames (75: its whole recording, so no lag
  // qualified and the camera was not estimated), also when the camera's track is longer than
  // its recording (the two views' tracks padded to 300 frames).
  const double offset_s = 18.37 / 30.0;
  const SyncInput whole = MakeSyncInput(RingRig(2), {0.0, offset_s}, {30, 60}, 5.0, 1.0);
  for (int track_frames : {150, 300}) {
    const SyncInput input = FirstFrames(whole, 150, track_frames);
    const SyncResult r = EstimateOffsetsFromMotion(input);
    ASSERT_TRUE(r.success) << r.reason;
    ASSERT_TRUE(r.cameras[1].estimated) << track_frames << " frames: " << r.cameras[1].note;
    EXPECT_NEAR(r.cameras[1].offset_frames, 18.37, 0.1) << track_frames << " frames";
  }
  // The same camera at the reference's rate (150 frames, 5 s) was already estimated.
  const SyncInput one_rate = FirstFrames(MakeSyncInput(RingRig(2), {0.0, offset_s}, {30, 30}, 5.0, 1.0), 150, 150);
  const SyncResult same = EstimateOffsetsFromMotion(one_rate);
  ASSERT_TRUE(same.cameras[1].estimated) << same.cameras[1].note;
  EXPECT_NEAR(same.cameras[1].offset_frames, 18.37, 0.1);
}

TEST(CorrelationEvidence, GrowsWithTheIndependentSamples) {
  // White noise: correlation time 1; a smooth signal (rho(k) = 0.8^k) repeats itself.
  EXPECT_DOUBLE_EQ(CrossCorrelationTime({1.0, 0.0, 0.0}, {1.0, 0.5, 0.2}), 1.0);
  std::vector<double> smooth;
  for (int k = 0; k < 60; ++k) smooth.push_back(std::pow(0.8, k));
  // 1 + 2 sum_k>0 0.64^k = 1 + 2 * 0.64 / 0.36 = 4.56 (the sum cut at 60 lags).
  EXPECT_NEAR(CrossCorrelationTime(smooth, smooth), 1.0 + 2.0 * 0.64 / 0.36, 1e-6);
  EXPECT_DOUBLE_EQ(CrossCorrelationTime({}, smooth), 1.0);
  // Fisher's z times sqrt(n_eff - 3): the same correlation over half the samples weighs less,
  // a little more than sqrt(1/2) for long recordings.
  const double all = CorrelationEvidence(0.3, 1000, 4.0), half = CorrelationEvidence(0.3, 500, 4.0);
  EXPECT_NEAR(all, std::atanh(0.3) * std::sqrt(1000 / 4.0 - 3.0), 1e-12);
  EXPECT_NEAR(half / all, std::sqrt(0.5), 0.01);
  EXPECT_EQ(CorrelationEvidence(0.9, 10, 4.0), 0.0);  // n_eff <= 3: no evidence
  EXPECT_LT(CorrelationEvidence(-0.3, 1000, 4.0), 0.0);
}

// Camera c's frames [begin, end) of a one-person input's track as a one-camera 2D track.
Observations2d CameraTrack(const SyncInput& input, int c, int begin, int end) {
  const Observations2d& all = input.tracks.front();
  Observations2d out(1, all.num_frames(), all.num_joints());
  for (int f = begin; f < std::min(end, all.num_frames()); ++f)
    for (int j = 0; j < all.num_joints(); ++j) out.at(0, f, j) = all.at(c, f, j);
  return out;
}

// Two people (the second moves as the first does 50 s later: another non-periodic path) seen by
// four offset cameras, their 2D tracks listed in a different order in every camera, person A's
// track split in two in camera 2: nothing says which track of one camera is which of another.
UnassociatedSyncInput TwoUnassociatedPeople(const std::vector<double>& offsets, double noise_px) {
  const Rig rig = RingRig(4);
  const SyncInput a = MakeSyncInput(rig, offsets, {30, 30, 30, 30}, 40.0, noise_px, true, 1);
  std::vector<double> later = offsets;
  for (double& t : later) t += 50.0;
  const SyncInput b = MakeSyncInput(rig, later, {30, 30, 30, 30}, 40.0, noise_px, true, 2);
  const int n = a.tracks.front().num_frames();
  UnassociatedSyncInput input;
  input.fps = a.fps;
  input.views = {{CameraTrack(a, 0, 0, n), CameraTrack(b, 0, 0, n)},
                 {CameraTrack(b, 1, 0, n), CameraTrack(a, 1, 0, n)},
                 {CameraTrack(a, 2, 0, n / 3), CameraTrack(b, 2, 0, n), CameraTrack(a, 2, n / 3 + 5, n)},
                 {CameraTrack(b, 3, 0, n), CameraTrack(a, 3, 0, n)}};
  return input;
}

TEST(EstimateOffsetsFromUnassociatedMotion, PairsThePeopleOfEachCameraByTheirMotion) {
  const std::vector<double> offsets = {0.0, 3.4 / 30, -41.6 / 30, 58.9 / 30};
  const UnassociatedSyncInput input = TwoUnassociatedPeople(offsets, 1.0);
  const SyncResult r = EstimateOffsetsFromUnassociatedMotion(input);
  ASSERT_TRUE(r.success) << r.reason;
  for (int c = 1; c < 4; ++c) {
    EXPECT_TRUE(r.cameras[c].estimated) << r.cameras[c].note;
    EXPECT_NEAR(r.cameras[c].offset_frames, offsets[c] * 30, 0.1) << "camera " << c;
    EXPECT_GT(r.cameras[c].confidence, 0.3) << "camera " << c;
  }
  EXPECT_EQ(r.Verdict(), "ok");
  // The same tracks taken as associated in the order listed (frames matched by number would
  // pair them so): camera 1's first track is the other person, and its offset is lost.
  SyncInput crossed;
  crossed.fps = input.fps;
  for (int k = 0; k < 2; ++k) {
    Observations2d track(4, input.views[0][0].num_frames(), 17);
    for (int c : {0, 1, 3}) {
      for (int f = 0; f < track.num_frames(); ++f)
        for (int j = 0; j < 17; ++j) track.at(c, f, j) = input.views[c][k].at(0, f, j);
    }
    crossed.tracks.push_back(std::move(track));
  }
  const SyncResult wrong = EstimateOffsetsFromMotion(crossed);
  EXPECT_FALSE(wrong.cameras[1].estimated && std::abs(wrong.cameras[1].offset_frames - 3.4) < 1.0)
      << wrong.cameras[1].offset_frames;
}

TEST(EstimateOffsetsFromUnassociatedMotion, RefusesPeopleStandingStillAndChecksItsInput) {
  const Rig rig = RingRig(2);
  const SyncInput still = MakeSyncInput(rig, {0.0, 0.1}, {30, 30}, 20.0, 2.0, false);
  UnassociatedSyncInput input;
  input.fps = still.fps;
  const int n = still.tracks.front().num_frames();
  input.views = {{CameraTrack(still, 0, 0, n)}, {CameraTrack(still, 1, 0, n)}};
  const SyncResult r = EstimateOffsetsFromUnassociatedMotion(input);
  EXPECT_FALSE(r.success);
  EXPECT_NE(r.reason.find("too little motion"), std::string::npos) << r.reason;
  input.views.pop_back();
  EXPECT_THROW(EstimateOffsetsFromUnassociatedMotion(input), std::invalid_argument);
  input.views = {{still.tracks.front()}, {}};  // a track of two cameras
  EXPECT_THROW(EstimateOffsetsFromUnassociatedMotion(input), std::invalid_argument);
}

// A short recording (100 frames at 60 fps, offset 0) of a person walking on (0.8 m/s),
// swinging every joint with a period of 20 frames and drifting each slowly on its own, seen by two cameras 90 degrees apart: the
// reference's keypoints are very noisy (`noise_px`) over the first 60 frames and clean after,
// camera 1 follows the person over its first 60 frames only. The joints' speeds repeat every 20
// frames, so camera 1's clean speeds match the reference's clean second part 40 frames later
// better than its own noisy first part: the motion score can prefer a lag of whole periods. The
// body's shape does not repeat (the drifts; the walk alone would be a rigid shift, which another
// camera pose explains), so one fundamental matrix fits only the true lag.
UnassociatedSyncInput WalkingWithARepeatedSwing(double noise_px) {
  constexpr int kFrames = 100, kJoints = 17;
  constexpr double kFps = 60.0, kTwoPi = 6.283185307179586;
  const Rig rig = RingRig(4);
  std::mt19937_64 rng(3);
  std::normal_distribution<double> normal(0.0, 1.0);
  Observations2d reference(1, kFrames, kJoints), camera(1, kFrames, kJoints);
  for (int f = 0; f < kFrames; ++f) {
    const double t = f / kFps;
    for (int j = 0; j < kJoints; ++j) {
      Eigen::Vector3d p(0.15 * std::cos(j) - 0.4 + 0.8 * t, 0.15 * std::sin(j), 0.1 * j);
      for (int axis = 0; axis < 3; ++axis) {
        p[axis] += 0.1 * std::sin(kTwoPi * t * kFps / 20.0 + 0.9 * j + 2.1 * axis);
        p[axis] += 0.06 * std::sin((1.7 + 0.31 * j + 0.5 * axis) * t + j);  // each joint on its own
      }
      const auto a = rig[0].ImageFromWorld(p), b = rig[1].ImageFromWorld(p);
      const double sa = f < 60 ? noise_px : 0.3;
      if (a) reference.at(0, f, j) = Eigen::Vector3d(a->x() + sa * normal(rng), a->y() + sa * normal(rng), 0.9);
      if (b && f < 60) camera.at(0, f, j) = Eigen::Vector3d(b->x() + 0.3 * normal(rng), b->y() + 0.3 * normal(rng), 0.9);
    }
  }
  UnassociatedSyncInput input;
  input.fps = {kFps, kFps};
  input.views = {{reference}, {camera}};
  return input;
}

TEST(EstimateOffsetsFromUnassociatedMotion, TheEpipolarGeometryJudgesTheMotionsLag) {
  // Camera 1 follows the person for 1 s: a track pairs when it lasts half the overlap asked for,
  // so 1.5 s are asked here (the default 3 s refuses a recording this short).
  MotionSyncOptions options;
  options.min_overlap_s = 1.5;
  MotionSyncOptions motion_only = options;  // the epipolar steps (refinement and check) off
  motion_only.epipolar.radius_frames = 0.0;
  for (double noise : {0.3, 12.0}) {
    const UnassociatedSyncInput input = WalkingWithARepeatedSwing(noise);
    const SyncResult motion = EstimateOffsetsFromUnassociatedMotion(input, motion_only);
    const SyncResult checked = EstimateOffsetsFromUnassociatedMotion(input, options);
    ASSERT_TRUE(motion.success && checked.success) << motion.reason;
    const CameraOffset &m = motion.cameras[1], &c = checked.cameras[1];
    ASSERT_TRUE(m.estimated && c.estimated) << m.note;
    // The motion's lag is whole periods off, clean or not: camera 1's 60 frames overlap the
    // reference fully at 0 and at +40 alike, and the repeated swing correlates about as well at
    // both (the clean case took 0 only while each lag was weighed by the opposite lag's overlap,
    // 20 frames at +40). One fundamental matrix fits the true lag only, so the offset comes from
    // the geometry, unsure.
    EXPECT_GT(std::abs(m.offset_frames), 10.0) << "noise " << noise;
    EXPECT_NEAR(c.offset_frames, 0.0, 0.25) << "noise " << noise;
    EXPECT_EQ(c.confidence, 0.0);
    EXPECT_NE(c.note.find("epipolar geometry contradicts"), std::string::npos) << c.note;
  }
  // Independent of the thread count.
  MotionSyncOptions one = options;
  one.num_threads = 1;
  const UnassociatedSyncInput noisy = WalkingWithARepeatedSwing(12.0);
  EXPECT_EQ(EstimateOffsetsFromUnassociatedMotion(noisy, one).cameras[1].offset_s,
            EstimateOffsetsFromUnassociatedMotion(noisy, options).cameras[1].offset_s);
}

// One person walking, seen by two cameras at 60 fps for 1.4 s (84 frames; camera 1 0.37 frame
// after the reference), its 2D track in each camera: shorter than the 1.5 s a track must last
// to pair (half the 3 s overlap asked for).
UnassociatedSyncInput ShortRecording(double noise_px, uint64_t seed) {
  // Cameras 0 and 1 of a ring of four (90 degrees apart); MakeSyncInput wants every camera's
  // offset and rate.
  const SyncInput a =
      MakeSyncInput(RingRig(4), {0.0, 0.37 / 60.0, 0.0, 0.0}, {60, 60, 60, 60}, 1.4, noise_px, true, seed);
  const int n = a.tracks.front().num_frames();
  UnassociatedSyncInput input;
  input.fps = {60, 60};
  input.views = {{CameraTrack(a, 0, 0, n)}, {CameraTrack(a, 1, 0, n)}};
  return input;
}

TEST(EstimateOffsetsFromUnassociatedMotion, ShortRecordingPairsAndIsSureOnlyWithinHalfAFrame) {
  int sure = 0, unsure = 0;
  for (double noise : {0.3, 2.0, 6.0, 15.0}) {
    for (uint64_t seed : {1, 2, 3}) {
      const SyncResult r = EstimateOffsetsFromUnassociatedMotion(ShortRecording(noise, seed));
      ASSERT_TRUE(r.success) << r.reason;
      const CameraOffset& o = r.cameras[1];
      // Paired although the tracks are short: the usual limit left nothing to pair.
      ASSERT_TRUE(o.estimated) << o.note;
      const double error = std::abs(o.offset_frames - 0.37);
      if (o.confidence >= 0.2) {
        ++sure;
        // Sure only within half a frame, by five standard errors of the geometry.
        EXPECT_LE(error, 0.5) << "noise " << noise << " seed " << seed;
        EXPECT_GT(o.standard_error_frames, 0.0);
        EXPECT_LE(5.0 * o.standard_error_frames, 0.5);
        EXPECT_NE(o.note.find("short recording"), std::string::npos) << o.note;
      } else {
        ++unsure;
        EXPECT_NE(o.note.find("not sure"), std::string::npos) << o.note;
      }
      if (noise < 1.0) {
        EXPECT_NEAR(o.offset_frames, 0.37, 0.1) << "seed " << seed;
        EXPECT_GE(o.confidence, 0.2) << o.note;
      }
    }
  }
  EXPECT_GT(sure, 0);
  EXPECT_GT(unsure, 0);  // the noisiest are not sure of the sub-frame part
  // Independent of the thread count.
  MotionSyncOptions one;
  one.num_threads = 1;
  const UnassociatedSyncInput noisy = ShortRecording(6.0, 2);
  const CameraOffset a = EstimateOffsetsFromUnassociatedMotion(noisy).cameras[1];
  const CameraOffset b = EstimateOffsetsFromUnassociatedMotion(noisy, one).cameras[1];
  EXPECT_EQ(a.offset_s, b.offset_s);
  EXPECT_EQ(a.confidence, b.confidence);
  EXPECT_EQ(a.standard_error_frames, b.standard_error_frames);
}

// One person seen by a 30-fps reference and a 60-fps camera, 150 frames each (5 s and 2.5 s:
// 73 reference frames), camera 1 `offset_frames` reference frames after the reference, the
// two views' 2D tracks unassociated.
UnassociatedSyncInput ShortMixedRate(double offset_frames, uint64_t seed) {
  const SyncInput whole = MakeSyncInput(RingRig(2), {0.0, offset_frames / 30.0}, {30, 60}, 5.0, 1.0, true, seed);
  const SyncInput cut = FirstFrames(whole, 150, 150);
  UnassociatedSyncInput input;
  input.fps = cut.fps;
  input.views = {{CameraTrack(cut, 0, 0, 150)}, {CameraTrack(cut, 1, 0, 150)}};
  return input;
}

TEST(EstimateOffsetsFromUnassociatedMotion, WeighsALagByItsOwnOverlap) {
  // The camera's 2.5 s lie 58-70 frames into the reference's 5 s, so at the true lag its whole
  // recording overlaps; a lag the other way overlaps it 58-70 frames less. The score weighs each
  // lag's correlation by the frames the two tracks overlap at that lag; they were counted at the
  // opposite lag (the camera's whole recording overlaps at any lag from -77 to 0, but only 3-15
  // of its frames at the true one), and the score took a chance correlation at a negative lag.
  MotionSyncOptions options;  // the motion's lag alone: no sub-frame steps, no epipolar check
  options.canonical_radius_s = 0.0;
  options.epipolar.radius_frames = 0.0;
  for (double offset : {58.3, 63.6, 70.2}) {
    for (uint64_t seed : {1, 2, 3}) {
      const SyncResult r = EstimateOffsetsFromUnassociatedMotion(ShortMixedRate(offset, seed), options);
      ASSERT_TRUE(r.success) << r.reason;
      ASSERT_TRUE(r.cameras[1].estimated) << r.cameras[1].note;
      EXPECT_NEAR(r.cameras[1].offset_frames, offset, 1.0) << "offset " << offset << " seed " << seed;
    }
  }
}

TEST(EstimateOffsetsFromUnassociatedMotion, SameResultWithOneThread) {
  const UnassociatedSyncInput input = TwoUnassociatedPeople({0.0, 0.13, -0.21, 0.4}, 1.0);
  MotionSyncOptions one;
  one.num_threads = 1;
  const SyncResult a = EstimateOffsetsFromUnassociatedMotion(input);
  const SyncResult b = EstimateOffsetsFromUnassociatedMotion(input, one);
  for (int c = 0; c < 4; ++c) {
    EXPECT_EQ(a.cameras[c].offset_s, b.cameras[c].offset_s);
    EXPECT_EQ(a.cameras[c].confidence, b.cameras[c].confidence);
  }
}

}  // namespace
}  // namespace epilabel
