#include "foundation/npz.h"

#include <fstream>

#include <gtest/gtest.h>

#include "foundation/error.h"
#include "tests/testing.h"

namespace epilabel {
namespace {

TEST(Npz, RoundTripKeepsShapesTypesAndValues) {
  testing::TempDir dir;
  const std::string path = dir / "a.npz";
  std::vector<double> d(2 * 3 * 4);
  for (size_t i = 0; i < d.size(); ++i) d[i] = 0.5 * static_cast<double>(i) - 3.0;
  std::vector<int32_t> ints = {1, -2, 3};
  NpzWriter w(path);
  w.Add("d", NpyArray::FromVector(d, {2, 3, 4}));
  w.Add("i", NpyArray::FromVector(ints, {3}));
  w.Add("names", NpyArray::FromStrings({"left_wrist", "nose"}));
  w.Close();
  const auto npz = ReadNpz(path);
  ASSERT_EQ(npz.size(), 3u);
  EXPECT_EQ(npz.at("d").shape, (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(npz.at("d").ToDoubles(), d);
  EXPECT_EQ(npz.at("i").ToInt64(), (std::vector<int64_t>{1, -2, 3}));
  EXPECT_EQ(npz.at("names").ToStrings(), (std::vector<std::string>{"left_wrist", "nose"}));
}

TEST(Npz, NumpyLoadsWhatWeWrite) {
  testing::TempDir dir;
  const std::string path = dir / "b.npz";
  std::vector<float> f = {1.5f, -2.25f, 3.0f, 4.0f, 5.0f, 6.0f};
  NpzWriter w(path, /*compress=*/true);
  w.Add("f", NpyArray::FromVector(f, {3, 2}));
  w.Add("s", NpyArray::FromStrings({"cam_01", "cam_2"}));
  w.Close();
  const std::string script = dir / "check.py";
  std::ofstream(script) << "import numpy as np, sys\n"
                           "z = np.load(sys.argv[1])\n"
                           "assert z['f'].shape == (3, 2) and z['f'].dtype == np.float32, z['f']\n"
                           "assert z['f'][0, 1] == -2.25 and z['f'][2, 1] == 6.0\n"
                           "assert list(z['s']) == ['cam_01', 'cam_2']\n"
                           "print('ok')\n";
  const auto r = testing::Run(testing::PythonWithNumpy() + " " + script + " " + path);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("ok"), std::string::npos);
}

TEST(Npz, ReadsWhatNumpyWrites) {
  testing::TempDir dir;
  const std::string path = dir / "c.npz";
  const auto r = testing::Run(testing::PythonWithNumpy() +
                              " -c \"import numpy as np; np.savez('" + path +
                              "', a=np.arange(6, dtype=np.int64).reshape(2,3), b=np.array([0.25, 0.5]), "
                              "n=np.array(['x','yz']))\"");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto npz = ReadNpz(path);
  EXPECT_EQ(npz.at("a").shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(npz.at("a").ToInt64(), (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(npz.at("b").ToDoubles(), (std::vector<double>{0.25, 0.5}));
  EXPECT_EQ(npz.at("n").ToStrings(), (std::vector<std::string>{"x", "yz"}));
}

TEST(Npz, MissingOrCorruptFilesAreInputErrors) {
  testing::TempDir dir;
  EXPECT_THROW(ReadNpz(dir / "nope.npz"), InputError);
  std::ofstream(dir / "bad.npz") << "this is not a zip";
  try {
    ReadNpz(dir / "bad.npz");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.npz"), std::string::npos);
  }
}

TEST(Npz, FailedWriteLeavesNoFile) {
  testing::TempDir dir;
  // A folder where the file should go makes the rename fail; nothing half-written remains.
  std::filesystem::create_directories(dir.path() / "out.npz" / "x");
  NpzWriter w(dir / "out.npz");
  w.Add("a", NpyArray::FromVector(std::vector<double>{1.0}, {1}));
  EXPECT_ANY_THROW(w.Close());
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) files += e.is_regular_file() ? 1 : 0;
  EXPECT_EQ(files, 0);
}

}  // namespace
}  // namespace epilabel
