#include "geometry/metrics/alignment.h"

#include <cmath>
#include <stdexcept>

#include <Eigen/SVD>

namespace epilabel {

Sim3d AlignSimilarity(const Eigen::Vector3d* src, const Eigen::Vector3d* dst, const double* weights, int num_points,
                      bool estimate_scale) {
  auto usable = [&](int i) {
    const double w = weights == nullptr ? 1.0 : weights[i];
    return w > 0.0 && std::isfinite(w) && src[i].allFinite() && dst[i].allFinite();
  };
  double total_weight = 0.0;
  Eigen::Vector3d src_mean = Eigen::Vector3d::Zero(), dst_mean = Eigen::Vector3d::Zero();
  int num_usable = 0;
  for (int i = 0; i < num_points; ++i) {
    if (!usable(i)) continue;
    const double w = weights == nullptr ? 1.0 : weights[i];
    total_weight += w;
    src_mean += w * src[i];
    dst_mean += w * dst[i];
    ++num_usable;
  }
  Sim3d sim;
  if (num_usable == 0) return sim;
  src_mean /= total_weight;
  dst_mean /= total_weight;

  Eigen::Matrix3d cov = Eigen::Matrix3d::Zero();  // sum w (dst - mean)(src - mean)^T / W
  double src_var = 0.0;                           // sum w |src - mean|^2 / W
  for (int i = 0; i < num_points; ++i) {
    if (!usable(i)) continue;
    const double w = weights == nullptr ? 1.0 : weights[i];
    const Eigen::Vector3d s = src[i] - src_mean;
    cov += w * (dst[i] - dst_mean) * s.transpose();
    src_var += w * s.squaredNorm();
  }
  cov /= total_weight;
  src_var /= total_weight;

  if (num_usable < 2 || !(src_var > 0.0)) {
    sim.translation = dst_mean - src_mean;
    return sim;
  }
  Eigen::JacobiSVD<Eigen::Matrix3d> svd(cov, Eigen::ComputeFullU | Eigen::ComputeFullV);
  Eigen::Vector3d signs = Eigen::Vector3d::Ones();
  if (svd.matrixU().determinant() * svd.matrixV().determinant() < 0.0) signs(2) = -1.0;
  const Eigen::Matrix3d rotation = svd.matrixU() * signs.asDiagonal() * svd.matrixV().transpose();
  sim.rotation = Eigen::Quaterniond(rotation).normalized();
  sim.scale = estimate_scale ? svd.singularValues().dot(signs) / src_var : 1.0;
  sim.translation = dst_mean - sim.scale * (rotation * src_mean);
  return sim;
}

namespace {
void CheckSizes(const std::vector<Eigen::Vector3d>& src, const std::vector<Eigen::Vector3d>& dst,
                const std::vector<double>& weights) {
  if (src.size() != dst.size() || (!weights.empty() && weights.size() != src.size())) {
    throw std::invalid_argument("AlignSimilarity: src, dst and weights must have the same size");
  }
}
}  // namespace

Sim3d AlignSimilarity(const std::vector<Eigen::Vector3d>& src, const std::vector<Eigen::Vector3d>& dst,
                      const std::vector<double>& weights) {
  CheckSizes(src, dst, weights);
  return AlignSimilarity(src.data(), dst.data(), weights.empty() ? nullptr : weights.data(),
                         static_cast<int>(src.size()), /*estimate_scale=*/true);
}

Rigid3d AlignRigid(const std::vector<Eigen::Vector3d>& src, const std::vector<Eigen::Vector3d>& dst,
                   const std::vector<double>& weights) {
  CheckSizes(src, dst, weights);
  const Sim3d sim = AlignSimilarity(src.data(), dst.data(), weights.empty() ? nullptr : weights.data(),
                                    static_cast<int>(src.size()), /*estimate_scale=*/false);
  return Rigid3d(sim.rotation, sim.translation);
}

}  // namespace epilabel
