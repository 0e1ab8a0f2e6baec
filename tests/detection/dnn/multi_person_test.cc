// Several people per frame (PoseDetectorOptions::people, `detect --people`), test-time flip
// averaging and the crop options, with the MoveNet models of models/ (MultiPose included,
// scripts/setup-models.sh). Two people are made by putting two cameras' frames of the Pose2Sim
// videos (tests/data/pose2sim_videos, BSD-3) side by side.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <utility>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "detection/dnn/frame_source.h"
#include "detection/dnn/pose_detector.h"
#include "tests/detection/dnn/detector_testing.h"

namespace epilabel {
namespace {

using namespace testing;  // epilabel::testing helpers
namespace fs = std::filesystem;

constexpr int kFrames = 4;

std::vector<cv::Mat> ReadFrames(int camera, int count) {
  std::unique_ptr<FrameSource> source = FrameSource::Open(Pose2SimVideo(camera));
  std::vector<cv::Mat> frames;
  cv::Mat frame;
  while (static_cast<int>(frames.size()) < count && source->Read(&frame)) frames.push_back(frame.clone());
  return frames;
}

double MeanX(const Person2d& person) {
  double sum = 0.0;
  for (const Eigen::Vector3d& j : person.joints) sum += j.x();
  return sum / person.joints.size();
}

class MultiPerson : public WithMoveNetModels {
 protected:
  void SetUp() override {
    WithMoveNetModels::SetUp();
    ASSERT_TRUE(fs::exists(MoveNetMultiPoseModelPath(ModelsDir())))
        << MoveNetMultiPoseModelPath(ModelsDir()) << " is missing: run scripts/setup-models.sh";
  }
  static PoseDetectorOptions PeopleOptions(int max_people) {
    PoseDetectorOptions options = Options("lightning");
    options.people.max_people = max_people;
    options.people.model_path = MoveNetMultiPoseModelPath(ModelsDir());
    return options;
  }
};

TEST_F(MultiPerson, TwoPeopleSideBySideKeepTheirIds) {
  const std::vector<cv::Mat> left = ReadFrames(1, kFrames), right = ReadFrames(3, kFrames);
  ASSERT_EQ(left.size(), size_t{kFrames});
  ASSERT_EQ(right.size(), size_t{kFrames});
  const double split = left[0].cols;
  PoseDetector detector(PeopleOptions(0));
  int left_id = -1;
  for (int f = 0; f < kFrames; ++f) {
    cv::Mat both;
    cv::hconcat(left[f], right[f], both);
    const std::vector<Person2d> people = detector.DetectPeople(both);
    ASSERT_EQ(people.size(), 2u) << "frame " << f;
    EXPECT_EQ(people[0].track_id, 0);  // ordered by track id
    EXPECT_EQ(people[1].track_id, 1);
    const int id = MeanX(people[0]) < split ? 0 : 1;
    if (f == 0) left_id = id;
    EXPECT_EQ(id, left_id) << "the person on the left changed id in frame " << f;
    for (const Person2d& person : people) {
      const bool on_left = MeanX(person) < split;
      for (int j = kLeftShoulder; j < 17; ++j) {  // every body joint on its own person's half
        EXPECT_EQ(person.joints[j].x() < split, on_left) << "frame " << f << " joint " << j;
        EXPECT_GT(person.joints[j].z(), 0.2) << "frame " << f << " joint " << j;
      }
    }
  }
  EXPECT_EQ(detector.tracks_started(), 2u);
  // max_people caps the count, keeping ids.
  PoseDetector one_best(PeopleOptions(2));
  cv::Mat both;
  cv::hconcat(left[0], right[0], both);
  EXPECT_EQ(one_best.DetectPeople(both).size(), 2u);
}

TEST_F(MultiPerson, OnePersonModeIsTheSinglePersonDetector) {
  const std::vector<cv::Mat> frames = ReadFrames(2, 1);
  ASSERT_EQ(frames.size(), 1u);
  PoseDetector single(Options("lightning"));
  PoseDetector via_people(PeopleOptions(1));
  const Person2d expected = single.Detect(frames[0]);
  const std::vector<Person2d> people = via_people.DetectPeople(frames[0]);
  ASSERT_EQ(people.size(), 1u);
  EXPECT_EQ(people[0].track_id, -1);
  for (int j = 0; j < 17; ++j) EXPECT_EQ(people[0].joints[j], expected.joints[j]) << j;
}

double MedianBodyDistance(const Person2d& a, const Person2d& b) {
  std::vector<double> d;
  for (int j = kLeftShoulder; j < 17; ++j) d.push_back((a.joints[j] - b.joints[j]).head<2>().norm());
  std::nth_element(d.begin(), d.begin() + d.size() / 2, d.end());
  return d[d.size() / 2];
}

TEST_F(MultiPerson, RefinementPutsTheSinglePersonModelOnEachPerson) {
  // MultiPose sees the whole 1920-pixel frame at 256 pixels; refined on the crop, the joints
  // are those of the single-person model (as on its own, within 2 % of the frame height), and
  // closer to them than MultiPose's own.
  const std::vector<cv::Mat> frames = ReadFrames(4, 1);
  PoseDetectorOptions raw_options = PeopleOptions(0);
  raw_options.people.refine = false;
  PoseDetector raw(raw_options), refined(PeopleOptions(0)), single(Options("lightning"));
  const std::vector<Person2d> a = raw.DetectPeople(frames[0]), b = refined.DetectPeople(frames[0]);
  const Person2d alone = single.Detect(frames[0]);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(refined.inferences(), 2u);  // MultiPose + one crop
  const double refined_error = MedianBodyDistance(b[0], alone), raw_error = MedianBodyDistance(a[0], alone);
  EXPECT_LT(refined_error, 0.02 * frames[0].rows);
  EXPECT_LT(raw_error, 0.1 * frames[0].rows);  // the same person
  EXPECT_LT(refined_error, raw_error);
}

// The person with left and right exchanged (COCO-17: joints 2k-1 and 2k are a pair).
Person2d Mirrored(const Person2d& person) {
  Person2d out = person;
  for (int j = 1; j + 1 < 17; j += 2) std::swap(out.joints[j], out.joints[j + 1]);
  return out;
}

// The median body-joint distance from `target` to the closest of `people`, either way round
// (a person seen from behind in a T-pose is a left/right coin toss for every model).
double NearestBodyDistance(const std::vector<Person2d>& people, const Person2d& target) {
  double best = std::numeric_limits<double>::infinity();
  for (const Person2d& person : people)
    best = std::min({best, MedianBodyDistance(person, target), MedianBodyDistance(Mirrored(person), target)});
  return best;
}

// With the portrait model beside the square one, a portrait frame (1088x1920) goes through the
// portrait model (320x576 input: 2.25 times the square model's 256 pixels of frame height), so
// MultiPose's own joints (unrefined) land closer to the single-person model's; a landscape frame
// (two cameras side by side) still goes through the square model, joint for joint.
TEST_F(MultiPerson, EachFrameGoesThroughTheModelOfItsAspectRatio) {
  ASSERT_TRUE(fs::exists(MoveNetMultiPosePortraitModelPath(ModelsDir())))
      << MoveNetMultiPosePortraitModelPath(ModelsDir()) << " is missing: run scripts/setup-models.sh";
  PoseDetectorOptions square_options = PeopleOptions(0);
  square_options.people.refine = false;
  PoseDetectorOptions both_options = square_options;
  both_options.people.portrait_model_path = MoveNetMultiPosePortraitModelPath(ModelsDir());
  PoseDetector single(Options("lightning"));
  double square_error = 0.0, portrait_error = 0.0;
  for (int camera : {1, 4}) {
    const std::vector<cv::Mat> frames = ReadFrames(camera, 1);
    ASSERT_EQ(frames.size(), 1u);
    ASSERT_GT(frames[0].rows, frames[0].cols);
    PoseDetector square(square_options), both(both_options);
    const std::vector<Person2d> a = square.DetectPeople(frames[0]), b = both.DetectPeople(frames[0]);
    ASSERT_GE(a.size(), 1u) << "camera " << camera;
    ASSERT_GE(b.size(), a.size()) << "camera " << camera;  // cam01: the portrait model also finds a bystander
    const Person2d alone = single.Detect(frames[0]);
    square_error += NearestBodyDistance(a, alone);
    portrait_error += NearestBodyDistance(b, alone);
    EXPECT_LT(NearestBodyDistance(b, alone), 0.05 * frames[0].rows) << "camera " << camera;
  }
  EXPECT_LT(portrait_error, square_error);

  const std::vector<cv::Mat> left = ReadFrames(1, 1), right = ReadFrames(3, 1);
  cv::Mat landscape;
  cv::hconcat(left[0], right[0], landscape);
  PoseDetector square(square_options), both(both_options);
  const std::vector<Person2d> a = square.DetectPeople(landscape), b = both.DetectPeople(landscape);
  ASSERT_EQ(a.size(), b.size());
  for (size_t p = 0; p < a.size(); ++p)
    for (int j = 0; j < 17; ++j) EXPECT_EQ(a[p].joints[j], b[p].joints[j]) << "person " << p << " joint " << j;
}

TEST_F(MultiPerson, FlipAveragingStaysOnTheJoints) {
  const std::vector<cv::Mat> frames = ReadFrames(1, 1);
  PoseDetectorOptions flip_options = Options("lightning");
  flip_options.model.flip_test = true;
  PoseDetector plain(Options("lightning")), flipped(flip_options);
  const Person2d a = plain.Detect(frames[0]), b = flipped.Detect(frames[0]);
  double moved = 0.0;
  for (int j = 0; j < 17; ++j) {
    const double d = (a.joints[j] - b.joints[j]).head<2>().norm();
    EXPECT_LT(d, 0.02 * frames[0].rows) << j;  // a left/right mix-up would move a joint further
    moved += d;
  }
  EXPECT_GT(moved, 17 * 0.2) << "flip averaging changed nothing";
}

TEST_F(MultiPerson, DetectCommandWritesOnePersonIdPerTrack) {
  TempDir dir;
  const std::string out = dir / "pose";
  const CommandResult r = testing::Run(Exe() + " --quiet detect --video " + Pose2SimVideo(2) +
                                       " --model lightning --people auto --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  size_t files = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(fs::path(out) / "cam02")) {
    if (e.path().extension() != ".json") continue;  // timestamps.csv
    const nlohmann::json json = nlohmann::json::parse(std::ifstream(e.path()));
    ASSERT_GE(json["people"].size(), 1u) << e.path();
    EXPECT_EQ(json["people"][0]["person_id"][0].get<int>(), 0) << e.path();  // the subject, tracked
    ++files;
  }
  EXPECT_EQ(files, 11u);
  // The video's frame times beside the JSON files: a header and one line per frame.
  std::ifstream times(fs::path(out) / "cam02/timestamps.csv");
  std::string line;
  std::getline(times, line);
  EXPECT_EQ(line, "frame,time_s");
  size_t lines = 0;
  std::string last;
  while (std::getline(times, line)) {
    if (line.empty()) continue;
    ++lines;
    last = line;
  }
  EXPECT_EQ(lines, 11u);
  // 60 fps; FFmpeg gives no timestamp for the decoder's last two frames: extrapolated.
  ASSERT_EQ(last.rfind("10,", 0), 0u) << last;
  EXPECT_NEAR(std::stod(last.substr(3)), 10.0 / 60.0, 1e-3) << last;
  const CommandResult bad = testing::Run(Exe() + " --quiet detect --video " + Pose2SimVideo(2) +
                                         " --people none --out " + (dir / "x"));
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("--people"), std::string::npos) << bad.output;
}

}  // namespace
}  // namespace epilabel
