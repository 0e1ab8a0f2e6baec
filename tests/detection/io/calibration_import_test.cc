#include "detection/io/calibration_import.h"

#include <fstream>
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

}  // namespace
}  // namespace epilabel
