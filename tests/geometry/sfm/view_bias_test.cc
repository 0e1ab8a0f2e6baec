#include "geometry/sfm/view_bias.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "geometry/sfm/rig_comparison.h"
#include "geometry/sfm/self_calibration.h"
#include "tests/geometry/rig_fixture.h"
#include "tests/geometry/walker_fixture.h"

namespace epilabel {
namespace {

// COCO-17: left / right shoulder, left / right hip.
ViewBiasOptions WalkerViewBias() {
  ViewBiasOptions o;
  o.torso_joints = {5, 6, 11, 12};
  return o;
}

// A detector that shows every camera each joint displaced by a 3D offset in the body frame
// turning with the viewing azimuth: u_j cos(theta) + v_j sin(theta) + w_j sin(2 theta), metres
// (the body frame from the true torso joints, as the model builds it from the points).
struct ViewDependentDetector {
  std::vector<Eigen::Vector3d> u, v, w;
  // Every joint biased, or only the first `num_biased` (the others observed where they are).
  explicit ViewDependentDetector(double sigma_m, uint32_t seed, int num_biased = 17) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> n(0.0, sigma_m);
    for (int j = 0; j < 17; ++j) {
      const double on = j < num_biased ? 1.0 : 0.0;
      u.emplace_back(on * Eigen::Vector3d(n(rng), n(rng), n(rng)));
      v.emplace_back(on * Eigen::Vector3d(n(rng), n(rng), n(rng)));
      w.emplace_back(on * Eigen::Vector3d(n(rng), n(rng), n(rng)));
    }
  }
  Observations2d Observe(const Rig& rig, const Points3d& truth, double noise_px, uint32_t seed) const {
    Observations2d obs(static_cast<int>(rig.size()), truth.num_frames(), 17);
    std::mt19937 rng(seed);
    std::normal_distribution<double> n(0.0, noise_px);
    BAProblemData data;
    std::vector<BAPointLabel> labels;
    for (frame_t f = 0; f < truth.num_frames(); ++f)
      for (joint_t j = 0; j < 17; ++j) {
        data.points.push_back(truth.at(f, j));
        labels.push_back({f, j});
      }
    const BodyFrames body = EstimateBodyFrames(data, labels, truth.num_frames(), WalkerViewBias());
    for (camera_t c = 0; c < static_cast<camera_t>(rig.size()); ++c)
      for (frame_t f = 0; f < truth.num_frames(); ++f)
        for (joint_t j = 0; j < 17; ++j) {
          const double t = ViewAzimuth(body.body_from_world[f], body.centre[f], rig[c].CenterInWorld());
          const Eigen::Vector3d offset_in_body = u[j] * std::cos(t) + v[j] * std::sin(t) + w[j] * std::sin(2 * t);
          const auto px = rig[c].ImageFromWorld(truth.at(f, j) + body.body_from_world[f].transpose() * offset_in_body);
          if (!px || !rig[c].IsInImage(*px)) continue;
          const double dx = n(rng), dy = n(rng);
          obs.at(c, f, j) << px->x() + dx, px->y() + dy, 0.9;
        }
    return obs;
  }
};

// The adjustment's data at the true points: one point per frame and joint, its detections.
void TrueProblem(const Points3d& motion, const Observations2d& obs, BAProblemData* data,
                 std::vector<BAPointLabel>* labels, std::vector<Eigen::Vector2d>* pixels) {
  for (frame_t f = 0; f < motion.num_frames(); ++f)
    for (joint_t j = 0; j < 17; ++j) {
      const int p = static_cast<int>(data->points.size());
      data->points.push_back(motion.at(f, j));
      labels->push_back({f, j});
      for (camera_t c = 0; c < obs.num_cameras(); ++c) {
        if (obs.at(c, f, j).z() <= 0) continue;
        BAObservation o;
        o.camera = c;
        o.point = p;
        o.pixel = obs.at(c, f, j).head<2>();
        o.weight = 1.0;
        data->observations.push_back(o);
        pixels->push_back(o.pixel);
      }
    }
}

TEST(ViewBias, BodyFrameIsRightHandedWithUpAlongTheTorso) {
  const Points3d motion = testing::WalkerMotion(30);
  BAProblemData data;
  std::vector<BAPointLabel> labels;
  for (joint_t j = 0; j < 17; ++j) {
    data.points.push_back(motion.at(0, j));
    labels.push_back({0, j});
  }
  const BodyFrames body = EstimateBodyFrames(data, labels, 1, WalkerViewBias());
  ASSERT_TRUE(body.valid[0]);
  EXPECT_NEAR(body.torso_length, 0.5, 0.01);
  const Eigen::Matrix3d& r = body.body_from_world[0];
  EXPECT_NEAR((r * r.transpose() - Eigen::Matrix3d::Identity()).norm(), 0, 1e-12);
  EXPECT_NEAR(r.determinant(), 1.0, 1e-12);
  // Up from the hips to the shoulders; left from the right shoulder to the left one.
  EXPECT_GT((r * (motion.at(0, 5) + motion.at(0, 6) - motion.at(0, 11) - motion.at(0, 12))).z(), 0.9);
  EXPECT_GT((r * (motion.at(0, 5) - motion.at(0, 6))).y(), 0.3);
  // A camera straight in front has azimuth 0, one to the body's left +90 deg.
  const Eigen::Matrix3d world_from_body = r.transpose();
  EXPECT_NEAR(ViewAzimuth(r, body.centre[0], body.centre[0] + 3 * world_from_body.col(0)), 0, 1e-12);
  EXPECT_NEAR(ViewAzimuth(r, body.centre[0], body.centre[0] + 3 * world_from_body.col(1)), M_PI / 2, 1e-12);
  // Frames without the torso joints have no body frame.
  labels[5].joint = 3;
  EXPECT_FALSE(EstimateBodyFrames(data, labels, 1, WalkerViewBias()).valid[0]);
}

// With the true rig and points, the fitted model explains the view-dependent offsets: the
// residuals after the correction are a fraction of those before, and the fitted per-joint
// offsets are about the true ones.
TEST(ViewBias, FitRecoversOffsetsFromResiduals) {
  const Rig rig = testing::RingRig(5);
  const Points3d motion = testing::WalkerMotion(200);
  const ViewDependentDetector detector(0.02, 7);
  const Observations2d obs = detector.Observe(rig, motion, 0.0, 1);
  BAProblemData data;
  std::vector<BAPointLabel> labels;
  std::vector<Eigen::Vector2d> pixels;
  TrueProblem(motion, obs, &data, &labels, &pixels);
  auto rms = [&](const BAProblemData& d) {
    double sum = 0;
    for (const BAObservation& o : d.observations)
      sum += (o.pixel - *rig[o.camera].ImageFromWorld(d.points[o.point])).squaredNorm();
    return std::sqrt(sum / d.observations.size());
  };
  const double before = rms(data);
  ASSERT_GT(before, 2.0);
  // The fit itself, every joint applied (the gate: GateAppliesOnlyTheJointsThatCarryABias).
  ViewBiasOptions ungated = WalkerViewBias();
  ungated.gate_p = 0;
  const ViewBiasModel model = FitViewBias(rig, data, pixels, labels, motion.num_frames(), 17, ungated);
  ASSERT_TRUE(model.fitted);
  EXPECT_EQ(model.coefficients[0].cols(), 4);
  BAProblemData corrected = data;
  EXPECT_EQ(CorrectViewBias(rig, model, pixels, labels, motion.num_frames(), WalkerViewBias(), &corrected),
            static_cast<int>(data.observations.size()));
  // The corrected pixels agree with the true points' projections.
  EXPECT_LT(rms(corrected), 0.5 * before);
  for (joint_t j = 0; j < 17; ++j) {
    // cos(theta) column: a_1 ~ u_j (metres; the truth is in metres here).
    EXPECT_NEAR((model.coefficients[j].col(0) - detector.u[j]).norm(), 0, 0.01) << j;
    EXPECT_GT(model.joint_rms_px[j], 0.0);
  }
}

// The gate: with only five joints biased (2 cm) and 1 px noise, only their offsets pass it; the
// others' fitted coefficients (noise) are set to zero. Without the gate every joint gets some.
TEST(ViewBias, GateAppliesOnlyTheJointsThatCarryABias) {
  const Rig rig = testing::RingRig(5);
  const Points3d motion = testing::WalkerMotion(200);
  const Observations2d obs = ViewDependentDetector(0.02, 7, 5).Observe(rig, motion, 1.0, 1);
  BAProblemData data;
  std::vector<BAPointLabel> labels;
  std::vector<Eigen::Vector2d> pixels;
  TrueProblem(motion, obs, &data, &labels, &pixels);
  const ViewBiasModel gated = FitViewBias(rig, data, pixels, labels, motion.num_frames(), 17, WalkerViewBias());
  ViewBiasOptions ungated_options = WalkerViewBias();
  ungated_options.gate_p = 0;
  const ViewBiasModel ungated = FitViewBias(rig, data, pixels, labels, motion.num_frames(), 17, ungated_options);
  ASSERT_TRUE(gated.fitted && ungated.fitted);
  for (joint_t j = 0; j < 17; ++j) {
    EXPECT_EQ(gated.joint_applied[j], j < 5) << j << " chi2 " << gated.joint_chi2[j];
    EXPECT_TRUE(ungated.joint_applied[j]);
    EXPECT_GT(ungated.joint_rms_px[j], 0.0);
    if (j >= 5) {
      EXPECT_EQ(gated.joint_rms_px[j], 0.0);
    }
  }
}

SelfCalibrationOptions Options(int view_bias_rounds) {
  SelfCalibrationOptions o;
  o.bones = testing::WalkerBones();
  o.symmetric_pairs = testing::WalkerSymmetry();
  o.max_ba_frames = 150;
  o.check_given_focal = false;
  o.view_bias_rounds = view_bias_rounds;
  o.view_bias = WalkerViewBias();
  return o;
}

// Self-calibration on a detector with view-dependent offsets: the cameras bend to reconcile
// the different points each sees (here about 1 deg off); with the model fitted in the final
// adjustment the rotations come out many times closer (0.04 deg with two rounds).
TEST(ViewBias, SelfCalibrationRecoversRigUnderViewDependentBias) {
  const Rig truth = testing::RingRig(5);
  const Points3d motion = testing::WalkerMotion(300);
  const Observations2d obs = ViewDependentDetector(0.025, 3).Observe(truth, motion, 0.5, 2);
  const SelfCalibrationResult plain = SelfCalibrate(testing::IntrinsicsOnly(truth), obs, Options(0));
  const SelfCalibrationResult fitted = SelfCalibrate(testing::IntrinsicsOnly(truth), obs, Options(2));
  ASSERT_TRUE(plain.summary.success) << plain.summary.failure_reason;
  ASSERT_TRUE(fitted.summary.success) << fitted.summary.failure_reason;
  const double rot_plain = CompareRigs(truth, plain.rig).max_rotation_error_deg;
  const double rot_fitted = CompareRigs(truth, fitted.rig).max_rotation_error_deg;
  EXPECT_GT(rot_plain, 0.1);
  EXPECT_LT(rot_fitted, 0.2 * rot_plain) << rot_plain;
  EXPECT_TRUE(plain.summary.view_bias_joint_rms_px.empty());
  ASSERT_EQ(fitted.summary.view_bias_joint_rms_px.size(), 17u);
  EXPECT_FALSE(fitted.summary.ba.uncertainty.empty());
}

// A detector without view-dependent bias (Gaussian noise): no joint passes the gate and the rig
// is that of the plain adjustment (without the gate the fitted noise moves it).
TEST(ViewBias, GateKeepsTheRigWithoutViewDependentBias) {
  const Rig truth = testing::RingRig(4);
  const Points3d motion = testing::WalkerMotion(300);
  const Observations2d obs = testing::ObserveWalker(truth, motion, 1.5, 0.0, 11);
  SelfCalibrationOptions ungated = Options(2);
  ungated.view_bias.gate_p = 0;
  const SelfCalibrationResult plain = SelfCalibrate(testing::IntrinsicsOnly(truth), obs, Options(0));
  const SelfCalibrationResult gated = SelfCalibrate(testing::IntrinsicsOnly(truth), obs, Options(2));
  const SelfCalibrationResult all = SelfCalibrate(testing::IntrinsicsOnly(truth), obs, ungated);
  ASSERT_TRUE(plain.summary.success && gated.summary.success && all.summary.success);
  EXPECT_LT(CompareRigs(plain.rig, gated.rig).max_rotation_error_deg, 1e-6);
  EXPECT_GT(CompareRigs(plain.rig, all.rig).max_rotation_error_deg, 1e-4);
  ASSERT_EQ(gated.summary.view_bias_joint_rms_px.size(), 17u);
  for (double rms : gated.summary.view_bias_joint_rms_px) EXPECT_EQ(rms, 0.0);
  EXPECT_FALSE(gated.summary.ba.uncertainty.empty());
}

// Without torso joints there is no body frame: nothing is fitted and the result is that of
// the plain adjustment.
TEST(ViewBias, WithoutTorsoJointsTheAdjustmentIsUnchanged) {
  const Rig truth = testing::RingRig(4);
  const Points3d motion = testing::WalkerMotion(200);
  const Observations2d obs = testing::ObserveWalker(truth, motion, 1.0, 0.0, 5);
  SelfCalibrationOptions none = Options(2);
  none.view_bias.torso_joints = {kInvalidJointId, kInvalidJointId, kInvalidJointId, kInvalidJointId};
  const SelfCalibrationResult a = SelfCalibrate(testing::IntrinsicsOnly(truth), obs, Options(0));
  const SelfCalibrationResult b = SelfCalibrate(testing::IntrinsicsOnly(truth), obs, none);
  ASSERT_TRUE(a.summary.success && b.summary.success);
  for (size_t c = 0; c < truth.size(); ++c)
    EXPECT_TRUE(a.rig[c].cam_from_world.ToMatrix().isApprox(b.rig[c].cam_from_world.ToMatrix(), 1e-12));
  EXPECT_TRUE(b.summary.view_bias_joint_rms_px.empty());
}

// Two cameras barely tell the offsets from their relative pose: the model is not fitted.
TEST(ViewBias, NotFittedWithTwoCameras) {
  Rig truth = testing::RingRig(4);
  truth.resize(2);
  const Points3d motion = testing::WalkerMotion(200);
  const Observations2d obs = ViewDependentDetector(0.025, 3).Observe(truth, motion, 0.5, 2);
  const SelfCalibrationResult a = SelfCalibrate(testing::IntrinsicsOnly(truth), obs, Options(0));
  const SelfCalibrationResult b = SelfCalibrate(testing::IntrinsicsOnly(truth), obs, Options(2));
  ASSERT_TRUE(a.summary.success && b.summary.success);
  EXPECT_TRUE(b.summary.view_bias_joint_rms_px.empty());
  for (size_t c = 0; c < truth.size(); ++c)
    EXPECT_TRUE(a.rig[c].cam_from_world.ToMatrix().isApprox(b.rig[c].cam_from_world.ToMatrix(), 1e-12));
}

}  // namespace
}  // namespace epilabel
