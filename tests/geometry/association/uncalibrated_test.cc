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
