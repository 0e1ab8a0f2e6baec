#include "geometry/association/single_person.h"

#include <random>

#include <gtest/gtest.h>

#include "detection/keypoints.h"

namespace epilabel {
namespace {

// Random people per camera and frame (0 to 3, with ties of total confidence, missing joints
// and non-finite values), as a KeypointSequence and as MultiDetections.
TEST(AssociateSinglePerson, EqualsTheMostConfidentSelection) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const int cameras = 3, frames = 60, joints = 5;
  KeypointSequence seq;
  seq.num_joints = joints;
  std::vector<std::vector<std::vector<PersonJoints>>> people(cameras, std::vector<std::vector<PersonJoints>>(frames));
  for (int c = 0; c < cameras; ++c) {
    CameraKeypoints cam;
    cam.name = "c" + std::to_string(c);
    for (int f = 0; f < frames; ++f) {
      cam.frame_numbers.push_back(f);
      cam.people.emplace_back();
      const int n = static_cast<int>(u(rng) * 4);
      for (int p = 0; p < n; ++p) {
        PersonJoints pj(joints);
        for (auto& j : pj) {
          j << 1000 * u(rng), 800 * u(rng), u(rng) < 0.2 ? 0.0 : std::round(4 * u(rng)) / 4;
          if (u(rng) < 0.03) j.x() = std::numeric_limits<double>::quiet_NaN();
        }
        if (p == 1 && u(rng) < 0.3) pj = people[c][f][0];  // an exact tie
        cam.people.back().push_back(Person2d{pj});
        people[c][f].push_back(pj);
      }
    }
    seq.cameras.push_back(cam);
  }
  const ObservationTable expected = ToObservations(seq, PersonSelection::kMostConfident);
  const AssociationResult result = AssociateSinglePerson(MultiDetections(people, joints));
  ASSERT_EQ(result.tracks.size(), 1u);
  const Observations2d& got = result.tracks[0].observations;
  ASSERT_EQ(got.num_frames(), expected.observations.num_frames());
  for (int c = 0; c < cameras; ++c)
    for (int f = 0; f < frames; ++f)
      for (int j = 0; j < joints; ++j) EXPECT_EQ(got.at(c, f, j), expected.observations.at(c, f, j)) << c << " " << f;
  EXPECT_EQ(result.summary.num_tracks, 1);
  EXPECT_EQ(result.summary.num_assigned + result.summary.num_unmatched, result.summary.num_detections);
}

TEST(AssociateSinglePerson, PicksTheMostConfidentPersonAndCountsTheOthers) {
  const PersonJoints weak = {Eigen::Vector3d(1, 1, 0.3), Eigen::Vector3d(2, 2, 0.3)};
  const PersonJoints strong = {Eigen::Vector3d(5, 5, 0.9), Eigen::Vector3d(6, 6, 0.0)};
  const AssociationResult r = AssociateSinglePerson(MultiDetections({{{weak, strong}, {}, {weak}}}, 2));
  EXPECT_EQ(r.tracks[0].DetectionAt(0, 0), 1);
  EXPECT_EQ(r.tracks[0].DetectionAt(0, 1), kNoDetection);
  EXPECT_EQ(r.tracks[0].DetectionAt(0, 2), 0);
  EXPECT_EQ(r.summary.num_detections, 3);
  EXPECT_EQ(r.summary.num_unmatched, 1);
  EXPECT_EQ(r.tracks[0].first_frame, 0);
  EXPECT_EQ(r.tracks[0].last_frame, 2);
}

}  // namespace
}  // namespace epilabel
