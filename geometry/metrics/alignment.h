// Least-squares alignment of corresponding 3D point sets: similarity (rotation, translation
// and scale) and rigid (no scale), after Umeyama, "Least-squares estimation of transformation
// parameters between two point patterns", PAMI 1991, with per-point weights.
//
// Both functions return the transformation T that maps `src` onto `dst`, minimising
//   sum_i w_i || dst_i - T * src_i ||^2,
// with T a Sim3d (dst = s R src + t) or a Rigid3d (dst = R src + t), R a proper rotation
// (det R = +1). Units are whatever the points are in (metres in this project).
//
// Pairs whose src or dst point is not finite, or whose weight is not positive, are ignored.
// Degenerate input is not an error: with no usable pair the identity is returned; with one
// usable pair, or when every usable src point coincides, R = I and s = 1 and only the
// centroids are matched; when the usable points are collinear the rotation about their line is
// not determined and one of the minimisers is returned.
#pragma once

#include <vector>

#include <Eigen/Core>

#include "geometry/core/rigid3.h"

namespace epilabel {

// `weights` empty means every pair has weight 1; otherwise it has src.size() entries.
// Throws std::invalid_argument when the sizes differ.
Sim3d AlignSimilarity(const std::vector<Eigen::Vector3d>& src, const std::vector<Eigen::Vector3d>& dst,
                      const std::vector<double>& weights = {});
Rigid3d AlignRigid(const std::vector<Eigen::Vector3d>& src, const std::vector<Eigen::Vector3d>& dst,
                   const std::vector<double>& weights = {});

// Pointer form over `num_points` pairs (`weights` may be nullptr = all 1). With
// `estimate_scale` false the returned scale is 1 (rigid alignment).
Sim3d AlignSimilarity(const Eigen::Vector3d* src, const Eigen::Vector3d* dst, const double* weights, int num_points,
                      bool estimate_scale = true);

}  // namespace epilabel
