#include "geometry/estimators/intrinsic_calibration.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>

#include <gtest/gtest.h>

#include "foundation/error.h"
#include "tests/draw_order.h"

namespace epilabel {
namespace {

Camera TrueCamera() {
  Camera cam;
  cam.width = 1088;
  cam.height = 1920;
  cam.fx = 1680.0, cam.fy = 1678.0, cam.cx = 540.0, cam.cy = 955.0;
  cam.distortion = {-0.046, 0.14, 0.0006, 0.0007, 0.0};
  return cam;
}

// A board of cols x rows corners, `square` metres apart, seen by `cam` with cam_from_board
// (r, t), each corner with pixel noise; nullopt at the first corner outside the image (no
// noise is drawn past it).
std::optional<TargetView> SeeBoard(const Camera& cam, const Eigen::Matrix3d& r, const Eigen::Vector3d& t, int cols,
                                   int rows, double square, size_t index, std::normal_distribution<double>* noise,
                                   std::mt19937* rng) {
  TargetView view;
  view.name = "view " + std::to_string(index);
  for (int row = 0; row < rows; ++row)
    for (int col = 0; col < cols; ++col) {
      const Eigen::Vector3d p(square * col, square * row, 0.0);
      const auto px = cam.ImageFromCam(r * p + t);
      if (!px || !cam.IsInImage(*px)) return std::nullopt;
      view.target_points.push_back(p);
      view.image_points.push_back(*px + testing::DrawLastFirst<2>([&] { return (*noise)(*rng); }));
    }
  return view;
}

// A 4x7 board of 60 mm squares seen by `cam` from `views` tilted poses at 1.5-3 m, with pixel
// noise; every corner in the image.
std::vector<TargetView> BoardViews(const Camera& cam, int views, double noise_px, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::normal_distribution<double> noise(0.0, noise_px);
  std::vector<TargetView> out;
  while (static_cast<int>(out.size()) < views) {
    const auto uniform = [&] { return u(rng); };
    const Eigen::Vector3d axis = testing::DrawLastFirst<3>(uniform).cwiseProduct(Eigen::Vector3d(1.0, 1.0, 0.3)).normalized();
    const Eigen::Matrix3d r = Eigen::AngleAxisd(0.5 * std::abs(u(rng)) + 0.1, axis).toRotationMatrix();
    const Eigen::Vector3d t = testing::DrawLastFirst<3>(uniform).cwiseProduct(Eigen::Vector3d(0.5, 1.0, 0.7)) +
                              Eigen::Vector3d(-0.09, -0.18, 2.2);
    if (auto view = SeeBoard(cam, r, t, 4, 7, 0.06, out.size(), &noise, &rng)) out.push_back(*view);
  }
  return out;
}

TEST(CalibrateIntrinsics, RecoversTheCameraFromNoiselessViews) {
  const Camera truth = TrueCamera();
  IntrinsicCalibrationOptions options;
  options.fix_k3 = true;
  const auto result = CalibrateIntrinsics(BoardViews(truth, 12, 0.0, 1), truth.width, truth.height, options);
  ASSERT_TRUE(result.success) << result.message;
  EXPECT_LT(result.rms_px, 1e-3);
  EXPECT_NEAR(result.camera.fx, truth.fx, 0.05);
  EXPECT_NEAR(result.camera.fy, truth.fy, 0.05);
  EXPECT_NEAR(result.camera.cx, truth.cx, 0.05);
  EXPECT_NEAR(result.camera.cy, truth.cy, 0.05);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(result.camera.distortion[i], truth.distortion[i], 1e-4) << i;
  EXPECT_EQ(result.camera.distortion[4], 0.0);
  EXPECT_FALSE(result.k3_estimated);
  ASSERT_EQ(result.view_rms_px.size(), 12u);
  ASSERT_EQ(result.cam_from_target.size(), 12u);
}

TEST(CalibrateIntrinsics, StandardDeviationsMatchTheScatterOverNoiseDraws) {
  // With 0.3 px of noise the reported sd of fx should be of the size of the spread of fx over
  // independent draws (within a factor of two).
  const Camera truth = TrueCamera();
  IntrinsicCalibrationOptions options;
  double sum = 0, sum2 = 0, sd_reported = 0;
  const int draws = 8;
  for (int d = 0; d < draws; ++d) {
    const auto r = CalibrateIntrinsics(BoardViews(truth, 8, 0.3, 100 + d), truth.width, truth.height, options);
    ASSERT_TRUE(r.success);
    sum += r.camera.fx;
    sum2 += r.camera.fx * r.camera.fx;
    sd_reported += r.std_fx / draws;
    EXPECT_NEAR(r.rms_px, 0.3 * std::sqrt(2.0), 0.06);  // the length of the 2D error, not per axis
  }
  const double spread = std::sqrt(sum2 / draws - (sum / draws) * (sum / draws));
  EXPECT_GT(sd_reported, 0.5 * spread);
  EXPECT_LT(sd_reported, 2.0 * spread);
  EXPECT_NEAR(sum / draws, truth.fx, 3 * sd_reported);
}

TEST(CalibrateIntrinsics, EstimatesK3OnlyWithEnoughViews) {
  const Camera truth = TrueCamera();
  IntrinsicCalibrationOptions options;
  EXPECT_FALSE(CalibrateIntrinsics(BoardViews(truth, 9, 0.1, 3), truth.width, truth.height, options).k3_estimated);
  EXPECT_TRUE(CalibrateIntrinsics(BoardViews(truth, 10, 0.1, 3), truth.width, truth.height, options).k3_estimated);
}

TEST(CalibrateIntrinsics, FailsWithTooFewViews) {
  const Camera truth = TrueCamera();
  const auto r = CalibrateIntrinsics(BoardViews(truth, 2, 0.1, 4), truth.width, truth.height, {});
  EXPECT_FALSE(r.success);
  EXPECT_NE(r.message.find("2 usable view(s), at least 3"), std::string::npos) << r.message;
}

TEST(SelectViewsForCoverage, KeepsEveryViewUnderTheLimit) {
  const auto views = BoardViews(TrueCamera(), 5, 0.0, 5);
  CoverageSelectionOptions options;
  EXPECT_EQ(SelectViewsForCoverage(views, 1088, 1920, options), (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(SelectViewsForCoverage, PrefersViewsThatCoverNewCells) {
  // Ten copies of one view and one view elsewhere: with room for two, the second pick is the
  // view elsewhere, not a copy.
  auto views = BoardViews(TrueCamera(), 2, 0.0, 6);
  std::vector<TargetView> many(10, views[0]);
  many.push_back(views[1]);
  CoverageSelectionOptions options;
  options.max_views = 3;
  const std::vector<int> chosen = SelectViewsForCoverage(many, 1088, 1920, options);
  ASSERT_EQ(chosen.size(), 3u);
  EXPECT_EQ(chosen.back(), 10);
  EXPECT_GT(ImageCoverage(many, chosen, 1088, 1920, 8, 8), ImageCoverage(many, {0, 1, 2}, 1088, 1920, 8, 8));
}

TEST(SelectViewsForCoverage, ChecksItsOptions) {
  CoverageSelectionOptions options;
  options.max_views = 1;
  EXPECT_THROW(options.Check(), InputError);
}

}  // namespace
}  // namespace epilabel

namespace epilabel {
namespace {

// An equidistant fisheye of 150 degrees across a 1280x960 image.
Camera TrueFisheye() {
  Camera cam;
  cam.width = 1280;
  cam.height = 960;
  cam.lens = LensModel::kFisheye;
  cam.fx = 490.0, cam.fy = cam.fx - 1, cam.cx = 645.0, cam.cy = 476.0;
  cam.distortion = {0.04, -0.012, 0.003, -0.0008, 0.0};
  return cam;
}

// A 9x6 board of 80 mm squares at 0.6-1.4 m, placed all over the wide field of view.
std::vector<TargetView> WideBoardViews(const Camera& cam, int views, double noise_px, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::normal_distribution<double> noise(0.0, noise_px);
  std::vector<TargetView> out;
  while (static_cast<int>(out.size()) < views) {
    const auto uniform = [&] { return u(rng); };
    const Eigen::Vector3d axis = testing::DrawLastFirst<3>(uniform).cwiseProduct(Eigen::Vector3d(1.0, 1.0, 0.3)).normalized();
    const Eigen::Matrix3d r = Eigen::AngleAxisd(0.6 * std::abs(u(rng)) + 0.1, axis).toRotationMatrix();
    const double z = 1.0 + 0.4 * u(rng);
    const double ty = 1.4 * z * u(rng) - 0.2;  // drawn before x, as GCC evaluated the arguments (tests/draw_order.h)
    const Eigen::Vector3d t(2.0 * z * u(rng) - 0.32, ty, z);
    if (auto view = SeeBoard(cam, r, t, 9, 6, 0.08, out.size(), &noise, &rng)) out.push_back(*view);
  }
  return out;
}

TEST(CalibrateIntrinsics, FisheyeModelRecoversAWideLens) {
  // Three draws of 25 views with 0.2 px of noise; the scanned start reaches the true lens on each.
  for (uint32_t seed : {11u, 12u, 13u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const Camera truth = TrueFisheye();
    const auto views = WideBoardViews(truth, 25, 0.2, seed);
    IntrinsicCalibrationOptions options;
    options.model = "fisheye";
    const auto result = CalibrateIntrinsics(views, truth.width, truth.height, options);
    ASSERT_TRUE(result.success) << result.message << " rms " << result.rms_px << " fx " << result.camera.fx << " k1 "
                                << result.camera.distortion[0] << " views " << result.view_rms_px.size();
    EXPECT_EQ(result.camera.lens, LensModel::kFisheye);
    // 0.2 px of noise per axis: the RMS of the 2-D error is about 0.2 * sqrt(2) = 0.28 px.
    EXPECT_LT(result.rms_px, 0.3);
    EXPECT_GT(result.rms_px, 0.1);
    // The tolerances are four standard deviations of each estimate over 60 draws of these boards
    // (seeds 11-70): fx, fy 1.1 px; cx 0.56 px, cy 0.77 px; the radius at 60 degrees 0.75 px.
    EXPECT_NEAR(result.camera.fx, truth.fx, 4.4);
    EXPECT_NEAR(result.camera.fy, truth.fy, 4.4);
    EXPECT_NEAR(result.camera.cx, truth.cx, 3.1);
    EXPECT_NEAR(result.camera.cy, truth.cy, 3.1);
    // The lens itself: the distorted radius at 60 degrees off the axis within 3 px, where the
    // distortion moves it by 16.5 px (a fit without it would fail).
    auto radius_px = [](const Camera& c, double theta) {
      const auto px = c.ImageFromCam(Eigen::Vector3d(std::sin(theta), 0.0, std::cos(theta)));
      return px->x() - c.cx;
    };
    Camera undistorted = truth;
    undistorted.distortion = {0.0, 0.0, 0.0, 0.0, 0.0};
    const double sixty = 60 * M_PI / 180;
    ASSERT_GT(std::abs(radius_px(undistorted, sixty) - radius_px(truth, sixty)), 16.0);
    EXPECT_NEAR(radius_px(result.camera, sixty), radius_px(truth, sixty), 3.0);
    ASSERT_EQ(result.view_rms_px.size(), 25u);
    for (double e : result.view_rms_px) EXPECT_LT(e, 0.5);
    EXPECT_TRUE(std::isnan(result.std_fx));
    // The pinhole model (k1, k2, p1, p2, k3) cannot follow this lens. The fisheye's RMS is the
    // noise floor (0.275 +- 0.004 px over the 60 draws); the pinhole's is 1.67-3.4 times it there,
    // so 1.4 times is some 30 standard deviations of the floor above it.
    const auto pinhole = CalibrateIntrinsics(views, truth.width, truth.height, {});
    ASSERT_TRUE(pinhole.success);
    EXPECT_GT(pinhole.rms_px, 1.4 * result.rms_px);
  }
}

TEST(CalibrateIntrinsics, UnknownModelIsAnInputError) {
  IntrinsicCalibrationOptions options;
  options.model = "omnidir";
  try {
    options.Check();
    FAIL() << "omnidir passed";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where(), "model");
  }
}

}  // namespace
}  // namespace epilabel
