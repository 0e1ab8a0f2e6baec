#include "detection/skeleton.h"

#include <gtest/gtest.h>

#include "foundation/error.h"

namespace epilabel {
namespace {

TEST(Skeleton, AllRequiredSkeletonsAreDefinedWithTheirJointCounts) {
  const std::vector<std::pair<std::string, int>> expected = {{"coco17", 17},  {"h36m17", 17},  {"body25", 25},
                                                             {"body25b", 25}, {"halpe26", 26}, {"blazepose33", 33}};
  for (const auto& [name, count] : expected) {
    const Skeleton& s = GetSkeleton(name);
    EXPECT_EQ(s.num_joints(), count) << name;
    EXPECT_EQ(s.to_coco17.size(), 17u) << name;
    EXPECT_FALSE(s.bones.empty()) << name;
    EXPECT_FALSE(s.root.empty()) << name;
  }
  EXPECT_EQ(SkeletonNames().front(), "coco17");
}

TEST(Skeleton, StatureModelUsesTheEarsWhereTheSkeletonHasThem) {
  for (const auto& name : SkeletonNames()) {
    const Skeleton& s = GetSkeleton(name);
    const joint_t left_ear = s.JointIndex("left_ear"), right_ear = s.JointIndex("right_ear");
    if (left_ear == kInvalidJointId) {
      EXPECT_TRUE(s.height_head.empty()) << name;
      continue;
    }
    EXPECT_EQ(s.height_head, (std::vector<joint_t>{left_ear, right_ear})) << name;
    EXPECT_EQ(s.height_legs.size(), 2u) << name;
    // The anatomical tables' ankle (0.08 m) and ear to crown (0.13 m); OpenPose's ankle keypoint
    // stands higher (data/skeletons.toml).
    EXPECT_NEAR(s.height_ankle + s.height_head_top, name == "body25b" ? 0.235 : 0.21, 1e-12) << name;
  }
  EXPECT_TRUE(GetSkeleton("h36m17").height_head.empty());
}

// BlazePose measures the ankle's height above its heel and toe tip; the others have no soles.
TEST(Skeleton, BlazePoseStatureStartsFromTheSoles) {
  const Skeleton& s = GetSkeleton("blazepose33");
  ASSERT_EQ(s.height_soles.size(), s.height_legs.size());
  EXPECT_EQ(s.height_soles[0], (std::vector<joint_t>{s.JointIndex("left_heel"), s.JointIndex("left_foot_index")}));
  EXPECT_EQ(s.height_soles[1], (std::vector<joint_t>{s.JointIndex("right_heel"), s.JointIndex("right_foot_index")}));
  EXPECT_EQ(s.height_legs[0][0], s.JointIndex("left_ankle"));  // same chain order
  for (const char* other : {"coco17", "body25b", "halpe26"}) EXPECT_TRUE(GetSkeleton(other).height_soles.empty()) << other;
}

// BODY_25B's head_top is the crown: the stack ends there when the ears are never seen.
TEST(Skeleton, Body25bStatureCanEndAtTheHeadTopJoint) {
  const Skeleton& s = GetSkeleton("body25b");
  EXPECT_EQ(s.height_crown, (std::vector<joint_t>{s.JointIndex("head_top")}));
  EXPECT_DOUBLE_EQ(s.height_crown_top, 0.0);
  EXPECT_TRUE(GetSkeleton("coco17").height_crown.empty());
}

TEST(Skeleton, UnknownNameIsAnInputErrorListingTheKnownOnes) {
  try {
    GetSkeleton("body99");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("halpe26"), std::string::npos);
  }
}

TEST(Skeleton, MappingToCocoKeepsJointMeaning) {
  const Skeleton& coco = GetSkeleton("coco17");
  for (const auto& name : SkeletonNames()) {
    const Skeleton& s = GetSkeleton(name);
    for (int k = 0; k < 17; ++k) {
      const joint_t j = s.to_coco17[k];
      if (j < 0) continue;
      const std::string& a = s.joint_names[j];
      const std::string& b = coco.joint_names[k];
      // Same side of the body, same kind of joint (the H36M "neck_nose" stands for the nose).
      if (b == "nose") continue;
      EXPECT_EQ(a, b) << name << " maps " << a << " to " << b;
    }
  }
}

TEST(Skeleton, FromCocoPutsEachCocoJointInItsPlaceAndLeavesTheOthersMissing) {
  std::vector<Eigen::Vector3d> coco(17);
  for (int k = 0; k < 17; ++k) coco[k] = Eigen::Vector3d(10.0 + k, 20.0 + k, 0.5);
  for (const auto& name : SkeletonNames()) {
    const Skeleton& s = GetSkeleton(name);
    const std::vector<Eigen::Vector3d> pose = FromCoco17(s, coco);
    ASSERT_EQ(static_cast<int>(pose.size()), s.num_joints()) << name;
    int placed = 0;
    for (int k = 0; k < 17; ++k) {
      if (s.to_coco17[k] < 0) continue;
      EXPECT_EQ(pose[s.to_coco17[k]], coco[k]) << name << " COCO joint " << k;
      ++placed;
    }
    int missing = 0;
    for (const Eigen::Vector3d& j : pose) missing += j.isZero() ? 1 : 0;
    EXPECT_EQ(missing, s.num_joints() - placed) << name;
    // Back to COCO: the joints the skeleton has come back unchanged.
    const std::vector<Eigen::Vector3d> back = ToCoco17(s, pose);
    for (int k = 0; k < 17; ++k)
      EXPECT_EQ(back[k], s.to_coco17[k] >= 0 ? coco[k] : Eigen::Vector3d::Zero()) << name << " joint " << k;
  }
  EXPECT_THROW(FromCoco17(GetSkeleton("body25b"), std::vector<Eigen::Vector3d>(25)), std::invalid_argument);
}

TEST(Skeleton, FlipPermutationIsAnInvolutionThatSwapsSides) {
  for (const auto& name : SkeletonNames()) {
    const Skeleton& s = GetSkeleton(name);
    const auto perm = s.FlipPermutation();
    for (joint_t j = 0; j < s.num_joints(); ++j) {
      EXPECT_EQ(perm[perm[j]], j) << name;
      const std::string& a = s.joint_names[j];
      const std::string& b = s.joint_names[perm[j]];
      if (a.rfind("left_", 0) == 0) {
        EXPECT_EQ(b, "right_" + a.substr(5)) << name;
      }
    }
  }
}

TEST(Skeleton, GuessFromJointCount) {
  EXPECT_EQ(GuessSkeleton(26, {}).value(), "halpe26");
  EXPECT_EQ(GuessSkeleton(33, {}).value(), "blazepose33");
  EXPECT_EQ(GuessSkeleton(17, {}).value(), "coco17");
  std::string reason;
  EXPECT_FALSE(GuessSkeleton(18, {}, &reason).has_value());
  EXPECT_NE(reason.find("18"), std::string::npos);
}

TEST(Skeleton, GuessTellsBody25FromBody25bByTheNeck) {
  std::vector<Eigen::Vector3d> pose(25, Eigen::Vector3d::Zero());
  // BODY_25: nose, neck between the shoulders 2 and 5.
  pose[0] = {500, 100, 0.9};
  pose[1] = {500, 180, 0.9};
  pose[2] = {440, 182, 0.9};
  pose[5] = {560, 178, 0.9};
  EXPECT_EQ(GuessSkeleton(25, pose).value(), "body25");
  // BODY_25B: joint 1 is the left eye beside the nose, joint 2 the right eye, 5 the left shoulder.
  pose[1] = {510, 92, 0.9};
  pose[2] = {490, 92, 0.9};
  pose[5] = {560, 180, 0.9};
  EXPECT_EQ(GuessSkeleton(25, pose).value(), "body25b");
}

}  // namespace
}  // namespace epilabel
