#include "detection/dnn/pose_augmentation.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace epilabel {

ImageBox ScaleAboutCenter(const ImageBox& box, double scale) {
  const Eigen::Vector2d c = box.Center();
  ImageBox out = box;
  out.width = box.width * scale;
  out.height = box.height * scale;
  out.x0 = c.x() - 0.5 * out.width;
  out.y0 = c.y() - 0.5 * out.height;
  return out;
}

std::vector<Eigen::Vector3d> MergePoseEstimates(const std::vector<std::vector<Eigen::Vector3d>>& estimates,
                                                double max_disagreement) {
  if (estimates.empty()) return {};
  const size_t joints = estimates.front().size();
  for (const std::vector<Eigen::Vector3d>& e : estimates)
    if (e.size() != joints) throw std::invalid_argument("MergePoseEstimates: estimates with different joint counts");
  std::vector<Eigen::Vector3d> merged(joints, Eigen::Vector3d::Zero());
  for (size_t j = 0; j < joints; ++j) {
    std::vector<const Eigen::Vector3d*> usable;
    for (const std::vector<Eigen::Vector3d>& e : estimates)
      if (e[j].allFinite()) usable.push_back(&e[j]);
    if (usable.empty()) {
      merged[j] = estimates.front()[j];
      continue;
    }
    // Weighted medoid.
    const Eigen::Vector3d* anchor = usable.front();
    double best = std::numeric_limits<double>::infinity();
    for (const Eigen::Vector3d* a : usable) {
      double cost = 0.0;
      for (const Eigen::Vector3d* b : usable) cost += std::max(b->z(), 1e-6) * (a->head<2>() - b->head<2>()).norm();
      if (cost < best) {
        best = cost;
        anchor = a;
      }
    }
    Eigen::Vector2d sum = Eigen::Vector2d::Zero();
    double weight = 0.0, score = 0.0;
    for (const Eigen::Vector3d* e : usable) {
      score += e->z();
      if ((e->head<2>() - anchor->head<2>()).norm() > max_disagreement) continue;
      const double w = std::max(e->z(), 1e-6);
      sum += w * e->head<2>();
      weight += w;
    }
    merged[j] = Eigen::Vector3d(sum.x() / weight, sum.y() / weight, score / static_cast<double>(usable.size()));
  }
  return merged;
}

}  // namespace epilabel
