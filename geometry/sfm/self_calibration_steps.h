// What the steps of the self-calibration share (internal to geometry/sfm, see
// self_calibration.h for the algorithm): the usable observations, the frames of the bundle
// adjustments, and the triangulate-then-adjust step over the registered cameras.
#pragma once

#include <string>
#include <vector>

#include "geometry/estimators/triangulation.h"
#include "geometry/sfm/self_calibration.h"

namespace epilabel {

// An observation with confidence >= min_conf (and > 0) and finite entries.
inline bool Usable(const Eigen::Vector3d& o, double min_conf) { return o.z() >= min_conf && o.z() > 0 && o.allFinite(); }

inline void ReportProgress(const SelfCalibrationOptions& options, const std::string& stage, size_t done, size_t total) {
  if (options.progress) options.progress(stage, done, total);
}

// The frames of the bundle adjustments: evenly spread among the frames where two cameras or
// more see at least half the joints.
struct CalibrationFrames {
  Observations2d ba;     // [camera][k][joint] of the BA frames (final adjustment)
  Observations2d quick;  // every quick_stride-th BA frame (the quick adjustments while registering)
  int quick_stride = 1;
  std::vector<int> quick_person;  // options.frame_person of the quick frames (empty when it is)
};

// Selects the frames: at most options.max_ba_frames, and for the quick adjustments every k-th
// of them so that about max_registration_frames remain. The caller checks that enough remain.
CalibrationFrames SelectCalibrationFrames(const Observations2d& obs, const SelfCalibrationOptions& options);

// Triangulates `obs` with the registered cameras only.
TriangulationResult TriangulateRegistered(const Rig& rig, const Observations2d& obs, const std::vector<bool>& registered,
                                          const SelfCalibrationOptions& options);

// Triangulates `frames` with the registered cameras and adjusts the rig and the points (with
// bone-length terms when `with_bones`); `rig` takes the result when the adjustment succeeds.
// `num_points`: the 3D joints in the adjustment. With view_bias_rounds > 0 (the torso joints in
// options.view_bias and three or more registered cameras), that many rounds of fitting the view-dependent bias model to the
// residuals, correcting the pixels and adjusting again (view_bias.h); `view_bias_rms_px` (when
// given) receives the last fit's per-joint RMS offsets (pixels; empty when none was fitted).
BundleAdjustmentSummary AdjustRegistered(const Observations2d& frames, const std::vector<bool>& registered,
                                         const SelfCalibrationOptions& options,
                                         const BundleAdjustmentOptions& ba_options, bool with_bones, Rig* rig,
                                         int* num_points, int view_bias_rounds = 0,
                                         std::vector<double>* view_bias_rms_px = nullptr);

// The same adjustment from a triangulation already made (TriangulateRegistered with `rig`): its
// points and the views it kept.
BundleAdjustmentSummary AdjustTriangulated(const TriangulationResult& tri, const SelfCalibrationOptions& options,
                                           const BundleAdjustmentOptions& ba_options, bool with_bones, Rig* rig,
                                           int* num_points, int view_bias_rounds = 0,
                                           std::vector<double>* view_bias_rms_px = nullptr);

// The final adjustment's first stage in passes (SelfCalibrationOptions::final_passes: a fixed
// count, or 0 adaptive): each pass triangulates with the rig the last one left and adjusts;
// `passes` gets one report per pass, `stop` why no further pass ran. `ba_options` should compute
// the covariance (the adaptive rule measures each pass by it). Returns the last pass's summary.
// Each pass fits options.view_bias_rounds rounds of the view-bias model (AdjustRegistered);
// `view_bias_rms_px` (when given) receives the last pass's fit.
BundleAdjustmentSummary AdjustInPasses(const Observations2d& frames, const std::vector<bool>& registered,
                                       const SelfCalibrationOptions& options,
                                       const BundleAdjustmentOptions& ba_options, Rig* rig, int* num_points,
                                       std::vector<FinalPassReport>* passes, std::string* stop,
                                       std::vector<double>* view_bias_rms_px = nullptr);

// The share of the views kept by triangulation `before` that `after` chose differently: views
// (camera, frame, joint) kept by one and not the other, over the views `before` kept (0 when it
// kept none). A point triangulated by one only counts all its views.
double ViewChange(const TriangulationResult& before, const TriangulationResult& after);

}  // namespace epilabel
