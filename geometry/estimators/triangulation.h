// Triangulation of 2D joint observations with known cameras.
//
// Two layers, as in COLMAP:
//  - math on normalised (undistorted) coordinates: TriangulateLinear (confidence-weighted
//    DLT), RefineTriangulation (Gauss-Newton on pixel reprojection error) and
//    TriangulationCovariance;
//  - EstimateTriangulation: robust view selection for one point (ordered LO-RANSAC over view
//    pairs, deterministic, scales to many cameras), then a refit on the inliers;
//  - TriangulateSequence: every joint of every frame of a sequence, in parallel over frames
//    (TBB), with left/right swap repair. The result does not depend on the thread count.
//
// Units: world metres, pixels for errors and thresholds. Cameras map world to camera with
// cam_from_world (x_cam = R X + t).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "geometry/core/camera.h"
#include "geometry/core/observations.h"
#include "foundation/progress.h"
#include "geometry/core/types.h"

namespace epilabel {

// One view of a point, ready for triangulation.
struct PointView {
  Eigen::Matrix3d rotation;     // cam_from_world rotation
  Eigen::Vector3d translation;  // cam_from_world translation
  Eigen::Vector2d normalized;   // undistorted normalised image coordinates (x/z, y/z)
  double focal_px = 1.0;        // converts normalised errors to pixels (mean focal length)
  double weight = 1.0;          // confidence; relative weight in the fits
  double threshold_px = 0.0;    // outlier threshold of this view (0: the estimator's option)
};

// Confidence-weighted linear triangulation (inhomogeneous DLT) over the given views.
// Returns nullopt when the system is degenerate (fewer than two views, parallel rays).
std::optional<Eigen::Vector3d> TriangulateLinear(const PointView* views, int num_views);

// Gauss-Newton refinement of the weighted squared pixel reprojection error, starting at `point`.
// Steps that do not lower the cost are rejected. Returns the refined point.
// When `normal_matrix` / `cost` are given they receive J^T W J and the weighted squared error
// at the returned point (for covariances and leave-one-out tests without recomputing them).
Eigen::Vector3d RefineTriangulation(const PointView* views, int num_views, const Eigen::Vector3d& point,
                                    int max_iterations = 3, Eigen::Matrix3d* normal_matrix = nullptr,
                                    double* cost = nullptr);

// Pixel reprojection error of `point` in one view (infinity when behind the camera).
double ReprojectionErrorPx(const PointView& view, const Eigen::Vector3d& point);

// 3x3 covariance (metres^2) of a triangulated point: sigma^2 (J^T W J)^-1 with J the pixel
// Jacobian and sigma^2 the weighted residual variance, blended with a prior of
// `prior_sigma_px` worth `prior_weight` pseudo-observations (stable for two views).
Eigen::Matrix3d TriangulationCovariance(const PointView* views, int num_views, const Eigen::Vector3d& point,
                                        double prior_sigma_px, double prior_weight = 2.0);
// The same from J^T W J and the weighted squared error of `num_views` views whose weights sum
// to `weight_sum`.
Eigen::Matrix3d TriangulationCovarianceFromNormal(const Eigen::Matrix3d& normal_matrix, double cost, double weight_sum,
                                                  int num_views, double prior_sigma_px, double prior_weight = 2.0);

struct RobustTriangulationOptions {
  // Views whose pixel error is above this are outliers (unless a view sets its own).
  double reprojection_threshold_px = 15.0;
  // Fewest inlier views for a point to be triangulated.
  int min_views = 2;
  // The fit on all views is accepted at once when every view's error is below this share of
  // its threshold (otherwise the pair search runs).
  double fast_path_fraction = 1.0;
  // The fast path also requires every view's leave-one-out prediction error below its
  // threshold (a bad view can hide in the residuals of a fit that includes it).
  bool leave_one_out = true;
  // Probability of having drawn an all-inlier view pair when the search stops.
  double confidence = 0.999;
  // Hard cap on the number of view pairs tried.
  int max_pairs = 200;
  // Gauss-Newton iterations of the final refinement.
  int refine_iterations = 1;
  // Check(): throws std::invalid_argument on nonsense values.
  void Check() const;
};

struct RobustTriangulation {
  bool success = false;
  Eigen::Vector3d point = Eigen::Vector3d::Constant(kNaN);
  uint64_t inlier_mask = 0;  // bit i set when views[i] is an inlier
  int num_inliers = 0;
  double mean_error_px = kNaN;  // mean reprojection error over the inliers
  int pairs_tried = 0;
  // J^T W J, weighted squared error and weight sum of the inliers at `point`.
  Eigen::Matrix3d normal_matrix = Eigen::Matrix3d::Zero();
  double cost = kNaN;
  double weight_sum = 0.0;
};

// Robust triangulation of one point from up to 64 views: a weighted fit on all views, kept
// when every view agrees within the threshold; otherwise view pairs are tried in order of
// decreasing confidence (PROSAC-like, deterministic) with MSAC scoring and adaptive stopping,
// and the best consensus is refit and re-scored (local optimisation).
RobustTriangulation EstimateTriangulation(const PointView* views, int num_views,
                                          const RobustTriangulationOptions& options);

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
  // length to its well-seen neighbours by more than bone_tolerance (relative) is re-estimated
  // from the view subsets that do fit them, and dropped when none does: with two to four
  // cameras a wrong view can agree with the others, but rarely with the rest of the body.
  // Scale-free (works in any units). Empty or skeleton_check false: no check.
  std::vector<Bone> bones;
  bool skeleton_check = true;
  double bone_tolerance = 0.3;
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
