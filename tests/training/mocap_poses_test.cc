#include "training/mocap_poses.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "detection/skeleton.h"
#include "foundation/error.h"
#include "tests/testing.h"

namespace epilabel {
namespace {

std::string PretrainDir() {
  const char* env = std::getenv("EPILABEL_DATA_DIR");
  return std::string(env != nullptr ? env : "data") + "/mocap_pretrain";
}

const MocapPoses& Poses() {
  static const MocapPoses poses = ReadMocapPoses(PretrainDir(), 30.0, GetSkeleton("coco17").root);
  return poses;
}

const Eigen::Vector3d& At(const MocapPoses& m, int frame, int joint) {
  return m.root_relative[static_cast<size_t>(frame) * m.num_joints + joint];
}

std::string WhereOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.where();
  }
  return "(no InputError)";
}

TEST(MocapPoses, ReadsTheFolderRootRelativeOnOneBody) {
  const MocapPoses& m = Poses();
  ASSERT_EQ(m.files.size(), 2u);
  EXPECT_EQ(std::filesystem::path(m.files[0]).filename(), "131_01.bvh");
  EXPECT_EQ(std::filesystem::path(m.files[1]).filename(), "131_02.bvh");
  // 994 and 1,247 frames at 120 Hz = 8.27 + 10.38 s: 249 + 312 poses at 30 fps (each clip one
  // glitch-free segment, both ends included).
  EXPECT_EQ(m.num_frames(), 561);
  EXPECT_EQ(m.segment_end[0], 249);
  EXPECT_EQ(m.segment_first[560], 249);
  ASSERT_EQ(m.root_relative.size(), static_cast<size_t>(m.num_frames()) * 17);
  const Skeleton& coco = GetSkeleton("coco17");
  const double thigh = (At(m, 0, 11) - At(m, 0, 13)).norm();
  for (int f = 0; f < m.num_frames(); f += 7) {
    // The root (mid-hip) is the origin, z is up (the head above the hips), bones keep their length.
    EXPECT_LT((At(m, f, coco.root[0]) + At(m, f, coco.root[1])).norm(), 1e-9);
    EXPECT_GT(At(m, f, 0).z(), 0.3);
    EXPECT_NEAR((At(m, f, 11) - At(m, f, 13)).norm(), thigh, 1e-6);
    EXPECT_LE(m.segment_first[f], f);
    EXPECT_GT(m.segment_end[f], f);
  }
  EXPECT_GT(thigh, 0.3);
  EXPECT_LT(thigh, 0.6);
}

TEST(MocapPoses, LevelCameraLooksAlongTheYawWithYDown) {
  const Eigen::Matrix3d r = LevelCameraFromWorld(0.5, 0.0);
  EXPECT_NEAR(r.determinant(), 1.0, 1e-12);
  EXPECT_LT((r * r.transpose() - Eigen::Matrix3d::Identity()).norm(), 1e-12);
  EXPECT_LT((r * Eigen::Vector3d(std::cos(0.5), std::sin(0.5), 0) - Eigen::Vector3d(0, 0, 1)).norm(), 1e-12);
  EXPECT_LT((r * Eigen::Vector3d(0, 0, 1) - Eigen::Vector3d(0, -1, 0)).norm(), 1e-12);
  // Pitched down by 30 degrees: a point ahead and below at that angle is on the optical axis.
  const double pitch = 30.0 * EIGEN_PI / 180.0;
  const Eigen::Vector3d ahead_below(std::cos(pitch), 0.0, -std::sin(pitch));
  EXPECT_LT((LevelCameraFromWorld(0.0, pitch) * ahead_below - Eigen::Vector3d(0, 0, 1)).norm(), 1e-12);
}

TEST(MocapPoses, MaskedBatchRotatesAboutTheVerticalAndMasks) {
  const MocapPoses& m = Poses();
  const std::vector<int> frames = {0, 40, 41, 100, m.num_frames() - 1};
  std::mt19937_64 rng(3);
  const PoseBatch3d b = MakeMaskedMocapBatch(m, frames, 3, 0.0, 0.0, 20.0, rng);
  ASSERT_EQ(b.size, 5);
  double yaw_spread = 0.0;
  for (int i = 0; i < b.size; ++i) {
    auto target = [&](int k) {
      return Eigen::Vector3d(b.target[(i * 17 + k) * 3], b.target[(i * 17 + k) * 3 + 1], b.target[(i * 17 + k) * 3 + 2]);
    };
    // A rotation of the mocap pose: lengths kept, the head up (y < 0) within the pitch's tilt.
    for (int k = 0; k < 17; ++k) EXPECT_NEAR(target(k).norm(), At(m, frames[i], k).norm(), 1e-5);
    const Eigen::Vector3d up = target(0).normalized();
    const Eigen::Vector3d up_world = At(m, frames[i], 0).normalized();
    EXPECT_LT(up.y(), -0.5);
    EXPECT_NEAR(std::asin(std::clamp(-up.y(), -1.0, 1.0)), std::asin(up_world.z()), 20.0 * EIGEN_PI / 180.0 + 1e-6);
    yaw_spread += std::abs(target(5).x() - b.target[3 * 5]);  // left shoulder's x differs between draws
    // Without masks the centre frame of the input is the target; the weights are 1.
    for (int k = 0; k < 17; ++k) {
      for (int c = 0; c < 3; ++c) EXPECT_EQ(b.input[((i * 3 + 1) * 17 + k) * 3 + c], b.target[(i * 17 + k) * 3 + c]);
      EXPECT_EQ(b.weight[i * 17 + k], 1.0f);
    }
  }
  EXPECT_GT(yaw_spread, 0.05);
  // Masks at the given rates (every number of a fully masked joint is 0); reproducible for a seed.
  std::vector<int> many(400);
  for (int i = 0; i < 400; ++i) many[i] = i % m.num_frames();
  std::mt19937_64 a(5), c(5);
  const PoseBatch3d masked = MakeMaskedMocapBatch(m, many, 1, 0.25, 0.0, 20.0, a);
  EXPECT_EQ(MakeMaskedMocapBatch(m, many, 1, 0.25, 0.0, 20.0, c).input, masked.input);
  int zeros = 0;
  for (int j = 0; j < 400 * 17; ++j) zeros += masked.input[3 * j] == 0.0f && masked.input[3 * j + 2] == 0.0f;
  EXPECT_NEAR(zeros / (400.0 * 17.0), 0.25, 0.03);
}

TEST(MocapPoses, BadFoldersAndFilesAreInputErrorsNamingThem) {
  testing::TempDir dir;
  EXPECT_EQ(WhereOf([&] { ReadMocapPoses(dir / "missing", 30.0, {11, 12}); }), dir / "missing");
  EXPECT_EQ(WhereOf([&] { ReadMocapPoses(dir.path().string(), 30.0, {11, 12}); }), dir.path().string());
  std::ofstream(dir / "bad.bvh") << "HIERARCHY\nROOT Hips\n{\n";
  EXPECT_NE(WhereOf([&] { ReadMocapPoses(dir.path().string(), 30.0, {11, 12}); }).find("bad.bvh"), std::string::npos);
}

}  // namespace
}  // namespace epilabel
