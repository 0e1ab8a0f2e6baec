#include "geometry/optim/bundle_adjustment_weights.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "foundation/statistics.h"

namespace epilabel {

double RobustErrorScale(std::vector<double> errors) { return Median(std::move(errors)) / 1.1774; }

namespace {

// Per point: the number of inlier observations and the sum of their weights (confidence times
// group weight, as in the last solve).
struct PointViews {
  int count = 0;
  double weight_sum = 0.0;
};

std::vector<PointViews> InlierViewsPerPoint(const BAProblemData& data) {
  std::vector<PointViews> views(data.points.size());
  for (const BAObservation& o : data.observations) {
    if (!o.inlier) continue;
    ++views[o.point].count;
    views[o.point].weight_sum += o.weight * GroupWeight(data, o);
  }
  return views;
}

}  // namespace

double LeverageCorrectedError(double error_px, double weight, double point_weight_sum) {
  const double leverage = std::min(0.9, 1.5 * weight / point_weight_sum);
  return error_px / std::sqrt(1.0 - leverage);
}

bool UpdateGroupWeights(const BACameraBlocks& blocks, const BundleAdjustmentOptions& options, BAProblemData* data) {
  int num_groups = 0;
  for (const BAObservation& o : data->observations) num_groups = std::max(num_groups, o.group + 1);
  const std::vector<PointViews> views = InlierViewsPerPoint(*data);
  std::vector<std::vector<double>> group_errors(num_groups);
  std::vector<double> all_errors;
  for (const BAObservation& o : data->observations) {
    if (!o.inlier || o.group < 0) continue;
    const PointViews& v = views[o.point];
    if (v.count < 2 || !(v.weight_sum > 0)) continue;  // one view: no residual to measure
    const double raw = ObservationError(blocks, o, data->points[o.point]);
    const double err = options.correct_group_leverage
                           ? LeverageCorrectedError(raw, o.weight * GroupWeight(*data, o), v.weight_sum)
                           : raw;
    if (!std::isfinite(err)) continue;
    group_errors[o.group].push_back(err);
    all_errors.push_back(err);
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
  bool changed = false;
  for (int g = 0; g < num_groups; ++g) {
    const double before = g < static_cast<int>(data->group_weights.size()) ? data->group_weights[g] : 1.0;
    if (std::abs(weights[g] - before) > 0.05 * before) changed = true;
  }
  data->group_weights = weights;
  return changed;
}

}  // namespace epilabel
