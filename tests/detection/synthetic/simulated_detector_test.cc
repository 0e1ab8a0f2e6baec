#include "detection/synthetic/simulated_detector.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include "detection/skeleton.h"
#include "detection/synthetic/motion.h"
#include "detection/synthetic/rigs.h"
#include "foundation/error.h"
#include "tests/detection/synthetic/synthetic_testing.h"

namespace epilabel {
namespace {

constexpr int kLeftHip = 11, kRightHip = 12, kLeftShoulder = 5, kRightShoulder = 6;

struct Truth {
  StudioRig rig;
  MotionSequence motion;
};

const Truth& TruthFor(const std::string& rig_name) {
  static std::map<std::string, Truth> cache;
  auto it = cache.find(rig_name);
  if (it != cache.end()) return it->second;
  Truth t;
  t.rig = MakeStudioRig(rig_name);
  std::vector<BvhMotion> clips;
  for (const auto& path : testing::ShippedClips()) clips.push_back(ReadBvh(path));
  MotionOptions options;
  options.num_frames = 600;
  options.area_center = t.rig.area_center;
  options.area_half_extents = t.rig.area_half_extents;
  options.seed = 5;
  t.motion = GenerateMotion(clips, options);
  return cache.emplace(rig_name, std::move(t)).first->second;
}

SimulatedDetection Detect(const Truth& t, const SimulatedDetectorOptions& options) {
  return SimulateDetector(t.rig.cameras, t.motion.points3d, t.motion.subject_height, options);
}

size_t Index(const SimulatedDetection& d, int c, int f, int j) {
  return (static_cast<size_t>(c) * d.observations.num_frames() + f) * 17 + j;
}

SimulatedDetectorOptions Clean() {
  SimulatedDetectorOptions o;
  o.noise_px = 0.0;
  o.outlier_rate = o.swap_rate = o.missing_rate = 0.0;
  return o;
}

double Median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}
double Quantile(std::vector<double> v, double q) {
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(q * v.size()));
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

TEST(SimulatedDetector, WithoutNoiseEveryVisiblePointIsTheOpenCvProjection) {
  for (const auto& rig_name : StudioRigNames()) {
    const Truth& t = TruthFor(rig_name);
    const SimulatedDetection d = Detect(t, Clean());
    int64_t checked = 0;
    for (int c = 0; c < static_cast<int>(t.rig.cameras.size()); ++c) {
      const Camera& camera = t.rig.cameras[c];
      const VisibleProjector projector(camera);
      for (int f = 0; f < t.motion.points3d.num_frames(); ++f) {
        const std::vector<Eigen::Vector3d> joints(t.motion.points3d.Row(f), t.motion.points3d.Row(f) + 17);
        const auto reference = testing::ProjectWithOpenCv(camera, joints);
        for (int j = 0; j < 17; ++j) {
          const Eigen::Vector3d& o = d.observations.at(c, f, j);
          const bool visible = d.invisible_mask[Index(d, c, f, j)] == 0;
          EXPECT_EQ(visible, projector.Project(joints[j]).has_value());
          if (!visible) {
            ASSERT_EQ(o, Eigen::Vector3d::Zero());
            continue;
          }
          ASSERT_GT(o.z(), 0.0);
          ASSERT_NEAR((o.head<2>() - reference[j]).norm(), 0.0, 1e-6) << rig_name << " c" << c << " f" << f << " j" << j;
          ASSERT_TRUE(camera.IsInImage(o.head<2>()));
          ++checked;
        }
      }
    }
    EXPECT_EQ(checked, d.statistics.visible);
    EXPECT_EQ(d.statistics.missing + d.statistics.outliers + d.statistics.swapped_pairs, 0);
    EXPECT_GT(d.statistics.visible, d.statistics.points / 2) << rig_name;
  }
}

TEST(SimulatedDetector, PointsBehindOrBesideTheCameraAreZeroAndMasked) {
  const StudioRig rig = MakeStudioRig("stereo2");
  const Camera& camera = rig.cameras[0];
  const Eigen::Vector3d center = camera.CenterInWorld();
  const Eigen::Vector3d forward = camera.cam_from_world.rotation.conjugate() * Eigen::Vector3d::UnitZ();
  const Eigen::Vector3d right = camera.cam_from_world.rotation.conjugate() * Eigen::Vector3d::UnitX();
  Points3d truth(1, 17);
  for (int j = 0; j < 17; ++j) truth.at(0, j) = rig.look_at + Eigen::Vector3d(0.01 * j, 0.0, 0.03 * j - 0.3);
  truth.at(0, 0) = center - 2.0 * forward;                 // behind
  truth.at(0, 1) = center + 1.0 * forward + 5.0 * right;   // far outside the field of view
  truth.at(0, 2) = center + 0.2 * forward + 0.136 * right;  // just outside the image
  const Rig one = {camera};
  const SimulatedDetection d = SimulateDetector(one, truth, 1.7, Clean());
  for (int j = 0; j < 3; ++j) {
    EXPECT_EQ(d.invisible_mask[j], 1) << j;
    EXPECT_EQ(d.observations.at(0, 0, j), Eigen::Vector3d::Zero());
  }
  for (int j = 3; j < 17; ++j) EXPECT_EQ(d.invisible_mask[j], 0) << j;
  EXPECT_EQ(d.statistics.visible, 14);
}

TEST(SimulatedDetector, MeasuredRatesMatchTheOptions) {
  const Truth& t = TruthFor("ring8");
  SimulatedDetectorOptions o;
  o.noise_px = 3.0;
  o.outlier_rate = 0.1;
  o.swap_rate = 0.05;
  o.missing_rate = 0.08;
  const SimulatedDetection d = Detect(t, o);
  const DetectorStatistics& s = d.statistics;
  EXPECT_NEAR(s.outlier_rate(), 0.1, 0.01);
  EXPECT_NEAR(s.swap_rate(), 0.05, 0.008);
  EXPECT_NEAR(s.missing_rate(), 0.08, 0.01);
  // The masks agree with the counts and with what is written.
  int64_t outliers = 0, missing = 0, swapped = 0, invisible = 0;
  for (size_t i = 0; i < d.outlier_mask.size(); ++i) {
    outliers += d.outlier_mask[i];
    missing += d.missing_mask[i];
    swapped += d.swap_mask[i];
    invisible += d.invisible_mask[i];
    const Eigen::Vector3d& obs = d.observations.data()[i];
    if (d.missing_mask[i] || d.invisible_mask[i]) {
      EXPECT_EQ(obs, Eigen::Vector3d::Zero());
      EXPECT_EQ(d.outlier_mask[i] + d.swap_mask[i], 0);
    } else {
      EXPECT_GT(obs.z(), 0.0);
    }
    EXPECT_LE(d.missing_mask[i] + d.invisible_mask[i], 1);
  }
  EXPECT_EQ(outliers, s.outliers);
  EXPECT_EQ(missing, s.missing);
  EXPECT_EQ(swapped, 2 * s.swapped_pairs);
  EXPECT_EQ(invisible, s.invisible());
}

// Outliers are gross errors; swapped joints carry the other side's detection.
TEST(SimulatedDetector, OutliersAreFarAndSwapsExchangeTheSides) {
  const Truth& t = TruthFor("h36m4");
  SimulatedDetectorOptions o = Clean();
  o.outlier_rate = 0.05;
  o.swap_rate = 0.05;
  const SimulatedDetection d = Detect(t, o);
  const auto& pairs = GetSkeleton("coco17").symmetric;
  int checked_outliers = 0, checked_swaps = 0;
  for (int c = 0; c < static_cast<int>(t.rig.cameras.size()); ++c) {
    const Camera& camera = t.rig.cameras[c];
    for (int f = 0; f < t.motion.points3d.num_frames(); ++f) {
      const Eigen::Vector3d* joints = t.motion.points3d.Row(f);
      const double height = PersonHeightPx(camera, joints, t.motion.subject_height);
      for (int j = 0; j < 17; ++j) {
        if (!d.outlier_mask[Index(d, c, f, j)] || d.swap_mask[Index(d, c, f, j)]) continue;
        const auto truth = camera.ImageFromWorld(joints[j]);
        EXPECT_GT((d.observations.at(c, f, j).head<2>() - *truth).norm(), 0.05 * height);
        ++checked_outliers;
      }
      for (const auto& pair : pairs) {
        if (!d.swap_mask[Index(d, c, f, pair.left)]) continue;
        EXPECT_EQ(d.swap_mask[Index(d, c, f, pair.right)], 1);
        if (d.outlier_mask[Index(d, c, f, pair.left)] || d.outlier_mask[Index(d, c, f, pair.right)]) continue;
        const auto right_truth = camera.ImageFromWorld(joints[pair.right]);
        EXPECT_NEAR((d.observations.at(c, f, pair.left).head<2>() - *right_truth).norm(), 0.0, 1e-9);
        ++checked_swaps;
      }
    }
  }
  EXPECT_GT(checked_outliers, 100);
  EXPECT_GT(checked_swaps, 50);
}

struct ErrorSample {
  double error_px;          // distance to the true projection
  double normalized_error;  // error * 400 / person height
  double confidence;
  double height_px;         // the person's image height
  int joint;
};

std::vector<ErrorSample> Errors(const Truth& t, const SimulatedDetection& d) {
  std::vector<ErrorSample> out;
  for (int c = 0; c < static_cast<int>(t.rig.cameras.size()); ++c) {
    const Camera& camera = t.rig.cameras[c];
    for (int f = 0; f < t.motion.points3d.num_frames(); ++f) {
      const Eigen::Vector3d* joints = t.motion.points3d.Row(f);
      const double height = PersonHeightPx(camera, joints, t.motion.subject_height);
      for (int j = 0; j < 17; ++j) {
        const size_t i = Index(d, c, f, j);
        if (d.invisible_mask[i] || d.missing_mask[i] || d.outlier_mask[i] || d.swap_mask[i]) continue;
        const Eigen::Vector2d truth = *camera.ImageFromWorld(joints[j]);
        const Eigen::Vector3d& o = d.observations.at(c, f, j);
        // Skip points clamped at the image border.
        if (o.x() <= 0.0 || o.y() <= 0.0 || o.x() >= camera.width - 1.0 || o.y() >= camera.height - 1.0) continue;
        const double e = (o.head<2>() - truth).norm();
        out.push_back({e, e * 400.0 / height, o.z(), height, j});
      }
    }
  }
  return out;
}

std::vector<double> NormalizedErrorsOf(const std::vector<ErrorSample>& samples, std::initializer_list<int> joints) {
  std::vector<double> v;
  for (const auto& s : samples) {
    if (std::find(joints.begin(), joints.end(), s.joint) != joints.end()) v.push_back(s.normalized_error);
  }
  return v;
}

TEST(SimulatedDetector, ErrorScalesWithNoiseAndPersonSize) {
  const Truth& t = TruthFor("ring8");
  SimulatedDetectorOptions o = Clean();
  o.noise_px = 2.0;
  const auto small = Errors(t, Detect(t, o));
  o.noise_px = 4.0;
  const auto large = Errors(t, Detect(t, o));
  // Knees, ankles, shoulders: std. dev. noise_px per axis at 400 px, so the median distance is
  // noise_px * sqrt(2 ln 2) = 1.1774 noise_px.
  const double m_small = Median(NormalizedErrorsOf(small, {5, 6, 13, 14, 15, 16}));
  const double m_large = Median(NormalizedErrorsOf(large, {5, 6, 13, 14, 15, 16}));
  EXPECT_NEAR(m_small, 1.1774 * 2.0, 0.1 * 1.1774 * 2.0);
  EXPECT_NEAR(m_large / m_small, 2.0, 0.1);
  // In pixels, the error is larger where the person looks larger.
  std::vector<double> near_px, far_px;
  std::vector<double> heights;
  for (const auto& s : large) heights.push_back(s.height_px);
  const double median_height = Median(heights);
  for (const auto& s : large) {
    if (s.joint < 13) continue;
    (s.height_px > median_height ? near_px : far_px).push_back(s.error_px);
  }
  EXPECT_GT(Median(near_px), Median(far_px));
  // Face points are more precise than limbs; wrists and elbows less, with a heavier tail.
  const auto face = NormalizedErrorsOf(large, {0, 1, 2, 3, 4});
  const auto knees = NormalizedErrorsOf(large, {13, 14});
  const auto wrists = NormalizedErrorsOf(large, {9, 10});
  EXPECT_LT(Median(face), Median(knees));
  EXPECT_GT(Quantile(wrists, 0.5), Quantile(knees, 0.5));
  EXPECT_GT(Quantile(wrists, 0.995) / Quantile(wrists, 0.5), 1.2 * Quantile(knees, 0.995) / Quantile(knees, 0.5));
}

TEST(SimulatedDetector, ConfidenceFallsAsTheErrorGrows) {
  const Truth& t = TruthFor("h36m4");
  SimulatedDetectorOptions o = Clean();
  o.noise_px = 4.0;
  auto samples = Errors(t, Detect(t, o));
  std::vector<ErrorSample> limbs;
  for (const auto& s : samples) {
    if (s.joint >= 13) limbs.push_back(s);  // knees, ankles: one noise level, no hip shift
  }
  std::sort(limbs.begin(), limbs.end(), [](const auto& a, const auto& b) { return a.normalized_error < b.normalized_error; });
  const size_t q = limbs.size() / 4;
  double low = 0.0, high = 0.0;
  for (size_t i = 0; i < q; ++i) {
    low += limbs[i].confidence;
    high += limbs[limbs.size() - 1 - i].confidence;
  }
  EXPECT_GT(low / q, high / q + 0.1);
  for (const auto& s : samples) {
    EXPECT_GE(s.confidence, 0.05);
    EXPECT_LE(s.confidence, 0.99);
  }
}

TEST(SimulatedDetector, HipsAreShiftedTowardTheShoulders) {
  const Truth& t = TruthFor("ring8");
  SimulatedDetectorOptions o = Clean();
  o.hip_offset_px = 5.0;
  const SimulatedDetection d = Detect(t, o);
  int checked = 0;
  for (int c = 0; c < static_cast<int>(t.rig.cameras.size()); ++c) {
    const Camera& camera = t.rig.cameras[c];
    for (int f = 0; f < t.motion.points3d.num_frames(); f += 7) {
      const Eigen::Vector3d* joints = t.motion.points3d.Row(f);
      const double scale = PersonHeightPx(camera, joints, t.motion.subject_height) / 400.0;
      const Eigen::Vector2d hips = *camera.ImageFromWorld(0.5 * (joints[kLeftHip] + joints[kRightHip]));
      const Eigen::Vector2d shoulders = *camera.ImageFromWorld(0.5 * (joints[kLeftShoulder] + joints[kRightShoulder]));
      const Eigen::Vector2d up = (shoulders - hips).normalized();
      for (int j : {kLeftHip, kRightHip}) {
        if (d.invisible_mask[Index(d, c, f, j)]) continue;
        const Eigen::Vector2d truth = *camera.ImageFromWorld(joints[j]);
        const Eigen::Vector2d shift = d.observations.at(c, f, j).head<2>() - truth;
        if (!camera.IsInImage(truth + 5.0 * scale * up)) continue;
        EXPECT_NEAR((shift - 5.0 * scale * up).norm(), 0.0, 1e-6);
        ++checked;
      }
      // Other joints are untouched.
      if (!d.invisible_mask[Index(d, c, f, 13)]) {
        EXPECT_NEAR((d.observations.at(c, f, 13).head<2>() - *camera.ImageFromWorld(joints[13])).norm(), 0.0, 1e-9);
      }
    }
  }
  EXPECT_GT(checked, 500);
  // By default the shift is 1.5 noise_px: none without noise.
  EXPECT_EQ(Clean().EffectiveHipOffsetPx(), 0.0);
  SimulatedDetectorOptions noisy;
  noisy.noise_px = 2.0;
  EXPECT_EQ(noisy.EffectiveHipOffsetPx(), 3.0);
}

TEST(SimulatedDetector, DeterministicForASeedAndIndependentOfThreads) {
  const Truth& t = TruthFor("ring8");
  SimulatedDetectorOptions o;
  o.noise_px = 3.0;
  o.outlier_rate = 0.05;
  o.swap_rate = 0.02;
  o.missing_rate = 0.05;
  o.seed = 42;
  SimulatedDetection one, two;
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 1);
    one = Detect(t, o);
  }
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 2);
    two = Detect(t, o);
  }
  EXPECT_EQ(one.observations.data(), two.observations.data());
  EXPECT_EQ(one.outlier_mask, two.outlier_mask);
  EXPECT_EQ(one.swap_mask, two.swap_mask);
  EXPECT_EQ(one.missing_mask, two.missing_mask);
  o.seed = 43;
  const SimulatedDetection other = Detect(t, o);
  EXPECT_NE(one.observations.data(), other.observations.data());
  // Changing one rate keeps the noise of the untouched points.
  o.seed = 42;
  o.outlier_rate = 0.0;
  const SimulatedDetection fewer = Detect(t, o);
  int same = 0, compared = 0;
  for (size_t i = 0; i < one.outlier_mask.size(); ++i) {
    if (one.outlier_mask[i] || one.swap_mask[i] || one.missing_mask[i] || one.invisible_mask[i]) continue;
    ++compared;
    same += one.observations.data()[i] == fewer.observations.data()[i];
  }
  EXPECT_EQ(same, compared);
}

// Two people standing still for `frames` frames: `front` between camera 0 of stereo2 and `back`
// (40% of the way from the camera to the capture area centre), `back` at the centre.
struct TwoPeople {
  StudioRig rig;
  std::vector<Points3d> people;
  std::vector<double> heights;
};

TwoPeople StandingPair(double front_sideways_m, int frames = 1) {
  TwoPeople t;
  t.rig = MakeStudioRig("stereo2");
  const CocoPose rest = BodyModel(ReadBvh(testing::ShippedClips()[0])).RestPose();
  const Eigen::Vector2d camera = t.rig.cameras[0].CenterInWorld().head<2>();
  const Eigen::Vector2d target = t.rig.area_center;
  const Eigen::Vector2d along = (target - camera).normalized();
  const Eigen::Vector2d side(-along.y(), along.x());
  const Eigen::Vector2d mid_hip = 0.5 * (rest.joints[kLeftHip] + rest.joints[kRightHip]).head<2>();
  const std::vector<Eigen::Vector2d> places = {target, camera + 0.4 * (target - camera) + front_sideways_m * side};
  for (const Eigen::Vector2d& place : places) {
    Points3d points(frames, 17);
    for (int f = 0; f < frames; ++f) {
      for (int j = 0; j < 17; ++j) {
        points.at(f, j) = rest.joints[j];
        points.at(f, j).head<2>() += place - mid_hip;
      }
    }
    t.people.push_back(points);
    t.heights.push_back(1.52);
  }
  return t;
}

TEST(SimulatedDetector, AJointBehindAnotherPersonIsOccluded) {
  const TwoPeople t = StandingPair(0.0);
  const Eigen::Vector3d camera0 = t.rig.cameras[0].CenterInWorld();
  const Eigen::Vector3d camera1 = t.rig.cameras[1].CenterInWorld();
  const BodyCapsules back = MakeBodyCapsules(t.people[0].Row(0), 1.52);
  const BodyCapsules front = MakeBodyCapsules(t.people[1].Row(0), 1.52);
  // Camera 0 looks at the back person's hips through the front person's torso.
  EXPECT_TRUE(IsOccludedBy(camera0, t.people[0].at(0, kLeftHip), front));
  EXPECT_TRUE(IsOccludedBy(camera0, t.people[0].at(0, kRightHip), front));
  // Camera 1, 1.5 m to the side, sees past; nobody in front is hidden by the one behind.
  EXPECT_FALSE(IsOccludedBy(camera1, t.people[0].at(0, kLeftHip), front));
  for (int j = 0; j < 17; ++j) EXPECT_FALSE(IsOccludedBy(camera0, t.people[1].at(0, j), back)) << j;
  // Moved 1.2 m sideways, the front person hides nothing from camera 0.
  const TwoPeople apart = StandingPair(1.2);
  const BodyCapsules aside = MakeBodyCapsules(apart.people[1].Row(0), 1.52);
  for (int j = 0; j < 17; ++j) EXPECT_FALSE(IsOccludedBy(camera0, apart.people[0].at(0, j), aside)) << j;

  // Through the detector, without noise: the masks say the same, and hidden joints are
  // dropped (drop rate 1) or kept at the exact projection (drop rate 0, no noise).
  SimulatedDetectorOptions o = Clean();
  o.occlusion_drop_rate = 1.0;
  const std::vector<SimulatedDetection> d = SimulateGroupDetector(t.rig.cameras, t.people, t.heights, o);
  ASSERT_EQ(d.size(), 2u);
  for (int hip : {kLeftHip, kRightHip}) {
    EXPECT_EQ(d[0].occluded_mask[Index(d[0], 0, 0, hip)], 1) << hip;
    EXPECT_EQ(d[0].observations.at(0, 0, hip), Eigen::Vector3d::Zero());
    EXPECT_EQ(d[0].occluded_mask[Index(d[0], 1, 0, hip)], 0) << hip;
    EXPECT_GT(d[0].observations.at(1, 0, hip).z(), 0.0);
  }
  int front_occluded = 0, back_occluded = 0;
  for (uint8_t m : d[1].occluded_mask) front_occluded += m;
  for (uint8_t m : d[0].occluded_mask) back_occluded += m;
  EXPECT_EQ(front_occluded, 0);
  EXPECT_EQ(back_occluded, d[0].statistics.occluded);
  EXPECT_GE(back_occluded, 2);
  o.occlusion_drop_rate = 0.0;
  const std::vector<SimulatedDetection> kept = SimulateGroupDetector(t.rig.cameras, t.people, t.heights, o);
  const Camera& cam0 = t.rig.cameras[0];
  for (int hip : {kLeftHip, kRightHip}) {
    const auto exact = testing::ProjectWithOpenCv(cam0, {t.people[0].at(0, hip)});
    EXPECT_NEAR((kept[0].observations.at(0, 0, hip).head<2>() - exact[0]).norm(), 0.0, 1e-6);
  }
}

TEST(SimulatedDetector, GroupDetectorGivesPersonZeroTheSinglePersonDetections) {
  const Truth& t = TruthFor("h36m4");
  Points3d absent(t.motion.points3d.num_frames(), 17);  // NaN: never in the scene
  SimulatedDetectorOptions o;
  o.outlier_rate = 0.05;
  o.swap_rate = 0.05;
  const SimulatedDetection single = Detect(t, o);
  const std::vector<SimulatedDetection> group =
      SimulateGroupDetector(t.rig.cameras, {t.motion.points3d, absent}, {t.motion.subject_height, 1.7}, o);
  EXPECT_EQ(group[0].observations.data(), single.observations.data());
  EXPECT_EQ(group[0].outlier_mask, single.outlier_mask);
  EXPECT_EQ(group[0].swap_mask, single.swap_mask);
  EXPECT_EQ(group[0].statistics.visible, single.statistics.visible);
  // The absent person: nothing detected, every joint marked invisible, no points counted.
  for (const Eigen::Vector3d& k : group[1].observations.data()) ASSERT_EQ(k, Eigen::Vector3d::Zero());
  for (uint8_t m : group[1].invisible_mask) ASSERT_EQ(m, 1);
  EXPECT_EQ(group[1].statistics.points, 0);
}

TEST(SimulatedDetector, BadOptionsAreInputErrors) {
  const Truth& t = TruthFor("stereo2");
  SimulatedDetectorOptions o;
  o.noise_px = -1.0;
  EXPECT_THROW(Detect(t, o), InputError);
  o.noise_px = std::nan("");
  EXPECT_THROW(Detect(t, o), InputError);
  o = SimulatedDetectorOptions{};
  o.outlier_rate = 1.5;
  EXPECT_THROW(Detect(t, o), InputError);
  o = SimulatedDetectorOptions{};
  o.swap_rate = -0.1;
  EXPECT_THROW(Detect(t, o), InputError);
  o = SimulatedDetectorOptions{};
  o.missing_rate = std::nan("");
  EXPECT_THROW(Detect(t, o), InputError);
}

}  // namespace
}  // namespace epilabel
