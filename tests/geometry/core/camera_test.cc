#include "geometry/core/camera.h"

#include <random>

#include <gtest/gtest.h>
#include <opencv2/calib3d.hpp>
#include <opencv2/core/eigen.hpp>

namespace epilabel {
namespace {

Camera MakeCamera(const Distortion& dist) {
  Camera cam;
  cam.name = "cam";
  cam.width = 1920;
  cam.height = 1080;
  cam.fx = 1150.0;
  cam.fy = 1145.0;
  cam.cx = 962.0;
  cam.cy = 538.0;
  cam.distortion = dist;
  cam.cam_from_world = Rigid3d(Eigen::AngleAxisd(0.3, Eigen::Vector3d(0.2, 1.0, -0.4).normalized()).toRotationMatrix(),
                               Eigen::Vector3d(0.1, -0.4, 5.0));
  cam.has_extrinsics = true;
  return cam;
}

class CameraVsOpenCV : public ::testing::TestWithParam<Distortion> {};

TEST_P(CameraVsOpenCV, ProjectionMatchesProjectPoints) {
  const Camera cam = MakeCamera(GetParam());
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(-1.5, 1.5);
  std::vector<cv::Point3d> points;
  for (int i = 0; i < 200; ++i) points.emplace_back(u(rng), u(rng), u(rng));
  cv::Mat rvec, tvec, k;
  const Eigen::Vector3d r = RodriguesFromRotation(cam.cam_from_world.RotationMatrix());
  rvec = (cv::Mat_<double>(3, 1) << r.x(), r.y(), r.z());
  tvec = (cv::Mat_<double>(3, 1) << cam.cam_from_world.translation.x(), cam.cam_from_world.translation.y(),
          cam.cam_from_world.translation.z());
  cv::eigen2cv(cam.K(), k);
  const std::vector<double> dist(cam.distortion.begin(), cam.distortion.end());
  std::vector<cv::Point2d> projected;
  cv::projectPoints(points, rvec, tvec, k, dist, projected);
  for (size_t i = 0; i < points.size(); ++i) {
    const auto ours = cam.ImageFromWorld(Eigen::Vector3d(points[i].x, points[i].y, points[i].z));
    ASSERT_TRUE(ours.has_value());
    EXPECT_NEAR(ours->x(), projected[i].x, 1e-8);
    EXPECT_NEAR(ours->y(), projected[i].y, 1e-8);
  }
}

TEST_P(CameraVsOpenCV, UndistortionMatchesUndistortPointsAndInvertsProjection) {
  const Camera cam = MakeCamera(GetParam());
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> ux(0.0, cam.width - 1.0), uy(0.0, cam.height - 1.0);
  std::vector<cv::Point2d> pixels;
  for (int i = 0; i < 200; ++i) pixels.emplace_back(ux(rng), uy(rng));
  cv::Mat k;
  cv::eigen2cv(cam.K(), k);
  const std::vector<double> dist(cam.distortion.begin(), cam.distortion.end());
  std::vector<cv::Point2d> undistorted;
  // Many iterations so that OpenCV's fixed-point scheme converges as far as ours.
  cv::undistortPoints(pixels, undistorted, k, dist, cv::noArray(), cv::noArray(),
                      cv::TermCriteria(cv::TermCriteria::COUNT | cv::TermCriteria::EPS, 200, 1e-14));
  for (size_t i = 0; i < pixels.size(); ++i) {
    const Eigen::Vector2d ours = cam.NormalizedFromImage(Eigen::Vector2d(pixels[i].x, pixels[i].y));
    EXPECT_NEAR(ours.x(), undistorted[i].x, 1e-9);
    EXPECT_NEAR(ours.y(), undistorted[i].y, 1e-9);
    // Round trip back to the pixel.
    const Eigen::Vector2d back = cam.ImageFromNormalized(ours);
    EXPECT_NEAR(back.x(), pixels[i].x, 1e-7);
    EXPECT_NEAR(back.y(), pixels[i].y, 1e-7);
  }
}

INSTANTIATE_TEST_SUITE_P(Distortions, CameraVsOpenCV,
                         ::testing::Values(Distortion{0, 0, 0, 0, 0}, Distortion{-0.12, 0.05, 0.001, -0.0007, -0.01},
                                           Distortion{0.08, -0.03, -0.002, 0.0015, 0.004}));

TEST(Camera, PointBehindCameraHasNoProjection) {
  const Camera cam = MakeCamera(Distortion{});
  const Eigen::Vector3d behind = cam.cam_from_world.Inverse() * Eigen::Vector3d(0.0, 0.0, -1.0);
  EXPECT_FALSE(cam.ImageFromWorld(behind).has_value());
}

TEST(Camera, CenterProjectsToPrincipalAxis) {
  const Camera cam = MakeCamera(Distortion{-0.1, 0.01, 0, 0, 0});
  const Eigen::Vector3d ahead = cam.cam_from_world.Inverse() * Eigen::Vector3d(0.0, 0.0, 3.0);
  const auto px = cam.ImageFromWorld(ahead);
  ASSERT_TRUE(px.has_value());
  EXPECT_NEAR(px->x(), cam.cx, 1e-9);
  EXPECT_NEAR(px->y(), cam.cy, 1e-9);
  EXPECT_NEAR((cam.CenterInWorld() - cam.cam_from_world.Inverse().translation).norm(), 0.0, 1e-12);
}

TEST(Rigid3d, CompositionAndInverse) {
  const Rigid3d b_from_a(Eigen::AngleAxisd(0.4, Eigen::Vector3d::UnitZ()).toRotationMatrix(), Eigen::Vector3d(1, 2, 3));
  const Rigid3d c_from_b(Eigen::AngleAxisd(-1.1, Eigen::Vector3d::UnitX()).toRotationMatrix(), Eigen::Vector3d(-2, 0, 1));
  const Eigen::Vector3d p(0.3, -0.7, 2.0);
  EXPECT_TRUE(((c_from_b * b_from_a) * p).isApprox(c_from_b * (b_from_a * p), 1e-12));
  EXPECT_TRUE((b_from_a.Inverse() * (b_from_a * p)).isApprox(p, 1e-12));
}

TEST(Sim3d, TransformCamFromWorldKeepsProjections) {
  Camera cam = MakeCamera(Distortion{});
  Sim3d b_from_a;
  b_from_a.scale = 2.5;
  b_from_a.rotation = Eigen::Quaterniond(Eigen::AngleAxisd(0.7, Eigen::Vector3d(1, 1, 0).normalized()));
  b_from_a.translation = Eigen::Vector3d(3, -1, 0.5);
  const Eigen::Vector3d p(0.2, 0.1, -0.3);
  const auto before = cam.ImageFromWorld(p);
  cam.cam_from_world = b_from_a.TransformCamFromWorld(cam.cam_from_world);
  const auto after = cam.ImageFromWorld(b_from_a * p);
  ASSERT_TRUE(before && after);
  EXPECT_NEAR((*before - *after).norm(), 0.0, 1e-9);
}

}  // namespace
}  // namespace epilabel
