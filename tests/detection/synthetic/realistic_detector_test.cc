#include "detection/synthetic/realistic_detector.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include "detection/synthetic/motion.h"
#include "detection/synthetic/rigs.h"
#include "foundation/error.h"
#include "tests/detection/synthetic/synthetic_testing.h"

namespace epilabel {
namespace {

constexpr int kLeftShoulder = 5, kRightShoulder = 6, kLeftHip = 11, kRightHip = 12;

struct Truth {
  StudioRig rig;
  MotionSequence motion;
};

const Truth& H36mTruth() {
  static const Truth truth = [] {
    Truth t;
    t.rig = MakeStudioRig("h36m4");
    std::vector<BvhMotion> clips;
    for (const auto& path : testing::ShippedClips()) clips.push_back(ReadBvh(path));
    MotionOptions options;
    options.num_frames = 400;
    options.area_center = t.rig.area_center;
    options.area_half_extents = t.rig.area_half_extents;
    options.seed = 3;
    t.motion = GenerateMotion(clips, options);
    return t;
  }();
  return truth;
}

// No gross errors: only the modelled spread and offsets.
RealisticDetectorOptions CleanOptions() {
  RealisticDetectorOptions o;
  o.missing_rate = o.outlier_rate = o.wrong_limb_rate = o.swap_rate_frontal = o.swap_rate_profile = 0.0;
  return o;
}

double Spearman(const std::vector<double>& a, const std::vector<double>& b) {
  auto ranks = [](const std::vector<double>& v) {
    std::vector<size_t> idx(v.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::sort(idx.begin(), idx.end(), [&](size_t i, size_t j) { return v[i] < v[j]; });
    std::vector<double> r(v.size());
    for (size_t i = 0; i < idx.size(); ++i) r[idx[i]] = static_cast<double>(i);
    return r;
  };
  const std::vector<double> ra = ranks(a), rb = ranks(b);
  const double n = static_cast<double>(a.size()), mean = (n - 1.0) / 2.0;
  double sab = 0.0, saa = 0.0, sbb = 0.0;
  for (size_t i = 0; i < ra.size(); ++i) {
    sab += (ra[i] - mean) * (rb[i] - mean);
    saa += (ra[i] - mean) * (ra[i] - mean);
    sbb += (rb[i] - mean) * (rb[i] - mean);
  }
  return sab / std::sqrt(saa * sbb);
}

TEST(RealisticDetector, SystematicOffsetsHaveConfiguredSignAndSize) {
  const Truth& t = H36mTruth();
  RealisticDetectorOptions o = CleanOptions();
  o.noise_px = 0.0;
  o.ear_profile_shift_px = o.eye_profile_shift_px = o.nose_profile_shift_px = 0.0;
  o.hip_raise_m = 0.05;
  o.hip_outward_m = 0.0;
  o.shoulder_outward_m = 0.03;
  const double height = t.motion.subject_height;
  const SimulatedDetection d = SimulateRealisticDetector(t.rig.cameras, t.motion.points3d, height, o);
  double hip_up_sum = 0.0, hip_expected_sum = 0.0, shoulder_gain_sum = 0.0;
  int n = 0;
  for (size_t c = 0; c < t.rig.cameras.size(); ++c) {
    const Camera& cam = t.rig.cameras[c];
    for (int f = 0; f < t.motion.points3d.num_frames(); ++f) {
      const Eigen::Vector3d* x = t.motion.points3d.Row(f);
      const Eigen::Vector3d* det = d.observations.Row(c, f);
      if (det[kLeftHip].z() <= 0 || det[kLeftShoulder].z() <= 0 || det[kRightShoulder].z() <= 0) continue;
      const Eigen::Vector3d mid_hip = 0.5 * (x[kLeftHip] + x[kRightHip]);
      const Eigen::Vector3d trunk = (0.5 * (x[kLeftShoulder] + x[kRightShoulder]) - mid_hip).normalized();
      const auto hip = cam.ImageFromWorld(x[kLeftHip]);
      const auto raised = cam.ImageFromWorld(x[kLeftHip] + 0.05 * height / 1.72 * trunk);
      ASSERT_TRUE(hip && raised);
      const Eigen::Vector2d expected = *raised - *hip;
      // With noise 0 the hip lands exactly on the projected raised hip.
      EXPECT_NEAR((det[kLeftHip].head<2>() - *raised).norm(), 0.0, 1e-6);
      hip_up_sum += (det[kLeftHip].head<2>() - *hip).dot(expected.normalized());
      hip_expected_sum += expected.norm();
      const auto ls = cam.ImageFromWorld(x[kLeftShoulder]), rs = cam.ImageFromWorld(x[kRightShoulder]);
      shoulder_gain_sum += (det[kLeftShoulder] - det[kRightShoulder]).head<2>().norm() - (*ls - *rs).norm();
      ++n;
    }
  }
  ASSERT_GT(n, 1000);
  EXPECT_GT(hip_up_sum / n, 5.0);  // px: 5 cm up the trunk at ~3-5 m
  EXPECT_NEAR(hip_up_sum / hip_expected_sum, 1.0, 1e-6);
  EXPECT_GT(shoulder_gain_sum / n, 2.0);  // shoulders moved apart in the image on average
}

TEST(RealisticDetector, ErrorsFollowTheConfiguredAr1Correlation) {
  const Truth& t = H36mTruth();
  RealisticDetectorOptions o = CleanOptions();
  o.hip_raise_m = o.hip_outward_m = o.shoulder_outward_m = 0.0;
  o.ear_profile_shift_px = o.eye_profile_shift_px = o.nose_profile_shift_px = 0.0;
  o.far_side_noise_gain = 0.0;
  o.fps = 30.0;
  o.correlation_time_s = 1.0 / (30.0 * std::log(1.0 / 0.6));  // rho = 0.6
  ASSERT_NEAR(o.Rho(), 0.6, 1e-12);
  const SimulatedDetection d = SimulateRealisticDetector(t.rig.cameras, t.motion.points3d, t.motion.subject_height, o);
  double sxy = 0.0, sxx = 0.0, syy = 0.0;
  for (size_t c = 0; c < t.rig.cameras.size(); ++c) {
    const Camera& cam = t.rig.cameras[c];
    for (int j = 5; j < 17; ++j) {  // away from the image border: body joints
      for (int f = 1; f < t.motion.points3d.num_frames(); ++f) {
        const Eigen::Vector3d a = d.observations.at(c, f - 1, j), b = d.observations.at(c, f, j);
        if (a.z() <= 0 || b.z() <= 0) continue;
        const double sa = PersonHeightPx(cam, t.motion.points3d.Row(f - 1), t.motion.subject_height);
        const double sb = PersonHeightPx(cam, t.motion.points3d.Row(f), t.motion.subject_height);
        const Eigen::Vector2d ea = (a.head<2>() - *cam.ImageFromWorld(t.motion.points3d.at(f - 1, j))) / sa;
        const Eigen::Vector2d eb = (b.head<2>() - *cam.ImageFromWorld(t.motion.points3d.at(f, j))) / sb;
        sxy += ea.dot(eb);
        sxx += ea.squaredNorm();
        syy += eb.squaredNorm();
      }
    }
  }
  EXPECT_NEAR(sxy / std::sqrt(sxx * syy), 0.6, 0.05);
}

TEST(RealisticDetector, ConfidenceFallsWithTheError) {
  const Truth& t = H36mTruth();
  const RealisticDetectorOptions o = CleanOptions();
  const SimulatedDetection d = SimulateRealisticDetector(t.rig.cameras, t.motion.points3d, t.motion.subject_height, o);
  std::vector<double> confidence, error;
  for (size_t c = 0; c < t.rig.cameras.size(); ++c) {
    for (int f = 0; f < t.motion.points3d.num_frames(); ++f) {
      for (int j = 7; j < 11; ++j) {  // elbows and wrists: no systematic offset
        const Eigen::Vector3d det = d.observations.at(c, f, j);
        if (det.z() <= 0) continue;
        confidence.push_back(det.z());
        error.push_back((det.head<2>() - *t.rig.cameras[c].ImageFromWorld(t.motion.points3d.at(f, j))).norm());
      }
    }
  }
  ASSERT_GT(confidence.size(), 3000u);
  const double rho = Spearman(confidence, error);
  EXPECT_LT(rho, -0.2);  // falls with the error ...
  EXPECT_GT(rho, -0.7);  // ... but loosely, as measured on OpenPose
}

TEST(RealisticDetector, SwapsAreMoreLikelyInProfile) {
  const Truth& t = H36mTruth();
  RealisticDetectorOptions o;
  o.swap_rate_frontal = 0.0;
  o.swap_rate_profile = 0.3;
  const SimulatedDetection d = SimulateRealisticDetector(t.rig.cameras, t.motion.points3d, t.motion.subject_height, o);
  EXPECT_GT(d.statistics.swapped_pairs, 0);
  EXPECT_LT(d.statistics.swap_rate(), 0.3);
  o.swap_rate_profile = 0.0;
  const SimulatedDetection none =
      SimulateRealisticDetector(t.rig.cameras, t.motion.points3d, t.motion.subject_height, o);
  EXPECT_EQ(none.statistics.swapped_pairs, 0);
}

TEST(RealisticDetector, SameSeedSameResultWithAnyThreadCount) {
  const Truth& t = H36mTruth();
  RealisticDetectorOptions o;
  o.seed = 11;
  SimulatedDetection one, two;
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 1);
    one = SimulateRealisticDetector(t.rig.cameras, t.motion.points3d, t.motion.subject_height, o);
  }
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 2);
    two = SimulateRealisticDetector(t.rig.cameras, t.motion.points3d, t.motion.subject_height, o);
  }
  EXPECT_EQ(one.observations.data(), two.observations.data());
  EXPECT_EQ(one.swap_mask, two.swap_mask);
  EXPECT_EQ(one.outlier_mask, two.outlier_mask);
  o.seed = 12;
  const SimulatedDetection other = SimulateRealisticDetector(t.rig.cameras, t.motion.points3d, t.motion.subject_height, o);
  EXPECT_NE(one.observations.data(), other.observations.data());
}

TEST(RealisticDetector, OptionsCheckNamesTheBadOption) {
  EXPECT_NO_THROW(RealisticDetectorOptions().Check());
  auto expect_bad = [](auto mutate, const std::string& key) {
    RealisticDetectorOptions o;
    mutate(o);
    try {
      o.Check();
      ADD_FAILURE() << "no error for " << key;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
    }
  };
  expect_bad([](RealisticDetectorOptions& o) { o.noise_px = -1.0; }, "noise_px");
  expect_bad([](RealisticDetectorOptions& o) { o.student_dof = 2.0; }, "student_dof");
  expect_bad([](RealisticDetectorOptions& o) { o.student_dof = 4.5; }, "student_dof");
  expect_bad([](RealisticDetectorOptions& o) { o.correlation_time_s = -0.1; }, "correlation_time_s");
  expect_bad([](RealisticDetectorOptions& o) { o.swap_rate_profile = 1.5; }, "swap_rate_profile");
  expect_bad([](RealisticDetectorOptions& o) { o.hip_raise_m = NAN; }, "hip_raise_m");
  expect_bad([](RealisticDetectorOptions& o) { o.joint_noise_scale[3] = -0.5; }, "joint_noise_scale");
  expect_bad([](RealisticDetectorOptions& o) { o.fps = 0.0; }, "fps");
}

}  // namespace
}  // namespace epilabel
