#include "detection/io/points_io.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "foundation/file_util.h"
#include "foundation/npz.h"
#include "foundation/error.h"

namespace epilabel {

namespace {

// Joint names and frame numbers with defaults filled in, after checking every array's shape.
struct CheckedPoints {
  std::vector<std::string> joint_names;
  std::vector<int64_t> frame_numbers;
};

CheckedPoints Check(const PointsFile& p, const std::string& path) {
  const int nf = p.points.num_frames(), nj = p.points.num_joints();
  auto check_dims = [&](int f, int j, const char* name) {
    if (f != nf || j != nj) {
      throw std::invalid_argument(path + ": " + name + " is " + std::to_string(f) + "x" + std::to_string(j) +
                                  ", points are " + std::to_string(nf) + "x" + std::to_string(nj));
    }
  };
  if (!p.reproj_error_px.data().empty()) check_dims(p.reproj_error_px.num_frames(), p.reproj_error_px.num_joints(), "reproj_error_px");
  if (!p.n_views.data().empty()) check_dims(p.n_views.num_frames(), p.n_views.num_joints(), "n_views");
  if (!p.uncertainty_m.data().empty()) check_dims(p.uncertainty_m.num_frames(), p.uncertainty_m.num_joints(), "uncertainty_m");
  CheckedPoints out;
  out.joint_names = p.joint_names;
  if (out.joint_names.empty()) {
    for (int j = 0; j < nj; ++j) out.joint_names.push_back("joint_" + std::to_string(j));
  }
  if (static_cast<int>(out.joint_names.size()) != nj) {
    throw std::invalid_argument(path + ": " + std::to_string(out.joint_names.size()) + " joint names for " +
                                std::to_string(nj) + " joints");
  }
  out.frame_numbers = p.frame_numbers;
  if (out.frame_numbers.empty()) {
    for (int f = 0; f < nf; ++f) out.frame_numbers.push_back(f);
  }
  if (static_cast<int>(out.frame_numbers.size()) != nf) {
    throw std::invalid_argument(path + ": " + std::to_string(out.frame_numbers.size()) + " frame numbers for " +
                                std::to_string(nf) + " frames");
  }
  return out;
}

double ErrorAt(const PointsFile& p, int f, int j) {
  return p.reproj_error_px.data().empty() ? kNaN : p.reproj_error_px.at(f, j);
}
int ViewsAt(const PointsFile& p, int f, int j) { return p.n_views.data().empty() ? 0 : p.n_views.at(f, j); }

// Shortest round-trip text; empty for NaN (as pandas writes missing values).
void AppendNumber(std::string& out, double v) {
  if (!std::isfinite(v)) return;
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, res.ptr);
}

void AppendInt(std::string& out, int64_t v) {
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, res.ptr);
}

// printf's "%.6f" of a finite value: std::to_chars in fixed notation with a precision is
// specified to produce exactly what printf does in the C locale, without parsing a format.
void AppendFixed6(std::string& out, double v) {
  char buf[336];  // the longest finite double in %.6f: sign, 309 digits, point, 6 decimals
  const auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed, 6);
  out.append(buf, res.ptr);
}

}  // namespace

void WritePointsNpz(const PointsFile& points, const std::string& path) {
  const CheckedPoints c = Check(points, path);
  const int nf = points.points.num_frames(), nj = points.points.num_joints();
  std::vector<double> xyz(static_cast<size_t>(nf) * nj * 3);
  for (size_t i = 0; i < points.points.data().size(); ++i) {
    for (int k = 0; k < 3; ++k) xyz[3 * i + static_cast<size_t>(k)] = points.points.data()[i](k);
  }
  const std::vector<double> errors = points.reproj_error_px.data().empty()
                                         ? std::vector<double>(static_cast<size_t>(nf) * nj, kNaN)
                                         : points.reproj_error_px.data();
  const std::vector<int32_t> views = points.n_views.data().empty()
                                         ? std::vector<int32_t>(static_cast<size_t>(nf) * nj, 0)
                                         : points.n_views.data();
  NpzWriter writer(path);
  writer.Add("points3d", NpyArray::FromVector(xyz, {nf, nj, 3}));
  writer.Add("reproj_error_px", NpyArray::FromVector(errors, {nf, nj}));
  writer.Add("n_views", NpyArray::FromVector(views, {nf, nj}));
  writer.Add("joint_names", NpyArray::FromStrings(c.joint_names));
  writer.Add("frame_numbers", NpyArray::FromVector(c.frame_numbers, {nf}));
  if (!points.uncertainty_m.data().empty()) {
    writer.Add("uncertainty_m", NpyArray::FromVector(points.uncertainty_m.data(), {nf, nj}));
  }
  writer.Close();
}

PointsFile ReadPointsNpz(const std::string& path) {
  const auto npz = ReadNpz(path);
  const NpyArray& xyz = RequireArray(npz, "points3d", 3, path);
  if (xyz.shape[2] != 3) throw InputError(path, "points3d must have shape [frames, joints, 3]");
  const int nf = static_cast<int>(xyz.shape[0]), nj = static_cast<int>(xyz.shape[1]);
  auto doubles = [&](const NpyArray& a, const std::string& name) {
    try {
      return a.ToDoubles();
    } catch (const std::exception& e) {
      throw InputError(path, name + ": " + e.what());
    }
  };
  auto frame_joint = [&](const std::string& name) -> const NpyArray* {
    if (npz.count(name) == 0) return nullptr;
    const NpyArray& a = RequireArray(npz, name, 2, path);
    if (a.shape[0] != nf || a.shape[1] != nj) {
      throw InputError(path, name + " has shape [" + std::to_string(a.shape[0]) + ", " + std::to_string(a.shape[1]) +
                                 "], expected [" + std::to_string(nf) + ", " + std::to_string(nj) + "] as points3d");
    }
    return &a;
  };
  PointsFile out;
  out.points = Points3d(nf, nj);
  const std::vector<double> v = doubles(xyz, "points3d");
  for (int f = 0; f < nf; ++f) {
    for (int j = 0; j < nj; ++j) {
      const size_t i = (static_cast<size_t>(f) * nj + j) * 3;
      out.points.at(f, j) = Eigen::Vector3d(v[i], v[i + 1], v[i + 2]);
    }
  }
  out.reproj_error_px = FrameJointArray<double>(nf, nj, kNaN);
  if (const NpyArray* a = frame_joint("reproj_error_px")) out.reproj_error_px.data() = doubles(*a, "reproj_error_px");
  out.n_views = FrameJointArray<int32_t>(nf, nj, 0);
  if (const NpyArray* a = frame_joint("n_views")) {
    std::vector<int64_t> n;
    try {
      n = a->ToInt64();
    } catch (const std::exception& e) {
      throw InputError(path, std::string("n_views: ") + e.what());
    }
    for (size_t i = 0; i < n.size(); ++i) out.n_views.data()[i] = static_cast<int32_t>(n[i]);
  }
  if (const NpyArray* a = frame_joint("uncertainty_m")) {
    out.uncertainty_m = FrameJointArray<double>(nf, nj);
    out.uncertainty_m.data() = doubles(*a, "uncertainty_m");
  }
  try {
    if (npz.count("joint_names")) {
      const NpyArray& a = RequireArray(npz, "joint_names", 1, path);
      if (a.shape[0] != nj) throw InputError(path, "joint_names has " + std::to_string(a.shape[0]) + " entries, expected " + std::to_string(nj));
      out.joint_names = a.ToStrings();
    }
    if (npz.count("frame_numbers")) {
      const NpyArray& a = RequireArray(npz, "frame_numbers", 1, path);
      if (a.shape[0] != nf) throw InputError(path, "frame_numbers has " + std::to_string(a.shape[0]) + " entries, expected " + std::to_string(nf));
      out.frame_numbers = a.ToInt64();
    }
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw InputError(path, e.what());
  }
  if (out.joint_names.empty()) {
    for (int j = 0; j < nj; ++j) out.joint_names.push_back("joint_" + std::to_string(j));
  }
  if (out.frame_numbers.empty()) {
    for (int f = 0; f < nf; ++f) out.frame_numbers.push_back(f);
  }
  return out;
}

void WriteAniposeCsv(const PointsFile& points, const std::string& path) {
  const CheckedPoints c = Check(points, path);
  const int nf = points.points.num_frames(), nj = points.points.num_joints();
  std::string text;
  for (const std::string& name : c.joint_names) {
    for (const char* suffix : {"_x", "_y", "_z", "_error", "_ncams", "_score"}) text += name + suffix + ",";
  }
  text += "fnum\n";
  text.reserve(text.size() + static_cast<size_t>(nf) * (static_cast<size_t>(nj) * 96 + 8));
  for (int f = 0; f < nf; ++f) {
    for (int j = 0; j < nj; ++j) {
      const Eigen::Vector3d& x = points.points.at(f, j);
      const bool valid = x.allFinite();
      for (int k = 0; k < 3; ++k) {
        AppendNumber(text, valid ? x(k) : kNaN);
        text += ',';
      }
      AppendNumber(text, valid ? ErrorAt(points, f, j) : kNaN);
      text += ',';
      AppendInt(text, valid ? ViewsAt(points, f, j) : 0);
      text += valid ? ",1," : ",0,";
    }
    AppendInt(text, c.frame_numbers[static_cast<size_t>(f)]);
    text += '\n';
  }
  WriteFileAtomic(path, text);
}

void WriteTrc(const PointsFile& points, const std::string& path, const TrcOptions& options) {
  if (!(options.fps > 0.0) || !std::isfinite(options.fps)) throw std::invalid_argument("WriteTrc: fps must be positive");
  const CheckedPoints c = Check(points, path);
  const int nf = points.points.num_frames(), nj = points.points.num_joints();
  const double scale = options.millimetres ? 1000.0 : 1.0;
  const int64_t first = nf > 0 ? c.frame_numbers.front() : 0;
  const int64_t span = nf > 0 ? c.frame_numbers.back() - first + 1 : 0;
  char buf[256];
  std::string text;
  text += "PathFileType\t4\t(X/Y/Z)\t" + std::filesystem::path(path).filename().string() + "\n";
  text += "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\tOrigNumFrames\n";
  std::snprintf(buf, sizeof(buf), "%.6g\t%.6g\t%d\t%d\t%s\t%.6g\t%d\t%lld\n", options.fps, options.fps, nf, nj,
                options.millimetres ? "mm" : "m", options.fps, 1, static_cast<long long>(span));
  text += buf;
  text += "Frame#\tTime";
  for (const std::string& name : c.joint_names) text += "\t" + name + "\t\t";
  text += "\n\t";
  for (int j = 1; j <= nj; ++j) text += "\tX" + std::to_string(j) + "\tY" + std::to_string(j) + "\tZ" + std::to_string(j);
  text += "\n\n";
  text.reserve(text.size() + static_cast<size_t>(nf) * (static_cast<size_t>(nj) * 36 + 24));
  for (int f = 0; f < nf; ++f) {
    const int64_t frame = c.frame_numbers[static_cast<size_t>(f)] - first + 1;
    AppendInt(text, frame);
    text += '\t';
    AppendFixed6(text, static_cast<double>(frame - 1) / options.fps);
    for (int j = 0; j < nj; ++j) {
      const Eigen::Vector3d& x = points.points.at(f, j);
      if (!x.allFinite()) {
        text += "\t\t\t";  // OpenSim reads empty fields as missing markers
        continue;
      }
      // OpenSim is y-up: (x, y, z) in our z-up world becomes (x, z, -y), a rotation about x.
      const Eigen::Vector3d out = options.y_up ? Eigen::Vector3d(x.x(), x.z(), -x.y()) : x;
      for (int k = 0; k < 3; ++k) {
        text += '\t';
        AppendFixed6(text, out(k) * scale);
      }
    }
    text += '\n';
  }
  WriteFileAtomic(path, text);
}

}  // namespace epilabel
