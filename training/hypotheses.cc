#include "training/hypotheses.h"

#include <cmath>
#include <limits>

#include <Eigen/Dense>

namespace epilabel {

std::optional<Eigen::Vector3d> EstimateRoot(const std::vector<Eigen::Vector3d>& pose,
                                            const std::vector<Eigen::Vector3d>& keypoints, const Eigen::Matrix3d& K) {
  // Unknowns (t_x, t_y, t_z): a_x t_z - t_x = X - a_x Z with a_x = (x - cx) / fx; same in y.
  Eigen::Matrix3d ata = Eigen::Matrix3d::Zero();
  Eigen::Vector3d atb = Eigen::Vector3d::Zero();
  int used = 0;
  for (size_t j = 0; j < pose.size() && j < keypoints.size(); ++j) {
    if (!(keypoints[j].z() > 0.0) || !pose[j].allFinite() || !keypoints[j].allFinite()) continue;
    const double ax = (keypoints[j].x() - K(0, 2)) / K(0, 0);
    const double ay = (keypoints[j].y() - K(1, 2)) / K(1, 1);
    const Eigen::Vector3d row_x(-1.0, 0.0, ax), row_y(0.0, -1.0, ay);
    ata += row_x * row_x.transpose() + row_y * row_y.transpose();
    atb += row_x * (pose[j].x() - ax * pose[j].z()) + row_y * (pose[j].y() - ay * pose[j].z());
    ++used;
  }
  if (used < 2) return std::nullopt;
  const Eigen::FullPivLU<Eigen::Matrix3d> lu(ata);
  if (!lu.isInvertible()) return std::nullopt;
  const Eigen::Vector3d t = lu.solve(atb);
  if (!t.allFinite()) return std::nullopt;
  return t;
}

std::vector<Eigen::Vector3d> MeanHypothesis(const std::vector<std::vector<Eigen::Vector3d>>& hypotheses) {
  std::vector<Eigen::Vector3d> mean(hypotheses.empty() ? 0 : hypotheses[0].size(), Eigen::Vector3d::Zero());
  for (const auto& h : hypotheses)
    for (size_t j = 0; j < mean.size(); ++j) mean[j] += h[j];
  for (auto& m : mean) m /= static_cast<double>(hypotheses.size());
  return mean;
}

std::vector<Eigen::Vector3d> SelectJointsByReprojection(const std::vector<std::vector<Eigen::Vector3d>>& hypotheses,
                                                        const std::vector<Eigen::Vector3d>& keypoints,
                                                        const Eigen::Matrix3d& K, const Eigen::Vector3d& root) {
  std::vector<Eigen::Vector3d> out = MeanHypothesis(hypotheses);
  for (size_t j = 0; j < out.size() && j < keypoints.size(); ++j) {
    if (!(keypoints[j].z() > 0.0)) continue;
    double best = std::numeric_limits<double>::infinity();
    for (const auto& h : hypotheses) {
      const Eigen::Vector3d p = K * (root + h[j]);
      if (!(p.z() > 1e-6)) continue;
      const double error = (p.head<2>() / p.z() - keypoints[j].head<2>()).squaredNorm();
      if (error < best) {
        best = error;
        out[j] = h[j];
      }
    }
  }
  return out;
}

std::vector<double> HypothesisSpread(const std::vector<std::vector<Eigen::Vector3d>>& hypotheses) {
  const std::vector<Eigen::Vector3d> mean = MeanHypothesis(hypotheses);
  std::vector<double> spread(mean.size(), 0.0);
  for (const auto& h : hypotheses)
    for (size_t j = 0; j < mean.size(); ++j) spread[j] += (h[j] - mean[j]).squaredNorm();
  for (double& s : spread) s = std::sqrt(s / static_cast<double>(hypotheses.size()));
  return spread;
}

}  // namespace epilabel
