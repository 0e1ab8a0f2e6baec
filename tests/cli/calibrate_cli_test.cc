// `epilabel calibrate` run as a user runs it, on the synthetic studio and on real data.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "detection/io/calibration_io.h"
#include "geometry/sfm/rig_comparison.h"
#include "pseudolabel/report/html_report.h"
#include "tests/testing.h"

namespace epilabel {
namespace {

using testing::Epilabel;

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

// The data embedded in a report.html.
nlohmann::json ReportData(const std::string& path) {
  std::ifstream in(path);
  const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return nlohmann::json::parse(report_encoding::ExtractDataJson(html));
}

// `epilabel synth --rig h36m4 --frames 900 <options>` into DIR/studio; returns that folder.
std::string SynthStudio(const testing::TempDir& dir, const std::string& options) {
  const std::string studio = dir / "studio";
  const auto r = Epilabel("-q synth --rig h36m4 --frames 900 " + options + " --out " + studio);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return studio;
}

// The studio's ground truth: known subject height, good rig. Self-calibration must say "good",
// find the metric scale within 1.5 % from the stature model, and no camera may move more than
// the leave-one-out thresholds (1 deg, 3 % of the rig) when resected without its own joints.
TEST(CalibrateCommand, StudioIsGoodWithTheScaleFromTheStature) {
  testing::TempDir dir;
  const std::string studio = SynthStudio(dir, "--seed 3");
  const double height = ReadJson(studio + "/scene.json")["subject_height_m"].get<double>();
  const auto r = Epilabel("calibrate --poses " + studio + "/pose --intrinsics " + studio + "/intrinsics.toml --subject-height " +
               std::to_string(height) + " --out " + (dir / "calib/calibration.toml"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("LOO deg"), std::string::npos) << r.output;
  const nlohmann::json report = ReadJson(dir / "calib/report.json");
  EXPECT_EQ(report["verdict"]["status"], "good") << report["verdict"].dump();
  EXPECT_EQ(report["scale"]["method"], "subject height (segment stack)");
  // Intrinsics were given: the only note says that no camera stands out as the weakest.
  ASSERT_EQ(report["verdict"]["notes"].size(), 1u) << report["verdict"].dump();
  EXPECT_EQ(report["verdict"]["notes"][0].get<std::string>().rfind("no camera stands out as the weakest", 0), 0u)
      << report["verdict"].dump();
  EXPECT_TRUE(report["weakest_camera"].is_null());
  for (const auto& cam : report["cameras"]) {
    EXPECT_LT(cam["loo_rotation_deg"].get<double>(), 1.0) << cam.dump();
    EXPECT_GT(cam["loo_rotation_deg"].get<double>(), 0.0) << cam.dump();
    EXPECT_EQ(cam["verdict"], "good") << cam.dump();
  }
  const RigComparison cmp =
      CompareRigs(ReadCalibrationToml(studio + "/calibration.toml"), ReadCalibrationToml(dir / "calib/calibration.toml"));
  EXPECT_LT(std::abs(cmp.scale_error_rel), 0.015);
  EXPECT_LT(cmp.max_rotation_error_deg, 0.1);
  // The given focal lengths were checked against the people, and they agree: every camera has a
  // small pull with a finite uncertainty. The check only reads: without it (`--no-given-focal-check`)
  // the calibration is the same and report.json has no such figure.
  for (const auto& cam : report["cameras"]) {
    ASSERT_TRUE(cam.contains("given_focal_check")) << cam.dump();
    EXPECT_LT(std::abs(cam["given_focal_check"]["pull_rel"].get<double>()), 0.015) << cam.dump();
    EXPECT_GT(cam["given_focal_check"]["sigma_rel"].get<double>(), 0.0) << cam.dump();
    EXPECT_FALSE(cam["given_focal_check"]["disagrees"].get<bool>()) << cam.dump();
  }
  const auto off = Epilabel("calibrate --poses " + studio + "/pose --intrinsics " + studio + "/intrinsics.toml --subject-height " +
                            std::to_string(height) + " --no-given-focal-check --out " + (dir / "off/calibration.toml"));
  ASSERT_EQ(off.exit_code, 0) << off.output;
  for (const auto& cam : ReadJson(dir / "off/report.json")["cameras"]) EXPECT_FALSE(cam.contains("given_focal_check")) << cam.dump();
  const RigComparison same =
      CompareRigs(ReadCalibrationToml(dir / "calib/calibration.toml"), ReadCalibrationToml(dir / "off/calibration.toml"));
  EXPECT_LT(same.max_rotation_error_deg, 1e-6);
  EXPECT_LT(std::abs(same.scale_error_rel), 1e-9);
  // A second pass of the final adjustment (views chosen again with the adjusted rig) is echoed
  // and, on a rig the first pass already got right, stays where the adaptive default ended;
  // report.json says how many passes ran and why they stopped.
  const auto two = Epilabel("calibrate --poses " + studio + "/pose --intrinsics " + studio + "/intrinsics.toml --subject-height " +
                            std::to_string(height) + " --no-given-focal-check --ba-passes 2 --out " + (dir / "two/calibration.toml"));
  ASSERT_EQ(two.exit_code, 0) << two.output;
  EXPECT_EQ(ReadJson(dir / "two/report.json")["options"]["ba_passes"].get<int>(), 2);
  EXPECT_EQ(ReadJson(dir / "off/report.json")["options"]["ba_passes"].get<int>(), 0);  // adaptive by default
  const auto two_ba = ReadJson(dir / "two/report.json")["bundle_adjustment"];
  EXPECT_EQ(two_ba["passes"].size(), 2u);  // it did run again
  EXPECT_NE(two_ba["passes_stop"].get<std::string>().find("fixed count of 2"), std::string::npos) << two_ba.dump();
  const auto off_ba = ReadJson(dir / "off/report.json")["bundle_adjustment"];
  EXPECT_GE(off_ba["passes"].size(), 1u);
  EXPECT_LE(off_ba["passes"].size(), 3u);
  EXPECT_FALSE(off_ba["passes_stop"].get<std::string>().empty());
  const RigComparison second =
      CompareRigs(ReadCalibrationToml(dir / "off/calibration.toml"), ReadCalibrationToml(dir / "two/calibration.toml"));
  EXPECT_LT(second.max_rotation_error_deg, 0.01);
  EXPECT_LT(CompareRigs(ReadCalibrationToml(studio + "/calibration.toml"), ReadCalibrationToml(dir / "two/calibration.toml"))
                .max_rotation_error_deg,
            0.1);
}

// Image sizes only: the focal lengths are estimated with the principal points at the image
// centres, which the data cannot check (the studio's lenses have H36M-like offsets). The
// calibration is usable (focal within 3 %, the triangulated shapes right) and the report says
// what the assumption costs, in the terminal and in report.json.
TEST(CalibrateCommand, UnknownIntrinsicsSayWhatTheCentredPrincipalPointCosts) {
  testing::TempDir dir;
  const std::string studio = SynthStudio(dir, "--seed 3");
  const Rig truth = ReadCalibrationToml(studio + "/calibration.toml");
  const auto r = Epilabel("calibrate --poses " + studio + "/pose --image-size " + std::to_string(truth[0].width) + "x" +
               std::to_string(truth[0].height) + " --out " + (dir / "calib/calibration.toml"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("note: intrinsics estimated with the principal points at the image centres"),
            std::string::npos)
      << r.output;
  const nlohmann::json report = ReadJson(dir / "calib/report.json");
  EXPECT_TRUE(report["focal_estimated"].get<bool>());
  // The principal points' note, then that no camera stands out as the weakest.
  ASSERT_EQ(report["verdict"]["notes"].size(), 2u) << report["verdict"].dump();
  EXPECT_NE(report["verdict"]["notes"][0].get<std::string>().find("deg per 10 px"), std::string::npos);
  EXPECT_EQ(report["verdict"]["notes"][1].get<std::string>().rfind("no camera stands out as the weakest", 0), 0u)
      << report["verdict"].dump();
  const RigComparison cmp = CompareRigs(truth, ReadCalibrationToml(dir / "calib/calibration.toml"));
  EXPECT_LT(cmp.max_focal_error_rel, 0.03);
  EXPECT_LT(cmp.max_rotation_error_deg, 1.5);
}

// A noisy detector (8 px per axis for a 400 px person, 5 % gross outliers): every pair used to be
// rejected for its inlier share at the fixed 8 px threshold. It must now calibrate, and well.
TEST(CalibrateCommand, NoisyDetectionsStillCalibrate) {
  testing::TempDir dir;
  const std::string studio = SynthStudio(dir, "--noise-px 8 --outlier-rate 0.05 --seed 5");
  const auto r = Epilabel("-q calibrate --poses " + studio + "/pose --intrinsics " + studio + "/intrinsics.toml --out " +
               (dir / "calib/calibration.toml"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("Linear solver failure"), std::string::npos) << r.output;
  const nlohmann::json report = ReadJson(dir / "calib/report.json");
  EXPECT_NE(report["verdict"]["status"], "failed");
  for (const auto& pair : report["pairs"]) EXPECT_TRUE(pair["used"].get<bool>()) << pair.dump();
  const RigComparison cmp =
      CompareRigs(ReadCalibrationToml(studio + "/calibration.toml"), ReadCalibrationToml(dir / "calib/calibration.toml"));
  EXPECT_LT(cmp.max_rotation_error_deg, 0.5);
  EXPECT_LT(cmp.max_center_error_rel, 0.01);
}

// The caliscope webcam recording (real MediaPipe landmarks of an upper body about 1 m from four
// webcams; tests/data/caliscope_4cam). Its reference disagrees with the recording by degrees,
// most for cam_1 (16.5 deg, 25 % of the rig radius). The verdict must be "check", not "good",
// and name cam_1 the weakest camera. (By which evidence depends on the adjustment: with one final
// pass cam_1 moves most in the leave-one-camera-out check, 3.35 deg; with the adaptive second pass
// its pose is the most uncertain, 2.7 x the others', while its leave-one-out shift, 1.76 deg, is
// no longer the largest: README *Known limits*, cam_1's shift is bimodal.)
TEST(CalibrateCommand, CaliscopeIsCheckAndNamesTheWeakestCamera) {
  testing::TempDir dir;
  const std::string data = testing::SourceDir() + "/tests/data/caliscope_4cam";
  const auto r = Epilabel("calibrate --poses " + data + "/keypoints2d.npz --intrinsics " + data +
                          "/config.toml --out " + (dir / "calibration.toml"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json report = ReadJson(dir / "report.json");
  EXPECT_EQ(report["verdict"]["status"], "check");
  const auto& reasons = report["verdict"]["reasons"];
  ASSERT_FALSE(reasons.empty());
  EXPECT_EQ(reasons[0].get<std::string>().rfind("weakest camera: cam_1 ", 0), 0u) << reasons.dump();
  EXPECT_EQ(report["scale"]["method"], "subject height (arm ratio)");
}

// The Pose2Sim static trial (tests/data/pose2sim_static): one person standing still, 12 frames,
// four cameras with a Qualisys reference. Weak data: the verdict must say so ("check", the person
// does not move), and the cameras still land near the reference (0.56-0.96 deg measured).
TEST(CalibrateCommand, Pose2SimStaticIsCheckAndNearTheQualisysReference) {
  testing::TempDir dir;
  const std::string data = testing::SourceDir() + "/tests/data/pose2sim_static";
  const auto r = Epilabel("-q calibrate --poses " + data + "/pose --intrinsics " + data +
                          "/Calib_qualisys.toml --out " + (dir / "calibration.toml"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json report = ReadJson(dir / "report.json");
  EXPECT_EQ(report["verdict"]["status"], "check");
  EXPECT_NE(report["verdict"]["reasons"].dump().find("barely moves"), std::string::npos) << report["verdict"].dump();
  const RigComparison cmp =
      CompareRigs(ReadCalibrationToml(data + "/Calib_qualisys.toml"), ReadCalibrationToml(dir / "calibration.toml"));
  EXPECT_LT(cmp.max_rotation_error_deg, 2.0);
  EXPECT_LT(cmp.max_center_error_rel, 0.05);
}

// A real trial with a bystander at the back of the room (two tracks): the cameras near Qualisys'
// (the pooled tracks fail on this trial; the single-person selection is then taken, and said).
TEST(CalibrateCommand, Pose2SimBalancingWithABystanderIsNearTheQualisysReference) {
  testing::TempDir dir;
  const std::string data = testing::SourceDir() + "/tests/data/pose2sim_balancing";
  const auto r = Epilabel("-q calibrate --keypoints " + data + "/pose --intrinsics " + data +
                          "/Calib_qualisys.toml --out " + (dir / "calibration.toml"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json report = ReadJson(dir / "report.json");
  EXPECT_NE(report["verdict"]["status"], "failed");
  const RigComparison cmp =
      CompareRigs(ReadCalibrationToml(data + "/Calib_qualisys.toml"), ReadCalibrationToml(dir / "calibration.toml"));
  EXPECT_LT(cmp.max_rotation_error_deg, 1.0);
  EXPECT_LT(cmp.max_center_error_rel, 0.02);
  EXPECT_LT(std::abs(cmp.scale_error_rel), 0.03);
}

// Height of an OpenPose person's keypoint box (joints scored 0.3 or more), pixels.
double BoxHeight(const nlohmann::json& person) {
  const auto& k = person["pose_keypoints_2d"];
  double lo = 1e9, hi = -1e9;
  for (size_t i = 0; i + 2 < k.size(); i += 3)
    if (k[i + 2].get<double>() >= 0.3) lo = std::min(lo, k[i + 1].get<double>()), hi = std::max(hi, k[i + 1].get<double>());
  return hi > lo ? hi - lo : 0.0;
}

// The balancing trial with the bystander left in cam01 only (cam02's frames keep the tallest
// person): association finds one track, which in cam01 can be the bystander. That calibration
// ended 165 deg off with exit 0; the single-person selection is now tried too and the one whose
// cameras agree better kept, and said.
TEST(CalibrateCommand, Pose2SimBalancingWithABystanderInOneCameraOnly) {
  testing::TempDir dir;
  const std::string data = testing::SourceDir() + "/tests/data/pose2sim_balancing";
  const std::filesystem::path pose = dir / "pose";
  std::filesystem::copy(data + "/pose", pose, std::filesystem::copy_options::recursive);
  int dropped = 0;
  for (const auto& entry : std::filesystem::directory_iterator(pose / "cam02_json")) {
    nlohmann::json frame = ReadJson(entry.path().string());
    auto& people = frame["people"];
    if (people.size() < 2) continue;
    size_t tallest = 0;
    for (size_t p = 1; p < people.size(); ++p)
      if (BoxHeight(people[p]) > BoxHeight(people[tallest])) tallest = p;
    people = nlohmann::json::array({people[tallest]});
    std::ofstream(entry.path()) << frame.dump();
    ++dropped;
  }
  ASSERT_GT(dropped, 50);
  const auto r = Epilabel("-q calibrate --keypoints " + pose.string() + " --intrinsics " + data +
                          "/Calib_qualisys.toml --out " + (dir / "calib/calibration.toml"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("the cameras come from the most confident figure"), std::string::npos) << r.output;
  const RigComparison cmp = CompareRigs(ReadCalibrationToml(data + "/Calib_qualisys.toml"),
                                        ReadCalibrationToml(dir / "calib/calibration.toml"));
  EXPECT_LT(cmp.max_rotation_error_deg, 1.0);
  EXPECT_LT(cmp.max_center_error_rel, 0.02);
}

// The same real trial with image sizes only and `--shared-focal` (the four cameras are one model,
// Qualisys focals 1674-1682 px): one focal length for all four, echoed in report.json, and the
// cameras near Qualisys' (measured: 1.13 deg, focal +4.7..+5.2 %; the bounds leave room for
// rounding across machines, not for a regression to the per-camera spread of -3.6..+13.6 %),
// with an honest focal uncertainty.
TEST(CalibrateCommand, Pose2SimBalancingSharedFocalGivesOneFocalLengthForTheRig) {
  testing::TempDir dir;
  const std::string data = testing::SourceDir() + "/tests/data/pose2sim_balancing";
  const auto r = Epilabel("-q calibrate --keypoints " + data + "/pose --image-size 1088x1920 --shared-focal --out " +
                          (dir / "calibration.toml"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json report = ReadJson(dir / "report.json");
  EXPECT_TRUE(report["options"]["shared_focal"].get<bool>()) << report["options"].dump();
  const Rig estimate = ReadCalibrationToml(dir / "calibration.toml");
  ASSERT_EQ(estimate.size(), 4u);
  for (const Camera& cam : estimate) EXPECT_NEAR(cam.fx / estimate[0].fx, 1.0, 1e-3) << cam.name;
  const RigComparison cmp = CompareRigs(ReadCalibrationToml(data + "/Calib_qualisys.toml"), estimate);
  EXPECT_LT(cmp.max_focal_error_rel, 0.07);
  EXPECT_LT(cmp.max_rotation_error_deg, 1.5);
  // The adjustment's covariance says 0.7-0.9 % for a focal length 5 % off; the jackknife over
  // frame blocks and joint groups (measured 3.1 %) covers the error within 2.5 of its sigmas, and
  // the verdict says the focal length is not determined by these 100 frames.
  EXPECT_EQ(report["verdict"]["status"], "check");
  EXPECT_NE(report["verdict"]["reasons"].dump().find("focal length not determined by the data"), std::string::npos)
      << report["verdict"].dump();
  for (const auto& cam : report["cameras"]) {
    const double f = cam["focal_px"].get<double>(), u = cam["focal_uncertainty_px"].get<double>();
    EXPECT_GT(u, 2.0 * cam["focal_sigma_px"].get<double>()) << cam.dump();
    EXPECT_GT(u / f, 0.02) << cam.dump();
    EXPECT_LT(cmp.max_focal_error_rel, 2.5 * u / f) << cam.dump();
  }
}

// The calibration page is drawn from what the run holds in memory: it shows the bodies of the
// final triangulation and the 2D detections, not only the cameras.
TEST(CalibrateCommand, TheReportShowsTheTriangulatedBodies) {
  testing::TempDir dir;
  const auto s = Epilabel("-q synth --rig h36m4 --frames 300 --seed 2 --out " + (dir / "studio"));
  ASSERT_EQ(s.exit_code, 0) << s.output;
  const auto r = Epilabel("-q calibrate --keypoints " + (dir / "studio/pose") + " --intrinsics " +
                          (dir / "studio/intrinsics.toml") + " --out " + (dir / "calib/calibration.toml"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json data = ReportData(dir / "calib/report.html");
  ASSERT_TRUE(data["arrays"].contains("points")) << data["arrays"].dump().substr(0, 300);
  EXPECT_EQ(data["arrays"]["points"]["shape"][0], 300);
  EXPECT_EQ(data["frames"]["count"], 300);
  EXPECT_FALSE(data["detections"].is_null());
}

// A calibration that fails (three frames of two cameras) writes no calibration but still its
// report.json and report.html with the reasons, and exits non-zero.
TEST(CalibrateCommand, AFailedCalibrationStillWritesItsReport) {
  testing::TempDir dir;
  const auto s = Epilabel("-q synth --rig stereo2 --frames 3 --seed 3 --out " + (dir / "studio"));
  ASSERT_EQ(s.exit_code, 0) << s.output;
  const auto r = Epilabel("-q calibrate --keypoints " + (dir / "studio/pose") + " --intrinsics " +
                          (dir / "studio/intrinsics.toml") + " --out " + (dir / "calib/calibration.toml"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "calib/calibration.toml"));
  const nlohmann::json report = ReadJson(dir / "calib/report.json");
  EXPECT_EQ(report["verdict"]["status"], "failed");
  EXPECT_FALSE(report["verdict"]["reasons"].empty());
  const nlohmann::json data = ReportData(dir / "calib/report.html");
  EXPECT_NE(data.dump().find("failed"), std::string::npos);
}

// Library errors name option keys; the command line shows its own flags.
TEST(CalibrateCommand, ErrorsNameTheFlags) {
  testing::TempDir dir;
  const auto s = Epilabel("-q synth --rig h36m4 --frames 30 --seed 2 --out " + (dir / "studio"));
  ASSERT_EQ(s.exit_code, 0) << s.output;
  const auto r = Epilabel("-q calibrate --keypoints " + (dir / "studio/pose") + " --intrinsics " +
                          (dir / "studio/intrinsics.toml") + " --baseline cam_01,cam_99,2 --out " + (dir / "c.toml"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--baseline: camera 'cam_99'"), std::string::npos) << r.output;
  const auto p = Epilabel("-q calibrate --keypoints " + (dir / "studio/pose") + " --intrinsics " +
                          (dir / "studio/intrinsics.toml") + " --ba-passes 11 --out " + (dir / "p.toml"));
  EXPECT_EQ(p.exit_code, 2) << p.output;
  EXPECT_NE(p.output.find("--ba-passes: must be in [0, 10], got 11"), std::string::npos) << p.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "p.toml"));
  const auto l = Epilabel("-q label --keypoints " + (dir / "studio/pose") + " --calib " + (dir / "studio/calibration.toml") +
                          " --max-error-px 0 --out " + (dir / "l"));
  EXPECT_EQ(l.exit_code, 2) << l.output;
  EXPECT_NE(l.output.find("--max-reprojection-error-px: must be > 0"), std::string::npos) << l.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "l"));
}

// One rig, two takes (different motion and placement): --poses given twice calibrates the rig
// from both, people tracked within each take; report.json says what each take gave, the
// verdict's notes too, and the cameras match the truth.
TEST(CalibrateCommand, TwoStudioTakesOfOneRigCalibrate) {
  testing::TempDir dir;
  for (const char* take : {"a", "b"}) {
    const std::string options = std::string(take) == "a" ? "--frames 300 --seed 3" : "--frames 200 --seed 5 --motion-variation";
    const auto s = Epilabel("-q synth --rig h36m4 " + options + " --out " + (dir / take));
    ASSERT_EQ(s.exit_code, 0) << s.output;
  }
  const auto r = Epilabel("calibrate --poses " + (dir / "a/pose") + " --poses " + (dir / "b/pose") + " --intrinsics " +
                          (dir / "a/intrinsics.toml") + " --out " + (dir / "calib/calibration.toml"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("2 takes of one rig pooled"), std::string::npos) << r.output;
  const nlohmann::json report = ReadJson(dir / "calib/report.json");
  ASSERT_EQ(report["inputs"]["poses"].size(), 2u) << report["inputs"].dump();
  ASSERT_EQ(report["takes"].size(), 2u) << report.dump().substr(0, 500);
  EXPECT_EQ(report["takes"][0]["frames"], 300);
  EXPECT_EQ(report["takes"][1]["frames"], 200);
  for (const auto& take : report["takes"]) {
    EXPECT_EQ(take["people"], 1) << take.dump();
    EXPECT_EQ(take["cameras"], 4) << take.dump();
    EXPECT_GT(take["used_frames"].get<int>(), 150) << take.dump();
  }
  EXPECT_EQ(report["verdict"]["status"], "good") << report["verdict"].dump();
  const RigComparison cmp =
      CompareRigs(ReadCalibrationToml(dir / "a/calibration.toml"), ReadCalibrationToml(dir / "calib/calibration.toml"));
  EXPECT_LT(cmp.max_rotation_error_deg, 0.1);
  EXPECT_LT(std::abs(cmp.scale_error_rel), 0.05);
  // The same take given twice: its people would count twice and its errors look like agreement,
  // so a good calibration is only "check", the repeat named among the reasons.
  const auto twice = Epilabel("calibrate --poses " + (dir / "b/pose") + " --poses " + (dir / "b/pose") + " --intrinsics " +
                              (dir / "b/intrinsics.toml") + " --out " + (dir / "twice/calibration.toml"));
  ASSERT_EQ(twice.exit_code, 0) << twice.output;
  const nlohmann::json verdict = ReadJson(dir / "twice/report.json")["verdict"];
  EXPECT_EQ(verdict["status"], "check") << verdict.dump();
  EXPECT_NE(verdict["reasons"].dump().find("repeats 100 %"), std::string::npos) << verdict.dump();
}

// Two takes of one rig from unsynchronised cameras, each with offsets of its own (fractional,
// different per take): `calibrate --sync` estimates every take's offsets (the short second take
// alone ends 0.3-0.6 frame off; refined with the cameras of both takes, within 0.02), calibrates
// from both takes' people, reports the offsets per take and writes no offset into the calibration
// (they belong to the takes).
TEST(CalibrateCommand, UnsynchronisedTakesGetOffsetsOfTheirOwn) {
  testing::TempDir dir;
  const std::vector<std::vector<double>> truth = {{0, 3.4, -7.2, 12.6}, {0, -5.3, 9.8, -2.2}};
  const auto a = Epilabel("-q synth --rig h36m4 --frames 400 --seed 3 --time-offsets 0,3.4,-7.2,12.6 --out " + (dir / "a"));
  ASSERT_EQ(a.exit_code, 0) << a.output;
  const auto b = Epilabel("-q synth --rig h36m4 --frames 300 --seed 5 --motion-variation --time-offsets 0,-5.3,9.8,-2.2 "
                          "--out " + (dir / "b"));
  ASSERT_EQ(b.exit_code, 0) << b.output;
  const auto r = Epilabel("calibrate --poses " + (dir / "a/pose") + " --poses " + (dir / "b/pose") + " --sync --intrinsics " +
                          (dir / "a/intrinsics.toml") + " --out " + (dir / "calib/calibration.toml"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json report = ReadJson(dir / "calib/report.json");
  ASSERT_EQ(report["sync"]["takes"].size(), 2u) << report["sync"].dump();
  for (size_t k = 0; k < 2; ++k) {
    const nlohmann::json& take = report["sync"]["takes"][k];
    EXPECT_NE(take["take"].get<std::string>().find(k == 0 ? "a" : "b"), std::string::npos) << take.dump();
    EXPECT_EQ(take["verdict"], "ok") << take.dump();
    ASSERT_EQ(take["cameras"].size(), 4u) << take.dump();
    for (size_t c = 0; c < 4; ++c)
      EXPECT_NEAR(take["cameras"][c]["time_offset_frames"].get<double>(), truth[k][c], 0.1) << take.dump();
  }
  EXPECT_EQ(report["verdict"]["status"], "good") << report["verdict"].dump();
  const Rig estimate = ReadCalibrationToml(dir / "calib/calibration.toml");
  for (const Camera& camera : estimate) EXPECT_EQ(camera.time_offset, 0.0) << camera.name;
  EXPECT_LT(CompareRigs(ReadCalibrationToml(dir / "a/calibration.toml"), estimate).max_rotation_error_deg, 0.1);
}

// A take that cannot be used is named: a missing folder, and one offsets file given for several
// takes (exit 2, nothing written).
TEST(CalibrateCommand, TakeErrorsNameTheFolder) {
  testing::TempDir dir;
  const auto s = Epilabel("-q synth --rig h36m4 --frames 30 --seed 2 --out " + (dir / "studio"));
  ASSERT_EQ(s.exit_code, 0) << s.output;
  const auto missing = Epilabel("-q calibrate --poses " + (dir / "studio/pose") + " --poses " + (dir / "take_two/pose") +
                                " --intrinsics " + (dir / "studio/intrinsics.toml") + " --out " + (dir / "c.toml"));
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_NE(missing.output.find("take_two"), std::string::npos) << missing.output;
  const auto sync = Epilabel("-q calibrate --poses " + (dir / "studio/pose") + " --poses " + (dir / "studio/pose") +
                             " --sync-offsets " + (dir / "sync.toml") + " --intrinsics " +
                             (dir / "studio/intrinsics.toml") + " --out " + (dir / "c.toml"));
  EXPECT_EQ(sync.exit_code, 2) << sync.output;
  EXPECT_NE(sync.output.find("one recording's"), std::string::npos) << sync.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "c.toml"));
}

// calibrate --init on the studio: the true calibration is refined without naming any camera;
// with cam_03 turned by 2 degrees the verdict is "check", names it, and the written calibration
// has it back within 0.1 degree of the truth. --init with --intrinsics is exit 2.
TEST(CalibrateCommand, InitFindsABumpedCameraAndLeavesAnUnmovedRigAlone) {
  testing::TempDir dir;
  const std::string studio = SynthStudio(dir, "--seed 2");
  const Rig truth = ReadCalibrationToml(studio + "/calibration.toml");
  const auto same = Epilabel("calibrate --poses " + studio + "/pose --init " + studio + "/calibration.toml --out " +
                             (dir / "same/calibration.toml"));
  ASSERT_EQ(same.exit_code, 0) << same.output;
  EXPECT_NE(same.output.find("no camera moved"), std::string::npos) << same.output;
  const nlohmann::json unmoved = ReadJson(dir / "same/report.json");
  EXPECT_EQ(unmoved["kind"], "refinement");
  EXPECT_EQ(unmoved["verdict"]["status"], "good") << unmoved.dump();
  EXPECT_TRUE(unmoved["moved"].empty());

  Rig bumped = truth;
  Camera& cam = bumped[2];
  const Eigen::Quaterniond turn(Eigen::AngleAxisd(2.0 * M_PI / 180.0, Eigen::Vector3d::UnitY()));
  cam.cam_from_world = Rigid3d(turn * cam.cam_from_world.rotation, turn * cam.cam_from_world.translation);
  WriteCalibrationToml(bumped, dir / "bumped.toml");
  const auto r = Epilabel("calibrate --poses " + studio + "/pose --init " + (dir / "bumped.toml") + " --out " +
                          (dir / "fixed/calibration.toml"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("camera 'cam_03' moved"), std::string::npos) << r.output;
  const nlohmann::json report = ReadJson(dir / "fixed/report.json");
  EXPECT_EQ(report["verdict"]["status"], "check");
  ASSERT_EQ(report["moved"].size(), 1u) << report.dump();
  EXPECT_EQ(report["moved"][0], "cam_03");
  EXPECT_NEAR(report["cameras"][2]["rotation_deg"].get<double>(), 2.0, 0.1);
  const Rig fixed = ReadCalibrationToml(dir / "fixed/calibration.toml");
  const Eigen::Quaterniond d = fixed[2].cam_from_world.rotation * truth[2].cam_from_world.rotation.conjugate();
  EXPECT_LT(Eigen::AngleAxisd(d.normalized()).angle() * 180.0 / M_PI, 0.1);

  const auto both = Epilabel("-q calibrate --poses " + studio + "/pose --init " + (dir / "bumped.toml") +
                             " --intrinsics " + studio + "/intrinsics.toml --out " + (dir / "x.toml"));
  EXPECT_EQ(both.exit_code, 2) << both.output;
  EXPECT_NE(both.output.find("--init"), std::string::npos) << both.output;
}

}  // namespace
}  // namespace epilabel
