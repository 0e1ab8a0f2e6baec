#include "training/hypotheses.h"

#include <algorithm>
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

namespace {

// One Gauss-Newton step of one joint (see RefineByReprojection); false when the point is not in
// front of the camera.
bool RefineJointStep(const Eigen::Vector3d& prior, double prior_weight, const Eigen::Vector2d& pixel,
                     double pixel_weight, const Eigen::Matrix3d& K, const Eigen::Vector3d& root, Eigen::Vector3d* x) {
  const Eigen::Vector3d p = K * (root + *x);
  if (!(p.z() > 1e-6)) return false;
  const Eigen::Vector2d r = p.head<2>() / p.z() - pixel;
  // d(p_xy / p_z) / dX = (K_xy p_z - p_xy K_z) / p_z^2.
  Eigen::Matrix<double, 2, 3> J;
  J.row(0) = (K.row(0) * p.z() - p.x() * K.row(2)) / (p.z() * p.z());
  J.row(1) = (K.row(1) * p.z() - p.y() * K.row(2)) / (p.z() * p.z());
  const Eigen::Matrix3d h = pixel_weight * J.transpose() * J + prior_weight * Eigen::Matrix3d::Identity();
  const Eigen::Vector3d g = pixel_weight * J.transpose() * r + prior_weight * (*x - prior);
  const Eigen::Vector3d step = h.ldlt().solve(-g);
  if (!step.allFinite()) return false;
  *x += step;
  return true;
}

}  // namespace

std::vector<Eigen::Vector3d> RefineByReprojection(const std::vector<Eigen::Vector3d>& pose,
                                                  const std::vector<double>& sigma_m,
                                                  const std::vector<Eigen::Vector3d>& keypoints,
                                                  const Eigen::Matrix3d& K, const Eigen::Vector3d& root,
                                                  const RefineOptions& options) {
  std::vector<Eigen::Vector3d> out = pose;
  const double pixel_weight = 1.0 / (options.pixel_sigma * options.pixel_sigma);
  for (size_t j = 0; j < pose.size() && j < keypoints.size(); ++j) {
    if (!(keypoints[j].z() > 0.0) || !pose[j].allFinite() || !keypoints[j].allFinite()) continue;
    double sigma = j < sigma_m.size() && sigma_m[j] > 0.0 ? sigma_m[j] : options.prior_sigma_m;
    sigma = std::max(sigma, 1e-4);
    const double prior_weight = 1.0 / (sigma * sigma);
    Eigen::Vector3d x = pose[j];
    bool ok = true;
    for (int it = 0; it < options.steps && ok; ++it) {
      ok = RefineJointStep(pose[j], prior_weight, keypoints[j].head<2>(), pixel_weight, K, root, &x);
    }
    if (ok) out[j] = x;
  }
  return out;
}

}  // namespace epilabel
