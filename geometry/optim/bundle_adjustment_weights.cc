#include "geometry/optim/bundle_adjustment_weights.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "foundation/statistics.h"

namespace epilabel {

double RobustErrorScale(std::vector<double> errors) { return Median(std::move(errors)) / 1.1774; }

bool UpdateGroupWeights(const BACameraBlocks& blocks, const BundleAdjustmentOptions& options, BAProblemData* data) {
  int num_groups = 0;
  for (const BAObservation& o : data->observations) num_groups = std::max(num_groups, o.group + 1);
  std::vector<std::vector<double>> group_errors(num_groups);
  std::vector<double> all_errors;
  for (const BAObservation& o : data->observations) {
    if (!o.inlier || o.group < 0) continue;
    const double err = ObservationError(blocks, o, data->points[o.point]);
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
