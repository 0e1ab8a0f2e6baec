// Board detection of board.h (OpenCV calib3d and the aruco module), part of the image module.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <opencv2/aruco/charuco.hpp>
#include <opencv2/calib3d.hpp>
#include <opencv2/imgproc.hpp>

#include "detection/dnn/detector_module.h"

namespace epilabel {

namespace {

cv::Mat Gray(const cv::Mat& image) {
  if (image.channels() == 1) return image;
  cv::Mat gray;
  cv::cvtColor(image, gray, image.channels() == 4 ? cv::COLOR_BGRA2GRAY : cv::COLOR_BGR2GRAY);
  return gray;
}

// Half side of the sub-pixel search window: a third of the closest spacing of the corners
// (consecutive in OpenCV's order), 3..15 px, unless the options fix it.
int SubPixHalfWindow(const std::vector<cv::Point2f>& corners, const BoardDetectionOptions& options) {
  if (options.subpix_half_window_px > 0) return options.subpix_half_window_px;
  double closest = 1e9;
  for (size_t i = 1; i < corners.size(); ++i) closest = std::min(closest, cv::norm(corners[i] - corners[i - 1]));
  return std::clamp(static_cast<int>(closest / 3.0), 3, 15);
}

// Median distance between neighbouring corners along the rows of a full grid, pixels.
double MedianSpacing(const std::vector<cv::Point2f>& corners, int cols) {
  std::vector<double> d;
  for (size_t i = 1; i < corners.size(); ++i)
    if (i % static_cast<size_t>(cols) != 0) d.push_back(cv::norm(corners[i] - corners[i - 1]));
  if (d.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::nth_element(d.begin(), d.begin() + d.size() / 2, d.end());
  return d[d.size() / 2];
}

void Store(const std::vector<cv::Point2f>& corners, const std::vector<int>& ids, BoardDetection* out) {
  out->ids = ids;
  out->corners.clear();
  for (const auto& p : corners) out->corners.emplace_back(p.x, p.y);
}

BoardDetection DetectCheckerboard(const cv::Mat& gray, const BoardSpec& board, const BoardDetectionOptions& options) {
  BoardDetection out;
  const cv::Size pattern(board.cols, board.rows);
  std::vector<cv::Point2f> corners;
  const int flags = cv::CALIB_CB_ADAPTIVE_THRESH | cv::CALIB_CB_NORMALIZE_IMAGE | cv::CALIB_CB_FAST_CHECK;
  if (!cv::findChessboardCorners(gray, pattern, corners, flags)) {
    out.reason = "board not found (partly outside the image, occluded, or too blurred to detect)";
    return out;
  }
  const int half = SubPixHalfWindow(corners, options);
  cv::cornerSubPix(gray, corners, cv::Size(half, half), cv::Size(-1, -1),
                   cv::TermCriteria(cv::TermCriteria::EPS + cv::TermCriteria::COUNT, 50, 0.001));
  std::vector<int> ids(corners.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int>(i);
  Store(corners, ids, &out);
  out.edge_width_px = cv::estimateChessboardSharpness(gray, pattern, corners)[0];
  out.square_px = MedianSpacing(corners, board.cols);
  if (!(out.edge_width_px <= options.max_edge_width_rel * out.square_px)) {
    out.reason = "blurred: edges " + cv::format("%.1f", out.edge_width_px) + " px wide, " +
                 cv::format("%.0f", 100 * out.edge_width_px / out.square_px) + " % of a square (at most " +
                 cv::format("%.0f", 100 * options.max_edge_width_rel) + " %)";
    return out;
  }
  out.accepted = true;
  return out;
}

BoardDetection DetectCharuco(const cv::Mat& gray, const BoardSpec& board, const BoardDetectionOptions& options) {
  BoardDetection out;
  const auto dictionary =
      cv::aruco::getPredefinedDictionary(static_cast<cv::aruco::PREDEFINED_DICTIONARY_NAME>(DictionaryIndex(board.dictionary)));
  const auto charuco = cv::aruco::CharucoBoard::create(board.cols, board.rows, static_cast<float>(board.square_m),
                                                       static_cast<float>(board.marker_m), dictionary);
  std::vector<std::vector<cv::Point2f>> marker_corners;
  std::vector<int> marker_ids;
  cv::aruco::detectMarkers(gray, dictionary, marker_corners, marker_ids);
  if (marker_ids.empty()) {
    out.reason = "board not found (no marker of " + board.dictionary + ")";
    return out;
  }
  std::vector<cv::Point2f> corners;
  std::vector<int> ids;
  // Refines the corners to sub-pixel accuracy itself (cornerSubPix around each corner).
  cv::aruco::interpolateCornersCharuco(marker_corners, marker_ids, gray, charuco, corners, ids);
  Store(corners, ids, &out);
  if (static_cast<int>(ids.size()) < options.min_charuco_corners) {
    out.reason = "partial: " + std::to_string(ids.size()) + " corners (at least " +
                 std::to_string(options.min_charuco_corners) + ")";
    return out;
  }
  out.accepted = true;
  return out;
}

}  // namespace

BoardDetection DetectBoardWithOpenCv(const cv::Mat& image, const BoardSpec& board, const BoardDetectionOptions& options) {
  const cv::Mat gray = Gray(image);
  return board.kind == BoardKind::kCheckerboard ? DetectCheckerboard(gray, board, options)
                                                : DetectCharuco(gray, board, options);
}

}  // namespace epilabel
