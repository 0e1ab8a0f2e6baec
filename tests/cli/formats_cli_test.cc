// `epilabel info` and `epilabel convert` run as a user runs them: exit codes, messages, outputs.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "detection/io/calibration_io.h"
#include "detection/io/keypoint_io.h"
#include "tests/testing.h"

namespace fs = std::filesystem;

namespace epilabel {
namespace {

using testing::Epilabel;
using testing::Contains;

std::string Pose2Sim(const std::string& leaf) { return testing::SourceDir() + "/tests/data/pose2sim_static/" + leaf; }



// Names in a folder (to check that a failed command left nothing behind, not even temporaries).
std::vector<std::string> Listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(InfoCommand, SummarisesACalibration) {
  const auto r = Epilabel("info " + Pose2Sim("Calib_qualisys.toml"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "4 camera(s)")) << r.output;
  EXPECT_TRUE(Contains(r.output, "cam_04")) << r.output;
  EXPECT_TRUE(Contains(r.output, "1088x1920")) << r.output;
  EXPECT_TRUE(Contains(r.output, "1681.24")) << r.output;  // fx of cam_01
  EXPECT_TRUE(Contains(r.output, "baselines")) << r.output;
}

TEST(InfoCommand, SummarisesAnOpenPoseFolder) {
  const auto r = Epilabel("--quiet info " + Pose2Sim("pose"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "openpose")) << r.output;
  EXPECT_TRUE(Contains(r.output, "body25b (25 joints), guessed")) << r.output;
  EXPECT_TRUE(Contains(r.output, "4 camera(s), 12 frame(s)")) << r.output;
  EXPECT_TRUE(Contains(r.output, "cam03_json")) << r.output;
  EXPECT_TRUE(Contains(r.output, "least detected joints: left_eye 0%")) << r.output;
}

TEST(InfoCommand, MatchesCamerasToACalibration) {
  auto r = Epilabel("--quiet info " + Pose2Sim("pose") + " --calibration " + Pose2Sim("Calib_qualisys.toml"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "1088x1920  = cam_02")) << r.output;
  testing::TempDir dir;
  std::ofstream(dir / "lr.toml") << "[left]\nsize = [640, 480]\n[right]\nsize = [640, 480]\n";
  r = Epilabel("--quiet info " + Pose2Sim("pose") + " --calibration " + (dir / "lr.toml"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(Contains(r.output, "camera 'cam01_json' has no calibration entry")) << r.output;
  EXPECT_TRUE(Contains(r.output, "[cam01_json, cam02_json, cam03_json, cam04_json]")) << r.output;
  EXPECT_TRUE(Contains(r.output, "[left, right]")) << r.output;
}

TEST(ConvertCommand, KeypointsRoundTripThroughNpzAndCoco) {
  testing::TempDir dir;
  auto r = Epilabel("--quiet convert " + Pose2Sim("pose") + " " + (dir / "k.npz"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = Epilabel("--quiet convert " + (dir / "k.npz") + " " + (dir / "op"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = Epilabel("--quiet convert " + (dir / "op") + " " + (dir / "coco") + " --to coco");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const KeypointSequence original = ReadKeypoints(Pose2Sim("pose"));
  for (const std::string out : {"k.npz", "op", "coco"}) {
    const KeypointSequence back = ReadKeypoints(dir / out);
    EXPECT_EQ(back.skeleton, "body25b") << out;
    const ObservationTable a = ToObservations(original);
    const ObservationTable b = ToObservations(back);
    EXPECT_EQ(a.frame_numbers, b.frame_numbers) << out;
    EXPECT_EQ(a.observations.data(), b.observations.data()) << out;
  }
  r = Epilabel("info " + (dir / "k.npz"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "(npz)")) << r.output;
}

TEST(ConvertCommand, CalibrationToTomlAndYaml) {
  testing::TempDir dir;
  auto r = Epilabel("--quiet convert " + Pose2Sim("Calib_qualisys.toml") + " " + (dir / "c.yaml"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream yaml(dir / "c.yaml");
  const std::string text((std::istreambuf_iterator<char>(yaml)), {});
  EXPECT_TRUE(Contains(text, "%YAML:1.0")) << text;
  EXPECT_TRUE(Contains(text, "camera_matrix")) << text;
  r = Epilabel("--quiet convert " + Pose2Sim("Calib_qualisys.toml") + " " + (dir / "anipose") + " --to toml");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Rig a = ReadCalibrationToml(Pose2Sim("Calib_qualisys.toml"));
  const Rig b = ReadCalibrationToml(dir / "anipose");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_EQ(a[i].fx, b[i].fx);
    EXPECT_LT((a[i].CenterInWorld() - b[i].CenterInWorld()).norm(), 1e-12);
  }
}

// A plain Anipose file in millimetres: `info` warns and says how to convert it, `convert --units
// mm` writes it in metres (the same cameras as the metre file); --units is refused for formats
// that state their unit.
TEST(ConvertCommand, UnitsTurnAFileInMillimetresIntoMetres) {
  testing::TempDir dir;
  const Rig metres = ReadCalibrationToml(Pose2Sim("Calib_qualisys.toml"));
  Rig millimetres = metres;
  for (Camera& cam : millimetres) cam.cam_from_world.translation *= 1000.0;
  WriteCalibrationToml(millimetres, dir / "calib_mm.toml");
  auto r = Epilabel("info " + (dir / "calib_mm.toml"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "--units mm")) << r.output;
  EXPECT_FALSE(Contains(Epilabel("info " + Pose2Sim("Calib_qualisys.toml")).output, "--units mm"));
  r = Epilabel("--quiet convert " + (dir / "calib_mm.toml") + " " + (dir / "calib_m.toml") + " --units mm");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Rig converted = ReadCalibrationToml(dir / "calib_m.toml");
  ASSERT_EQ(converted.size(), metres.size());
  for (size_t i = 0; i < metres.size(); ++i)
    EXPECT_LT((converted[i].CenterInWorld() - metres[i].CenterInWorld()).norm(), 1e-9) << metres[i].name;
  r = Epilabel("convert " + testing::SourceDir() + "/tests/data/vicon_constructed/calibration.xcp " + (dir / "v.toml") +
               " --units mm");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(Contains(r.output, "--units applies to TOML calibrations")) << r.output;
  EXPECT_FALSE(fs::exists(dir / "v.toml"));
}

// The same warning reaches `sync --calib` (printed beside its offsets) and `label --calib`,
// whose run fails every bone gate in millimetres: the failure says why, and nothing is written.
TEST(ConvertCommand, MillimetreWarningReachesSyncAndLabel) {
  testing::TempDir dir;
  Rig millimetres = ReadCalibrationToml(Pose2Sim("Calib_qualisys.toml"));
  for (Camera& cam : millimetres) cam.cam_from_world.translation *= 1000.0;
  WriteCalibrationToml(millimetres, dir / "calib_mm.toml");
  auto r = Epilabel("sync --poses " + Pose2Sim("pose") + " --calib " + (dir / "calib_mm.toml") + " --out " +
                    (dir / "sync.toml"));
  EXPECT_TRUE(Contains(r.output, "warning: ")) << r.output;
  EXPECT_TRUE(Contains(r.output, "--units mm")) << r.output;
  r = Epilabel("label --poses " + Pose2Sim("pose") + " --calib " + (dir / "calib_mm.toml") + " --out " +
               (dir / "labels"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(Contains(r.output, "no pose passed the quality gates")) << r.output;
  EXPECT_TRUE(Contains(r.output, "--units mm")) << r.output;
  EXPECT_FALSE(fs::exists(dir / "labels"));
  r = Epilabel("sync --poses " + Pose2Sim("pose") + " --calib " + Pose2Sim("Calib_qualisys.toml") + " --out " +
               (dir / "sync_m.toml"));
  EXPECT_FALSE(Contains(r.output, "--units mm")) << r.output;
}

// A Vicon .xcp (tests/data/vicon_constructed) by its extension: the video cameras, the lens
// fit's residual printed; a bad value exits 2 naming the file and camera, writing nothing.
TEST(ConvertCommand, ViconXcpToTomlAndItsErrors) {
  testing::TempDir dir;
  const std::string xcp = testing::SourceDir() + "/tests/data/vicon_constructed/calibration.xcp";
  auto r = Epilabel("convert " + xcp + " " + (dir / "vicon.toml"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "cam_01: DEVICEID 1, TYPE VideoFile, lens fitted to OpenCV's model within")) << r.output;
  EXPECT_TRUE(Contains(r.output, "1 marker camera(s) left out")) << r.output;
  const Rig rig = ReadCalibrationToml(dir / "vicon.toml");
  ASSERT_EQ(rig.size(), 2u);
  EXPECT_LT((rig[0].CenterInWorld() - Eigen::Vector3d(3, 0, 1.5)).norm(), 1e-9);
  r = Epilabel("--quiet convert " + xcp + " " + (dir / "all.toml") + " --marker-cameras");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(ReadCalibrationToml(dir / "all.toml").size(), 3u);

  std::string text;
  {
    std::ifstream in(xcp);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  text.replace(text.find("FOCAL_LENGTH=\"1500.0\""), 21, "FOCAL_LENGTH=\"-1500\"");
  fs::create_directory(dir / "bad");
  std::ofstream(dir / "bad/session.cal") << text;  // not named .xcp: --from says what it is
  r = Epilabel("convert " + (dir / "bad/session.cal") + " " + (dir / "bad/out.toml") + " --from vicon");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(Contains(r.output, "session.cal:")) << r.output;
  EXPECT_TRUE(Contains(r.output, "camera cam_01 (DEVICEID 1): FOCAL_LENGTH must be positive")) << r.output;
  EXPECT_EQ(Listing(dir / "bad"), std::vector<std::string>{"session.cal"});
}

TEST(ConvertCommand, MalformedJsonExitsTwoNamesTheFileAndWritesNothing) {
  testing::TempDir dir;
  fs::copy(Pose2Sim("pose"), dir / "pose", fs::copy_options::recursive);
  for (const auto& e : fs::recursive_directory_iterator(dir / "pose")) {
    fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
  }
  const std::string bad = dir / "pose/cam02_json/Static_cam_02.00007.json";
  std::ofstream(bad) << "{\"version\": 1.3, \"people\": [{\"pose_keypoints_2d\": [1, 2";
  fs::create_directories(dir / "out");
  for (const std::string target : {"out/k.npz", "out/op", "out/coco --to coco"}) {
    const auto r = Epilabel("convert " + (dir / "pose") + " " + (dir / target));
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_TRUE(Contains(r.output, bad)) << r.output;
    EXPECT_TRUE(Contains(r.output, "malformed JSON")) << r.output;
    EXPECT_TRUE(Listing(dir / "out").empty()) << target;
  }
  const auto r = Epilabel("info " + (dir / "pose"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(Contains(r.output, bad)) << r.output;
}

TEST(ConvertCommand, BadCalibrationExitsTwoWithTheLine) {
  testing::TempDir dir;
  std::ofstream(dir / "bad.toml") << "[cam_0]\nname = \"a\"\nsize = [640, -480]\n";
  const auto r = Epilabel("convert " + (dir / "bad.toml") + " " + (dir / "out.yaml"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(Contains(r.output, "bad.toml:3")) << r.output;
  EXPECT_TRUE(Contains(r.output, "height must be positive")) << r.output;
  EXPECT_EQ(Listing(dir.path()), std::vector<std::string>{"bad.toml"});
  const auto info = Epilabel("info " + (dir / "bad.toml"));
  EXPECT_EQ(info.exit_code, 2) << info.output;
  EXPECT_TRUE(Contains(info.output, "bad.toml:3")) << info.output;
}

TEST(ConvertCommand, UsageErrorsExitTwo) {
  testing::TempDir dir;
  // Missing input.
  auto r = Epilabel("convert " + (dir / "nothing") + " " + (dir / "out.npz"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(Contains(r.output, "nothing: not found")) << r.output;
  // A calibration cannot become keypoints.
  r = Epilabel("convert " + Pose2Sim("Calib_qualisys.toml") + " " + (dir / "out.npz"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(Contains(r.output, "toml or yaml")) << r.output;
  // Skeleton that does not fit the joint count, or does not exist.
  r = Epilabel("convert " + Pose2Sim("pose") + " " + (dir / "out.npz") + " --skeleton coco17");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(Contains(r.output, "skeleton 'coco17' has 17")) << r.output;
  r = Epilabel("info " + Pose2Sim("pose") + " --skeleton body99");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(Contains(r.output, "unknown skeleton 'body99'")) << r.output;
  // Unknown --to, missing argument, empty folder.
  EXPECT_EQ(Epilabel("convert " + Pose2Sim("pose") + " " + (dir / "x") + " --to csv").exit_code, 2);
  EXPECT_EQ(Epilabel("convert " + Pose2Sim("pose")).exit_code, 2);
  fs::create_directories(dir / "empty");
  r = Epilabel("info " + (dir / "empty"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(Contains(r.output, "empty folder")) << r.output;
  EXPECT_EQ(Listing(dir.path()), std::vector<std::string>{"empty"});
}

}  // namespace
}  // namespace epilabel
