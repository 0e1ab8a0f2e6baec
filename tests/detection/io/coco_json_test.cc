#include "detection/io/coco_json.h"

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

}  // namespace
}  // namespace epilabel
