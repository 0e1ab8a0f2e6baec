// `epilabel intrinsics` and `epilabel convert` of other systems' calibrations, run as a user
// runs them, on the Pose2Sim board photos and their Qualisys calibration.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "detection/io/calibration_import.h"
#include "detection/io/calibration_io.h"
#include "tests/testing.h"

namespace fs = std::filesystem;

namespace epilabel {
namespace {

using testing::Epilabel;
using testing::Contains;

std::string Board(const std::string& leaf) { return testing::SourceDir() + "/tests/data/pose2sim_board/" + leaf; }



TEST(IntrinsicsCommand, CalibratesCam01WithinOnePercentOfQualisys) {
  testing::TempDir dir;
  const auto r = Epilabel("-q intrinsics --images " + Board("intrinsics/int_cam01_img") +
                          " --board checkerboard:4x7:0.06 --out " + (dir / "intrinsics.toml"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Rig board = ReadCalibrationToml(dir / "intrinsics.toml");
  const Rig qualisys = ReadQualisysCalibration(Board("Calib.qca.txt"));
  ASSERT_EQ(board.size(), 1u);
  EXPECT_EQ(board[0].name, "cam_01");
  EXPECT_FALSE(board[0].has_extrinsics);
  EXPECT_EQ(board[0].width, 1088);
  EXPECT_EQ(board[0].height, 1920);
  EXPECT_NEAR(board[0].fx / qualisys[0].fx, 1.0, 0.01);
  EXPECT_NEAR(board[0].fy / qualisys[0].fy, 1.0, 0.01);
  // k1, k2 (k3 fixed with seven views) as Qualisys' raw values.
  EXPECT_NEAR(board[0].distortion[0], qualisys[0].distortion[0], 0.01);
  EXPECT_NEAR(board[0].distortion[1], qualisys[0].distortion[1], 0.03);
  EXPECT_EQ(board[0].distortion[4], 0.0);

  std::ifstream in(dir / "report.json");
  const nlohmann::json report = nlohmann::json::parse(in);
  EXPECT_EQ(report["kind"], "intrinsics");
  const auto& cam = report["cameras"][0];
  EXPECT_EQ(cam["views"].size(), 7u);
  EXPECT_LT(cam["rms_px"].get<double>(), 0.5);
  // The principal point's standard deviation is reported (a few pixels with seven views).
  EXPECT_GT(cam["std_cx"].get<double>(), 0.5);
  EXPECT_LT(cam["std_cx"].get<double>(), 10.0);
  EXPECT_TRUE(fs::exists(dir / "coverage.svg"));
  EXPECT_TRUE(Contains(r.output, "cam_01"));
}

TEST(IntrinsicsCommand, BadBoardsAndInputsExitWithTwo) {
  testing::TempDir dir;
  const std::string images = " --images " + Board("intrinsics/int_cam01_img");
  auto r = Epilabel("intrinsics" + images + " --board checkerboard:4x7 --out " + (dir / "i.toml"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(Contains(r.output, "--board")) << r.output;
  r = Epilabel("intrinsics" + images + " --board charuco:5x7:0.04:0.05 --out " + (dir / "i.toml"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(Contains(r.output, "must be smaller")) << r.output;
  r = Epilabel("intrinsics --images " + (dir / "missing") + " --board checkerboard:4x7:0.06 --out " + (dir / "i.toml"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(Contains(r.output, "missing")) << r.output;
  // Wrong corner counts: no view shows the board, every view is rejected with its reason.
  r = Epilabel("intrinsics" + images + " --board checkerboard:5x8:0.06 --out " + (dir / "i.toml"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(Contains(r.output, "no camera could be calibrated")) << r.output;
  EXPECT_FALSE(fs::exists(dir / "i.toml"));
}

TEST(ConvertCommand, ImportsAQualisysCalibration) {
  testing::TempDir dir;
  auto r = Epilabel("-q convert " + Board("Calib.qca.txt") + " " + (dir / "calib.toml"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Rig rig = ReadCalibrationToml(dir / "calib.toml");
  ASSERT_EQ(rig.size(), 4u);
  EXPECT_TRUE(rig[3].has_extrinsics);
  std::ofstream(dir / "bad.qca.txt") << "<calibration><cameras><camera serial=\"1\"></camera></cameras></calibration>";
  r = Epilabel("convert " + (dir / "bad.qca.txt") + " " + (dir / "bad.toml"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(Contains(r.output, "bad.qca.txt")) << r.output;
}

}  // namespace
}  // namespace epilabel
