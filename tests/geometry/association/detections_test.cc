#include "geometry/association/detections.h"

#include <gtest/gtest.h>

namespace epilabel {
namespace {

PersonJoints Person(double x, double weight) {
  return {Eigen::Vector3d(x, 1.0, weight), Eigen::Vector3d(x + 1.0, 2.0, 0.0)};
}

TEST(MultiDetections, StoresPeoplePerCameraAndFrame) {
  // 2 cameras x 3 frames; camera 0 frame 1 has two people, camera 1 frame 0 none.
  const MultiDetections d({{{Person(1, 0.5)}, {Person(2, 0.7), Person(3, 0.9)}, {Person(4, 0.1)}},
                           {{}, {Person(5, 1.0)}, {Person(6, 0.0)}}},
                          2);
  EXPECT_EQ(d.num_cameras(), 2);
  EXPECT_EQ(d.num_frames(), 3);
  EXPECT_EQ(d.num_joints(), 2);
  EXPECT_EQ(d.size(), 6);
  EXPECT_EQ(d.NumDetections(0, 1), 2);
  EXPECT_EQ(d.NumDetections(1, 0), 0);
  EXPECT_EQ(d.Joints(0, 1, 1)[0].x(), 3.0);
  EXPECT_EQ(d.Joints(0, 1, 1)[1].x(), 4.0);
  EXPECT_EQ(d.Joints(1, 2, 0)[0].x(), 6.0);
  EXPECT_DOUBLE_EQ(d.TotalConfidence(0, 1, 1), 0.9);
  EXPECT_TRUE(d.HasObservedJoint(0, 2, 0));
  EXPECT_FALSE(d.HasObservedJoint(1, 2, 0));  // every weight is zero
}

TEST(MultiDetections, RejectsInconsistentShapes) {
  EXPECT_THROW(MultiDetections({{{Person(1, 0.5)}}, {}}, 2), std::invalid_argument);          // frames differ
  EXPECT_THROW(MultiDetections({{{Person(1, 0.5)}}}, 3), std::invalid_argument);              // joints differ
}

TEST(MultiDetections, FromObservationsKeepsObservedRows) {
  Observations2d obs(2, 2, 3);
  obs.at(0, 1, 2) = Eigen::Vector3d(10, 20, 0.5);
  obs.at(1, 0, 0) = Eigen::Vector3d(1, 2, 0.0);  // weight zero: not observed
  const MultiDetections d = MultiDetections::FromObservations(obs);
  EXPECT_EQ(d.size(), 1);
  EXPECT_EQ(d.NumDetections(0, 1), 1);
  EXPECT_EQ(d.Joints(0, 1, 0)[2], Eigen::Vector3d(10, 20, 0.5));
}

TEST(Track, AssignCopiesObservedJointsAndCounts) {
  const MultiDetections d({{{Person(1, 0.5), Person(2, 0.6)}, {}}}, 2);
  AssociationResult result;
  result.tracks.emplace_back(0, 1, 2, 2);
  result.tracks[0].Assign(d, 0, 0, 1);
  EXPECT_EQ(result.tracks[0].DetectionAt(0, 0), 1);
  EXPECT_EQ(result.tracks[0].DetectionAt(0, 1), kNoDetection);
  EXPECT_EQ(result.tracks[0].observations.at(0, 0, 0), Eigen::Vector3d(2, 1, 0.6));
  EXPECT_EQ(result.tracks[0].observations.at(0, 0, 1), Eigen::Vector3d::Zero());  // weight 0 stays missing
  EXPECT_EQ(result.tracks[0].first_frame, 0);
  EXPECT_EQ(result.tracks[0].NumAssigned(), 1);
  CountAssignments(d, &result);
  EXPECT_EQ(result.summary.num_tracks, 1);
  EXPECT_EQ(result.summary.num_detections, 2);
  EXPECT_EQ(result.summary.num_assigned, 1);
  EXPECT_EQ(result.summary.num_unmatched, 1);
  EXPECT_NE(result.summary.BriefReport().find("1 of 2 detections"), std::string::npos);
}

}  // namespace
}  // namespace epilabel
