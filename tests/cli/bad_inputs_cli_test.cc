// A catalogue of hostile inputs and output paths, run as a user runs the commands: each ends
// with the documented exit code and a message naming the file or flag, writes nothing that
// looks complete, and never touches an input.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/testing.h"

namespace fs = std::filesystem;

namespace epilabel {
namespace {

using testing::Epilabel;
using testing::ReadAll;

// Runs the command with writes limited to a few kilobytes (RLIMIT_FSIZE, SIGXFSZ ignored): every
// write past the limit fails as on a full disk.
testing::CommandResult EpilabelOnAFullDisk(const std::string& args) {
  return testing::Run("sh -c \"trap '' XFSZ; ulimit -f 4; exec " + testing::Exe() + " " + args + "\"");
}

// The names in `dir` that contain ".tmp" (temporaries and staging folders).
std::vector<std::string> Temporaries(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp") != std::string::npos) names.push_back(e.path().filename().string());
  return names;
}

// One small studio shared by the cases of this file.
struct SmallStudio {
  static constexpr const char* kSynth = "--rig h36m4 --frames 60 --seed 4";
};
using BadInputs = testing::StudioSuite<SmallStudio>;

TEST_F(BadInputs, ReportNeverOverwritesItsCalibration) {
  testing::TempDir dir;
  fs::copy_file(Studio("calibration.toml"), dir / "calib.toml");
  const std::string before = ReadAll(dir / "calib.toml");
  const auto r = Epilabel("-q report --calib " + (dir / "calib.toml") + " --out " + (dir / "./calib.toml"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("is also an input"), std::string::npos) << r.output;
  EXPECT_EQ(ReadAll(dir / "calib.toml"), before);
}

TEST_F(BadInputs, CalibrateNeverOverwritesItsIntrinsics) {
  testing::TempDir dir;
  fs::copy_file(Studio("intrinsics.toml"), dir / "intrinsics.toml");
  const std::string before = ReadAll(dir / "intrinsics.toml");
  const auto r = Epilabel("-q calibrate --keypoints " + Studio("pose") + " --intrinsics " + (dir / "intrinsics.toml") +
                          " --out " + (dir / "intrinsics.toml"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_EQ(ReadAll(dir / "intrinsics.toml"), before);
}

TEST_F(BadInputs, ExportNamesAreNotPaths) {
  testing::TempDir dir;
  const auto r = Epilabel("-q label --keypoints " + Studio("pose") + " --calib " + Studio("calibration.toml") +
                          " --name ../../escaped --out " + (dir / "ds"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--name"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "ds"));
  EXPECT_FALSE(fs::exists(dir / "../escaped"));
}

TEST_F(BadInputs, ATrailingSlashOnTheDatasetFolderWorks) {
  testing::TempDir dir;
  const auto r = Epilabel("-q label --keypoints " + Studio("pose") + " --calib " + Studio("calibration.toml") +
                          " --out " + (dir / "ds/"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir / "ds/dataset.npz"));
  for (const auto& e : fs::directory_iterator(dir.path()))
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
}

// A killed run leaves OUT.tmp-<pid>; the next run of the same output removes it.
TEST_F(BadInputs, StagingFoldersOfKilledRunsAreRemoved) {
  testing::TempDir dir;
  fs::create_directories(dir / "ds.tmp-999999999/junk");
  fs::create_directories(dir / "other.tmp-999999999");
  const auto r = Epilabel("-q label --keypoints " + Studio("pose") + " --calib " + Studio("calibration.toml") +
                          " --out " + (dir / "ds"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(fs::exists(dir / "ds.tmp-999999999"));
  EXPECT_TRUE(fs::exists(dir / "other.tmp-999999999"));  // another output's
}

TEST_F(BadInputs, NothingTriangulatedIsAnErrorNotAnEmptyResult) {
  testing::TempDir dir;
  const auto r = Epilabel("-q triangulate --keypoints " + Studio("pose") + " --calib " + Studio("calibration.toml") +
                          " --min-confidence 1 --out " + (dir / "tri"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("no joint could be triangulated"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "tri/report.json"));
}

// The stage options come from one table per stage: a value outside its range is exit 2 naming
// the flag, before any work; the values of a run are echoed in report.json under their keys.
TEST_F(BadInputs, StageOptionsOutOfRangeNameTheirFlag) {
  testing::TempDir dir;
  const std::string tri = "-q triangulate --keypoints " + Studio("pose") + " --calib " + Studio("calibration.toml");
  for (const std::string& bad : {std::string("--min-confidence 2"), std::string("--threshold-px 0"),
                                 std::string("--max-gap -1"), std::string("--fps 0")}) {
    const auto r = Epilabel(tri + " " + bad + " --out " + (dir / "tri"));
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.output;
    EXPECT_NE(r.output.find(bad.substr(0, bad.find(' '))), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(dir / "tri/report.json")) << bad;
  }
  const auto cal = Epilabel("-q calibrate --keypoints " + Studio("pose") + " --intrinsics " + Studio("intrinsics.toml") +
                            " --max-frames 0 --out " + (dir / "c.toml"));
  EXPECT_EQ(cal.exit_code, 2) << cal.output;
  EXPECT_NE(cal.output.find("--max-frames"), std::string::npos) << cal.output;
  const auto ok = Epilabel(tri + " --no-swap-repair --threshold-px 9 --out " + (dir / "tri"));
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  const std::string report = ReadAll(dir / "tri/report.json");
  EXPECT_NE(report.find("\"swap_repair\": false"), std::string::npos) << report.substr(0, 2000);
  EXPECT_NE(report.find("\"threshold_px\": 9.0"), std::string::npos) << report.substr(0, 2000);
}

TEST_F(BadInputs, EvalcalibRefusesAnEstimateThatLostACamera) {
  testing::TempDir dir;
  // The studio's calibration without its last camera.
  const std::string full = ReadAll(Studio("calibration.toml"));
  std::ofstream(dir / "three.toml") << full.substr(0, full.rfind("[cam_"));
  const auto r = Epilabel("-q evalcalib --gt " + Studio("calibration.toml") + " --est " + (dir / "three.toml"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("cam_04"), std::string::npos) << r.output;
}

// Library hints name option keys; the command shows them as its flags.
TEST_F(BadInputs, HintsNameTheFlags) {
  testing::TempDir dir;
  for (const char* cam : {"cam_0", "cam_1"}) {
    fs::create_directories(fs::path(dir / "pose") / cam);
    std::ofstream(fs::path(dir / "pose") / cam / "frame_000000000000_keypoints.json") << R"({"version":1.3,"people":[]})";
  }
  const auto r = Epilabel("-q triangulate --keypoints " + (dir / "pose") + " --calib " + Studio("calibration.toml") +
                          " --out " + (dir / "out"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("give --skeleton"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find('`'), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(fs::path(dir / "out") / "points3d.npz"));
}

// triangulate writes its folder as "OUT.tmp-<pid>" and moves it into place once complete: a run
// that fails while writing (a full disk) leaves neither the folder nor a temporary, and an
// earlier run's folder as it was; staging folders of killed runs of the same output go.
TEST_F(BadInputs, TriangulateCommitsItsWholeFolder) {
  testing::TempDir dir;
  const std::string tri = "-q triangulate --keypoints " + Studio("pose") + " --calib " + Studio("calibration.toml");
  fs::create_directories(dir / "tri.tmp-999999999/junk");  // a killed run's (no such process)
  fs::create_directories(dir / "other.tmp-999999999");     // another output's
  auto r = EpilabelOnAFullDisk(tri + " --out " + (dir / "tri/"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(dir / "tri/points3d.npz"), std::string::npos) << "names the final file: " << r.output;
  EXPECT_EQ(r.output.find(".tmp-"), std::string::npos) << "names a staging file: " << r.output;
  EXPECT_FALSE(fs::exists(dir / "tri"));
  EXPECT_EQ(Temporaries(dir.path()), std::vector<std::string>{"other.tmp-999999999"});
  // A complete run (trailing slash accepted), then a failed one over it: the first stays whole.
  r = Epilabel(tri + " --format npz,csv --out " + (dir / "tri/"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string report = ReadAll(dir / "tri/report.json");
  const std::string points = ReadAll(dir / "tri/points3d.npz");
  r = EpilabelOnAFullDisk(tri + " --out " + (dir / "tri"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(ReadAll(dir / "tri/report.json"), report);
  EXPECT_EQ(ReadAll(dir / "tri/points3d.npz"), points);
  EXPECT_EQ(Temporaries(dir.path()), std::vector<std::string>{"other.tmp-999999999"});
  EXPECT_TRUE(Temporaries(dir / "tri").empty());
  // A complete run without a report over it: the earlier report.html and points3d.csv go (they
  // would describe another run), a file of the user's stays.
  ASSERT_TRUE(fs::exists(dir / "tri/report.html"));
  std::ofstream(dir / "tri/notes.txt") << "mine";
  r = Epilabel(tri + " --no-report --out " + (dir / "tri"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(fs::exists(dir / "tri/report.html"));
  EXPECT_FALSE(fs::exists(dir / "tri/points3d.csv"));
  EXPECT_TRUE(fs::exists(dir / "tri/points3d.npz"));
  EXPECT_TRUE(fs::exists(dir / "tri/notes.txt"));
  // An output that is a file (here the calibration, an input) is refused before any work.
  fs::copy_file(Studio("calibration.toml"), dir / "calib.toml");
  const std::string calib = ReadAll(dir / "calib.toml");
  r = Epilabel(tri + " --out " + (dir / "calib.toml"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("calib.toml: exists and is not a folder"), std::string::npos) << r.output;
  EXPECT_EQ(ReadAll(dir / "calib.toml"), calib);
}

// calibrate writes calibration.toml, calibration.yml, report.json and report.html under staging
// names and renames them once all are written, report.json last.
TEST_F(BadInputs, CalibrateCommitsItsFilesTogether) {
  testing::TempDir dir;
  const std::string cal = "-q calibrate --keypoints " + Studio("pose") + " --intrinsics " + Studio("intrinsics.toml");
  fs::create_directories(dir / "c");
  for (const char* name : {"calibration.toml.tmp-999999999", ".calibration.toml.tmp.999999999.0",
                           ".report.json.tmp.999999999.3", "calibration.toml.tmp-mine"})
    std::ofstream(fs::path(dir / "c") / name) << "x";
  auto r = EpilabelOnAFullDisk(cal + " --out " + (dir / "c/calibration.toml") + " --yaml " + (dir / "c/calibration.yml"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(dir / "c/"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find(".tmp-"), std::string::npos) << "names a staging file: " << r.output;
  // Nothing that looks complete, the killed run's temporaries gone, the user's file kept.
  EXPECT_EQ(Temporaries(dir / "c"), std::vector<std::string>{"calibration.toml.tmp-mine"});
  EXPECT_EQ(std::distance(fs::directory_iterator(dir / "c"), fs::directory_iterator()), 1);
  // A folder (trailing slash) is not a calibration file: refused before any work.
  r = Epilabel(cal + " --out " + (dir / "c/"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("is a folder"), std::string::npos) << r.output;
  EXPECT_EQ(std::distance(fs::directory_iterator(dir / "c"), fs::directory_iterator()), 1);
}

// synth writes its studio into ".OUT.tmp.<pid>" and renames it; those of killed runs of the same
// output are removed by the next run (one cleaner for every command's temporaries).
TEST_F(BadInputs, SynthRemovesTheStagingFoldersOfKilledRuns) {
  testing::TempDir dir;
  fs::create_directories(dir / ".studio.tmp.999999999/pose");
  fs::create_directories(dir / ".studio2.tmp.999999999");
  const auto r = Epilabel("-q synth --rig stereo2 --frames 10 --seed 1 --out " + (dir / "studio/"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir / "studio/calibration.toml"));
  EXPECT_EQ(Temporaries(dir.path()), std::vector<std::string>{".studio2.tmp.999999999"});
}

}  // namespace
}  // namespace epilabel
