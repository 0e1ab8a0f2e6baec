// `epilabel report` run as a user runs it: outputs, exit codes and messages.
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "detection/io/calibration_io.h"
#include "foundation/file_util.h"
#include "pseudolabel/report/html_report.h"
#include "tests/testing.h"

namespace epilabel {
namespace {

using testing::Epilabel;
using testing::Contains;

Rig TwoCameras() {
  Rig rig(2);
  for (int c = 0; c < 2; ++c) {
    rig[c].name = "cam_" + std::to_string(c + 1);
    rig[c].width = 640;
    rig[c].height = 480;
    rig[c].fx = rig[c].fy = 500;
    rig[c].cx = 320;
    rig[c].cy = 240;
    rig[c].cam_from_world = Rigid3d(Eigen::Matrix3d::Identity(), Eigen::Vector3d(-0.5 + c, 0.0, 4.0));
    rig[c].has_extrinsics = true;
  }
  return rig;
}

TEST(ReportCommand, WritesTheHtmlFromACalibrationAndAReport) {
  testing::TempDir dir;
  WriteCalibrationToml(TwoCameras(), dir / "calibration.toml");
  WriteFileAtomic(dir / "report.json", R"({"kind":"calibration","verdict":{"status":"check","reasons":["why"]}})");
  const auto r = Epilabel("report --calib " + (dir / "calibration.toml") + " --report " + (dir / "report.json") +
                          " --out " + (dir / "r/report.html"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "2 camera(s)")) << r.output;
  const std::string html = ReadFileToString(dir / "r/report.html");
  const auto data = nlohmann::json::parse(report_encoding::ExtractDataJson(html));
  EXPECT_EQ(data["report"]["verdict"]["reasons"][0], "why");
  EXPECT_EQ(data["cameras"][1]["name"], "cam_2");
}

TEST(ReportCommand, MissingOrBadInputsExitWithTwo) {
  testing::TempDir dir;
  WriteCalibrationToml(TwoCameras(), dir / "calibration.toml");
  auto r = Epilabel("report --calib " + (dir / "nothing.toml") + " --out " + (dir / "a.html"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(Contains(r.output, "nothing.toml")) << r.output;

  r = Epilabel("report --calib " + (dir / "calibration.toml"));  // no --out
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(Contains(r.output, "--out")) << r.output;

  WriteFileAtomic(dir / "bad.json", "{\"kind\": [");
  r = Epilabel("report --calib " + (dir / "calibration.toml") + " --report " + (dir / "bad.json") + " --out " +
               (dir / "b.html"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(Contains(r.output, "bad.json")) << r.output;
  EXPECT_TRUE(Contains(r.output, "not valid JSON")) << r.output;

  WriteFileAtomic(dir / "bad.toml", "[cam_0]\nname = \"x\"\nsize = [10]\n");
  r = Epilabel("report --calib " + (dir / "bad.toml") + " --out " + (dir / "c.html"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(Contains(r.output, "bad.toml")) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "a.html"));
  EXPECT_FALSE(std::filesystem::exists(dir / "b.html"));
  EXPECT_FALSE(std::filesystem::exists(dir / "c.html"));
}

}  // namespace
}  // namespace epilabel
