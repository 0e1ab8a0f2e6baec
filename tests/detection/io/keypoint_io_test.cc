#include "detection/io/keypoint_io.h"

#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <tbb/task_arena.h>

#include "detection/io/calibration_io.h"
#include "detection/io/camera_matching.h"
#include "foundation/npz.h"
#include "detection/skeleton.h"
#include "foundation/error.h"
#include "tests/testing.h"

namespace fs = std::filesystem;

namespace epilabel {
namespace {

std::string Pose2SimDir() { return testing::SourceDir() + "/tests/data/pose2sim_static"; }

void WriteText(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

// A COCO-17 stick figure (pixels), about 400 px tall, around (0, 0).
const std::vector<Eigen::Vector2d>& CocoTemplate() {
  static const std::vector<Eigen::Vector2d> t = {
      {0, -170}, {-8, -178}, {8, -178}, {-18, -172}, {18, -172}, {-45, -120}, {45, -120}, {-60, -50}, {60, -50},
      {-65, 20}, {65, 20},   {-30, 0},  {30, 0},     {-32, 100}, {32, 100},   {-34, 200}, {34, 200}};
  return t;
}

// A multi-person COCO-17 sequence: cameras with different frame sets, 0-2 people per frame,
// some missing joints.
KeypointSequence RandomSequence(uint32_t seed, int num_cameras = 3, int num_frames = 20) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  KeypointSequence seq;
  seq.skeleton = "coco17";
  seq.num_joints = 17;
  for (int c = 0; c < num_cameras; ++c) {
    CameraKeypoints cam;
    cam.name = "cam_" + std::to_string(c + 1);
    for (int f = 0; f < num_frames; ++f) {
      if (c == 1 && f % 7 == 3) continue;  // frames missing on disk
      cam.frame_numbers.push_back(100 + f);
      std::vector<Person2d> people;
      const int n = f % 5 == 4 ? 0 : (f % 3 == 0 ? 2 : 1);
      for (int p = 0; p < n; ++p) {
        Person2d person;
        const Eigen::Vector2d centre(300 + 600 * p + 50 * u(rng), 400 + 30 * u(rng));
        for (const auto& t : CocoTemplate()) {
          if (u(rng) < 0.1) {
            person.joints.emplace_back(0.0, 0.0, 0.0);
          } else {
            const Eigen::Vector2d xy = centre + t + Eigen::Vector2d(u(rng), u(rng)) * 5.0;
            person.joints.emplace_back(xy.x(), xy.y(), 0.3 + 0.7 * u(rng));
          }
        }
        people.push_back(std::move(person));
      }
      cam.people.push_back(std::move(people));
    }
    seq.cameras.push_back(std::move(cam));
  }
  return seq;
}

void ExpectSameSequence(const KeypointSequence& a, const KeypointSequence& b) {
  EXPECT_EQ(a.skeleton, b.skeleton);
  EXPECT_EQ(a.num_joints, b.num_joints);
  ASSERT_EQ(a.cameras.size(), b.cameras.size());
  for (size_t c = 0; c < a.cameras.size(); ++c) {
    const CameraKeypoints& x = a.cameras[c];
    const CameraKeypoints& y = b.cameras[c];
    EXPECT_EQ(x.name, y.name);
    ASSERT_EQ(x.frame_numbers, y.frame_numbers) << x.name;
    for (size_t i = 0; i < x.people.size(); ++i) {
      ASSERT_EQ(x.people[i].size(), y.people[i].size()) << x.name << " frame " << x.frame_numbers[i];
      for (size_t p = 0; p < x.people[i].size(); ++p) {
        ASSERT_EQ(x.people[i][p].joints.size(), y.people[i][p].joints.size());
        for (size_t j = 0; j < x.people[i][p].joints.size(); ++j) {
          EXPECT_EQ(x.people[i][p].joints[j], y.people[i][p].joints[j]) << x.name << " frame " << i << " joint " << j;
        }
      }
    }
  }
}

std::string ReadError(const std::string& path, const KeypointReadOptions& options = {}) {
  try {
    ReadKeypoints(path, options);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

const char* kOnePerson17 =
    R"({"version":1.3,"people":[{"person_id":[-1],"pose_keypoints_2d":[1,2,0.5,3,4,0.5,5,6,0.5,7,8,0.5,9,10,0.5,11,12,0.5,13,14,0.5,15,16,0.5,17,18,0.5,19,20,0.5,21,22,0.5,23,24,0.5,25,26,0.5,27,28,0.5,29,30,0.5,31,32,0.5,33,34,0.5]}]})";

TEST(FrameNumberFromFileName, TakesTheLastDigitGroup) {
  EXPECT_EQ(FrameNumberFromFileName("Static_cam_01.00003.json"), 3);
  EXPECT_EQ(FrameNumberFromFileName("000012_keypoints.json"), 12);
  EXPECT_EQ(FrameNumberFromFileName("cam_2_000000000123_keypoints.json"), 123);
  EXPECT_EQ(FrameNumberFromFileName("video7_frame0_keypoints.json"), 0);
  EXPECT_EQ(FrameNumberFromFileName("/some/dir/5/frame_keypoints.json"), -1);
  EXPECT_EQ(FrameNumberFromFileName("frame.json"), -1);
}

TEST(OpenPoseReader, ReadsThePose2SimBody25bSample) {
  const std::string root = Pose2SimDir() + "/pose";
  const KeypointSequence seq = ReadKeypoints(root);
  EXPECT_EQ(seq.skeleton, "body25b");  // guessed: joints 1-4 (eyes, ears) are never detected here
  EXPECT_EQ(seq.num_joints, 25);
  ASSERT_EQ(seq.cameras.size(), 4u);
  std::vector<std::string> names;
  for (const auto& cam : seq.cameras) names.push_back(cam.name);
  EXPECT_EQ(names, (std::vector<std::string>{"cam01_json", "cam02_json", "cam03_json", "cam04_json"}));
  // Every value equals what an independent JSON parser reads from the same files.
  for (const auto& cam : seq.cameras) {
    ASSERT_EQ(cam.frame_numbers.size(), 12u);
    for (size_t i = 0; i < 12; ++i) {
      EXPECT_EQ(cam.frame_numbers[i], static_cast<int64_t>(i));
      char file[64];
      std::snprintf(file, sizeof(file), "Static_cam_%s.%05zu.json", cam.name.substr(3, 2).c_str(), i);
      std::ifstream in(root + "/" + cam.name + "/" + file);
      ASSERT_TRUE(in) << file;
      const nlohmann::json doc = nlohmann::json::parse(in);
      ASSERT_EQ(cam.people[i].size(), doc["people"].size());
      for (size_t p = 0; p < cam.people[i].size(); ++p) {
        const auto& values = doc["people"][p]["pose_keypoints_2d"];
        ASSERT_EQ(values.size(), 75u);
        for (size_t j = 0; j < 25; ++j) {
          for (int k = 0; k < 3; ++k) {
            EXPECT_EQ(cam.people[i][p].joints[j](k), values[3 * j + static_cast<size_t>(k)].get<double>());
          }
        }
      }
    }
  }
  // The folders match the calibration's camera names by number.
  const Rig rig = ReadCalibrationToml(Pose2SimDir() + "/Calib_qualisys.toml");
  std::vector<std::string> calib;
  for (const auto& c : rig) calib.push_back(c.name);
  EXPECT_EQ(MatchCameraNames(names, calib, root), (std::vector<int>{0, 1, 2, 3}));
}

TEST(OpenPoseReader, ExplicitSkeletonAndCameraSubset) {
  KeypointReadOptions options;
  options.skeleton = "body25";  // same joint count: the caller may insist
  options.cameras = {"cam03_json", "cam01_json"};
  const KeypointSequence seq = ReadOpenPoseFolder(Pose2SimDir() + "/pose", options);
  EXPECT_EQ(seq.skeleton, "body25");
  ASSERT_EQ(seq.cameras.size(), 2u);
  EXPECT_EQ(seq.cameras[0].name, "cam03_json");
  options.cameras = {"cam09_json"};
  const std::string msg = ReadError(Pose2SimDir() + "/pose", options);
  EXPECT_NE(msg.find("no camera 'cam09_json'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cam04_json"), std::string::npos) << msg;
}

TEST(OpenPoseReader, SingleCameraFolderIsOneCamera) {
  const KeypointSequence seq = ReadKeypoints(Pose2SimDir() + "/pose/cam02_json");
  ASSERT_EQ(seq.cameras.size(), 1u);
  EXPECT_EQ(seq.cameras[0].name, "cam02_json");
  EXPECT_EQ(seq.cameras[0].frame_numbers.size(), 12u);
}

TEST(OpenPoseReader, ResultDoesNotDependOnThreadCount) {
  testing::TempDir dir;
  const KeypointSequence seq = RandomSequence(5, 4, 60);
  WriteOpenPoseFolder(seq, dir / "pose");
  KeypointSequence one;
  tbb::task_arena arena(1);
  arena.execute([&] { one = ReadOpenPoseFolder(dir / "pose"); });
  const KeypointSequence all = ReadOpenPoseFolder(dir / "pose");
  ExpectSameSequence(one, all);
}

TEST(OpenPoseRoundTrip, KeepsEveryPersonFrameAndValue) {
  testing::TempDir dir;
  const KeypointSequence seq = RandomSequence(1);
  size_t calls = 0;
  KeypointReadOptions options;
  options.progress = [&](const std::string&, size_t done, size_t total) {
    EXPECT_LE(done, total);
    ++calls;
  };
  WriteOpenPoseFolder(seq, dir / "pose");
  // OpenPose's naming: <camera>_<12-digit frame>_keypoints.json.
  EXPECT_TRUE(fs::exists(dir / "pose/cam_2/cam_2_000000000100_keypoints.json"));
  const KeypointSequence back = ReadKeypoints(dir / "pose", options);
  EXPECT_GT(calls, 0u);
  ExpectSameSequence(seq, back);  // also: the skeleton is guessed as coco17
  // Writing again over our own output replaces it.
  const KeypointSequence other = RandomSequence(2);
  WriteOpenPoseFolder(other, dir / "pose");
  ExpectSameSequence(other, ReadKeypoints(dir / "pose"));
}

TEST(OpenPoseWriter, FileLooksLikeOpenPoseOutput) {
  testing::TempDir dir;
  const KeypointSequence seq = RandomSequence(3, 1, 5);
  WriteOpenPoseFolder(seq, dir / "out");
  std::ifstream in(dir / "out/cam_1/cam_1_000000000100_keypoints.json");
  const nlohmann::json doc = nlohmann::json::parse(in);
  EXPECT_EQ(doc["version"].get<double>(), 1.3);
  ASSERT_EQ(doc["people"].size(), 2u);
  EXPECT_EQ(doc["people"][0]["person_id"], nlohmann::json::array({-1}));
  EXPECT_EQ(doc["people"][1]["pose_keypoints_2d"].size(), 51u);
  EXPECT_TRUE(doc["people"][0]["face_keypoints_2d"].empty());
  std::ifstream in2(dir / "out/cam_1/cam_1_000000000104_keypoints.json");
  EXPECT_TRUE(nlohmann::json::parse(in2)["people"].empty());  // frame without people is kept
}

TEST(OpenPoseWriter, RefusesToReplaceAnUnrelatedFolder) {
  testing::TempDir dir;
  WriteText(dir / "precious/notes.txt", "do not delete");
  try {
    WriteOpenPoseFolder(RandomSequence(1), dir / "precious");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("refusing"), std::string::npos);
  }
  EXPECT_TRUE(fs::exists(dir / "precious/notes.txt"));
  // A bad camera name fails before anything is written.
  KeypointSequence bad = RandomSequence(1);
  bad.cameras[0].name = "a/b";
  EXPECT_THROW(WriteOpenPoseFolder(bad, dir / "new"), InputError);
  EXPECT_FALSE(fs::exists(dir / "new"));
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(dir.path())) left.push_back(e.path().filename().string());
  EXPECT_EQ(left, (std::vector<std::string>{"precious"}));
}

TEST(CocoRoundTrip, KeepsPeopleAndFramesWithDetections) {
  testing::TempDir dir;
  const KeypointSequence seq = RandomSequence(4);
  WriteCocoFolder(seq, dir / "coco");
  EXPECT_EQ(DetectKeypointFormat(dir / "coco"), KeypointFormat::kCoco);
  const KeypointSequence back = ReadKeypoints(dir / "coco");
  // COCO results only list frames with someone in them.
  KeypointSequence expected = seq;
  for (auto& cam : expected.cameras) {
    CameraKeypoints kept = cam;
    kept.frame_numbers.clear();
    kept.people.clear();
    for (size_t i = 0; i < cam.people.size(); ++i) {
      if (cam.people[i].empty()) continue;
      kept.frame_numbers.push_back(cam.frame_numbers[i]);
      kept.people.push_back(cam.people[i]);
    }
    cam = kept;
  }
  ExpectSameSequence(expected, back);
  // One file alone is one camera.
  const KeypointSequence single = ReadKeypoints(dir / "coco/cam_2.json");
  ASSERT_EQ(single.cameras.size(), 1u);
  EXPECT_EQ(single.cameras[0].frame_numbers, expected.cameras[1].frame_numbers);
}

TEST(CocoReader, ReadsStringImageIdsAndSkipsOtherCategories) {
  testing::TempDir dir;
  std::string kp = "[";
  for (int j = 0; j < 17; ++j) kp += std::string(j ? "," : "") + std::to_string(10 * j) + ",5,0.9";
  kp += "]";
  WriteText(dir / "coco/front.json", "[{\"image_id\": \"frame_000007.jpg\", \"category_id\": 1, \"keypoints\": " + kp +
                                         ", \"score\": 0.9}, {\"image_id\": 3, \"category_id\": 2, \"keypoints\": [1,2,3]}," +
                                         "{\"image_id\": 2, \"keypoints\": " + kp + "}]");
  const KeypointSequence seq = ReadKeypoints(dir / "coco");
  ASSERT_EQ(seq.cameras.size(), 1u);
  EXPECT_EQ(seq.cameras[0].name, "front");
  EXPECT_EQ(seq.cameras[0].frame_numbers, (std::vector<int64_t>{2, 7}));
  EXPECT_EQ(seq.cameras[0].people[1][0].joints[16], Eigen::Vector3d(160, 5, 0.9));
}

TEST(KeypointsNpz, RoundTripKeepsTheMostConfidentPerson) {
  testing::TempDir dir;
  KeypointSequence seq = RandomSequence(6);
  seq.cameras[0].width = 1920;
  seq.cameras[0].height = 1080;
  const std::string path = dir / "keypoints2d.npz";
  WriteKeypointsNpz(seq, path);
  const KeypointSequence back = ReadKeypoints(path);
  EXPECT_EQ(back.skeleton, "coco17");  // from joint_names
  EXPECT_EQ(back.cameras[0].width, 1920);
  EXPECT_EQ(back.cameras[1].height, 0);
  const ObservationTable a = ToObservations(seq);
  const ObservationTable b = ToObservations(back);
  EXPECT_EQ(a.frame_numbers, b.frame_numbers);
  EXPECT_EQ(a.observations.data(), b.observations.data());
  // Every camera lists the union of frames; frames without anyone have no person.
  for (const auto& cam : back.cameras) EXPECT_EQ(cam.frame_numbers, a.frame_numbers);
}

TEST(KeypointsNpz, NumpyLoadsShapesAndValues) {
  testing::TempDir dir;
  const KeypointSequence seq = RandomSequence(8, 2, 6);
  const std::string path = dir / "keypoints2d.npz";
  WriteKeypointsNpz(seq, path);
  const ObservationTable table = ToObservations(seq);
  const Eigen::Vector3d& probe = table.observations.at(1, 2, 5);
  const std::string script = dir / "check.py";
  std::ofstream(script) << "import numpy as np, sys\n"
                           "z = np.load(sys.argv[1])\n"
                           "k = z['keypoints2d']\n"
                           "assert k.shape == (2, 6, 17, 3) and k.dtype == np.float64, (k.shape, k.dtype)\n"
                           "assert list(z['camera_names']) == ['cam_1', 'cam_2'], z['camera_names']\n"
                           "assert list(z['frame_numbers']) == list(range(100, 106)), z['frame_numbers']\n"
                           "assert z['frame_numbers'].dtype == np.int64\n"
                           "assert z['joint_names'][0] == 'nose' and len(z['joint_names']) == 17\n"
                           "assert z['image_sizes'].shape == (2, 2) and z['image_sizes'].dtype == np.int32\n"
                           "assert np.allclose(k[1, 2, 5], [float(v) for v in sys.argv[2:5]], rtol=0, atol=1e-12), k[1, 2, 5]\n"
                           "print('ok')\n";
  char args[200];
  std::snprintf(args, sizeof(args), " %.17g %.17g %.17g", probe.x(), probe.y(), probe.z());
  const auto r = testing::Run(testing::PythonWithNumpy() + " " + script + " " + path + args);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("ok"), std::string::npos) << r.output;
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

// Bad inputs: each names the file and the problem.
class OpenPoseBadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int f = 0; f < 3; ++f) {
      WriteText(dir_ / ("pose/cam1/cam1_" + std::to_string(f) + "_keypoints.json"), kOnePerson17);
      WriteText(dir_ / ("pose/cam2/cam2_" + std::to_string(f) + "_keypoints.json"), kOnePerson17);
    }
  }
  std::string Expect(const std::string& file, const std::string& text, const std::string& expected) {
    WriteText(dir_ / file, text);
    const std::string msg = ReadError(dir_ / "pose");
    EXPECT_NE(msg.find(dir_ / file), std::string::npos) << "message does not name " << file << ": " << msg;
    EXPECT_NE(msg.find(expected), std::string::npos) << msg;
    return msg;
  }
  testing::TempDir dir_;
};

TEST_F(OpenPoseBadInput, TheGoodFolderReads) {
  const KeypointSequence seq = ReadKeypoints(dir_ / "pose");
  EXPECT_EQ(seq.cameras.size(), 2u);
  EXPECT_EQ(seq.skeleton, "coco17");
}

TEST_F(OpenPoseBadInput, MalformedJson) {
  Expect("pose/cam2/cam2_1_keypoints.json", "{\"version\":1.3,\"people\":[{\"pose_keypoints_2d\":[1,2,", "malformed JSON");
}

TEST_F(OpenPoseBadInput, EmptyFile) { Expect("pose/cam1/cam1_2_keypoints.json", "", "malformed JSON"); }

TEST_F(OpenPoseBadInput, NaN) {
  std::string text = kOnePerson17;
  text.replace(text.find("3,4,0.5"), 1, "NaN");
  Expect("pose/cam2/cam2_0_keypoints.json", text, "NaN on line 1 is not a JSON number");
}

TEST_F(OpenPoseBadInput, ArrayLengthNotMultipleOfThree) {
  Expect("pose/cam1/cam1_1_keypoints.json", R"({"people":[{"pose_keypoints_2d":[1,2,0.5,3,4]}]})",
         "has 5 values, not a multiple of 3");
}

TEST_F(OpenPoseBadInput, JointCountDiffersBetweenFiles) {
  Expect("pose/cam2/cam2_2_keypoints.json", R"({"people":[{"pose_keypoints_2d":[1,2,0.5,3,4,0.5]}]})",
         "has 2 joints, but");
}

TEST_F(OpenPoseBadInput, NonNumberValue) {
  Expect("pose/cam2/cam2_2_keypoints.json", R"({"people":[{"pose_keypoints_2d":[1,"2",0.5]}]})", "is not a number");
}

TEST_F(OpenPoseBadInput, NotOpenPose) {
  Expect("pose/cam1/cam1_0_keypoints.json", R"({"persons":[]})", "no \"people\" array");
}

TEST_F(OpenPoseBadInput, NonNumericFrameName) {
  Expect("pose/cam1/cam_left_keypoints.json", kOnePerson17, "no frame number in the file name");
}

TEST_F(OpenPoseBadInput, DuplicateFrameNumber) {
  Expect("pose/cam1/cam1_0002_keypoints.json", kOnePerson17, "frame 2 appears twice");
}

TEST_F(OpenPoseBadInput, SkeletonMismatch) {
  KeypointReadOptions options;
  options.skeleton = "halpe26";
  const std::string msg = ReadError(dir_ / "pose", options);
  EXPECT_NE(msg.find("has 17 joints per person, but skeleton 'halpe26' has 26"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cam1_0_keypoints.json"), std::string::npos) << msg;
  options.skeleton = "nonsense";
  EXPECT_NE(ReadError(dir_ / "pose", options).find("unknown skeleton 'nonsense'"), std::string::npos);
}

TEST_F(OpenPoseBadInput, UnknownJointCount) {
  for (int f = 0; f < 3; ++f) {
    for (const std::string cam : {"cam1", "cam2"}) {
      WriteText(dir_ / ("pose/" + cam + "/" + cam + "_" + std::to_string(f) + "_keypoints.json"),
                R"({"people":[{"pose_keypoints_2d":[1,2,0.5,3,4,0.5,5,6,0.5]}]})");
    }
  }
  const std::string msg = ReadError(dir_ / "pose");
  EXPECT_NE(msg.find("no skeleton has 3 joints"), std::string::npos) << msg;
}

TEST_F(OpenPoseBadInput, EmptyFolders) {
  fs::create_directories(dir_ / "pose/cam3");
  std::string msg = ReadError(dir_ / "pose");
  EXPECT_NE(msg.find("cam3: no .json files"), std::string::npos) << msg;
  fs::create_directories(dir_ / "empty");
  msg = ReadError(dir_ / "empty");
  EXPECT_NE(msg.find("empty folder"), std::string::npos) << msg;
  EXPECT_NE(ReadError(dir_ / "nowhere").find("not found"), std::string::npos);
}

TEST_F(OpenPoseBadInput, NobodyAnywhereNeedsASkeleton) {
  for (int f = 0; f < 3; ++f) {
    for (const std::string cam : {"cam1", "cam2"}) {
      WriteText(dir_ / ("pose/" + cam + "/" + cam + "_" + std::to_string(f) + "_keypoints.json"), R"({"people":[]})");
    }
  }
  EXPECT_NE(ReadError(dir_ / "pose").find("pass --skeleton"), std::string::npos);
  KeypointReadOptions options;
  options.skeleton = "coco17";
  const KeypointSequence seq = ReadKeypoints(dir_ / "pose", options);
  EXPECT_EQ(seq.num_joints, 17);
  EXPECT_EQ(seq.cameras[0].frame_numbers.size(), 3u);
}

TEST(CocoReader, BadInputsNameTheFile) {
  testing::TempDir dir;
  WriteText(dir / "a/cam1.json", "[{\"image_id\": 1, \"keypoints\": [1, 2]}]");
  std::string msg = ReadError(dir / "a");
  EXPECT_NE(msg.find("cam1.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("entry 0: 'keypoints' has 2 values"), std::string::npos) << msg;
  WriteText(dir / "b/cam1.json", "[{\"keypoints\": [1, 2, 3]}]");
  EXPECT_NE(ReadError(dir / "b").find("has no \"image_id\""), std::string::npos);
  WriteText(dir / "c/cam1.json", "[{\"image_id\": 1, \"keypoints\": [1, 2, 3]},");
  EXPECT_NE(ReadError(dir / "c").find("malformed JSON"), std::string::npos);
}

TEST(SkeletonGuess, TellsBody25FromBody25bByTheLimbs) {
  // The Pose2Sim sample relabelled as BODY_25 (neck at 1 between the shoulders at 2 and 5, etc.)
  // must be recognised as BODY_25.
  const KeypointSequence b = ReadKeypoints(Pose2SimDir() + "/pose");
  const Skeleton& from = GetSkeleton("body25b");
  const Skeleton& to = GetSkeleton("body25");
  KeypointSequence a = b;
  for (auto& cam : a.cameras) {
    for (auto& people : cam.people) {
      for (auto& person : people) {
        std::vector<Eigen::Vector3d> joints(25, Eigen::Vector3d::Zero());
        for (int j = 0; j < 25; ++j) {
          const joint_t k = to.JointIndex(from.joint_names[static_cast<size_t>(j)]);
          if (k >= 0) joints[static_cast<size_t>(k)] = person.joints[static_cast<size_t>(j)];
        }
        // BODY_25's neck and mid-hip from the shoulders and hips.
        const auto& ls = person.joints[5];
        const auto& rs = person.joints[6];
        const auto& lh = person.joints[11];
        const auto& rh = person.joints[12];
        joints[1] = Eigen::Vector3d(0.5 * (ls.x() + rs.x()), 0.5 * (ls.y() + rs.y()), 1.0);
        joints[8] = Eigen::Vector3d(0.5 * (lh.x() + rh.x()), 0.5 * (lh.y() + rh.y()), 1.0);
        person.joints = joints;
      }
    }
  }
  testing::TempDir dir;
  WriteOpenPoseFolder(a, dir / "pose");
  EXPECT_EQ(ReadKeypoints(dir / "pose").skeleton, "body25");
}

}  // namespace
}  // namespace epilabel
