// Triangulation of one point from its views, with known cameras (the maths under
// TriangulateSequence, see sequence_triangulation.h).
//
//  - math on normalised (undistorted) coordinates: TriangulateLinear (confidence-weighted
//    DLT), RefineTriangulation (Gauss-Newton on pixel reprojection error) and
//    TriangulationCovariance;
//  - EstimateTriangulation: robust view selection for one point (a fast path on all views,
//    else an ordered LO-RANSAC over view pairs, deterministic, scales to many cameras; see
//    ransac.h), then a refit on the inliers;
//  - EstimateTriangulationAccepted: the best consensus whose point passes a caller's test (the
//    skeleton check of the sequence driver).
//
// Units: world metres, pixels for errors and thresholds. Cameras map world to camera with
// cam_from_world (x_cam = R X + t).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include <Eigen/Core>

#include "geometry/core/types.h"

namespace epilabel {

// Most views of one point (view masks are 64-bit).
constexpr int kMaxTriangulationViews = 64;

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

// The best-scoring (MSAC) consensus whose point passes `accept`, over every hypothesis: the fit
// on all views and the fit of every view pair, each refit once on its consensus when that
// contains the seed. For a point the usual estimate gets wrong by a criterion the views cannot
// see (the skeleton). success false when no hypothesis passes; mean_error_px is not computed,
// pairs_tried counts the pairs considered.
RobustTriangulation EstimateTriangulationAccepted(const PointView* views, int num_views,
                                                  const RobustTriangulationOptions& options,
                                                  const std::function<bool(const Eigen::Vector3d&)>& accept);

}  // namespace epilabel
