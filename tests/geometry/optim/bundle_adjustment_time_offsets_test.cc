// Bundle adjustment with per-camera time offsets (BundleAdjustmentOptions::refine_time_offsets)
// and its cost functions (cost_functions/time_offset_reprojection.h).
#include <cmath>
#include <memory>
#include <random>

#include <gtest/gtest.h>

#include "geometry/optim/bundle_adjustment.h"
#include "geometry/optim/cost_functions/time_offset_reprojection.h"
#include "tests/geometry/rig_fixture.h"

namespace epilabel {
namespace {

constexpr int kJoints = 6;

// A joint's world position at reference time `t` (frames): smooth motion of about 0.4 m at
// periods of 40-70 frames around a point near the rig's centre.
Eigen::Vector3d JointAt(int joint, double t) {
  const double w1 = 2.0 * M_PI / (40.0 + 5.0 * joint), w2 = 2.0 * M_PI / (70.0 - 4.0 * joint);
  return Eigen::Vector3d(0.3 * std::cos(0.7 * joint) + 0.4 * std::sin(w1 * t + joint),
                         0.3 * std::sin(0.7 * joint) + 0.35 * std::cos(w2 * t + 0.5 * joint),
                         0.6 + 0.15 * joint + 0.2 * std::sin(0.5 * w1 * t + 2.0 * joint));
}

// The scene of a test: the true rig and offsets, and the BA data built with a start rig and
// start offsets (windows of the true 2-D tracks around the start's bracket).
struct OffsetScene {
  Rig truth;
  std::vector<double> true_offsets;  // frames
  Rig start;
  BAProblemData data;
};

OffsetScene MakeOffsetScene(const std::vector<double>& true_offsets, const std::vector<double>& start_offsets,
                            int num_frames, uint32_t seed) {
  OffsetScene scene;
  scene.truth = testing::RingRig(static_cast<int>(true_offsets.size()));
  scene.true_offsets = true_offsets;
  scene.start = scene.truth;
  std::mt19937 rng(seed);
  std::normal_distribution<double> n(0.0, 1.0);
  for (size_t c = 2; c < scene.start.size(); ++c) {  // cameras 0 and 1 hold the gauge
    Camera& cam = scene.start[c];
    const Eigen::Vector3d r(0.008 * n(rng), 0.008 * n(rng), 0.008 * n(rng));  // about 0.5 deg
    cam.cam_from_world = Rigid3d(RotationFromRodrigues(r) * cam.cam_from_world.rotation.toRotationMatrix(),
                                 cam.cam_from_world.translation + Eigen::Vector3d(0.03 * n(rng), 0.03 * n(rng), 0.03 * n(rng)));
  }
  scene.data.time_offsets = start_offsets;
  for (int g = 4; g < num_frames - 4; ++g) {
    for (int j = 0; j < kJoints; ++j) {
      const int point = static_cast<int>(scene.data.points.size());
      scene.data.points.push_back(JointAt(j, g) + Eigen::Vector3d(0.02 * n(rng), 0.02 * n(rng), 0.02 * n(rng)));
      for (size_t c = 0; c < scene.truth.size(); ++c) {
        BATrackWindow window;
        window.frame = g;
        window.first_frame = std::floor(g - start_offsets[c]) - 2.0;
        for (int i = 0; i < kBATrackWindowSize; ++i) {
          // Camera c's frame k shows the reference's time k + offset.
          const double k = window.first_frame + i;
          const Eigen::Vector2d px = *scene.truth[c].ImageFromWorld(JointAt(j, k + true_offsets[c]));
          window.samples[i] = Eigen::Vector3d(px.x(), px.y(), 1.0);
        }
        BAObservation o;
        o.camera = static_cast<camera_t>(c);
        o.point = point;
        o.pixel = window.samples[2].head<2>();  // replaced by the window at the start offsets
        scene.data.observations.push_back(o);
        scene.data.track_windows.push_back(window);
      }
    }
  }
  return scene;
}

BundleAdjustmentOptions OffsetOptions(camera_t reference) {
  BundleAdjustmentOptions options;
  options.refine_time_offsets = true;
  options.time_reference = reference;
  options.fixed_camera = 0;
  options.scale_camera = 1;
  return options;
}

double RotationErrorDeg(const Camera& a, const Camera& b) {
  return Eigen::AngleAxisd(a.cam_from_world.rotation * b.cam_from_world.rotation.conjugate()).angle() * 180.0 / M_PI;
}

// Known sub-frame offsets (0, +0.4, -0.3, +0.25 frames) from offsets 0 and a perturbed rig, with
// exact 2-D tracks: each offset within 0.02 frame, the reference exactly 0, the cameras back.
TEST(BundleAdjustmentTimeOffsets, RecoversSubFrameOffsets) {
  OffsetScene scene = MakeOffsetScene({0.0, 0.4, -0.3, 0.25}, {0.0, 0.0, 0.0, 0.0}, 120, 3);
  Rig rig = scene.start;
  const BundleAdjustmentSummary summary = BundleAdjust(&rig, &scene.data, OffsetOptions(0));
  ASSERT_TRUE(summary.success) << summary.BriefReport();
  EXPECT_EQ(scene.data.time_offsets[0], 0.0);
  for (size_t c = 1; c < rig.size(); ++c) {
    EXPECT_NEAR(scene.data.time_offsets[c], scene.true_offsets[c], 0.02) << "camera " << c;
    EXPECT_LT(RotationErrorDeg(rig[c], scene.truth[c]), 0.02) << "camera " << c;
  }
  EXPECT_EQ(summary.num_outliers_removed, 0);
}

// Other offsets, another seed, a start half a frame off the other way, and camera 2 as the time
// reference: the offsets relative to camera 2 come back, camera 2's stays exactly at its start.
TEST(BundleAdjustmentTimeOffsets, ReferenceCameraHeld) {
  const std::vector<double> truth = {-0.35, 0.15, 0.0, 0.45, -0.1};
  OffsetScene scene = MakeOffsetScene(truth, {0.1, -0.3, 0.0, 0.0, 0.35}, 100, 11);
  Rig rig = scene.start;
  const BundleAdjustmentSummary summary = BundleAdjust(&rig, &scene.data, OffsetOptions(2));
  ASSERT_TRUE(summary.success) << summary.BriefReport();
  EXPECT_EQ(scene.data.time_offsets[2], 0.0);
  for (size_t c = 0; c < rig.size(); ++c) EXPECT_NEAR(scene.data.time_offsets[c], truth[c], 0.02) << "camera " << c;
  // The observations' pixels are their windows at the final offsets: the RMS is near zero.
  for (size_t c = 0; c < rig.size(); ++c) EXPECT_LT(summary.camera_rms_px[c], 0.3) << "camera " << c;
}

// Without the option the windows are ignored: offsets and pixels as given.
TEST(BundleAdjustmentTimeOffsets, OffOptionLeavesOffsets) {
  OffsetScene scene = MakeOffsetScene({0.0, 0.4, -0.3, 0.25}, {0.0, 0.1, 0.0, 0.0}, 40, 5);
  for (size_t k = 0; k < scene.data.observations.size(); ++k)
    ASSERT_TRUE(InterpolateTrackWindow(scene.data.track_windows[k], 0.0, &scene.data.observations[k].pixel));
  Rig rig = scene.start;
  BundleAdjustmentOptions options = OffsetOptions(0);
  options.refine_time_offsets = false;
  ASSERT_TRUE(BundleAdjust(&rig, &scene.data, options).success);
  EXPECT_EQ(scene.data.time_offsets[1], 0.1);
}

// The analytic costs against automatic differentiation: residuals and every Jacobian, inside
// the window, beyond it (extended), across a missing sample, and behind the camera.
TEST(TimeOffsetReprojectionCost, AnalyticJacobiansMatchAutodiff) {
  std::mt19937 rng(23);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  const double intrinsics[kIntrinsicsBlockSize] = {1150.0, 640.0, 470.0, -0.21, 0.09, 0.0012, -0.0008, -0.02};
  const double aspect = 1.003;
  for (int trial = 0; trial < 200; ++trial) {
    double pose[6] = {1.5 * u(rng), 1.5 * u(rng), 1.5 * u(rng), 0.3 * u(rng), 0.3 * u(rng), 4.0 + u(rng)};
    const Eigen::Matrix3d rot = RotationFromRodrigues(Eigen::Vector3d(pose[0], pose[1], pose[2]));
    const Eigen::Vector3d p_cam(0.4 * u(rng), 0.3 * u(rng), trial % 20 == 0 ? -1.0 : 1.0);
    const Eigen::Vector3d xw = rot.transpose() * ((4.0 + u(rng)) * p_cam - Eigen::Vector3d(pose[3], pose[4], pose[5]));
    const double point[3] = {xw.x(), xw.y(), xw.z()};
    BATrackWindow window;
    window.frame = 100.0 + 10.0 * u(rng);
    window.rate = trial % 3 == 0 ? 2.0 : 1.0;
    window.first_frame = std::floor(window.frame * window.rate) - 2.0;
    for (int i = 0; i < kBATrackWindowSize; ++i)
      window.samples[i] = Eigen::Vector3d(600.0 + 30.0 * i + 5.0 * u(rng), 500.0 - 12.0 * i + 5.0 * u(rng), 1.0);
    if (trial % 4 == 1) window.samples[1].z() = 0.0;
    // Offsets inside the window (+-2 frames), and beyond it (+-4).
    const double offset[1] = {(trial % 5 == 0 ? 4.0 : 1.9) * u(rng) / window.rate};
    const double weight = 0.3 + 0.6 * std::abs(u(rng));

    std::unique_ptr<ceres::CostFunction> analytic(TimeOffsetReprojectionCost::Create(intrinsics, window, weight, aspect));
    std::unique_ptr<ceres::CostFunction> autodiff(TimeOffsetReprojectionError::Create(intrinsics, window, weight, aspect));
    const double* parameters[3] = {pose, point, offset};
    Eigen::Vector2d ra, rd;
    Eigen::Matrix<double, 2, 6, Eigen::RowMajor> pa, pd;
    Eigen::Matrix<double, 2, 3, Eigen::RowMajor> xa, xd;
    Eigen::Vector2d oa, od;
    double* ja[3] = {pa.data(), xa.data(), oa.data()};
    double* jd[3] = {pd.data(), xd.data(), od.data()};
    ASSERT_TRUE(analytic->Evaluate(parameters, ra.data(), ja));
    ASSERT_TRUE(autodiff->Evaluate(parameters, rd.data(), jd));
    EXPECT_NEAR((ra - rd).norm(), 0.0, 1e-9 * (1.0 + rd.norm())) << "trial " << trial;
    EXPECT_LT((pa - pd).norm(), 1e-7 * (1.0 + pd.norm())) << "trial " << trial;
    EXPECT_LT((xa - xd).norm(), 1e-7 * (1.0 + xd.norm())) << "trial " << trial;
    EXPECT_LT((oa - od).norm(), 1e-9 * (1.0 + od.norm())) << "trial " << trial << ": " << oa.transpose() << " vs "
                                                          << od.transpose();
    if (p_cam.z() > 0) {
      EXPECT_GT(oa.norm(), 1.0) << "trial " << trial;  // the tracks move
    }

    // The intrinsics-refining cost: the same residual and offset column, the other Jacobians
    // those of the intrinsics-refining reprojection autodiff at the interpolated pixel.
    Eigen::Vector2d observed;
    ASSERT_TRUE(InterpolateTrackWindow(window, offset[0], &observed));
    std::unique_ptr<ceres::CostFunction> full(TimeOffsetIntrinsicsReprojectionCost::Create(window, weight, aspect));
    std::unique_ptr<ceres::CostFunction> reference(ReprojectionError::Create(observed, weight, aspect));
    const double* full_parameters[4] = {pose, intrinsics, point, offset};
    Eigen::Matrix<double, 2, kIntrinsicsBlockSize, Eigen::RowMajor> ia, id;
    Eigen::Vector2d rf, of;
    double* jf[4] = {pa.data(), ia.data(), xa.data(), of.data()};
    double* jr[3] = {pd.data(), id.data(), xd.data()};
    ASSERT_TRUE(full->Evaluate(full_parameters, rf.data(), jf));
    ASSERT_TRUE(reference->Evaluate(full_parameters, rd.data(), jr));
    EXPECT_NEAR((rf - rd).norm(), 0.0, 1e-9 * (1.0 + rd.norm())) << "trial " << trial;
    EXPECT_LT((pa - pd).norm(), 1e-7 * (1.0 + pd.norm())) << "trial " << trial;
    EXPECT_LT((ia - id).norm(), 1e-7 * (1.0 + id.norm())) << "trial " << trial;
    EXPECT_LT((xa - xd).norm(), 1e-7 * (1.0 + xd.norm())) << "trial " << trial;
    EXPECT_LT((of - od).norm(), 1e-9 * (1.0 + od.norm())) << "trial " << trial;
  }
}

// The interpolation itself: exact at whole frames, linear between, extended beyond the window,
// the nearest complete segment across a missing sample, and nothing without one.
TEST(TimeOffsetReprojectionCost, InterpolatesTheWindow) {
  BATrackWindow window;
  window.frame = 10.0;
  window.first_frame = 7.0;  // samples at camera frames 7..12
  for (int i = 0; i < kBATrackWindowSize; ++i) window.samples[i] = Eigen::Vector3d(100.0 + 10.0 * i * i, 50.0, 1.0);
  Eigen::Vector2d px, d;
  ASSERT_TRUE(InterpolateTrackWindow(window, 0.0, &px, &d));  // camera frame 10: sample 3
  EXPECT_DOUBLE_EQ(px.x(), 190.0);
  ASSERT_TRUE(InterpolateTrackWindow(window, 0.25, &px, &d));  // camera frame 9.75: 3/4 of the way from 140 to 190
  EXPECT_DOUBLE_EQ(px.x(), 177.5);
  EXPECT_DOUBLE_EQ(d.x(), -50.0);  // the track moves +50 px per frame; a larger offset goes back
  ASSERT_TRUE(InterpolateTrackWindow(window, -3.0, &px, &d));  // camera frame 13: segment 11-12 extended
  EXPECT_DOUBLE_EQ(px.x(), 350.0 + 90.0);
  window.samples[2].z() = 0.0;  // frame 9 missing: 9.75 takes segment 10-11 extended back
  ASSERT_TRUE(InterpolateTrackWindow(window, 0.25, &px, &d));
  EXPECT_DOUBLE_EQ(px.x(), 190.0 - 0.25 * 70.0);
  for (int i = 0; i < kBATrackWindowSize; i += 2) window.samples[i].z() = 0.0;
  EXPECT_FALSE(InterpolateTrackWindow(window, 0.0, &px, &d));
}

}  // namespace
}  // namespace epilabel
