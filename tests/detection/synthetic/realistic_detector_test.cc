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

// Options whose only error is the AR(1) random part (no offsets, no far-side gain, no gross errors).
RealisticDetectorOptions RandomPartOnly() {
  RealisticDetectorOptions o = CleanOptions();
  o.hip_raise_m = o.hip_outward_m = o.shoulder_outward_m = 0.0;
  o.ear_profile_shift_px = o.eye_profile_shift_px = o.nose_profile_shift_px = 0.0;
  o.far_side_noise_gain = 0.0;
  return o;
}

// Lag-1 correlation of the pixel errors (over the person's image height) of the body joints in
// the given cameras: successive frames of one camera and joint.
double Lag1Correlation(const Truth& t, const SimulatedDetection& d, const std::vector<int>& cameras) {
  double sxy = 0.0, sxx = 0.0, syy = 0.0;
  for (int c : cameras) {
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
  return sxy / std::sqrt(sxx * syy);
}

TEST(RealisticDetector, ErrorsFollowTheConfiguredAr1Correlation) {
  const Truth& t = H36mTruth();
  RealisticDetectorOptions o = RandomPartOnly();
  o.fps = 30.0;
  o.correlation_time_s = 1.0 / (30.0 * std::log(1.0 / 0.6));  // rho = 0.6
  ASSERT_NEAR(o.Rho(), 0.6, 1e-12);
  const SimulatedDetection d = SimulateRealisticDetector(t.rig.cameras, t.motion.points3d, t.motion.subject_height, o);
  EXPECT_NEAR(Lag1Correlation(t, d, {0, 1, 2, 3}), 0.6, 0.05);
}

TEST(RealisticDetector, EachCameraCorrelatesItsErrorsAtItsOwnRate) {
  const Truth& t = H36mTruth();
  RealisticDetectorOptions o = RandomPartOnly();
  o.fps = 30.0;
  o.correlation_time_s = 0.05;
  const SimulatedDetection shared = SimulateRealisticDetector(t.rig.cameras, t.motion.points3d,
                                                              t.motion.subject_height, o);
  o.camera_fps = {30.0, 60.0, 12.0, 30.0};
  const SimulatedDetection own = SimulateRealisticDetector(t.rig.cameras, t.motion.points3d, t.motion.subject_height, o);
  // One time constant in seconds: rho = exp(-1 / (rate x 0.05 s)) = 0.72 at 60 fps, 0.19 at 12.
  EXPECT_NEAR(o.CameraRho(1), std::exp(-1.0 / 3.0), 1e-12);
  EXPECT_NEAR(Lag1Correlation(t, own, {1}), o.CameraRho(1), 0.06);
  EXPECT_NEAR(Lag1Correlation(t, own, {2}), o.CameraRho(2), 0.06);
  EXPECT_GT(Lag1Correlation(t, own, {1}) - Lag1Correlation(t, own, {2}), 0.35);
  // The cameras at the shared rate get exactly what they got without per-camera rates.
  for (int c : {0, 3}) {
    for (int f = 0; f < t.motion.points3d.num_frames(); ++f) {
      for (int j = 0; j < 17; ++j) ASSERT_EQ(own.observations.at(c, f, j), shared.observations.at(c, f, j));
    }
  }
  o.camera_fps = {30.0, 60.0};
  EXPECT_THROW(SimulateRealisticDetector(t.rig.cameras, t.motion.points3d, t.motion.subject_height, o),
               std::invalid_argument);
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

// What each camera sees (unsynchronised cameras): a camera given the motion 5 frames later
// follows that motion (its median error to the shifted projections within the detector's spread,
// over 10 px to the unshifted ones), and every other camera's detections are exactly those of
// the one-truth detector.
TEST(RealisticDetector, EachCameraSeesItsOwnTruth) {
  const Truth& t = H36mTruth();
  const Points3d& truth = t.motion.points3d;
  Points3d later(truth.num_frames(), truth.num_joints());
  for (int f = 0; f < truth.num_frames(); ++f) {
    for (int j = 0; j < truth.num_joints(); ++j) later.at(f, j) = truth.at(std::min(f + 5, truth.num_frames() - 1), j);
  }
  const RealisticDetectorOptions o = CleanOptions();
  const SimulatedDetection same = SimulateRealisticDetector(t.rig.cameras, truth, t.motion.subject_height, o);
  const SimulatedDetection shifted = SimulateRealisticDetector(t.rig.cameras, {&truth, &later, &truth, &truth},
                                                               t.motion.subject_height, o);
  std::vector<double> to_later, to_truth;
  for (int c = 0; c < 4; ++c) {
    for (int f = 0; f < truth.num_frames(); ++f) {
      for (int j = 0; j < truth.num_joints(); ++j) {
        const Eigen::Vector3d& a = same.observations.at(c, f, j);
        const Eigen::Vector3d& b = shifted.observations.at(c, f, j);
        if (c != 1) {
          ASSERT_EQ(a, b) << "camera " << c << " frame " << f;
          continue;
        }
        const auto p_later = t.rig.cameras[c].ImageFromWorld(later.at(f, j));
        const auto p_truth = t.rig.cameras[c].ImageFromWorld(truth.at(f, j));
        if (!(b.z() > 0) || !p_later || !p_truth || f + 5 >= truth.num_frames()) continue;
        to_later.push_back((b.head<2>() - *p_later).norm());
        to_truth.push_back((b.head<2>() - *p_truth).norm());
      }
    }
  }
  ASSERT_GT(to_later.size(), 1000u);
  std::nth_element(to_later.begin(), to_later.begin() + to_later.size() / 2, to_later.end());
  std::nth_element(to_truth.begin(), to_truth.begin() + to_truth.size() / 2, to_truth.end());
  EXPECT_LT(to_later[to_later.size() / 2], 8.0);
  EXPECT_GT(to_truth[to_truth.size() / 2], 10.0);
  EXPECT_THROW(SimulateRealisticDetector(t.rig.cameras, {&truth, &later}, t.motion.subject_height, o),
               std::invalid_argument);
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
  expect_bad([](RealisticDetectorOptions& o) { o.camera_fps = {30.0, -60.0}; }, "camera_fps");
}


TEST(RealisticDetector, ComponentsSwitchOffOneAtATime) {
  const Truth& t = H36mTruth();
  const double height = t.motion.subject_height;
  // Mean distance (px) of the detected joints `joints` from their true projections; the largest too.
  auto error_px = [&](const SimulatedDetection& d, const std::vector<int>& joints, double* largest) {
    double sum = 0.0;
    int n = 0;
    *largest = 0.0;
    for (size_t c = 0; c < t.rig.cameras.size(); ++c)
      for (int f = 0; f < t.motion.points3d.num_frames(); ++f)
        for (int j : joints) {
          const Eigen::Vector3d det = d.observations.at(static_cast<int>(c), f, j);
          const auto truth = t.rig.cameras[c].ImageFromWorld(t.motion.points3d.at(f, j));
          if (det.z() <= 0 || !truth) continue;
          const double e = (det.head<2>() - *truth).norm();
          sum += e;
          *largest = std::max(*largest, e);
          ++n;
        }
    EXPECT_GT(n, 1000);
    return sum / std::max(n, 1);
  };
  RealisticDetectorOptions none;
  for (const char* c : {"noise", "offsets", "face", "gross", "confidence"}) none = WithoutComponent(none, c);
  none.missing_rate = 0.0;
  EXPECT_NO_THROW(none.Check());
  const SimulatedDetection exact = SimulateRealisticDetector(t.rig.cameras, t.motion.points3d, height, none);
  std::vector<int> all(17);
  std::iota(all.begin(), all.end(), 0);
  double largest = 0.0;
  EXPECT_NEAR(error_px(exact, all, &largest), 0.0, 1e-9);
  EXPECT_LT(largest, 1e-6);  // no error left: every joint on its projection
  for (size_t c = 0; c < t.rig.cameras.size(); ++c)
    for (int f = 0; f < t.motion.points3d.num_frames(); f += 7)
      for (int j = 0; j < 17; ++j) {
        const double conf = exact.observations.at(static_cast<int>(c), f, j).z();
        if (conf > 0) {
          EXPECT_DOUBLE_EQ(conf, none.joint_confidence[j]) << "joint " << j;  // the base confidence only
        }
      }
  // One component back: only its joints move.
  RealisticDetectorOptions offsets_only = none;
  offsets_only.hip_outward_m = RealisticDetectorOptions().hip_outward_m;
  const SimulatedDetection hips = SimulateRealisticDetector(t.rig.cameras, t.motion.points3d, height, offsets_only);
  EXPECT_GT(error_px(hips, {kLeftHip, kRightHip}, &largest), 0.5);
  EXPECT_LT(error_px(hips, {13, 14, 15, 16}, &largest), 1e-9);  // knees, ankles untouched
  RealisticDetectorOptions noise_only = WithoutComponent(RealisticDetectorOptions(), "offsets");
  for (const char* c : {"face", "gross"}) noise_only = WithoutComponent(noise_only, c);
  noise_only.missing_rate = 0.0;
  const SimulatedDetection noisy = SimulateRealisticDetector(t.rig.cameras, t.motion.points3d, height, noise_only);
  EXPECT_GT(error_px(noisy, {13, 14}, &largest), 2.0);  // knees: 4.2 px x 1.1 per axis at 400 px
  // The random part's shape.
  EXPECT_EQ(WithoutComponent(RealisticDetectorOptions(), "correlation").Rho(), 0.0);
  EXPECT_GT(RealisticDetectorOptions().Rho(), 0.7);
  EXPECT_EQ(WithoutComponent(RealisticDetectorOptions(), "tails").student_dof, 100.0);
  EXPECT_EQ(WithoutComponent(RealisticDetectorOptions(), "far_side").far_side_noise_gain, 0.0);
  for (const std::string& name : RealisticComponentNames())
    EXPECT_NO_THROW(WithoutComponent(RealisticDetectorOptions(), name).Check()) << name;
  try {
    WithoutComponent(RealisticDetectorOptions(), "bias");
    ADD_FAILURE() << "no error for an unknown component";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("realistic-off"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("offsets"), std::string::npos) << e.what();  // the known names
  }
}

// Several people: `truth` shifted by `shift` (world metres) in every frame.
Points3d Shifted(const Points3d& truth, const Eigen::Vector3d& shift) {
  Points3d out = truth;
  for (int f = 0; f < out.num_frames(); ++f) {
    for (int j = 0; j < 17; ++j) out.at(f, j) += shift;
  }
  return out;
}

// Per-axis RMS of the pixel error of the elbows and wrists over sigma_j (1 when the errors have
// the configured size), for one person of a group.
double NormalizedElbowWristRms(const Rig& rig, const Points3d& truth, double height, const SimulatedDetection& d,
                               const RealisticDetectorOptions& o) {
  double sum = 0.0;
  int64_t n = 0;
  for (size_t c = 0; c < rig.size(); ++c) {
    for (int f = 0; f < truth.num_frames(); ++f) {
      const double scale = PersonHeightPx(rig[c], truth.Row(f), height) / o.reference_height_px;
      for (int j = 7; j < 11; ++j) {
        const Eigen::Vector3d det = d.observations.at(c, f, j);
        const size_t i = (c * truth.num_frames() + f) * 17 + j;
        if (det.z() <= 0 || d.occluded_mask[i]) continue;
        const Eigen::Vector2d e = det.head<2>() - *rig[c].ImageFromWorld(truth.at(f, j));
        sum += e.squaredNorm() / std::pow(o.noise_px * scale * o.joint_noise_scale[j], 2);
        n += 2;
      }
    }
  }
  return n > 0 ? std::sqrt(sum / n) : 0.0;
}

TEST(RealisticGroupDetector, EveryPersonGetsErrorsOfTheConfiguredSizeAndItsOwn) {
  const Truth& t = H36mTruth();
  RealisticDetectorOptions o = CleanOptions();
  o.hip_raise_m = o.hip_outward_m = o.shoulder_outward_m = 0.0;
  o.far_side_noise_gain = 0.0;
  const std::vector<Points3d> people = {t.motion.points3d, Shifted(t.motion.points3d, {1.0, 0.0, 0.0}),
                                        Shifted(t.motion.points3d, {0.0, -1.0, 0.0})};
  const std::vector<double> heights = {1.6, 1.75, 1.9};
  const std::vector<SimulatedDetection> d =
      SimulateRealisticGroupDetector(t.rig.cameras, people, heights, o, SimulatedDetectorOptions{});
  ASSERT_EQ(d.size(), 3u);
  for (size_t p = 0; p < people.size(); ++p) {
    const double rms = NormalizedElbowWristRms(t.rig.cameras, people[p], heights[p], d[p], o);
    EXPECT_NEAR(rms, 1.0, 0.12) << "person " << p;  // Student-t (4 dof): unit variance, a noisy estimate
  }
  // Their own errors: the same motion shifted, different error sequences (no correlation).
  double s01 = 0.0, s00 = 0.0, s11 = 0.0;
  for (size_t c = 0; c < t.rig.cameras.size(); ++c) {
    for (int f = 0; f < t.motion.points3d.num_frames(); ++f) {
      const Eigen::Vector3d a = d[0].observations.at(c, f, 9), b = d[1].observations.at(c, f, 9);
      if (a.z() <= 0 || b.z() <= 0) continue;
      const Eigen::Vector2d ea = a.head<2>() - *t.rig.cameras[c].ImageFromWorld(people[0].at(f, 9));
      const Eigen::Vector2d eb = b.head<2>() - *t.rig.cameras[c].ImageFromWorld(people[1].at(f, 9));
      s01 += ea.dot(eb);
      s00 += ea.squaredNorm();
      s11 += eb.squaredNorm();
    }
  }
  EXPECT_LT(std::abs(s01 / std::sqrt(s00 * s11)), 0.15);
}

TEST(RealisticGroupDetector, PersonZeroAloneIsTheSinglePersonDetector) {
  const Truth& t = H36mTruth();
  RealisticDetectorOptions o;
  o.seed = 5;
  const SimulatedDetection single =
      SimulateRealisticDetector(t.rig.cameras, t.motion.points3d, t.motion.subject_height, o);
  // The single-person output as it was before several people were added (seed 5, this motion):
  // sums of the coordinates and of the confidences.
  double sum_xy = 0.0, sum_conf = 0.0;
  for (const Eigen::Vector3d& k : single.observations.data()) {
    sum_xy += k.x() + k.y();
    sum_conf += k.z();
  }
  EXPECT_NEAR(sum_xy, 26065407.949618772, 1e-3);
  EXPECT_NEAR(sum_conf, 16472.734071528666, 1e-6);
  EXPECT_EQ(single.statistics.swapped_pairs, 242);
  EXPECT_TRUE(single.occluded_mask.empty());

  Points3d absent(t.motion.points3d.num_frames(), 17);  // NaN: never in the scene
  const std::vector<SimulatedDetection> group = SimulateRealisticGroupDetector(
      t.rig.cameras, {t.motion.points3d, absent}, {t.motion.subject_height, 1.7}, o, SimulatedDetectorOptions{});
  EXPECT_EQ(group[0].observations.data(), single.observations.data());
  EXPECT_EQ(group[0].outlier_mask, single.outlier_mask);
  EXPECT_EQ(group[0].swap_mask, single.swap_mask);
  EXPECT_EQ(group[0].missing_mask, single.missing_mask);
  EXPECT_EQ(group[0].statistics.visible, single.statistics.visible);
  for (const Eigen::Vector3d& k : group[1].observations.data()) ASSERT_EQ(k, Eigen::Vector3d::Zero());
  for (uint8_t m : group[1].invisible_mask) ASSERT_EQ(m, 1);
  EXPECT_EQ(group[1].statistics.points, 0);
}

TEST(RealisticGroupDetector, EachCameraSeesThePeopleAtItsOwnTimes) {
  const Truth& t = H36mTruth();
  const RealisticDetectorOptions o = CleanOptions();
  const Points3d a = t.motion.points3d, b = Shifted(a, {1.2, 0.6, 0.0});
  const int frames = a.num_frames();
  auto later = [&](const Points3d& truth) {  // the same motion 5 frames later
    Points3d out(frames, 17);
    for (int f = 0; f < frames; ++f) {
      for (int j = 0; j < 17; ++j) out.at(f, j) = truth.at(std::min(f + 5, frames - 1), j);
    }
    return out;
  };
  const Points3d a_later = later(a), b_later = later(b);
  const auto synchronised = SimulateRealisticGroupDetector(t.rig.cameras, {a, b}, {1.7, 1.8}, o, {});
  const std::vector<std::vector<const Points3d*>> views = {{&a, &b}, {&a_later, &b_later}, {&a, &b}, {&a, &b}};
  const auto shifted = SimulateRealisticGroupDetector(t.rig.cameras, views, {1.7, 1.8}, o, {});
  for (int p = 0; p < 2; ++p) {
    std::vector<double> to_later, to_now;
    for (int c = 0; c < 4; ++c) {
      for (int f = 0; f + 5 < frames; ++f) {
        for (int j = 0; j < 17; ++j) {
          const Eigen::Vector3d& s = synchronised[p].observations.at(c, f, j);
          const Eigen::Vector3d& d = shifted[p].observations.at(c, f, j);
          if (c != 1) {
            ASSERT_EQ(s, d) << "person " << p << " camera " << c << " frame " << f;
            continue;
          }
          const Points3d& now = p == 0 ? a : b;
          const Points3d& then = p == 0 ? a_later : b_later;
          const auto p_later = t.rig.cameras[c].ImageFromWorld(then.at(f, j));
          const auto p_now = t.rig.cameras[c].ImageFromWorld(now.at(f, j));
          if (!(d.z() > 0) || !p_later || !p_now) continue;
          to_later.push_back((d.head<2>() - *p_later).norm());
          to_now.push_back((d.head<2>() - *p_now).norm());
        }
      }
    }
    ASSERT_GT(to_later.size(), 1000u);
    std::nth_element(to_later.begin(), to_later.begin() + to_later.size() / 2, to_later.end());
    std::nth_element(to_now.begin(), to_now.begin() + to_now.size() / 2, to_now.end());
    EXPECT_LT(to_later[to_later.size() / 2], 8.0) << "person " << p;
    EXPECT_GT(to_now[to_now.size() / 2], 10.0) << "person " << p;
  }
  const std::vector<std::vector<const Points3d*>> uneven = {{&a, &b}, {&a}, {&a, &b}, {&a, &b}};
  EXPECT_THROW(SimulateRealisticGroupDetector(t.rig.cameras, uneven, {1.7, 1.8}, o, {}), std::invalid_argument);
}

TEST(RealisticGroupDetector, AddingAPersonLeavesTheOthersErrors) {
  const Truth& t = H36mTruth();
  const RealisticDetectorOptions o;
  const Points3d a = t.motion.points3d, b = Shifted(a, {1.0, 0.5, 0.0});
  const Points3d far_above = Shifted(a, {0.0, 0.0, 30.0});  // can hide nobody
  const auto two = SimulateRealisticGroupDetector(t.rig.cameras, {a, b}, {1.7, 1.8}, o, SimulatedDetectorOptions{});
  const auto three =
      SimulateRealisticGroupDetector(t.rig.cameras, {a, b, far_above}, {1.7, 1.8, 1.7}, o, SimulatedDetectorOptions{});
  EXPECT_EQ(two[0].observations.data(), three[0].observations.data());
  EXPECT_EQ(two[1].observations.data(), three[1].observations.data());
}

// Person 1 stands 40% of the way from camera 0 to person 0 in every frame.
std::vector<Points3d> InFrontOfCameraZero(const Truth& t) {
  const Points3d& back = t.motion.points3d;
  Points3d front = back;
  const Eigen::Vector3d camera = t.rig.cameras[0].CenterInWorld();
  for (int f = 0; f < back.num_frames(); ++f) {
    Eigen::Vector3d shift = 0.4 * (camera - 0.5 * (back.at(f, kLeftHip) + back.at(f, kRightHip)));
    shift.z() = 0.0;
    for (int j = 0; j < 17; ++j) front.at(f, j) += shift;
  }
  return {back, front};
}

TEST(RealisticGroupDetector, AJointBehindAnotherPersonIsOccluded) {
  const Truth& t = H36mTruth();
  const std::vector<Points3d> people = InFrontOfCameraZero(t);
  RealisticDetectorOptions o = CleanOptions();
  o.noise_px = 0.0;
  o.confidence_noise = 0.0;
  SimulatedDetectorOptions occlusion;
  occlusion.occlusion_drop_rate = 0.0;
  occlusion.occlusion_confidence_factor = 0.6;
  const SimulatedDetection alone = SimulateRealisticDetector(t.rig.cameras, people[0], 1.72, o);
  const auto kept = SimulateRealisticGroupDetector(t.rig.cameras, people, {1.72, 1.72}, o, occlusion);
  const int frames = people[0].num_frames();
  int64_t hidden = 0, hidden_camera0 = 0;
  for (size_t c = 0; c < t.rig.cameras.size(); ++c) {
    for (int f = 0; f < frames; ++f) {
      for (int j = 0; j < 17; ++j) {
        const size_t i = (c * frames + f) * 17 + j;
        const Eigen::Vector3d g = kept[0].observations.at(c, f, j), s = alone.observations.at(c, f, j);
        if (kept[0].occluded_mask[i]) {
          ++hidden;
          hidden_camera0 += c == 0;
          ASSERT_NEAR((g.head<2>() - s.head<2>()).norm(), 0.0, 1e-9);  // no noise: same place
          ASSERT_NEAR(g.z(), std::clamp(0.6 * s.z(), 0.05, 0.99), 1e-12);
        } else {
          ASSERT_EQ(g, s);
        }
      }
    }
  }
  EXPECT_EQ(hidden, kept[0].statistics.occluded);
  EXPECT_GT(hidden_camera0, frames * 4);  // the front person hides much of the back one from camera 0
  EXPECT_LT(hidden - hidden_camera0, hidden_camera0);
  // Dropped with drop rate 1.
  occlusion.occlusion_drop_rate = 1.0;
  const auto dropped = SimulateRealisticGroupDetector(t.rig.cameras, people, {1.72, 1.72}, o, occlusion);
  for (size_t i = 0; i < dropped[0].occluded_mask.size(); ++i) {
    if (dropped[0].occluded_mask[i]) {
      ASSERT_EQ(dropped[0].observations.data()[i], Eigen::Vector3d::Zero());
    }
  }
}

TEST(RealisticGroupDetector, SameSeedSameResultWithAnyThreadCount) {
  const Truth& t = H36mTruth();
  const std::vector<Points3d> people = InFrontOfCameraZero(t);
  RealisticDetectorOptions o;
  o.seed = 9;
  std::vector<SimulatedDetection> one, two;
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 1);
    one = SimulateRealisticGroupDetector(t.rig.cameras, people, {1.6, 1.8}, o, SimulatedDetectorOptions{});
  }
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 2);
    two = SimulateRealisticGroupDetector(t.rig.cameras, people, {1.6, 1.8}, o, SimulatedDetectorOptions{});
  }
  for (size_t p = 0; p < 2; ++p) {
    EXPECT_EQ(one[p].observations.data(), two[p].observations.data());
    EXPECT_EQ(one[p].occluded_mask, two[p].occluded_mask);
    EXPECT_EQ(one[p].statistics.occluded, two[p].statistics.occluded);
  }
  EXPECT_GT(one[0].statistics.occluded, 0);
}

}  // namespace
}  // namespace epilabel
