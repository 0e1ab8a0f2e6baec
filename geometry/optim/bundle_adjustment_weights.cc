#include "geometry/optim/bundle_adjustment_weights.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "foundation/statistics.h"

namespace epilabel {

double RobustErrorScale(std::vector<double> errors) { return Median(std::move(errors)) / 1.1774; }

double LeverageCorrectedError(double error_px, double weight, double point_weight_sum) {
  const double leverage = std::min(0.9, 1.5 * weight / point_weight_sum);
  return error_px / std::sqrt(1.0 - leverage);
}

namespace {

// Per point: the number of inlier observations and the sum of their weights (confidence times
// the group's and segment's factors, as in the last solve).
struct PointViews {
  int count = 0;
  double weight_sum = 0.0;
};

std::vector<PointViews> InlierViewsPerPoint(const BAProblemData& data) {
  std::vector<PointViews> views(data.points.size());
  for (const BAObservation& o : data.observations) {
    if (!o.inlier) continue;
    ++views[o.point].count;
    views[o.point].weight_sum += o.weight * WeightFactor(data, o);
  }
  return views;
}

// Per observation: its current error for the scales (NaN when not measured: an outlier, a point
// with fewer than two inlier views), leverage-corrected with options.correct_group_leverage.
std::vector<double> MeasuredErrors(const BACameraBlocks& blocks, const BundleAdjustmentOptions& options,
                                   const BAProblemData& data) {
  const std::vector<PointViews> views = InlierViewsPerPoint(data);
  std::vector<double> errors(data.observations.size(), kNaN);
  for (size_t i = 0; i < data.observations.size(); ++i) {
    const BAObservation& o = data.observations[i];
    if (!o.inlier) continue;
    const PointViews& v = views[o.point];
    if (v.count < 2 || !(v.weight_sum > 0)) continue;  // one view: no residual to measure
    const double raw = ObservationError(blocks, o, data.points[o.point]);
    errors[i] = options.correct_group_leverage ? LeverageCorrectedError(raw, o.weight * WeightFactor(data, o), v.weight_sum)
                                               : raw;
  }
  return errors;
}

// Replaces *weights by `updated`; whether an entry changed by more than 5 % (missing ones count as 1).
bool ReplaceWeights(std::vector<double> updated, std::vector<double>* weights) {
  bool changed = false;
  for (size_t g = 0; g < updated.size(); ++g) {
    const double before = g < weights->size() ? (*weights)[g] : 1.0;
    if (std::abs(updated[g] - before) > 0.05 * before) changed = true;
  }
  *weights = std::move(updated);
  return changed;
}

}  // namespace

bool UpdateGroupWeights(const BACameraBlocks& blocks, const BundleAdjustmentOptions& options, BAProblemData* data) {
  int num_groups = 0;
  for (const BAObservation& o : data->observations) num_groups = std::max(num_groups, o.group + 1);
  const std::vector<double> errors = MeasuredErrors(blocks, options, *data);
  std::vector<std::vector<double>> group_errors(num_groups);
  std::vector<double> all_errors;
  for (size_t i = 0; i < errors.size(); ++i) {
    const int g = data->observations[i].group;
    if (g < 0 || !std::isfinite(errors[i])) continue;
    group_errors[g].push_back(errors[i]);
    all_errors.push_back(errors[i]);
  }
  const double sigma = RobustErrorScale(std::move(all_errors));
  std::vector<double> weights(num_groups, 1.0);
  for (int g = 0; g < num_groups; ++g) {
    if (static_cast<int>(group_errors[g].size()) < options.min_group_observations) continue;
    const double sigma_g = RobustErrorScale(std::move(group_errors[g]));
    if (!(sigma > 0) || !(sigma_g > 0)) continue;
    const double w = (sigma / sigma_g) * (sigma / sigma_g);
    weights[g] = std::clamp(w, 1.0 / options.max_group_weight, options.max_group_weight);
  }
  return ReplaceWeights(std::move(weights), &data->group_weights);
}

bool UpdateSegmentWeights(const BACameraBlocks& blocks, const BundleAdjustmentOptions& options, BAProblemData* data) {
  int num_segments = 0;
  for (const BAObservation& o : data->observations) num_segments = std::max(num_segments, o.segment + 1);
  const bool by_camera = data->segment_classes.empty();
  if (!by_camera && static_cast<int>(data->segment_classes.size()) < num_segments)
    throw std::invalid_argument("BA segment_classes: one class per segment");
  int num_classes = by_camera ? blocks.size() : 0;
  if (!by_camera)
    for (int k : data->segment_classes) num_classes = std::max(num_classes, k + 1);
  const std::vector<double> errors = MeasuredErrors(blocks, options, *data);
  std::vector<std::vector<double>> segment_errors(num_segments), class_errors(num_classes);
  std::vector<int> segment_class(num_segments, -1);
  for (size_t i = 0; i < errors.size(); ++i) {
    const BAObservation& o = data->observations[i];
    if (o.segment < 0 || !std::isfinite(errors[i])) continue;
    const int k = by_camera ? o.camera : data->segment_classes[o.segment];
    segment_errors[o.segment].push_back(errors[i]);
    if (k >= 0) class_errors[k].push_back(errors[i]);
    if (segment_class[o.segment] < 0) segment_class[o.segment] = k;
  }
  std::vector<double> class_sigma(num_classes, kNaN);
  for (int k = 0; k < num_classes; ++k)
    if (!class_errors[k].empty()) class_sigma[k] = RobustErrorScale(std::move(class_errors[k]));
  std::vector<double> weights(num_segments, 1.0);
  for (int s = 0; s < num_segments; ++s) {
    if (static_cast<int>(segment_errors[s].size()) < options.min_segment_observations || segment_class[s] < 0) continue;
    const double sigma_c = class_sigma[segment_class[s]];
    const double sigma_s = RobustErrorScale(std::move(segment_errors[s]));
    if (!(sigma_c > 0) || !(sigma_s > 0)) continue;
    weights[s] = std::min(1.0, (sigma_c / sigma_s) * (sigma_c / sigma_s));
  }
  return ReplaceWeights(std::move(weights), &data->segment_weights);
}

}  // namespace epilabel
