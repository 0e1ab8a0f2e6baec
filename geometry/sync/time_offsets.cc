#include "geometry/sync/time_offsets.h"

#include <cmath>
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

Observations2d ResampleToReference(const Observations2d& observations, const std::vector<double>& offsets_s,
                                   const std::vector<double>& fps, double reference_fps, int num_frames) {
  const int num_cameras = observations.num_cameras();
  if (static_cast<int>(offsets_s.size()) != num_cameras || static_cast<int>(fps.size()) != num_cameras ||
      !(reference_fps > 0.0) || num_frames < 0) {
    throw std::invalid_argument("ResampleToReference: one offset and fps per camera, positive rates expected");
  }
  Observations2d out(num_cameras, num_frames, observations.num_joints());
  for (int c = 0; c < num_cameras; ++c) {
    for (int g = 0; g < num_frames; ++g) {
      const double frame = CameraFrameAt(g / reference_fps, offsets_s[c], fps[c]);
      // Frames within a millionth of an integer are taken as that frame (no rounding noise).
      const double nearest = std::round(frame);
      const double source = std::abs(frame - nearest) < 1e-6 ? nearest : frame;
      for (int j = 0; j < observations.num_joints(); ++j) {
        if (auto k = InterpolateKeypoint(observations, c, source, j)) out.at(c, g, j) = *k;
      }
    }
  }
  return out;
}

}  // namespace epilabel
