#include "detection/dnn/keypoint_smoothing.h"

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
