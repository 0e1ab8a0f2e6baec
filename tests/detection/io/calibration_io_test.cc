#include "detection/io/calibration_io.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include "foundation/error.h"
#include "foundation/file_util.h"
#include "tests/testing.h"
#include "tests/draw_order.h"

namespace epilabel {
namespace {

std::string DataPath(const std::string& leaf) { return testing::SourceDir() + "/tests/data/" + leaf; }

void WriteText(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// The message of the InputError thrown by reading `text` as a calibration file.
std::string ReadError(const testing::TempDir& dir, const std::string& text) {
  const std::string path = dir / "calib.toml";
  WriteText(path, text);
  try {
    ReadCalibrationToml(path);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

const char* kGoodCamera = R"(
[cam_0]
name = "A"
size = [640, 480]
matrix = [[500.0, 0.0, 320.0], [0.0, 510.0, 240.0], [0.0, 0.0, 1.0]]
distortions = [0.1, -0.05, 0.001, 0.002, 0.01]
rotation = [0.1, 0.2, 0.3]
translation = [1.0, 2.0, 3.0]
fisheye = false
)";

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Rig RandomRig(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Rig rig;
  for (int i = 0; i < n; ++i) {
    Camera c;
    c.name = "cam_" + std::to_string(10 - i);  // names that do not sort in rig order
    c.width = 1920 - 2 * i;
    c.height = 1080 + i;
    c.fx = 1000.0 + 100.0 * u(rng);
    c.fy = c.fx * (1.0 + 0.01 * u(rng));
    c.cx = 960.0 + 20.0 * u(rng);
    c.cy = 540.0 + 20.0 * u(rng);
    for (double& d : c.distortion) d = 0.05 * u(rng);
    c.has_extrinsics = i != 1;  // one intrinsics-only camera
    if (c.has_extrinsics) {
      const Eigen::Vector3d r = testing::DrawLastFirst<3>([&] { return u(rng); });
      c.cam_from_world = Rigid3d(RotationFromRodrigues(2.5 * r), testing::DrawLastFirst<3>([&] { return u(rng); }) + Eigen::Vector3d(0.0, 0.0, 3.0));
    }
    rig.push_back(c);
  }
  return rig;
}

void ExpectSameCamera(const Camera& a, const Camera& b, double tol) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.width, b.width);
  EXPECT_EQ(a.height, b.height);
  EXPECT_NEAR(a.fx, b.fx, tol);
  EXPECT_NEAR(a.fy, b.fy, tol);
  EXPECT_NEAR(a.cx, b.cx, tol);
  EXPECT_NEAR(a.cy, b.cy, tol);
  for (size_t k = 0; k < 5; ++k) EXPECT_NEAR(a.distortion[k], b.distortion[k], tol) << a.name << " k" << k;
  EXPECT_EQ(a.has_extrinsics, b.has_extrinsics);
  if (a.has_extrinsics && b.has_extrinsics) {
    EXPECT_LT((a.cam_from_world.RotationMatrix() - b.cam_from_world.RotationMatrix()).cwiseAbs().maxCoeff(), tol);
    EXPECT_LT((a.cam_from_world.translation - b.cam_from_world.translation).cwiseAbs().maxCoeff(), tol);
  }
}

TEST(CalibrationToml, ReadsPose2SimQualisysFile) {
  const Rig rig = ReadCalibrationToml(DataPath("pose2sim_static/Calib_qualisys.toml"));
  ASSERT_EQ(rig.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(rig[i].name, "cam_0" + std::to_string(i + 1));
    EXPECT_EQ(rig[i].width, 1088);  // written as floats (1088.0) in the file
    EXPECT_EQ(rig[i].height, 1920);
    EXPECT_TRUE(rig[i].has_extrinsics);
    EXPECT_EQ(rig[i].distortion[4], 0.0);  // four terms in the file
  }
  // cam_01 exactly as the file states it.
  EXPECT_DOUBLE_EQ(rig[0].fx, 1681.244873046875);
  EXPECT_DOUBLE_EQ(rig[0].cy, 948.137390140625);
  EXPECT_DOUBLE_EQ(rig[0].distortion[3], 1.078125e-05);
  const Eigen::Matrix3d r = RotationFromRodrigues(Eigen::Vector3d(1.6882754799999993, 1.0483220499999997, -0.41955852000000016));
  EXPECT_LT((rig[0].cam_from_world.RotationMatrix() - r).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_DOUBLE_EQ(rig[0].cam_from_world.translation.z(), 2.8907130499999996);
  // The lab's origin is in front of every camera of a real capture.
  for (const Camera& c : rig) EXPECT_GT(c.cam_from_world.translation.z(), 0.0) << c.name;
}

TEST(CalibrationToml, ReadsCaliscopeRotationMatricesAndSkipsOtherTables) {
  const Rig rig = ReadCalibrationToml(DataPath("caliscope_4cam/config.toml"));
  ASSERT_EQ(rig.size(), 4u);  // [charuco], [capture_volume] are not cameras
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(rig[i].name, "cam_" + std::to_string(i));  // no name key: the table name
    EXPECT_EQ(rig[i].width, 1280);
    EXPECT_EQ(rig[i].height, 720);
  }
  Eigen::Matrix3d r0;
  r0 << 0.028454458274723926, -0.8200005191342249, 0.571655046705523, -0.9915778577174362, -0.0954406312087065,
      -0.0875467760627629, 0.12634752031121108, -0.5643493904790591, -0.8158100695487417;
  EXPECT_LT((rig[0].cam_from_world.RotationMatrix() - r0).cwiseAbs().maxCoeff(), 1e-9);
  EXPECT_DOUBLE_EQ(rig[3].distortion[4], 0.1475260356665553);
  // cam_1 is the world origin in that file.
  EXPECT_LT(rig[1].CenterInWorld().norm(), 0.01);
}

// FreeMoCap's layout (tests/data/freemocap_constructed/README.md): extra keys in the camera
// tables and in [metadata], translations in millimetres as its charuco_square_size says.
TEST(CalibrationToml, ReadsFreeMoCapFilesWithTheirMillimetres) {
  const Rig rig = ReadCalibrationToml(DataPath("freemocap_constructed/camera_calibration.toml"));
  ASSERT_EQ(rig.size(), 3u);
  EXPECT_EQ(rig[0].name, "sesh_cam_0");
  EXPECT_EQ(rig[2].name, "sesh_cam_2");
  EXPECT_EQ(rig[2].width, 1920);
  EXPECT_DOUBLE_EQ(rig[1].fx, 898.1);
  EXPECT_DOUBLE_EQ(rig[1].distortion[4], -0.012);
  // world_position (mm) in the file: (-1784.26, 69.02, 803.36) and (1844.12, 23.03, 624.32).
  EXPECT_LT((rig[1].CenterInWorld() - Eigen::Vector3d(-1.7842625980, 0.0690182669, 0.8033559050)).norm(), 1e-9);
  EXPECT_LT((rig[2].CenterInWorld() - Eigen::Vector3d(1.8441219894, 0.0230278069, 0.6243196845)).norm(), 1e-9);
  EXPECT_NEAR(rig[1].cam_from_world.translation.x(), 1.7125, 1e-12);
  // A board square given in metres (< 1) leaves the translations as they are.
  testing::TempDir dir;
  std::string text;
  {
    std::ifstream in(DataPath("freemocap_constructed/camera_calibration.toml"));
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  text.replace(text.find("charuco_square_size = 39.0"), 26, "charuco_square_size = 0.039");
  WriteText(dir / "metres.toml", text);
  EXPECT_NEAR(ReadCalibrationToml(dir / "metres.toml")[1].cam_from_world.translation.x(), 1712.5, 1e-9);
  text.replace(text.find("charuco_square_size = 0.039"), 27, "charuco_square_size = \"39\"");
  EXPECT_NE(ReadError(dir, text).find("[metadata] charuco_square_size: expected a number"), std::string::npos)
      << ReadError(dir, text);
}

TEST(CalibrationToml, KeepsFileOrderAndReadsAniposeNames) {
  testing::TempDir dir;
  const std::string path = dir / "calibration.toml";
  WriteText(path, std::string("[metadata]\nadjusted = true\n") +
                      "[cam_1]\nname = \"B\"\nsize = [100, 50]\nmatrix = [[90, 0, 50], [0, 90, 25], [0, 0, 1]]\n" +
                      kGoodCamera);
  const Rig rig = ReadCalibrationToml(path);
  ASSERT_EQ(rig.size(), 2u);
  EXPECT_EQ(rig[0].name, "B");  // [cam_1] comes first in the file
  EXPECT_EQ(rig[1].name, "A");
  EXPECT_FALSE(rig[0].has_extrinsics);
  EXPECT_EQ(rig[0].fx, 90.0);  // integers accepted
  EXPECT_TRUE(rig[1].has_extrinsics);
  EXPECT_LT((RodriguesFromRotation(rig[1].cam_from_world.RotationMatrix()) - Eigen::Vector3d(0.1, 0.2, 0.3)).norm(),
            1e-12);
}

TEST(CalibrationToml, ReadsSizeOnlyFiles) {
  testing::TempDir dir;
  const std::string path = dir / "sizes.toml";
  WriteText(path, "[cam_0]\nname = \"left\"\nsize = [1280, 720]\n[cam_1]\nsize = [640.0, 480.0]\n");
  const Rig rig = ReadCalibrationToml(path);
  ASSERT_EQ(rig.size(), 2u);
  EXPECT_EQ(rig[0].name, "left");
  EXPECT_EQ(rig[1].name, "cam_1");
  EXPECT_EQ(rig[1].width, 640);
  EXPECT_EQ(rig[0].fx, 0.0);  // intrinsics unknown
  EXPECT_FALSE(rig[0].has_extrinsics);
}

TEST(CalibrationToml, RoundTripIsExact) {
  testing::TempDir dir;
  Rig rig = RandomRig(5, 7);
  Camera size_only;
  size_only.name = "witness";
  size_only.width = 320;
  size_only.height = 240;
  rig.push_back(size_only);
  const std::string path = dir / "out/calibration.toml";
  WriteCalibrationToml(rig, path, "[metadata]\nerror = 0.4\n");
  const Rig back = ReadCalibrationToml(path);
  ASSERT_EQ(back.size(), rig.size());
  for (size_t i = 0; i < rig.size(); ++i) ExpectSameCamera(rig[i], back[i], 1e-12);
  // Repeated round trips do not drift.
  const std::string path2 = dir / "again.toml";
  WriteCalibrationToml(back, path2, "[metadata]\nerror = 0.4\n");
  const Rig again = ReadCalibrationToml(path2);
  for (size_t i = 0; i < rig.size(); ++i) ExpectSameCamera(rig[i], again[i], 1e-12);
}

TEST(CalibrationToml, TimeOffsetsRoundTripAndAbsentOnesLeaveTheFileAsBefore) {
  testing::TempDir dir;
  Rig rig = RandomRig(3, 11);
  const std::string plain = dir / "plain.toml", offsets = dir / "offsets.toml";
  WriteCalibrationToml(rig, plain);
  EXPECT_EQ(ReadText(plain).find("time_offset"), std::string::npos);
  rig[1].time_offset = 0.11333333333333333;
  rig[2].time_offset = -0.24;
  WriteCalibrationToml(rig, offsets);
  const Rig back = ReadCalibrationToml(offsets);
  EXPECT_EQ(back[0].time_offset, 0.0);
  EXPECT_EQ(back[1].time_offset, rig[1].time_offset);
  EXPECT_EQ(back[2].time_offset, -0.24);
  // Offsets 0 write exactly the file without offsets.
  Rig zero = rig;  // (not the read-back: rotations round-trip to 1e-16, not bit for bit)
  for (Camera& c : zero) c.time_offset = 0.0;
  WriteCalibrationToml(zero, dir / "zero.toml");
  EXPECT_EQ(ReadText(dir / "zero.toml"), ReadText(plain));
  std::ofstream(dir / "bad.toml") << "[cam_0]\nname = \"a\"\nsize = [10, 10]\ntime_offset = \"soon\"\n";
  try {
    ReadCalibrationToml(dir / "bad.toml");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("time_offset"), std::string::npos) << e.what();
  }
}

TEST(CalibrationToml, PythonTomllibReadsWhatWeWrite) {
  testing::TempDir dir;
  const Rig rig = ReadCalibrationToml(DataPath("pose2sim_static/Calib_qualisys.toml"));
  const std::string path = dir / "calibration.toml";
  WriteCalibrationToml(rig, path, "[metadata]\nsource = \"qualisys\"\n");
  const std::string script = dir / "check.py";
  // Compares our file with the original as Pose2Sim/Anipose would load them.
  std::ofstream(script) << "import sys, tomllib, numpy as np\n"
                           "a = tomllib.load(open(sys.argv[1], 'rb'))\n"
                           "b = tomllib.load(open(sys.argv[2], 'rb'))\n"
                           "assert b['metadata']['source'] == 'qualisys'\n"
                           "ca = {v['name']: v for k, v in a.items() if k != 'metadata'}\n"
                           "cb = {v['name']: v for k, v in b.items() if k != 'metadata'}\n"
                           "assert ca.keys() == cb.keys(), (ca.keys(), cb.keys())\n"
                           "for n in ca:\n"
                           "  x, y = ca[n], cb[n]\n"
                           "  assert np.allclose(x['size'], y['size'], atol=0)\n"
                           "  assert np.abs(np.array(x['matrix']) - np.array(y['matrix'])).max() == 0\n"
                           "  assert np.abs(np.r_[x['distortions'], 0] - np.array(y['distortions'])).max() == 0\n"
                           "  assert np.abs(np.array(x['rotation']) - np.array(y['rotation'])).max() < 1e-12\n"
                           "  assert np.abs(np.array(x['translation']) - np.array(y['translation'])).max() == 0\n"
                           "  assert y['fisheye'] is False\n"
                           "print('ok', len(cb))\n";
  const auto r = testing::Run(testing::PythonWithNumpy() + " " + script + " " +
                              DataPath("pose2sim_static/Calib_qualisys.toml") + " " + path);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("ok 4"), std::string::npos) << r.output;
}

// Anipose's fisheye cameras (aniposelib CameraFisheye: four distortion terms, fisheye = true) are
// read as OpenCV's fisheye model and written back the same way, next to a pinhole camera.
TEST(CalibrationToml, ReadsAndWritesAniposeFisheyeCameras) {
  testing::TempDir dir;
  const std::string path = dir / "fisheye.toml";
  WriteText(path, R"([cam_0]
name = "gopro"
size = [1920, 1080]
matrix = [[733.5, 0.0, 961.0], [0.0, 733.0, 541.5], [0.0, 0.0, 1.0]]
distortions = [0.041, -0.012, 0.0031, -0.0007]
rotation = [0.1, 0.2, 0.3]
translation = [1.0, 2.0, 3.0]
fisheye = true
)" + std::string(kGoodCamera).replace(std::string(kGoodCamera).find("[cam_0]"), 7, "[cam_1]"));
  const Rig rig = ReadCalibrationToml(path);
  ASSERT_EQ(rig.size(), 2u);
  EXPECT_EQ(rig[0].lens, LensModel::kFisheye);
  EXPECT_EQ(rig[1].lens, LensModel::kPinhole);
  EXPECT_DOUBLE_EQ(rig[0].distortion[2], 0.0031);
  EXPECT_DOUBLE_EQ(rig[0].distortion[3], -0.0007);
  EXPECT_EQ(rig[0].distortion[4], 0.0);
  const std::string out = dir / "out.toml";
  WriteCalibrationToml(rig, out);
  const std::string text = ReadFileToString(out);
  EXPECT_NE(text.find("distortions = [0.041, -0.012, 0.0031, -7e-04]\n"), std::string::npos) << text;  // four terms
  EXPECT_NE(text.find("fisheye = true"), std::string::npos);
  EXPECT_NE(text.find("fisheye = false"), std::string::npos);
  const Rig back = ReadCalibrationToml(out);
  EXPECT_EQ(back[0].lens, LensModel::kFisheye);
  EXPECT_EQ(back[1].lens, LensModel::kPinhole);
  ExpectSameCamera(rig[0], back[0], 1e-12);
  ExpectSameCamera(rig[1], back[1], 1e-12);
}

TEST(CalibrationToml, MalformedTomlNamesTheLine) {
  testing::TempDir dir;
  const std::string msg = ReadError(dir, "[cam_0]\nname = \"A\"\nsize = [640, 480\nmatrix = 3\n");
  EXPECT_NE(msg.find("calib.toml:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("malformed TOML"), std::string::npos) << msg;
  EXPECT_TRUE(msg.find(":3") != std::string::npos || msg.find(":4") != std::string::npos) << msg;
}

TEST(CalibrationToml, BadFieldsAreInputErrorsNamingTableFieldAndLine) {
  testing::TempDir dir;
  struct Case {
    std::string from, to, expect;
  };
  const std::vector<Case> cases = {
      {"matrix = [[500.0, 0.0, 320.0], [0.0, 510.0, 240.0], [0.0, 0.0, 1.0]]", "matrix = [[500.0, 0.0, 320.0], [0.0, 510.0, 240.0]]", "[cam_0] matrix: expected a 3x3"},
      {"matrix = [[500.0, 0.0, 320.0], [0.0, 510.0, 240.0], [0.0, 0.0, 1.0]]", "matrix = [[500.0, 0.0, 320.0], [0.0, nan, 240.0], [0.0, 0.0, 1.0]]", "value is NaN"},
      {"matrix = [[500.0, 0.0, 320.0], [0.0, 510.0, 240.0], [0.0, 0.0, 1.0]]", "matrix = [[-500.0, 0.0, 320.0], [0.0, 510.0, 240.0], [0.0, 0.0, 1.0]]", "focal lengths must be positive"},
      {"size = [640, 480]", "size = [-640, 480]", "[cam_0] size: width must be positive"},
      {"size = [640, 480]", "size = [640, 0]", "height must be positive"},
      {"size = [640, 480]", "size = [640]", "expected 2 numbers"},
      {"size = [640, 480]", "", "[cam_0] size: missing"},
      {"fisheye = false", "fisheye = true", "[cam_0] distortions: expected 4 numbers (k1, k2, k3, k4) for a fisheye"},
      {"fisheye = false", "fisheye = 1", "[cam_0] fisheye: expected true or false"},
      {"translation = [1.0, 2.0, 3.0]", "", "translation: missing"},
      {"translation = [1.0, 2.0, 3.0]", "translation = [1.0, inf, 3.0]", "infinite"},
      {"rotation = [0.1, 0.2, 0.3]", "rotation = [[1, 0, 0], [0, 1, 0], [0, 0, 2]]", "not a rotation"},
      {"rotation = [0.1, 0.2, 0.3]", "rotation = [0.1, 0.2]", "Rodrigues vector"},
      {"rotation = [0.1, 0.2, 0.3]", "rotation = [1e200, 1e200, 0.3]", "Rodrigues vector's angle is"},
      {"rotation = [0.1, 0.2, 0.3]", "rotation = [4e3, 0.2, 0.3]", "expected at most 1000"},
      {"distortions = [0.1, -0.05, 0.001, 0.002, 0.01]", "distortions = [0.1, -0.05, 0.001]", "expected 4 or 5 numbers"},
      {"name = \"A\"", "name = 3", "[cam_0] name: expected a string"},
  };
  for (const Case& c : cases) {
    std::string text = kGoodCamera;
    const size_t at = text.find(c.from);
    ASSERT_NE(at, std::string::npos) << c.from;
    text.replace(at, c.from.size(), c.to);
    const std::string msg = ReadError(dir, text);
    EXPECT_NE(msg.find(c.expect), std::string::npos) << "case '" << c.to << "' gave: " << msg;
    EXPECT_NE(msg.find("calib.toml:"), std::string::npos) << "no file:line in: " << msg;
  }
}

TEST(CalibrationToml, NoCamerasOrDuplicateNamesAreInputErrors) {
  testing::TempDir dir;
  EXPECT_NE(ReadError(dir, "[metadata]\nerror = 1.0\n").find("no camera found"), std::string::npos);
  EXPECT_NE(ReadError(dir, "").find("no camera found"), std::string::npos);
  std::string twice = std::string(kGoodCamera) + kGoodCamera;
  twice.replace(twice.rfind("[cam_0]"), 7, "[cam_1]");
  EXPECT_NE(ReadError(dir, twice).find("used twice"), std::string::npos);
  try {
    ReadCalibrationToml(dir / "missing.toml");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("missing.toml"), std::string::npos);
  }
}

TEST(CalibrationUnits, TranslationsInMetresScalesOnlyTheTranslations) {
  Rig rig(3);
  for (int c = 0; c < 3; ++c) {
    rig[c].name = "cam_" + std::to_string(c);
    rig[c].fx = rig[c].fy = 1000.0;
    rig[c].has_extrinsics = c < 2;
    rig[c].cam_from_world.rotation = Eigen::Quaterniond(Eigen::AngleAxisd(0.3 * c, Eigen::Vector3d::UnitY()));
    rig[c].cam_from_world.translation = Eigen::Vector3d(1000.0 * c, -500.0, 3000.0 + c);
  }
  EXPECT_NEAR(MedianCameraSpacing(rig), (rig[0].CenterInWorld() - rig[1].CenterInWorld()).norm(), 1e-9);
  const Rig metres = TranslationsInMetres(rig, "mm");
  for (int c = 0; c < 3; ++c) {
    EXPECT_LT((metres[c].cam_from_world.translation - 0.001 * rig[c].cam_from_world.translation).norm(), 1e-12);
    EXPECT_TRUE(metres[c].cam_from_world.rotation.isApprox(rig[c].cam_from_world.rotation));
    EXPECT_EQ(metres[c].fx, 1000.0);
  }
  EXPECT_NEAR(MedianCameraSpacing(metres), 0.001 * MedianCameraSpacing(rig), 1e-12);
  EXPECT_LT((TranslationsInMetres(rig, "cm")[2].cam_from_world.translation -
             0.01 * rig[2].cam_from_world.translation).norm(), 1e-12);
  EXPECT_EQ(TranslationsInMetres(rig, "m")[1].cam_from_world.translation, rig[1].cam_from_world.translation);
  EXPECT_THROW(TranslationsInMetres(rig, "inch"), std::invalid_argument);
  // One camera with extrinsics: no spacing.
  rig[1].has_extrinsics = false;
  EXPECT_EQ(MedianCameraSpacing(rig), 0.0);
}

TEST(CalibrationYaml, OpenCvReadsWhatWeWrite) {
  testing::TempDir dir;
  const Rig rig = RandomRig(3, 11);
  const std::string path = dir / "calibration.yaml";
  WriteCalibrationYaml(rig, path);
  cv::FileStorage fs(path, cv::FileStorage::READ);
  ASSERT_TRUE(fs.isOpened());
  EXPECT_EQ(static_cast<int>(fs["camera_count"]), 3);
  ASSERT_EQ(fs["camera_names"].size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const cv::FileNode node = fs["camera_" + std::to_string(i)];
    const Camera& c = rig[static_cast<size_t>(i)];
    EXPECT_EQ(static_cast<std::string>(node["name"]), c.name);
    EXPECT_EQ(static_cast<std::string>(fs["camera_names"][i]), c.name);
    EXPECT_EQ(static_cast<int>(node["image_width"]), c.width);
    EXPECT_EQ(static_cast<int>(node["image_height"]), c.height);
    cv::Mat k, d, r, t;
    node["camera_matrix"] >> k;
    node["distortion_coefficients"] >> d;
    EXPECT_NEAR(k.at<double>(0, 0), c.fx, 1e-9);
    EXPECT_NEAR(k.at<double>(1, 2), c.cy, 1e-9);
    EXPECT_EQ(d.total(), 5u);
    for (int j = 0; j < 5; ++j) EXPECT_NEAR(d.at<double>(j), c.distortion[static_cast<size_t>(j)], 1e-12);
    EXPECT_EQ(static_cast<int>(node["has_extrinsics"]), c.has_extrinsics ? 1 : 0);
    if (c.has_extrinsics) {
      node["rotation"] >> r;
      node["translation"] >> t;
      const Eigen::Matrix3d rr = c.cam_from_world.RotationMatrix();
      for (int a = 0; a < 3; ++a) {
        EXPECT_NEAR(t.at<double>(a), c.cam_from_world.translation(a), 1e-12);
        for (int b = 0; b < 3; ++b) EXPECT_NEAR(r.at<double>(a, b), rr(a, b), 1e-12);
      }
    } else {
      EXPECT_TRUE(node["rotation"].empty());
    }
  }
}

TEST(CalibrationWrite, NothingIsLeftWhenMetadataIsInvalid) {
  testing::TempDir dir;
  const std::string path = dir / "calibration.toml";
  EXPECT_THROW(WriteCalibrationToml(RandomRig(2, 3), path, "[metadata\n"), std::invalid_argument);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

}  // namespace
}  // namespace epilabel
