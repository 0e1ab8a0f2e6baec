#include "detection/dnn/board.h"

#include <gtest/gtest.h>
#include <opencv2/aruco/charuco.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "foundation/error.h"
#include "tests/testing.h"

namespace epilabel {
namespace {

template <typename F>
std::string InputErrorOf(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

std::string BoardImage(int cam, int view) {
  char name[128];
  std::snprintf(name, sizeof(name), "/tests/data/pose2sim_board/intrinsics/int_cam%02d_img/cam%02d_%02d_int.jpg", cam,
                cam, view);
  return testing::SourceDir() + name;
}

TEST(ParseBoardSpec, ReadsCheckerboardsAndCharuco) {
  const BoardSpec c = ParseBoardSpec("checkerboard:4x7:0.06");
  EXPECT_EQ(c.kind, BoardKind::kCheckerboard);
  EXPECT_EQ(c.NumCorners(), 28);
  const auto points = c.CornerPoints();
  EXPECT_DOUBLE_EQ(points[5].x(), 0.06);  // row 1, column 1
  EXPECT_DOUBLE_EQ(points[5].y(), 0.06);
  EXPECT_EQ(ParseBoardSpec(c.ToString()).NumCorners(), 28);
  const BoardSpec h = ParseBoardSpec("charuco:5x7:0.04:0.03");
  EXPECT_EQ(h.kind, BoardKind::kCharuco);
  EXPECT_EQ(h.dictionary, "DICT_4X4_50");
  EXPECT_EQ(h.NumCorners(), 24);
  EXPECT_DOUBLE_EQ(h.CornerPoints()[0].x(), 0.04);  // one square in, as OpenCV's layout
}

TEST(ParseBoardSpec, SaysWhatIsWrong) {
  EXPECT_NE(InputErrorOf([] { ParseBoardSpec("checkerboard:4x7"); }).find("expected checkerboard:COLSxROWS:SQUARE"),
            std::string::npos);
  EXPECT_NE(InputErrorOf([] { ParseBoardSpec("checkerboard:1x7:0.06"); }).find("counts in [2, 100]"), std::string::npos);
  EXPECT_NE(InputErrorOf([] { ParseBoardSpec("checkerboard:4x7:-1"); }).find("not a size in metres"), std::string::npos);
  EXPECT_NE(InputErrorOf([] { ParseBoardSpec("charuco:5x7:0.04:0.05"); }).find("must be smaller"), std::string::npos);
  EXPECT_NE(InputErrorOf([] { ParseBoardSpec("charuco:5x7:0.04:0.03:DICT_9X9"); }).find("unknown dictionary"),
            std::string::npos);
  EXPECT_NE(InputErrorOf([] { ParseBoardSpec("charuco:20x20:0.04:0.03"); }).find("only 50"), std::string::npos);
  EXPECT_NE(InputErrorOf([] { ParseBoardSpec("circles:4x7:0.06"); }).find("unknown board kind"), std::string::npos);
}

TEST(DetectBoard, FindsTheCheckerboardOfARealPhotoToSubPixel) {
  const cv::Mat image = cv::imread(BoardImage(1, 3));
  ASSERT_FALSE(image.empty());
  const BoardSpec board = ParseBoardSpec("checkerboard:4x7:0.06");
  const BoardDetection d = DetectBoard(image, board, {});
  ASSERT_TRUE(d.accepted) << d.reason;
  ASSERT_EQ(d.corners.size(), 28u);
  // Sub-pixel: the corners are not all on integer pixels, and a homography of the board fits
  // them to a fraction of a pixel (the lens bends lines by less than that over one board).
  std::vector<cv::Point2f> src, dst;
  const auto points = board.CornerPoints();
  for (size_t i = 0; i < 28; ++i) {
    src.emplace_back(static_cast<float>(points[d.ids[i]].x()), static_cast<float>(points[d.ids[i]].y()));
    dst.emplace_back(static_cast<float>(d.corners[i].x()), static_cast<float>(d.corners[i].y()));
  }
  const cv::Mat h = cv::findHomography(src, dst);
  std::vector<cv::Point2f> mapped;
  cv::perspectiveTransform(src, mapped, h);
  double worst = 0;
  for (size_t i = 0; i < 28; ++i) worst = std::max(worst, static_cast<double>(cv::norm(mapped[i] - dst[i])));
  EXPECT_LT(worst, 1.0);
  EXPECT_GT(d.square_px, 30.0);
  EXPECT_LT(d.edge_width_px, 0.2 * d.square_px);
}

TEST(DetectBoard, RejectsAPartialBoardAndABlurredOneWithTheirReasons) {
  const cv::Mat image = cv::imread(BoardImage(1, 3));
  ASSERT_FALSE(image.empty());
  const BoardSpec board = ParseBoardSpec("checkerboard:4x7:0.06");
  const BoardDetection full = DetectBoard(image, board, {});
  ASSERT_TRUE(full.accepted);
  // Cut the image through the middle of the board.
  double ymin = 1e9, ymax = 0;
  for (const auto& p : full.corners) ymin = std::min(ymin, p.y()), ymax = std::max(ymax, p.y());
  const cv::Mat top = image(cv::Rect(0, 0, image.cols, static_cast<int>(0.5 * (ymin + ymax)))).clone();
  const BoardDetection partial = DetectBoard(top, board, {});
  EXPECT_FALSE(partial.accepted);
  EXPECT_NE(partial.reason.find("board not found"), std::string::npos) << partial.reason;
  // A tight edge limit turns the same photo into a blurred view.
  BoardDetectionOptions strict;
  strict.max_edge_width_rel = 0.01;
  const BoardDetection blurred = DetectBoard(image, board, strict);
  EXPECT_FALSE(blurred.accepted);
  EXPECT_NE(blurred.reason.find("blurred"), std::string::npos) << blurred.reason;
}

TEST(DetectBoard, FindsTheCornersOfADrawnCharucoBoard) {
  const BoardSpec board = ParseBoardSpec("charuco:5x7:0.04:0.03:DICT_4X4_50");
  const auto dictionary = cv::aruco::getPredefinedDictionary(cv::aruco::DICT_4X4_50);
  const auto charuco = cv::aruco::CharucoBoard::create(5, 7, 0.04f, 0.03f, dictionary);
  cv::Mat drawn;
  const int square_px = 80, margin = 60;
  charuco->draw(cv::Size(5 * square_px + 2 * margin, 7 * square_px + 2 * margin), drawn, margin, 1);
  const BoardDetection d = DetectBoard(drawn, board, {});
  ASSERT_TRUE(d.accepted) << d.reason;
  ASSERT_EQ(d.corners.size(), 24u);
  const auto points = board.CornerPoints();
  for (size_t i = 0; i < d.ids.size(); ++i) {
    // Board metres -> drawn pixels: margin + x / square * square_px (pixel centres at .5 - 0.5).
    const Eigen::Vector2d expected(margin + points[d.ids[i]].x() / 0.04 * square_px - 0.5,
                                   margin + points[d.ids[i]].y() / 0.04 * square_px - 0.5);
    EXPECT_LT((d.corners[i] - expected).norm(), 1.0) << "corner " << d.ids[i];
  }
  // Half of the board hidden: still accepted with the corners it shows.
  cv::Mat half = drawn.clone();
  half(cv::Rect(0, half.rows / 2, half.cols, half.rows / 2)).setTo(255);
  const BoardDetection h = DetectBoard(half, board, {});
  EXPECT_TRUE(h.accepted) << h.reason;
  EXPECT_LT(h.corners.size(), 24u);
  EXPECT_GE(h.corners.size(), 6u);
}

}  // namespace
}  // namespace epilabel
