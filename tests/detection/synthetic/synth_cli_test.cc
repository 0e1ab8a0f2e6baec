// `epilabel synth` end to end: files, exit codes and messages.
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "foundation/file_util.h"
#include "foundation/npz.h"
#include "detection/synthetic/studio.h"
#include "tests/testing.h"

namespace fs = std::filesystem;

namespace epilabel {
namespace {

std::string Synth(const std::string& args) { return testing::Exe() + " --quiet synth " + args; }

TEST(SynthCommand, WritesTheSceneAndItsTruth) {
  testing::TempDir dir;
  const std::string out = dir / "scene";
  const auto r = testing::Run(Synth("--rig stereo2 --frames 45 --fps 25 --noise-px 1.5 --seed 3 --out " + out));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* file : {"calibration.toml", "intrinsics.toml", "keypoints2d.npz", "gt.npz", "scene.json"}) {
    EXPECT_TRUE(fs::is_regular_file(fs::path(out) / file)) << file;
  }
  EXPECT_TRUE(fs::is_directory(fs::path(out) / "pose" / "cam_01"));
  EXPECT_TRUE(fs::is_directory(fs::path(out) / "pose" / "cam_02"));
  const auto j = nlohmann::json::parse(ReadFileToString(out + "/scene.json"));
  EXPECT_EQ(j["options"]["rig"], "stereo2");
  EXPECT_EQ(j["options"]["frames"], 45);
  EXPECT_EQ(j["options"]["fps"], 25.0);
  EXPECT_EQ(j["options"]["noise_px"], 1.5);
  EXPECT_EQ(j["options"]["seed"], 3);
  const GroundTruth gt = ReadGroundTruth(out + "/gt.npz");
  EXPECT_EQ(gt.points3d.num_frames(), 45);
  EXPECT_EQ(gt.num_cameras, 2);
  // The same command with the same seed writes the same truth.
  const auto again = testing::Run(Synth("--rig stereo2 --frames 45 --fps 25 --noise-px 1.5 --seed 3 --out " +
                                        (dir / "again")));
  ASSERT_EQ(again.exit_code, 0) << again.output;
  const auto a = ReadNpz(out + "/gt.npz"), b = ReadNpz(dir / "again/gt.npz");
  EXPECT_TRUE(a.at("points3d").data == b.at("points3d").data);
  EXPECT_TRUE(a.at("outlier_mask").data == b.at("outlier_mask").data);
  EXPECT_TRUE(ReadFileToString(out + "/scene.json") == ReadFileToString(dir / "again/scene.json"));
}

TEST(SynthCommand, BadOptionsExitWithCode2AndAClearMessage) {
  testing::TempDir dir;
  const std::string out = dir / "scene";
  struct Case {
    std::string args, message;
  };
  const std::vector<Case> cases = {
      {"--people 9", "--people"},
      {"--enter-leave", "--enter-leave"},
      {"--rig dome", "unknown rig 'dome'"},
      {"--frames 0", "--frames"},
      {"--fps -5", "--fps"},
      {"--noise-px -1", "--noise-px"},
      {"--outlier-rate 1.5", "--outlier-rate"},
      {"--lens omni", "must be pinhole or fisheye"},
      {"--lens fisheye --fisheye-fov 200", "--fisheye-fov"},
      {"--frames many", "many"},
      {"--motion /nonexistent/clip.bvh", "clip.bvh"},
  };
  for (const auto& c : cases) {
    const auto r = testing::Run(Synth(c.args + " --out " + out));
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.message), std::string::npos) << c.args << "\n" << r.output;
    EXPECT_FALSE(fs::exists(out)) << c.args << ": no partial output";
  }
  const auto r = testing::Run(Synth("--rig ring8"));
  EXPECT_EQ(r.exit_code, 2) << r.output;  // --out is required
}

TEST(SynthCommand, SeveralPeopleWriteTheDocumentedArrays) {
  testing::TempDir dir;
  const std::string out = dir / "scene";
  const auto r =
      testing::Run(Synth("--rig stereo2 --frames 40 --people 3 --bystander --enter-leave --seed 5 --out " + out));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto gt = ReadNpz(out + "/gt.npz");
  const auto kp = ReadNpz(out + "/keypoints2d.npz");
  const int64_t slots = gt.at("detection_person").shape.at(2);
  EXPECT_GE(slots, 1);
  EXPECT_EQ(gt.at("points3d").shape, (std::vector<int64_t>{40, 4, 17, 3}));
  EXPECT_EQ(gt.at("present").shape, (std::vector<int64_t>{40, 4}));
  EXPECT_EQ(gt.at("person_ids").shape, (std::vector<int64_t>{4}));
  EXPECT_EQ(gt.at("heights").shape, (std::vector<int64_t>{4}));
  EXPECT_EQ(gt.at("bone_lengths").shape, (std::vector<int64_t>{4, 16}));
  for (const char* mask : {"outlier_mask", "swap_mask", "missing_mask", "invisible_mask", "occluded_mask"}) {
    EXPECT_EQ(gt.at(mask).shape, (std::vector<int64_t>{2, 40, 4, 17})) << mask;
  }
  EXPECT_EQ(gt.at("detection_person").descr, "<i4");
  EXPECT_EQ(kp.at("keypoints2d").shape, (std::vector<int64_t>{2, 40, slots, 17, 3}));
  const auto j = nlohmann::json::parse(ReadFileToString(out + "/scene.json"));
  EXPECT_EQ(j["options"]["people"], 3);
  EXPECT_EQ(j["options"]["bystander"], true);
  EXPECT_EQ(j["people"].size(), 4u);
  EXPECT_EQ(j["group_statistics"]["slots"], slots);
}

}  // namespace
}  // namespace epilabel
