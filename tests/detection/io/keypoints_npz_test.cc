#include "detection/io/keypoints_npz.h"

#include <filesystem>
#include <algorithm>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <tbb/task_arena.h>

#include "detection/io/calibration_io.h"
#include "detection/io/camera_matching.h"
#include "detection/io/keypoint_io.h"
#include "detection/skeleton.h"
#include "foundation/error.h"
#include "foundation/npz.h"
#include "tests/detection/io/keypoint_test_util.h"
#include "tests/testing.h"

namespace fs = std::filesystem;

namespace epilabel {
namespace {

using testing::CocoTemplate;
using testing::ExpectSameSequence;
using testing::kOnePerson17;
using testing::Pose2SimDir;
using testing::RandomSequence;
using testing::ReadError;
using testing::WriteText;

// The sequence with only the most confident person of each camera and frame.
KeypointSequence MostConfidentOnly(KeypointSequence seq) {
  for (auto& cam : seq.cameras) {
    for (auto& people : cam.people) {
      if (people.size() < 2) continue;
      auto best = std::max_element(people.begin(), people.end(), [](const Person2d& a, const Person2d& b) {
        return a.TotalConfidence() < b.TotalConfidence();
      });
      people = {*best};
    }
  }
  return seq;
}

// The sequence as the reader returns it: every camera lists the union of frames.
KeypointSequence OnUnionOfFrames(const KeypointSequence& seq) {
  KeypointSequence out = seq;
  const std::vector<int64_t> all = seq.AllFrameNumbers();
  for (size_t c = 0; c < seq.cameras.size(); ++c) {
    out.cameras[c].frame_numbers = all;
    out.cameras[c].people.assign(all.size(), {});
    for (size_t i = 0; i < seq.cameras[c].frame_numbers.size(); ++i) {
      const size_t f = static_cast<size_t>(
          std::lower_bound(all.begin(), all.end(), seq.cameras[c].frame_numbers[i]) - all.begin());
      out.cameras[c].people[f] = seq.cameras[c].people[i];
    }
  }
  return out;
}

std::string RunPython(const testing::TempDir& dir, const std::string& code, const std::string& args) {
  const std::string script = dir / "check.py";
  std::ofstream(script) << "import numpy as np, sys\n" << code << "print('ok')\n";
  const auto r = testing::Run(testing::PythonWithNumpy() + " " + script + " " + args);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return r.output;
}

TEST(KeypointsNpz, OnePersonRoundTripKeepsValuesAndSizes) {
  testing::TempDir dir;
  KeypointSequence seq = MostConfidentOnly(RandomSequence(6));
  seq.cameras[0].width = 1920;
  seq.cameras[0].height = 1080;
  const std::string path = dir / "keypoints2d.npz";
  WriteKeypointsNpz(seq, path);
  EXPECT_EQ(ReadNpz(path).at("keypoints2d").shape.size(), 4u);
  const KeypointSequence back = ReadKeypoints(path);
  EXPECT_EQ(back.skeleton, "coco17");  // from joint_names
  EXPECT_EQ(back.cameras[0].width, 1920);
  EXPECT_EQ(back.cameras[1].height, 0);
  ExpectSameSequence(OnUnionOfFrames(seq), back);
}

TEST(KeypointsNpz, OnePersonFileIsTheDocumentedLayoutByteForByte) {
  // The one-person layout must stay exactly what it was: built here from its documentation.
  testing::TempDir dir;
  const KeypointSequence seq = MostConfidentOnly(RandomSequence(9, 2, 8));
  WriteKeypointsNpz(seq, dir / "written.npz");
  const ObservationTable table = ToObservations(seq);
  std::vector<double> values;
  for (const Eigen::Vector3d& k : table.observations.data()) values.insert(values.end(), {k.x(), k.y(), k.z()});
  const int64_t nf = static_cast<int64_t>(table.frame_numbers.size());
  NpzWriter expected(dir / "expected.npz");
  expected.Add("keypoints2d", NpyArray::FromVector(values, {2, nf, 17, 3}));
  expected.Add("camera_names", NpyArray::FromStrings({"cam_1", "cam_2"}));
  expected.Add("frame_numbers", NpyArray::FromVector(table.frame_numbers, {nf}));
  expected.Add("joint_names", NpyArray::FromStrings(GetSkeleton("coco17").joint_names));
  expected.Add("image_sizes", NpyArray::FromVector(std::vector<int32_t>(4, 0), {2, 2}));
  expected.Close();
  auto bytes = [](const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  EXPECT_EQ(bytes(dir / "written.npz"), bytes(dir / "expected.npz"));
}

TEST(KeypointsNpz, MultiPersonRoundTripKeepsEveryone) {
  testing::TempDir dir;
  // 0-2 people per frame, frames missing in one camera, ~10% missing joints.
  const KeypointSequence seq = RandomSequence(6);
  const std::string path = dir / "keypoints2d.npz";
  WriteKeypointsNpz(seq, path);
  const auto npz = ReadNpz(path);
  const std::vector<int64_t> frames = seq.AllFrameNumbers();
  EXPECT_EQ(npz.at("keypoints2d").shape, (std::vector<int64_t>{3, static_cast<int64_t>(frames.size()), 2, 17, 3}));
  const KeypointSequence back = ReadKeypoints(path);
  ExpectSameSequence(OnUnionOfFrames(seq), back);
  size_t several = 0, nobody = 0;
  for (const auto& people : back.cameras[0].people) {
    several += people.size() > 1 ? 1 : 0;
    nobody += people.empty() ? 1 : 0;
  }
  EXPECT_GT(several, 0u);
  EXPECT_GT(nobody, 0u);
}

TEST(KeypointsNpz, MultiPersonDropsUndetectedPeopleAndMasksJoints) {
  testing::TempDir dir;
  KeypointSequence seq = MostConfidentOnly(RandomSequence(7, 1, 4));
  Person2d ghost;  // nobody: no confidence anywhere; does not count towards the layout
  ghost.joints.assign(17, Eigen::Vector3d(5, 6, 0));
  Person2d second = seq.cameras[0].people[1].at(0);
  second.joints[3] = Eigen::Vector3d(7, 8, 0);  // a coordinate without confidence: missing
  second.joints[4] = Eigen::Vector3d(kNaN, 1, 1);
  seq.cameras[0].people[1] = {ghost, seq.cameras[0].people[1][0], second};
  const std::string path = dir / "k.npz";
  WriteKeypointsNpz(seq, path);
  EXPECT_EQ(ReadNpz(path).at("keypoints2d").shape, (std::vector<int64_t>{1, 4, 2, 17, 3}));
  const KeypointSequence back = ReadKeypoints(path);
  ASSERT_EQ(back.cameras[0].people[1].size(), 2u);
  EXPECT_EQ(back.cameras[0].people[1][0].joints, seq.cameras[0].people[1][1].joints);
  EXPECT_EQ(back.cameras[0].people[1][1].joints[3], Eigen::Vector3d::Zero());
  EXPECT_EQ(back.cameras[0].people[1][1].joints[4], Eigen::Vector3d::Zero());
  EXPECT_EQ(back.cameras[0].people[1][1].joints[5], second.joints[5]);
  // With the ghost alone beside one person the one-person layout is kept.
  seq.cameras[0].people[1] = {ghost, second};
  WriteKeypointsNpz(seq, path);
  EXPECT_EQ(ReadNpz(path).at("keypoints2d").shape.size(), 4u);
}

TEST(KeypointsNpz, NumpyLoadsShapesAndValues) {
  testing::TempDir dir;
  const KeypointSequence seq = MostConfidentOnly(RandomSequence(8, 2, 6));
  const std::string path = dir / "keypoints2d.npz";
  WriteKeypointsNpz(seq, path);
  const ObservationTable table = ToObservations(seq);
  const Eigen::Vector3d& probe = table.observations.at(1, 2, 5);
  char args[200];
  std::snprintf(args, sizeof(args), " %.17g %.17g %.17g", probe.x(), probe.y(), probe.z());
  const std::string out = RunPython(
      dir,
      "z = np.load(sys.argv[1])\n"
      "k = z['keypoints2d']\n"
      "assert k.shape == (2, 6, 17, 3) and k.dtype == np.float64, (k.shape, k.dtype)\n"
      "assert list(z['camera_names']) == ['cam_1', 'cam_2'], z['camera_names']\n"
      "assert list(z['frame_numbers']) == list(range(100, 106)), z['frame_numbers']\n"
      "assert z['frame_numbers'].dtype == np.int64\n"
      "assert z['joint_names'][0] == 'nose' and len(z['joint_names']) == 17\n"
      "assert z['image_sizes'].shape == (2, 2) and z['image_sizes'].dtype == np.int32\n"
      "assert np.allclose(k[1, 2, 5], [float(v) for v in sys.argv[2:5]], rtol=0, atol=1e-12), k[1, 2, 5]\n",
      path + args);
  EXPECT_NE(out.find("ok"), std::string::npos) << out;
}

TEST(KeypointsNpz, NumpyLoadsTheMultiPersonLayout) {
  testing::TempDir dir;
  const KeypointSequence seq = RandomSequence(8, 2, 6);  // two people in frames 100 and 103
  const std::string path = dir / "keypoints2d.npz";
  WriteKeypointsNpz(seq, path);
  const Eigen::Vector3d& probe = seq.cameras[0].people[3][1].joints[0];  // frame 103, second person
  char args[200];
  std::snprintf(args, sizeof(args), " %.17g %.17g %.17g", probe.x(), probe.y(), probe.z());
  const std::string out = RunPython(
      dir,
      "z = np.load(sys.argv[1])\n"
      "k = z['keypoints2d']\n"
      "assert k.shape == (2, 6, 2, 17, 3) and k.dtype == np.float64, (k.shape, k.dtype)\n"
      "assert np.all(k[:, 4, 1] == 0) and np.all(k[:, 4, 0] == 0), 'frame 104 has nobody'\n"
      "assert np.all(k[:, 1, 1] == 0) and np.any(k[0, 1, 0, :, 2] > 0), 'frame 101 has one person'\n"
      "assert np.array_equal(k[0, 3, 1, 0], [float(v) for v in sys.argv[2:5]]), k[0, 3, 1, 0]\n",
      path + args);
  EXPECT_NE(out.find("ok"), std::string::npos) << out;
}

TEST(KeypointsNpz, ReadsTheMultiPersonLayoutFromNumpy) {
  testing::TempDir dir;
  const std::string good = dir / "good.npz", bad = dir / "bad.npz";
  const auto r = testing::Run(
      testing::PythonWithNumpy() +
      " -c \"import numpy as np; k = np.zeros((2, 3, 4, 17, 3)); k[0, 1, 2, 4] = [10, 20, 0.5]; "
      "k[0, 1, 0, 5] = [1, 2, 0.25]; k[1, 2, 3, 16] = [3, 4, 1]; "
      "np.savez('" + good + "', keypoints2d=k, frame_numbers=np.array([5, 9, 12])); "
      "k[1, 2, 3, 7, 1] = np.inf; np.savez('" + bad + "', keypoints2d=k)\"");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const KeypointSequence seq = ReadKeypoints(good);
  EXPECT_EQ(seq.skeleton, "coco17");
  ASSERT_EQ(seq.cameras.size(), 2u);
  EXPECT_EQ(seq.cameras[0].frame_numbers, (std::vector<int64_t>{5, 9, 12}));
  EXPECT_TRUE(seq.cameras[0].people[0].empty());
  ASSERT_EQ(seq.cameras[0].people[1].size(), 2u);  // slots 0 and 2, in slot order
  EXPECT_EQ(seq.cameras[0].people[1][0].joints[5], Eigen::Vector3d(1, 2, 0.25));
  EXPECT_EQ(seq.cameras[0].people[1][1].joints[4], Eigen::Vector3d(10, 20, 0.5));
  ASSERT_EQ(seq.cameras[1].people[2].size(), 1u);
  EXPECT_EQ(seq.cameras[1].people[2][0].joints[16], Eigen::Vector3d(3, 4, 1));
  const std::string msg = ReadError(bad);
  EXPECT_NE(msg.find("bad.npz: keypoints2d[1, 2, 3, 7] is infinite"), std::string::npos) << msg;
}

TEST(KeypointsNpz, WrongShapesNameTheFileAndTheShape) {
  testing::TempDir dir;
  NpzWriter w(dir / "rank3.npz");
  w.Add("keypoints2d", NpyArray::FromVector(std::vector<double>(6, 0.0), {1, 2, 3}));
  w.Close();
  EXPECT_NE(ReadError(dir / "rank3.npz").find("rank3.npz: keypoints2d has shape [1, 2, 3], expected"),
            std::string::npos)
      << ReadError(dir / "rank3.npz");
  NpzWriter v(dir / "last.npz");
  v.Add("keypoints2d", NpyArray::FromVector(std::vector<double>(16, 0.0), {1, 2, 2, 2, 2}));
  v.Close();
  EXPECT_NE(ReadError(dir / "last.npz").find("keypoints2d has shape [1, 2, 2, 2, 2]"), std::string::npos);
}

TEST(KeypointsNpz, ReadsWhatNumpyWritesAndRejectsNaN) {
  testing::TempDir dir;
  const std::string good = dir / "good.npz", bad = dir / "bad.npz", size = dir / "size.npz";
  const auto r = testing::Run(
      testing::PythonWithNumpy() + " -c \"import numpy as np; k = np.zeros((2, 3, 17, 3)); k[0, 1, 4] = [10, 20, 0.5]; "
                                   "np.savez('" + good + "', keypoints2d=k, camera_names=np.array(['a', 'b'])); "
                                   "np.savez('" + size + "', keypoints2d=k, image_sizes=np.array([[640, -480], [640, 480]])); "
                                   "k[1, 2, 3, 0] = np.nan; np.savez('" + bad + "', keypoints2d=k)\"");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const KeypointSequence seq = ReadKeypoints(good);
  EXPECT_EQ(seq.skeleton, "coco17");
  ASSERT_EQ(seq.cameras.size(), 2u);
  EXPECT_EQ(seq.cameras[1].name, "b");
  EXPECT_EQ(seq.cameras[0].frame_numbers, (std::vector<int64_t>{0, 1, 2}));  // default numbering
  EXPECT_EQ(seq.cameras[0].people[1].size(), 1u);
  EXPECT_EQ(seq.cameras[0].people[0].size(), 0u);
  EXPECT_EQ(seq.cameras[0].people[1][0].joints[4], Eigen::Vector3d(10, 20, 0.5));
  const std::string msg = ReadError(bad);
  EXPECT_NE(msg.find("bad.npz"), std::string::npos) << msg;
  EXPECT_NE(msg.find("keypoints2d[1, 2, 3] is NaN"), std::string::npos) << msg;
  EXPECT_NE(ReadError(size).find("size.npz: image_sizes holds an invalid size -480"), std::string::npos)
      << ReadError(size);
  KeypointReadOptions options;
  options.skeleton = "body25";
  EXPECT_NE(ReadError(good, options).find("skeleton 'body25' has 25"), std::string::npos);
}

TEST(KeypointsNpz, TimestampsRoundTripAndFillTheFramesACameraLacks) {
  testing::TempDir dir;
  KeypointSequence seq = MostConfidentOnly(RandomSequence(4));  // cam_2 lacks frames 103, 110, 117
  for (CameraKeypoints& cam : seq.cameras) {
    if (cam.name == "cam_3") continue;  // no timestamps
    for (int64_t f : cam.frame_numbers) cam.timestamps_s.push_back(0.5 + (f - 100) / 30.0 + (f % 2) * 0.004);
  }
  const std::string path = dir / "keypoints2d.npz";
  WriteKeypointsNpz(seq, path);
  const KeypointSequence back = ReadKeypoints(path);
  EXPECT_EQ(back.cameras[0].timestamps_s, seq.cameras[0].timestamps_s);
  ASSERT_EQ(back.cameras[1].timestamps_s.size(), 20u);
  EXPECT_EQ(back.cameras[1].timestamps_s[2], seq.cameras[1].timestamps_s[2]);
  // Frame 103 of cam_2 (missing): halfway between 102 and 104 in frame number.
  EXPECT_NEAR(back.cameras[1].timestamps_s[3], 0.5 * (seq.cameras[1].timestamps_s[2] + seq.cameras[1].timestamps_s[3]),
              1e-15);
  EXPECT_TRUE(back.cameras[2].timestamps_s.empty());
  // numpy sees NaN for the camera without.
  RunPython(dir, "z = np.load(sys.argv[1]); t = z['timestamps_s']\n"
                 "assert t.shape == (3, 20) and t.dtype == np.float64, t.shape\n"
                 "assert np.isnan(t[2]).all() and np.isfinite(t[:2]).all()\n", path);
  // No timestamps anywhere: no array (the file is what it always was).
  WriteKeypointsNpz(MostConfidentOnly(RandomSequence(4)), path);
  EXPECT_EQ(ReadNpz(path).count("timestamps_s"), 0u);
}

TEST(KeypointsNpz, TimestampsThatArePartlyNaNOrNotIncreasingAreRejected) {
  testing::TempDir dir;
  const std::string nan = dir / "nan.npz", back = dir / "back.npz", shape = dir / "shape.npz";
  const auto r = testing::Run(
      testing::PythonWithNumpy() + " -c \"import numpy as np; k = np.zeros((2, 3, 17, 3)); "
                                   "t = np.array([[0, 0.1, 0.2], [np.nan] * 3]); np.savez('" + dir / "ok.npz" + "', keypoints2d=k, timestamps_s=t); "
                                   "t[0, 1] = np.nan; np.savez('" + nan + "', keypoints2d=k, timestamps_s=t); "
                                   "t[0, 1] = 0.3; np.savez('" + back + "', keypoints2d=k, timestamps_s=t); "
                                   "np.savez('" + shape + "', keypoints2d=k, timestamps_s=t[:, :2])\"");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const KeypointSequence ok = ReadKeypoints(dir / "ok.npz");
  EXPECT_EQ(ok.cameras[0].timestamps_s, (std::vector<double>{0.0, 0.1, 0.2}));
  EXPECT_TRUE(ok.cameras[1].timestamps_s.empty());
  EXPECT_NE(ReadError(nan).find("nan.npz: timestamps_s[0]: timestamp 1 is not a finite number"), std::string::npos)
      << ReadError(nan);
  EXPECT_NE(ReadError(back).find("back.npz: timestamps_s[0]: timestamps are not increasing at index 2"),
            std::string::npos)
      << ReadError(back);
  EXPECT_NE(ReadError(shape).find("shape.npz: timestamps_s has shape [2, 2]"), std::string::npos) << ReadError(shape);
}

}  // namespace
}  // namespace epilabel
