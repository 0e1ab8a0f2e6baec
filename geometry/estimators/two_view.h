// Two-view geometry from joint correspondences.
//
// EstimateRelativeCameraPose: robust essential matrix (OpenCV's 5-point solver inside USAC with
// MAGSAC++ scoring, seeded, single-threaded so that results do not depend on scheduling),
// decomposition with the cheirality check, and quality figures (inliers, triangulation angle).
// EstimateFundamental + FocalFromFundamentals: for cameras whose focal length is unknown
// (principal point at the image centre, square pixels), the focal lengths that make every
// pair's K_b^T F K_a closest to an essential matrix (equal non-zero singular values;
// Mendonca & Cipolla, CVPR 1999).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <Eigen/Core>

#include "geometry/core/rigid3.h"

namespace epilabel {

struct TwoViewOptions {
  double threshold_px = 8.0;   // Sampson-error threshold, pixels (converted with the focal length)
  // Noisy detectors: when fewer than `adapt_below_inlier_ratio` of the correspondences are
  // inliers, the noise is measured on the first model (1.4826 x the median Sampson distance) and
  // the estimate is repeated once with a threshold of 3 of those sigmas, at most
  // `max_adaptive_threshold_px` (<= threshold_px: never).
  double adapt_below_inlier_ratio = 0.3;
  double max_adaptive_threshold_px = 40.0;
  double confidence = 0.9999;  // RANSAC confidence
  int max_iterations = 5000;
  uint64_t seed = 0;           // random state of the sampler
  void Check() const;
};

struct TwoViewGeometry {
  bool success = false;
  Eigen::Matrix3d essential = Eigen::Matrix3d::Zero();
  Rigid3d cam2_from_cam1;           // translation has unit norm
  std::vector<uint8_t> inlier_mask; // per correspondence: 1 when it is an inlier that passes cheirality
  int num_correspondences = 0;
  int num_inliers = 0;
  double median_angle_deg = 0.0;    // median triangulation angle of the inliers
  double threshold_px = 0.0;        // the Sampson threshold the result was estimated with, pixels
  // A score that grows with inliers and parallax (used to weight view-graph edges).
  double quality = 0.0;
};

// Correspondences are normalised, undistorted image coordinates (x/z, y/z) in each camera;
// `focal1`, `focal2` (pixels) convert the pixel threshold to normalised units.
TwoViewGeometry EstimateRelativeCameraPose(const std::vector<Eigen::Vector2d>& normalized1,
                                     const std::vector<Eigen::Vector2d>& normalized2, double focal1, double focal2,
                                     const TwoViewOptions& options);

struct FundamentalEstimate {
  bool success = false;
  Eigen::Matrix3d fundamental = Eigen::Matrix3d::Zero();  // x2^T F x1 = 0, pixel coordinates
  std::vector<uint8_t> inlier_mask;
  int num_inliers = 0;
};

// Robust fundamental matrix on pixel coordinates (USAC, MAGSAC++).
FundamentalEstimate EstimateFundamental(const std::vector<Eigen::Vector2d>& pixels1,
                                        const std::vector<Eigen::Vector2d>& pixels2, const TwoViewOptions& options);

// One pair's fundamental matrix between cameras a and b, for the focal search.
struct FundamentalPair {
  int camera_a = 0, camera_b = 0;
  Eigen::Matrix3d fundamental;  // x_b^T F x_a = 0 in pixels
  double weight = 1.0;
};

// Focal lengths (pixels) of `num_cameras` cameras with principal points `principal_points`
// minimising sum_pairs weight * ((s1 - s2) / (s1 + s2)) over the singular values of
// K_b^T F K_a: coordinate descent over a log grid in [min_focal, max_focal] then golden-section
// refinement. Cameras in no pair keep `initial`.
std::vector<double> FocalFromFundamentals(int num_cameras, const std::vector<Eigen::Vector2d>& principal_points,
                                          const std::vector<FundamentalPair>& pairs, const std::vector<double>& initial,
                                          double min_focal, double max_focal);

}  // namespace epilabel
