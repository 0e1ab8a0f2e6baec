#include "pseudolabel/report/html_report.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "detection/io/calibration_io.h"
#include "detection/io/camera_matching.h"
#include "foundation/file_util.h"
#include "foundation/statistics.h"
#include "detection/io/keypoint_io.h"
#include "detection/io/people_points_io.h"
#include "detection/skeleton.h"
#include "foundation/error.h"
#include "pseudolabel/report/report_assets.h"
#include "pseudolabel/report/json_number.h"

namespace epilabel {

using nlohmann::json;

void HtmlReportOptions::Check() const {
  if (!(min_confidence >= 0.0)) throw std::invalid_argument("HtmlReportOptions: min_confidence must be >= 0");
  if (histogram_bins < 1) throw std::invalid_argument("HtmlReportOptions: histogram_bins must be >= 1");
  if (max_frames < 0) throw std::invalid_argument("HtmlReportOptions: max_frames must be >= 0");
  if (!(fps > 0.0)) throw std::invalid_argument("HtmlReportOptions: fps must be > 0");
}

namespace report_encoding {

namespace {
constexpr char kBase64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

std::string Base64Encode(const void* data, size_t size) {
  const auto* in = static_cast<const uint8_t*>(data);
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < size; i += 3) {
    const uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8) | in[i + 2];
    out += kBase64Alphabet[(v >> 18) & 63];
    out += kBase64Alphabet[(v >> 12) & 63];
    out += kBase64Alphabet[(v >> 6) & 63];
    out += kBase64Alphabet[v & 63];
  }
  if (i < size) {
    const bool two = i + 1 < size;
    const uint32_t v = (uint32_t{in[i]} << 16) | (two ? uint32_t{in[i + 1]} << 8 : 0u);
    out += kBase64Alphabet[(v >> 18) & 63];
    out += kBase64Alphabet[(v >> 12) & 63];
    out += two ? kBase64Alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::vector<uint8_t> Base64Decode(const std::string& text) {
  std::array<int, 256> value{};
  value.fill(-1);
  for (int i = 0; i < 64; ++i) value[static_cast<uint8_t>(kBase64Alphabet[i])] = i;
  if (text.size() % 4 != 0) throw std::invalid_argument("base64: length is not a multiple of 4");
  std::vector<uint8_t> out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text[i + k];
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        v[k] = 0;
        ++pad;
        continue;
      }
      if (pad > 0) throw std::invalid_argument("base64: data after padding");
      v[k] = value[static_cast<uint8_t>(c)];
      if (v[k] < 0) throw std::invalid_argument("base64: invalid character");
    }
    const uint32_t bits = (uint32_t(v[0]) << 18) | (uint32_t(v[1]) << 12) | (uint32_t(v[2]) << 6) | uint32_t(v[3]);
    out.push_back(static_cast<uint8_t>(bits >> 16));
    if (pad < 2) out.push_back(static_cast<uint8_t>(bits >> 8));
    if (pad < 1) out.push_back(static_cast<uint8_t>(bits));
  }
  return out;
}

std::string Float32Base64(const std::vector<double>& values) {
  std::vector<uint8_t> bytes(values.size() * 4);
  for (size_t i = 0; i < values.size(); ++i) {
    const float f = static_cast<float>(values[i]);
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    // Little-endian regardless of the host (the page reads it with a Float32Array).
    for (int b = 0; b < 4; ++b) bytes[i * 4 + b] = static_cast<uint8_t>(bits >> (8 * b));
  }
  return Base64Encode(bytes.data(), bytes.size());
}

std::string EscapeJsonForScript(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '<': out += "\\u003c"; break;
      case '>': out += "\\u003e"; break;
      case '&': out += "\\u0026"; break;
      default: out += c;
    }
  }
  return out;
}

std::string ExtractDataJson(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"epilabel-data\">";
  const size_t begin = html.find(open);
  if (begin == std::string::npos) return {};
  const size_t start = begin + open.size();
  const size_t end = html.find("</script>", start);
  if (end == std::string::npos) return {};
  return html.substr(start, end - start);
}

}  // namespace report_encoding

namespace {

using report_encoding::Base64Encode;
using report_encoding::Float32Base64;


json TypedArray(const std::string& dtype, std::vector<int64_t> shape, std::string b64) {
  return {{"dtype", dtype}, {"shape", std::move(shape)}, {"b64", std::move(b64)}};
}

std::string HtmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json ParseReportJson(const std::string& text, const std::string& where) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw InputError(where, std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) throw InputError(where, "expected a JSON object (a report.json of calibrate, triangulate or label)");
  return j;
}

// The skeleton name named by a report.json (top level, or its triangulation part for label).
std::string SkeletonFromReport(const json& report) {
  if (!report.is_object()) return {};
  auto name_of = [](const json& j) -> std::string {
    if (j.is_object() && j.contains("skeleton") && j["skeleton"].is_string()) return j["skeleton"].get<std::string>();
    return {};
  };
  std::string name = name_of(report);
  if (name.empty() && report.contains("triangulation")) name = name_of(report["triangulation"]);
  return name;
}

struct ResolvedSkeleton {
  std::string name;
  std::vector<std::string> joint_names;
  std::vector<Bone> bones;
};

ResolvedSkeleton ResolveSkeleton(const ReportInputs& in, const json& report, int num_joints,
                                 const std::vector<std::string>& joint_names) {
  ResolvedSkeleton r;
  r.joint_names = joint_names;
  auto try_name = [&](const std::string& name) -> bool {
    if (name.empty()) return false;
    try {
      const Skeleton& s = GetSkeleton(name);
      if (num_joints > 0 && s.num_joints() != num_joints) return false;
      r.name = s.name;
      r.bones = s.bones;
      if (r.joint_names.empty()) r.joint_names = s.joint_names;
      return true;
    } catch (const InputError&) {
      return false;
    }
  };
  if (!in.bones.empty()) {
    r.bones = in.bones;
    r.name = in.skeleton;
  } else if (!try_name(in.skeleton) && !try_name(SkeletonFromReport(report))) {
    bool matched = false;
    if (!joint_names.empty()) {
      for (const std::string& name : SkeletonNames()) {
        const Skeleton& s = GetSkeleton(name);
        if (s.joint_names == joint_names) {
          matched = try_name(name);
          break;
        }
      }
    }
    if (!matched && num_joints > 0) {
      const std::optional<std::string> guess = GuessSkeleton(num_joints, {});
      if (guess) try_name(*guess);
    }
  }
  if (r.joint_names.empty())
    for (int j = 0; j < num_joints; ++j) r.joint_names.push_back("joint_" + std::to_string(j));
  for (const Bone& b : r.bones)
    if (num_joints > 0 && (b.parent < 0 || b.child < 0 || b.parent >= num_joints || b.child >= num_joints))
      throw InputError("bones", "bone (" + std::to_string(b.parent) + ", " + std::to_string(b.child) +
                                    ") is out of range for " + std::to_string(num_joints) + " joints");
  return r;
}

json CamerasJson(const Rig& rig) {
  json cams = json::array();
  for (const Camera& c : rig) {
    json j = {{"name", c.name},       {"width", c.width}, {"height", c.height}, {"fx", JsonNumber(c.fx)},
              {"fy", JsonNumber(c.fy)},      {"cx", JsonNumber(c.cx)},  {"cy", JsonNumber(c.cy)},
              {"has_extrinsics", c.has_extrinsics}};
    json dist = json::array();
    for (int k = 0; k < static_cast<int>(c.distortion.size()); ++k) dist.push_back(JsonNumber(c.distortion[k]));
    j["distortion"] = dist;
    if (c.has_extrinsics) {
      const Eigen::Matrix3d r = c.cam_from_world.RotationMatrix();
      json rm = json::array();
      for (int a = 0; a < 3; ++a)
        for (int b = 0; b < 3; ++b) rm.push_back(r(a, b));
      const Eigen::Vector3d t = c.cam_from_world.translation, center = c.CenterInWorld();
      const Eigen::Vector3d rod = RodriguesFromRotation(r);
      j["R"] = rm;
      j["t"] = {t.x(), t.y(), t.z()};
      j["center"] = {center.x(), center.y(), center.z()};
      j["rodrigues"] = {rod.x(), rod.y(), rod.z()};
    }
    cams.push_back(j);
  }
  return cams;
}

json HistogramJson(const std::vector<double>& values, int bins) {
  double max_value = 1.0;
  if (!values.empty()) {
    std::vector<double> tmp = values;
    const size_t q = std::min(tmp.size() - 1, tmp.size() * 95 / 100);
    std::nth_element(tmp.begin(), tmp.begin() + static_cast<std::ptrdiff_t>(q), tmp.end());
    max_value = std::max(1.0, std::ceil(1.5 * tmp[q]));
  }
  std::vector<double> edges(bins + 1);
  std::vector<int64_t> counts(bins, 0);
  for (int i = 0; i <= bins; ++i) edges[i] = max_value * i / bins;
  for (double v : values) {
    const int b = std::min(bins - 1, static_cast<int>(v / max_value * bins));
    ++counts[std::max(0, b)];
  }
  return {{"edges", edges}, {"counts", counts}};
}

// Statistics of the 2D detections, and (with points) their reprojection errors per camera.
struct PoseStats {
  json detections = json::array();  // per calibration camera
  json camera_stats;                // per calibration camera, null without points
  std::vector<double> camera_frame_error;  // [C, embedded frames] mean error, NaN where none
};

PoseStats ComputePoseStats(const KeypointSequence& poses, const Rig& rig, const PointsFile* points,
                           const std::vector<int64_t>& point_frame_numbers, const std::vector<int>& embedded_frames,
                           const HtmlReportOptions& options) {
  PoseStats out;
  const std::vector<int> to_rig = MatchKeypointCameras(poses, rig, "poses vs. calibration");
  const ObservationTable table = ToObservations(poses);
  const Observations2d& obs = table.observations;
  const int nc = static_cast<int>(rig.size());
  const int nf_obs = obs.num_frames(), nj = obs.num_joints();

  // Detections per calibration camera.
  std::vector<json> det(nc, json(nullptr));
  for (int k = 0; k < obs.num_cameras(); ++k) {
    int64_t detected = 0, frames_with = 0;
    double conf = 0;
    for (frame_t f = 0; f < nf_obs; ++f) {
      bool any = false;
      for (joint_t j = 0; j < nj; ++j)
        if (obs.IsObserved(k, f, j)) {
          ++detected;
          conf += obs.at(k, f, j).z();
          any = true;
        }
      frames_with += any ? 1 : 0;
    }
    const double slots = static_cast<double>(nf_obs) * nj;
    det[to_rig[k]] = {{"name", rig[to_rig[k]].name},
                      {"frames", static_cast<int64_t>(poses.cameras[k].frame_numbers.size())},
                      {"frames_with_person", frames_with},
                      {"joints_detected", detected},
                      {"joints_detected_share", JsonNumber(slots > 0 ? detected / slots : kNaN)},
                      {"mean_confidence", JsonNumber(detected ? conf / static_cast<double>(detected) : kNaN)}};
  }
  for (int c = 0; c < nc; ++c)
    out.detections.push_back(det[c].is_null() ? json{{"name", rig[c].name}, {"frames", 0}} : det[c]);

  if (points == nullptr || points->points.num_joints() != nj) return out;
  const int nf_pts = points->points.num_frames();
  std::unordered_map<int64_t, int> point_frame;
  for (int f = 0; f < nf_pts; ++f) point_frame[point_frame_numbers[f]] = f;
  std::vector<int> embedded_index(nf_pts, -1);
  for (size_t e = 0; e < embedded_frames.size(); ++e) embedded_index[embedded_frames[e]] = static_cast<int>(e);
  const size_t ne = embedded_frames.size();
  std::vector<double> sum(static_cast<size_t>(nc) * ne, 0.0);
  std::vector<int> count(static_cast<size_t>(nc) * ne, 0);
  std::vector<std::vector<double>> errors(nc);
  for (int k = 0; k < obs.num_cameras(); ++k) {
    const int c = to_rig[k];
    const Camera& cam = rig[c];
    if (!cam.has_extrinsics || !(cam.fx > 0)) continue;
    for (frame_t f = 0; f < nf_obs; ++f) {
      const auto it = point_frame.find(table.frame_numbers[f]);
      if (it == point_frame.end()) continue;
      const int pf = it->second;
      for (joint_t j = 0; j < nj; ++j) {
        if (!obs.IsObserved(k, f, j) || obs.at(k, f, j).z() < options.min_confidence) continue;
        if (!points->points.IsValid(pf, j)) continue;
        const auto px = cam.ImageFromWorld(points->points.at(pf, j));
        if (!px) continue;
        const double e = (*px - obs.at(k, f, j).head<2>()).norm();
        if (!std::isfinite(e)) continue;
        errors[c].push_back(e);
        const int ei = embedded_index[pf];
        if (ei >= 0) {
          sum[static_cast<size_t>(c) * ne + ei] += e;
          ++count[static_cast<size_t>(c) * ne + ei];
        }
      }
    }
  }
  out.camera_stats = json::array();
  for (int c = 0; c < nc; ++c) {
    double mean = kNaN;
    if (!errors[c].empty()) {
      double s = 0;
      for (double e : errors[c]) s += e;
      mean = s / static_cast<double>(errors[c].size());
    }
    out.camera_stats.push_back({{"name", rig[c].name},
                                {"count", static_cast<int64_t>(errors[c].size())},
                                {"mean_error_px", JsonNumber(mean)},
                                {"median_error_px", JsonNumber(Median(errors[c]))},
                                {"error_histogram", HistogramJson(errors[c], options.histogram_bins)}});
  }
  out.camera_frame_error.assign(static_cast<size_t>(nc) * ne, kNaN);
  for (size_t i = 0; i < sum.size(); ++i)
    if (count[i] > 0) out.camera_frame_error[i] = sum[i] / count[i];
  return out;
}

// Replaces the @@NAME@@ tokens of the template in one pass (inserted text is not scanned again).
std::string FillTemplate(const std::string& tpl, const std::unordered_map<std::string, std::string>& values) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t a = tpl.find("@@", pos);
    if (a == std::string::npos) break;
    const size_t b = tpl.find("@@", a + 2);
    if (b == std::string::npos) break;
    const auto it = values.find(tpl.substr(a + 2, b - a - 2));
    if (it == values.end()) {
      out.append(tpl, pos, a + 2 - pos);
      pos = a + 2;
      continue;
    }
    out.append(tpl, pos, a - pos);
    out += it->second;
    pos = b + 2;
  }
  out.append(tpl, pos, std::string::npos);
  return out;
}

std::string DataUrl(const std::string& script) {
  return "data:text/javascript;base64," + Base64Encode(script.data(), script.size());
}

std::string ReportKind(const json& report) {
  if (report.is_object() && report.contains("kind") && report["kind"].is_string()) return report["kind"];
  return {};
}

// The shapes the inputs agree on: joints, frames of the 3D points and their numbers.
struct ReportShape {
  int num_joints = 0;
  int num_frames = 0;
  std::vector<int64_t> frame_numbers;
  std::vector<std::string> joint_names;
};

void CheckPointsShape(const PointsFile& points, ReportShape* shape) {
  const int nf = points.points.num_frames(), nj = points.points.num_joints();
  auto same_shape = [&](int f, int j, const char* what) {
    if ((f != 0 || j != 0) && (f != nf || j != nj))
      throw InputError("points", std::string(what) + " has shape [" + std::to_string(f) + ", " + std::to_string(j) +
                                     "], expected [" + std::to_string(nf) + ", " + std::to_string(nj) + "]");
  };
  same_shape(points.reproj_error_px.num_frames(), points.reproj_error_px.num_joints(), "reproj_error_px");
  same_shape(points.n_views.num_frames(), points.n_views.num_joints(), "n_views");
  if (!points.joint_names.empty() && static_cast<int>(points.joint_names.size()) != nj)
    throw InputError("points", "joint_names has " + std::to_string(points.joint_names.size()) + " names for " +
                                   std::to_string(nj) + " joints");
  if (!points.frame_numbers.empty() && static_cast<int>(points.frame_numbers.size()) != nf)
    throw InputError("points", "frame_numbers has " + std::to_string(points.frame_numbers.size()) + " entries for " +
                                   std::to_string(nf) + " frames");
  shape->num_joints = nj;
  shape->num_frames = nf;
  shape->frame_numbers = points.frame_numbers;
  if (shape->frame_numbers.empty())
    for (int f = 0; f < nf; ++f) shape->frame_numbers.push_back(f);
  shape->joint_names = points.joint_names;
}

ReportShape CheckShapes(const ReportInputs& in) {
  ReportShape shape;
  const PointsFile* points = in.points ? &*in.points : nullptr;
  if (points) CheckPointsShape(*points, &shape);
  if (in.poses) {
    if (points && in.poses->num_joints != shape.num_joints)
      throw InputError("poses", "the 2D poses have " + std::to_string(in.poses->num_joints) +
                                    " joints but the 3D points have " + std::to_string(shape.num_joints));
    if (!points) shape.num_joints = in.poses->num_joints;
  }
  if (shape.joint_names.empty()) shape.joint_names = in.joint_names;
  if (shape.num_joints == 0) shape.num_joints = static_cast<int>(shape.joint_names.size());
  if (!shape.joint_names.empty() && static_cast<int>(shape.joint_names.size()) != shape.num_joints)
    throw InputError("joint_names", std::to_string(shape.joint_names.size()) + " names for " +
                                        std::to_string(shape.num_joints) + " joints");
  return shape;
}

// The frames embedded in the page: every stride-th, at most options.max_frames.
std::vector<int> EmbeddedFrames(int num_frames, const HtmlReportOptions& options, int* stride) {
  *stride = 1;
  if (options.max_frames > 0 && num_frames > options.max_frames)
    *stride = (num_frames + options.max_frames - 1) / options.max_frames;
  std::vector<int> embedded;
  for (int f = 0; f < num_frames; f += *stride) embedded.push_back(f);
  return embedded;
}

std::string Float64Base64(const std::vector<double>& values) {
  std::vector<uint8_t> bytes(values.size() * 8);
  for (size_t i = 0; i < values.size(); ++i) {
    uint64_t bits;
    std::memcpy(&bits, &values[i], 8);
    for (int b = 0; b < 8; ++b) bytes[i * 8 + b] = static_cast<uint8_t>(bits >> (8 * b));
  }
  return Base64Encode(bytes.data(), bytes.size());
}

// The embedded frames of the 3D points as typed arrays: points, errors, views, frame numbers.
void AddPointArrays(const PointsFile& points, const ReportShape& shape, const std::vector<int>& embedded,
                    json* arrays) {
  const int nf = shape.num_frames, nj = shape.num_joints, ne = static_cast<int>(embedded.size());
  std::vector<double> p, e, fnum;
  p.reserve(static_cast<size_t>(ne) * nj * 3);
  e.reserve(static_cast<size_t>(ne) * nj);
  std::vector<uint8_t> nv;
  nv.reserve(static_cast<size_t>(ne) * nj);
  const bool has_err = points.reproj_error_px.num_frames() == nf && nf > 0;
  const bool has_views = points.n_views.num_frames() == nf && nf > 0;
  for (int f : embedded) {
    fnum.push_back(static_cast<double>(shape.frame_numbers[f]));
    for (int j = 0; j < nj; ++j) {
      const Eigen::Vector3d& x = points.points.at(f, j);
      for (int k = 0; k < 3; ++k) p.push_back(x[k]);
      e.push_back(has_err ? points.reproj_error_px.at(f, j) : kNaN);
      const int32_t v = has_views ? points.n_views.at(f, j) : 0;
      nv.push_back(static_cast<uint8_t>(std::clamp<int32_t>(v, 0, 255)));
    }
  }
  (*arrays)["points"] = TypedArray("f32", {ne, nj, 3}, Float32Base64(p));
  if (has_err) (*arrays)["reproj_error_px"] = TypedArray("f32", {ne, nj}, Float32Base64(e));
  if (has_views) (*arrays)["n_views"] = TypedArray("u8", {ne, nj}, Base64Encode(nv.data(), nv.size()));
  (*arrays)["frame_numbers"] = TypedArray("f64", {ne}, Float64Base64(fnum));
}

// The further people as one typed array [people, embedded frames, joints, 3] and their ids.
void AddOtherPeople(const ReportInputs& in, const ReportShape& shape, const std::vector<int>& embedded, json* data,
                    json* arrays) {
  const int np = static_cast<int>(in.other_people.size()) + 1;
  if (!in.track_ids.empty() && static_cast<int>(in.track_ids.size()) != np)
    throw InputError("points", std::to_string(in.track_ids.size()) + " track ids for " + std::to_string(np) + " people");
  std::vector<double> p;
  p.reserve(static_cast<size_t>(np - 1) * embedded.size() * shape.num_joints * 3);
  for (const Points3d& person : in.other_people) {
    if (person.num_frames() != shape.num_frames || person.num_joints() != shape.num_joints)
      throw InputError("points", "a further person has [" + std::to_string(person.num_frames()) + ", " +
                                     std::to_string(person.num_joints()) + "] frames and joints, the first [" +
                                     std::to_string(shape.num_frames) + ", " + std::to_string(shape.num_joints) + "]");
    for (int f : embedded)
      for (int j = 0; j < shape.num_joints; ++j)
        for (int k = 0; k < 3; ++k) p.push_back(person.at(f, j)[k]);
  }
  std::vector<int> ids = in.track_ids;
  for (int q = static_cast<int>(ids.size()); q < np; ++q) ids.push_back(q);
  (*data)["people"] = {{"track_ids", ids}};
  if (np > 1)
    (*arrays)["other_points"] = TypedArray("f32", {np - 1, static_cast<int64_t>(embedded.size()), shape.num_joints, 3},
                                           Float32Base64(p));
}

// The page's data document without its typed arrays.
json ReportDataHeader(const ReportInputs& in, const json& report, const ResolvedSkeleton& skeleton, int ne, int nf,
                      int stride, const HtmlReportOptions& options, std::string* title) {
  json data;
  data["format"] = "epilabel-report";
  data["version"] = 1;
  const std::string kind = ReportKind(report);
  *title = in.title;
  if (title->empty()) *title = kind.empty() ? "EpiLabel report" : "EpiLabel " + kind + " report";
  data["title"] = *title;
  json sources = json::object();
  for (const auto& [key, value] : in.sources) sources[key] = value;
  data["sources"] = sources;
  data["cameras"] = CamerasJson(in.rig);
  json bones = json::array();
  for (const Bone& b : skeleton.bones) bones.push_back({b.parent, b.child});
  data["skeleton"] = {{"name", skeleton.name}, {"joint_names", skeleton.joint_names}, {"bones", bones}};
  data["frames"] = {{"count", ne}, {"total", nf}, {"stride", stride}, {"fps", options.fps}};
  return data;
}

std::string ThreeVersion() {
  try {
    return json::parse(report_internal::Asset("three.package.json")).value("version", "?");
  } catch (const json::exception&) {
    return "?";
  }
}

// The template filled with the style, the scripts and the data document.
std::string AssembleHtml(const std::string& title, const std::string& data_text) {
  const std::string app = report_internal::Asset("app.js");
  const std::string style = report_internal::Asset("style.css");
  if (app.find("</script") != std::string::npos || style.find("</style") != std::string::npos)
    throw std::logic_error("report assets must not close their own element");
  const json importmap = {{"imports",
                           {{"three", DataUrl(report_internal::Asset("three.module.min.js"))},
                            {"three/addons/controls/OrbitControls.js", DataUrl(report_internal::Asset("OrbitControls.js"))}}}};
  return FillTemplate(report_internal::Asset("template.html"), {{"TITLE", HtmlEscape(title)},
                                                                 {"STYLE", style},
                                                                 {"IMPORTMAP", Dump(importmap)},
                                                                 {"DATA", data_text},
                                                                 {"APP", app}});
}

}  // namespace

std::string RenderHtmlReport(const ReportInputs& in, const HtmlReportOptions& options, HtmlReportSummary* summary) {
  options.Check();
  const json report = in.report_json.empty() ? json(nullptr) : ParseReportJson(in.report_json, "report.json");
  const PointsFile* points = in.points ? &*in.points : nullptr;
  const ReportShape shape = CheckShapes(in);
  const ResolvedSkeleton skeleton = ResolveSkeleton(in, report, shape.num_joints, shape.joint_names);
  int stride = 1;
  const std::vector<int> embedded = EmbeddedFrames(shape.num_frames, options, &stride);
  const int ne = static_cast<int>(embedded.size());

  HtmlReportSummary sum;
  std::string title;
  json data = ReportDataHeader(in, report, skeleton, ne, shape.num_frames, stride, options, &title);
  json arrays = json::object();
  if (points && ne > 0) {
    AddPointArrays(*points, shape, embedded, &arrays);
    AddOtherPeople(in, shape, embedded, &data, &arrays);
  }
  data["detections"] = nullptr;
  data["camera_stats"] = nullptr;
  if (in.poses) {
    const PoseStats ps = ComputePoseStats(*in.poses, in.rig, points, shape.frame_numbers, embedded, options);
    data["detections"] = ps.detections;
    if (!ps.camera_stats.is_null()) {
      data["camera_stats"] = ps.camera_stats;
      arrays["camera_frame_error"] = TypedArray("f32", {static_cast<int64_t>(in.rig.size()), ne},
                                                Float32Base64(ps.camera_frame_error));
      sum.camera_errors_from_poses = true;
    }
  }
  data["arrays"] = arrays;
  data["report"] = report;
  data["three_version"] = ThreeVersion();
  const std::string data_text = report_encoding::EscapeJsonForScript(Dump(data));
  std::string html = AssembleHtml(title, data_text);

  sum.bytes = html.size();
  sum.data_bytes = data_text.size();
  sum.num_cameras = static_cast<int>(in.rig.size());
  sum.num_frames = ne;
  sum.frame_stride = stride;
  sum.num_joints = shape.num_joints;
  sum.has_points = points != nullptr;
  sum.num_people = points ? 1 + static_cast<int>(in.other_people.size()) : 0;
  sum.has_poses = in.poses.has_value();
  sum.has_report_json = !report.is_null();
  if (summary) *summary = sum;
  return html;
}

HtmlReportSummary WriteHtmlReport(const ReportInputs& inputs, const std::string& out_path,
                                  const HtmlReportOptions& options) {
  HtmlReportSummary summary;
  const std::string html = RenderHtmlReport(inputs, options, &summary);
  WriteFileAtomic(out_path, html);
  return summary;
}

ReportInputs LoadReportInputs(const ReportPaths& paths) {
  if (paths.calibration.empty()) throw InputError("", "a calibration file is required (`calib` calibration.toml)");
  ReportInputs in;
  in.title = paths.title;
  in.rig = ReadCalibrationToml(paths.calibration);
  in.sources.emplace_back("calibration", paths.calibration);
  if (!paths.points.empty()) {
    PeoplePoints people = ReadPeoplePointsNpz(paths.points);
    for (size_t q = 1; q < people.people.size(); ++q) in.other_people.push_back(std::move(people.people[q].points));
    in.track_ids = people.track_ids;
    in.points = std::move(people.people.front());
    in.sources.emplace_back("points", paths.points);
  }
  if (!paths.poses.empty()) {
    KeypointReadOptions ko;
    ko.skeleton = paths.skeleton;
    in.poses = ReadKeypoints(paths.poses, ko);
    in.skeleton = in.poses->skeleton;
    in.sources.emplace_back("poses", paths.poses);
  } else {
    in.skeleton = paths.skeleton;
  }
  if (!paths.report_json.empty()) {
    in.report_json = ReadFileToString(paths.report_json);
    ParseReportJson(in.report_json, paths.report_json);  // errors name the file
    in.sources.emplace_back("report", paths.report_json);
  }
  return in;
}

HtmlReportSummary WriteHtmlReportFromFiles(const ReportPaths& paths, const std::string& out_path,
                                           const HtmlReportOptions& options) {
  ReportInputs in = LoadReportInputs(paths);
  try {
    return WriteHtmlReport(in, out_path, options);
  } catch (const InputError& e) {
    // Map the generic names used while rendering to the files.
    std::string where = e.where();
    if (where == "points") where = paths.points;
    else if (where == "poses") where = paths.poses + " (vs. " + paths.points + ")";
    else if (where == "report.json") where = paths.report_json;
    else if (where == "poses vs. calibration") where = paths.poses + " vs. " + paths.calibration;
    if (where == e.where()) throw;
    const std::string what = std::string(e.what()).substr(e.where().empty() ? 0 : e.where().size() + 2);
    throw InputError(where, what);
  }
}

}  // namespace epilabel
