// The observations a bundle-adjustment round leaves out (internal to geometry/optim): points
// their inlier views do not determine, and outliers removed after a solve.
#pragma once

#include <vector>

#include "geometry/optim/bundle_adjustment.h"
#include "geometry/optim/bundle_adjustment_problem.h"

namespace epilabel {

// Whether each point is held by its inlier observations: three views or more, or two whose rays
// from the camera centres meet at more than `min_angle_deg` and less than 180 - min_angle_deg.
// `num_undetermined`: the points with inlier observations that are not.
std::vector<bool> DeterminedPoints(const BAProblemData& data, const BACameraBlocks& blocks, double min_angle_deg,
                                   int* num_undetermined);

// Clears `inlier` on the observations whose error exceeds the threshold: options'
// outlier_threshold_px, or `outlier_sigmas` robust sigmas of the inlier errors if more (median
// error / 1.1774, the median of a 2D Gaussian's error norm), so that noise is not trimmed as if
// it were outliers. Returns the number removed; `threshold_px` receives the threshold used.
int RemoveOutliers(const BACameraBlocks& blocks, const BundleAdjustmentOptions& options, BAProblemData* data,
                   double* threshold_px);

}  // namespace epilabel
