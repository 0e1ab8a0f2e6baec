#include "detection/dnn/keypoint_smoothing.h"

#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

namespace epilabel {
namespace {

// One camera, `frames` frames, one person (track `id`) with one joint at x = f(frame).
CameraKeypoints Track(int frames, int id, double (*x_of)(int), double score = 0.8) {
  CameraKeypoints camera;
  for (int f = 0; f < frames; ++f) {
    Person2d p;
    p.track_id = id;
    p.joints = {Eigen::Vector3d(x_of(f), 50.0, score)};
    camera.frame_numbers.push_back(f);
    camera.people.push_back({p});
  }
  return camera;
}

TEST(SmoothKeypoints, KeepsUniformMotionInTheInterior) {
  CameraKeypoints camera = Track(20, 3, [](int f) { return 10.0 + 2.5 * f; });
  SmoothKeypoints(2.0, &camera);
  for (int f = 4; f < 16; ++f) {  // a symmetric window of +-4 frames
    EXPECT_NEAR(camera.people[f][0].joints[0].x(), 10.0 + 2.5 * f, 1e-9) << f;
    EXPECT_DOUBLE_EQ(camera.people[f][0].joints[0].y(), 50.0);
    EXPECT_DOUBLE_EQ(camera.people[f][0].joints[0].z(), 0.8);
  }
}

TEST(SmoothKeypoints, ReducesAlternatingJitterAndLeavesMissingJoints) {
  CameraKeypoints camera = Track(30, -1, [](int f) { return 100.0 + (f % 2 == 0 ? 3.0 : -3.0); });
  camera.people[10][0].joints[0].setZero();  // missing in frame 10
  SmoothKeypoints(1.5, &camera);
  for (int f = 5; f < 25; ++f) {
    if (f == 10) continue;
    EXPECT_LT(std::abs(camera.people[f][0].joints[0].x() - 100.0), 1.0) << f;  // from 3
  }
  EXPECT_EQ(camera.people[10][0].joints[0], Eigen::Vector3d::Zero());
}

TEST(SmoothKeypoints, FollowsEachTrackSeparately) {
  CameraKeypoints camera = Track(10, 0, [](int) { return 0.0; });
  for (int f = 0; f < 10; ++f) {
    Person2d other;
    other.track_id = 1;
    other.joints = {Eigen::Vector3d(500.0, 50.0, 0.9)};
    camera.people[f].insert(camera.people[f].begin(), other);  // listed first
  }
  SmoothKeypoints(2.0, &camera);
  for (int f = 0; f < 10; ++f) {
    EXPECT_DOUBLE_EQ(camera.people[f][0].joints[0].x(), 500.0);
    EXPECT_DOUBLE_EQ(camera.people[f][1].joints[0].x(), 0.0);
  }
}

}  // namespace
}  // namespace epilabel

namespace epilabel {
namespace {

// One joint at x = x_of(t) sampled at `fps` for `seconds`, with timestamps; scores from score_of(frame).
CameraKeypoints TimedTrack(double fps, double seconds, double (*x_of)(double), double (*score_of)(int)) {
  CameraKeypoints camera;
  for (int f = 0; f < static_cast<int>(fps * seconds); ++f) {
    const double t = f / fps;
    Person2d p;
    p.joints = {Eigen::Vector3d(x_of(t), 50.0, score_of(f))};
    camera.frame_numbers.push_back(f);
    camera.timestamps_s.push_back(t);
    camera.people.push_back({p});
  }
  return camera;
}

double Even(int) { return 0.8; }
double Uneven(int f) { return f % 3 == 0 ? 0.9 : 0.15; }

TEST(SmoothKeypointsLocalLine, KeepsUniformMotionWithUnevenScoresAndAtTheEnds) {
  const auto line = [](double t) { return 10.0 + 150.0 * t; };
  KeypointSmoothingOptions options;  // degree 1, sigma in seconds
  options.sigma_s = 0.05;
  CameraKeypoints camera = TimedTrack(60.0, 1.0, line, Uneven);
  const KeypointSmoothingSummary summary = SmoothKeypoints(options, &camera);
  EXPECT_TRUE(summary.smoothed);
  EXPECT_NEAR(summary.sigma_frames, 3.0, 1e-9);
  for (size_t f = 0; f < camera.people.size(); ++f)
    EXPECT_NEAR(camera.people[f][0].joints[0].x(), line(camera.timestamps_s[f]), 1e-6) << f;
  // The weighted mean lags at the first frames (only later samples) and where the scores are uneven.
  options.degree = 0;
  CameraKeypoints mean = TimedTrack(60.0, 1.0, line, Uneven);
  SmoothKeypoints(options, &mean);
  EXPECT_GT(std::abs(mean.people[0][0].joints[0].x() - line(0.0)), 3.0);
  double interior = 0.0;
  for (size_t f = 8; f < 52; ++f)
    interior = std::max(interior, std::abs(mean.people[f][0].joints[0].x() - line(mean.timestamps_s[f])));
  EXPECT_GT(interior, 0.1);
}

TEST(SmoothKeypointsLocalLine, AWindowInSecondsSmoothsThirtyAndSixtyFramesPerSecondAlike) {
  // A 2 Hz swing: the attenuation depends on the window in seconds, not in frames.
  const auto swing = [](double t) { return 100.0 * std::sin(2.0 * M_PI * 2.0 * t); };
  KeypointSmoothingOptions options;
  options.sigma_s = 0.05;
  options.degree = 1;  // a line flattens the swing visibly (the parabola hardly at all)
  CameraKeypoints at30 = TimedTrack(30.0, 1.0, swing, Even), at60 = TimedTrack(60.0, 1.0, swing, Even);
  SmoothKeypoints(options, &at30);
  SmoothKeypoints(options, &at60);
  for (int f = 6; f < 24; ++f) {  // interior frames of the 30 fps track, at the same times in the 60 fps one
    EXPECT_DOUBLE_EQ(at30.timestamps_s[f], at60.timestamps_s[2 * f]);
    EXPECT_NEAR(at30.people[f][0].joints[0].x(), at60.people[2 * f][0].joints[0].x(), 1.5) << f;
  }
  // The same width in frames would not: 1.5 frames at 60 fps smooths half as long.
  KeypointSmoothingOptions frames = options;
  frames.sigma_frames = 1.5;
  CameraKeypoints f30 = TimedTrack(30.0, 1.0, swing, Even), f60 = TimedTrack(60.0, 1.0, swing, Even);
  SmoothKeypoints(frames, &f30);
  SmoothKeypoints(frames, &f60);
  double worst = 0.0;
  for (int f = 6; f < 24; ++f)
    worst = std::max(worst, std::abs(f30.people[f][0].joints[0].x() - f60.people[2 * f][0].joints[0].x()));
  EXPECT_GT(worst, 5.0);
}

TEST(SmoothKeypointsLocalLine, AParabolaFollowsAFastSwingAndTheLineLessSo) {
  // 3 Hz at 60 fps, sigma 0.05 s: the line loses about a third of the peaks, the parabola a few %.
  const auto swing = [](double t) { return 100.0 * std::sin(2.0 * M_PI * 3.0 * t); };
  KeypointSmoothingOptions options;
  options.sigma_s = 0.05;
  double worst[3] = {0.0, 0.0, 0.0};
  for (int degree : {1, 2}) {
    options.degree = degree;
    CameraKeypoints camera = TimedTrack(60.0, 1.0, swing, Even);
    SmoothKeypoints(options, &camera);
    for (int f = 10; f < 50; ++f)
      worst[degree] = std::max(worst[degree], std::abs(camera.people[f][0].joints[0].x() - swing(f / 60.0)));
  }
  EXPECT_GT(worst[1], 20.0);
  EXPECT_LT(worst[2], 5.0);
}

TEST(SmoothKeypointsLocalLine, NothingWithoutTimestampsUnlessTheWindowIsInFrames) {
  const auto jitter = [](double t) { return 100.0 + (static_cast<int>(std::lround(t * 30.0)) % 2 == 0 ? 3.0 : -3.0); };
  CameraKeypoints camera = TimedTrack(30.0, 1.0, jitter, Even);
  camera.timestamps_s.clear();  // an image folder without a frame rate
  const CameraKeypoints before = camera;
  KeypointSmoothingOptions options;
  EXPECT_FALSE(SmoothKeypoints(options, &camera).smoothed);
  for (size_t f = 0; f < camera.people.size(); ++f) EXPECT_EQ(camera.people[f][0].joints[0], before.people[f][0].joints[0]);
  options.sigma_frames = 1.5;
  EXPECT_TRUE(SmoothKeypoints(options, &camera).smoothed);
  EXPECT_LT(std::abs(camera.people[10][0].joints[0].x() - 100.0), 1.0);
  EXPECT_DOUBLE_EQ(camera.people[10][0].joints[0].z(), 0.8);
}

}  // namespace
}  // namespace epilabel
