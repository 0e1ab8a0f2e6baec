#include "detection/dnn/area_resize.h"

#include <stdexcept>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

namespace epilabel {
namespace {

// A smooth gradient with seeded noise, like a video frame (8-bit BGR).
cv::Mat TestImage(int width, int height, uint64_t seed) {
  cv::Mat image(height, width, CV_8UC3);
  cv::RNG rng(seed);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < 3; ++c)
        image.at<cv::Vec3b>(y, x)[c] = cv::saturate_cast<uint8_t>(40 + 0.08 * x + 0.05 * y + 30 * c + rng.gaussian(25.0));
  return image;
}

// Largest difference to OpenCV's INTER_AREA and the share of values that differ at all.
void CompareWithOpenCv(const cv::Mat& source, cv::Size size, double* max_difference, double* differing) {
  cv::Mat ours, theirs;
  ShrinkByAreaAveraging(source, size, &ours);
  cv::resize(source, theirs, size, 0, 0, cv::INTER_AREA);
  ASSERT_EQ(ours.size(), theirs.size());
  ASSERT_EQ(ours.type(), theirs.type());
  cv::Mat difference;
  cv::absdiff(ours, theirs, difference);
  cv::minMaxLoc(difference.reshape(1), nullptr, max_difference);
  *differing = static_cast<double>(cv::countNonZero(difference.reshape(1))) / difference.total() / difference.channels();
}

TEST(ShrinkByAreaAveraging, ExactMeansOverPartlyCoveredPixels) {
  // 3 pixels to 2: each destination pixel covers 1.5 source pixels, the middle one half each.
  const cv::Mat source = (cv::Mat_<uint8_t>(1, 3) << 0, 90, 30);
  cv::Mat out;
  ShrinkByAreaAveraging(source, cv::Size(2, 1), &out);
  EXPECT_EQ(out.at<uint8_t>(0, 0), 30);  // (0 + 0.5 * 90) / 1.5
  EXPECT_EQ(out.at<uint8_t>(0, 1), 50);  // (0.5 * 90 + 30) / 1.5
  // 4x2 to 2x1 (integer factors): plain 2x2 means.
  const cv::Mat square = (cv::Mat_<uint8_t>(2, 4) << 10, 20, 100, 200, 30, 40, 0, 100);
  ShrinkByAreaAveraging(square, cv::Size(2, 1), &out);
  EXPECT_EQ(out.at<uint8_t>(0, 0), 25);
  EXPECT_EQ(out.at<uint8_t>(0, 1), 100);
}

TEST(ShrinkByAreaAveraging, SameBytesAsOpenCvInterAreaOnPersonCrops) {
  const cv::Mat frame = TestImage(1088, 1920, 7);
  struct Case {
    cv::Rect region;
    cv::Size size;
  };
  // A person's crop to Lightning's 192 and Thunder's 256, the whole portrait frame into the
  // square input (the first frame), one axis kept, a 1-channel image, a crop just above the input.
  const Case cases[] = {{{41, 317, 1025, 1025}, {192, 192}}, {{0, 200, 853, 853}, {256, 256}},
                        {{0, 0, 1088, 1920}, {109, 192}},    {{100, 100, 300, 192}, {192, 192}},
                        {{3, 5, 193, 197}, {192, 192}},      {{0, 0, 1087, 1919}, {320, 576}}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.region);
    ASSERT_FALSE(OpenCvAreaFactorsAreIntegers(c.region.size(), c.size));
    double max_difference = 0.0, differing = 0.0;
    CompareWithOpenCv(frame(c.region), c.size, &max_difference, &differing);
    EXPECT_EQ(max_difference, 0.0);
  }
  cv::Mat gray;
  cv::cvtColor(frame, gray, cv::COLOR_BGR2GRAY);
  double max_difference = 0.0, differing = 0.0;
  CompareWithOpenCv(gray(cv::Rect(17, 400, 901, 955)), cv::Size(192, 203), &max_difference, &differing);
  EXPECT_EQ(max_difference, 0.0);
}

TEST(ShrinkByAreaAveraging, IntegerFactorsAreOpenCvsOtherPathYetWithinOne) {
  // cv::resize rounds integer-factor shrinks its own way (CropToInput calls it for those).
  EXPECT_TRUE(OpenCvAreaFactorsAreIntegers({768, 768}, {192, 192}));
  EXPECT_TRUE(OpenCvAreaFactorsAreIntegers({192, 768}, {192, 192}));
  EXPECT_FALSE(OpenCvAreaFactorsAreIntegers({769, 768}, {192, 192}));
  const cv::Mat frame = TestImage(1088, 1920, 11);
  double max_difference = 0.0, differing = 0.0;
  CompareWithOpenCv(frame(cv::Rect(10, 20, 768, 768)), cv::Size(192, 192), &max_difference, &differing);
  EXPECT_LE(max_difference, 1.0);
  EXPECT_LT(differing, 0.1);
}

TEST(ShrinkByAreaAveraging, ReadsARegionInPlaceAndReusesTheOutput) {
  const cv::Mat frame = TestImage(400, 300, 3);
  const cv::Rect region(33, 47, 250, 210);
  cv::Mat from_region, from_copy;
  ShrinkByAreaAveraging(frame(region), cv::Size(97, 81), &from_region);
  ShrinkByAreaAveraging(frame(region).clone(), cv::Size(97, 81), &from_copy);
  EXPECT_EQ(cv::norm(from_region, from_copy, cv::NORM_INF), 0.0);
  const uint8_t* buffer = from_region.data;
  ShrinkByAreaAveraging(frame(cv::Rect(0, 0, 200, 100)), cv::Size(97, 81), &from_region);
  EXPECT_EQ(from_region.data, buffer);
}

TEST(ShrinkByAreaAveraging, RejectsEnlargingAndOtherDepths) {
  cv::Mat out;
  EXPECT_THROW(ShrinkByAreaAveraging(cv::Mat(10, 10, CV_8UC3), cv::Size(11, 10), &out), std::invalid_argument);
  EXPECT_THROW(ShrinkByAreaAveraging(cv::Mat(10, 10, CV_32FC1), cv::Size(5, 5), &out), std::invalid_argument);
  EXPECT_THROW(ShrinkByAreaAveraging(cv::Mat(), cv::Size(1, 1), &out), std::invalid_argument);
}

}  // namespace
}  // namespace epilabel
