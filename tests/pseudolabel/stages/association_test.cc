// The association stage: today's one-person case (the most confident detection of every camera
// and frame), with every detection counted so that several people are never hidden.
#include "pseudolabel/stages/association.h"

#include <gtest/gtest.h>

#include "foundation/error.h"

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

}  // namespace
}  // namespace epilabel
