// The association stage: today's one-person case (the most confident detection of every camera
// and frame), with every detection counted so that several people are never hidden.
#include "pseudolabel/stages/association.h"

#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "detection/synthetic/studio.h"
#include "foundation/error.h"
#include "tests/pseudolabel/stages/studio_input.h"
#include "tests/testing.h"

namespace epilabel {
namespace {

Person2d Person(int num_joints, double x, double confidence) {
  Person2d p;
  for (int j = 0; j < num_joints; ++j) p.joints.emplace_back(x + j, 10.0 * j, confidence);
  return p;
}

// Two cameras, three frames; camera 0 sees two people in frame 1, camera 1 misses frame 2.
KeypointInput TwoCameras() {
  KeypointInput in;
  in.path = "mem";
  in.skeleton = &GetSkeleton("coco17");
  in.keypoints.skeleton = "coco17";
  in.keypoints.num_joints = 17;
  for (int c = 0; c < 2; ++c) {
    CameraKeypoints cam;
    cam.name = "cam" + std::to_string(c);
    for (int f = 0; f < 3; ++f) {
      if (c == 1 && f == 2) continue;
      cam.frame_numbers.push_back(10 + f);
      std::vector<Person2d> people = {Person(17, 100.0 * c + f, 0.9)};
      if (c == 0 && f == 1) people.insert(people.begin(), Person(17, 500.0, 0.95));  // more confident, listed first
      cam.people.push_back(people);
    }
    in.camera_names.push_back(cam.name);
    in.keypoints.cameras.push_back(cam);
  }
  return in;
}

TEST(AssociatePeople, OnePersonIsTheMostConfidentDetectionOfEachView) {
  const KeypointInput in = TwoCameras();
  const Association a = AssociatePeople(in);
  ASSERT_EQ(a.tracks.size(), 1u);
  const PersonTrack& t = a.tracks[0];
  EXPECT_EQ(t.frame_numbers, (std::vector<int64_t>{10, 11, 12}));
  EXPECT_EQ(t.camera_names, in.camera_names);
  EXPECT_EQ(t.skeleton, in.skeleton);
  EXPECT_DOUBLE_EQ(t.observations.at(0, 1, 0).x(), 500.0);  // the more confident one
  EXPECT_DOUBLE_EQ(t.observations.at(1, 0, 3).x(), 103.0);
  EXPECT_FALSE(t.observations.IsObserved(1, 2, 0));          // camera 1 has no frame 12
  // Identical to the dense table every stage used before tracks existed.
  const ObservationTable table = ToObservations(in.keypoints, PersonSelection::kMostConfident);
  EXPECT_EQ(t.observations.data(), table.observations.data());
}

TEST(AssociatePeople, CountsEveryDetectionAndSaysWhenSeveralPeopleAreSeen) {
  const Association a = AssociatePeople(TwoCameras());
  EXPECT_EQ(a.summary.detections, 6);
  EXPECT_EQ(a.summary.assigned, 5);
  EXPECT_EQ(a.summary.unmatched, 1);
  EXPECT_EQ(a.summary.views_with_several, 1);
  EXPECT_EQ(a.summary.max_people_in_view, 2);
  EXPECT_NE(a.summary.BriefReport().find("1 unmatched"), std::string::npos) << a.summary.BriefReport();
}

TEST(AssociatePeople, UnknownMethodNamesItsKey) {
  AssociationOptions o;
  o.method = "magic";
  try {
    AssociatePeople(TwoCameras(), o);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.where(), "association.method");
  }
}

// An input cut into takes at `cut` (frame numbers below it: take "first", the others "second").
KeypointInput CutIntoTakes(KeypointInput in, int64_t cut) {
  const std::vector<int64_t> frames = in.keypoints.AllFrameNumbers();
  const int n = static_cast<int>(frames.size());
  const int before = static_cast<int>(std::count_if(frames.begin(), frames.end(), [&](int64_t f) { return f < cut; }));
  in.takes = {Take{"first", 0, frames.front(), cut, before, in.num_cameras()},
              Take{"second", 0, cut, frames.back() + 1, n - before, in.num_cameras()}};
  return in;
}

// The take (0 or 1) of every frame a track observes, as a set.
std::set<int> TakesObserved(const KeypointInput& in, const PersonTrack& t) {
  std::set<int> takes;
  for (frame_t f = 0; f < t.num_frames(); ++f)
    for (camera_t c = 0; c < t.num_cameras(); ++c)
      for (joint_t j = 0; j < t.observations.num_joints(); ++j)
        if (t.observations.IsObserved(c, f, j)) takes.insert(TakeOfFrame(in, t.frame_numbers[f]));
  return takes;
}

// Two people walking through the studio: one recording gives each a track over every frame;
// the same frames as two takes give each person a track per take, none joining the takes,
// with ids numbered on across the takes. The one-person selection is one track per take too.
TEST(AssociatePeople, NoTrackSpansTwoTakes) {
  const SyntheticScene scene = Synthesize(testing::PeopleStudio("h36m4", 200, 2, 4));
  const KeypointInput whole = testing::AsRead(scene);
  const KeypointInput cut = CutIntoTakes(whole, 100);
  // Without the cut, people are followed across frame 100.
  const Association joined = AssociatePeople(whole, AssociationOptions{}, &scene.rig);
  EXPECT_EQ(joined.summary.method, "calibrated");
  EXPECT_TRUE(std::any_of(joined.tracks.begin(), joined.tracks.end(),
                          [&](const PersonTrack& t) { return TakesObserved(cut, t).size() == 2; }));
  const Association a = AssociatePeople(cut, AssociationOptions{}, &scene.rig);
  EXPECT_EQ(a.summary.method, "calibrated");
  EXPECT_EQ(a.summary.detections, joined.summary.detections);
  std::set<int> ids;
  int per_take[2] = {0, 0};
  for (const PersonTrack& t : a.tracks) {
    const std::set<int> takes = TakesObserved(cut, t);
    ASSERT_EQ(takes.size(), 1u) << "track " << t.id;
    ++per_take[*takes.begin()];
    EXPECT_TRUE(ids.insert(t.id).second) << "track id " << t.id << " twice";
    EXPECT_EQ(t.camera_names, whole.camera_names);
  }
  EXPECT_GE(per_take[0], 2);
  EXPECT_GE(per_take[1], 2);
  const std::vector<TakeSummary> takes = SummariseTakes(cut, a, a.tracks.front());
  ASSERT_EQ(takes.size(), 2u);
  EXPECT_EQ(takes[0].people, per_take[0]);
  EXPECT_EQ(takes[1].people, per_take[1]);
  EXPECT_EQ(takes[0].frames, 100);
  // A second-take track moved a few frames earlier (onto its take's reference timeline, as
  // `calibrate --sync` leaves it) still counts for its own take: most of its frames are there;
  // the pooled track's frames count for the take of the track they come from.
  Association moved = a;
  std::vector<PersonTrack> second_take;
  for (PersonTrack& t : moved.tracks)
    if (*TakesObserved(cut, t).begin() == 1) {
      for (int64_t& frame : t.frame_numbers) frame -= 8;
      second_take.push_back(t);
    }
  const PersonTrack pooled = PoolTracks(second_take);
  const std::vector<TakeSummary> moved_takes = SummariseTakes(cut, moved, pooled);
  EXPECT_EQ(moved_takes[0].people, per_take[0]);
  EXPECT_EQ(moved_takes[1].people, per_take[1]);
  EXPECT_EQ(moved_takes[0].used_frames, 0);
  EXPECT_EQ(moved_takes[1].used_frames, pooled.num_frames());

  AssociationOptions single;
  single.method = "single";
  const Association s = AssociatePeople(cut, single);
  ASSERT_EQ(s.tracks.size(), 2u);
  EXPECT_EQ(s.tracks[0].id, 0);
  EXPECT_EQ(s.tracks[1].id, 1);
  EXPECT_EQ(TakesObserved(cut, s.tracks[0]), std::set<int>{0});
  EXPECT_EQ(TakesObserved(cut, s.tracks[1]), std::set<int>{1});
  const PersonTrack selection = SinglePersonTrack(cut, s);
  EXPECT_EQ(selection.frame_track_ids.size(), static_cast<size_t>(selection.num_frames()));
  EXPECT_EQ(std::set<int>(selection.frame_track_ids.begin(), selection.frame_track_ids.end()), (std::set<int>{0, 1}));
}

}  // namespace
}  // namespace epilabel
