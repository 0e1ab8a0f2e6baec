// `epilabel detect` end to end: videos and image folders in, OpenPose JSON folders out, and
// clear errors (exit code 2) for bad input.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "detection/io/keypoint_io.h"
#include "tests/detection/dnn/detector_testing.h"

namespace epilabel {
namespace {

using namespace testing;  // epilabel::testing helpers
namespace fs = std::filesystem;

std::string Detect(const std::string& args) { return Exe() + " --quiet detect " + args; }

size_t CountJson(const fs::path& folder) {
  size_t n = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(folder)) n += e.path().extension() == ".json";
  return n;
}

using DetectCommand = WithMoveNetModels;

TEST_F(DetectCommand, VideosToOpenPoseFolders) {
  TempDir dir;
  const std::string out = dir / "pose";
  const CommandResult r =
      testing::Run(Detect("--video " + Pose2SimVideo(1) + " --video " + Pose2SimVideo(3) + " --model lightning --out " + out));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(fs::is_directory(fs::path(out) / "cam01"));
  ASSERT_TRUE(fs::is_directory(fs::path(out) / "cam03"));
  EXPECT_EQ(CountJson(fs::path(out) / "cam01"), 11u);
  EXPECT_EQ(CountJson(fs::path(out) / "cam03"), 11u);

  // Read back with the project's reader: COCO-17, one person per frame, inside the image.
  const KeypointSequence read = ReadKeypoints(out);
  ASSERT_EQ(read.cameras.size(), 2u);
  EXPECT_EQ(read.num_joints, 17);
  for (const CameraKeypoints& camera : read.cameras) {
    ASSERT_EQ(camera.frame_numbers.size(), 11u);
    for (const std::vector<Person2d>& people : camera.people) {
      ASSERT_EQ(people.size(), 1u);
      for (const Eigen::Vector3d& j : people[0].joints) {
        EXPECT_GT(j.z(), 0.0);
        EXPECT_GE(j.x(), 0.0);
        EXPECT_LT(j.x(), 1088.0);
        EXPECT_GE(j.y(), 0.0);
        EXPECT_LT(j.y(), 1920.0);
      }
    }
  }
}

TEST_F(DetectCommand, ImageFoldersNamedAfterTheFolder) {
  TempDir dir;
  fs::create_directories(dir / "frames/side");
  fs::copy_file(OpenCvSample("basketball1.png"), dir / "frames/side/f2.png");
  fs::copy_file(OpenCvSample("basketball2.png"), dir / "frames/side/f10.png");
  const std::string out = dir / "pose";
  const CommandResult r = testing::Run(Detect("--images " + (dir / "frames/side") + " --out " + out));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const KeypointSequence read = ReadKeypoints(out);
  ASSERT_EQ(read.cameras.size(), 1u);
  EXPECT_EQ(read.cameras[0].name, "side");
  ASSERT_EQ(read.cameras[0].frame_numbers.size(), 2u);
  // Frame 0 is f2.png (natural order): the man on the left of basketball1.png.
  EXPECT_LT(read.cameras[0].people[0][0].joints[kNose].x(), 200.0);
}

// A variable-frame-rate video (tests/data/vfr_video: 8 frames at 60 fps, then 8 at 20 fps): the
// container's timestamps go into timestamps.csv, read back exactly, and the run says the rate is
// variable (the later stages then put the camera on evenly spaced frames).
TEST_F(DetectCommand, AVariableRateVideoKeepsItsContainerTimestamps) {
  TempDir dir;
  const std::string out = dir / "pose";
  const std::string video = SourceDir() + "/tests/data/vfr_video/60_then_20fps.mp4";
  const CommandResult r = testing::Run(Exe() + " detect --video " + video + " --model lightning --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("variable rate"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::is_regular_file(fs::path(out) / "60_then_20fps/timestamps.csv"));
  const KeypointSequence read = ReadKeypoints(out);
  ASSERT_EQ(read.cameras.size(), 1u);
  const std::vector<double>& times = read.cameras[0].timestamps_s;
  ASSERT_EQ(times.size(), 16u);
  for (size_t k = 0; k < times.size(); ++k)
    EXPECT_NEAR(times[k], k < 8 ? k / 60.0 : 8 / 60.0 + (k - 8) / 20.0, 1e-9) << "frame " << k;
}

TEST_F(DetectCommand, BadInputExitsWithCode2AndSaysWhy) {
  TempDir dir;
  std::ofstream(dir / "notes.mp4") << "not a video\n";
  fs::create_directories(dir / "empty");
  std::ofstream(dir / "fake.onnx") << "not a model\n";
  const std::string out = " --out " + (dir / "out");
  struct Case {
    std::string args, expected;
  };
  const Case cases[] = {
      {"--video " + (dir / "notes.mp4"), "cannot open as a video"},
      {"--images " + (dir / "empty"), "no images"},
      {"--video " + Pose2SimVideo(1) + " --model " + (dir / "fake.onnx"), "not an ONNX model"},
      {"--video " + Pose2SimVideo(1) + " --models-dir " + (dir / "nowhere"), "scripts/setup-models.sh"},
      {"--video " + Pose2SimVideo(1) + " --model " + MoveNetPath("thunder") + " --input-size 256", "WIDTHxHEIGHT"},
      {"--video " + Pose2SimVideo(1) + " --model " + MoveNetPath("thunder") + " --layout blob", "unknown model layout"},
      {"--video " + Pose2SimVideo(1) + " --video " + Pose2SimVideo(1), "camera names must differ"},
      {"--video " + (dir / "missing.mp4"), "missing.mp4"},
      {"", "--video"},
  };
  for (const Case& c : cases) {
    const CommandResult r = testing::Run(Detect(c.args + out));
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.expected), std::string::npos) << c.args << "\n" << r.output;
  }
  EXPECT_FALSE(fs::exists(dir / "out")) << "no output on failure";
}

}  // namespace
}  // namespace epilabel
