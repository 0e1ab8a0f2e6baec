#include "geometry/optim/bundle_adjustment_outliers.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "geometry/optim/bundle_adjustment_weights.h"
#include "geometry/optim/cost_functions/camera_priors.h"

namespace epilabel {

std::vector<bool> DeterminedPoints(const BAProblemData& data, const BACameraBlocks& blocks, double min_angle_deg,
                                   int* num_undetermined) {
  const size_t n = data.points.size();
  std::vector<int> views(n, 0);
  std::vector<std::array<camera_t, 2>> first_two(n, {kInvalidCameraId, kInvalidCameraId});
  for (const BAObservation& o : data.observations) {
    if (!o.inlier) continue;
    if (views[o.point] < 2) first_two[o.point][views[o.point]] = o.camera;
    ++views[o.point];
  }
  std::vector<Eigen::Vector3d> centers(blocks.poses.size());
  for (size_t c = 0; c < blocks.poses.size(); ++c) CenterOfPose(blocks.poses[c].data(), centers[c].data());
  const double max_abs_cos = std::cos(min_angle_deg * M_PI / 180.0);
  std::vector<bool> determined(n, false);
  *num_undetermined = 0;
  for (size_t p = 0; p < n; ++p) {
    if (views[p] >= 3) {
      determined[p] = true;
    } else if (views[p] == 2) {
      const Eigen::Vector3d a = (data.points[p] - centers[first_two[p][0]]).normalized();
      const Eigen::Vector3d b = (data.points[p] - centers[first_two[p][1]]).normalized();
      determined[p] = std::abs(a.dot(b)) < max_abs_cos;
    }
    if (views[p] > 0 && !determined[p]) ++*num_undetermined;
  }
  return determined;
}

int RemoveOutliers(const BACameraBlocks& blocks, const BundleAdjustmentOptions& options, BAProblemData* data,
                   double* threshold_px) {
  std::vector<double> errors(data->observations.size(), kNaN);
  std::vector<double> inlier_errors;
  for (size_t i = 0; i < data->observations.size(); ++i) {
    const BAObservation& o = data->observations[i];
    if (!o.inlier) continue;
    errors[i] = ObservationError(blocks, o, data->points[o.point]);
    inlier_errors.push_back(errors[i]);
  }
  double threshold = options.outlier_threshold_px;
  if (options.outlier_sigmas > 0 && !inlier_errors.empty())
    threshold = std::max(threshold, options.outlier_sigmas * RobustErrorScale(std::move(inlier_errors)));
  *threshold_px = threshold;
  int removed = 0;
  for (size_t i = 0; i < data->observations.size(); ++i) {
    BAObservation& o = data->observations[i];
    if (!o.inlier) continue;
    if (!(errors[i] <= threshold)) {
      o.inlier = false;
      ++removed;
    }
  }
  return removed;
}

}  // namespace epilabel
