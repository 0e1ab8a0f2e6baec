// Triangulation of every joint of every frame of a sequence with known cameras: the sequence
// driver over EstimateTriangulation (point_triangulation.h). In parallel over frames (TBB);
// the result does not depend on the thread count. Steps: undistortion, per-camera and per-joint
// outlier thresholds and bone lengths from a sample of frames, per frame the robust estimate of
// every joint, left/right swap repair and a skeleton check, then the statistics.
//
// Units: world metres, pixels for errors and thresholds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "foundation/progress.h"
#include "geometry/core/camera.h"
#include "geometry/core/observations.h"
#include "geometry/core/types.h"
#include "geometry/estimators/point_triangulation.h"

namespace epilabel {

struct TriangulationOptions {
  // Observations with a confidence below this are ignored.
  double min_confidence = 0.2;
  // Robust view selection; when false every view above min_confidence is used.
  bool robust = true;
  RobustTriangulationOptions ransac;
  // Per-camera, per-joint outlier thresholds from the data: a first pass over
  // `threshold_frames` evenly spread frames (with ransac.reprojection_threshold_px) measures the
  // median reprojection error of each camera and joint; its threshold becomes threshold_sigmas x
  // the implied noise sigma, clamped to [min_threshold_px, max_threshold_px]. Detector noise grows with the person's
  // size in the image, which differs between cameras and datasets.
  bool adaptive_threshold = true;
  // 7 sigma: measured on the studio over 4-8 sigma with the skeleton check on (which catches
  // the gross errors a wide threshold lets through); tighter thresholds drop good views.
  double threshold_sigmas = 7.0;
  double min_threshold_px = 6.0;
  double max_threshold_px = 40.0;
  int threshold_frames = 300;
  // Left/right pairs of joints; with repair_swaps, a view whose pair is better explained
  // swapped gets its two observations exchanged before the final fit.
  std::vector<SymmetricPair> symmetric_pairs;
  bool repair_swaps = true;
  // Bones (limbs) for the per-frame skeleton check: their lengths are the medians over the
  // threshold frames of the joints seen by three views or more. A joint that misses every
  // length to its well-seen neighbours by more than the bone's tolerance (relative, see
  // bone_tolerance_sigmas) is re-estimated
  // from the view subsets that do fit them, and dropped when none does: with two to four
  // cameras a wrong view can agree with the others, but rarely with the rest of the body.
  // Scale-free (works in any units). Empty or skeleton_check false: no check.
  std::vector<Bone> bones;
  bool skeleton_check = true;
  double bone_tolerance = 0.3;
  // The tolerance of each bone adapts to the measured error: bone_tolerance_sigmas x the robust
  // relative spread of its length over the threshold frames (1.4826 x MAD / median), within
  // [min_bone_tolerance, bone_tolerance] (bone_tolerance if smaller). 0: bone_tolerance. The
  // spread holds the 3D noise of both joints (grows with the detector's error, shrinks with more
  // cameras) and the bone's own stretch (face "bones" are not rigid). 4 sigma: studio, Gaussian
  // 3/6 px and realistic detector, seeds 1-4 (h36m4 realistic 1.030-1.043 of the masked oracle;
  // 3: 1.029-1.037 but ring8 worse; see bench/README.md); the fixed 30 % let wrong views through.
  double bone_tolerance_sigmas = 4.0;
  double min_bone_tolerance = 0.1;
  // Expected pixel noise, the prior of the covariance estimate.
  double prior_sigma_px = 3.0;
  // Also keep the full 3x3 covariance of every point (else only the scalar uncertainty).
  bool keep_covariance = false;
  ProgressCallback progress;
  void Check() const;
};

struct CameraTriangulationStats {
  double threshold_px = kNaN;  // outlier threshold used for this camera (mean over joints)
  int64_t observed = 0;      // observations above min_confidence
  int64_t used = 0;          // observations used in a final fit
  double mean_error_px = kNaN;    // over used observations
  double median_error_px = kNaN;  // over used observations
};

struct TriangulationSummary {
  int64_t num_points = 0;           // frames x joints
  int64_t num_triangulated = 0;     // points with a 3D position
  int64_t num_observations = 0;     // observations above min_confidence
  int64_t num_outliers_dropped = 0; // observations rejected by the robust selection
  int64_t num_swaps_fixed = 0;      // (view, frame, pair) left/right swaps repaired
  int64_t num_robust_searches = 0;  // points that needed the pair search
  int64_t num_bone_fixed = 0;       // points re-estimated to fit the skeleton
  int64_t num_bone_dropped = 0;     // points dropped: no view subset fits the skeleton
  std::vector<CameraTriangulationStats> cameras;
  std::vector<double> joint_triangulated_share;  // per joint, share of frames triangulated
  double mean_error_px = kNaN;
  double median_error_px = kNaN;
  std::string BriefReport() const;
};

struct TriangulationResult {
  Points3d points;                          // world metres, NaN where not triangulated
  FrameJointArray<double> reproj_error_px;  // mean error over the views used, NaN when unknown
  FrameJointArray<int32_t> num_views;       // views used
  FrameJointArray<uint64_t> view_mask;      // bit c set when camera c was used
  FrameJointArray<double> uncertainty_m;    // sqrt(trace(covariance)), NaN when unknown
  std::vector<Eigen::Matrix3d> covariance;  // [frame * joints + joint] when keep_covariance
  Observations2d repaired;                  // the input with the repaired swaps applied
  TriangulationSummary summary;
};

// Triangulates every joint of every frame. Cameras must have intrinsics and extrinsics;
// throws std::invalid_argument when the rig does not match the observations.
TriangulationResult TriangulateSequence(const Rig& rig, const Observations2d& observations,
                                        const TriangulationOptions& options);

}  // namespace epilabel
