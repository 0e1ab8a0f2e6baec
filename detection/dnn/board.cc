#include "detection/dnn/board.h"

#include <cmath>
#include <cstdlib>
#include <sstream>

#include "foundation/error.h"

namespace epilabel {

namespace {

// OpenCV's predefined dictionaries in the order of cv::aruco::PREDEFINED_DICTIONARY_NAME, with
// their marker counts.
struct DictionaryEntry {
  const char* name;
  int markers;
};
constexpr DictionaryEntry kDictionaries[] = {
    {"DICT_4X4_50", 50},        {"DICT_4X4_100", 100},        {"DICT_4X4_250", 250},     {"DICT_4X4_1000", 1000},
    {"DICT_5X5_50", 50},        {"DICT_5X5_100", 100},        {"DICT_5X5_250", 250},     {"DICT_5X5_1000", 1000},
    {"DICT_6X6_50", 50},        {"DICT_6X6_100", 100},        {"DICT_6X6_250", 250},     {"DICT_6X6_1000", 1000},
    {"DICT_7X7_50", 50},        {"DICT_7X7_100", 100},        {"DICT_7X7_250", 250},     {"DICT_7X7_1000", 1000},
    {"DICT_ARUCO_ORIGINAL", 1024}, {"DICT_APRILTAG_16h5", 30}, {"DICT_APRILTAG_25h9", 35}, {"DICT_APRILTAG_36h10", 2320},
    {"DICT_APRILTAG_36h11", 587}};

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, sep)) parts.push_back(part);
  if (!s.empty() && s.back() == sep) parts.emplace_back();
  return parts;
}

double ParseSize(const std::string& text, const std::string& what, const std::string& spec) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v) || v <= 0.0 || v > 10.0)
    throw InputError("board", "'" + spec + "': " + what + " '" + text + "' is not a size in metres in (0, 10]");
  return v;
}

// "4x7" -> (4, 7), each in [lo, 100].
void ParseCounts(const std::string& text, int lo, const std::string& what, const std::string& spec, int* cols,
                 int* rows) {
  const size_t x = text.find_first_of("xX");
  auto number = [&](const std::string& t) {
    char* end = nullptr;
    const long v = std::strtol(t.c_str(), &end, 10);
    if (t.empty() || end != t.c_str() + t.size() || v < lo || v > 100)
      throw InputError("board", "'" + spec + "': " + what + " '" + text + "' must be COLSxROWS with counts in [" +
                                    std::to_string(lo) + ", 100]");
    return static_cast<int>(v);
  };
  if (x == std::string::npos) number("");
  *cols = number(text.substr(0, x));
  *rows = number(text.substr(x + 1));
}

}  // namespace

int DictionaryIndex(const std::string& name) {
  for (size_t i = 0; i < std::size(kDictionaries); ++i)
    if (name == kDictionaries[i].name) return static_cast<int>(i);
  return -1;
}

BoardSpec ParseBoardSpec(const std::string& spec) {
  const std::vector<std::string> parts = Split(spec, ':');
  BoardSpec board;
  const std::string expected =
      "expected checkerboard:COLSxROWS:SQUARE (inner corners, metres, e.g. checkerboard:4x7:0.06) or "
      "charuco:COLSxROWS:SQUARE:MARKER[:DICT] (squares, metres, e.g. charuco:5x7:0.04:0.03:DICT_4X4_50)";
  if (parts.empty()) throw InputError("board", "empty; " + expected);
  if (parts[0] == "checkerboard" || parts[0] == "chessboard") {
    if (parts.size() != 3) throw InputError("board", "'" + spec + "': " + expected);
    board.kind = BoardKind::kCheckerboard;
    ParseCounts(parts[1], 2, "inner corners", spec, &board.cols, &board.rows);
    board.square_m = ParseSize(parts[2], "square size", spec);
    return board;
  }
  if (parts[0] == "charuco") {
    if (parts.size() != 4 && parts.size() != 5) throw InputError("board", "'" + spec + "': " + expected);
    board.kind = BoardKind::kCharuco;
    ParseCounts(parts[1], 3, "squares", spec, &board.cols, &board.rows);
    board.square_m = ParseSize(parts[2], "square size", spec);
    board.marker_m = ParseSize(parts[3], "marker size", spec);
    if (board.marker_m >= board.square_m)
      throw InputError("board", "'" + spec + "': the marker (" + parts[3] + " m) must be smaller than the square (" +
                                    parts[2] + " m)");
    board.dictionary = parts.size() == 5 ? parts[4] : "DICT_4X4_50";
    const int dict = DictionaryIndex(board.dictionary);
    if (dict < 0) {
      std::string names;
      for (const auto& d : kDictionaries) names += std::string(names.empty() ? "" : ", ") + d.name;
      throw InputError("board", "'" + spec + "': unknown dictionary '" + board.dictionary + "' (one of " + names + ")");
    }
    const int markers = board.cols * board.rows / 2;
    if (markers > kDictionaries[dict].markers)
      throw InputError("board", "'" + spec + "': the board has " + std::to_string(markers) + " markers but " +
                                    board.dictionary + " only " + std::to_string(kDictionaries[dict].markers));
    return board;
  }
  throw InputError("board", "'" + spec + "': unknown board kind '" + parts[0] + "'; " + expected);
}

std::vector<Eigen::Vector3d> BoardSpec::CornerPoints() const {
  std::vector<Eigen::Vector3d> points;
  points.reserve(static_cast<size_t>(NumCorners()));
  // ChArUco's first inner corner lies one square from the board's corner (OpenCV's layout).
  const double offset = kind == BoardKind::kCharuco ? square_m : 0.0;
  for (int r = 0; r < CornerRows(); ++r)
    for (int c = 0; c < CornerCols(); ++c) points.emplace_back(offset + c * square_m, offset + r * square_m, 0.0);
  return points;
}

std::string BoardSpec::ToString() const {
  std::ostringstream os;
  os.precision(10);
  if (kind == BoardKind::kCheckerboard) {
    os << "checkerboard:" << cols << "x" << rows << ":" << square_m;
  } else {
    os << "charuco:" << cols << "x" << rows << ":" << square_m << ":" << marker_m << ":" << dictionary;
  }
  return os.str();
}

void BoardDetectionOptions::Check() const {
  if (subpix_half_window_px < 0 || subpix_half_window_px > 50)
    throw InputError("subpix_half_window_px", "must be in [0, 50], got " + std::to_string(subpix_half_window_px));
  if (!(max_edge_width_rel > 0.0) || max_edge_width_rel > 1.0)
    throw InputError("max_edge_width_rel", "must be in (0, 1], got " + std::to_string(max_edge_width_rel));
  if (min_charuco_corners < 4 || min_charuco_corners > 10000)
    throw InputError("min_charuco_corners", "must be in [4, 10000], got " + std::to_string(min_charuco_corners));
}

}  // namespace epilabel
