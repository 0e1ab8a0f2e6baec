#include "detection/io/calibration_import.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <vector>

#include <Eigen/Dense>
#include <opencv2/core.hpp>
#include <opencv2/core/eigen.hpp>

#include "foundation/error.h"
#include "foundation/file_util.h"

namespace fs = std::filesystem;

namespace epilabel {

namespace {

std::string ReadBounded(const std::string& path) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  if (!ec && size > kMaxImportBytes)
    throw InputError(path, "is " + std::to_string(size >> 20) + " MB; a calibration file is at most " +
                               std::to_string(kMaxImportBytes >> 20) + " MB");
  return ReadFileToString(path);
}

// One XML start tag: its name and attributes (entities other than the five predefined ones
// are left as they are).
struct XmlTag {
  std::string name;
  bool closing = false;  // </name>
  std::map<std::string, std::string> attributes;
  int line = 0;
};

std::string XmlUnescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    static const std::pair<const char*, char> kEntities[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    bool done = false;
    for (const auto& [entity, c] : kEntities) {
      if (s.compare(i, std::char_traits<char>::length(entity), entity) == 0) {
        out += c;
        i += std::char_traits<char>::length(entity) - 1;
        done = true;
        break;
      }
    }
    if (!done) out += '&';
  }
  return out;
}

// The element tags of `xml` in order (declarations, comments and text skipped).
std::vector<XmlTag> XmlTags(const std::string& xml, const std::string& path) {
  std::vector<XmlTag> tags;
  size_t i = 0;
  int line = 1;
  auto fail = [&](const std::string& what) { throw InputError(path + ":" + std::to_string(line), what); };
  auto skip_to = [&](const char* end) {
    const size_t e = xml.find(end, i);
    if (e == std::string::npos) fail(std::string("unterminated markup, expected '") + end + "'");
    for (size_t k = i; k < e; ++k) line += xml[k] == '\n';
    i = e + std::char_traits<char>::length(end);
  };
  while (i < xml.size()) {
    if (xml[i] != '<') {
      line += xml[i++] == '\n';
      continue;
    }
    if (xml.compare(i, 4, "<!--") == 0) { skip_to("-->"); continue; }
    if (xml.compare(i, 2, "<?") == 0 || xml.compare(i, 2, "<!") == 0) { skip_to(">"); continue; }
    XmlTag tag;
    tag.line = line;
    ++i;
    if (i < xml.size() && xml[i] == '/') tag.closing = true, ++i;
    while (i < xml.size() && (std::isalnum(static_cast<unsigned char>(xml[i])) || xml[i] == '_' || xml[i] == '-' ||
                              xml[i] == ':' || xml[i] == '.'))
      tag.name += xml[i++];
    if (tag.name.empty()) fail("malformed tag");
    while (true) {
      while (i < xml.size() && std::isspace(static_cast<unsigned char>(xml[i]))) line += xml[i++] == '\n';
      if (i >= xml.size()) fail("unterminated tag <" + tag.name + ">");
      if (xml[i] == '>') { ++i; break; }
      if (xml[i] == '/' && i + 1 < xml.size() && xml[i + 1] == '>') { i += 2; break; }
      std::string key;
      while (i < xml.size() && xml[i] != '=' && !std::isspace(static_cast<unsigned char>(xml[i])) && xml[i] != '>')
        key += xml[i++];
      while (i < xml.size() && std::isspace(static_cast<unsigned char>(xml[i]))) line += xml[i++] == '\n';
      if (key.empty() || i >= xml.size() || xml[i] != '=') fail("malformed attribute in <" + tag.name + ">");
      ++i;
      while (i < xml.size() && std::isspace(static_cast<unsigned char>(xml[i]))) line += xml[i++] == '\n';
      if (i >= xml.size() || (xml[i] != '"' && xml[i] != '\'')) fail("attribute '" + key + "' without quotes");
      const char quote = xml[i++];
      const size_t end = xml.find(quote, i);
      if (end == std::string::npos) fail("unterminated attribute '" + key + "'");
      tag.attributes[key] = XmlUnescape(xml.substr(i, end - i));
      i = end + 1;
    }
    tags.push_back(std::move(tag));
  }
  return tags;
}

double Attribute(const XmlTag& tag, const std::string& key, const std::string& path) {
  const auto it = tag.attributes.find(key);
  const std::string where = path + ":" + std::to_string(tag.line);
  if (it == tag.attributes.end()) throw InputError(where, "<" + tag.name + "> has no attribute '" + key + "'");
  char* end = nullptr;
  const double v = std::strtod(it->second.c_str(), &end);
  if (it->second.empty() || *end != '\0' || !std::isfinite(v))
    throw InputError(where, "<" + tag.name + "> " + key + "=\"" + it->second + "\" is not a finite number");
  return v;
}

// The parts of one <camera> element that a Rig needs.
struct QualisysCamera {
  int line = 0;
  std::optional<XmlTag> fov, transform, intrinsic;
  double view_rotation = 0;
};

Camera QualisysToCamera(const QualisysCamera& q, int index, const std::string& path) {
  const std::string where = path + ":" + std::to_string(q.line);
  if (!q.fov || !q.transform || !q.intrinsic)
    throw InputError(where, "<camera> needs <fov_video>, <transform> and <intrinsic>");
  if (q.view_rotation != 0)
    throw InputError(where, "viewrotation " + std::to_string(static_cast<int>(q.view_rotation)) +
                                " is not supported (rotate the calibration in QTM, or export without view rotation)");
  constexpr double kSubpixels = 64.0;  // Qualisys sensor units per pixel
  Camera cam;
  char name[32];
  std::snprintf(name, sizeof(name), "cam_%02d", index + 1);
  cam.name = name;
  const double left = Attribute(*q.fov, "left", path), top = Attribute(*q.fov, "top", path);
  cam.width = static_cast<int>(std::lround(Attribute(*q.fov, "right", path) - left + 1));
  cam.height = static_cast<int>(std::lround(Attribute(*q.fov, "bottom", path) - top + 1));
  if (cam.width <= 0 || cam.height <= 0 || cam.width > 100000 || cam.height > 100000)
    throw InputError(where, "<fov_video> gives an image of " + std::to_string(cam.width) + "x" +
                                std::to_string(cam.height) + " pixels");
  const XmlTag& in = *q.intrinsic;
  cam.fx = Attribute(in, "focalLengthU", path) / kSubpixels;
  cam.fy = Attribute(in, "focalLengthV", path) / kSubpixels;
  cam.cx = Attribute(in, "centerPointU", path) / kSubpixels - left;
  cam.cy = Attribute(in, "centerPointV", path) / kSubpixels - top;
  if (!(cam.fx > 0 && cam.fy > 0)) throw InputError(where, "focal lengths must be positive");
  // Already in OpenCV's units (see the header): not divided by 64.
  cam.distortion = {Attribute(in, "radialDistortion1", path), Attribute(in, "radialDistortion2", path),
                    Attribute(in, "tangentalDistortion1", path), Attribute(in, "tangentalDistortion2", path),
                    Attribute(in, "radialDistortion3", path)};
  Eigen::Matrix3d r;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      r(i, j) = Attribute(*q.transform, "r" + std::to_string(i + 1) + std::to_string(j + 1), path);
  if ((r * r.transpose() - Eigen::Matrix3d::Identity()).norm() > 1e-4 || r.determinant() < 0)
    throw InputError(where, "<transform> r11..r33 is not a rotation");
  const Eigen::Matrix3d rotation = Eigen::Vector3d(1, -1, -1).asDiagonal() * r;
  const Eigen::Vector3d centre(Attribute(*q.transform, "x", path), Attribute(*q.transform, "y", path),
                               Attribute(*q.transform, "z", path));
  cam.cam_from_world = Rigid3d(rotation, -(rotation * centre / 1000.0));
  cam.has_extrinsics = true;
  return cam;
}

}  // namespace

Rig ReadQualisysCalibration(const std::string& path) {
  const std::vector<XmlTag> tags = XmlTags(ReadBounded(path), path);
  std::vector<QualisysCamera> cameras;
  bool inside = false;
  for (const XmlTag& tag : tags) {
    if (tag.name == "camera") {
      inside = !tag.closing;
      if (inside) {
        cameras.emplace_back();
        cameras.back().line = tag.line;
        if (tag.attributes.count("viewrotation")) cameras.back().view_rotation = Attribute(tag, "viewrotation", path);
      }
      continue;
    }
    if (!inside || tag.closing) continue;
    if (tag.name == "fov_video") cameras.back().fov = tag;
    if (tag.name == "transform") cameras.back().transform = tag;
    if (tag.name == "intrinsic") cameras.back().intrinsic = tag;
  }
  if (cameras.empty()) throw InputError(path, "no <camera> element: not a Qualisys .qca.txt calibration");
  Rig rig;
  for (size_t i = 0; i < cameras.size(); ++i) rig.push_back(QualisysToCamera(cameras[i], static_cast<int>(i), path));
  return rig;
}

namespace {

// The attribute `key` of `tag` as exactly `count` finite numbers separated by white space
// (count < 0: any number); `skip_words` leading words (a model name) are skipped first.
// Errors name `who` (the camera).
std::vector<double> NumberList(const XmlTag& tag, const std::string& key, int count, const std::string& path,
                               const std::string& who, int skip_words = 0) {
  const std::string where = path + ":" + std::to_string(tag.line);
  const auto it = tag.attributes.find(key);
  if (it == tag.attributes.end()) throw InputError(where, who + ": <" + tag.name + "> has no attribute '" + key + "'");
  std::istringstream in(it->second);
  std::string word;
  for (int i = 0; i < skip_words; ++i) in >> word;
  std::vector<double> values;
  while (in >> word) {
    char* end = nullptr;
    const double v = std::strtod(word.c_str(), &end);
    if (*end != '\0' || !std::isfinite(v) || values.size() > 64)
      throw InputError(where, who + ": <" + tag.name + "> " + key + "=\"" + it->second.substr(0, 80) +
                                  "\" is not a list of finite numbers");
    values.push_back(v);
  }
  if (count >= 0 && static_cast<int>(values.size()) != count)
    throw InputError(where, who + ": <" + tag.name + "> " + key + " must hold " + std::to_string(count) +
                                " numbers, not " + std::to_string(values.size()));
  return values;
}

double Number(const XmlTag& tag, const std::string& key, const std::string& path, const std::string& who) {
  return NumberList(tag, key, 1, path, who).front();
}

std::string AttributeText(const XmlTag& tag, const std::string& key) {
  const auto it = tag.attributes.find(key);
  return it == tag.attributes.end() ? "" : it->second;
}

// One <Camera> element and its <KeyFrame>s.
struct ViconCameraXml {
  XmlTag camera;
  std::vector<XmlTag> key_frames;
};

bool IsViconVideoCamera(const XmlTag& camera) {
  std::string type = AttributeText(camera, "TYPE");
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string isdv = AttributeText(camera, "ISDV");
  return type.find("video") != std::string::npos || (!isdv.empty() && isdv != "0");
}

// Vicon's lens model: a distorted pixel to the undistorted one (see the header).
struct ViconLens {
  Eigen::Vector2d centre = Eigen::Vector2d::Zero();  // pixels
  double k1 = 0, k2 = 0, k3 = 0;                     // pixel units
  bool Zero() const { return k1 == 0 && k2 == 0 && k3 == 0; }
  double Scale(double r2) const { return 1 + r2 * (k1 + r2 * (k2 + r2 * k3)); }
  Eigen::Vector2d Undistort(const Eigen::Vector2d& d) const {
    const Eigen::Vector2d offset = d - centre;
    return centre + offset * Scale(offset.squaredNorm());
  }
};

// The largest distance from the distortion centre to a corner of the image, pixels.
double LargestRadius(const ViconLens& lens, const Camera& cam) {
  double r = 0;
  for (const double x : {0.0, cam.width - 1.0})
    for (const double y : {0.0, cam.height - 1.0}) r = std::max(r, (Eigen::Vector2d(x, y) - lens.centre).norm());
  return r;
}

// Whether r (1 + k1 r^2 + k2 r^4 + k3 r^6) grows with r up to `r_max` (else the model folds over
// inside the image and is no lens).
bool Monotonic(const ViconLens& lens, double r_max) {
  constexpr int kSteps = 2000;
  for (int i = 0; i <= kSteps; ++i) {
    const double r = r_max * i / kSteps, r2 = r * r;
    if (1 + r2 * (3 * lens.k1 + r2 * (5 * lens.k2 + r2 * 7 * lens.k3)) <= 0) return false;
  }
  return true;
}

// OpenCV's k1, k2, p1, p2, k3 for `cam` (its K set) that best reproduce Vicon's `lens`: linear
// least squares over a grid of distorted pixels d, each paired with its undistorted normalised
// point; returns the RMS and largest pixel residual of the fitted camera on that grid.
std::pair<double, double> FitOpenCvDistortion(const ViconLens& lens, int grid, Camera* cam) {
  const int n = grid * grid;
  Eigen::MatrixXd a(2 * n, 5);
  Eigen::VectorXd b(2 * n);
  std::vector<std::pair<Eigen::Vector2d, Eigen::Vector2d>> pairs;  // (distorted pixel, undistorted normalised)
  for (int i = 0; i < grid; ++i) {
    for (int j = 0; j < grid; ++j) {
      const Eigen::Vector2d d((cam->width - 1.0) * i / (grid - 1), (cam->height - 1.0) * j / (grid - 1));
      const Eigen::Vector2d u = lens.Undistort(d);
      const double x = (u.x() - cam->cx) / cam->fx, y = (u.y() - cam->cy) / cam->fy, r2 = x * x + y * y;
      const int row = 2 * static_cast<int>(pairs.size());
      // Rows in pixels: fx (x_d - x) and fy (y_d - y), columns k1, k2, p1, p2, k3.
      a.row(row) << cam->fx * x * r2, cam->fx * x * r2 * r2, cam->fx * 2 * x * y, cam->fx * (r2 + 2 * x * x),
          cam->fx * x * r2 * r2 * r2;
      a.row(row + 1) << cam->fy * y * r2, cam->fy * y * r2 * r2, cam->fy * (r2 + 2 * y * y), cam->fy * 2 * x * y,
          cam->fy * y * r2 * r2 * r2;
      b(row) = d.x() - cam->cx - cam->fx * x;
      b(row + 1) = d.y() - cam->cy - cam->fy * y;
      pairs.emplace_back(d, Eigen::Vector2d(x, y));
    }
  }
  const Eigen::VectorXd k = a.colPivHouseholderQr().solve(b);
  for (int i = 0; i < 5; ++i) cam->distortion[i] = k(i);
  double sum2 = 0, largest = 0;
  for (const auto& [d, x] : pairs) {
    const double e = (cam->ImageFromNormalized(x) - d).norm();
    sum2 += e * e;
    largest = std::max(largest, e);
  }
  return {std::sqrt(sum2 / static_cast<double>(pairs.size())), largest};
}

// The lens of a KeyFrame: VICON_RADIAL2, else VICON_RADIAL, else none.
std::optional<ViconLens> ReadViconLens(const XmlTag& key_frame, const Camera& cam, const std::string& path,
                                       const std::string& who) {
  const std::string where = path + ":" + std::to_string(key_frame.line);
  ViconLens lens;
  if (key_frame.attributes.count("VICON_RADIAL2")) {
    const std::string text = AttributeText(key_frame, "VICON_RADIAL2");
    std::istringstream in(text);
    std::string model;
    in >> model;
    if (model != "Vicon3Parameter")
      throw InputError(where, who + ": VICON_RADIAL2 model '" + model.substr(0, 40) +
                                  "' is not supported (only Vicon3Parameter: centre x y, k1 k2 k3)");
    const std::vector<double> v = NumberList(key_frame, "VICON_RADIAL2", 5, path, who, 1);
    lens.centre = Eigen::Vector2d(v[0], v[1]);
    lens.k1 = v[2], lens.k2 = v[3], lens.k3 = v[4];
  } else if (key_frame.attributes.count("VICON_RADIAL")) {
    const std::vector<double> v = NumberList(key_frame, "VICON_RADIAL", 2, path, who);
    lens.centre = Eigen::Vector2d(cam.cx, cam.cy);
    lens.k1 = v[0], lens.k2 = v[1];
  } else {
    return std::nullopt;
  }
  if (lens.Zero()) return std::nullopt;
  return lens;
}

// Image size, focal lengths and principal point of one camera into `cam`; returns the pixel
// aspect ratio.
double ReadViconIntrinsics(const XmlTag& tag, const XmlTag& key, const std::string& path, const std::string& who,
                           Camera* cam) {
  const std::string where = path + ":" + std::to_string(tag.line), key_where = path + ":" + std::to_string(key.line);
  const std::vector<double> size = NumberList(tag, "SENSOR_SIZE", 2, path, who);
  if (!(size[0] >= 1 && size[1] >= 1 && size[0] <= 100000 && size[1] <= 100000) || size[0] != std::floor(size[0]) ||
      size[1] != std::floor(size[1]))
    throw InputError(where, who + ": SENSOR_SIZE must be two whole numbers of pixels in [1, 100000]");
  cam->width = static_cast<int>(size[0]);
  cam->height = static_cast<int>(size[1]);
  const double aspect = tag.attributes.count("PIXEL_ASPECT_RATIO") ? Number(tag, "PIXEL_ASPECT_RATIO", path, who) : 1.0;
  if (!(aspect > 0.1 && aspect < 10)) throw InputError(where, who + ": PIXEL_ASPECT_RATIO must be in (0.1, 10)");
  if (tag.attributes.count("SKEW") && Number(tag, "SKEW", path, who) != 0)
    throw InputError(where, who + ": a SKEW other than 0 is not supported");
  if (key.attributes.count("PIXEL_ASPECT_RATIO_CORRECTION") && Number(key, "PIXEL_ASPECT_RATIO_CORRECTION", path, who) != 1)
    throw InputError(key_where, who + ": a PIXEL_ASPECT_RATIO_CORRECTION other than 1 is not supported");
  cam->fx = Number(key, "FOCAL_LENGTH", path, who);
  cam->fy = cam->fx / aspect;
  if (!(cam->fx > 0 && cam->fx < 1e7))
    throw InputError(key_where, who + ": FOCAL_LENGTH must be positive (and below 1e7 pixels)");
  const std::vector<double> principal = NumberList(key, "PRINCIPAL_POINT", 2, path, who);
  cam->cx = principal[0], cam->cy = principal[1];
  return aspect;
}

// cam_from_world of one KeyFrame: ORIENTATION (x y z w) is its rotation, POSITION the centre in mm.
Rigid3d ReadViconPose(const XmlTag& key, const std::string& path, const std::string& who) {
  const std::vector<double> q = NumberList(key, "ORIENTATION", 4, path, who);
  const Eigen::Quaterniond rotation(q[3], q[0], q[1], q[2]);  // Eigen takes w first
  if (std::abs(rotation.norm() - 1) > 1e-3)
    throw InputError(path + ":" + std::to_string(key.line),
                     who + ": ORIENTATION is not a unit quaternion (norm " + std::to_string(rotation.norm()) + ")");
  const std::vector<double> position = NumberList(key, "POSITION", 3, path, who);
  const Eigen::Vector3d centre_in_world = Eigen::Vector3d(position[0], position[1], position[2]) / 1000.0;
  const Eigen::Quaterniond unit = rotation.normalized();
  return Rigid3d(unit, -(unit * centre_in_world));
}

// OpenCV's distortion of `cam` fitted to Vicon's `lens` (see the header), the fit's residual
// in `report`; refuses what cannot be converted.
void ConvertViconLens(const ViconLens& lens, double aspect, const ViconImportOptions& options,
                      const std::string& where, const std::string& who, Camera* cam, ViconCameraReport* report) {
  report->has_distortion = true;
  if (aspect != 1)
    throw InputError(where, who + ": lens distortion with a PIXEL_ASPECT_RATIO other than 1 is not supported");
  if (!Monotonic(lens, LargestRadius(lens, *cam)))
    throw InputError(where, who + ": the lens model folds over inside the " + std::to_string(cam->width) + "x" +
                                std::to_string(cam->height) + " image; it is not a lens");
  const auto [rms, largest] = FitOpenCvDistortion(lens, std::max(options.fit_grid, 5), cam);
  report->fit_rms_px = rms;
  report->fit_max_px = largest;
  if (!(largest <= options.max_fit_error_px)) {
    char text[200];
    std::snprintf(text, sizeof(text),
                  ": OpenCV's k1 k2 k3 p1 p2 reproduce its Vicon lens model only within %.3g px (RMS %.3g px), "
                  "more than %.3g px",
                  largest, rms, options.max_fit_error_px);
    throw InputError(where, who + text);
  }
}

// The Camera of one <Camera> element (its report filled in beside it).
Camera ViconToCamera(const ViconCameraXml& xml, int index, const ViconImportOptions& options, const std::string& path,
                     ViconCameraReport* report) {
  const XmlTag& tag = xml.camera;
  char name[32];
  std::snprintf(name, sizeof(name), "cam_%02d", index + 1);
  report->name = name;
  report->device_id = AttributeText(tag, "DEVICEID");
  report->type = AttributeText(tag, "TYPE");
  report->video = IsViconVideoCamera(tag);
  const std::string where = path + ":" + std::to_string(tag.line);
  const std::string who = "camera " + std::string(name) +
                          (report->device_id.empty() ? "" : " (DEVICEID " + report->device_id.substr(0, 40) + ")");
  if (xml.key_frames.empty()) throw InputError(where, who + " has no <KeyFrame>");
  if (xml.key_frames.size() > 1)
    throw InputError(where, who + " has " + std::to_string(xml.key_frames.size()) +
                                " <KeyFrame>s (a moving camera); only static calibrations are read");
  const XmlTag& key = xml.key_frames.front();

  Camera cam;
  cam.name = name;
  const double aspect = ReadViconIntrinsics(tag, key, path, who, &cam);
  cam.cam_from_world = ReadViconPose(key, path, who);
  cam.has_extrinsics = true;
  if (const std::optional<ViconLens> lens = ReadViconLens(key, cam, path, who))
    ConvertViconLens(*lens, aspect, options, path + ":" + std::to_string(key.line), who, &cam, report);
  return cam;
}

}  // namespace

std::string ViconImport::BriefReport() const {
  std::ostringstream out;
  for (const ViconCameraReport& c : cameras) {
    out << c.name << ": DEVICEID " << (c.device_id.empty() ? "-" : c.device_id) << ", TYPE "
        << (c.type.empty() ? "-" : c.type);
    if (c.has_distortion) {
      char text[120];
      std::snprintf(text, sizeof(text), ", lens fitted to OpenCV's model within %.3f px (RMS %.3f px)", c.fit_max_px,
                    c.fit_rms_px);
      out << text;
    } else {
      out << ", no lens distortion";
    }
    out << "\n";
  }
  if (skipped_marker_cameras > 0)
    out << skipped_marker_cameras << " marker camera(s) left out (not video cameras)\n";
  if (no_camera_marked_video) out << "no camera is marked as video (TYPE, ISDV): read all of them\n";
  return out.str();
}

ViconImport ReadViconCalibration(const std::string& path, const ViconImportOptions& options) {
  const std::vector<XmlTag> tags = XmlTags(ReadBounded(path), path);
  std::vector<ViconCameraXml> cameras;
  bool inside = false;
  for (const XmlTag& tag : tags) {
    if (tag.name == "Camera") {
      inside = !tag.closing;
      if (inside) cameras.push_back({tag, {}});
      continue;
    }
    if (inside && !tag.closing && tag.name == "KeyFrame") cameras.back().key_frames.push_back(tag);
  }
  if (cameras.empty()) throw InputError(path, "no <Camera> element: not a Vicon .xcp calibration");
  const bool any_video =
      std::any_of(cameras.begin(), cameras.end(), [](const ViconCameraXml& c) { return IsViconVideoCamera(c.camera); });
  ViconImport result;
  result.no_camera_marked_video = !any_video;
  for (const ViconCameraXml& xml : cameras) {
    if (any_video && !options.include_marker_cameras && !IsViconVideoCamera(xml.camera)) {
      ++result.skipped_marker_cameras;
      continue;
    }
    ViconCameraReport report;
    result.rig.push_back(ViconToCamera(xml, static_cast<int>(result.rig.size()), options, path, &report));
    result.cameras.push_back(report);
  }
  return result;
}

namespace {

// The largest side of a matrix in a calibration file (K is 3 x 3, dist at most 1 x 14).
constexpr int kMaxMatrixSide = 64;

// Checks an !!opencv-matrix node's header before OpenCV allocates rows x cols from it (a file
// declaring 100000 x 100000 would otherwise allocate 80 GB before its data is looked at).
void CheckMatrixHeader(const cv::FileNode& node, const std::string& key, const std::string& path) {
  if (!node.isMap()) throw InputError(path, key + " is not an OpenCV matrix (rows, cols, dt, data)");
  const cv::FileNode rows = node["rows"], cols = node["cols"], data = node["data"];
  if (!rows.isInt() || !cols.isInt()) throw InputError(path, key + ": rows and cols must be integers");
  const int r = static_cast<int>(rows), c = static_cast<int>(cols);
  if (r < 1 || c < 1 || r > kMaxMatrixSide || c > kMaxMatrixSide)
    throw InputError(path, key + " declares " + std::to_string(r) + " x " + std::to_string(c) +
                               " values: each side must be in [1, " + std::to_string(kMaxMatrixSide) + "]");
  if (!data.isSeq() || data.size() != static_cast<size_t>(r) * static_cast<size_t>(c))
    throw InputError(path, key + ": data must hold rows x cols = " + std::to_string(r * c) + " values");
}

// The matrix under `key`, rows x cols (cols < 0: any number of values, as one row); empty when
// absent and not required.
cv::Mat Matrix(const cv::FileStorage& fs, const std::string& key, int rows, int cols, const std::string& path,
               bool required) {
  const cv::FileNode node = fs[key];
  if (node.empty()) {
    if (required) throw InputError(path, "has no " + key);
    return {};
  }
  CheckMatrixHeader(node, key, path);
  cv::Mat m;
  try {
    node >> m;
  } catch (const std::exception&) {  // cv::Exception, or std::length_error from a mangled header
    throw InputError(path, key + " is not an OpenCV matrix");
  }
  if (cols < 0) cols = static_cast<int>(m.total());  // any length, as one row
  if (m.empty() || m.total() != static_cast<size_t>(rows * cols))
    throw InputError(path, key + " must have " + std::to_string(rows * cols) + " values");
  m.convertTo(m, CV_64F);
  m = m.reshape(1, rows);
  for (int i = 0; i < m.rows; ++i)
    for (int j = 0; j < m.cols; ++j)
      if (!std::isfinite(m.at<double>(i, j))) throw InputError(path, key + " holds a NaN or infinite value");
  return m;
}

// OpenCV 4.6's YAML parser can loop forever on malformed documents (libFuzzer found two: a
// header line that goes on after the version, and stray "---" and broken tags further down).
// So the text must first be the plain subset that cv::FileStorage writes and EasyMocap uses,
// line by line: the header "%YAML:1.0", "---", comments, `key:` with a scalar, a flow list or
// nothing (a block follows), list items `- name`, and the fields of an !!opencv-matrix (rows,
// cols, dt, data with its numbers, which may go on over several lines). Anything else is refused
// with its line number before OpenCV sees it.
void CheckYamlSubset(const std::string& text, const std::string& path) {
  static const std::regex kHeader(R"(%YAML[: ]1\.0[ \t]*)");
  static const std::regex kKey(R"([A-Za-z0-9_.\-]+:[ \t]*(!!opencv-matrix|"[^"\\]*"|[-+A-Za-z0-9_.]+|\[[^\[\]{}!&*|>%@`]*\])?[ \t]*)");
  static const std::regex kItem(R"([ \t]+-[ \t]+("[^"\\]*"|[-+A-Za-z0-9_.]+)[ \t]*)");
  static const std::regex kField(R"([ \t]+((rows|cols):[ \t]*[0-9]{1,6}|dt:[ \t]*[a-z]{1,4})[ \t]*)");
  static const std::regex kData(R"([ \t]+data:[ \t]*\[[-+0-9.eEnaif, \t]*\]?[ \t]*)");
  static const std::regex kNumbers(R"([ \t]+[-+0-9.eEnaif, \t]*\]?[ \t]*)");
  constexpr size_t kMaxLine = 4096;
  size_t begin = 0;
  bool in_data = false;
  for (int number = 1; begin < text.size(); ++number) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(begin, std::min(end - begin, kMaxLine + 1));
    begin = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string at = path + ":" + std::to_string(number);
    if (line.size() > kMaxLine) throw InputError(at, "line longer than " + std::to_string(kMaxLine) + " characters");
    for (const char c : line)
      if (static_cast<unsigned char>(c) < 0x20 && c != '\t') throw InputError(at, "holds a control character");
    const bool ok = number == 1 ? std::regex_match(line, kHeader)
                                : line == "---" || line.find_first_not_of(" \t") == std::string::npos ||
                                      line[line.find_first_not_of(" \t")] == '#' || std::regex_match(line, kKey) ||
                                      std::regex_match(line, kItem) || std::regex_match(line, kField) ||
                                      std::regex_match(line, kData) || (in_data && std::regex_match(line, kNumbers));
    if (!ok) {
      throw InputError(at, number == 1 ? "expected the line '%YAML:1.0' that starts OpenCV FileStorage YAML"
                                       : "is not a line of an EasyMocap / OpenCV FileStorage calibration: '" +
                                             line.substr(0, 60) + "'");
    }
    // A data list goes on over the next lines until its closing bracket.
    if (std::regex_match(line, kData) || (in_data && std::regex_match(line, kNumbers)))
      in_data = line.find(']') == std::string::npos;
    else if (number > 1)
      in_data = false;
  }
}

cv::FileStorage OpenYaml(const std::string& path) {
  const std::string text = ReadBounded(path);
  CheckYamlSubset(text, path);
  try {
    cv::FileStorage fs(text, cv::FileStorage::READ | cv::FileStorage::MEMORY | cv::FileStorage::FORMAT_YAML);
    if (!fs.isOpened()) throw InputError(path, "cannot be read as OpenCV FileStorage YAML");
    return fs;
  } catch (const cv::Exception& e) {
    throw InputError(path, "is not OpenCV FileStorage YAML (" + std::string(e.err) + ")");
  } catch (const std::exception& e) {  // OpenCV's parser can also throw std::length_error & co.
    throw InputError(path, "is not OpenCV FileStorage YAML (" + std::string(e.what()) + ")");
  }
}

std::vector<std::string> Names(const cv::FileStorage& fs, const std::string& path) {
  const cv::FileNode node = fs["names"];
  if (node.empty() || !node.isSeq()) throw InputError(path, "has no 'names' list of cameras");
  std::vector<std::string> names;
  for (const auto& item : node) {
    std::string name;
    if (item.isString()) name = static_cast<std::string>(item);
    else if (item.isInt()) name = std::to_string(static_cast<int>(item));
    if (name.empty()) throw InputError(path, "'names' holds an entry that is not a name");
    names.push_back(name);
  }
  if (names.empty()) throw InputError(path, "'names' is empty");
  return names;
}

// An image side in pixels under `key` (H_<name> / W_<name>), `fallback` when absent.
int ImageSide(const cv::FileStorage& fs, const std::string& key, int fallback, const std::string& path) {
  const cv::FileNode node = fs[key];
  if (node.empty()) return fallback;
  const double value = node.isInt() || node.isReal() ? node.real() : -1.0;
  if (!(value >= 1 && value <= 1e6) || value != std::floor(value))
    throw InputError(path, key + " must be a whole number of pixels in [1, 1000000]");
  return static_cast<int>(value);
}

}  // namespace

namespace {

// Runs `read` on the FileStorage of `path`; OpenCV's asserts on a document of the wrong shape
// (a root that is not a map, a matrix node that is a scalar) become InputErrors naming the file.
template <typename Read>
auto GuardYaml(const std::string& path, Read&& read) {
  try {
    return read();
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw InputError(path, "is not an EasyMocap calibration file (" + std::string(e.what()) + ")");
  }
}

Rig ReadEasyMocapIntrinsics(const std::string& intri_path, int width, int height) {
  cv::FileStorage intri = OpenYaml(intri_path);
  const std::vector<std::string> names = Names(intri, intri_path);
  Rig rig;
  for (const std::string& name : names) {
    Camera cam;
    cam.name = name;
    const cv::Mat k = Matrix(intri, "K_" + name, 3, 3, intri_path, true);
    if (k.at<double>(0, 1) != 0 || k.at<double>(2, 0) != 0 || k.at<double>(2, 1) != 0 || k.at<double>(2, 2) != 1 ||
        !(k.at<double>(0, 0) > 0 && k.at<double>(1, 1) > 0))
      throw InputError(intri_path, "K_" + name + " is not a camera matrix [[fx,0,cx],[0,fy,cy],[0,0,1]]");
    cam.fx = k.at<double>(0, 0), cam.fy = k.at<double>(1, 1), cam.cx = k.at<double>(0, 2), cam.cy = k.at<double>(1, 2);
    const cv::Mat d = Matrix(intri, "dist_" + name, 1, -1, intri_path, false);
    if (!d.empty() && d.total() != 4 && d.total() != 5)
      throw InputError(intri_path, "dist_" + name + " must have 4 or 5 values (k1 k2 p1 p2 [k3])");
    for (int i = 0; i < static_cast<int>(d.total()); ++i) cam.distortion[i] = d.at<double>(0, i);
    cam.width = ImageSide(intri, "W_" + name, width, intri_path);
    cam.height = ImageSide(intri, "H_" + name, height, intri_path);
    if (cam.width <= 0 || cam.height <= 0)
      throw InputError(intri_path, "camera '" + name + "' has no H_" + name + "/W_" + name + ": give the image size");
    rig.push_back(cam);
  }
  return rig;
}

void ReadEasyMocapExtrinsics(const std::string& extri_path, Rig* rig) {
  cv::FileStorage extri = OpenYaml(extri_path);
  for (Camera& cam : *rig) {
    const cv::Mat t = Matrix(extri, "T_" + cam.name, 3, 1, extri_path, true);
    const cv::Mat r = Matrix(extri, "Rot_" + cam.name, 3, 3, extri_path, false);
    Eigen::Matrix3d rotation;
    if (!r.empty()) {
      cv::cv2eigen(r, rotation);
    } else {
      const cv::Mat v = Matrix(extri, "R_" + cam.name, 3, 1, extri_path, true);
      rotation = RotationFromRodrigues(Eigen::Vector3d(v.at<double>(0), v.at<double>(1), v.at<double>(2)));
    }
    if ((rotation * rotation.transpose() - Eigen::Matrix3d::Identity()).norm() > 1e-4 || rotation.determinant() < 0)
      throw InputError(extri_path, "Rot_" + cam.name + " is not a rotation");
    cam.cam_from_world = Rigid3d(rotation, Eigen::Vector3d(t.at<double>(0), t.at<double>(1), t.at<double>(2)));
    cam.has_extrinsics = true;
  }
}

}  // namespace

Rig ReadEasyMocapCalibration(const std::string& intri_path, const std::string& extri_path, int width, int height) {
  Rig rig = GuardYaml(intri_path, [&] { return ReadEasyMocapIntrinsics(intri_path, width, height); });
  if (extri_path.empty()) return rig;
  GuardYaml(extri_path, [&] {
    ReadEasyMocapExtrinsics(extri_path, &rig);
    return 0;
  });
  return rig;
}

}  // namespace epilabel
