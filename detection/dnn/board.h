// Calibration boards: their description (a spec string), the 3D positions of their corners and
// the detection of a board in an image.
//
// Board coordinates: metres, z = 0 on the board, x along the first count. A checkerboard
// `checkerboard:COLSxROWS:SQUARE` has COLS x ROWS inner corners (Pose2Sim's
// `intrinsics_corners_nb = [4, 7]` is `checkerboard:4x7:0.06`); a ChArUco board
// `charuco:COLSxROWS:SQUARE:MARKER[:DICT]` has COLS x ROWS squares (so (COLS-1) x (ROWS-1) inner
// corners), ArUco markers of side MARKER in the white squares, from dictionary DICT
// (DICT_4X4_50 by default; any of OpenCV's predefined DICT_* names). Sizes in metres.
#pragma once

#include <limits>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <opencv2/core.hpp>

namespace epilabel {

enum class BoardKind { kCheckerboard, kCharuco };

struct BoardSpec {
  BoardKind kind = BoardKind::kCheckerboard;
  int cols = 0;            // checkerboard: inner corners along x; charuco: squares along x
  int rows = 0;            // checkerboard: inner corners along y; charuco: squares along y
  double square_m = 0.0;   // side of a square, metres
  double marker_m = 0.0;   // charuco: side of a marker, metres (< square_m)
  std::string dictionary;  // charuco: OpenCV dictionary name, e.g. "DICT_4X4_50"

  // Inner corners along x and y (the grid of CornerPoints()).
  int CornerCols() const { return kind == BoardKind::kCheckerboard ? cols : cols - 1; }
  int CornerRows() const { return kind == BoardKind::kCheckerboard ? rows : rows - 1; }
  int NumCorners() const { return CornerCols() * CornerRows(); }
  // Board coordinates of corner id (row-major over the inner-corner grid), metres.
  std::vector<Eigen::Vector3d> CornerPoints() const;
  // The spec string again (as ParseBoardSpec reads it).
  std::string ToString() const;
};

// The index of an OpenCV dictionary name ("DICT_4X4_50") in cv::aruco::PREDEFINED_DICTIONARY_NAME,
// -1 when unknown.
int DictionaryIndex(const std::string& name);

// Parses "checkerboard:4x7:0.06" or "charuco:5x7:0.04:0.03[:DICT_4X4_50]". Throws
// InputError("board", ...) saying what is wrong and what was expected: an unknown kind, counts
// below 2 (checkerboard: inner corners 2..100; charuco: squares 3..100), sizes not in
// (0, 10] m, a marker not smaller than its square, an unknown dictionary, or a dictionary too
// small for the board's markers.
BoardSpec ParseBoardSpec(const std::string& spec);

// Options of one board detection.
struct BoardDetectionOptions {
  // Half side of the cornerSubPix search window, pixels; 0 = from the corner spacing (a third
  // of the smallest distance between neighbouring corners, 3..15 px).
  int subpix_half_window_px = 0;
  // Checkerboards: a view whose mean edge width (OpenCV's estimateChessboardSharpness: pixels
  // for the intensity to rise from 10 % to 90 %) exceeds this share of the square's side in the
  // image is rejected as blurred (an edge width is only blur relative to the pattern it blurs).
  double max_edge_width_rel = 0.2;
  // ChArUco: fewest corners a view must show (a partial board is usable, but few corners
  // constrain little).
  int min_charuco_corners = 6;
  // Throws InputError naming the option key when a value is out of range.
  void Check() const;
};

// One board in one image.
struct BoardDetection {
  bool accepted = false;
  std::string reason;                   // why not accepted ("board not found", "blurred: ...")
  std::vector<int> ids;                 // corner ids (indices into BoardSpec::CornerPoints())
  std::vector<Eigen::Vector2d> corners; // sub-pixel corners, pixels (OpenCV convention)
  double edge_width_px = std::numeric_limits<double>::quiet_NaN();  // checkerboard sharpness
  double square_px = std::numeric_limits<double>::quiet_NaN();      // median corner spacing, pixels
};

// Finds `board` in an 8-bit image (grey or BGR), refines the corners to sub-pixel accuracy and
// judges the view (not found or partial, blurred, too few corners). Runs in the image module
// (libepilabel_detector_dnn.so, see detector_module.h), loaded on the first call;
// std::runtime_error naming the files tried when it cannot be loaded.
BoardDetection DetectBoard(const cv::Mat& image, const BoardSpec& board, const BoardDetectionOptions& options);

}  // namespace epilabel
