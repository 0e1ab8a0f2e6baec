#include "detection/io/points_io.h"

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

#include "foundation/error.h"
#include "tests/testing.h"
#include "tests/draw_order.h"

namespace epilabel {
namespace {

PointsFile RandomPoints(int frames, int joints, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  PointsFile p;
  p.points = Points3d(frames, joints);
  p.reproj_error_px = FrameJointArray<double>(frames, joints, kNaN);
  p.n_views = FrameJointArray<int32_t>(frames, joints, 0);
  for (int f = 0; f < frames; ++f) {
    p.frame_numbers.push_back(10 + 2 * f);
    for (int j = 0; j < joints; ++j) {
      if ((f + j) % 5 == 0) continue;  // unknown point
      p.points.at(f, j) = testing::DrawLastFirst<3>([&] { return u(rng); }) + Eigen::Vector3d(0.0, 0.0, 1.0);
      p.reproj_error_px.at(f, j) = 2.0 + u(rng);
      p.n_views.at(f, j) = 2 + (f + j) % 3;
    }
  }
  for (int j = 0; j < joints; ++j) p.joint_names.push_back("j" + std::to_string(j));
  return p;
}

bool SameOrBothNaN(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

std::vector<std::vector<std::string>> ReadTable(const std::string& path, char sep) {
  std::ifstream in(path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> row;
    std::string cell;
    std::istringstream ss(line);
    while (std::getline(ss, cell, sep)) row.push_back(cell);
    if (!line.empty() && line.back() == sep) row.push_back("");
    rows.push_back(row);
  }
  return rows;
}

TEST(PointsNpz, RoundTripKeepsValuesAndNaN) {
  testing::TempDir dir;
  PointsFile p = RandomPoints(7, 5, 1);
  p.uncertainty_m = FrameJointArray<double>(7, 5, 0.01);
  const std::string path = dir / "points3d.npz";
  WritePointsNpz(p, path);
  const PointsFile q = ReadPointsNpz(path);
  ASSERT_EQ(q.points.num_frames(), 7);
  ASSERT_EQ(q.points.num_joints(), 5);
  for (int f = 0; f < 7; ++f) {
    for (int j = 0; j < 5; ++j) {
      for (int k = 0; k < 3; ++k) EXPECT_TRUE(SameOrBothNaN(p.points.at(f, j)(k), q.points.at(f, j)(k)));
      EXPECT_TRUE(SameOrBothNaN(p.reproj_error_px.at(f, j), q.reproj_error_px.at(f, j)));
      EXPECT_EQ(p.n_views.at(f, j), q.n_views.at(f, j));
    }
  }
  EXPECT_EQ(q.joint_names, p.joint_names);
  EXPECT_EQ(q.frame_numbers, p.frame_numbers);
  EXPECT_EQ(q.uncertainty_m.data(), p.uncertainty_m.data());
}

TEST(PointsNpz, NumpyLoadsShapesAndValues) {
  testing::TempDir dir;
  const PointsFile p = RandomPoints(4, 3, 2);
  const std::string path = dir / "points3d.npz";
  WritePointsNpz(p, path);
  const Eigen::Vector3d& probe = p.points.at(2, 1);
  ASSERT_TRUE(probe.allFinite());
  const std::string script = dir / "check.py";
  std::ofstream(script) << "import numpy as np, sys\n"
                           "z = np.load(sys.argv[1])\n"
                           "p = z['points3d']\n"
                           "assert p.shape == (4, 3, 3) and p.dtype == np.float64, p.shape\n"
                           "assert z['reproj_error_px'].shape == (4, 3)\n"
                           "assert z['n_views'].shape == (4, 3) and z['n_views'].dtype == np.int32\n"
                           "assert list(z['joint_names']) == ['j0', 'j1', 'j2']\n"
                           "assert list(z['frame_numbers']) == [10, 12, 14, 16]\n"
                           "assert np.isnan(p[0, 0]).all() and np.isnan(z['reproj_error_px'][0, 0])\n"
                           "assert np.allclose(p[2, 1], [float(v) for v in sys.argv[2:5]], rtol=0, atol=1e-15)\n"
                           "assert 'uncertainty_m' not in z.files\n"
                           "print('ok')\n";
  char args[200];
  std::snprintf(args, sizeof(args), " %.17g %.17g %.17g", probe.x(), probe.y(), probe.z());
  const auto r = testing::Run(testing::PythonWithNumpy() + " " + script + " " + path + args);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("ok"), std::string::npos) << r.output;
}

TEST(PointsNpz, MissingOrInconsistentArraysAreInputErrors) {
  testing::TempDir dir;
  const std::string a = dir / "a.npz", b = dir / "b.npz";
  const auto r = testing::Run(testing::PythonWithNumpy() + " -c \"import numpy as np; np.savez('" + a +
                              "', other=np.zeros(3)); np.savez('" + b +
                              "', points3d=np.zeros((4, 3, 3)), n_views=np.zeros((4, 2), dtype=np.int32))\"");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  try {
    ReadPointsNpz(a);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("points3d"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("a.npz"), std::string::npos) << e.what();
  }
  try {
    ReadPointsNpz(b);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("n_views has shape [4, 2]"), std::string::npos) << e.what();
  }
}

TEST(AniposeCsv, ColumnsAndValuesFollowAniposeLayout) {
  testing::TempDir dir;
  const PointsFile p = RandomPoints(3, 2, 3);
  const std::string path = dir / "points.csv";
  WriteAniposeCsv(p, path);
  const auto rows = ReadTable(path, ',');
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"j0_x", "j0_y", "j0_z", "j0_error", "j0_ncams", "j0_score", "j1_x",
                                               "j1_y", "j1_z", "j1_error", "j1_ncams", "j1_score", "fnum"}));
  for (int f = 0; f < 3; ++f) {
    const auto& row = rows[static_cast<size_t>(f + 1)];
    ASSERT_EQ(row.size(), 13u);
    EXPECT_EQ(std::stoll(row[12]), p.frame_numbers[static_cast<size_t>(f)]);
    for (int j = 0; j < 2; ++j) {
      const size_t o = static_cast<size_t>(6 * j);
      if (p.points.IsValid(f, j)) {
        for (int k = 0; k < 3; ++k) EXPECT_EQ(std::stod(row[o + static_cast<size_t>(k)]), p.points.at(f, j)(k));
        EXPECT_EQ(std::stod(row[o + 3]), p.reproj_error_px.at(f, j));
        EXPECT_EQ(std::stoi(row[o + 4]), p.n_views.at(f, j));
        EXPECT_EQ(row[o + 5], "1");
      } else {
        EXPECT_EQ(row[o], "");  // pandas reads empty cells as NaN
        EXPECT_EQ(row[o + 4], "0");
        EXPECT_EQ(row[o + 5], "0");
      }
    }
  }
}

TEST(Trc, HeaderAndYUpMillimetres) {
  testing::TempDir dir;
  const PointsFile p = RandomPoints(3, 2, 4);
  const std::string path = dir / "markers.trc";
  TrcOptions options;
  options.fps = 50.0;
  WriteTrc(p, path, options);
  const auto rows = ReadTable(path, '\t');
  ASSERT_EQ(rows.size(), 9u);  // 5 header lines, a blank line, 3 frames
  EXPECT_EQ(rows[0][0], "PathFileType");
  EXPECT_EQ(rows[0][3], "markers.trc");
  EXPECT_EQ(rows[2][2], "3");   // NumFrames
  EXPECT_EQ(rows[2][3], "2");   // NumMarkers
  EXPECT_EQ(rows[2][4], "mm");
  EXPECT_EQ(rows[3][2], "j0");
  EXPECT_EQ(rows[3][5], "j1");
  EXPECT_EQ(rows[4][2], "X1");
  EXPECT_EQ(rows[4][7], "Z2");
  for (int f = 0; f < 3; ++f) {
    const auto& row = rows[static_cast<size_t>(6 + f)];
    const int64_t frame = p.frame_numbers[static_cast<size_t>(f)] - p.frame_numbers[0] + 1;
    EXPECT_EQ(std::stoll(row[0]), frame);
    EXPECT_NEAR(std::stod(row[1]), (frame - 1) / 50.0, 1e-9);
    for (int j = 0; j < 2; ++j) {
      const size_t o = 2 + static_cast<size_t>(3 * j);
      if (!p.points.IsValid(f, j)) {
        EXPECT_TRUE(o >= row.size() || row[o].empty());
        continue;
      }
      const Eigen::Vector3d& x = p.points.at(f, j);
      EXPECT_NEAR(std::stod(row[o]), 1000 * x.x(), 1e-5);
      EXPECT_NEAR(std::stod(row[o + 1]), 1000 * x.z(), 1e-5);   // up
      EXPECT_NEAR(std::stod(row[o + 2]), -1000 * x.y(), 1e-5);  // right-handed
    }
  }
}

}  // namespace
}  // namespace epilabel
