// The calibration from several people in two passes: pooled tracks of the association without
// cameras, then the people associated again with that calibration and the cameras calibrated
// again, the second kept only when it is better; one person is calibrated once, unchanged.
#include "pseudolabel/stages/people_calibration.h"

#include <algorithm>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "detection/skeleton.h"
#include "detection/synthetic/studio.h"
#include "foundation/error.h"
#include "geometry/sfm/rig_comparison.h"
#include "tests/pseudolabel/stages/studio_input.h"
#include "tests/testing.h"

namespace epilabel {
namespace {

using testing::AsRead;

SyntheticScene Studio(const std::string& rig, int people, int frames, uint64_t seed) {
  StudioOptions o;
  o.rig = rig;
  o.num_frames = frames;
  o.num_people = people;
  o.seed = seed;
  o.data_dir = testing::SourceDir() + "/data";
  return Synthesize(o);
}

// The true person of most of a track's detections, and the share of its detections that are theirs.
std::pair<int, double> MainPerson(const SyntheticScene& scene, const KeypointInput& input, const PersonTrack& track) {
  const MultiDetections all = ToMultiDetections(input.keypoints, track.frame_numbers);
  std::map<int, int> count;
  int total = 0;
  const int nj = track.observations.num_joints();
  for (camera_t c = 0; c < track.num_cameras(); ++c)
    for (frame_t f = 0; f < track.num_frames(); ++f) {
      const Eigen::Vector3d* row = track.observations.Row(c, f);
      if (std::none_of(row, row + nj, [](const Eigen::Vector3d& o) { return o.z() > 0; })) continue;
      for (detection_t d = 0; d < all.NumDetections(c, f); ++d)
        if (std::equal(row, row + nj, all.Joints(c, f, d))) {
          ++count[scene.detection_person[scene.SlotIndex(c, f, d)]];
          ++total;
          break;
        }
    }
  int who = -1, best = 0;
  for (const auto& [p, n] : count)
    if (n > best) best = n, who = p;
  return {who, total > 0 ? static_cast<double>(best) / total : 0.0};
}

TEST(CalibrateFromPeople, OnePersonIsCalibratedOnceAsBefore) {
  const SyntheticScene scene = Studio("h36m4", 1, 300, 2);
  const KeypointInput input = AsRead(scene);
  const Rig intrinsics = WithoutExtrinsics(scene.rig);
  const Association people = AssociatePeople(input, AssociationOptions{}, &intrinsics);
  ASSERT_EQ(people.tracks.size(), 1u);
  PersonTrack used_before;
  const CalibrateStageResult before = CalibrateFromTracks(intrinsics, people.tracks, {}, CalibrateStageOptions{}, &used_before);
  const PeopleCalibrationResult r = CalibrateFromPeople(intrinsics, input, people, AssociationOptions{}, {}, {});
  EXPECT_FALSE(r.summary.reassociated);
  EXPECT_EQ(r.association.summary.method, "single");
  ASSERT_TRUE(r.calibration.output.success);
  ASSERT_EQ(r.calibration.output.rig.size(), before.output.rig.size());
  for (size_t c = 0; c < before.output.rig.size(); ++c) {
    EXPECT_EQ(r.calibration.output.rig[c].cam_from_world.rotation.coeffs(),
              before.output.rig[c].cam_from_world.rotation.coeffs());
    EXPECT_EQ(r.calibration.output.rig[c].cam_from_world.translation, before.output.rig[c].cam_from_world.translation);
  }
  EXPECT_EQ(r.calibration.output.report.notes, before.output.report.notes);
  EXPECT_LE(r.calibration.output.report.self.num_frames_used, 600);
}

// h36m4 with four people, a bystander and people entering and leaving: without cameras one
// person is cut into two tracks where people cross; associated again in 3D with the first
// calibration the pieces are one track, every track holds one person, and the calibration kept
// is as close to the truth as the first.
TEST(CalibrateFromPeople, FourPeopleAreAssociatedAgainWithTheFirstCalibration) {
  StudioOptions o;
  o.rig = "h36m4";
  o.num_frames = 900;
  o.num_people = 4;
  o.bystander = o.enter_leave = true;
  o.seed = 3;
  o.data_dir = testing::SourceDir() + "/data";
  const SyntheticScene scene = Synthesize(o);
  const KeypointInput input = AsRead(scene);
  const Rig intrinsics = WithoutExtrinsics(scene.rig);
  const Association people = AssociatePeople(input, AssociationOptions{}, &intrinsics);
  CalibrateStageOptions first_only;
  first_only.reassociation.enabled = false;
  PersonTrack used;
  const CalibrateStageResult first = CalibrateFromTracks(intrinsics, people.tracks, {}, first_only, &used);
  ASSERT_TRUE(first.output.success) << first.output.report.BriefReport();
  const PeopleCalibrationResult r = CalibrateFromPeople(intrinsics, input, people, AssociationOptions{}, {}, {});
  ASSERT_TRUE(r.summary.reassociated);
  EXPECT_EQ(r.summary.first_tracks, static_cast<int>(people.tracks.size()));
  EXPECT_LT(r.summary.second_tracks, r.summary.first_tracks) << r.summary.BriefReport();
  ASSERT_TRUE(r.summary.kept_reassociated) << r.summary.BriefReport();
  EXPECT_EQ(r.association.summary.method, "calibrated");
  EXPECT_LE(r.summary.second_error_px, 1.01 * r.summary.first_error_px);
  std::set<int> persons;
  for (const PersonTrack& t : r.association.tracks) {
    const auto [who, purity] = MainPerson(scene, input, t);
    EXPECT_GT(purity, 0.98) << "track " << t.id;
    persons.insert(who);
  }
  EXPECT_EQ(persons.size(), 4u);  // every person, the bystander in none
  // Four people pooled: the bundle adjustment samples each as densely as one person alone.
  EXPECT_GT(r.calibration.output.report.self.num_frames_used, 2 * 600);
  const RigComparison before = CompareRigs(scene.rig, first.output.rig);
  const RigComparison after = CompareRigs(scene.rig, r.calibration.output.rig);
  EXPECT_LE(after.max_rotation_error_deg, before.max_rotation_error_deg + 0.01) << r.summary.BriefReport();
  EXPECT_LT(after.max_rotation_error_deg, 0.1);
  EXPECT_LT(after.max_center_error_rel, 0.002);
}

TEST(CalibrateFromPeople, MeasuredTrackHeightsKeepTheFirstAssociation) {
  const SyntheticScene scene = Studio("h36m4", 2, 300, 3);
  const KeypointInput input = AsRead(scene);
  const Rig intrinsics = WithoutExtrinsics(scene.rig);
  const Association people = AssociatePeople(input, AssociationOptions{}, &intrinsics);
  ASSERT_GT(people.tracks.size(), 1u);
  CalibrateStageOptions options;
  options.track_heights_m[people.tracks.front().id] = 1.75;
  const PeopleCalibrationResult r = CalibrateFromPeople(intrinsics, input, people, AssociationOptions{}, {}, options);
  EXPECT_FALSE(r.summary.reassociated);
  EXPECT_EQ(r.association.tracks.size(), people.tracks.size());
}

TEST(ReassociationOptions, CheckNamesTheKey) {
  ReassociationOptions o;
  EXPECT_NO_THROW(o.Check());
  o.max_error_ratio = 0.0;
  try {
    o.Check();
    FAIL() << "accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where(), "reassociation.max_error_ratio");
  }
  o = ReassociationOptions{};
  o.compare_frames = 0;
  EXPECT_THROW(o.Check(), InputError);
  o = ReassociationOptions{};
  o.error_cap = 0.5;
  EXPECT_THROW(o.Check(), InputError);
}

}  // namespace
}  // namespace epilabel
