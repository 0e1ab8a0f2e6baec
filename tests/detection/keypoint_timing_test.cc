#include "detection/keypoint_timing.h"

#include <cmath>
#include <stdexcept>

#include <gtest/gtest.h>

#include "foundation/error.h"

namespace epilabel {
namespace {

// Uneven timestamps around 30 fps: a jitter of up to 0.3 frame and one frame dropped at 10.
std::vector<double> UnevenTimes(int frames) {
  std::vector<double> t;
  for (int i = 0, slot = 0; i < frames; ++i, ++slot) {
    if (i == 10) ++slot;  // a dropped frame
    t.push_back((slot + 0.3 * std::sin(1.7 * slot)) / 30.0);
  }
  return t;
}

// One person with two joints moving quadratically in time: x = 100 + 40 t + 90 t^2, y = 50 - 30 t^2.
Eigen::Vector3d JointAt(double t, int joint) {
  return {100.0 + 40.0 * t + 90.0 * t * t + 10.0 * joint, 50.0 - 30.0 * t * t, 0.9};
}

CameraKeypoints QuadraticCamera(const std::vector<double>& times, int track_id = -1) {
  CameraKeypoints camera;
  camera.name = "cam";
  for (size_t i = 0; i < times.size(); ++i) {
    camera.frame_numbers.push_back(static_cast<int64_t>(i) + 5);
    camera.timestamps_s.push_back(times[i]);
    Person2d person;
    person.track_id = track_id;
    person.joints = {JointAt(times[i], 0), JointAt(times[i], 1)};
    camera.people.push_back({person});
  }
  return camera;
}

TEST(KeypointTiming, EvenTimestampsAreConstantRateAtTheirMeanRate) {
  std::vector<double> t;
  for (int i = 0; i < 300; ++i) t.push_back(2.0 + i * 1001.0 / 30000.0);  // 29.97 fps, not starting at 0
  const FrameTiming timing = MeasureFrameTiming(t);
  EXPECT_EQ(timing.frames, 300);
  EXPECT_NEAR(timing.fps, 30000.0 / 1001.0, 1e-9);
  EXPECT_LT(timing.max_deviation_frames, 1e-6);
  EXPECT_FALSE(timing.variable);
  EXPECT_TRUE(timing.known());
}

TEST(KeypointTiming, JitterAndADroppedFrameMakeTheRateVariable) {
  const std::vector<double> t = UnevenTimes(60);
  const FrameTiming timing = MeasureFrameTiming(t);
  // 60 frames over 60 slots plus one dropped: mean rate 59 / (60 slots + jitter) x 30.
  EXPECT_NEAR(timing.fps, 59.0 / (t.back() - t.front()), 1e-12);
  EXPECT_LT(timing.fps, 30.0);
  EXPECT_GT(timing.max_deviation_frames, 0.3);
  EXPECT_TRUE(timing.variable);
  // One timestamp is not enough to measure a rate.
  EXPECT_FALSE(MeasureFrameTiming({1.0}).known());
}

TEST(KeypointTiming, NonFiniteOrDecreasingTimestampsAreInputErrorsNamingThePlace) {
  EXPECT_NO_THROW(CheckTimestamps({0.0, 0.1, 0.2}, "cam01/timestamps.csv"));
  try {
    CheckTimestamps({0.0, 0.1, 0.1}, "cam01/timestamps.csv");
    FAIL() << "equal timestamps accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("cam01/timestamps.csv"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("index 2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(CheckTimestamps({0.0, std::nan(""), 0.2}, "x"), InputError);
  EXPECT_THROW(CheckTimestamps({0.0, INFINITY}, "x"), InputError);
  EXPECT_THROW(CheckTimestamps({0.3, 0.2}, "x"), InputError);
}

TEST(KeypointTiming, FrameIndexInterpolatesBetweenTimestampsAndExtrapolatesOutside) {
  const std::vector<double> t = {0.0, 0.1, 0.3, 0.4};
  EXPECT_NEAR(FrameIndexAtTime(t, 0.0), 0.0, 1e-12);
  EXPECT_NEAR(FrameIndexAtTime(t, 0.2), 1.5, 1e-12);
  EXPECT_NEAR(FrameIndexAtTime(t, 0.4), 3.0, 1e-12);
  EXPECT_NEAR(FrameIndexAtTime(t, 0.45), 3.5, 1e-12);
  EXPECT_NEAR(FrameIndexAtTime(t, -0.05), -0.5, 1e-12);
  EXPECT_THROW(FrameIndexAtTime({0.0}, 0.0), std::invalid_argument);
}

TEST(KeypointTiming, EvenlySpacedFramesOfQuadraticMotionAreExact) {
  const std::vector<double> t = UnevenTimes(60);
  const FrameTiming timing = MeasureFrameTiming(t);
  const CameraKeypoints even = OnEvenlySpacedFrames(QuadraticCamera(t), timing.fps);
  ASSERT_EQ(even.people.size(), 60u);  // the mean rate keeps the frame count
  EXPECT_EQ(even.frame_numbers.front(), 5);
  EXPECT_EQ(even.frame_numbers.back(), 64);
  const FrameTiming after = MeasureFrameTiming(even.timestamps_s);
  EXPECT_FALSE(after.variable);
  EXPECT_NEAR(after.fps, timing.fps, 1e-9);
  int cubic = 0;
  for (size_t k = 0; k < even.people.size(); ++k) {
    ASSERT_EQ(even.people[k].size(), 1u) << k;
    const double time = t.front() + k / timing.fps;
    EXPECT_NEAR(even.timestamps_s[k], time, 1e-12);
    for (int j = 0; j < 2; ++j) {
      const Eigen::Vector3d& got = even.people[k][0].joints[j];
      // Inside: the Hermite curve through the parabolas is exact for quadratic motion; the first
      // and last intervals are linear (an error of at most 90 x h^2 / 4 px, h <= 2/30 s).
      const bool inner = k > 0 && FrameIndexAtTime(t, time) > 1.0 && FrameIndexAtTime(t, time) < 58.0;
      const double tolerance = inner ? 1e-9 : 0.11;
      EXPECT_NEAR(got.x(), JointAt(time, j).x(), tolerance) << k;
      EXPECT_NEAR(got.y(), JointAt(time, j).y(), tolerance) << k;
      EXPECT_NEAR(got.z(), 0.9, 1e-12);
      cubic += inner ? 1 : 0;
    }
  }
  EXPECT_GT(cubic, 100);
}

TEST(KeypointTiming, PeopleAreMatchedByTrackIdAndAJointMissingInANeighbourStaysMissing) {
  const std::vector<double> t = {0.0, 0.04, 0.06, 0.1, 0.14};
  CameraKeypoints camera = QuadraticCamera(t, 7);
  // A second person (id 3) in frames 1 and 2, listed first; frame 2's joint 1 of person 7 missing.
  for (int i : {1, 2}) {
    Person2d other;
    other.track_id = 3;
    other.joints = {Eigen::Vector3d(500.0 + 100.0 * t[i], 400.0, 0.5), Eigen::Vector3d(510.0, 400.0, 0.5)};
    camera.people[i].insert(camera.people[i].begin(), other);
  }
  camera.people[2][1].joints[1].setZero();
  const CameraKeypoints even = OnEvenlySpacedFrames(camera, 40.0);  // frames at 0, 0.025, ..., 0.125 s
  ASSERT_EQ(even.people.size(), 6u);
  // 0.05 s: between frames 1 (0.04) and 2 (0.06), both people interpolated, in frame 2's order.
  ASSERT_EQ(even.people[2].size(), 2u);
  EXPECT_EQ(even.people[2][0].track_id, 3);
  EXPECT_NEAR(even.people[2][0].joints[0].x(), 505.0, 1e-9);
  EXPECT_EQ(even.people[2][1].track_id, 7);
  EXPECT_NEAR(even.people[2][1].joints[0].x(), JointAt(0.05, 0).x(), 1e-9);
  EXPECT_EQ(even.people[2][1].joints[1], Eigen::Vector3d::Zero());
  // 0.075 s: nearer frame 2 (0.06 s); person 3 is not in frame 3, so it is copied from frame 2.
  ASSERT_EQ(even.people[3].size(), 2u);
  EXPECT_EQ(even.people[3][0].joints[0].x(), 506.0);
  EXPECT_NEAR(even.people[3][1].joints[0].x(), JointAt(0.075, 0).x(), 1e-9);
  // 0.1 s is frame 3, copied: person 7 alone.
  ASSERT_EQ(even.people[4].size(), 1u);
  EXPECT_EQ(even.people[4][0].track_id, 7);
  // 0.0 s is frame 0, copied.
  EXPECT_EQ(even.people[0][0].joints[0], camera.people[0][0].joints[0]);
}

TEST(KeypointTiming, TwoAnonymousPeopleAreNotBlendedButTakenFromTheNearerFrame) {
  CameraKeypoints camera;
  camera.timestamps_s = {0.0, 0.1, 0.2};
  camera.frame_numbers = {0, 1, 2};
  for (int i = 0; i < 3; ++i) {
    Person2d a, b;
    a.joints = {Eigen::Vector3d(10.0 + i, 0.0, 1.0)};
    b.joints = {Eigen::Vector3d(90.0 - i, 0.0, 1.0)};
    camera.people.push_back({a, b});
  }
  const CameraKeypoints even = OnEvenlySpacedFrames(camera, 13.0);  // 0, 0.0769, 0.1538 s
  ASSERT_EQ(even.people.size(), 3u);
  ASSERT_EQ(even.people[1].size(), 2u);
  EXPECT_EQ(even.people[1][0].joints[0].x(), 11.0);  // frame 1 (0.1 s) is nearer
  EXPECT_EQ(even.people[1][1].joints[0].x(), 89.0);
  EXPECT_THROW(OnEvenlySpacedFrames(camera, 0.0), std::invalid_argument);
  camera.timestamps_s.pop_back();
  EXPECT_THROW(OnEvenlySpacedFrames(camera, 10.0), std::invalid_argument);
}

}  // namespace
}  // namespace epilabel
