#include "geometry/sfm/camera_registration.h"

#include <sstream>

#include "geometry/estimators/resection.h"

namespace epilabel {

namespace {

// The candidate that sees the most joints triangulated by the registered cameras
// (kInvalidCameraId when none sees any).
camera_t NextCamera(const std::vector<camera_t>& component, const std::vector<bool>& registered,
                    const std::vector<bool>& failed, const Observations2d& quick, const Points3d& points,
                    double min_confidence) {
  camera_t next = kInvalidCameraId;
  int next_matches = 0;
  for (camera_t c : component) {
    if (registered[c] || failed[c]) continue;
    int matches = 0;
    for (frame_t f = 0; f < quick.num_frames(); ++f)
      for (joint_t j = 0; j < quick.num_joints(); ++j)
        if (points.IsValid(f, j) && Usable(quick.at(c, f, j), min_confidence)) ++matches;
    if (matches > next_matches) {
      next_matches = matches;
      next = c;
    }
  }
  return next;
}

struct Matches2d3d {
  std::vector<Eigen::Vector3d> points;  // triangulated joints, reconstruction frame
  std::vector<Eigen::Vector2d> pixels;  // the camera's observations of them
};

Matches2d3d CollectMatches(camera_t c, const Observations2d& quick, const Points3d& points, double min_confidence) {
  Matches2d3d m;
  for (frame_t f = 0; f < quick.num_frames(); ++f)
    for (joint_t j = 0; j < quick.num_joints(); ++j)
      if (points.IsValid(f, j) && Usable(quick.at(c, f, j), min_confidence)) {
        m.points.push_back(points.at(f, j));
        m.pixels.push_back(quick.at(c, f, j).head<2>());
      }
  return m;
}

// Resects camera c; noisy detectors (and the noisier joints of two-view triangulations): when
// too few matches agree within the threshold, widens it (x2, x4) before giving up. `ok`: enough
// inliers, in number and share.
ResectionResult ResectCamera(const Camera& cam, camera_t c, const Matches2d3d& m, bool focal_estimated,
                             const SelfCalibrationOptions& options, bool* ok) {
  ResectionOptions ro = options.resection;
  ro.seed = options.seed + 7 * static_cast<uint64_t>(c);
  // Unknown intrinsics: lens distortion is not modelled yet, so allow larger residuals.
  if (focal_estimated) ro.threshold_px *= options.unknown_intrinsics_threshold_factor;
  std::vector<Eigen::Vector2d> normalized;
  if (!focal_estimated) {
    normalized.reserve(m.pixels.size());
    for (const auto& p : m.pixels) normalized.push_back(cam.NormalizedFromImage(p));
  }
  ResectionResult rr;
  *ok = false;
  for (int attempt = 0; attempt <= options.max_resection_threshold_doublings && !*ok; ++attempt) {
    if (attempt > 0) ro.threshold_px *= 2.0;
    rr = focal_estimated ? EstimateResectionUnknownFocal(m.points, m.pixels, Eigen::Vector2d(cam.cx, cam.cy), ro)
                         : EstimateResection(m.points, normalized, cam.MeanFocal(), ro);
    *ok = rr.success && rr.num_inliers >= options.min_resection_inliers &&
          rr.num_inliers >= 0.3 * static_cast<double>(m.points.size());
  }
  return rr;
}

}  // namespace

void RegisterCameras(const std::vector<camera_t>& component, const CalibrationFrames& frames,
                     const SelfCalibrationOptions& options, const BundleAdjustmentOptions& quick_ba, Rig* rig,
                     SelfCalibrationSummary* summary) {
  SelfCalibrationSummary& s = *summary;
  std::vector<bool> failed(rig->size(), false);
  const size_t to_register = component.size();
  ReportProgress(options, "registering cameras", 2, to_register);
  while (true) {
    const TriangulationResult tri = TriangulateRegistered(*rig, frames.quick, s.registered, options);
    const camera_t next = NextCamera(component, s.registered, failed, frames.quick, tri.points, options.min_confidence);
    if (next == kInvalidCameraId) {
      for (camera_t c : component)
        if (!s.registered[c] && !failed[c]) {
          failed[c] = true;
          s.camera_notes[c] = "sees no triangulated joint of the registered cameras";
        }
      return;
    }
    const Matches2d3d matches = CollectMatches(next, frames.quick, tri.points, options.min_confidence);
    bool ok = false;
    const bool focal_unknown = s.focal_estimated && !s.intrinsics_given[next];
    const ResectionResult rr = ResectCamera((*rig)[next], next, matches, focal_unknown, options, &ok);
    if (!ok) {
      failed[next] = true;
      std::ostringstream why;
      why << "registration failed: " << rr.num_inliers << " inliers of " << matches.points.size() << " 2D-3D matches";
      s.camera_notes[next] = why.str();
      continue;
    }
    (*rig)[next].cam_from_world = rr.cam_from_world;
    // The resection's focal length: the pairwise (fundamental-matrix) estimates are unreliable
    // when the cameras look at a common point, the usual studio set-up.
    if (focal_unknown) (*rig)[next].fx = (*rig)[next].fy = rr.focal_px;
    s.registered[next] = true;
    s.registration_order.push_back(next);
    ReportProgress(options, "registering cameras", s.registration_order.size(), to_register);
    AdjustRegistered(frames.quick, s.registered, options, quick_ba, false, rig, &s.num_points);
  }
}

}  // namespace epilabel
