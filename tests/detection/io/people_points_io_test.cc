// points3d.npz with several people: the 4-D layout round-trips, one person keeps the 3-D layout.
#include "detection/io/people_points_io.h"

#include <gtest/gtest.h>

#include "foundation/npz.h"
#include "tests/testing.h"

namespace epilabel {
namespace {

PointsFile Person(double offset) {
  PointsFile p;
  p.points = Points3d(3, 2);
  p.reproj_error_px = FrameJointArray<double>(3, 2, 1.5 + offset);
  p.n_views = FrameJointArray<int32_t>(3, 2, 4);
  p.uncertainty_m = FrameJointArray<double>(3, 2, 0.01);
  for (int f = 0; f < 3; ++f)
    for (int j = 0; j < 2; ++j) p.points.at(f, j) = Eigen::Vector3d(offset + f, j, 0.5);
  p.points.at(2, 1) = Eigen::Vector3d::Constant(kNaN);  // unknown
  p.joint_names = {"a", "b"};
  p.frame_numbers = {7, 8, 9};
  return p;
}

TEST(PeoplePointsNpz, SeveralPeopleRoundTrip) {
  testing::TempDir dir;
  PeoplePoints in;
  in.people = {Person(0), Person(10)};
  in.track_ids = {3, 5};
  WritePeoplePointsNpz(in, dir / "p.npz");
  const auto npz = ReadNpz(dir / "p.npz");
  EXPECT_EQ(npz.at("points3d").shape, (std::vector<int64_t>{3, 2, 2, 3}));
  EXPECT_EQ(npz.at("n_views").shape, (std::vector<int64_t>{3, 2, 2}));
  const PeoplePoints out = ReadPeoplePointsNpz(dir / "p.npz");
  ASSERT_EQ(out.people.size(), 2u);
  EXPECT_EQ(out.track_ids, (std::vector<int>{3, 5}));
  EXPECT_EQ(out.people[1].points.at(1, 0), Eigen::Vector3d(11, 0, 0.5));
  EXPECT_FALSE(out.people[1].points.IsValid(2, 1));
  EXPECT_DOUBLE_EQ(out.people[1].reproj_error_px.at(0, 0), 11.5);
  EXPECT_EQ(out.people[0].frame_numbers, (std::vector<int64_t>{7, 8, 9}));
  EXPECT_EQ(out.people[0].joint_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_DOUBLE_EQ(out.people[0].uncertainty_m.at(1, 1), 0.01);
}

TEST(PeoplePointsNpz, OnePersonKeepsTheSinglePersonLayout) {
  testing::TempDir dir;
  PeoplePoints in;
  in.people = {Person(0)};
  in.track_ids = {0};
  WritePeoplePointsNpz(in, dir / "one.npz");
  EXPECT_EQ(ReadNpz(dir / "one.npz").at("points3d").shape, (std::vector<int64_t>{3, 2, 3}));
  const PeoplePoints out = ReadPeoplePointsNpz(dir / "one.npz");
  ASSERT_EQ(out.people.size(), 1u);
  EXPECT_EQ(out.track_ids, (std::vector<int>{0}));
  EXPECT_EQ(out.people[0].points.at(1, 1), Eigen::Vector3d(1, 1, 0.5));
}

TEST(PeoplePointsNpz, PeopleWithDifferentFramesAreRefused) {
  testing::TempDir dir;
  PeoplePoints in;
  in.people = {Person(0), Person(1)};
  in.people[1].frame_numbers = {1, 2, 3};
  in.track_ids = {0, 1};
  EXPECT_THROW(WritePeoplePointsNpz(in, dir / "bad.npz"), std::invalid_argument);
}

}  // namespace
}  // namespace epilabel
