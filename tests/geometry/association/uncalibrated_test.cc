#include "geometry/association/uncalibrated.h"

#include <gtest/gtest.h>
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

// The rig without extrinsics: what self-calibration starts from.
Rig IntrinsicsOnly(Rig rig) {
  for (Camera& cam : rig) {
    cam.cam_from_world = Rigid3d();
    cam.has_extrinsics = false;
  }
  return rig;
}

// The person of every detection of a track; -2 when it mixes people.
int PersonOf(const PeopleScene& scene, const Track& t) {
  int person = -3;
  for (camera_t c = 0; c < t.num_cameras; ++c)
    for (frame_t f = 0; f < t.num_frames; ++f) {
      const detection_t d = t.DetectionAt(c, f);
      if (d == kNoDetection) continue;
      const int p = scene.truth[c][f][d];
      if (person == -3) person = p;
      if (p != person) return -2;
    }
  return person;
}

TEST(AssociateWithoutCalibration, GroupsTwoDimensionalTracksAcrossEightCameras) {
  PeopleSceneOptions so;
  so.bystander_camera = 0;
  const PeopleScene scene = MakePeopleScene(RingRig(8), ThreeWalkers(kFrames), kFrames, so);
  const AssociationResult result =
      AssociateWithoutCalibration(IntrinsicsOnly(scene.rig), scene.detections, UncalibratedAssociationOptions{});
  const Recovery r = Evaluate(scene, result);
  EXPECT_EQ(r.foreign, 0) << result.summary.BriefReport();
  EXPECT_EQ(r.people_with_own_track, 3);
  // Every track is one person seen by several cameras; the bystander is in none.
  for (const Track& t : result.tracks) EXPECT_GE(PersonOf(scene, t), 0) << "track " << t.id;
  EXPECT_EQ(r.recovered, r.person_detections) << result.summary.BriefReport();
  EXPECT_EQ(result.summary.num_unmatched, scene.CountDetectionsOf(-1));
}

TEST(AssociateWithoutCalibration, GroupsTracksOnFourCamerasWithNoise) {
  PeopleSceneOptions so;
  so.noise_px = 3.0;
  so.miss_rate = 0.02;
  so.seed = 5;
  const PeopleScene scene = MakePeopleScene(RingRig(4), ThreeWalkers(kFrames), kFrames, so);
  const AssociationResult result =
      AssociateWithoutCalibration(IntrinsicsOnly(scene.rig), scene.detections, UncalibratedAssociationOptions{});
  const Recovery r = Evaluate(scene, result);
  EXPECT_EQ(r.foreign, 0) << result.summary.BriefReport();
  EXPECT_EQ(r.people_with_own_track, 3);
  for (const Track& t : result.tracks) EXPECT_GE(PersonOf(scene, t), 0) << "track " << t.id;
  EXPECT_GE(r.recovered, 0.99 * r.person_detections) << result.summary.BriefReport();
}

// In camera 2, P1's detection is an exact copy of P0's for frames 44-46: the 2D tracks must
// split there (uncertain frames) instead of carrying one person's identity onto the other.
TEST(AssociateWithoutCalibration, SplitsTwoDimensionalTracksWhereTwoPeopleCoincide) {
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
  for (frame_t f = 44; f <= 46; ++f) {
    ASSERT_EQ(scene.truth[2][f][0], 0);
    ASSERT_EQ(scene.truth[2][f][1], 1);
    people[2][f][1] = people[2][f][0];
  }
  scene.detections = MultiDetections(people, 17);
  const AssociationResult result =
      AssociateWithoutCalibration(IntrinsicsOnly(scene.rig), scene.detections, UncalibratedAssociationOptions{});
  EXPECT_GE(result.summary.num_uncertain_frames, 1);
  const Recovery r = Evaluate(scene, result);
  EXPECT_EQ(r.people_with_own_track, 3);
  EXPECT_LE(r.foreign, 3) << result.summary.BriefReport();  // at most the three copies
  // Outside the copies, camera 2's detections stay with their person: no identity switch.
  for (const Track& t : result.tracks) {
    std::vector<int> seen;
    for (frame_t f = 0; f < kFrames; ++f) {
      const detection_t d = t.DetectionAt(2, f);
      if (d != kNoDetection && (f < 44 || f > 46)) seen.push_back(scene.truth[2][f][d]);
    }
    std::sort(seen.begin(), seen.end());
    EXPECT_LE(std::unique(seen.begin(), seen.end()) - seen.begin(), 1) << "track " << t.id;
  }
  EXPECT_GE(r.recovered, 0.97 * r.person_detections) << result.summary.BriefReport();
}

// Number of cameras with a detection in a track.
int CamerasOf(const Track& t) {
  int n = 0;
  for (camera_t c = 0; c < t.num_cameras; ++c) {
    bool any = false;
    for (frame_t f = 0; f < t.num_frames && !any; ++f) any = t.DetectionAt(c, f) != kNoDetection;
    n += any ? 1 : 0;
  }
  return n;
}

// Four people, each pacing a short path in their own corner of the room: the essential matrix
// of one person's pair of 2D tracks fits only that corner of the images (inlier share of the
// others well below the proposer's), so each person must be found again under the matrix
// grown from every fitting pair (with refinement_rounds = 0, people split into tracks of two or
// three cameras and some same-person pairs score 0).
PeopleScene FourCornersScene() {
  PeopleSceneOptions so;
  so.noise_px = 3.0;
  so.seed = 11;
  const int frames = 150;
  const std::vector<testing::PersonPath> paths = {{{-1.6, -1.4}, {-1.2, -1.6}, 0, frames, 0},
                                                  {{1.4, -1.6}, {1.6, -1.2}, 0, frames, 13},
                                                  {{1.6, 1.4}, {1.2, 1.6}, 0, frames, 29},
                                                  {{-1.4, 1.6}, {-1.6, 1.2}, 0, frames, 47}};
  return MakePeopleScene(RingRig(4), paths, frames, so);
}

TEST(AssociateWithoutCalibration, FindsFourPeopleInTheirCornersOnEveryCamera) {
  const PeopleScene scene = FourCornersScene();
  UncalibratedAssociationDetails details;
  const AssociationResult result =
      AssociateWithoutCalibration(IntrinsicsOnly(scene.rig), scene.detections, UncalibratedAssociationOptions{}, &details);
  const Recovery r = Evaluate(scene, result);
  EXPECT_EQ(r.foreign, 0) << result.summary.BriefReport();
  EXPECT_EQ(r.people_with_own_track, 4);
  ASSERT_EQ(result.tracks.size(), 4u) << result.summary.BriefReport();
  for (const Track& t : result.tracks) {
    EXPECT_GE(PersonOf(scene, t), 0) << "track " << t.id;
    EXPECT_EQ(CamerasOf(t), 4) << "track " << t.id;
  }
  EXPECT_GE(r.recovered, 0.99 * r.person_detections) << result.summary.BriefReport();
  // Every compared pair of 2D tracks of one person fits; no pair of two people does.
  const UncalibratedAssociationOptions defaults;
  for (const auto& p : details.pair_scores) {
    const auto& a = details.tracklets[p.first].items.front();
    const auto& b = details.tracklets[p.second].items.front();
    const int pa = scene.truth[details.tracklets[p.first].camera][a.first][a.second];
    const int pb = scene.truth[details.tracklets[p.second].camera][b.first][b.second];
    if (pa == pb) EXPECT_GE(p.ratio, defaults.min_inlier_ratio) << "person " << pa;
    else EXPECT_LT(p.ratio, defaults.min_inlier_ratio) << "people " << pa << " and " << pb;
  }
}

// Two people in opposite corners of the room, seen by four cameras with Gaussian pixel noise.
PeopleScene TwoCornersScene(double noise_px, uint64_t seed) {
  PeopleSceneOptions so;
  so.noise_px = noise_px;
  so.seed = seed;
  const int frames = 150;
  const std::vector<testing::PersonPath> paths = {{{-1.6, -1.4}, {-1.0, -1.6}, 0, frames, 0},
                                                  {{1.6, 1.4}, {1.0, 1.6}, 0, frames, 29}};
  return MakePeopleScene(RingRig(4), paths, frames, so);
}

// Counts of compared pairs of 2D tracks: same person fitting / not, two people fitting.
struct PairCounts {
  int same_fit = 0, same_not = 0, different_fit = 0;
};
PairCounts CountPairs(const PeopleScene& scene, const UncalibratedAssociationDetails& details, double min_ratio) {
  PairCounts n;
  for (const auto& p : details.pair_scores) {
    const auto& a = details.tracklets[p.first].items.front();
    const auto& b = details.tracklets[p.second].items.front();
    const int pa = scene.truth[details.tracklets[p.first].camera][a.first][a.second];
    const int pb = scene.truth[details.tracklets[p.second].camera][b.first][b.second];
    const bool fit = p.ratio >= min_ratio;
    if (pa == pb) (fit ? n.same_fit : n.same_not)++;
    else n.different_fit += fit ? 1 : 0;
  }
  return n;
}

// Adds to every joint of every detection a constant offset per camera and joint (a detector's
// view-dependent bias, normal with sigma `offset_px` per axis).
void AddViewDependentOffsets(PeopleScene* scene, double offset_px, uint64_t seed) {
  const MultiDetections& in = scene->detections;
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal(0.0, offset_px);
  std::vector<std::vector<Eigen::Vector2d>> offset(in.num_cameras(), std::vector<Eigen::Vector2d>(in.num_joints()));
  for (auto& cam : offset)
    for (auto& o : cam) o = testing::DrawLastFirst<2>([&] { return normal(rng); });
  std::vector<std::vector<std::vector<PersonJoints>>> people(in.num_cameras(),
                                                             std::vector<std::vector<PersonJoints>>(in.num_frames()));
  for (camera_t c = 0; c < in.num_cameras(); ++c)
    for (frame_t f = 0; f < in.num_frames(); ++f)
      for (detection_t d = 0; d < in.NumDetections(c, f); ++d) {
        const Eigen::Vector3d* j = in.Joints(c, f, d);
        PersonJoints p(j, j + in.num_joints());
        for (joint_t k = 0; k < in.num_joints(); ++k)
          if (p[k].z() > 0.0) p[k].head<2>() += offset[c][k];
        people[c][f].push_back(std::move(p));
      }
  scene->detections = MultiDetections(people, in.num_joints());
}

UncalibratedAssociationOptions FixedThreshold() {
  UncalibratedAssociationOptions o;
  o.noise_scale_proposals = 0;
  return o;
}

// Two people, 3 px Gaussian noise and a constant offset per camera and joint (sigma 4 px per
// axis, as a detector's view-dependent bias): the right pairings' Sampson distances spread to
// a robust sigma above 4 px, and the fixed 8 px threshold cuts one person into two groups (a
// right pairing no longer fits). The adapted threshold rises above the floor on some camera
// pairs, following 2 x the measured noise. With the adapted threshold alone (cycle_rounds 0),
// camera pair 0-2 pairs the two people crosswise (an essential matrix that fits the swapped
// pairing gathers the most inliers) and 87 % of the people's detections are in their person's
// track; the cycle check replaces that decision by the one cameras 1 and 3 imply: all of them
// (with the fixed threshold as well).
TEST(AssociateWithoutCalibration, AdaptsTheInlierThresholdToViewDependentOffsets) {
  PeopleScene scene = TwoCornersScene(3.0, 2);
  AddViewDependentOffsets(&scene, 4.0, 2);
  const Rig rig = IntrinsicsOnly(scene.rig);
  UncalibratedAssociationOptions fixed_per_pair = FixedThreshold();
  fixed_per_pair.cycle_rounds = 0;
  const AssociationResult fixed = AssociateWithoutCalibration(rig, scene.detections, fixed_per_pair);
  const Recovery rf = Evaluate(scene, fixed);
  EXPECT_LT(rf.recovered, 0.9 * rf.person_detections) << fixed.summary.BriefReport();

  UncalibratedAssociationOptions per_pair;
  per_pair.cycle_rounds = 0;
  const Recovery rp = Evaluate(scene, AssociateWithoutCalibration(rig, scene.detections, per_pair));
  EXPECT_LT(rp.recovered, 0.9 * rp.person_detections);

  UncalibratedAssociationDetails details;
  const AssociationResult adapted = AssociateWithoutCalibration(rig, scene.detections, {}, &details);
  const Recovery ra = Evaluate(scene, adapted);
  EXPECT_EQ(ra.people_with_own_track, 2) << adapted.summary.BriefReport();
  EXPECT_EQ(ra.foreign, 0) << adapted.summary.BriefReport();
  EXPECT_EQ(ra.recovered, ra.person_detections) << adapted.summary.BriefReport();
  const PairCounts n = CountPairs(scene, details, UncalibratedAssociationOptions{}.min_inlier_ratio);
  EXPECT_EQ(n.same_not, 0);
  EXPECT_EQ(n.different_fit, 0);
  // Every camera pair measured its noise; some thresholds rose above the floor, none past the cap.
  ASSERT_EQ(details.thresholds.size(), 6u);
  int raised = 0;
  for (const auto& t : details.thresholds) {
    EXPECT_GT(t.noise_px, 2.0);
    EXPECT_LT(t.noise_px, 10.0);
    EXPECT_GE(t.threshold_px, 8.0);
    EXPECT_LE(t.threshold_px, 32.0);
    EXPECT_NEAR(t.threshold_px, std::max(8.0, 2.0 * t.noise_px), 1e-9);
    raised += t.threshold_px > 8.0 ? 1 : 0;
  }
  EXPECT_GE(raised, 1);
}

// With Gaussian noise alone (3 px) the measured noise stays below 4 px: the threshold stays at
// the 8 px floor and the pairing is that of the fixed threshold, detection for detection.
TEST(AssociateWithoutCalibration, KeepsTheFixedThresholdsPairingUnderGaussianNoise) {
  for (uint64_t seed : {1, 2, 3}) {
    const PeopleScene scene = TwoCornersScene(3.0, seed);
    const Rig rig = IntrinsicsOnly(scene.rig);
    UncalibratedAssociationDetails details;
    const AssociationResult adapted = AssociateWithoutCalibration(rig, scene.detections, {}, &details);
    const AssociationResult fixed = AssociateWithoutCalibration(rig, scene.detections, FixedThreshold());
    for (const auto& t : details.thresholds) {
      EXPECT_LT(t.noise_px, 4.0) << "seed " << seed;
      EXPECT_EQ(t.threshold_px, 8.0) << "seed " << seed;
    }
    ASSERT_EQ(adapted.tracks.size(), fixed.tracks.size()) << "seed " << seed;
    for (size_t t = 0; t < fixed.tracks.size(); ++t) EXPECT_EQ(adapted.tracks[t].detections, fixed.tracks[t].detections);
    const Recovery r = Evaluate(scene, adapted);
    EXPECT_EQ(r.foreign, 0) << "seed " << seed;
    EXPECT_EQ(r.recovered, r.person_detections) << "seed " << seed;
  }
}

// Four people in the four corners of the room and a bystander before camera 3, 3 px noise: the
// scene is nearly symmetric, and on camera pairs 1-2 and 1-3 an essential matrix that fits a
// permutation of the people gathers the most inliers (the per-pair decision, cycle_rounds 0:
// seven pairs of two people fit, eight pairs of one person do not, 317 detections in another
// person's track). Those pairings close no cycle with the other camera pairs (camera 1's
// partner of a person in camera 0 is not that person's partner in camera 2), and the decision
// composed from the others does: the global choice replaces them and every pair is right.
TEST(AssociateWithoutCalibration, ChoosesTheCycleConsistentPairingOfEachCameraPair) {
  PeopleSceneOptions so;
  so.noise_px = 3.0;
  so.seed = 2;
  so.bystander_camera = 3;
  const int frames = 150;
  const std::vector<testing::PersonPath> paths = {{{-1.6, -1.4}, {-1.2, -1.6}, 0, frames, 0},
                                                  {{1.4, -1.6}, {1.6, -1.2}, 0, frames, 13},
                                                  {{1.6, 1.4}, {1.2, 1.6}, 0, frames, 29},
                                                  {{-1.4, 1.6}, {-1.6, 1.2}, 0, frames, 47}};
  const PeopleScene scene = MakePeopleScene(RingRig(4), paths, frames, so);
  const Rig rig = IntrinsicsOnly(scene.rig);
  const double min_ratio = UncalibratedAssociationOptions{}.min_inlier_ratio;

  UncalibratedAssociationOptions per_pair;
  per_pair.cycle_rounds = 0;
  UncalibratedAssociationDetails before;
  const Recovery rb = Evaluate(scene, AssociateWithoutCalibration(rig, scene.detections, per_pair, &before));
  EXPECT_GT(rb.foreign, 100);
  EXPECT_GE(CountPairs(scene, before, min_ratio).different_fit, 4);
  for (const auto& t : before.thresholds) EXPECT_FALSE(t.chosen_by_cycles);

  UncalibratedAssociationDetails details;
  const AssociationResult result = AssociateWithoutCalibration(rig, scene.detections, {}, &details);
  const Recovery r = Evaluate(scene, result);
  EXPECT_EQ(r.foreign, 0) << result.summary.BriefReport();
  EXPECT_EQ(r.people_with_own_track, 4);
  EXPECT_EQ(result.tracks.size(), 4u) << result.summary.BriefReport();
  EXPECT_GE(r.recovered, 0.99 * r.person_detections) << result.summary.BriefReport();
  const PairCounts n = CountPairs(scene, details, min_ratio);
  EXPECT_EQ(n.same_not, 0);
  EXPECT_EQ(n.different_fit, 0);
  int replaced = 0;
  for (const auto& t : details.thresholds) replaced += t.chosen_by_cycles ? 1 : 0;
  EXPECT_GE(replaced, 2);
}

TEST(UncalibratedAssociationOptions, ChecksTheCycleRounds) {
  UncalibratedAssociationOptions o;
  o.cycle_rounds = 0;
  EXPECT_NO_THROW(o.Check());
  o.cycle_rounds = -1;
  EXPECT_THROW(o.Check(), std::invalid_argument);
}

TEST(UncalibratedAssociationOptions, ChecksTheAdaptiveThreshold) {
  EXPECT_NO_THROW(UncalibratedAssociationOptions{}.Check());
  EXPECT_NO_THROW(FixedThreshold().Check());
  UncalibratedAssociationOptions o;
  o.noise_scale_proposals = -1;
  EXPECT_THROW(o.Check(), std::invalid_argument);
  o = {};
  o.noise_threshold_sigmas = 0.0;
  EXPECT_THROW(o.Check(), std::invalid_argument);
  o = {};
  o.max_inlier_threshold_px = 7.0;  // below inlier_threshold_px
  EXPECT_THROW(o.Check(), std::invalid_argument);
}

TEST(AssociateWithoutCalibration, DoesNotDependOnTheThreadCount) {
  const PeopleScene scene = MakePeopleScene(RingRig(4), ThreeWalkers(60), 60, PeopleSceneOptions{});
  AssociationResult one, two;
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 1);
    one = AssociateWithoutCalibration(IntrinsicsOnly(scene.rig), scene.detections, {});
  }
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 2);
    two = AssociateWithoutCalibration(IntrinsicsOnly(scene.rig), scene.detections, {});
  }
  ASSERT_EQ(one.tracks.size(), two.tracks.size());
  for (size_t t = 0; t < one.tracks.size(); ++t) EXPECT_EQ(one.tracks[t].detections, two.tracks[t].detections);
}

TEST(AssociateWithoutCalibration, RejectsBadInput) {
  const PeopleScene scene = MakePeopleScene(RingRig(4), ThreeWalkers(10), 10, PeopleSceneOptions{});
  UncalibratedAssociationOptions bad;
  bad.ambiguity_ratio = 0.5;
  EXPECT_THROW(AssociateWithoutCalibration(scene.rig, scene.detections, bad), std::invalid_argument);
  Rig no_focal = scene.rig;
  no_focal[2].fx = 0.0;
  EXPECT_THROW(AssociateWithoutCalibration(no_focal, scene.detections, {}), std::invalid_argument);
}

}  // namespace
}  // namespace epilabel
