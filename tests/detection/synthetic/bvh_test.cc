#include "detection/synthetic/bvh.h"

#include <cmath>
#include <fstream>

#include <gtest/gtest.h>

#include "foundation/error.h"
#include "tests/detection/synthetic/synthetic_testing.h"

namespace epilabel {
namespace {

// A root with two children; the arm has an End Site. Channel orders differ on purpose.
const char* const kSmallBvh = R"(HIERARCHY
ROOT Hips
{
  OFFSET 0.0 0.0 0.0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation
  JOINT Arm
  {
    OFFSET 1.0 0.0 0.0
    CHANNELS 3 Xrotation Yrotation Zrotation
    End Site
    {
      OFFSET 0.0 2.0 0.0
    }
  }
  JOINT Leg
  {
    OFFSET 0.0 -1.0 0.5
    CHANNELS 3 Zrotation Yrotation Xrotation
  }
}
MOTION
Frames: 2
Frame Time: 0.0083333
1.0 2.0 3.0 90.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0
0.0 0.0 0.0 10.0 20.0 30.0 40.0 -50.0 60.0 5.0 -15.0 25.0
)";

Eigen::Matrix3d Rx(double deg) { return Eigen::AngleAxisd(deg * EIGEN_PI / 180, Eigen::Vector3d::UnitX()).toRotationMatrix(); }
Eigen::Matrix3d Ry(double deg) { return Eigen::AngleAxisd(deg * EIGEN_PI / 180, Eigen::Vector3d::UnitY()).toRotationMatrix(); }
Eigen::Matrix3d Rz(double deg) { return Eigen::AngleAxisd(deg * EIGEN_PI / 180, Eigen::Vector3d::UnitZ()).toRotationMatrix(); }

TEST(Bvh, ParsesHierarchyChannelsAndFrames) {
  const BvhMotion m = ParseBvh(kSmallBvh, "small.bvh");
  ASSERT_EQ(m.joints.size(), 3u);
  EXPECT_EQ(m.joints[0].name, "Hips");
  EXPECT_EQ(m.joints[1].name, "Arm");
  EXPECT_EQ(m.joints[2].name, "Leg");
  EXPECT_EQ(m.joints[0].parent, -1);
  EXPECT_EQ(m.joints[1].parent, 0);
  EXPECT_EQ(m.joints[2].parent, 0);
  EXPECT_EQ(m.joints[2].offset, Eigen::Vector3d(0.0, -1.0, 0.5));
  EXPECT_TRUE(m.joints[1].has_end_site);
  EXPECT_EQ(m.joints[1].end_site, Eigen::Vector3d(0.0, 2.0, 0.0));
  EXPECT_FALSE(m.joints[2].has_end_site);
  EXPECT_EQ(m.joints[1].channels.front(), BvhChannel::kXrotation);
  EXPECT_EQ(m.joints[1].first_channel, 6);
  EXPECT_EQ(m.joints[2].first_channel, 9);
  EXPECT_EQ(m.num_channels, 12);
  EXPECT_EQ(m.num_frames, 2);
  EXPECT_DOUBLE_EQ(m.frame_time, 0.0083333);
  EXPECT_DOUBLE_EQ(m.Frame(1)[7], -50.0);
  EXPECT_EQ(m.JointIndex("Leg"), 2);
  EXPECT_EQ(m.JointIndex("Nope"), -1);
}

TEST(Bvh, ForwardKinematicsAppliesChannelsInFileOrder) {
  const BvhMotion m = ParseBvh(kSmallBvh, "small.bvh");
  // Frame 0: root at (1, 2, 3) turned 90 degrees about Z; the arm (offset +X) ends up along +Y.
  const auto p0 = JointPositionsAtFrame(m, 0);
  EXPECT_NEAR((p0[0] - Eigen::Vector3d(1, 2, 3)).norm(), 0.0, 1e-12);
  EXPECT_NEAR((p0[1] - Eigen::Vector3d(1, 3, 3)).norm(), 0.0, 1e-12);
  // Frame 1: compare with explicit matrix products in each joint's channel order.
  const BvhWorldPose w = ForwardKinematics(m.joints, PoseAtFrame(m, 1));
  const Eigen::Matrix3d root = Rz(10) * Ry(20) * Rx(30);
  const Eigen::Matrix3d arm = root * (Rx(40) * Ry(-50) * Rz(60));
  const Eigen::Matrix3d leg = root * (Rz(5) * Ry(-15) * Rx(25));
  EXPECT_NEAR((w.orientations[0].toRotationMatrix() - root).norm(), 0.0, 1e-12);
  EXPECT_NEAR((w.orientations[1].toRotationMatrix() - arm).norm(), 0.0, 1e-12);
  EXPECT_NEAR((w.orientations[2].toRotationMatrix() - leg).norm(), 0.0, 1e-12);
  EXPECT_NEAR((w.positions[1] - root * Eigen::Vector3d(1, 0, 0)).norm(), 0.0, 1e-12);
  EXPECT_NEAR((w.positions[2] - root * Eigen::Vector3d(0, -1, 0.5)).norm(), 0.0, 1e-12);
}

TEST(Bvh, ReadsCmuClipWithConstantSegmentLengths) {
  const BvhMotion m = ReadBvh(testing::DataDir() + "/motions/02_01.bvh");
  EXPECT_EQ(m.name, "02_01");
  EXPECT_EQ(m.joints.size(), 31u);
  EXPECT_EQ(m.num_channels, 96);
  EXPECT_EQ(m.num_frames, 343);
  EXPECT_NEAR(m.frame_time, 1.0 / 120.0, 1e-5);
  EXPECT_EQ(m.values.size(), 343u * 96u);
  const int thigh = m.JointIndex("LeftUpLeg"), knee = m.JointIndex("LeftLeg");
  ASSERT_GE(thigh, 0);
  ASSERT_GE(knee, 0);
  const double length = m.joints[knee].offset.norm();
  for (int f = 0; f < m.num_frames; f += 17) {
    const auto p = JointPositionsAtFrame(m, f);
    EXPECT_NEAR((p[knee] - p[thigh]).norm(), length, 1e-9) << "frame " << f;
    // Y is up: the hips are above the knees.
    EXPECT_GT(p[0].y(), p[knee].y());
  }
}

struct MalformedCase {
  std::string name;
  std::string text;
  std::string expected;  // a substring of the message
};

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  const size_t pos = s.find(from);
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

TEST(Bvh, MalformedFilesGiveClearErrors) {
  const std::string good = kSmallBvh;
  const std::vector<MalformedCase> cases = {
      {"empty", "", "empty file"},
      {"no motion", good.substr(0, good.find("MOTION")), "no MOTION section"},
      {"no hierarchy", Replace(good, "HIERARCHY", "HIERARCHx"), "expected 'HIERARCHY'"},
      {"unknown channel", Replace(good, "Xrotation Yrotation Zrotation", "Xrotation Yrotation Wrotation"),
       "unknown channel 'Wrotation'"},
      {"bad offset", Replace(good, "OFFSET 1.0 0.0 0.0", "OFFSET 1.0 abc 0.0"), "small.bvh:8"},
      {"unbalanced", Replace(good, "    }\n  }\n  JOINT Leg", "    }\n  JOINT Leg"), "small.bvh:"},
      {"short row", Replace(good, "0.0 0.0 0.0 10.0", "0.0 0.0 10.0"), "frame 1 has 11 values, expected 12"},
      {"nan", Replace(good, "40.0 -50.0", "nan -50.0"), "is not a finite number"},
      {"word in row", Replace(good, "40.0 -50.0", "forty -50.0"), "small.bvh:25"},
      {"truncated", Replace(good, "Frames: 2", "Frames: 3"), "'Frames: 3' but the file has 2 frame rows"},
      {"extra rows", Replace(good, "Frames: 2", "Frames: 1"), "more frame rows than"},
      {"bad frame time", Replace(good, "Frame Time: 0.0083333", "Frame Time: 0"), "frame time must be positive"},
      {"no frame time", Replace(good, "Frame Time: 0.0083333", "Time 0.1"), "expected 'Frame Time: <seconds>'"},
      {"bad frames", Replace(good, "Frames: 2", "Frames: two"), "expected 'Frames: <count>'"},
      {"zero frames", Replace(good, "Frames: 2", "Frames: 0"), "Frames: 0"},
  };
  for (const auto& c : cases) {
    try {
      ParseBvh(c.text, "small.bvh");
      ADD_FAILURE() << c.name << ": no error";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(c.expected), std::string::npos)
          << c.name << ": message '" << e.what() << "' lacks '" << c.expected << "'";
      EXPECT_EQ(std::string(e.what()).rfind("small.bvh", 0), 0u) << c.name << ": " << e.what();
    }
  }
}

TEST(Bvh, AcceptsCompactHeadersAndWindowsLineEnds) {
  std::string text = Replace(Replace(kSmallBvh, "Frames: 2", "Frames:2"), "Frame Time: 0.0083333", "Frame Time:0.01");
  std::string crlf;
  for (char c : text) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  const BvhMotion m = ParseBvh(crlf, "crlf.bvh");
  EXPECT_EQ(m.num_frames, 2);
  EXPECT_DOUBLE_EQ(m.frame_time, 0.01);
  EXPECT_DOUBLE_EQ(m.Frame(1)[11], 25.0);
}

TEST(Bvh, MissingFileIsAnInputError) {
  testing::TempDir dir;
  EXPECT_THROW(ReadBvh(dir / "nope.bvh"), InputError);
  const std::string path = dir / "text.bvh";
  std::ofstream(path) << "just some text\n";
  EXPECT_THROW(ReadBvh(path), InputError);
}

}  // namespace
}  // namespace epilabel
