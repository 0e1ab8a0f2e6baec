#include "detection/dnn/frame_source.h"

#include <cmath>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include "detection/keypoint_timing.h"
#include "foundation/error.h"
#include "tests/testing.h"

namespace epilabel {
namespace {

using testing::TempDir;

void WriteText(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

void WriteImage(const std::string& path, int width, int height, int value) {
  ASSERT_TRUE(cv::imwrite(path, cv::Mat(height, width, CV_8UC3, cv::Scalar::all(value))));
}

// The message of the InputError thrown by `f`, or "" when none is thrown.
template <typename F>
std::string InputErrorOf(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(NaturalLess, OrdersDigitRunsByValue) {
  EXPECT_TRUE(NaturalLess("img2.png", "img10.png"));
  EXPECT_FALSE(NaturalLess("img10.png", "img2.png"));
  EXPECT_TRUE(NaturalLess("a.png", "b.png"));
  EXPECT_TRUE(NaturalLess("frame_9", "frame_10"));
  EXPECT_TRUE(NaturalLess("cam1_f99", "cam2_f1"));
  EXPECT_FALSE(NaturalLess("x1", "x1"));
  // Equal values: fewer leading zeros first, and the order is strict.
  EXPECT_TRUE(NaturalLess("img2", "img02"));
  EXPECT_FALSE(NaturalLess("img02", "img2"));
  EXPECT_TRUE(NaturalLess("img", "img0"));
}

TEST(ListImageFiles, ImagesOnlyInNaturalOrder) {
  TempDir dir;
  for (const char* name : {"f10.png", "f2.jpg", "f1.PNG", "notes.txt", "f3.jpeg"}) WriteText(dir / name, "x");
  std::filesystem::create_directory(dir / "sub.png");
  const std::vector<std::string> files = ListImageFiles(dir.path().string());
  ASSERT_EQ(files.size(), 4u);
  EXPECT_EQ(std::filesystem::path(files[0]).filename(), "f1.PNG");
  EXPECT_EQ(std::filesystem::path(files[1]).filename(), "f2.jpg");
  EXPECT_EQ(std::filesystem::path(files[2]).filename(), "f3.jpeg");
  EXPECT_EQ(std::filesystem::path(files[3]).filename(), "f10.png");
}

TEST(CameraNameFromPath, FileStemOrFolderName) {
  TempDir dir;
  std::filesystem::create_directory(dir / "cam02");
  EXPECT_EQ(CameraNameFromPath("videos/cam01.mp4"), "cam01");
  EXPECT_EQ(CameraNameFromPath(dir / "cam02"), "cam02");
  EXPECT_EQ(CameraNameFromPath(dir / "cam02/"), "cam02");
}

TEST(FrameSource, ReadsAnImageFolderInOrder) {
  TempDir dir;
  WriteImage(dir / "img10.png", 40, 30, 200);
  WriteImage(dir / "img9.png", 40, 30, 100);
  cv::Mat gray(30, 40, CV_8UC1, cv::Scalar(50));
  ASSERT_TRUE(cv::imwrite(dir / "img1.png", gray));  // grayscale becomes BGR
  std::unique_ptr<FrameSource> source = FrameSource::Open(dir.path().string());
  EXPECT_EQ(source->FrameCountHint(), 3);
  cv::Mat frame;
  std::vector<int> values;
  while (source->Read(&frame)) {
    EXPECT_EQ(frame.type(), CV_8UC3);
    EXPECT_EQ(frame.cols, 40);
    values.push_back(frame.at<cv::Vec3b>(0, 0)[0]);
  }
  EXPECT_EQ(values, (std::vector<int>{50, 100, 200}));
}

TEST(FrameSource, ReadsAVideo) {
  const std::string video = testing::SourceDir() + "/tests/data/pose2sim_videos/cam01.mp4";
  std::unique_ptr<FrameSource> source = FrameSource::Open(video);
  cv::Mat frame;
  int n = 0;
  while (source->Read(&frame)) {
    EXPECT_EQ(frame.cols, 1088);
    EXPECT_EQ(frame.rows, 1920);
    ++n;
  }
  EXPECT_EQ(n, 11);
  EXPECT_EQ(source->FrameCountHint(), 11);
}

TEST(FrameSource, VideoFramesReuseTheBufferButNeverOverwriteAKeptFrame) {
  const std::string video = testing::SourceDir() + "/tests/data/pose2sim_videos/cam01.mp4";
  std::unique_ptr<FrameSource> source = FrameSource::Open(video);
  cv::Mat frame;
  ASSERT_TRUE(source->Read(&frame));
  const uint8_t* buffer = frame.data;
  ASSERT_TRUE(source->Read(&frame));
  EXPECT_EQ(frame.data, buffer) << "a loop reading into one cv::Mat decodes into its buffer";
  const cv::Mat kept = frame;  // a shallow copy shares the buffer
  const cv::Mat second = frame.clone();
  ASSERT_TRUE(source->Read(&frame));
  EXPECT_NE(frame.data, kept.data);
  EXPECT_EQ(cv::norm(kept, second, cv::NORM_INF), 0.0) << "the kept frame was overwritten";
  EXPECT_EQ(frame.size(), kept.size());
}

TEST(FrameSource, AVideoGivesItsFramesTimestampsAnImageFolderNone) {
  TempDir dir;
  const std::string path = dir / "cam.avi";
  {
    cv::VideoWriter writer(path, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 25.0, cv::Size(64, 48));
    ASSERT_TRUE(writer.isOpened());
    for (int i = 0; i < 6; ++i) writer.write(cv::Mat(48, 64, CV_8UC3, cv::Scalar::all(40 * i)));
  }
  std::unique_ptr<FrameSource> source = FrameSource::Open(path);
  EXPECT_TRUE(std::isnan(source->LastTimestampS()));  // nothing read yet
  cv::Mat frame;
  std::vector<double> times;
  while (source->Read(&frame)) times.push_back(source->LastTimestampS());
  ASSERT_EQ(times.size(), 6u);
  for (size_t i = 0; i < times.size(); ++i) EXPECT_NEAR(times[i], i / 25.0, 1e-6) << i;

  std::filesystem::create_directory(dir / "images");
  WriteImage(dir / "images/a1.png", 8, 8, 10);
  std::unique_ptr<FrameSource> images = FrameSource::Open(dir / "images");
  ASSERT_TRUE(images->Read(&frame));
  EXPECT_TRUE(std::isnan(images->LastTimestampS()));
}

// A real variable-rate file (tests/data/vfr_video/README.md: 8 frames at 60 fps, then 8 at 20
// fps): each frame's timestamp is the container's, not frame index / mean rate, and the timing
// measured from them is variable (so that the keypoints are put on evenly spaced frames).
TEST(FrameSource, AVariableRateVideoGivesEachFrameItsContainerTimestamp) {
  const std::string video = testing::SourceDir() + "/tests/data/vfr_video/60_then_20fps.mp4";
  std::unique_ptr<FrameSource> source = FrameSource::Open(video);
  cv::Mat frame;
  std::vector<double> times;
  while (source->Read(&frame)) {
    EXPECT_EQ(frame.size(), cv::Size(64, 48));
    times.push_back(source->LastTimestampS());
  }
  ASSERT_EQ(times.size(), 16u);
  for (size_t k = 0; k < times.size(); ++k) {
    const double expected = k < 8 ? k / 60.0 : 8 / 60.0 + (k - 8) / 20.0;
    EXPECT_NEAR(times[k], expected, 1e-6) << "frame " << k;
  }
  const FrameTiming timing = MeasureFrameTiming(times);
  EXPECT_TRUE(timing.variable);
  EXPECT_NEAR(timing.fps, 15.0 / (8 / 60.0 + 7 / 20.0), 1e-6);  // (frames - 1) / duration
  EXPECT_GT(timing.max_deviation_frames, 1.0);  // the 60 fps part runs ahead of the mean rate
}

TEST(FrameSource, ClearErrorsForBadInput) {
  TempDir dir;
  EXPECT_NE(InputErrorOf([&] { FrameSource::Open(dir / "missing.mp4"); }).find("no such file"), std::string::npos);

  std::filesystem::create_directory(dir / "empty");
  WriteText(dir / "empty/readme.txt", "no images here");
  const std::string empty = InputErrorOf([&] { FrameSource::Open(dir / "empty"); });
  EXPECT_NE(empty.find("no images"), std::string::npos) << empty;
  EXPECT_NE(empty.find("empty"), std::string::npos) << "names the folder: " << empty;

  WriteText(dir / "notes.mp4", "this is not a video\n");
  const std::string not_video = InputErrorOf([&] { FrameSource::Open(dir / "notes.mp4"); });
  EXPECT_NE(not_video.find("cannot open as a video"), std::string::npos) << not_video;
  EXPECT_NE(not_video.find("notes.mp4"), std::string::npos) << not_video;

  std::filesystem::create_directory(dir / "broken");
  WriteImage(dir / "broken/a.png", 20, 10, 0);
  WriteText(dir / "broken/b.png", "not a png");
  std::unique_ptr<FrameSource> source = FrameSource::Open(dir / "broken");
  cv::Mat frame;
  EXPECT_TRUE(source->Read(&frame));
  const std::string broken = InputErrorOf([&] { source->Read(&frame); });
  EXPECT_NE(broken.find("b.png"), std::string::npos) << broken;
  EXPECT_NE(broken.find("cannot decode"), std::string::npos) << broken;

  std::filesystem::create_directory(dir / "sizes");
  WriteImage(dir / "sizes/a.png", 20, 10, 0);
  WriteImage(dir / "sizes/b.png", 30, 10, 0);
  std::unique_ptr<FrameSource> sizes = FrameSource::Open(dir / "sizes");
  EXPECT_TRUE(sizes->Read(&frame));
  const std::string mismatch = InputErrorOf([&] { sizes->Read(&frame); });
  EXPECT_NE(mismatch.find("differs from the first image"), std::string::npos) << mismatch;
}

}  // namespace
}  // namespace epilabel
