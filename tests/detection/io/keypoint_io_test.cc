#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <tbb/task_arena.h>

#include "detection/io/calibration_io.h"
#include "detection/io/camera_matching.h"
#include "detection/io/keypoint_io.h"
#include "detection/skeleton.h"
#include "foundation/error.h"
#include "foundation/npz.h"
#include "tests/detection/io/keypoint_test_util.h"
#include "tests/testing.h"

namespace fs = std::filesystem;

namespace epilabel {
namespace {

using testing::CocoTemplate;
using testing::ExpectSameSequence;
using testing::kOnePerson17;
using testing::Pose2SimDir;
using testing::RandomSequence;
using testing::ReadError;
using testing::WriteText;


TEST(DetectKeypointFormat, FromKindExtensionAndFirstCharacter) {
  testing::TempDir dir;
  const KeypointSequence seq = RandomSequence(11, 1, 4);
  WriteKeypointsNpz(seq, dir / "k.npz");
  WriteOpenPoseFolder(seq, dir / "op");
  WriteCocoFolder(seq, dir / "coco");
  EXPECT_EQ(DetectKeypointFormat(dir / "k.npz"), KeypointFormat::kNpz);
  EXPECT_EQ(DetectKeypointFormat(dir / "op"), KeypointFormat::kOpenPose);
  EXPECT_EQ(DetectKeypointFormat(dir / "op/cam_1"), KeypointFormat::kOpenPose);  // one camera folder
  EXPECT_EQ(DetectKeypointFormat(dir / "coco"), KeypointFormat::kCoco);
  EXPECT_EQ(DetectKeypointFormat(dir / "coco/cam_1.json"), KeypointFormat::kCoco);
  WriteText(dir / "k.txt", "x");
  EXPECT_THROW(DetectKeypointFormat(dir / "k.txt"), InputError);
  EXPECT_THROW(DetectKeypointFormat(dir / "missing"), InputError);
  // ReadKeypoints reads each the same (all frames are in the npz and OpenPose folders).
  ExpectSameSequence(ReadKeypoints(dir / "k.npz"), ReadKeypoints(dir / "op"));
}

TEST(SkeletonGuess, TellsBody25FromBody25bByTheLimbs) {
  // The Pose2Sim sample relabelled as BODY_25 (neck at 1 between the shoulders at 2 and 5, etc.)
  // must be recognised as BODY_25.
  const KeypointSequence b = ReadKeypoints(Pose2SimDir() + "/pose");
  const Skeleton& from = GetSkeleton("body25b");
  const Skeleton& to = GetSkeleton("body25");
  KeypointSequence a = b;
  for (auto& cam : a.cameras) {
    for (auto& people : cam.people) {
      for (auto& person : people) {
        std::vector<Eigen::Vector3d> joints(25, Eigen::Vector3d::Zero());
        for (int j = 0; j < 25; ++j) {
          const joint_t k = to.JointIndex(from.joint_names[static_cast<size_t>(j)]);
          if (k >= 0) joints[static_cast<size_t>(k)] = person.joints[static_cast<size_t>(j)];
        }
        // BODY_25's neck and mid-hip from the shoulders and hips.
        const auto& ls = person.joints[5];
        const auto& rs = person.joints[6];
        const auto& lh = person.joints[11];
        const auto& rh = person.joints[12];
        joints[1] = Eigen::Vector3d(0.5 * (ls.x() + rs.x()), 0.5 * (ls.y() + rs.y()), 1.0);
        joints[8] = Eigen::Vector3d(0.5 * (lh.x() + rh.x()), 0.5 * (lh.y() + rh.y()), 1.0);
        person.joints = joints;
      }
    }
  }
  testing::TempDir dir;
  WriteOpenPoseFolder(a, dir / "pose");
  EXPECT_EQ(ReadKeypoints(dir / "pose").skeleton, "body25");
}


}  // namespace
}  // namespace epilabel
