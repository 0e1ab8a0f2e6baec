#include "geometry/core/camera.h"

#include <algorithm>
#include <cmath>
#include <random>

#include <gtest/gtest.h>
#include <opencv2/calib3d.hpp>
#include <opencv2/core/eigen.hpp>
#include "tests/draw_order.h"

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
  for (int i = 0; i < 200; ++i) {
    const Eigen::Vector3d p = testing::DrawLastFirst<3>([&] { return u(rng); });
    points.emplace_back(p.x(), p.y(), p.z());
  }
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
  for (int i = 0; i < 200; ++i) {
    const double y = uy(rng);  // drawn first, as GCC evaluated the arguments
    pixels.emplace_back(ux(rng), y);
  }
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

// A GoPro-like equidistant fisheye: 147 degrees across the image's width, corners 84 degrees off
// the axis.
Camera MakeFisheye(const Distortion& dist) {
  Camera cam = MakeCamera(dist);
  cam.lens = LensModel::kFisheye;
  cam.fx = 750.0;
  cam.fy = 748.0;
  return cam;
}

class FisheyeVsOpenCV : public ::testing::TestWithParam<Distortion> {};

// cv::fisheye::projectPoints on points up to 80 degrees off the axis, to 1e-9 relative.
TEST_P(FisheyeVsOpenCV, ProjectionMatchesFisheyeProjectPoints) {
  const Camera cam = MakeFisheye(GetParam());
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> angle(0.0, 80.0 * M_PI / 180.0), azimuth(-M_PI, M_PI), depth(0.5, 6.0);
  std::vector<cv::Point3d> points;
  const Rigid3d world_from_cam = cam.cam_from_world.Inverse();
  for (int i = 0; i < 300; ++i) {
    const double a = i == 0 ? 0.0 : angle(rng), b = azimuth(rng), d = depth(rng);
    const Eigen::Vector3d in_cam = d * Eigen::Vector3d(std::sin(a) * std::cos(b), std::sin(a) * std::sin(b), std::cos(a));
    const Eigen::Vector3d in_world = world_from_cam * in_cam;
    points.emplace_back(in_world.x(), in_world.y(), in_world.z());
  }
  const Eigen::Vector3d r = RodriguesFromRotation(cam.cam_from_world.RotationMatrix());
  const cv::Vec3d rvec(r.x(), r.y(), r.z());
  const Eigen::Vector3d& t = cam.cam_from_world.translation;
  const cv::Vec3d tvec(t.x(), t.y(), t.z());
  cv::Matx33d k;
  cv::eigen2cv(cam.K(), k);
  const cv::Vec4d dist(cam.distortion[0], cam.distortion[1], cam.distortion[2], cam.distortion[3]);
  std::vector<cv::Point2d> projected;
  cv::fisheye::projectPoints(points, projected, rvec, tvec, k, dist);
  for (size_t i = 0; i < points.size(); ++i) {
    const auto ours = cam.ImageFromWorld(Eigen::Vector3d(points[i].x, points[i].y, points[i].z));
    ASSERT_TRUE(ours.has_value());
    const double scale = 1e-9 * std::hypot(projected[i].x, projected[i].y);
    EXPECT_NEAR(ours->x(), projected[i].x, scale) << i;
    EXPECT_NEAR(ours->y(), projected[i].y, scale) << i;
  }
}

// cv::fisheye::undistortPoints over the whole image (corners 84 degrees off the axis), to 1e-9
// relative, and the round trip back to the pixel.
TEST_P(FisheyeVsOpenCV, UndistortionMatchesFisheyeUndistortPoints) {
  const Camera cam = MakeFisheye(GetParam());
  std::mt19937 rng(13);
  std::uniform_real_distribution<double> ux(0.0, cam.width - 1.0), uy(0.0, cam.height - 1.0);
  std::vector<cv::Point2d> pixels = {{cam.cx + 0.5, cam.cy - 0.25}, {0.0, 0.0}, {cam.width - 1.0, cam.height - 1.0}};
  for (int i = 0; i < 300; ++i) {
    const double y = uy(rng);  // drawn first, as GCC evaluated the arguments
    pixels.emplace_back(ux(rng), y);
  }
  cv::Matx33d k;
  cv::eigen2cv(cam.K(), k);
  const cv::Vec4d dist(cam.distortion[0], cam.distortion[1], cam.distortion[2], cam.distortion[3]);
  std::vector<cv::Point2d> undistorted;
  cv::fisheye::undistortPoints(pixels, undistorted, k, dist, cv::noArray(), cv::noArray(),
                               cv::TermCriteria(cv::TermCriteria::COUNT | cv::TermCriteria::EPS, 50, 1e-15));
  for (size_t i = 0; i < pixels.size(); ++i) {
    const Eigen::Vector2d ours = cam.NormalizedFromImage(Eigen::Vector2d(pixels[i].x, pixels[i].y));
    const double scale = 1e-9 * std::max(1.0, std::hypot(undistorted[i].x, undistorted[i].y));
    EXPECT_NEAR(ours.x(), undistorted[i].x, scale) << i;
    EXPECT_NEAR(ours.y(), undistorted[i].y, scale) << i;
    const Eigen::Vector2d back = cam.ImageFromNormalized(ours);
    EXPECT_NEAR(back.x(), pixels[i].x, 1e-7) << i;
    EXPECT_NEAR(back.y(), pixels[i].y, 1e-7) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Distortions, FisheyeVsOpenCV,
                         ::testing::Values(Distortion{0, 0, 0, 0, 0}, Distortion{0.05, -0.01, 0.003, -0.0008, 0},
                                           Distortion{-0.02, 0.004, -0.001, 0.0002, 0}));

// The fisheye maps 75 degrees off the axis to f * theta_d(75 deg) from the principal point, where a
// pinhole would need f * tan(75 deg); a pixel beyond 90 degrees is reported as not undistorted.
TEST(Camera, FisheyeIsEquidistantAndStopsAtNinetyDegrees) {
  const Camera cam = MakeFisheye(Distortion{});
  const double a = 75.0 * M_PI / 180.0;
  const Eigen::Vector3d in_cam(std::sin(a), 0.0, std::cos(a));
  const auto px = cam.ImageFromCam(in_cam);
  ASSERT_TRUE(px.has_value());
  EXPECT_NEAR(px->x() - cam.cx, cam.fx * a, 1e-9);
  EXPECT_NEAR(px->y() - cam.cy, 0.0, 1e-12);
  Eigen::Vector2d out;
  EXPECT_TRUE(UndistortNormalizedFisheye(Distortion{}, Eigen::Vector2d(a, 0.0), &out));
  EXPECT_NEAR(out.x(), std::tan(a), 1e-12);
  EXPECT_FALSE(UndistortNormalizedFisheye(Distortion{}, Eigen::Vector2d(1.7, 0.0), &out));  // 97 degrees
}

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
