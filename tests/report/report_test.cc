// The HTML report's data encoding and page assembly (pseudolabel/report/html_report.h).
#include "pseudolabel/report/html_report.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "detection/io/calibration_io.h"
#include "foundation/file_util.h"
#include "detection/io/keypoint_io.h"
#include "detection/io/points_io.h"
#include "detection/skeleton.h"
#include "foundation/error.h"
#include "tests/testing.h"

namespace epilabel {
namespace {

using nlohmann::json;
namespace enc = report_encoding;

// A camera at `center` looking at `target` with the world z axis up in the image.
Camera LookingCamera(const std::string& name, const Eigen::Vector3d& center, const Eigen::Vector3d& target) {
  Camera cam;
  cam.name = name;
  cam.width = 1280;
  cam.height = 720;
  cam.fx = cam.fy = 1000.0;
  cam.cx = 640.0;
  cam.cy = 360.0;
  const Eigen::Vector3d z = (target - center).normalized();
  const Eigen::Vector3d x = z.cross(Eigen::Vector3d::UnitZ()).normalized();
  const Eigen::Vector3d y = z.cross(x);
  Eigen::Matrix3d r;
  r.row(0) = x.transpose();
  r.row(1) = y.transpose();
  r.row(2) = z.transpose();
  cam.cam_from_world = Rigid3d(r, -(r * center));
  cam.has_extrinsics = true;
  return cam;
}

Rig RingRig(int num_cameras) {
  Rig rig;
  for (int c = 0; c < num_cameras; ++c) {
    const double a = 2.0 * EIGEN_PI * c / num_cameras;
    rig.push_back(LookingCamera("cam_" + std::to_string(c + 1), Eigen::Vector3d(4 * std::cos(a), 4 * std::sin(a), 2.0),
                                Eigen::Vector3d(0, 0, 1)));
  }
  return rig;
}

// A moving 17-joint figure near the origin; joint 5 is unknown in every 10th frame.
PointsFile MovingPoints(int num_frames, int num_joints = 17) {
  PointsFile pf;
  pf.points = Points3d(num_frames, num_joints);
  pf.reproj_error_px = FrameJointArray<double>(num_frames, num_joints, kNaN);
  pf.n_views = FrameJointArray<int32_t>(num_frames, num_joints, 0);
  for (int f = 0; f < num_frames; ++f)
    for (int j = 0; j < num_joints; ++j) {
      if (j == 5 && f % 10 == 0) continue;
      pf.points.at(f, j) = Eigen::Vector3d(0.5 * std::sin(0.05 * f) + 0.2 * std::cos(j), 0.2 * std::sin(j), 0.1 * j);
      pf.reproj_error_px.at(f, j) = 0.5 + 0.1 * j + 0.01 * (f % 7);
      pf.n_views.at(f, j) = 2 + (f + j) % 5;
    }
  for (int f = 0; f < num_frames; ++f) pf.frame_numbers.push_back(100 + f);
  return pf;
}

// Exact projections of `points` into every camera, shifted by `offset_px[c]` along x.
KeypointSequence ProjectedPoses(const Rig& rig, const PointsFile& points, const std::vector<double>& offset_px) {
  KeypointSequence seq;
  seq.skeleton = "coco17";
  seq.num_joints = points.points.num_joints();
  for (size_t c = 0; c < rig.size(); ++c) {
    CameraKeypoints ck;
    ck.name = rig[c].name;
    for (int f = 0; f < points.points.num_frames(); ++f) {
      Person2d person;
      for (int j = 0; j < seq.num_joints; ++j) {
        Eigen::Vector3d o = Eigen::Vector3d::Zero();
        if (points.points.IsValid(f, j)) {
          const auto px = rig[c].ImageFromWorld(points.points.at(f, j));
          if (px) o = Eigen::Vector3d(px->x() + offset_px[c], px->y(), 0.9);
        }
        person.joints.push_back(o);
      }
      ck.frame_numbers.push_back(points.frame_numbers[f]);
      ck.people.push_back({person});
    }
    seq.cameras.push_back(ck);
  }
  return seq;
}

json DataOf(const std::string& html) {
  const std::string text = enc::ExtractDataJson(html);
  EXPECT_FALSE(text.empty());
  return json::parse(text);
}

std::vector<float> Float32Of(const json& array) {
  EXPECT_EQ(array["dtype"], "f32");
  const std::vector<uint8_t> bytes = enc::Base64Decode(array["b64"].get<std::string>());
  std::vector<float> out(bytes.size() / 4);
  for (size_t i = 0; i < out.size(); ++i) {
    uint32_t bits = 0;
    for (int b = 0; b < 4; ++b) bits |= uint32_t{bytes[i * 4 + b]} << (8 * b);
    std::memcpy(&out[i], &bits, 4);
  }
  return out;
}

TEST(ReportBase64, MatchesTheRfc4648Vectors) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(enc::Base64Encode(plain.data(), plain.size()), encoded) << plain;
    const std::vector<uint8_t> back = enc::Base64Decode(encoded);
    EXPECT_EQ(std::string(back.begin(), back.end()), plain);
  }
}

TEST(ReportBase64, RoundTripsRandomBytesOfEveryLength) {
  std::mt19937 rng(3);
  for (size_t n = 0; n < 70; ++n) {
    std::vector<uint8_t> bytes(n);
    for (auto& b : bytes) b = static_cast<uint8_t>(rng());
    const std::string text = enc::Base64Encode(bytes.data(), bytes.size());
    EXPECT_EQ(text.size(), (n + 2) / 3 * 4);
    EXPECT_EQ(enc::Base64Decode(text), bytes) << n;
  }
}

TEST(ReportBase64, RejectsMalformedText) {
  EXPECT_THROW(enc::Base64Decode("Zm9"), std::invalid_argument);    // length
  EXPECT_THROW(enc::Base64Decode("Zm9*"), std::invalid_argument);   // alphabet
  EXPECT_THROW(enc::Base64Decode("Zg==Zm9v"), std::invalid_argument);  // padding inside
}

TEST(ReportFloat32Base64, IsLittleEndianFloat32WithNaN) {
  const std::vector<double> values = {0.0, -1.5, 3.25e-3, 1e6, kNaN, 123.456};
  json a = {{"dtype", "f32"}, {"b64", enc::Float32Base64(values)}};
  const std::vector<float> back = Float32Of(a);
  ASSERT_EQ(back.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) {
      EXPECT_TRUE(std::isnan(back[i]));
    } else {
      EXPECT_EQ(back[i], static_cast<float>(values[i]));
    }
  }
  // 1.0f is 0x3f800000: bytes 00 00 80 3f.
  const std::vector<uint8_t> one = enc::Base64Decode(enc::Float32Base64({1.0}));
  EXPECT_EQ(one, (std::vector<uint8_t>{0x00, 0x00, 0x80, 0x3f}));
}

TEST(ReportEscapeJsonForScript, KeepsTheJsonAndHidesMarkup) {
  const json j = {{"name", "</script><b>&"}};
  const std::string escaped = enc::EscapeJsonForScript(j.dump());
  EXPECT_EQ(escaped.find('<'), std::string::npos);
  EXPECT_EQ(escaped.find('>'), std::string::npos);
  EXPECT_EQ(json::parse(escaped)["name"], "</script><b>&");
}

TEST(HtmlReport, EmbedsTheCamerasPointsAndReport) {
  ReportInputs in;
  in.rig = RingRig(4);
  in.points = MovingPoints(50);
  in.report_json = R"({"kind":"triangulation","skeleton":"coco17","counts":{"points":850}})";
  HtmlReportSummary summary;
  const std::string html = RenderHtmlReport(in, {}, &summary);
  const json data = DataOf(html);

  ASSERT_EQ(data["cameras"].size(), 4u);
  EXPECT_EQ(data["cameras"][2]["name"], "cam_3");
  const Eigen::Vector3d center = in.rig[2].CenterInWorld();
  EXPECT_NEAR(data["cameras"][2]["center"][0].get<double>(), center.x(), 1e-9);
  EXPECT_NEAR(data["cameras"][2]["fx"].get<double>(), 1000.0, 1e-9);
  EXPECT_EQ(data["report"]["counts"]["points"], 850);
  EXPECT_EQ(data["frames"]["count"], 50);
  // Skeleton from the report's name.
  EXPECT_EQ(data["skeleton"]["name"], "coco17");
  EXPECT_EQ(data["skeleton"]["bones"].size(), GetSkeleton("coco17").bones.size());

  const std::vector<float> points = Float32Of(data["arrays"]["points"]);
  ASSERT_EQ(points.size(), 50u * 17 * 3);
  for (int f = 0; f < 50; ++f)
    for (int j = 0; j < 17; ++j)
      for (int k = 0; k < 3; ++k) {
        const double truth = in.points->points.at(f, j)[k];
        const float got = points[(f * 17 + j) * 3 + k];
        if (std::isnan(truth)) EXPECT_TRUE(std::isnan(got));
        else EXPECT_NEAR(got, truth, 1e-6);
      }
  const std::vector<float> errors = Float32Of(data["arrays"]["reproj_error_px"]);
  EXPECT_NEAR(errors[3 * 17 + 4], in.points->reproj_error_px.at(3, 4), 1e-6);
  const std::vector<uint8_t> views = enc::Base64Decode(data["arrays"]["n_views"]["b64"]);
  EXPECT_EQ(views[7 * 17 + 2], in.points->n_views.at(7, 2));

  // Self-contained: three.js inlined as a module, no external script or stylesheet, no token left.
  EXPECT_NE(html.find("\"three\":\"data:text/javascript;base64,"), std::string::npos);
  EXPECT_EQ(html.find("<script src"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("@@"), std::string::npos);
  EXPECT_EQ(summary.bytes, html.size());
  EXPECT_TRUE(summary.has_points);
  EXPECT_FALSE(summary.has_poses);
}

TEST(HtmlReport, CalibrationAloneNeedsNothingElse) {
  ReportInputs in;
  in.rig = RingRig(3);
  in.rig[1].has_extrinsics = false;
  const json data = DataOf(RenderHtmlReport(in));
  EXPECT_EQ(data["cameras"].size(), 3u);
  EXPECT_FALSE(data["cameras"][1].contains("R"));
  EXPECT_TRUE(data["cameras"][0].contains("R"));
  EXPECT_TRUE(data["arrays"].empty());
  EXPECT_TRUE(data["report"].is_null());
}

TEST(HtmlReport, NamesThatLookLikeMarkupCannotBreakThePage) {
  ReportInputs in;
  in.rig = RingRig(2);
  in.rig[0].name = "</script><script>alert(1)</script>";
  in.title = "a <b> title";
  const std::string html = RenderHtmlReport(in);
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_NE(html.find("a &lt;b&gt; title"), std::string::npos);
  EXPECT_EQ(DataOf(html)["cameras"][0]["name"], in.rig[0].name);
}

TEST(HtmlReport, PerCameraErrorsFromThePoses) {
  ReportInputs in;
  in.rig = RingRig(3);
  in.points = MovingPoints(40);
  const std::vector<double> offsets = {0.0, 3.0, 7.5};
  in.poses = ProjectedPoses(in.rig, *in.points, offsets);
  HtmlReportSummary summary;
  const json data = DataOf(RenderHtmlReport(in, {}, &summary));
  EXPECT_TRUE(summary.camera_errors_from_poses);
  ASSERT_EQ(data["camera_stats"].size(), 3u);
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(data["camera_stats"][c]["median_error_px"].get<double>(), offsets[c], 1e-6);
    EXPECT_NEAR(data["camera_stats"][c]["mean_error_px"].get<double>(), offsets[c], 1e-6);
    int64_t n = 0;
    for (const auto& k : data["camera_stats"][c]["error_histogram"]["counts"]) n += k.get<int64_t>();
    EXPECT_EQ(n, data["camera_stats"][c]["count"].get<int64_t>());
  }
  // 40 frames, joint 5 unknown in 4 of them.
  EXPECT_EQ(data["camera_stats"][0]["count"], 40 * 17 - 4);
  const std::vector<float> per_frame = Float32Of(data["arrays"]["camera_frame_error"]);
  ASSERT_EQ(per_frame.size(), 3u * 40);
  EXPECT_NEAR(per_frame[2 * 40 + 11], 7.5, 1e-4);
  EXPECT_EQ(data["detections"][1]["frames"], 40);
}

TEST(HtmlReport, PosesAreMatchedToTheCalibrationByName) {
  ReportInputs in;
  in.rig = RingRig(3);
  in.points = MovingPoints(10);
  KeypointSequence poses = ProjectedPoses(in.rig, *in.points, {0.0, 0.0, 4.0});
  std::swap(poses.cameras[0], poses.cameras[2]);  // folder order differs from the calibration
  in.poses = poses;
  const json data = DataOf(RenderHtmlReport(in));
  EXPECT_EQ(data["camera_stats"][2]["name"], "cam_3");
  EXPECT_NEAR(data["camera_stats"][2]["median_error_px"].get<double>(), 4.0, 1e-6);
  EXPECT_NEAR(data["camera_stats"][0]["median_error_px"].get<double>(), 0.0, 1e-6);
}

TEST(HtmlReport, LongSequencesAreSubsampled) {
  ReportInputs in;
  in.rig = RingRig(2);
  in.points = MovingPoints(1000);
  HtmlReportOptions options;
  options.max_frames = 100;
  HtmlReportSummary summary;
  const json data = DataOf(RenderHtmlReport(in, options, &summary));
  EXPECT_EQ(summary.frame_stride, 10);
  EXPECT_EQ(data["frames"]["count"], 100);
  EXPECT_EQ(data["frames"]["total"], 1000);
  EXPECT_EQ(Float32Of(data["arrays"]["points"]).size(), 100u * 17 * 3);
  const std::vector<uint8_t> fn = enc::Base64Decode(data["arrays"]["frame_numbers"]["b64"]);
  double second;
  std::memcpy(&second, fn.data() + 8, 8);
  EXPECT_EQ(second, 110.0);  // frame numbers start at 100, every 10th frame
}

TEST(HtmlReport, SeveralPeopleAreEmbeddedWithTheirTrackIds) {
  ReportInputs in;
  in.rig = RingRig(3);
  in.points = MovingPoints(40);
  for (int q = 1; q <= 2; ++q) {
    Points3d other = MovingPoints(40).points;
    for (int f = 0; f < 40; ++f)
      for (int j = 0; j < 17; ++j) other.at(f, j).x() += 1.5 * q;
    in.other_people.push_back(other);
  }
  in.track_ids = {4, 7, 9};
  HtmlReportOptions options;
  options.max_frames = 20;  // every other frame
  HtmlReportSummary summary;
  const json data = DataOf(RenderHtmlReport(in, options, &summary));
  EXPECT_EQ(summary.num_people, 3);
  EXPECT_EQ(data["people"]["track_ids"], json({4, 7, 9}));
  EXPECT_EQ(data["arrays"]["other_points"]["shape"], json({2, 20, 17, 3}));
  const std::vector<float> others = Float32Of(data["arrays"]["other_points"]);
  ASSERT_EQ(others.size(), 2u * 20 * 17 * 3);
  // Person 2 (index 1 of the others), embedded frame 3 = frame 6, joint 2.
  const size_t at = ((1 * 20 + 3) * 17 + 2) * 3;
  EXPECT_NEAR(others[at], in.other_people[1].at(6, 2).x(), 1e-6);
  EXPECT_NEAR(others[at] - Float32Of(data["arrays"]["points"])[(3 * 17 + 2) * 3], 3.0, 1e-5);

  in.other_people[0] = Points3d(39, 17);
  EXPECT_THROW(RenderHtmlReport(in), InputError);
  in.other_people.pop_back();
  in.other_people[0] = in.points->points;
  EXPECT_THROW(RenderHtmlReport(in), InputError);  // three ids for two people
  in.track_ids.clear();
  EXPECT_EQ(DataOf(RenderHtmlReport(in))["people"]["track_ids"], json({0, 1}));
}

TEST(HtmlReport, TenThousandFramesOfEightCamerasStayCompact) {
  ReportInputs in;
  in.rig = RingRig(8);
  in.points = MovingPoints(10000);
  in.poses = ProjectedPoses(in.rig, *in.points, std::vector<double>(8, 1.0));
  HtmlReportSummary summary;
  const std::string html = RenderHtmlReport(in, {}, &summary);
  EXPECT_EQ(summary.num_frames, 10000);
  EXPECT_EQ(summary.frame_stride, 1);
  // Raw bytes per frame: points 17*3*4, errors 17*4, views 17, frame number 8, per-camera error 8*4;
  // base64 adds a third. One JSON object per joint would be ~10 times more.
  const double raw_per_frame = 17 * 3 * 4 + 17 * 4 + 17 + 8 + 8 * 4;
  const double expected = 10000 * raw_per_frame * 4.0 / 3.0;
  EXPECT_LT(static_cast<double>(summary.data_bytes), expected * 1.02 + 50000);
  EXPECT_GT(static_cast<double>(summary.data_bytes), expected);
  EXPECT_LT(html.size(), 8u * 1000 * 1000);
}

TEST(HtmlReport, InconsistentInputsAreInputErrors) {
  ReportInputs in;
  in.rig = RingRig(2);
  in.points = MovingPoints(5);
  in.report_json = "[1, 2]";
  EXPECT_THROW(RenderHtmlReport(in), InputError);
  in.report_json = "{not json";
  EXPECT_THROW(RenderHtmlReport(in), InputError);
  in.report_json.clear();

  KeypointSequence poses = ProjectedPoses(in.rig, *in.points, {0.0, 0.0});
  poses.cameras[1].name = "elsewhere";
  in.poses = poses;
  EXPECT_THROW(RenderHtmlReport(in), InputError);

  PointsFile other = MovingPoints(5, 12);
  in.poses = ProjectedPoses(in.rig, other, {0.0, 0.0});  // 12 joints vs. 17
  EXPECT_THROW(RenderHtmlReport(in), InputError);
  in.poses.reset();

  in.bones = {{0, 17}};
  EXPECT_THROW(RenderHtmlReport(in), InputError);
}

TEST(HtmlReport, OptionsAreChecked) {
  HtmlReportOptions options;
  EXPECT_NO_THROW(options.Check());
  options.histogram_bins = 0;
  EXPECT_THROW(options.Check(), std::invalid_argument);
  options = {};
  options.fps = 0;
  EXPECT_THROW(options.Check(), std::invalid_argument);
}

TEST(HtmlReportFromFiles, ReadsTheFilesAndWritesAtomically) {
  testing::TempDir dir;
  const Rig rig = RingRig(3);
  WriteCalibrationToml(rig, dir / "calibration.toml");
  PointsFile points = MovingPoints(20);
  points.joint_names = GetSkeleton("coco17").joint_names;
  WritePointsNpz(points, dir / "points3d.npz");
  WriteKeypointsNpz(ProjectedPoses(rig, points, {0.0, 2.0, 0.0}), dir / "keypoints2d.npz");
  WriteFileAtomic(dir / "report.json", R"({"kind":"calibration","verdict":{"status":"good","reasons":[]}})");
  ReportPaths paths;
  paths.calibration = dir / "calibration.toml";
  paths.points = dir / "points3d.npz";
  paths.poses = dir / "keypoints2d.npz";
  paths.report_json = dir / "report.json";
  const HtmlReportSummary s = WriteHtmlReportFromFiles(paths, dir / "out/report.html");
  EXPECT_EQ(s.num_cameras, 3);
  EXPECT_EQ(s.num_frames, 20);
  EXPECT_TRUE(s.camera_errors_from_poses);
  const std::string html = ReadFileToString(dir / "out/report.html");
  EXPECT_EQ(html.size(), s.bytes);
  const json data = DataOf(html);
  EXPECT_EQ(data["report"]["verdict"]["status"], "good");
  EXPECT_EQ(data["skeleton"]["joint_names"][0], "nose");
  EXPECT_NEAR(data["camera_stats"][1]["median_error_px"].get<double>(), 2.0, 1e-4);
  EXPECT_EQ(data["sources"]["points"], paths.points);
  // Only the report in the folder: no temporary left behind.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir / "out")) files += e.is_regular_file() ? 1 : 0;
  EXPECT_EQ(files, 1);
}

TEST(HtmlReportFromFiles, ErrorsNameTheFile) {
  testing::TempDir dir;
  WriteCalibrationToml(RingRig(2), dir / "calibration.toml");
  WriteFileAtomic(dir / "report.json", "{\"kind\": ");
  ReportPaths paths;
  paths.calibration = dir / "calibration.toml";
  paths.report_json = dir / "report.json";
  try {
    WriteHtmlReportFromFiles(paths, dir / "report.html");
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(paths.report_json), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "report.html"));
  paths.report_json.clear();
  paths.calibration = dir / "missing.toml";
  EXPECT_THROW(WriteHtmlReportFromFiles(paths, dir / "report.html"), InputError);
  paths.calibration.clear();
  EXPECT_THROW(LoadReportInputs(paths), InputError);
}

}  // namespace
}  // namespace epilabel
