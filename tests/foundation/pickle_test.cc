#include "foundation/pickle.h"

#include <fstream>

#include <gtest/gtest.h>

#include "tests/testing.h"

namespace epilabel {
namespace {

TEST(Pickle, NumpyLoadsNestedDictsOfArraysAsVideoPose3DDoes) {
  testing::TempDir dir;
  PickleValue root = PickleValue::Dict();
  std::vector<float> a = {1.5f, -2.0f, 3.25f, 4.0f, 5.0f, 6.0f};
  root["S1"].Set("walk", PickleValue::Array(NpyArray::FromVector(a, {1, 2, 3})));
  PickleValue cams = PickleValue::List();
  cams.Append(PickleValue::Array(NpyArray::FromVector(std::vector<double>{7.0, 8.0}, {2, 1})));
  cams.Append(PickleValue::Array(NpyArray::FromVector(std::vector<int64_t>{-1, 3000000000LL}, {2})));
  root["S1"].Set("cams", cams);
  root.Set("meta", PickleValue::Dict());
  root["meta"].Set("name", PickleValue::String("coco"));
  root["meta"].Set("n", PickleValue::Int(17));
  root["meta"].Set("x", PickleValue::Float(0.125));
  root["meta"].Set("ok", PickleValue::Bool(true));
  root["meta"].Set("none", PickleValue::None());
  NpzWriter w(dir / "d.npz");
  w.Add("positions", NpyArray::FromPickle(ToNumpyObjectArrayPickle(root)));
  w.Close();
  const std::string script = dir / "check.py";
  std::ofstream(script) << "import numpy as np, sys\n"
                           "d = np.load(sys.argv[1], allow_pickle=True)['positions'].item()\n"
                           "a = d['S1']['walk']\n"
                           "assert a.shape == (1, 2, 3) and a.dtype == np.float32\n"
                           "assert a[0, 1, 0] == 4.0 and a[0, 0, 2] == 3.25\n"
                           "a[0, 0, 0] += 1  # writable, as VideoPose3D normalises in place\n"
                           "c = d['S1']['cams']\n"
                           "assert c[0].shape == (2, 1) and c[0][1, 0] == 8.0 and c[1][1] == 3000000000\n"
                           "m = d['meta']\n"
                           "assert m == {'name': 'coco', 'n': 17, 'x': 0.125, 'ok': True, 'none': None}, m\n"
                           "print('ok')\n";
  const auto r = testing::Run(testing::PythonWithNumpy() + " " + script + " " + (dir / "d.npz"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("ok"), std::string::npos) << r.output;
}

TEST(Pickle, DictKeysKeepOrderAndReplace) {
  PickleValue d = PickleValue::Dict();
  d.Set("b", PickleValue::Int(1));
  d.Set("a", PickleValue::Int(2));
  d.Set("b", PickleValue::Int(3));
  const std::string s = d.Serialize();
  // "b" is written before "a", once.
  EXPECT_LT(s.find('b'), s.find('a'));
  const std::string key_b("X\x01\x00\x00\x00" "b", 6);
  EXPECT_EQ(s.find(key_b, s.find(key_b) + 1), std::string::npos);
}

}  // namespace
}  // namespace epilabel
