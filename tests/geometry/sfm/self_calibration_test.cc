#include "geometry/sfm/self_calibration.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include "geometry/sfm/calibration_pipeline.h"
#include "geometry/sfm/focal_uncertainty.h"
#include "geometry/sfm/rig_comparison.h"
#include "tests/geometry/rig_fixture.h"
#include "tests/geometry/walker_fixture.h"
#include "tests/draw_order.h"

namespace epilabel {
namespace {

struct RigErrors {
  double max_rotation_deg = 0, max_center_m = 0;
};

RigErrors Errors(const Rig& truth, const Rig& est) {
  const RigComparison cmp = CompareRigs(truth, est);
  return {cmp.max_rotation_error_deg, cmp.max_center_error_rel * cmp.rig_radius_m};
}

std::string Pairs(const SelfCalibrationSummary& s) {
  std::string out;
  for (const auto& p : s.pairs)
    out += std::to_string(p.a) + "-" + std::to_string(p.b) + ": " + std::to_string(p.correspondences) + " corr, " +
           std::to_string(p.inliers) + " inliers, angle " + std::to_string(p.median_angle_deg) + " " + p.reason + "\n";
  return out;
}

SelfCalibrationOptions Options() {
  SelfCalibrationOptions o;
  o.bones = testing::WalkerBones();
  o.symmetric_pairs = testing::WalkerSymmetry();
  o.max_ba_frames = 150;
  return o;
}

TEST(SelfCalibrate, RecoversExactRigFromNoiseFreeJoints) {
  const Rig truth = testing::RingRig(5);
  const Points3d motion = testing::WalkerMotion(300);
  const Observations2d obs = testing::ObserveWalker(truth, motion, 0.0, 0.0, 1);
  const SelfCalibrationResult r = SelfCalibrate(testing::IntrinsicsOnly(truth), obs, Options());
  ASSERT_TRUE(r.summary.success) << r.summary.failure_reason << "\n" << Pairs(r.summary);
  for (bool reg : r.summary.registered) EXPECT_TRUE(reg);
  const RigErrors e = Errors(truth, r.rig);
  EXPECT_LT(e.max_rotation_deg, 1e-3);
  EXPECT_LT(e.max_center_m, 1e-3);
  EXPECT_LT(r.summary.ba.sigma0_px, 0.05);
}

// The same with equidistant fisheye lenses (140 degrees across the image, known intrinsics):
// pair geometry, resection, triangulation and the adjustment all go through the fisheye model.
TEST(SelfCalibrate, RecoversFisheyeRigFromNoiseFreeJoints) {
  Rig truth = testing::RingRig(5);
  for (size_t i = 0; i < truth.size(); ++i) {
    truth[i].lens = LensModel::kFisheye;
    truth[i].fx = 640.0 / (70.0 * M_PI / 180.0);
    truth[i].fy = 1.001 * truth[i].fx;
    truth[i].distortion = {0.03 + 0.005 * i, -0.008, 0.002, -0.0004, 0.0};
  }
  const Points3d motion = testing::WalkerMotion(300);
  const Observations2d obs = testing::ObserveWalker(truth, motion, 0.0, 0.0, 1);
  const SelfCalibrationResult r = SelfCalibrate(testing::IntrinsicsOnly(truth), obs, Options());
  ASSERT_TRUE(r.summary.success) << r.summary.failure_reason << "\n" << Pairs(r.summary);
  for (bool reg : r.summary.registered) EXPECT_TRUE(reg);
  for (const Camera& c : r.rig) EXPECT_EQ(c.lens, LensModel::kFisheye);
  const RigErrors e = Errors(truth, r.rig);
  EXPECT_LT(e.max_rotation_deg, 1e-3);
  EXPECT_LT(e.max_center_m, 1e-3);
  EXPECT_LT(r.summary.ba.sigma0_px, 0.05);
}

TEST(SelfCalibrate, RobustToNoiseAndOutliers) {
  const Rig truth = testing::RingRig(6);
  const Points3d motion = testing::WalkerMotion(600);
  const Observations2d obs = testing::ObserveWalker(truth, motion, 2.0, 0.03, 2);
  const SelfCalibrationResult r = SelfCalibrate(testing::IntrinsicsOnly(truth), obs, Options());
  ASSERT_TRUE(r.summary.success) << r.summary.failure_reason << "\n" << Pairs(r.summary);
  const RigErrors e = Errors(truth, r.rig);
  EXPECT_LT(e.max_rotation_deg, 0.1);
  EXPECT_LT(e.max_center_m, 0.01);  // rig radius 4 m
  // The outliers were kept out of the adjustment (by the robust triangulation or the BA).
  EXPECT_LT(r.summary.ba.num_observations, 0.985 * r.summary.num_points * 6);
  for (const auto& u : r.summary.ba.uncertainty) EXPECT_TRUE(std::isfinite(u.rotation_sigma_deg));
  // Intrinsics given: no focal jackknife.
  EXPECT_EQ(r.summary.focal_jackknife_blocks + r.summary.focal_jackknife_joint_groups, 0);
  for (double sigma : r.summary.focal_jackknife_sigma_px) EXPECT_TRUE(std::isnan(sigma));
}

TEST(SelfCalibrate, EstimatesUnknownFocalLengths) {
  const Rig truth = testing::RingRig(5);
  const Points3d motion = testing::WalkerMotion(500);
  // No distortion: unknown intrinsics assume none.
  Rig plain = truth;
  for (Camera& c : plain) {
    c.distortion = Distortion{};
    c.fy = c.fx;
    c.cx = (c.width - 1) / 2.0;
    c.cy = (c.height - 1) / 2.0;
  }
  const Observations2d obs = testing::ObserveWalker(plain, motion, 1.0, 0.0, 3);
  Rig sizes_only = testing::IntrinsicsOnly(plain);
  for (Camera& c : sizes_only) c.fx = c.fy = 0.0;
  const SelfCalibrationResult r = SelfCalibrate(sizes_only, obs, Options());
  ASSERT_TRUE(r.summary.success) << r.summary.failure_reason << "\n" << Pairs(r.summary);
  EXPECT_TRUE(r.summary.focal_estimated);
  for (size_t c = 0; c < plain.size(); ++c) EXPECT_NEAR(r.rig[c].fx / plain[c].fx, 1.0, 0.01) << c;
  const RigErrors e = Errors(plain, r.rig);
  EXPECT_LT(e.max_rotation_deg, 0.3);
  // The bone-length search's own focal lengths: the initial pair's two cameras, nobody else's,
  // one focal length for both (the search's assumption; this rig's are 1100-1180 px), near
  // their mean.
  const std::vector<double>& searched = r.summary.focal_bone_search;
  ASSERT_EQ(searched.size(), plain.size());
  const size_t a = r.summary.initial_a, b = r.summary.initial_b;
  for (size_t c = 0; c < plain.size(); ++c) EXPECT_EQ(std::isfinite(searched[c]), c == a || c == b) << c;
  EXPECT_EQ(searched[a], searched[b]);
  EXPECT_NEAR(searched[a] / (0.5 * (plain[a].fx + plain[b].fx)), 1.0, 0.05)
      << searched[a] << " px for " << plain[a].fx << " and " << plain[b].fx;
}

// The joint groups of the focal jackknife: both joints of a symmetric pair in one group, pairs
// dealt in turn, then the unpaired joints.
TEST(JackknifeJointGroups, KeepsPairsTogetherAndDealsInTurn) {
  const std::vector<int> g = JackknifeJointGroups(17, testing::WalkerSymmetry(), 4);
  //                                 nose eyes  ears  shoulders elbows wrists hips  knees ankles
  EXPECT_EQ(g, (std::vector<int>{0, 0, 0, 1, 1, 2, 2, 3, 3, 0, 0, 1, 1, 2, 2, 3, 3}));
  EXPECT_EQ(JackknifeJointGroups(3, {}, 2), (std::vector<int>{0, 1, 0}));
}

// Detections with a constant error per camera and joint (a detector's habit: where it puts a
// hip or an ear seen from that side), the kind of error that more frames do not average away:
// the adjustment's covariance knows only the 1 px of noise and is too small for the focal
// errors this causes; the jackknife over frame blocks and joint groups covers them.
TEST(SelfCalibrate, FocalJackknifeCoversTheErrorOfBiasedDetections) {
  const Rig truth = [] {
    Rig rig = testing::RingRig(5);
    for (Camera& c : rig) {
      c.distortion = Distortion{};
      c.fy = c.fx;
      c.cx = (c.width - 1) / 2.0;
      c.cy = (c.height - 1) / 2.0;
    }
    return rig;
  }();
  Observations2d obs = testing::ObserveWalker(truth, testing::WalkerMotion(500), 1.0, 0.0, 3);
  std::mt19937 rng(11);
  std::normal_distribution<double> bias(0.0, 4.0);
  for (camera_t c = 0; c < obs.num_cameras(); ++c)
    for (joint_t j = 0; j < obs.num_joints(); ++j) {
      const Eigen::Vector2d offset = testing::DrawLastFirst<2>([&] { return bias(rng); });
      for (frame_t f = 0; f < obs.num_frames(); ++f)
        if (obs.at(c, f, j).z() > 0) obs.at(c, f, j).head<2>() += offset;
    }
  Rig sizes_only = testing::IntrinsicsOnly(truth);
  for (Camera& c : sizes_only) c.fx = c.fy = 0.0;
  const SelfCalibrationResult r = SelfCalibrate(sizes_only, obs, Options());
  ASSERT_TRUE(r.summary.success) << r.summary.failure_reason << "\n" << Pairs(r.summary);
  EXPECT_EQ(r.summary.focal_jackknife_blocks, 4);  // 150 frames in blocks of >= 20
  EXPECT_EQ(r.summary.focal_jackknife_joint_groups, 4);
  int beyond_covariance = 0;
  for (size_t c = 0; c < truth.size(); ++c) {
    const double error_px = std::abs(r.rig[c].fx - truth[c].fx);
    const double cov = r.summary.ba.uncertainty[c].focal_sigma_px;
    const double jk = r.summary.focal_jackknife_sigma_px[c];
    // 2.5 sigma: a jackknife of four replicates is itself uncertain (Student's t with 3 degrees of
    // freedom has 3.2 at 95 %). Measured: errors 3-27 px, covariance 2.6-3.0 px, jackknife 8-26 px.
    EXPECT_LE(error_px, 2.5 * std::max(cov, jk)) << c << ": covariance " << cov << " px, jackknife " << jk << " px";
    beyond_covariance += error_px > 2.5 * cov ? 1 : 0;
  }
  EXPECT_GE(beyond_covariance, 3);  // what the covariance alone would claim
}

// The same walker on the same rig, walking its 1.2 m circle or turning on the spot (its root
// kept within 0.12 m of the centre): with the person at one distance from every camera the focal
// length trades against that distance, and the jackknife says so.
TEST(SelfCalibrate, FocalJackknifeGrowsWhenThePersonStaysInPlace) {
  Rig truth = testing::RingRig(5);
  for (Camera& c : truth) {
    c.distortion = Distortion{};
    c.fy = c.fx;
    c.cx = (c.width - 1) / 2.0;
    c.cy = (c.height - 1) / 2.0;
  }
  Rig sizes_only = testing::IntrinsicsOnly(truth);
  for (Camera& c : sizes_only) c.fx = c.fy = 0.0;
  const Points3d walking = testing::WalkerMotion(500);
  Points3d in_place = walking;
  for (frame_t f = 0; f < walking.num_frames(); ++f) {
    const Eigen::Vector3d mid_hip = 0.5 * (walking.at(f, 11) + walking.at(f, 12));
    for (joint_t j = 0; j < walking.num_joints(); ++j) in_place.at(f, j).head<2>() -= 0.9 * mid_hip.head<2>();
  }
  // Measured: walking 0.24-0.47 % (errors within 0.51 %), in place 2.0-3.4 % (errors within 2.1 %).
  const double limit = CalibrationThresholds{}.max_focal_sigma_rel;  // the verdict's 2 %
  double largest[2] = {0, 0};
  for (int k = 0; k < 2; ++k) {
    const Observations2d obs = testing::ObserveWalker(truth, k == 0 ? walking : in_place, 4.0, 0.0, 7);
    const SelfCalibrationResult r = SelfCalibrate(sizes_only, obs, Options());
    ASSERT_TRUE(r.summary.success) << k << ": " << r.summary.failure_reason;
    for (size_t c = 0; c < truth.size(); ++c) {
      const double jk = r.summary.focal_jackknife_sigma_px[c];
      EXPECT_LE(std::abs(r.rig[c].fx - truth[c].fx), 2.5 * std::max(jk, r.summary.ba.uncertainty[c].focal_sigma_px))
          << k << " " << c;
      largest[k] = std::max(largest[k], jk / r.rig[c].fx);
    }
  }
  EXPECT_LT(largest[0], 0.5 * limit);  // walking: no warning
  EXPECT_GT(largest[1], limit);        // in place: the verdict's warning
}

// A rig of identical cameras (one focal length) plus one of another model (another image size):
// with shared_focal the four identical ones come back with one focal length, within 1 % of the
// truth, and the odd one keeps its own; the summary names the groups.
TEST(SelfCalibrate, SharesOneFocalLengthPerImageSize) {
  Rig truth = testing::RingRig(5);
  for (size_t c = 0; c < truth.size(); ++c) {
    Camera& cam = truth[c];
    cam.distortion = Distortion{};
    cam.fx = cam.fy = c == 4 ? 900.0 : 1150.0;
    if (c == 4) cam.width = 1024, cam.height = 768;
    cam.cx = (cam.width - 1) / 2.0;
    cam.cy = (cam.height - 1) / 2.0;
  }
  const Observations2d obs = testing::ObserveWalker(truth, testing::WalkerMotion(500), 2.0, 0.0, 5);
  Rig sizes_only = testing::IntrinsicsOnly(truth);
  for (Camera& c : sizes_only) c.fx = c.fy = 0.0;
  SelfCalibrationOptions options = Options();
  options.shared_focal = true;
  const SelfCalibrationResult r = SelfCalibrate(sizes_only, obs, options);
  ASSERT_TRUE(r.summary.success) << r.summary.failure_reason << "\n" << Pairs(r.summary);
  EXPECT_EQ(r.summary.focal_groups, (std::vector<int>{0, 0, 0, 0, 1}));
  for (size_t c = 1; c < 4; ++c) EXPECT_NEAR(r.rig[c].fx / r.rig[0].fx, 1.0, 1e-4) << c;
  for (size_t c = 0; c < truth.size(); ++c) EXPECT_NEAR(r.rig[c].fx / truth[c].fx, 1.0, 0.01) << c;
  EXPECT_NEAR(r.rig[4].fx / r.rig[0].fx, 900.0 / 1150.0, 0.01);
  EXPECT_LT(Errors(truth, r.rig).max_rotation_deg, 0.3);
}

// Intrinsics given for two cameras (with their distortion), estimated for the other three: the
// given ones are held exactly, the others' focal lengths found within 1 %.
TEST(SelfCalibrate, MixesGivenAndEstimatedIntrinsics) {
  Rig truth = testing::RingRig(5);
  for (size_t c = 2; c < truth.size(); ++c) {
    truth[c].distortion = Distortion{};
    truth[c].fy = truth[c].fx;
    truth[c].cx = (truth[c].width - 1) / 2.0;
    truth[c].cy = (truth[c].height - 1) / 2.0;
  }
  const Observations2d obs = testing::ObserveWalker(truth, testing::WalkerMotion(500), 1.0, 0.0, 3);
  Rig input = testing::IntrinsicsOnly(truth);
  for (size_t c = 2; c < input.size(); ++c) input[c].fx = input[c].fy = 0.0;
  const SelfCalibrationResult r = SelfCalibrate(input, obs, Options());
  ASSERT_TRUE(r.summary.success) << r.summary.failure_reason << "\n" << Pairs(r.summary);
  EXPECT_TRUE(r.summary.focal_estimated);
  EXPECT_EQ(r.summary.intrinsics_given, (std::vector<uint8_t>{1, 1, 0, 0, 0}));
  for (size_t c = 0; c < 2; ++c) {
    EXPECT_EQ(r.rig[c].fx, truth[c].fx) << c;
    EXPECT_EQ(r.rig[c].distortion, truth[c].distortion) << c;
  }
  for (size_t c = 2; c < truth.size(); ++c) EXPECT_NEAR(r.rig[c].fx / truth[c].fx, 1.0, 0.01) << c;
  EXPECT_LT(Errors(truth, r.rig).max_rotation_deg, 0.3);
}

TEST(SelfCalibrate, NamesCamerasThatCannotBeConnected) {
  const Rig truth = testing::RingRig(4);
  const Points3d motion = testing::WalkerMotion(200);
  Observations2d obs = testing::ObserveWalker(truth, motion, 1.0, 0.0, 4);
  // Camera 3 sees the person in two frames only (34 shared joints, fewer than an edge needs).
  for (frame_t f = 2; f < obs.num_frames(); ++f)
    for (joint_t j = 0; j < 17; ++j) obs.at(3, f, j).setZero();
  const SelfCalibrationResult r = SelfCalibrate(testing::IntrinsicsOnly(truth), obs, Options());
  EXPECT_FALSE(r.summary.registered[3]);
  EXPECT_NE(r.summary.camera_notes[3].find("not connected"), std::string::npos) << r.summary.camera_notes[3];
  EXPECT_TRUE(r.summary.registered[0] && r.summary.registered[1] && r.summary.registered[2]);
}

TEST(SelfCalibrate, SingleCameraIsAnHonestFailure) {
  const Rig truth = testing::RingRig(1);
  const Observations2d obs = testing::ObserveWalker(truth, testing::WalkerMotion(50), 0.0, 0.0, 5);
  const SelfCalibrationResult r = SelfCalibrate(testing::IntrinsicsOnly(truth), obs, Options());
  EXPECT_FALSE(r.summary.success);
  EXPECT_NE(r.summary.failure_reason.find("two cameras"), std::string::npos);
}

SelfCalibrationResult CalibrateWithThreads(const Rig& rig, const Observations2d& obs, int threads) {
  const tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads));
  SelfCalibrationOptions o = Options();
  o.num_threads = threads;
  return SelfCalibrate(rig, obs, o);
}

// Our own parallel loops (pairs, triangulation) write per-index results, so everything discrete
// (pairs, registration order, points, outliers) is the same for any thread count. Ceres with two
// threads or more sums the cost, the gradient and the Schur complement in the order its threads
// finish, which moves the cameras by rounding only (about 1e-13 relative on this scene).
TEST(SelfCalibrate, ThreadCountChangesTheRigByRoundingOnly) {
  const Rig truth = testing::RingRig(4);
  const Observations2d obs = testing::ObserveWalker(truth, testing::WalkerMotion(200), 1.5, 0.02, 6);
  const SelfCalibrationResult one = CalibrateWithThreads(testing::IntrinsicsOnly(truth), obs, 1);
  const SelfCalibrationResult two = CalibrateWithThreads(testing::IntrinsicsOnly(truth), obs, 2);
  ASSERT_TRUE(one.summary.success) << one.summary.failure_reason;
  ASSERT_TRUE(two.summary.success) << two.summary.failure_reason;
  ASSERT_EQ(one.summary.pairs.size(), two.summary.pairs.size());
  for (size_t p = 0; p < one.summary.pairs.size(); ++p) {
    EXPECT_EQ(one.summary.pairs[p].inliers, two.summary.pairs[p].inliers) << p;
    EXPECT_EQ(one.summary.pairs[p].median_angle_deg, two.summary.pairs[p].median_angle_deg) << p;
  }
  EXPECT_EQ(one.summary.registration_order, two.summary.registration_order);
  EXPECT_EQ(one.summary.num_points, two.summary.num_points);
  EXPECT_EQ(one.summary.ba.num_observations, two.summary.ba.num_observations);
  EXPECT_EQ(one.summary.ba.num_outliers_removed, two.summary.ba.num_outliers_removed);
  EXPECT_NEAR(one.summary.ba.final_cost, two.summary.ba.final_cost, 1e-9 * one.summary.ba.final_cost);
  for (size_t c = 0; c < truth.size(); ++c) {
    const Rigid3d& a = one.rig[c].cam_from_world;
    const Rigid3d& b = two.rig[c].cam_from_world;
    EXPECT_LT(a.rotation.angularDistance(b.rotation), 1e-9) << c;
    EXPECT_LT((a.translation - b.translation).norm(), 1e-9 * (1.0 + a.translation.norm())) << c;
  }
}

}  // namespace
}  // namespace epilabel
