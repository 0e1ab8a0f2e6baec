#include "detection/io/calibration_io.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <vector>

#include <opencv2/core.hpp>
#include <toml++/toml.h>

#include "foundation/file_util.h"
#include "foundation/error.h"

namespace epilabel {

namespace {

// Keys that make a top-level table a camera (Anipose, Pose2Sim, caliscope all use them).
constexpr std::array<std::string_view, 6> kCameraKeys = {"size", "matrix", "distortions", "rotation", "translation",
                                                         "fisheye"};

// "cam_0", "cam01", "camera-3", "Cam_12": a table named like a camera is a camera even when it
// lacks every camera field (so that it gets a clear "missing size" error instead of vanishing).
bool LooksLikeCameraKey(std::string_view key) {
  std::string lower(key);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.rfind("cam", 0) != 0) return false;
  size_t i = 3;
  if (lower.compare(0, 6, "camera") == 0) i = 6;
  if (i < lower.size() && (lower[i] == '_' || lower[i] == '-')) ++i;
  if (i >= lower.size()) return false;
  for (; i < lower.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(lower[i]))) return false;
  }
  return true;
}

// Parses the camera tables of one file, with errors that name the file, the line, the table
// and the field.
class CalibrationParser {
 public:
  explicit CalibrationParser(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void Fail(const toml::node* node, const std::string& table, const std::string& field,
                         const std::string& what) const {
    std::string where = path_;
    if (node != nullptr && node->source().begin.line > 0) where += ":" + std::to_string(node->source().begin.line);
    std::string prefix = "[" + table + "]";
    if (!field.empty()) prefix += " " + field;
    throw InputError(where, prefix + ": " + what);
  }

  // A finite number (integer or float).
  double Number(const toml::node& node, const std::string& table, const std::string& field) const {
    double v;
    if (const auto* f = node.as_floating_point()) {
      v = f->get();
    } else if (const auto* i = node.as_integer()) {
      v = static_cast<double>(i->get());
    } else {
      Fail(&node, table, field, std::string("expected a number, found a ") + TypeName(node));
    }
    if (!std::isfinite(v)) Fail(&node, table, field, "value is " + std::string(std::isnan(v) ? "NaN" : "infinite"));
    return v;
  }

  std::vector<double> Vector(const toml::node& node, const std::string& table, const std::string& field,
                             const std::string& expected) const {
    const toml::array* arr = node.as_array();
    if (arr == nullptr) Fail(&node, table, field, "expected " + expected + ", found a " + TypeName(node));
    std::vector<double> out;
    out.reserve(arr->size());
    for (const toml::node& v : *arr) {
      if (v.is_array()) Fail(&node, table, field, "expected " + expected + ", found nested arrays");
      out.push_back(Number(v, table, field));
    }
    return out;
  }

  std::vector<double> FixedVector(const toml::node& node, const std::string& table, const std::string& field,
                                  size_t n) const {
    const std::string expected = std::to_string(n) + " numbers";
    std::vector<double> v = Vector(node, table, field, expected);
    if (v.size() != n) Fail(&node, table, field, "expected " + expected + ", found " + std::to_string(v.size()));
    return v;
  }

  Eigen::Matrix3d Matrix3(const toml::node& node, const std::string& table, const std::string& field) const {
    const toml::array* rows = node.as_array();
    const std::string expected = "a 3x3 matrix [[a, b, c], [d, e, f], [g, h, i]]";
    if (rows == nullptr || rows->size() != 3) Fail(&node, table, field, "expected " + expected);
    Eigen::Matrix3d m;
    for (int r = 0; r < 3; ++r) {
      const toml::node& row = (*rows)[static_cast<size_t>(r)];
      const toml::array* cols = row.as_array();
      if (cols == nullptr || cols->size() != 3) Fail(&node, table, field, "expected " + expected);
      for (int c = 0; c < 3; ++c) m(r, c) = Number((*cols)[static_cast<size_t>(c)], table, field);
    }
    return m;
  }

  Camera ParseCamera(const std::string& key, const toml::table& t) const {
    Camera cam;
    cam.name = key;
    if (const toml::node* n = t.get("name")) {
      const auto* s = n->as_string();
      if (s == nullptr) Fail(n, key, "name", std::string("expected a string, found a ") + TypeName(*n));
      cam.name = s->get();
      if (cam.name.empty()) Fail(n, key, "name", "is empty");
    }

    if (const toml::node* n = t.get("fisheye")) {
      const auto* b = n->as_boolean();
      if (b == nullptr) Fail(n, key, "fisheye", "expected true or false");
      if (b->get()) cam.lens = LensModel::kFisheye;
    }

    if (const toml::node* n = t.get("time_offset")) cam.time_offset = Number(*n, key, "time_offset");

    const toml::node* size = t.get("size");
    if (size == nullptr) Fail(&t, key, "size", "missing (expected size = [width, height] in pixels)");
    const std::vector<double> wh = FixedVector(*size, key, "size", 2);
    for (int i = 0; i < 2; ++i) {
      const char* what = i == 0 ? "width" : "height";
      if (wh[i] <= 0.0) Fail(size, key, "size", std::string(what) + " must be positive, found " + Format(wh[i]));
      if (wh[i] != std::floor(wh[i]) || wh[i] > 1e6) {
        Fail(size, key, "size", std::string(what) + " must be a whole number of pixels, found " + Format(wh[i]));
      }
    }
    cam.width = static_cast<int>(wh[0]);
    cam.height = static_cast<int>(wh[1]);

    if (const toml::node* n = t.get("matrix")) {
      const Eigen::Matrix3d k = Matrix3(*n, key, "matrix");
      if (k(0, 0) <= 0.0 || k(1, 1) <= 0.0) {
        Fail(n, key, "matrix", "focal lengths must be positive, found fx = " + Format(k(0, 0)) +
                                   ", fy = " + Format(k(1, 1)));
      }
      if (std::abs(k(0, 1)) > 1e-9 * k(0, 0)) {
        Fail(n, key, "matrix", "skew (matrix[0][1] = " + Format(k(0, 1)) + ") is not supported, expected 0");
      }
      if (k(1, 0) != 0.0 || k(2, 0) != 0.0 || k(2, 1) != 0.0 || k(2, 2) != 1.0) {
        Fail(n, key, "matrix", "expected the form [[fx, 0, cx], [0, fy, cy], [0, 0, 1]]");
      }
      cam.fx = k(0, 0);
      cam.fy = k(1, 1);
      cam.cx = k(0, 2);
      cam.cy = k(1, 2);
    }

    if (const toml::node* n = t.get("distortions"); n != nullptr && cam.lens == LensModel::kFisheye) {
      const std::vector<double> d = Vector(*n, key, "distortions", "4 numbers (k1, k2, k3, k4) for a fisheye");
      if (d.size() != 4) {
        Fail(n, key, "distortions",
             "expected 4 numbers (k1, k2, k3, k4) for a fisheye camera, found " + std::to_string(d.size()));
      }
      cam.distortion.fill(0.0);
      std::copy(d.begin(), d.end(), cam.distortion.begin());
      if (cam.fx == 0.0 && !IsZeroDistortion(cam.distortion)) {
        Fail(n, key, "distortions", "given without a camera matrix");
      }
    } else if (n != nullptr) {
      const std::vector<double> d = Vector(*n, key, "distortions", "4 or 5 numbers (k1, k2, p1, p2[, k3])");
      if (d.size() != 4 && d.size() != 5) {
        Fail(n, key, "distortions",
             "expected 4 or 5 numbers (k1, k2, p1, p2[, k3]), found " + std::to_string(d.size()));
      }
      cam.distortion.fill(0.0);
      std::copy(d.begin(), d.end(), cam.distortion.begin());
      if (cam.fx == 0.0 && !IsZeroDistortion(cam.distortion)) {
        Fail(n, key, "distortions", "given without a camera matrix");
      }
    }

    const toml::node* rot = t.get("rotation");
    const toml::node* trans = t.get("translation");
    if ((rot == nullptr) != (trans == nullptr)) {
      Fail(rot != nullptr ? rot : trans, key, rot != nullptr ? "translation" : "rotation",
           "missing (rotation and translation come together)");
    }
    if (rot != nullptr) {
      Eigen::Matrix3d r;
      const toml::array* arr = rot->as_array();
      if (arr != nullptr && arr->size() == 3 && (*arr)[0].is_array()) {
        r = Matrix3(*rot, key, "rotation");
        const double orth = (r.transpose() * r - Eigen::Matrix3d::Identity()).cwiseAbs().maxCoeff();
        if (orth > 1e-6 || r.determinant() < 0.0) {
          Fail(rot, key, "rotation", "the 3x3 matrix is not a rotation (R^T R - I is " + Format(orth) +
                                         ", det " + Format(r.determinant()) + ")");
        }
      } else {
        const std::vector<double> v = Vector(*rot, key, "rotation", "a Rodrigues vector [rx, ry, rz] or a 3x3 matrix");
        if (v.size() != 3) {
          Fail(rot, key, "rotation",
               "expected a Rodrigues vector [rx, ry, rz] or a 3x3 matrix, found " + std::to_string(v.size()) +
                   " numbers");
        }
        const Eigen::Vector3d rvec(v[0], v[1], v[2]);
        // Any tool writes angles within a few turns; a huge norm overflows or loses the angle.
        constexpr double kMaxRodriguesNorm = 1000.0;
        if (!(rvec.norm() <= kMaxRodriguesNorm))
          Fail(rot, key, "rotation", "the Rodrigues vector's angle is " + Format(rvec.norm()) +
                                         " rad; expected at most " + Format(kMaxRodriguesNorm));
        r = RotationFromRodrigues(rvec);
      }
      const std::vector<double> tv = FixedVector(*trans, key, "translation", 3);
      cam.cam_from_world = Rigid3d(r, Eigen::Vector3d(tv[0], tv[1], tv[2]));
      cam.has_extrinsics = true;
      if (cam.fx == 0.0) Fail(rot, key, "rotation", "extrinsics given without a camera matrix");
    }
    return cam;
  }

  Rig Parse(const std::string& content) const {
    toml::table root;
    try {
      root = toml::parse(content, path_);
    } catch (const toml::parse_error& e) {
      const auto& begin = e.source().begin;
      throw InputError(path_ + ":" + std::to_string(begin.line),
                       "malformed TOML (column " + std::to_string(begin.column) + "): " +
                           std::string(e.description()));
    }
    // toml++ iterates keys in sorted order; restore the file's order from the source lines.
    std::vector<std::pair<size_t, std::string>> camera_keys;
    for (const auto& [key, node] : root) {
      const toml::table* t = node.as_table();
      if (t == nullptr) continue;
      bool is_camera = LooksLikeCameraKey(key.str());
      for (std::string_view k : kCameraKeys) is_camera = is_camera || t->contains(k);
      if (is_camera) camera_keys.emplace_back(node.source().begin.line, std::string(key.str()));
    }
    std::sort(camera_keys.begin(), camera_keys.end());
    if (camera_keys.empty()) {
      throw InputError(path_, "no camera found (expected tables such as [cam_0] with size, matrix, distortions, "
                              "rotation, translation)");
    }
    Rig rig;
    std::set<std::string> names;
    for (const auto& [line, key] : camera_keys) {
      const toml::table& t = *root[key].as_table();
      Camera cam = ParseCamera(key, t);
      if (!names.insert(cam.name).second) Fail(&t, key, "name", "camera name '" + cam.name + "' is used twice");
      rig.push_back(std::move(cam));
    }
    if (TranslationsInMillimetres(root)) {
      for (Camera& cam : rig) cam.cam_from_world.translation /= 1000.0;
    }
    return rig;
  }

  // FreeMoCap's files: [metadata] charuco_square_size is the board's square in millimetres
  // (its GUI asks for mm; aniposelib calibrates in the board's unit), so the translations are
  // millimetres. A square of 1 or more is millimetres (no board square is a metre); a smaller
  // one says the board, and so the file, is in metres.
  bool TranslationsInMillimetres(const toml::table& root) const {
    const toml::table* metadata = root["metadata"].as_table();
    if (metadata == nullptr) return false;
    const toml::node* square = metadata->get("charuco_square_size");
    if (square == nullptr) return false;
    return Number(*square, "metadata", "charuco_square_size") >= 1.0;
  }

  static std::string Format(double v) {
    std::ostringstream os;
    os.precision(10);
    os << v;
    return os.str();
  }

 private:
  static const char* TypeName(const toml::node& node) {
    switch (node.type()) {
      case toml::node_type::string: return "string";
      case toml::node_type::integer: return "integer";
      case toml::node_type::floating_point: return "float";
      case toml::node_type::boolean: return "boolean";
      case toml::node_type::array: return "array";
      case toml::node_type::table: return "table";
      default: return "date/time";
    }
  }

  std::string path_;
};

// Shortest decimal form that reads back to the same double, always with a '.' or an exponent
// so that TOML readers see a float.
std::string TomlFloat(double v) {
  if (!std::isfinite(v)) throw std::invalid_argument("WriteCalibrationToml: non-finite value");
  if (v == 0.0) v = 0.0;  // no "-0.0"
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof(buf), v);
  std::string s(buf, res.ptr);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

std::string TomlString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char esc[8];
          std::snprintf(esc, sizeof(esc), "\\u%04x", static_cast<unsigned>(c));
          out += esc;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

bool IsBareKey(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

// Table keys: the camera names when they are bare keys that sort in the rig's order (Anipose
// loads cameras in sorted key order), else cam_<index> padded so that sorting keeps the order.
std::vector<std::string> TableKeys(const Rig& rig) {
  std::vector<std::string> names;
  bool usable = true;
  std::set<std::string> seen;
  for (const Camera& c : rig) {
    usable = usable && IsBareKey(c.name) && c.name != "metadata" && seen.insert(c.name).second;
    names.push_back(c.name);
  }
  if (usable && std::is_sorted(names.begin(), names.end())) return names;
  const size_t width = std::to_string(rig.empty() ? 0 : rig.size() - 1).size();
  std::vector<std::string> keys;
  for (size_t i = 0; i < rig.size(); ++i) {
    std::string idx = std::to_string(i);
    keys.push_back("cam_" + std::string(width - idx.size(), '0') + idx);
  }
  return keys;
}

void CheckWritable(const Rig& rig, const std::string& path) {
  if (rig.empty()) throw std::invalid_argument(path + ": no camera to write");
  std::set<std::string> names;
  for (const Camera& c : rig) {
    if (c.name.empty()) throw std::invalid_argument(path + ": a camera has no name");
    if (!names.insert(c.name).second) throw std::invalid_argument(path + ": camera name '" + c.name + "' is used twice");
    if (c.width <= 0 || c.height <= 0) {
      throw std::invalid_argument(path + ": camera '" + c.name + "' has no image size");
    }
  }
}

}  // namespace

Rig ReadCalibrationToml(const std::string& path) {
  const std::string content = ReadFileToString(path);
  return CalibrationParser(path).Parse(content);
}

void WriteCalibrationToml(const Rig& rig, const std::string& path, const std::string& metadata_toml) {
  CheckWritable(rig, path);
  const std::vector<std::string> keys = TableKeys(rig);
  std::ostringstream os;
  for (size_t i = 0; i < rig.size(); ++i) {
    const Camera& c = rig[i];
    if (i > 0) os << "\n";
    os << "[" << keys[i] << "]\n";
    os << "name = " << TomlString(c.name) << "\n";
    os << "size = [" << c.width << ", " << c.height << "]\n";
    if (c.fx > 0.0) {
      os << "matrix = [[" << TomlFloat(c.fx) << ", 0.0, " << TomlFloat(c.cx) << "], [0.0, " << TomlFloat(c.fy) << ", "
         << TomlFloat(c.cy) << "], [0.0, 0.0, 1.0]]\n";
      os << "distortions = [";
      const size_t terms = c.lens == LensModel::kFisheye ? 4 : c.distortion.size();
      for (size_t k = 0; k < terms; ++k) os << (k ? ", " : "") << TomlFloat(c.distortion[k]);
      os << "]\n";
      if (c.has_extrinsics) {
        const Eigen::Vector3d r = RodriguesFromRotation(c.cam_from_world.RotationMatrix());
        const Eigen::Vector3d& t = c.cam_from_world.translation;
        os << "rotation = [" << TomlFloat(r.x()) << ", " << TomlFloat(r.y()) << ", " << TomlFloat(r.z()) << "]\n";
        os << "translation = [" << TomlFloat(t.x()) << ", " << TomlFloat(t.y()) << ", " << TomlFloat(t.z()) << "]\n";
      }
    }
    os << "fisheye = " << (c.lens == LensModel::kFisheye ? "true" : "false") << "\n";
    if (c.time_offset != 0.0) os << "time_offset = " << TomlFloat(c.time_offset) << "\n";
  }
  if (!metadata_toml.empty()) {
    os << "\n" << metadata_toml;
    if (metadata_toml.back() != '\n') os << "\n";
  }
  const std::string text = os.str();
  // The appended tables are caller text: make sure the whole file still parses.
  try {
    (void)toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw std::invalid_argument(path + ": metadata_toml makes the file invalid TOML: " + std::string(e.description()));
  }
  WriteFileAtomic(path, text);
}

void WriteCalibrationYaml(const Rig& rig, const std::string& path) {
  CheckWritable(rig, path);
  cv::FileStorage fs(".yaml", cv::FileStorage::WRITE | cv::FileStorage::MEMORY | cv::FileStorage::FORMAT_YAML);
  fs << "camera_count" << static_cast<int>(rig.size());
  fs << "camera_names" << "[";
  for (const Camera& c : rig) fs << c.name;
  fs << "]";
  for (size_t i = 0; i < rig.size(); ++i) {
    const Camera& c = rig[i];
    fs << ("camera_" + std::to_string(i)) << "{";
    fs << "name" << c.name;
    fs << "image_width" << c.width << "image_height" << c.height;
    fs << "intrinsics_known" << (c.fx > 0.0 ? 1 : 0);
    cv::Mat k = cv::Mat::eye(3, 3, CV_64F);
    k.at<double>(0, 0) = c.fx;
    k.at<double>(1, 1) = c.fy;
    k.at<double>(0, 2) = c.cx;
    k.at<double>(1, 2) = c.cy;
    fs << "camera_matrix" << k;
    const int terms = c.lens == LensModel::kFisheye ? 4 : 5;
    cv::Mat d(1, terms, CV_64F);
    for (int j = 0; j < terms; ++j) d.at<double>(0, j) = c.distortion[static_cast<size_t>(j)];
    if (c.lens == LensModel::kFisheye) fs << "fisheye" << 1;  // pinhole files as before
    fs << "distortion_coefficients" << d;
    fs << "has_extrinsics" << (c.has_extrinsics ? 1 : 0);
    if (c.has_extrinsics) {
      const Eigen::Matrix3d r = c.cam_from_world.RotationMatrix();
      cv::Mat rm(3, 3, CV_64F), tm(3, 1, CV_64F);
      for (int a = 0; a < 3; ++a) {
        tm.at<double>(a, 0) = c.cam_from_world.translation(a);
        for (int b = 0; b < 3; ++b) rm.at<double>(a, b) = r(a, b);
      }
      fs << "rotation" << rm << "translation" << tm;
    }
    fs << "}";
  }
  WriteFileAtomic(path, fs.releaseAndGetString());
}

Rig TranslationsInMetres(Rig rig, const std::string& unit) {
  double metres_per_unit = 0.0;
  if (unit == "m") metres_per_unit = 1.0;
  if (unit == "cm") metres_per_unit = 0.01;
  if (unit == "mm") metres_per_unit = 0.001;
  if (metres_per_unit == 0.0) throw std::invalid_argument("unknown length unit '" + unit + "' (m, cm or mm)");
  for (Camera& cam : rig) cam.cam_from_world.translation *= metres_per_unit;
  return rig;
}

double MedianCameraSpacing(const Rig& rig) {
  std::vector<Eigen::Vector3d> centres;
  for (const Camera& cam : rig)
    if (cam.has_extrinsics) centres.push_back(cam.CenterInWorld());
  std::vector<double> spacing;
  for (size_t a = 0; a < centres.size(); ++a)
    for (size_t b = a + 1; b < centres.size(); ++b) spacing.push_back((centres[a] - centres[b]).norm());
  if (spacing.empty()) return 0.0;
  const auto mid = spacing.begin() + static_cast<std::ptrdiff_t>(spacing.size() / 2);
  std::nth_element(spacing.begin(), mid, spacing.end());
  return *mid;
}

}  // namespace epilabel
