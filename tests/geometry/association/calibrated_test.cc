#include "geometry/association/calibrated.h"

#include <gtest/gtest.h>
#include <limits>
#include <tbb/global_control.h>

#include "tests/geometry/association/people_fixture.h"

namespace epilabel {
namespace {

using testing::Evaluate;
using testing::MakePeopleScene;
using testing::PeopleScene;
using testing::PeopleSceneOptions;
using testing::Recovery;
using testing::RingRig;
using testing::ThreeWalkers;

constexpr int kFrames = 100;

TEST(AssociateWithCalibration, RecoversThreePeopleOnEightCamerasExactly) {
  PeopleSceneOptions so;
  so.bystander_camera = 0;
  const PeopleScene scene = MakePeopleScene(RingRig(8), ThreeWalkers(kFrames), kFrames, so);
  const AssociationResult result = AssociateWithCalibration(scene.rig, scene.detections, CalibratedAssociationOptions{});
  const Recovery r = Evaluate(scene, result);
  ASSERT_EQ(result.tracks.size(), 3u) << result.summary.BriefReport();
  EXPECT_EQ(r.people_with_own_track, 3);
  EXPECT_EQ(r.recovered, r.person_detections) << result.summary.BriefReport();
  EXPECT_EQ(r.foreign, 0);
  // Unmatched: exactly the bystander's detections.
  EXPECT_EQ(result.summary.num_unmatched, scene.CountDetectionsOf(-1));
  EXPECT_GT(scene.CountDetectionsOf(-1), 90);
  EXPECT_EQ(result.summary.num_detections, scene.detections.size());
  // P2 enters at frame 20 and leaves at 75: one birth, and a death 15 frames later.
  EXPECT_EQ(result.summary.num_births, 1);
  EXPECT_EQ(result.summary.num_deaths, 1);
  EXPECT_EQ(result.summary.num_reidentifications, 0);
}

// Which person a track is, by its detections.
int PersonOf(const PeopleScene& scene, const Track& t) {
  for (camera_t c = 0; c < t.num_cameras; ++c)
    for (frame_t f = 0; f < t.num_frames; ++f)
      if (t.DetectionAt(c, f) != kNoDetection) return scene.truth[c][f][t.DetectionAt(c, f)];
  return -1;
}

TEST(AssociateWithCalibration, TriangulatesEachTrackOntoItsPerson) {
  const PeopleScene scene = MakePeopleScene(RingRig(8), ThreeWalkers(kFrames), kFrames, PeopleSceneOptions{});
  const AssociationResult result = AssociateWithCalibration(scene.rig, scene.detections, CalibratedAssociationOptions{});
  ASSERT_EQ(result.tracks.size(), 3u);
  for (const Track& t : result.tracks) {
    const int p = PersonOf(scene, t);
    ASSERT_GE(p, 0);
    int compared = 0;
    for (frame_t f = 0; f < kFrames; ++f)
      for (joint_t j = 0; j < 17; ++j) {
        if (!t.points.IsValid(f, j)) continue;
        EXPECT_LT((t.points.at(f, j) - scene.people[p].at(f, j)).norm(), 1e-6);
        ++compared;
      }
    EXPECT_GT(compared, 0.9 * 17 * (t.last_frame - t.first_frame + 1));
  }
}

TEST(AssociateWithCalibration, RecoversThreePeopleOnFourCamerasExactly) {
  const PeopleScene scene = MakePeopleScene(RingRig(4), ThreeWalkers(kFrames), kFrames, PeopleSceneOptions{});
  const AssociationResult result = AssociateWithCalibration(scene.rig, scene.detections, CalibratedAssociationOptions{});
  const Recovery r = Evaluate(scene, result);
  ASSERT_EQ(result.tracks.size(), 3u) << result.summary.BriefReport();
  EXPECT_EQ(r.recovered, r.person_detections) << result.summary.BriefReport();
  EXPECT_EQ(r.foreign, 0);
  EXPECT_EQ(result.summary.num_unmatched, 0);
}

// 3 px noise, 5 % missed detections, 5 % dropped joints, 3 % gross joint errors.
TEST(AssociateWithCalibration, RecoversNinetyNinePercentWithNoise) {
  PeopleSceneOptions so;
  so.noise_px = 3.0;
  so.miss_rate = 0.05;
  so.joint_drop_rate = 0.05;
  so.outlier_rate = 0.03;
  so.bystander_camera = 5;
  so.seed = 7;
  for (int cameras : {8, 4}) {
    const PeopleScene scene = MakePeopleScene(RingRig(cameras), ThreeWalkers(kFrames), kFrames, so);
    const AssociationResult result = AssociateWithCalibration(scene.rig, scene.detections, CalibratedAssociationOptions{});
    const Recovery r = Evaluate(scene, result);
    EXPECT_EQ(result.tracks.size(), 3u) << cameras << " cameras: " << result.summary.BriefReport();
    EXPECT_EQ(r.people_with_own_track, 3);
    EXPECT_GE(r.recovered, 0.99 * r.person_detections) << cameras << " cameras: " << result.summary.BriefReport();
    EXPECT_LE(r.foreign, 0.002 * r.person_detections);
  }
}

// P0 and P1 overlap in the image of camera 2 around frame 45: the crossing must not swap them.
TEST(AssociateWithCalibration, NoIdentitySwitchWhereTwoPeopleCrossInOneImage) {
  const PeopleScene scene = MakePeopleScene(RingRig(8), ThreeWalkers(kFrames), kFrames, PeopleSceneOptions{});
  // The fixture has the crossing: the hips of P0 and P1 come within 40 px in camera 2.
  double closest = 1e9;
  for (frame_t f = 0; f < kFrames; ++f) {
    const auto a = scene.rig[2].ImageFromWorld(scene.people[0].at(f, 11));
    const auto b = scene.rig[2].ImageFromWorld(scene.people[1].at(f, 11));
    closest = std::min(closest, (*a - *b).norm());
  }
  EXPECT_LT(closest, 40.0);
  const AssociationResult result = AssociateWithCalibration(scene.rig, scene.detections, CalibratedAssociationOptions{});
  ASSERT_EQ(result.tracks.size(), 3u);
  for (const Track& t : result.tracks) {
    const int p = PersonOf(scene, t);
    for (frame_t f = 0; f < kFrames; ++f) {
      const detection_t d = t.DetectionAt(2, f);
      if (d != kNoDetection) {
        EXPECT_EQ(scene.truth[2][f][d], p) << "frame " << f;
      }
    }
  }
}

// A detection moved 80 px does not fit its person: it stays unmatched, not averaged in.
TEST(AssociateWithCalibration, LeavesADetectionThatDoesNotFitUnmatched) {
  PeopleSceneOptions so;
  so.shuffle = false;
  PeopleScene scene = MakePeopleScene(RingRig(8), ThreeWalkers(kFrames), kFrames, so);
  std::vector<std::vector<std::vector<PersonJoints>>> people(8, std::vector<std::vector<PersonJoints>>(kFrames));
  for (camera_t c = 0; c < 8; ++c)
    for (frame_t f = 0; f < kFrames; ++f)
      for (detection_t d = 0; d < scene.detections.NumDetections(c, f); ++d) {
        const Eigen::Vector3d* j = scene.detections.Joints(c, f, d);
        people[c][f].emplace_back(j, j + 17);
      }
  ASSERT_EQ(scene.truth[3][40][0], 0);
  for (Eigen::Vector3d& j : people[3][40][0])
    if (j.z() > 0) j.head<2>() += Eigen::Vector2d(80.0, -40.0);
  scene.detections = MultiDetections(people, 17);
  const AssociationResult result = AssociateWithCalibration(scene.rig, scene.detections, CalibratedAssociationOptions{});
  ASSERT_EQ(result.tracks.size(), 3u);
  for (const Track& t : result.tracks) EXPECT_NE(t.DetectionAt(3, 40), 0) << "track " << t.id;
  EXPECT_EQ(result.summary.num_unmatched, 1);
  const Recovery r = Evaluate(scene, result);
  EXPECT_EQ(r.recovered, r.person_detections - 1);
  EXPECT_EQ(r.foreign, 0);
}

// A detector with a wider error spread (8 px, heavy-tailed through the 3 % gross joint errors):
// a fixed 20 px release threshold leaves true detections unmatched; the threshold from the
// residuals' tail keeps them, and still gives nobody a foreign detection. (The epipolar
// threshold is held fixed in both, so that only the release differs; with both adaptive, the
// defaults, every detection is recovered too.)
TEST(AssociateWithCalibration, ReleaseThresholdAdaptsToTheDetectorsError) {
  PeopleSceneOptions so;
  so.noise_px = 8.0;
  so.outlier_rate = 0.03;
  so.seed = 3;
  const PeopleScene scene = MakePeopleScene(RingRig(4), ThreeWalkers(kFrames), kFrames, so);
  CalibratedAssociationOptions fixed;
  fixed.epipolar_scale_factor = 0.0;
  fixed.release_tail_factor = 0.0;
  CalibratedAssociationOptions release_adaptive;
  release_adaptive.epipolar_scale_factor = 0.0;
  const Recovery f = Evaluate(scene, AssociateWithCalibration(scene.rig, scene.detections, fixed));
  const AssociationResult adaptive = AssociateWithCalibration(scene.rig, scene.detections, release_adaptive);
  const Recovery a = Evaluate(scene, adaptive);
  EXPECT_EQ(adaptive.tracks.size(), 3u) << adaptive.summary.BriefReport();
  EXPECT_LE(f.recovered, a.person_detections - 5);  // fixed: 1011 of 1020
  EXPECT_GT(a.recovered, f.recovered);
  EXPECT_GE(a.recovered, a.person_detections - 2);  // adaptive: 1019
  EXPECT_EQ(a.foreign, 0);
  const Recovery d = Evaluate(scene, AssociateWithCalibration(scene.rig, scene.detections, CalibratedAssociationOptions{}));
  EXPECT_GE(d.recovered, a.recovered);
  EXPECT_EQ(d.foreign, 0);
}

// A rig whose camera 1 is calibrated 22 / 18 px off (its principal point; the detections are made
// with the true one), as Pose2Sim's Qualisys calibration is for cam_03 of its balancing trial.
// With the fixed epipolar threshold that camera's detections cannot join anyone; the threshold
// measured per camera pair keeps them with their people, and the camera is named as disagreeing.
TEST(AssociateWithCalibration, EpipolarThresholdAdaptsToACameraThatIsOff) {
  PeopleSceneOptions so;
  so.noise_px = 2.0;
  so.seed = 5;
  const PeopleScene scene = MakePeopleScene(RingRig(4), ThreeWalkers(kFrames), kFrames, so);
  Rig off = scene.rig;
  off[1].cx += 22.0;
  off[1].cy += 18.0;
  auto recovered_in_camera = [&](const AssociationResult& result, camera_t c) {
    int64_t n = 0, total = 0;
    for (frame_t f = 0; f < kFrames; ++f)
      for (detection_t d = 0; d < scene.detections.NumDetections(c, f); ++d) {
        if (scene.truth[c][f][d] < 0) continue;
        ++total;
        for (const Track& t : result.tracks) n += t.DetectionAt(c, f) == d && PersonOf(scene, t) == scene.truth[c][f][d];
      }
    return static_cast<double>(n) / static_cast<double>(total);
  };
  CalibratedAssociationOptions fixed;
  fixed.epipolar_scale_factor = 0.0;
  const AssociationResult f = AssociateWithCalibration(off, scene.detections, fixed);
  const AssociationResult a = AssociateWithCalibration(off, scene.detections, CalibratedAssociationOptions{});
  EXPECT_LT(recovered_in_camera(f, 1), 0.5) << f.summary.BriefReport();
  EXPECT_GT(recovered_in_camera(a, 1), 0.98) << a.summary.BriefReport();
  ASSERT_EQ(a.tracks.size(), 3u);
  const Recovery r = Evaluate(scene, a);
  EXPECT_GE(r.recovered, 0.98 * r.person_detections);
  EXPECT_EQ(r.foreign, 0);
  // The measured distances: camera 1's pairs well above the others, which stay near the noise.
  ASSERT_EQ(a.summary.pair_epipolar_px.size(), 16u);
  const std::vector<OutlyingCamera> outlying = OutlyingCameras(a.summary.pair_epipolar_px, 4);
  ASSERT_EQ(outlying.size(), 1u);
  EXPECT_EQ(outlying[0].camera, 1);
  EXPECT_GT(outlying[0].own_px, 10.0);
  EXPECT_LT(outlying[0].others_px, 5.0);
  // With the exact rig nobody is named and the adaptive thresholds change nothing.
  const AssociationResult exact = AssociateWithCalibration(scene.rig, scene.detections, CalibratedAssociationOptions{});
  const AssociationResult exact_fixed = AssociateWithCalibration(scene.rig, scene.detections, fixed);
  EXPECT_TRUE(OutlyingCameras(exact.summary.pair_epipolar_px, 4).empty());
  EXPECT_EQ(Evaluate(scene, exact).recovered, Evaluate(scene, exact_fixed).recovered);
  EXPECT_EQ(exact.summary.num_unmatched, exact_fixed.summary.num_unmatched);
}

TEST(OutlyingCameras, NamesTheCameraWhosePairsAreFarAboveTheOthers) {
  // Pairs (0,1) 8, (0,2) 20, (0,3) 9, (1,2) 22, (1,3) 7, (2,3) 25 px: camera 2's median 22 against
  // the others' 8.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> d(16, nan);
  auto set = [&](int a, int b, double v) { d[a * 4 + b] = d[b * 4 + a] = v; };
  set(0, 1, 8), set(0, 2, 20), set(0, 3, 9), set(1, 2, 22), set(1, 3, 7), set(2, 3, 25);
  const std::vector<OutlyingCamera> out = OutlyingCameras(d, 4);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].camera, 2);
  EXPECT_DOUBLE_EQ(out[0].own_px, 22.0);
  EXPECT_DOUBLE_EQ(out[0].others_px, 8.0);
  EXPECT_TRUE(OutlyingCameras(d, 4, 3.0).empty());   // 22 < 3 x 8
  EXPECT_TRUE(OutlyingCameras({}, 4).empty());       // not measured
  EXPECT_TRUE(OutlyingCameras(std::vector<double>(4, 30.0), 2).empty());  // two cameras: no reference
}

// With a strict affinity the clustering splits people into pieces (and leaves many
// detections single): pieces that reproject onto a track seen in the frame join it, so each
// person still gets one track and nobody else's detections.
TEST(AssociateWithCalibration, JoinsPiecesOfAFragmentedClustering) {
  PeopleSceneOptions so;
  so.noise_px = 3.0;
  so.seed = 3;
  const PeopleScene scene = MakePeopleScene(RingRig(8), ThreeWalkers(kFrames), kFrames, so);
  CalibratedAssociationOptions options;
  options.min_affinity = 0.9;  // a mean epipolar distance of 3 px: half the right pairs fail
  const AssociationResult result = AssociateWithCalibration(scene.rig, scene.detections, options);
  const Recovery r = Evaluate(scene, result);
  EXPECT_EQ(result.tracks.size(), 3u) << result.summary.BriefReport();
  EXPECT_EQ(r.foreign, 0);
  EXPECT_GE(r.recovered, 0.97 * r.person_detections) << result.summary.BriefReport();
}

// A person hidden from all but one camera for a few frames keeps the track (the lone
// detection joins it through the prediction) and is re-identified afterwards.
TEST(AssociateWithCalibration, BridgesAGapAndReidentifies) {
  PeopleSceneOptions so;
  so.shuffle = false;
  PeopleScene scene = MakePeopleScene(RingRig(8), ThreeWalkers(kFrames), kFrames, so);
  std::vector<std::vector<std::vector<PersonJoints>>> people(8, std::vector<std::vector<PersonJoints>>(kFrames));
  std::vector<std::vector<std::vector<int>>> truth(8, std::vector<std::vector<int>>(kFrames));
  for (camera_t c = 0; c < 8; ++c)
    for (frame_t f = 0; f < kFrames; ++f)
      for (detection_t d = 0; d < scene.detections.NumDetections(c, f); ++d) {
        const bool hidden = scene.truth[c][f][d] == 0 && f >= 30 && f < 34 && c != 4;
        if (hidden) continue;
        const Eigen::Vector3d* j = scene.detections.Joints(c, f, d);
        people[c][f].emplace_back(j, j + 17);
        truth[c][f].push_back(scene.truth[c][f][d]);
      }
  scene.detections = MultiDetections(people, 17);
  scene.truth = truth;
  const AssociationResult result = AssociateWithCalibration(scene.rig, scene.detections, CalibratedAssociationOptions{});
  const Recovery r = Evaluate(scene, result);
  ASSERT_EQ(result.tracks.size(), 3u) << result.summary.BriefReport();
  EXPECT_EQ(r.recovered, r.person_detections);
  EXPECT_EQ(result.summary.num_reidentifications, 1);
}

TEST(AssociateWithCalibration, DoesNotDependOnTheThreadCount) {
  PeopleSceneOptions so;
  so.noise_px = 3.0;
  so.miss_rate = 0.05;
  const PeopleScene scene = MakePeopleScene(RingRig(8), ThreeWalkers(kFrames), kFrames, so);
  AssociationResult one, two;
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 1);
    one = AssociateWithCalibration(scene.rig, scene.detections, CalibratedAssociationOptions{});
  }
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 2);
    two = AssociateWithCalibration(scene.rig, scene.detections, CalibratedAssociationOptions{});
  }
  ASSERT_EQ(one.tracks.size(), two.tracks.size());
  for (size_t t = 0; t < one.tracks.size(); ++t) {
    EXPECT_EQ(one.tracks[t].detections, two.tracks[t].detections);
    EXPECT_EQ(one.tracks[t].observations.data(), two.tracks[t].observations.data());
  }
  EXPECT_EQ(one.summary.BriefReport(), two.summary.BriefReport());
}

TEST(AssociateWithCalibration, RejectsBadInput) {
  const PeopleScene scene = MakePeopleScene(RingRig(4), ThreeWalkers(10), 10, PeopleSceneOptions{});
  CalibratedAssociationOptions bad;
  bad.min_affinity = 0.0;
  EXPECT_THROW(AssociateWithCalibration(scene.rig, scene.detections, bad), std::invalid_argument);
  bad = {};
  bad.epipolar_scale_factor = -1.0;
  EXPECT_THROW(AssociateWithCalibration(scene.rig, scene.detections, bad), std::invalid_argument);
  bad = {};
  bad.epipolar_threshold_max_px = 0.0;
  EXPECT_THROW(AssociateWithCalibration(scene.rig, scene.detections, bad), std::invalid_argument);
  EXPECT_THROW(AssociateWithCalibration(RingRig(3), scene.detections, {}), std::invalid_argument);
  Rig uncalibrated = scene.rig;
  uncalibrated[1].has_extrinsics = false;
  EXPECT_THROW(AssociateWithCalibration(uncalibrated, scene.detections, {}), std::invalid_argument);
}

}  // namespace
}  // namespace epilabel
