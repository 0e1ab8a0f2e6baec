#include "detection/io/openpose_json.h"

#include <filesystem>
#include <fstream>

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
  EXPECT_NE(ReadError(dir_ / "pose").find("give `skeleton`"), std::string::npos);
  KeypointReadOptions options;
  options.skeleton = "coco17";
  const KeypointSequence seq = ReadKeypoints(dir_ / "pose", options);
  EXPECT_EQ(seq.num_joints, 17);
  EXPECT_EQ(seq.cameras[0].frame_numbers.size(), 3u);
}

TEST(OpenPoseTimestamps, WrittenBesideTheJsonFilesAndReadBack) {
  testing::TempDir dir;
  KeypointSequence seq = RandomSequence(5, 2, 6);
  for (int64_t f : seq.cameras[0].frame_numbers) seq.cameras[0].timestamps_s.push_back((f - 100) / 29.97 + 1e-3 * (f % 3));
  WriteOpenPoseFolder(seq, dir / "pose");
  std::ifstream in(dir / "pose/cam_1/timestamps.csv");
  std::string header, first;
  std::getline(in, header);
  std::getline(in, first);
  EXPECT_EQ(header, "frame,time_s");
  EXPECT_EQ(first, "100,0.001");
  EXPECT_FALSE(fs::exists(dir / "pose/cam_2/timestamps.csv"));
  const KeypointSequence back = ReadKeypoints(dir / "pose");
  EXPECT_EQ(back.cameras[0].timestamps_s, seq.cameras[0].timestamps_s);  // shortest round-trip text
  EXPECT_TRUE(back.cameras[1].timestamps_s.empty());
  // Our own output (with timestamps.csv) may be replaced.
  EXPECT_NO_THROW(WriteOpenPoseFolder(RandomSequence(6, 2, 6), dir / "pose"));
  EXPECT_FALSE(fs::exists(dir / "pose/cam_1/timestamps.csv"));
}

// The image size `detect` knows goes into image_size.csv beside the JSON files and comes back
// (OpenPose's JSON has no place for it), so that `calibrate` can check it against a calibration.
TEST(OpenPoseImageSize, WrittenBesideTheJsonFilesAndReadBack) {
  testing::TempDir dir;
  KeypointSequence seq = RandomSequence(5, 2, 6);
  seq.cameras[0].width = 1080;
  seq.cameras[0].height = 1920;
  WriteOpenPoseFolder(seq, dir / "pose");
  std::ifstream in(dir / "pose/cam_1/image_size.csv");
  std::string header, line;
  std::getline(in, header);
  std::getline(in, line);
  EXPECT_EQ(header, "width,height");
  EXPECT_EQ(line, "1080,1920");
  EXPECT_FALSE(fs::exists(dir / "pose/cam_2/image_size.csv"));
  const KeypointSequence back = ReadKeypoints(dir / "pose");
  EXPECT_EQ(back.cameras[0].width, 1080);
  EXPECT_EQ(back.cameras[0].height, 1920);
  EXPECT_EQ(back.cameras[1].width, 0);
  // Our own output (with image_size.csv) may be replaced.
  EXPECT_NO_THROW(WriteOpenPoseFolder(RandomSequence(6, 2, 6), dir / "pose"));
  EXPECT_FALSE(fs::exists(dir / "pose/cam_1/image_size.csv"));
}

TEST(OpenPoseImageSize, BadImageSizeFilesAreInputErrorsNamingTheFileAndLine) {
  testing::TempDir dir;
  for (int f = 0; f < 3; ++f) WriteText(dir / ("cam/f" + std::to_string(f) + ".json"), kOnePerson17);
  const std::string csv = dir / "cam/image_size.csv";
  const auto error_with = [&](const std::string& text) {
    WriteText(csv, text);
    return ReadError(dir / "cam");
  };
  EXPECT_EQ(error_with("width,height\r\n1088,1920\r\n"), "(no error)");
  EXPECT_EQ(ReadKeypoints(dir / "cam").cameras[0].width, 1088);
  EXPECT_NE(error_with("w,h\n1088,1920\n").find("image_size.csv:1: expected the header"), std::string::npos);
  EXPECT_NE(error_with("width,height\n1088\n").find("image_size.csv:2: expected 'width,height'"), std::string::npos);
  EXPECT_NE(error_with("width,height\n1088,0\n").find("image_size.csv:2"), std::string::npos);
  EXPECT_NE(error_with("width,height\n-5,1920\n").find("image_size.csv:2"), std::string::npos);
  EXPECT_NE(error_with("width,height\n1088,1920x\n").find("image_size.csv:2"), std::string::npos);
  EXPECT_NE(error_with("width,height\n").find("image_size.csv:2"), std::string::npos);
  EXPECT_NE(error_with("width,height\n" + std::string(2000, '1') + "\n").find("larger than 1 KiB"), std::string::npos);
}

TEST(OpenPoseTimestamps, BadTimestampFilesAreInputErrorsNamingTheFileAndLine) {
  testing::TempDir dir;
  for (int f = 0; f < 3; ++f) WriteText(dir / ("cam/f" + std::to_string(f) + ".json"), kOnePerson17);
  const std::string csv = dir / "cam/timestamps.csv";
  const auto error_with = [&](const std::string& text) {
    WriteText(csv, text);
    return ReadError(dir / "cam");
  };
  EXPECT_EQ(error_with("frame,time_s\n0,0\n1,0.04\n2,0.07\n"), "(no error)");
  EXPECT_EQ(ReadKeypoints(dir / "cam").cameras[0].timestamps_s, (std::vector<double>{0.0, 0.04, 0.07}));
  EXPECT_NE(error_with("frame,time_s\n0,0\n1,0.04\n2,0.04\n").find("timestamps.csv: timestamps are not increasing at index 2"),
            std::string::npos);
  EXPECT_NE(error_with("frame,time_s\n0,0\n1,nan\n2,0.07\n").find("timestamp 1 is not a finite number"),
            std::string::npos);
  EXPECT_NE(error_with("frame,time_s\n0,0\n1,x\n2,0.07\n").find("timestamps.csv:3: expected 'frame,time_s'"),
            std::string::npos);
  EXPECT_NE(error_with("frame,time_s\n0,0\n2,0.04\n").find("timestamps.csv:3: frame 2 is not the camera's next JSON frame (1)"),
            std::string::npos);
  EXPECT_NE(error_with("frame,time_s\n0,0\n1,0.04\n").find("has 2 timestamps for 3 JSON frames"), std::string::npos);
  EXPECT_NE(error_with("time\n").find("timestamps.csv:1: expected the header"), std::string::npos);
  // Found by libFuzzer under UBSan: a line without a comma made the reader form a pointer
  // past the end of the line.
  EXPECT_NE(error_with("frame,time_s\n00.000000\n1,0.033367\n2,0.0667333\n").find("timestamps.csv:2: expected"),
            std::string::npos);
}

}  // namespace
}  // namespace epilabel
