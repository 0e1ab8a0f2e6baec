#include "geometry/optim/bundle_adjustment.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <sstream>
#include <stdexcept>

#include <ceres/ceres.h>
#include <ceres/rotation.h>
#include <Eigen/Dense>

#include "geometry/optim/cost_functions/reprojection.h"
#include "geometry/optim/cost_functions/skeleton_priors.h"

namespace epilabel {

void BundleAdjustmentOptions::Check() const {
  if (!(loss_scale_px > 0)) throw std::invalid_argument("BA loss_scale_px must be > 0");
  if (!(outlier_threshold_px > 0)) throw std::invalid_argument("BA outlier_threshold_px must be > 0");
  if (outlier_rounds < 0) throw std::invalid_argument("BA outlier_rounds must be >= 0");
  if (!(bone_sigma_rel > 0)) throw std::invalid_argument("BA bone_sigma_rel must be > 0");
  if (fixed_camera == scale_camera) throw std::invalid_argument("BA fixed_camera and scale_camera must differ");
  if (max_iterations < 1) throw std::invalid_argument("BA max_iterations must be >= 1");
  if (!(function_tolerance > 0) || !(removal_function_tolerance > 0))
    throw std::invalid_argument("BA function tolerances must be > 0");
}

std::string BundleAdjustmentSummary::BriefReport() const {
  std::ostringstream os;
  os.precision(4);
  os << "BA " << (success ? "converged" : "failed") << ": cost " << initial_cost << " -> " << final_cost << " in "
     << iterations << " iterations (";
  for (size_t i = 0; i < round_iterations.size(); ++i) os << (i ? "+" : "") << round_iterations[i];
  os << "), " << num_observations << " observations, " << num_outliers_removed
     << " outliers removed, " << num_undetermined_points << " points undetermined, sigma0 " << sigma0_px << " px (" << termination << "), solve " << solve_s
     << " s (evaluation " << jacobian_s << " s, linear solver " << linear_solver_s << " s), covariance "
     << covariance_s << " s";
  return os.str();
}

namespace {

// Camera centre of a pose block: C = -R^T t.
template <typename T>
void CenterOfPose(const T* pose, T* center) {
  const T minus_aa[3] = {-pose[0], -pose[1], -pose[2]};
  const T t[3] = {pose[3], pose[4], pose[5]};
  T rt[3];
  ceres::AngleAxisRotatePoint(minus_aa, t, rt);
  for (int i = 0; i < 3; ++i) center[i] = -rt[i];
}

// (|C(pose) - C_fixed| - d0) / sigma: holds the scale of the reconstruction.
struct BaselinePrior {
  BaselinePrior(const Eigen::Vector3d& fixed_center, double distance, double sigma)
      : fixed_center_(fixed_center), distance_(distance), inv_sigma_(1.0 / sigma) {}
  template <typename T>
  bool operator()(const T* pose, T* residual) const {
    T c[3];
    CenterOfPose(pose, c);
    const T dx = c[0] - T(fixed_center_.x()), dy = c[1] - T(fixed_center_.y()), dz = c[2] - T(fixed_center_.z());
    residual[0] = T(inv_sigma_) * (ceres::sqrt(dx * dx + dy * dy + dz * dz + T(1e-18)) - T(distance_));
    return true;
  }
  static ceres::CostFunction* Create(const Eigen::Vector3d& fixed_center, double distance, double sigma) {
    return new ceres::AutoDiffCostFunction<BaselinePrior, 1, kPoseBlockSize>(
        new BaselinePrior(fixed_center, distance, sigma));
  }

 private:
  const Eigen::Vector3d fixed_center_;
  const double distance_;
  const double inv_sigma_;
};

// (f - f0) / (sigma_rel f0) on the focal entry of an intrinsics block.
struct FocalPrior {
  FocalPrior(double f0, double sigma_rel) : f0_(f0), inv_sigma_(1.0 / (sigma_rel * f0)) {}
  template <typename T>
  bool operator()(const T* intrinsics, T* residual) const {
    residual[0] = T(inv_sigma_) * (intrinsics[0] - T(f0_));
    return true;
  }
  static ceres::CostFunction* Create(double f0, double sigma_rel) {
    return new ceres::AutoDiffCostFunction<FocalPrior, 1, kIntrinsicsBlockSize>(new FocalPrior(f0, sigma_rel));
  }

 private:
  const double f0_;
  const double inv_sigma_;
};

// (c - c0) / sigma on the principal point entries of an intrinsics block.
struct PrincipalPointPrior {
  PrincipalPointPrior(const Eigen::Vector2d& c0, double sigma_px) : c0_(c0), inv_sigma_(1.0 / sigma_px) {}
  template <typename T>
  bool operator()(const T* intrinsics, T* residual) const {
    residual[0] = T(inv_sigma_) * (intrinsics[1] - T(c0_.x()));
    residual[1] = T(inv_sigma_) * (intrinsics[2] - T(c0_.y()));
    return true;
  }
  static ceres::CostFunction* Create(const Eigen::Vector2d& c0, double sigma_px) {
    return new ceres::AutoDiffCostFunction<PrincipalPointPrior, 2, kIntrinsicsBlockSize>(
        new PrincipalPointPrior(c0, sigma_px));
  }

 private:
  const Eigen::Vector2d c0_;
  const double inv_sigma_;
};

double ObservationError(const double* pose, const double* intrinsics, double aspect, const Eigen::Vector3d& point,
                        const Eigen::Vector2d& pixel) {
  double px[2];
  if (!ProjectWithBlocks(pose, intrinsics, point.data(), aspect, px)) return std::numeric_limits<double>::infinity();
  return std::hypot(px[0] - pixel.x(), px[1] - pixel.y());
}

// Whether each point is held by its inlier observations: three views or more, or two whose rays
// from the camera centres meet at more than `min_angle_deg` and less than 180 - min_angle_deg.
// `num_undetermined`: the points with inlier observations that are not.
std::vector<bool> DeterminedPoints(const BAProblemData& data, const std::vector<std::array<double, kPoseBlockSize>>& poses,
                                   double min_angle_deg, int* num_undetermined) {
  const size_t n = data.points.size();
  std::vector<int> views(n, 0);
  std::vector<std::array<camera_t, 2>> first_two(n, {kInvalidCameraId, kInvalidCameraId});
  for (const BAObservation& o : data.observations) {
    if (!o.inlier) continue;
    if (views[o.point] < 2) first_two[o.point][views[o.point]] = o.camera;
    ++views[o.point];
  }
  std::vector<Eigen::Vector3d> centers(poses.size());
  for (size_t c = 0; c < poses.size(); ++c) CenterOfPose(poses[c].data(), centers[c].data());
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

}  // namespace

BundleAdjustmentSummary BundleAdjust(Rig* rig, BAProblemData* data, const BundleAdjustmentOptions& options) {
  options.Check();
  BundleAdjustmentSummary summary;
  const int num_cameras = static_cast<int>(rig->size());
  if (options.fixed_camera < 0 || options.fixed_camera >= num_cameras || options.scale_camera < 0 ||
      options.scale_camera >= num_cameras)
    throw std::invalid_argument("BA gauge cameras out of range");
  std::vector<std::array<double, kPoseBlockSize>> poses(num_cameras);
  std::vector<std::array<double, kIntrinsicsBlockSize>> intrinsics(num_cameras);
  std::vector<double> aspects(num_cameras), focal0(num_cameras);
  std::vector<Eigen::Vector2d> pp0(num_cameras);
  for (int c = 0; c < num_cameras; ++c) {
    CameraToBlocks((*rig)[c], poses[c].data(), intrinsics[c].data());
    aspects[c] = (*rig)[c].fx > 0 ? (*rig)[c].fy / (*rig)[c].fx : 1.0;
    focal0[c] = (*rig)[c].fx;
    pp0[c] = Eigen::Vector2d((*rig)[c].cx, (*rig)[c].cy);
  }
  const Eigen::Vector3d fixed_center = (*rig)[options.fixed_camera].CenterInWorld();
  const double baseline = ((*rig)[options.scale_camera].CenterInWorld() - fixed_center).norm();
  const std::vector<double> initial_lengths = data->bone_lengths;

  std::vector<int> constant_intrinsics;
  for (int i = 0; i < kIntrinsicsBlockSize; ++i) {
    if (i == 0 && options.refine_focal) continue;
    if ((i == 1 || i == 2) && options.refine_principal_point) continue;
    if (i == 3 && options.refine_k1) continue;
    if (i == 4 && options.refine_k2) continue;
    constant_intrinsics.push_back(i);
  }
  const bool intrinsics_free =
      options.refine_focal || options.refine_k1 || options.refine_k2 || options.refine_principal_point;

  bool first = true;
  bool final_pass = false;  // a loose solve removed nothing: one tight solve follows, nothing removed
  for (int round = 0; round <= options.outlier_rounds; ++round) {
    const bool removal_round = round < options.outlier_rounds && !final_pass;
    ceres::Problem problem;
    std::vector<ceres::ResidualBlockId> reprojection_blocks;
    std::vector<int> reprojection_obs;
    std::vector<bool> camera_used(num_cameras, false);
    // A point seen by one inlier observation, or by two along nearly the same line (opposite
    // cameras: anti-parallel rays; noisy scenes leave many such points once outliers are
    // removed), is not determined: its Schur block is (nearly) singular and Ceres' steps fail
    // once the damping is small. Such observations sit out this round.
    const std::vector<bool> determined =
        DeterminedPoints(*data, poses, options.min_two_view_angle_deg, &summary.num_undetermined_points);
    for (size_t k = 0; k < data->observations.size(); ++k) {
      const BAObservation& o = data->observations[k];
      if (!o.inlier || !determined[o.point]) continue;
      const ceres::ResidualBlockId id =
          intrinsics_free
              ? problem.AddResidualBlock(ReprojectionCost::Create(o.pixel, o.weight, aspects[o.camera]),
                                         new ceres::HuberLoss(options.loss_scale_px), poses[o.camera].data(),
                                         intrinsics[o.camera].data(), data->points[o.point].data())
              : problem.AddResidualBlock(
                    FixedIntrinsicsReprojectionCost::Create(intrinsics[o.camera].data(), o.pixel, o.weight,
                                                             aspects[o.camera]),
                    new ceres::HuberLoss(options.loss_scale_px), poses[o.camera].data(), data->points[o.point].data());
      reprojection_blocks.push_back(id);
      reprojection_obs.push_back(static_cast<int>(k));
      camera_used[o.camera] = true;
    }
    for (const BABoneTerm& b : data->bone_terms) {
      const double l0 = initial_lengths[b.bone];
      if (!(l0 > 0)) continue;
      problem.AddResidualBlock(BoneLengthError::Create(options.bone_sigma_rel * l0), new ceres::HuberLoss(3.0),
                               data->points[b.point_a].data(), data->points[b.point_b].data(),
                               &data->bone_lengths[b.bone]);
    }
    for (int c = 0; c < num_cameras; ++c) {
      if (!camera_used[c]) continue;
      if (c == options.fixed_camera) problem.SetParameterBlockConstant(poses[c].data());
      if (intrinsics_free) {
        problem.SetManifold(intrinsics[c].data(), new ceres::SubsetManifold(kIntrinsicsBlockSize, constant_intrinsics));
        if (options.refine_focal && options.focal_prior_sigma_rel > 0)
          problem.AddResidualBlock(FocalPrior::Create(focal0[c], options.focal_prior_sigma_rel), nullptr,
                                   intrinsics[c].data());
        if (options.refine_principal_point && options.principal_point_prior_px > 0)
          problem.AddResidualBlock(PrincipalPointPrior::Create(pp0[c], options.principal_point_prior_px), nullptr,
                                   intrinsics[c].data());
      }
    }
    if (camera_used[options.scale_camera] && baseline > 0)
      problem.AddResidualBlock(BaselinePrior::Create(fixed_center, baseline, 1e-6 * baseline), nullptr,
                               poses[options.scale_camera].data());
    if (reprojection_blocks.empty()) {
      summary.termination = "no observations";
      return summary;
    }

    ceres::Solver::Options solver_options;
    solver_options.linear_solver_type = data->bone_terms.empty() && num_cameras <= 32 ? ceres::DENSE_SCHUR
                                                                                      : ceres::SPARSE_SCHUR;
    solver_options.max_num_iterations = options.max_iterations;
    solver_options.function_tolerance = options.function_tolerance;
    // Solves followed by an outlier removal may stop at removal_function_tolerance (off by
    // default); the last solve is always as tight as asked.
    const bool loose = removal_round && options.removal_function_tolerance > options.function_tolerance;
    if (loose) solver_options.function_tolerance = options.removal_function_tolerance;
    solver_options.num_threads = std::max(1, options.num_threads);
    solver_options.logging_type = ceres::SILENT;
    ceres::Solver::Summary s;
    const auto solve_start = std::chrono::steady_clock::now();
    ceres::Solve(solver_options, &problem, &s);
    summary.solve_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - solve_start).count();
    summary.jacobian_s += s.jacobian_evaluation_time_in_seconds + s.residual_evaluation_time_in_seconds;
    summary.linear_solver_s += s.linear_solver_time_in_seconds;
    if (first) summary.initial_cost = s.initial_cost;
    first = false;
    summary.final_cost = s.final_cost;
    summary.iterations += static_cast<int>(s.iterations.size());
    summary.round_iterations.push_back(static_cast<int>(s.iterations.size()));
    summary.termination = ceres::TerminationTypeToString(s.termination_type);
    summary.success = s.IsSolutionUsable();

    // Remove outliers; stop when none are left to remove.
    int removed = 0;
    if (removal_round) {
      std::vector<double> errors(data->observations.size(), kNaN);
      std::vector<double> inlier_errors;
      for (size_t i = 0; i < data->observations.size(); ++i) {
        const BAObservation& o = data->observations[i];
        if (!o.inlier) continue;
        errors[i] = ObservationError(poses[o.camera].data(), intrinsics[o.camera].data(), aspects[o.camera],
                                     data->points[o.point], o.pixel);
        inlier_errors.push_back(errors[i]);
      }
      // Noisy detections: the threshold is at least `outlier_sigmas` robust sigmas of the
      // residuals (median error / 1.1774, the median of a 2D Gaussian's error norm), so that
      // noise is not trimmed as if it were outliers.
      double threshold = options.outlier_threshold_px;
      if (options.outlier_sigmas > 0 && !inlier_errors.empty()) {
        const auto mid = inlier_errors.begin() + static_cast<std::ptrdiff_t>(inlier_errors.size() / 2);
        std::nth_element(inlier_errors.begin(), mid, inlier_errors.end());
        threshold = std::max(threshold, options.outlier_sigmas * *mid / 1.1774);
      }
      summary.outlier_threshold_px = threshold;
      for (size_t i = 0; i < data->observations.size(); ++i) {
        BAObservation& o = data->observations[i];
        if (!o.inlier) continue;
        const double err = errors[i];
        if (!(err <= threshold)) {
          o.inlier = false;
          ++removed;
        }
      }
      summary.num_outliers_removed += removed;
    }

    if (loose && removed == 0) {
      final_pass = true;
      round = options.outlier_rounds - 1;
      continue;
    }
    const bool last = !removal_round || removed == 0;
    if (last && options.compute_covariance) {
      const auto cov_start = std::chrono::steady_clock::now();
      // Camera covariance by the Schur complement of the points, from the reprojection terms
      // and the gauge prior (bone terms are left out, so the figures are conservative).
      std::vector<double*> camera_blocks;
      std::vector<int> block_camera, block_kind;  // kind 0 pose, 1 intrinsics
      for (int c = 0; c < num_cameras; ++c) {
        if (!camera_used[c]) continue;
        if (c != options.fixed_camera) {
          camera_blocks.push_back(poses[c].data());
          block_camera.push_back(c);
          block_kind.push_back(0);
        }
        if (intrinsics_free) {
          camera_blocks.push_back(intrinsics[c].data());
          block_camera.push_back(c);
          block_kind.push_back(1);
        }
      }
      // Residual blocks ordered by point, so each point's rows are consecutive.
      std::vector<size_t> order(reprojection_blocks.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return data->observations[reprojection_obs[a]].point < data->observations[reprojection_obs[b]].point;
      });
      std::vector<ceres::ResidualBlockId> residuals;
      std::vector<int> residual_point;
      std::map<int, int> point_column;  // point index -> first column
      std::vector<double*> parameter_blocks = camera_blocks;
      int camera_dims = 0;
      std::vector<int> block_offset;
      for (double* b : camera_blocks) {
        block_offset.push_back(camera_dims);
        camera_dims += problem.ParameterBlockTangentSize(b);
      }
      int column = camera_dims;
      for (size_t i : order) {
        const int p = data->observations[reprojection_obs[i]].point;
        residuals.push_back(reprojection_blocks[i]);
        residual_point.push_back(p);
        if (!point_column.count(p)) {
          point_column[p] = column;
          column += 3;
          parameter_blocks.push_back(data->points[p].data());
        }
      }
      ceres::Problem::EvaluateOptions eval;
      eval.parameter_blocks = parameter_blocks;
      eval.residual_blocks = residuals;
      eval.apply_loss_function = true;
      double cost = 0.0;
      ceres::CRSMatrix jac;
      problem.Evaluate(eval, &cost, nullptr, nullptr, &jac);
      Eigen::MatrixXd s_cc = Eigen::MatrixXd::Zero(camera_dims, camera_dims);
      // Rows come in pairs per residual block.
      size_t row = 0;
      size_t r = 0;
      while (r < residuals.size()) {
        const int p = residual_point[r];
        const int pcol = point_column[p];
        Eigen::Matrix3d h_pp = Eigen::Matrix3d::Zero();
        Eigen::MatrixXd h_pc = Eigen::MatrixXd::Zero(3, camera_dims);
        Eigen::MatrixXd h_cc_local = Eigen::MatrixXd::Zero(camera_dims, camera_dims);
        while (r < residuals.size() && residual_point[r] == p) {
          for (int k = 0; k < 2; ++k, ++row) {
            Eigen::VectorXd jc = Eigen::VectorXd::Zero(camera_dims);
            Eigen::Vector3d jp = Eigen::Vector3d::Zero();
            for (int idx = jac.rows[row]; idx < jac.rows[row + 1]; ++idx) {
              const int col = jac.cols[idx];
              if (col < camera_dims) jc(col) = jac.values[idx];
              else if (col >= pcol && col < pcol + 3) jp(col - pcol) = jac.values[idx];
            }
            h_pp += jp * jp.transpose();
            h_pc += jp * jc.transpose();
            s_cc += jc * jc.transpose();
          }
          ++r;
        }
        Eigen::FullPivLU<Eigen::Matrix3d> lu(h_pp);
        if (lu.isInvertible()) s_cc -= h_pc.transpose() * lu.inverse() * h_pc;
      }
      // The gauge prior on the scale camera (and focal priors) belong to the camera part.
      {
        ceres::Problem::EvaluateOptions prior_eval;
        prior_eval.parameter_blocks = camera_blocks;
        std::vector<ceres::ResidualBlockId> all;
        problem.GetResidualBlocks(&all);
        std::vector<ceres::ResidualBlockId> priors;
        for (auto id : all) {
          std::vector<double*> blocks;
          problem.GetParameterBlocksForResidualBlock(id, &blocks);
          if (blocks.size() == 1) priors.push_back(id);
        }
        if (!priors.empty()) {
          prior_eval.residual_blocks = priors;
          ceres::CRSMatrix pj;
          double c2;
          problem.Evaluate(prior_eval, &c2, nullptr, nullptr, &pj);
          for (int rr = 0; rr < pj.num_rows; ++rr) {
            Eigen::VectorXd jc = Eigen::VectorXd::Zero(camera_dims);
            for (int idx = pj.rows[rr]; idx < pj.rows[rr + 1]; ++idx) jc(pj.cols[idx]) = pj.values[idx];
            s_cc += jc * jc.transpose();
          }
        }
      }
      const int num_residuals = 2 * static_cast<int>(residuals.size());
      const int dof = num_residuals - (column);
      summary.sigma0_px = dof > 0 ? std::sqrt(2.0 * cost / dof) : kNaN;
      const double sigma2 = dof > 0 ? 2.0 * cost / dof : 1.0;
      Eigen::FullPivLU<Eigen::MatrixXd> lu(s_cc);
      summary.uncertainty.assign(num_cameras, CameraUncertainty{});
      if (lu.isInvertible()) {
        const Eigen::MatrixXd cov = sigma2 * lu.inverse();
        for (size_t b = 0; b < camera_blocks.size(); ++b) {
          const int c = block_camera[b];
          const int off = block_offset[b];
          if (block_kind[b] == 0) {
            const Eigen::Matrix<double, 6, 6> cp = cov.block<6, 6>(off, off);
            summary.uncertainty[c].rotation_sigma_deg = std::sqrt(std::max(0.0, cp.topLeftCorner<3, 3>().trace())) * 180.0 / M_PI;
            // Centre covariance by a numerical Jacobian of C(pose).
            Eigen::Matrix<double, 3, 6> jcen;
            for (int k = 0; k < 6; ++k) {
              std::array<double, 6> plus = poses[c], minus = poses[c];
              const double h = 1e-6;
              plus[k] += h;
              minus[k] -= h;
              double cp3[3], cm3[3];
              CenterOfPose(plus.data(), cp3);
              CenterOfPose(minus.data(), cm3);
              for (int i = 0; i < 3; ++i) jcen(i, k) = (cp3[i] - cm3[i]) / (2 * h);
            }
            const Eigen::Matrix3d cc = jcen * cp * jcen.transpose();
            summary.uncertainty[c].center_sigma = std::sqrt(std::max(0.0, cc.trace()));
          } else if (options.refine_focal) {
            summary.uncertainty[c].focal_sigma_px = std::sqrt(std::max(0.0, cov(off, off)));
          }
        }
        summary.uncertainty[options.fixed_camera].rotation_sigma_deg = 0.0;
        summary.uncertainty[options.fixed_camera].center_sigma = 0.0;
      }
      summary.covariance_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - cov_start).count();
    }
    if (last) break;
  }

  for (int c = 0; c < num_cameras; ++c) BlocksToCamera(poses[c].data(), intrinsics[c].data(), &(*rig)[c]);
  summary.camera_rms_px.assign(num_cameras, kNaN);
  summary.camera_observations.assign(num_cameras, 0);
  std::vector<double> sq(num_cameras, 0.0);
  for (const BAObservation& o : data->observations) {
    if (!o.inlier) continue;
    const double err = ObservationError(poses[o.camera].data(), intrinsics[o.camera].data(), aspects[o.camera],
                                        data->points[o.point], o.pixel);
    sq[o.camera] += err * err;
    ++summary.camera_observations[o.camera];
    ++summary.num_observations;
  }
  for (int c = 0; c < num_cameras; ++c)
    if (summary.camera_observations[c] > 0) summary.camera_rms_px[c] = std::sqrt(sq[c] / summary.camera_observations[c]);
  return summary;
}

}  // namespace epilabel
