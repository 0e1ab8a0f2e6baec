#include "detection/io/calibration_import.h"

#include <cmath>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "detection/io/calibration_io.h"
#include "foundation/error.h"
#include "tests/testing.h"

namespace epilabel {
namespace {

using testing::SourceDir;
using testing::TempDir;

std::string Board() { return SourceDir() + "/tests/data/pose2sim_board/Calib.qca.txt"; }

template <typename F>
std::string InputErrorOf(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(ReadQualisysCalibration, MatchesPose2SimsConversionOfTheSameFile) {
  const Rig qualisys = ReadQualisysCalibration(Board());
  const Rig pose2sim = ReadCalibrationToml(SourceDir() + "/tests/data/pose2sim_static/Calib_qualisys.toml");
  ASSERT_EQ(qualisys.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    const Camera& q = qualisys[i];
    const Camera& p = pose2sim[i];
    EXPECT_EQ(q.name, p.name);
    EXPECT_EQ(q.width, 1088);
    EXPECT_EQ(q.height, 1920);
    EXPECT_NEAR(q.fx, p.fx, 1e-9);
    EXPECT_NEAR(q.fy, p.fy, 1e-9);
    EXPECT_NEAR(q.cx, p.cx, 1e-9);
    EXPECT_NEAR(q.cy, p.cy, 1e-9);
    // Pose2Sim divides the distortion by 64 as well; we do not (see calibration_import.h).
    for (int k = 0; k < 4; ++k) EXPECT_NEAR(q.distortion[k], 64 * p.distortion[k], 1e-9) << k;
    ASSERT_TRUE(q.has_extrinsics);
    EXPECT_LT((q.cam_from_world.RotationMatrix() - p.cam_from_world.RotationMatrix()).norm(), 1e-7);
    EXPECT_LT((q.cam_from_world.translation - p.cam_from_world.translation).norm(), 1e-7);
  }
  // cam_01: centre (1460.23, -1909.16, 1896.51) mm in the lab, k1 = -0.046183 as in the file.
  EXPECT_LT((qualisys[0].CenterInWorld() - Eigen::Vector3d(1.4602323709, -1.9091590482, 1.8965058524)).norm(), 1e-9);
  EXPECT_DOUBLE_EQ(qualisys[0].distortion[0], -0.046183);
}

TEST(ReadQualisysCalibration, NamesTheFileAndLineOfBadContent) {
  TempDir dir;
  std::string text;
  {
    std::ifstream in(Board());
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const std::string bad = dir / "bad.qca.txt";
  std::string broken = text;
  broken.replace(broken.find("focalLengthU=\""), 14, "focalLengthU=\"x");
  std::ofstream(bad) << broken;
  const std::string message = InputErrorOf([&] { ReadQualisysCalibration(bad); });
  EXPECT_NE(message.find(bad + ":11"), std::string::npos) << message;
  EXPECT_NE(message.find("focalLengthU"), std::string::npos) << message;
  std::ofstream(dir / "empty.qca.txt") << "<calibration></calibration>";
  EXPECT_NE(InputErrorOf([&] { ReadQualisysCalibration(dir / "empty.qca.txt"); }).find("no <camera>"), std::string::npos);
}

// EasyMocap's layout (intri.yml/extri.yml as its calibration scripts write them).
TEST(ReadEasyMocapCalibration, ReadsTheDocumentedLayout) {
  TempDir dir;
  std::ofstream(dir / "intri.yml") << R"(%YAML:1.0
---
names:
   - "01"
   - "02"
K_01: !!opencv-matrix
   rows: 3
   cols: 3
   dt: d
   data: [ 1681.2, 0., 533.0, 0., 1681.1, 948.1, 0., 0., 1. ]
dist_01: !!opencv-matrix
   rows: 1
   cols: 5
   dt: d
   data: [ -0.046, 0.14, 0.0006, 0.0007, 0. ]
H_01: 1920
W_01: 1088
K_02: !!opencv-matrix
   rows: 3
   cols: 3
   dt: d
   data: [ 1000., 0., 640., 0., 1001., 360., 0., 0., 1. ]
dist_02: !!opencv-matrix
   rows: 5
   cols: 1
   dt: d
   data: [ 0.1, 0., 0., 0., 0. ]
)";
  std::ofstream(dir / "extri.yml") << R"(%YAML:1.0
---
names:
   - "01"
   - "02"
R_01: !!opencv-matrix
   rows: 3
   cols: 1
   dt: d
   data: [ 0., 0., 1.5707963267948966 ]
T_01: !!opencv-matrix
   rows: 3
   cols: 1
   dt: d
   data: [ 0.1, 0.2, 3. ]
Rot_02: !!opencv-matrix
   rows: 3
   cols: 3
   dt: d
   data: [ 1., 0., 0., 0., 1., 0., 0., 0., 1. ]
T_02: !!opencv-matrix
   rows: 3
   cols: 1
   dt: d
   data: [ 0., 0., 2. ]
)";
  EXPECT_NE(InputErrorOf([&] { ReadEasyMocapCalibration(dir / "intri.yml", dir / "extri.yml"); }).find("H_02/W_02"),
            std::string::npos);
  const Rig rig = ReadEasyMocapCalibration(dir / "intri.yml", dir / "extri.yml", 1280, 720);
  ASSERT_EQ(rig.size(), 2u);
  EXPECT_EQ(rig[0].name, "01");
  EXPECT_EQ(rig[0].width, 1088);
  EXPECT_EQ(rig[0].height, 1920);
  EXPECT_EQ(rig[1].width, 1280);
  EXPECT_DOUBLE_EQ(rig[0].fx, 1681.2);
  EXPECT_DOUBLE_EQ(rig[0].cy, 948.1);
  EXPECT_DOUBLE_EQ(rig[0].distortion[3], 0.0007);
  EXPECT_DOUBLE_EQ(rig[1].distortion[0], 0.1);
  // R_01: 90 degrees about z.
  EXPECT_LT((rig[0].cam_from_world.RotationMatrix() * Eigen::Vector3d::UnitX() - Eigen::Vector3d::UnitY()).norm(), 1e-12);
  EXPECT_LT((rig[0].cam_from_world.translation - Eigen::Vector3d(0.1, 0.2, 3.0)).norm(), 1e-12);
  EXPECT_LT((rig[1].CenterInWorld() - Eigen::Vector3d(0, 0, -2)).norm(), 1e-12);
  // Round trip through our TOML.
  WriteCalibrationToml(rig, dir / "out.toml");
  const Rig back = ReadCalibrationToml(dir / "out.toml");
  EXPECT_NEAR(back[0].fx, 1681.2, 1e-9);
  EXPECT_LT((back[0].cam_from_world.translation - rig[0].cam_from_world.translation).norm(), 1e-12);
}

TEST(ReadEasyMocapCalibration, RejectsFilesThatAreNotFileStorage) {
  TempDir dir;
  std::ofstream(dir / "intri.yml") << "this is not yaml: [";
  const std::string message = InputErrorOf([&] { ReadEasyMocapCalibration(dir / "intri.yml", ""); });
  EXPECT_NE(message.find(dir / "intri.yml"), std::string::npos) << message;
}

// Found by the fuzz replay: OpenCV asserts (not cv::Exception from the parser) on a document
// whose root is not a map, throws std::length_error on a matrix header without data, and a
// huge image side used to be cast to int unchecked. Each is an InputError naming the file.
TEST(ReadEasyMocapCalibration, MalformedDocumentsAreInputErrorsNamingTheFile) {
  TempDir dir;
  const std::string intri = dir / "intri.yml", extri = dir / "extri.yml";
  const std::string valid_intri =
      "%YAML:1.0\n---\nnames:\n   - \"01\"\nK_01: !!opencv-matrix\n   rows: 3\n   cols: 3\n   dt: d\n"
      "   data: [ 1000., 0., 640., 0., 1000., 360., 0., 0., 1. ]\n";
  const std::vector<std::pair<std::string, std::string>> bad_intri = {
      {"root not a map", "%YAML:1.0\n--"},
      {"matrix without data", "%YAML:1.0\n---\nnames:\n   - \"01\"\nK_01: !!opencv-matrix\n   rows: \x7f\n"
                              "   cols: 3\n   dt: d\n   : [ 1., 2. ]\n"},
      {"huge image side", valid_intri + "W_01: 1e300\nH_01: 720\n"},
      {"fractional image side", valid_intri + "W_01: 1280.5\nH_01: 720\n"},
  };
  for (const auto& [what, text] : bad_intri) {
    std::ofstream(intri, std::ios::trunc) << text;
    const std::string message = InputErrorOf([&] { ReadEasyMocapCalibration(intri, "", 1280, 720); });
    EXPECT_NE(message.find(intri), std::string::npos) << what << ": " << message;
  }
  // Found under AddressSanitizer: a header declaring a huge matrix made OpenCV allocate it
  // before looking at the data. The header is now checked first, and the message says so.
  std::ofstream(intri, std::ios::trunc)
      << "%YAML:1.0\n---\nnames:\n   - \"01\"\nK_01: !!opencv-matrix\n   rows: 100000\n   cols: 100000\n"
         "   dt: d\n   data: [ 1000., 0., 640., 0., 1000., 360., 0., 0., 1. ]\n";
  const std::string huge = InputErrorOf([&] { ReadEasyMocapCalibration(intri, "", 1280, 720); });
  EXPECT_NE(huge.find("100000 x 100000"), std::string::npos) << huge;
  std::ofstream(intri, std::ios::trunc) << valid_intri;
  std::ofstream(extri) << "%YAML:1.0\n--";
  const std::string message = InputErrorOf([&] { ReadEasyMocapCalibration(intri, extri, 1280, 720); });
  EXPECT_NE(message.find(extri), std::string::npos) << message;
  EXPECT_EQ(ReadEasyMocapCalibration(intri, "", 1280, 720).at(0).width, 1280) << "the valid file still reads";
  // Found by libFuzzer: OpenCV's parser loops forever on this header line; it is refused first.
  std::ofstream(intri, std::ios::trunc) << "%YAML:1.0 \"01\"\n   - \"02\"\n0\n-";
  EXPECT_NE(InputErrorOf([&] { ReadEasyMocapCalibration(intri, "", 1280, 720); }).find(":1: expected the line"),
            std::string::npos);
  // And on stray separators and broken tags further down (a second libFuzzer finding): every
  // line must be one that cv::FileStorage writes, so this is refused at its third line.
  std::ofstream(intri, std::ios::trunc) << "%YAML:1.0\n---L:1.0\n0---\nn: !!opencv-matri7 ]\nT_01: !!orix\n";
  const std::string stray = InputErrorOf([&] { ReadEasyMocapCalibration(intri, "", 1280, 720); });
  EXPECT_NE(stray.find(intri + ":3: is not a line of an EasyMocap"), std::string::npos) << stray;
  // A matrix whose data runs over several lines, as OpenCV wraps it, still reads.
  std::ofstream(intri, std::ios::trunc)
      << "%YAML:1.0\n---\n# a comment\nnames: [ \"01\" ]\nK_01: !!opencv-matrix\n   rows: 3\n   cols: 3\n   dt: d\n"
         "   data: [ 1.0e+03, 0., 640.,\n       0., 1000., 360.,\n       0., 0., 1. ]\nH_01: 720\nW_01: 1280\n";
  EXPECT_DOUBLE_EQ(ReadEasyMocapCalibration(intri, "").at(0).fx, 1000.0);
}


// --- Vicon .xcp -------------------------------------------------------------------------------

std::string ViconSample() { return SourceDir() + "/tests/data/vicon_constructed/calibration.xcp"; }

// Vicon's lens (see calibration_import.h): distorted pixel d -> undistorted c + (d - c) s(|d - c|).
struct TestViconLens {
  Eigen::Vector2d centre;
  double k1 = 0, k2 = 0, k3 = 0;
  double Scale(const Eigen::Vector2d& offset) const {
    const double r2 = offset.squaredNorm();
    return 1 + r2 * (k1 + r2 * (k2 + r2 * k3));
  }
  // The distorted pixel of an undistorted one, by fixed-point iteration (converges for these
  // mild lenses).
  Eigen::Vector2d Distort(const Eigen::Vector2d& u) const {
    Eigen::Vector2d offset = u - centre;
    for (int i = 0; i < 200; ++i) offset = (u - centre) / Scale(offset);
    return centre + offset;
  }
};

// Writes `rig` as an .xcp in Vicon's layout (the test's own writer, from the documented
// conventions): quaternion x y z w of cam_from_world, POSITION = centre in mm, one KeyFrame.
// `lenses[i]` (if any) becomes camera i's VICON_RADIAL2; `types[i]` its TYPE.
void WriteXcp(const std::string& path, const Rig& rig, const std::vector<std::optional<TestViconLens>>& lenses,
              const std::vector<std::string>& types) {
  std::ofstream out(path);
  out.precision(17);
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\" ?>\n<Cameras NAME=\"\" VERSION=\"1.0\">\n";
  for (size_t i = 0; i < rig.size(); ++i) {
    const Camera& c = rig[i];
    const Eigen::Quaterniond q = c.cam_from_world.rotation;
    const Eigen::Vector3d centre_mm = c.CenterInWorld() * 1000.0;
    out << "  <Camera DEVICEID=\"" << 100 + i << "\" TYPE=\"" << types[i] << "\" PIXEL_ASPECT_RATIO=\"" << c.fx / c.fy
        << "\" SENSOR_SIZE=\"" << c.width << " " << c.height << "\" SKEW=\"0\">\n    <KeyFrames>\n";
    out << "      <KeyFrame FOCAL_LENGTH=\"" << c.fx << "\" FRAME=\"0\" ORIENTATION=\"" << q.x() << " " << q.y() << " "
        << q.z() << " " << q.w() << "\" POSITION=\"" << centre_mm.x() << " " << centre_mm.y() << " " << centre_mm.z()
        << "\" PRINCIPAL_POINT=\"" << c.cx << " " << c.cy << "\"";
    if (i < lenses.size() && lenses[i])
      out << " VICON_RADIAL2=\"Vicon3Parameter " << lenses[i]->centre.x() << " " << lenses[i]->centre.y() << " "
          << lenses[i]->k1 << " " << lenses[i]->k2 << " " << lenses[i]->k3 << "\"";
    out << "/>\n    </KeyFrames>\n  </Camera>\n";
  }
  out << "</Cameras>\n";
}

// A ring of cameras looking at the origin from 3-5 m, random sizes of image, focal and
// principal point (seeded).
Rig RandomRig(int n, std::mt19937* rng) {
  std::uniform_real_distribution<double> u(-1, 1);
  Rig rig;
  for (int i = 0; i < n; ++i) {
    Camera c;
    c.name = "cam_" + std::string(i < 9 ? "0" : "") + std::to_string(i + 1);
    c.width = i % 2 ? 1920 : 1280;
    c.height = i % 2 ? 1080 : 720;
    c.fx = 900 + 400 * (u(*rng) + 1);
    c.fy = i == 1 ? c.fx / 1.1 : c.fx;  // one camera with non-square pixels
    c.cx = c.width / 2.0 + 20 * u(*rng);
    c.cy = c.height / 2.0 + 20 * u(*rng);
    const double angle = 2 * M_PI * i / n + 0.3 * u(*rng), radius = 4 + u(*rng);
    const Eigen::Vector3d centre(radius * std::cos(angle), radius * std::sin(angle), 1.5 + 0.5 * u(*rng));
    const Eigen::Vector3d z = (Eigen::Vector3d(0.2 * u(*rng), 0.2 * u(*rng), 1) - centre).normalized();
    const Eigen::Vector3d x = z.cross(Eigen::Vector3d::UnitZ()).normalized(), y = z.cross(x);
    Eigen::Matrix3d r;
    r << x.transpose(), y.transpose(), z.transpose();
    c.cam_from_world = Rigid3d(r, -(r * centre));
    c.has_extrinsics = true;
    rig.push_back(c);
  }
  return rig;
}

// World points near the origin that `cam` sees inside its image.
std::vector<Eigen::Vector3d> PointsInView(const Camera& cam, std::mt19937* rng, int count) {
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<Eigen::Vector3d> points;
  while (static_cast<int>(points.size()) < count) {
    const Eigen::Vector3d p(1.5 * u(*rng), 1.5 * u(*rng), 1 + u(*rng));
    const Eigen::Vector3d in_cam = cam.cam_from_world * p;
    const Eigen::Vector2d ideal(cam.cx + cam.fx * in_cam.x() / in_cam.z(), cam.cy + cam.fy * in_cam.y() / in_cam.z());
    if (in_cam.z() > 0 && cam.IsInImage(ideal)) points.push_back(p);
  }
  return points;
}

TEST(ReadViconCalibration, RoundTripWithoutDistortionProjectsAsTheRig) {
  std::mt19937 rng(7);
  const Rig rig = RandomRig(5, &rng);
  TempDir dir;
  WriteXcp(dir / "rig.xcp", rig, {}, std::vector<std::string>(rig.size(), "VideoFile"));
  const ViconImport vicon = ReadViconCalibration(dir / "rig.xcp");
  ASSERT_EQ(vicon.rig.size(), rig.size());
  ASSERT_EQ(vicon.cameras.size(), rig.size());
  double worst = 0;
  for (size_t i = 0; i < rig.size(); ++i) {
    const Camera& got = vicon.rig[i];
    EXPECT_EQ(got.name, rig[i].name);
    EXPECT_EQ(got.width, rig[i].width);
    EXPECT_NEAR(got.fy, rig[i].fy, 1e-9);
    EXPECT_FALSE(vicon.cameras[i].has_distortion);
    for (const Eigen::Vector3d& p : PointsInView(rig[i], &rng, 200))
      worst = std::max(worst, (*got.ImageFromWorld(p) - *rig[i].ImageFromWorld(p)).norm());
  }
  EXPECT_LT(worst, 1e-6);
}

TEST(ReadViconCalibration, RoundTripWithVicon3ParameterLensIsWithinTheReportedFit) {
  std::mt19937 rng(11);
  const Rig rig = RandomRig(4, &rng);
  std::vector<std::optional<TestViconLens>> lenses;
  for (size_t i = 0; i < rig.size(); ++i) {
    if (rig[i].fx != rig[i].fy) {  // distortion needs square pixels
      lenses.emplace_back();
      continue;
    }
    const double f2 = rig[i].fx * rig[i].fx;
    TestViconLens lens;
    // Barrel (undistorting pushes out) of 3-12 % at the corners, the centre a few px off the
    // principal point for two cameras.
    lens.centre = Eigen::Vector2d(rig[i].cx + (i % 2 ? 3.0 : 0.0), rig[i].cy - (i % 2 ? 2.0 : 0.0));
    lens.k1 = (0.05 + 0.05 * static_cast<double>(i)) / f2;
    lens.k2 = 0.02 / (f2 * f2);
    lens.k3 = i == 2 ? 0.005 / (f2 * f2 * f2) : 0.0;
    lenses.push_back(lens);
  }
  TempDir dir;
  WriteXcp(dir / "rig.xcp", rig, lenses, std::vector<std::string>(rig.size(), "VideoFile"));
  const ViconImport vicon = ReadViconCalibration(dir / "rig.xcp");
  ASSERT_EQ(vicon.rig.size(), rig.size());
  for (size_t i = 0; i < rig.size(); ++i) {
    const ViconCameraReport& report = vicon.cameras[i];
    ASSERT_EQ(report.has_distortion, lenses[i].has_value()) << i;
    if (!lenses[i]) continue;
    // Measured largest residuals on the grid: 0.005 px (camera 0: k1 f^2 = 0.05, centred),
    // 0.0005 px (camera 2: 0.15, with k3), 0.18 px (camera 3: 0.2, its centre 3.6 px off the
    // principal point; RMS 0.025 px).
    EXPECT_LT(report.fit_max_px, 0.3) << i;
    EXPECT_LE(report.fit_rms_px, report.fit_max_px);
    EXPECT_LT(vicon.rig[i].distortion[0], 0) << "Vicon's undistortion pushes out, so OpenCV's k1 is barrel";
    double worst = 0;
    for (const Eigen::Vector3d& p : PointsInView(rig[i], &rng, 300)) {
      const Eigen::Vector2d ideal = rig[i].ImageFromNormalized(
          (rig[i].cam_from_world * p).hnormalized());  // rig[i] has no distortion: the pinhole pixel
      const Eigen::Vector2d seen = lenses[i]->Distort(ideal);
      if (!rig[i].IsInImage(seen)) continue;
      worst = std::max(worst, (*vicon.rig[i].ImageFromWorld(p) - seen).norm());
    }
    // Between the grid's nodes the residual may exceed the largest one on them, a little.
    EXPECT_LT(worst, 1.5 * report.fit_max_px + 1e-3) << i << " fit " << report.fit_max_px;
    EXPECT_GT(worst, 0.0);
  }
  EXPECT_NE(vicon.BriefReport().find("lens fitted to OpenCV's model within"), std::string::npos);
}

// The constructed sample (tests/data/vicon_constructed/README.md): every camera looks at
// (0, 0, 1) m with world +z up in its image; only the two video cameras are read.
TEST(ReadViconCalibration, ReadsTheConstructedSampleWithItsConventions) {
  const ViconImport vicon = ReadViconCalibration(ViconSample());
  ASSERT_EQ(vicon.rig.size(), 2u);
  EXPECT_EQ(vicon.skipped_marker_cameras, 1);
  EXPECT_FALSE(vicon.no_camera_marked_video);
  EXPECT_EQ(vicon.rig[0].name, "cam_01");
  EXPECT_EQ(vicon.cameras[0].device_id, "1");
  EXPECT_EQ(vicon.rig[1].name, "cam_02");
  EXPECT_EQ(vicon.rig[0].width, 1920);
  EXPECT_EQ(vicon.rig[1].height, 720);
  EXPECT_DOUBLE_EQ(vicon.rig[0].fx, 1500.0);
  EXPECT_DOUBLE_EQ(vicon.rig[0].cx, 962.5);
  EXPECT_LT((vicon.rig[0].CenterInWorld() - Eigen::Vector3d(3, 0, 1.5)).norm(), 1e-9);
  EXPECT_LT((vicon.rig[1].CenterInWorld() - Eigen::Vector3d(0, -3.5, 1.2)).norm(), 1e-9);
  for (const Camera& cam : vicon.rig) {
    const Eigen::Vector2d target = *cam.ImageFromWorld(Eigen::Vector3d(0, 0, 1));
    EXPECT_LT((target - Eigen::Vector2d(cam.cx, cam.cy)).norm(), 3.0) << cam.name;  // (the lens moves it a little)
    const Eigen::Vector2d above = *cam.ImageFromWorld(Eigen::Vector3d(0, 0, 1.5));
    EXPECT_LT(above.y(), target.y() - 100) << cam.name << ": world up is up in the image";
  }
  EXPECT_TRUE(vicon.cameras[0].has_distortion);
  EXPECT_LT(vicon.cameras[0].fit_max_px, 0.5);
  EXPECT_FALSE(vicon.cameras[1].has_distortion);
  ViconImportOptions all;
  all.include_marker_cameras = true;
  const ViconImport every = ReadViconCalibration(ViconSample(), all);
  ASSERT_EQ(every.rig.size(), 3u);
  EXPECT_EQ(every.cameras[0].type, "Vantage5");
}

TEST(ReadViconCalibration, ReadsEveryCameraWhenNoneIsMarkedVideo) {
  std::mt19937 rng(3);
  const Rig rig = RandomRig(2, &rng);
  TempDir dir;
  WriteXcp(dir / "rig.xcp", rig, {}, {"Vantage5", "T160"});
  const ViconImport vicon = ReadViconCalibration(dir / "rig.xcp");
  EXPECT_EQ(vicon.rig.size(), 2u);
  EXPECT_TRUE(vicon.no_camera_marked_video);
  EXPECT_NE(vicon.BriefReport().find("no camera is marked as video"), std::string::npos);
}

// Each bad value is an InputError naming the file, the line and the camera.
TEST(ReadViconCalibration, MalformedValuesNameTheFileLineAndCamera) {
  std::string text;
  {
    std::ifstream in(ViconSample());
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  TempDir dir;
  const std::string path = dir / "bad.xcp";
  auto error_with = [&](const std::string& from, const std::string& to) {
    std::string broken = text;
    const size_t at = broken.find(from, broken.find("DEVICEID=\"1\""));  // in cam_01 (Front)
    EXPECT_NE(at, std::string::npos) << from;
    broken.replace(at, from.size(), to);
    std::ofstream(path, std::ios::trunc) << broken;
    return InputErrorOf([&] { ReadViconCalibration(path); });
  };
  struct Case {
    std::string from, to, expected;
  };
  const std::vector<Case> cases = {
      {"ORIENTATION=\"0.539536603787305", "ORIENTATION=\"0.9", "not a unit quaternion"},
      {"FOCAL_LENGTH=\"1500.0\"", "FOCAL_LENGTH=\"0\"", "FOCAL_LENGTH must be positive"},
      {"POSITION=\"3000 0 1500\"", "POSITION=\"3000 nan 1500\"", "not a list of finite numbers"},
      {"POSITION=\"3000 0 1500\"", "POSITION=\"3000 0\"", "POSITION must hold 3 numbers"},
      {"SENSOR_SIZE=\"1920 1080\"", "SENSOR_SIZE=\"0 1080\"", "SENSOR_SIZE must be"},
      {"Vicon3Parameter", "Vicon5Parameter", "model 'Vicon5Parameter' is not supported"},
      {"5e-08 1e-14", "-5e-07 1e-14", "folds over inside"},
      {"SKEW=\"0\"", "SKEW=\"0.5\"", "SKEW other than 0"},
      {"PIXEL_ASPECT_RATIO=\"1\"", "PIXEL_ASPECT_RATIO=\"1.1\"", "PIXEL_ASPECT_RATIO other than 1"},
      {"</KeyFrames>", "<KeyFrame FRAME=\"100\"/></KeyFrames>", "a moving camera"},
  };
  for (const Case& c : cases) {
    const std::string message = error_with(c.from, c.to);
    EXPECT_NE(message.find(path + ":"), std::string::npos) << c.expected << ": " << message;
    EXPECT_NE(message.find(c.expected), std::string::npos) << message;
    EXPECT_NE(message.find("cam_01 (DEVICEID 1)"), std::string::npos) << message;
  }
  // A lens too strong for OpenCV's polynomial within the allowed residual is refused with both.
  std::ofstream(path, std::ios::trunc) << text;
  ViconImportOptions strict;
  strict.max_fit_error_px = 1e-4;
  const std::string fit = InputErrorOf([&] { ReadViconCalibration(path, strict); });
  EXPECT_NE(fit.find("reproduce its Vicon lens model only within"), std::string::npos) << fit;
  std::ofstream(path, std::ios::trunc) << "<Cameras></Cameras>";
  EXPECT_NE(InputErrorOf([&] { ReadViconCalibration(path); }).find("no <Camera>"), std::string::npos);
}

}  // namespace
}  // namespace epilabel
