// Camera resection: the pose (and, when unknown, the focal length) of a camera from 2D-3D
// correspondences between its detections and already triangulated joints.
#pragma once

#include <cstdint>
#include <vector>

#include <Eigen/Core>

#include "geometry/core/rigid3.h"

namespace epilabel {

struct ResectionOptions {
  double threshold_px = 8.0;   // reprojection threshold for inliers, pixels
  double confidence = 0.999;
  int max_iterations = 2000;
  uint64_t seed = 0;           // random state (focal-unknown path)
  void Check() const;
};

struct ResectionResult {
  bool success = false;
  Rigid3d cam_from_world;
  double focal_px = 0.0;            // estimated focal length (EstimateResectionUnknownFocal)
  std::vector<uint8_t> inlier_mask;
  int num_inliers = 0;
  double rms_error_px = 0.0;        // over the inliers
};

// Known intrinsics: `normalized` are undistorted normalised coordinates; `focal_px` converts the
// threshold. PnP inside RANSAC (OpenCV, deterministic), then Levenberg-Marquardt on the inliers.
ResectionResult EstimateResection(const std::vector<Eigen::Vector3d>& points_in_world,
                                  const std::vector<Eigen::Vector2d>& normalized, double focal_px,
                                  const ResectionOptions& options);

// Unknown focal length (square pixels, principal point known, no distortion): six-point DLT
// inside RANSAC, K from the RQ decomposition of the best projection matrix, then a
// Gauss-Newton refinement of pose and focal on the inliers.
ResectionResult EstimateResectionUnknownFocal(const std::vector<Eigen::Vector3d>& points_in_world,
                                              const std::vector<Eigen::Vector2d>& pixels,
                                              const Eigen::Vector2d& principal_point, const ResectionOptions& options);

}  // namespace epilabel
