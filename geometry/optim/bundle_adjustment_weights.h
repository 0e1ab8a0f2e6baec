// Weights of observation groups measured from the residuals (internal to geometry/optim; see
// BundleAdjustmentOptions::reweight_groups): a group (e.g. a joint type, or a camera and joint
// type) whose detections agree less with the other views than the rest gets less weight.
#pragma once

#include <vector>

#include "geometry/optim/bundle_adjustment.h"
#include "geometry/optim/bundle_adjustment_problem.h"

namespace epilabel {

// The factor on observation o's weight: its group's entry of data.group_weights, 1 without one.
inline double GroupWeight(const BAProblemData& data, const BAObservation& o) {
  return o.group >= 0 && static_cast<size_t>(o.group) < data.group_weights.size() ? data.group_weights[o.group] : 1.0;
}

// Its segment's entry of data.segment_weights, 1 without one.
inline double SegmentWeight(const BAProblemData& data, const BAObservation& o) {
  return o.segment >= 0 && static_cast<size_t>(o.segment) < data.segment_weights.size()
             ? data.segment_weights[o.segment]
             : 1.0;
}

// Everything measured on observation o's confidence: its group's and its segment's factors.
inline double WeightFactor(const BAProblemData& data, const BAObservation& o) {
  return GroupWeight(data, o) * SegmentWeight(data, o);
}

// Robust error scale (px) of a set of reprojection errors (2D norms): median / 1.1774, the median
// of the norm of a 2D Gaussian error of unit sigma per axis (Median of foundation/statistics.h:
// the upper median). NaN when empty.
double RobustErrorScale(std::vector<double> errors);

// An observation's reprojection error (px) scaled to what it would be if its point had not been
// fitted to it: error / sqrt(1 - h), h = 1.5 w / W its leverage (the point's 3 coordinates
// spread over the 2 residuals of each of its views in proportion to their weights; w the
// observation's weight, W the sum over the point's inlier views; h at most 0.9). A point with two
// equal views keeps half its error in the residuals (h = 0.75), one with eight 90 %: without the
// correction, joints seen by fewer cameras (face joints in profile) look more precise than they are.
double LeverageCorrectedError(double error_px, double weight, double point_weight_sum);

// Sets data->group_weights from the inlier observations' current errors: per group with at least
// options.min_group_observations of them, (sigma / sigma_g)^2 clamped to
// [1 / max_group_weight, max_group_weight], sigma the scale of all inliers with a group; 1 for the
// others. Points with fewer than two inlier views are left out (their residual is not measured);
// with options.correct_group_leverage the errors are LeverageCorrectedError's. Returns whether
// a weight changed by more than 5 % (relative).
bool UpdateGroupWeights(const BACameraBlocks& blocks, const BundleAdjustmentOptions& options, BAProblemData* data);

// Sets data->segment_weights from the inlier observations' current errors (measured as for the
// groups): per segment with at least options.min_segment_observations of them,
// min(1, (sigma_c / sigma_s)^2), sigma_s the segment's scale and sigma_c that of its class's
// inliers (data->segment_classes; without them the camera of the segment's first observation);
// 1 for the others. Returns whether a
// weight changed by more than 5 % (relative).
bool UpdateSegmentWeights(const BACameraBlocks& blocks, const BundleAdjustmentOptions& options, BAProblemData* data);

}  // namespace epilabel
