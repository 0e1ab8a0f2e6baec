#include "geometry/optim/bundle_adjustment_covariance.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <ceres/ceres.h>
#include <Eigen/Dense>

#include "geometry/optim/cost_functions/camera_priors.h"

namespace epilabel {

namespace {

// The camera columns of the Jacobian: every used camera's pose (but the fixed camera's) and,
// when refined, its intrinsics, in camera order.
struct CameraColumns {
  std::vector<double*> blocks;
  std::vector<int> camera;
  std::vector<int> kind;    // 0 pose, 1 intrinsics, 2 time offset
  std::vector<int> offset;  // first column of each block
  int dims = 0;
};

CameraColumns CollectCameraColumns(const BundleAdjustmentOptions& options, bool intrinsics_free,
                                   const std::vector<bool>& camera_used, BACameraBlocks* blocks,
                                   const ceres::Problem& problem) {
  CameraColumns cols;
  for (int c = 0; c < blocks->size(); ++c) {
    if (!camera_used[c]) continue;
    if (c != options.fixed_camera) {
      cols.blocks.push_back(blocks->poses[c].data());
      cols.camera.push_back(c);
      cols.kind.push_back(0);
    }
    if (intrinsics_free && !options.IntrinsicsHeld(c)) {
      cols.blocks.push_back(blocks->intrinsics[c].data());
      cols.camera.push_back(c);
      cols.kind.push_back(1);
    }
  }
  for (double* b : cols.blocks) {
    cols.offset.push_back(cols.dims);
    cols.dims += problem.ParameterBlockTangentSize(b);
  }
  return cols;
}

// The reprojection residual blocks ordered by point (each point's rows consecutive), with the
// point columns after the camera columns.
struct PointRows {
  std::vector<ceres::ResidualBlockId> residuals;
  std::vector<int> residual_point;
  std::map<int, int> point_column;  // point index -> first column
  std::vector<double*> parameter_blocks;  // camera blocks, then the points
  int columns = 0;
};

PointRows OrderRowsByPoint(const BARoundProblem& round, const CameraColumns& cols, BAProblemData* data) {
  std::vector<size_t> order(round.reprojection_blocks.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return data->observations[round.reprojection_obs[a]].point < data->observations[round.reprojection_obs[b]].point;
  });
  PointRows rows;
  rows.parameter_blocks = cols.blocks;
  rows.columns = cols.dims;
  for (size_t i : order) {
    const int p = data->observations[round.reprojection_obs[i]].point;
    rows.residuals.push_back(round.reprojection_blocks[i]);
    rows.residual_point.push_back(p);
    if (!rows.point_column.count(p)) {
      rows.point_column[p] = rows.columns;
      rows.columns += 3;
      rows.parameter_blocks.push_back(data->points[p].data());
    }
  }
  return rows;
}

// The Jacobian (with the robust loss applied) of `rows`' residuals with respect to their
// parameter blocks, columns in `rows`' order; their cost into `cost`, and the residuals too when
// `residuals` is given.
ceres::CRSMatrix EvaluateRowJacobian(const PointRows& rows, ceres::Problem* problem, double* cost,
                                     std::vector<double>* residuals) {
  ceres::Problem::EvaluateOptions eval;
  eval.parameter_blocks = rows.parameter_blocks;
  eval.residual_blocks = rows.residuals;
  eval.apply_loss_function = true;
  ceres::CRSMatrix jac;
  problem->Evaluate(eval, cost, residuals, nullptr, &jac);
  return jac;
}

// Information of the cameras with the points eliminated: sum over points of
// J_c^T J_c - J_c^T J_p (J_p^T J_p)^-1 J_p^T J_c. Rows come in pairs per residual block. With
// `residuals` (the rows' values), also each point's reduced gradient
// J_c^T r - J_c^T J_p (J_p^T J_p)^-1 J_p^T r into `scores` (point index, gradient).
Eigen::MatrixXd ReducedCameraInformation(const ceres::CRSMatrix& jac, const PointRows& rows, int camera_dims,
                                         const std::vector<double>* residuals = nullptr,
                                         std::vector<std::pair<int, Eigen::VectorXd>>* scores = nullptr) {
  Eigen::MatrixXd s_cc = Eigen::MatrixXd::Zero(camera_dims, camera_dims);
  size_t row = 0;
  size_t r = 0;
  while (r < rows.residuals.size()) {
    const int p = rows.residual_point[r];
    const int pcol = rows.point_column.at(p);
    Eigen::Matrix3d h_pp = Eigen::Matrix3d::Zero();
    Eigen::MatrixXd h_pc = Eigen::MatrixXd::Zero(3, camera_dims);
    Eigen::VectorXd g_c = Eigen::VectorXd::Zero(camera_dims);
    Eigen::Vector3d g_p = Eigen::Vector3d::Zero();
    while (r < rows.residuals.size() && rows.residual_point[r] == p) {
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
        if (residuals != nullptr) {
          g_c += jc * (*residuals)[row];
          g_p += jp * (*residuals)[row];
        }
      }
      ++r;
    }
    Eigen::FullPivLU<Eigen::Matrix3d> lu(h_pp);
    if (!lu.isInvertible()) continue;
    const Eigen::Matrix3d h_pp_inv = lu.inverse();
    s_cc -= h_pc.transpose() * h_pp_inv * h_pc;
    if (scores != nullptr) scores->emplace_back(p, g_c - h_pc.transpose() * (h_pp_inv * g_p));
  }
  return s_cc;
}

// Adds the information of the single-block residuals (gauge prior on the scale camera, focal and
// principal-point priors), which belong to the camera part.
void AddPriorInformation(const CameraColumns& cols, ceres::Problem* problem, Eigen::MatrixXd* s_cc) {
  std::vector<ceres::ResidualBlockId> all;
  problem->GetResidualBlocks(&all);
  std::vector<ceres::ResidualBlockId> priors;
  for (auto id : all) {
    std::vector<double*> blocks;
    problem->GetParameterBlocksForResidualBlock(id, &blocks);
    if (blocks.size() == 1) priors.push_back(id);
  }
  if (priors.empty()) return;
  ceres::Problem::EvaluateOptions prior_eval;
  prior_eval.parameter_blocks = cols.blocks;
  prior_eval.residual_blocks = priors;
  ceres::CRSMatrix pj;
  double cost;
  problem->Evaluate(prior_eval, &cost, nullptr, nullptr, &pj);
  for (int rr = 0; rr < pj.num_rows; ++rr) {
    Eigen::VectorXd jc = Eigen::VectorXd::Zero(cols.dims);
    for (int idx = pj.rows[rr]; idx < pj.rows[rr + 1]; ++idx) jc(pj.cols[idx]) = pj.values[idx];
    *s_cc += jc * jc.transpose();
  }
}

// Centre covariance of a pose block from its 6x6 covariance, by a numerical Jacobian of C(pose).
double CenterSigma(const std::array<double, kPoseBlockSize>& pose, const Eigen::Matrix<double, 6, 6>& pose_cov) {
  Eigen::Matrix<double, 3, 6> jcen;
  for (int k = 0; k < 6; ++k) {
    std::array<double, 6> plus = pose, minus = pose;
    const double h = 1e-6;
    plus[k] += h;
    minus[k] -= h;
    double cp3[3], cm3[3];
    CenterOfPose(plus.data(), cp3);
    CenterOfPose(minus.data(), cm3);
    for (int i = 0; i < 3; ++i) jcen(i, k) = (cp3[i] - cm3[i]) / (2 * h);
  }
  const Eigen::Matrix3d cc = jcen * pose_cov * jcen.transpose();
  return std::sqrt(std::max(0.0, cc.trace()));
}

// Per-camera figures from the camera covariance.
void FillUncertainty(const BundleAdjustmentOptions& options, const CameraColumns& cols, const BACameraBlocks& blocks,
                     const Eigen::MatrixXd& cov, std::vector<CameraUncertainty>* uncertainty) {
  for (size_t b = 0; b < cols.blocks.size(); ++b) {
    const int c = cols.camera[b];
    const int off = cols.offset[b];
    if (cols.kind[b] == 0) {
      const Eigen::Matrix<double, 6, 6> cp = cov.block<6, 6>(off, off);
      (*uncertainty)[c].rotation_sigma_deg = std::sqrt(std::max(0.0, cp.topLeftCorner<3, 3>().trace())) * 180.0 / M_PI;
      (*uncertainty)[c].center_sigma = CenterSigma(blocks.poses[c], cp);
    } else if (options.refine_focal) {
      (*uncertainty)[c].focal_sigma_px = std::sqrt(std::max(0.0, cov(off, off)));
    }
  }
  (*uncertainty)[options.fixed_camera].rotation_sigma_deg = 0.0;
  (*uncertainty)[options.fixed_camera].center_sigma = 0.0;
}

}  // namespace

void EstimateCameraUncertainty(const BundleAdjustmentOptions& options, bool intrinsics_free, BAProblemData* data,
                               BACameraBlocks* blocks, BARoundProblem* round, BundleAdjustmentSummary* summary) {
  const CameraColumns cols = CollectCameraColumns(options, intrinsics_free, round->camera_used, blocks, round->problem);
  const PointRows rows = OrderRowsByPoint(*round, cols, data);
  double cost = 0.0;
  const ceres::CRSMatrix jac = EvaluateRowJacobian(rows, &round->problem, &cost, nullptr);
  Eigen::MatrixXd s_cc = ReducedCameraInformation(jac, rows, cols.dims);
  AddPriorInformation(cols, &round->problem, &s_cc);

  const int num_residuals = 2 * static_cast<int>(rows.residuals.size());
  const int dof = num_residuals - rows.columns;
  summary->sigma0_px = dof > 0 ? std::sqrt(2.0 * cost / dof) : kNaN;
  const double sigma2 = dof > 0 ? 2.0 * cost / dof : 1.0;
  Eigen::FullPivLU<Eigen::MatrixXd> lu(s_cc);
  summary->uncertainty.assign(blocks->size(), CameraUncertainty{});
  if (lu.isInvertible()) FillUncertainty(options, cols, *blocks, sigma2 * lu.inverse(), &summary->uncertainty);
}

namespace {

// The offset columns after the camera columns: every used camera's offset but the reference's.
void AddOffsetColumns(const BundleAdjustmentOptions& options, const std::vector<bool>& camera_used, BAProblemData* data,
                      CameraColumns* cols) {
  for (size_t c = 0; c < camera_used.size(); ++c) {
    if (!camera_used[c] || static_cast<int>(c) == options.time_reference) continue;
    cols->blocks.push_back(&data->time_offsets[c]);
    cols->camera.push_back(static_cast<int>(c));
    cols->kind.push_back(2);
    cols->offset.push_back(cols->dims);
    cols->dims += 1;
  }
}

// The spread of the reduced gradient over blocks of frames: B/(B-1) sum_b (G_b - mean)(G_b - mean)^T,
// G_b the sum of the points' gradients in block b; the number of blocks in `num_blocks`.
Eigen::MatrixXd BlockSpread(const std::vector<std::pair<int, Eigen::VectorXd>>& scores,
                            const std::vector<double>& point_frame, double block_frames, int dims, int* num_blocks) {
  std::map<long, Eigen::VectorXd> sums;
  for (const auto& [p, g] : scores) {
    const long block = static_cast<long>(std::floor(point_frame[p] / block_frames));
    auto it = sums.try_emplace(block, Eigen::VectorXd::Zero(dims)).first;
    it->second += g;
  }
  *num_blocks = static_cast<int>(sums.size());
  Eigen::MatrixXd spread = Eigen::MatrixXd::Zero(dims, dims);
  if (sums.size() < 2) return spread;
  Eigen::VectorXd mean = Eigen::VectorXd::Zero(dims);
  for (const auto& [block, g] : sums) mean += g;
  mean /= static_cast<double>(sums.size());
  for (const auto& [block, g] : sums) spread += (g - mean) * (g - mean).transpose();
  return spread * (static_cast<double>(sums.size()) / (sums.size() - 1));
}

}  // namespace

void EstimateTimeOffsetUncertainty(const BundleAdjustmentOptions& options, bool intrinsics_free, BAProblemData* data,
                                   BACameraBlocks* blocks, BARoundProblem* round, BundleAdjustmentSummary* summary) {
  CameraColumns cols = CollectCameraColumns(options, intrinsics_free, round->camera_used, blocks, round->problem);
  AddOffsetColumns(options, round->camera_used, data, &cols);
  const PointRows rows = OrderRowsByPoint(*round, cols, data);
  double cost = 0.0;
  std::vector<double> residuals;
  const ceres::CRSMatrix jac = EvaluateRowJacobian(rows, &round->problem, &cost, &residuals);
  std::vector<std::pair<int, Eigen::VectorXd>> scores;
  Eigen::MatrixXd information = ReducedCameraInformation(jac, rows, cols.dims, &residuals, &scores);
  AddPriorInformation(cols, &round->problem, &information);

  std::vector<double> point_frame(data->points.size(), 0.0);  // every observation of a point shares its frame
  for (size_t k = 0; k < data->observations.size(); ++k)
    point_frame[data->observations[k].point] = data->track_windows[k].frame;
  int num_blocks = 0;
  const Eigen::MatrixXd spread =
      BlockSpread(scores, point_frame, options.time_offset_block_frames, cols.dims, &num_blocks);

  summary->time_offset_sigma_frames.assign(blocks->size(), kNaN);
  summary->time_offset_sigma_frames[options.time_reference] = 0.0;
  Eigen::FullPivLU<Eigen::MatrixXd> lu(information);
  if (num_blocks < 3 || !lu.isInvertible()) return;
  const Eigen::MatrixXd inverse = lu.inverse();
  const Eigen::MatrixXd covariance = inverse * spread * inverse;
  for (size_t b = 0; b < cols.blocks.size(); ++b)
    if (cols.kind[b] == 2)
      summary->time_offset_sigma_frames[cols.camera[b]] = std::sqrt(std::max(0.0, covariance(cols.offset[b], cols.offset[b])));
}

}  // namespace epilabel
