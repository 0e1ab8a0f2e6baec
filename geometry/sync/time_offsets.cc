#include "geometry/sync/time_offsets.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <utility>
#include <stdexcept>

#include <fmt/format.h>

namespace epilabel {

void SyncInput::Check() const {
  if (fps.empty()) throw std::invalid_argument("SyncInput: no camera");
  for (double rate : fps) {
    if (!(rate > 0.0 && std::isfinite(rate))) throw std::invalid_argument("SyncInput: fps must be positive");
  }
  if (reference < 0 || reference >= num_cameras()) throw std::invalid_argument("SyncInput: reference out of range");
  for (const Observations2d& track : tracks) {
    if (track.num_cameras() != num_cameras() || track.num_joints() != tracks[0].num_joints()) {
      throw std::invalid_argument("SyncInput: every track needs every camera and the same joints");
    }
  }
}

std::vector<double> SyncResult::OffsetsSeconds() const {
  std::vector<double> out;
  for (const CameraOffset& camera : cameras) out.push_back(camera.offset_s);
  return out;
}

std::string SyncResult::Verdict(double min_confidence) const {
  if (!success) return "refused";
  for (size_t c = 0; c < cameras.size(); ++c) {
    if (static_cast<int>(c) == reference) continue;
    if (!cameras[c].estimated || cameras[c].confidence < min_confidence) return "uncertain";
  }
  return "ok";
}

std::string SyncResult::BriefReport() const {
  if (!success) return "time offsets refused: " + reason;
  std::string text = fmt::format("time offsets ({}), reference camera {}:", method, reference);
  for (size_t c = 0; c < cameras.size(); ++c) {
    const CameraOffset& o = cameras[c];
    text += fmt::format(" [{}] {:+.3f} frames (confidence {:.2f}{})", c, o.offset_frames, o.confidence,
                        o.estimated || static_cast<int>(c) == reference ? "" : ", not estimated");
  }
  return text;
}

namespace {

bool Usable(const CameraOffset& o) {
  return o.estimated && std::isfinite(o.standard_error_frames) && o.standard_error_frames > 0.0;
}

std::string Joined(const std::string& a, const std::string& b) {
  if (a.empty() || a == b) return b;
  return b.empty() ? a : a + "; " + b;
}

// One camera of CombineByStandardErrors (both usable).
CameraOffset CombineCamera(const CameraOffset& a, const std::string& a_name, const CameraOffset& b,
                           const std::string& b_name, double disagreement, double reference_fps) {
  const double va = a.standard_error_frames * a.standard_error_frames;
  const double vb = b.standard_error_frames * b.standard_error_frames;
  const double apart = std::abs(a.offset_frames - b.offset_frames), combined = std::sqrt(va + vb);
  const std::string both = fmt::format("{} {:+.3f} +/- {:.3f}, {} {:+.3f} +/- {:.3f} frames", a_name, a.offset_frames,
                                       a.standard_error_frames, b_name, b.offset_frames, b.standard_error_frames);
  if (apart > disagreement * combined) {
    const bool take_a = va <= vb;
    CameraOffset out = take_a ? a : b;
    out.choice = fmt::format("{}: {:.3f} frames apart, over {:g} combined standard errors ({:.3f}): the {} taken "
                             "(smaller standard error)",
                             both, apart, disagreement, combined, take_a ? a_name : b_name);
    return out;
  }
  CameraOffset out = va <= vb ? a : b;
  out.offset_frames = (a.offset_frames / va + b.offset_frames / vb) / (1.0 / va + 1.0 / vb);
  out.offset_s = out.offset_frames / reference_fps;
  out.standard_error_frames = 1.0 / std::sqrt(1.0 / va + 1.0 / vb);
  out.confidence = std::max(a.confidence, b.confidence);
  out.note = Joined(a.note, b.note);
  out.choice = fmt::format("{}: agree within {:g} combined standard errors ({:.3f} apart): inverse-variance mean "
                           "{:+.3f} +/- {:.3f}",
                           both, disagreement, apart, out.offset_frames, out.standard_error_frames);
  return out;
}

}  // namespace

SyncResult CombineByStandardErrors(const SyncResult& a, const std::string& a_name, const SyncResult& b,
                                   const std::string& b_name, const SyncResult& fallback, double disagreement) {
  if (a.cameras.size() != b.cameras.size() || a.cameras.size() != fallback.cameras.size() ||
      a.reference != b.reference || !(disagreement > 0.0))
    throw std::invalid_argument("CombineByStandardErrors: the same cameras and reference, disagreement > 0 expected");
  SyncResult out = a;
  out.success = a.success || b.success;
  if (out.success) out.reason.clear();
  const double fps = a.reference_fps > 0.0 ? a.reference_fps : b.reference_fps;
  for (size_t c = 0; c < a.cameras.size(); ++c) {
    if (static_cast<int>(c) == a.reference) continue;
    const CameraOffset& x = a.cameras[c];
    const CameraOffset& y = b.cameras[c];
    CameraOffset& o = out.cameras[c];
    if (Usable(x) && Usable(y)) {
      o = CombineCamera(x, a_name, y, b_name, disagreement, fps);
    } else if (Usable(x) || Usable(y)) {
      o = Usable(x) ? x : y;
      o.choice = fmt::format("only the {} has a standard error: taken ({:+.3f} +/- {:.3f} frames)",
                             Usable(x) ? a_name : b_name, o.offset_frames, o.standard_error_frames);
    } else {
      o = fallback.cameras[c];
      o.choice = fmt::format("neither the {} nor the {} has a standard error: the start kept", a_name, b_name);
    }
  }
  return out;
}

double BlockedSumDeviation(const std::vector<double>& values, const std::vector<int>& groups,
                           const std::vector<double>& frames, int min_blocks) {
  if (groups.size() != values.size() || frames.size() != values.size() || min_blocks < 2)
    throw std::invalid_argument("BlockedSumDeviation: one group and frame per value, min_blocks >= 2 expected");
  double farthest = 0.0;  // the largest |frame|: longer blocks no longer merge anything
  for (double f : frames) {
    if (!std::isfinite(f)) throw std::invalid_argument("BlockedSumDeviation: frames must be finite");
    farthest = std::max(farthest, std::abs(f));
  }
  double largest = -1.0;
  for (double length = 1.0;; length *= 2.0) {
    std::map<std::pair<int, long>, double> blocks;
    for (size_t i = 0; i < values.size(); ++i)
      blocks[{groups[i], static_cast<long>(std::floor(frames[i] / length))}] += values[i];
    const double n = static_cast<double>(blocks.size());
    if (blocks.size() < static_cast<size_t>(min_blocks)) break;
    double mean = 0.0;
    for (const auto& [key, sum] : blocks) mean += sum / n;
    double squares = 0.0;
    for (const auto& [key, sum] : blocks) squares += (sum - mean) * (sum - mean);
    largest = std::max(largest, std::sqrt(squares * n / (n - 1.0)));
    // Blocks longer than every |frame| are each group's items before and after frame 0: with
    // min_blocks groups or more they stay that many for every longer length (the loop would
    // never end), so the last length is the first longer than the farthest frame.
    if (length > farthest) break;
  }
  return largest >= 0.0 ? largest : std::numeric_limits<double>::infinity();
}

std::optional<Eigen::Vector3d> InterpolateKeypoint(const Observations2d& observations, int camera, double frame,
                                                   int joint) {
  if (!(frame >= 0.0) || frame > observations.num_frames() - 1) return std::nullopt;
  const int f0 = static_cast<int>(std::floor(frame));
  const double w = frame - f0;
  if (!observations.IsObserved(camera, f0, joint)) {
    return std::nullopt;
  }
  if (w == 0.0) return observations.at(camera, f0, joint);
  if (!observations.IsObserved(camera, f0 + 1, joint)) return std::nullopt;
  const Eigen::Vector3d& p1 = observations.at(camera, f0, joint);
  const Eigen::Vector3d& p2 = observations.at(camera, f0 + 1, joint);
  Eigen::Vector3d out = (1.0 - w) * p1 + w * p2;
  if (f0 >= 1 && f0 + 2 < observations.num_frames() && observations.IsObserved(camera, f0 - 1, joint) &&
      observations.IsObserved(camera, f0 + 2, joint)) {
    // Catmull-Rom (cubic Hermite, central-difference tangents) for the position.
    const Eigen::Vector2d p0 = observations.at(camera, f0 - 1, joint).head<2>();
    const Eigen::Vector2d p3 = observations.at(camera, f0 + 2, joint).head<2>();
    const double w2 = w * w, w3 = w2 * w;
    out.head<2>() = 0.5 * ((-w3 + 2.0 * w2 - w) * p0 + (3.0 * w3 - 5.0 * w2 + 2.0) * p1.head<2>() +
                           (-3.0 * w3 + 4.0 * w2 + w) * p2.head<2>() + (w3 - w2) * p3);
  }
  return out;
}

namespace {

// The person's image size in camera c: median over frames (5+ joints) of the joints' bounding-box
// diagonal, pixels; 0 when never seen so.
double PersonSizePx(const Observations2d& observations, int camera) {
  std::vector<double> sizes;
  for (int f = 0; f < observations.num_frames(); ++f) {
    Eigen::Vector2d lo = Eigen::Vector2d::Constant(1e300), hi = -lo;
    int seen = 0;
    for (int j = 0; j < observations.num_joints(); ++j) {
      if (!observations.IsObserved(camera, f, j)) continue;
      lo = lo.cwiseMin(observations.at(camera, f, j).head<2>());
      hi = hi.cwiseMax(observations.at(camera, f, j).head<2>());
      ++seen;
    }
    if (seen >= 5) sizes.push_back((hi - lo).norm());
  }
  if (sizes.empty()) return 0.0;
  std::nth_element(sizes.begin(), sizes.begin() + sizes.size() / 2, sizes.end());
  return sizes[sizes.size() / 2];
}

double Median5(double a, double b, double c, double d, double e) {
  double v[5] = {a, b, c, d, e};
  std::nth_element(v, v + 2, v + 5);
  return v[2];
}

}  // namespace

Observations2d WithoutTemporalOutliers(const Observations2d& observations, double outlier_rel) {
  Observations2d out = observations;
  if (!(outlier_rel > 0.0)) return out;
  for (int c = 0; c < observations.num_cameras(); ++c) {
    const double threshold = outlier_rel * PersonSizePx(observations, c);
    if (threshold <= 0.0) continue;
    for (int j = 0; j < observations.num_joints(); ++j) {
      for (int f = 2; f + 2 < observations.num_frames(); ++f) {
        bool all = true;
        for (int g = f - 2; g <= f + 2 && all; ++g) all = observations.IsObserved(c, g, j);
        if (!all) continue;
        const auto at = [&](int g, int axis) { return observations.at(c, g, j)[axis]; };
        const Eigen::Vector2d median(Median5(at(f - 2, 0), at(f - 1, 0), at(f, 0), at(f + 1, 0), at(f + 2, 0)),
                                     Median5(at(f - 2, 1), at(f - 1, 1), at(f, 1), at(f + 1, 1), at(f + 2, 1)));
        if ((observations.at(c, f, j).head<2>() - median).norm() > threshold) out.at(c, f, j).z() = 0.0;
      }
    }
  }
  return out;
}

Observations2d ResampleToReference(const Observations2d& observations, const std::vector<double>& offsets_s,
                                   const std::vector<double>& fps, double reference_fps, int num_frames,
                                   double outlier_rel) {
  const int num_cameras = observations.num_cameras();
  if (static_cast<int>(offsets_s.size()) != num_cameras || static_cast<int>(fps.size()) != num_cameras ||
      !(reference_fps > 0.0) || num_frames < 0) {
    throw std::invalid_argument("ResampleToReference: one offset and fps per camera, positive rates expected");
  }
  // Between frames a detector outlier would leak into two output frames at part weight (hard to
  // reject later): fractional frames are interpolated from the tracks without them.
  const Observations2d filtered = WithoutTemporalOutliers(observations, outlier_rel);
  Observations2d out(num_cameras, num_frames, observations.num_joints());
  for (int c = 0; c < num_cameras; ++c) {
    for (int g = 0; g < num_frames; ++g) {
      const double frame = CameraFrameAt(g / reference_fps, offsets_s[c], fps[c]);
      // Frames within a millionth of an integer are taken as that frame (no rounding noise).
      const double nearest = std::round(frame);
      const bool whole = std::abs(frame - nearest) < 1e-6;
      const Observations2d& source = whole ? observations : filtered;
      for (int j = 0; j < observations.num_joints(); ++j) {
        if (auto k = InterpolateKeypoint(source, c, whole ? nearest : frame, j)) out.at(c, g, j) = *k;
      }
    }
  }
  return out;
}

Observations2d SmoothedInTime(const Observations2d& observations, int camera, double sigma) {
  const int radius = sigma > 0.0 ? static_cast<int>(std::ceil(3.0 * sigma)) : 0;
  std::vector<double> kernel(2 * radius + 1, 1.0);
  if (radius > 0)
    for (int i = -radius; i <= radius; ++i) kernel[i + radius] = std::exp(-0.5 * i * i / (sigma * sigma));
  Observations2d out(1, observations.num_frames(), observations.num_joints());
  for (int f = 0; f < observations.num_frames(); ++f) {
    for (int j = 0; j < observations.num_joints(); ++j) {
      if (!observations.IsObserved(camera, f, j)) continue;
      Eigen::Vector2d sum = Eigen::Vector2d::Zero();
      double weight = 0.0;
      for (int g = std::max(0, f - radius); g <= std::min(observations.num_frames() - 1, f + radius); ++g) {
        if (!observations.IsObserved(camera, g, j)) continue;
        sum += kernel[g - f + radius] * observations.at(camera, g, j).head<2>();
        weight += kernel[g - f + radius];
      }
      out.at(0, f, j) = Eigen::Vector3d(sum.x() / weight, sum.y() / weight, observations.at(camera, f, j).z());
    }
  }
  return out;
}

}  // namespace epilabel
