#include "geometry/optim/bundle_adjustment.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include <ceres/ceres.h>

#include "geometry/optim/bundle_adjustment_covariance.h"
#include "geometry/optim/bundle_adjustment_outliers.h"
#include "geometry/optim/bundle_adjustment_problem.h"
#include "geometry/optim/bundle_adjustment_weights.h"

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
  if (refine_time_offsets && compute_covariance)
    throw std::invalid_argument("BA refine_time_offsets does not go with compute_covariance");
  if (!(time_offset_prior_frames >= 0)) throw std::invalid_argument("BA time_offset_prior_frames must be >= 0");
  if (!(time_offset_block_frames >= 0)) throw std::invalid_argument("BA time_offset_block_frames must be >= 0");
  if (min_group_observations < 1) throw std::invalid_argument("BA min_group_observations must be >= 1");
  if (!(max_group_weight >= 1)) throw std::invalid_argument("BA max_group_weight must be >= 1");
  if (min_segment_observations < 1) throw std::invalid_argument("BA min_segment_observations must be >= 1");
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

// Solves one round's problem and adds its cost, iterations and timings to the summary. `loose`:
// the round is followed by an outlier removal and may stop at removal_function_tolerance.
void SolveRound(const BundleAdjustmentOptions& options, bool loose, bool sparse, ceres::Problem* problem,
                BundleAdjustmentSummary* summary) {
  ceres::Solver::Options solver_options;
  solver_options.linear_solver_type = sparse ? ceres::SPARSE_SCHUR : ceres::DENSE_SCHUR;
  solver_options.max_num_iterations = options.max_iterations;
  solver_options.function_tolerance = loose ? options.removal_function_tolerance : options.function_tolerance;
  solver_options.num_threads = std::max(1, options.num_threads);
  solver_options.logging_type = ceres::SILENT;
  ceres::Solver::Summary s;
  const auto solve_start = std::chrono::steady_clock::now();
  ceres::Solve(solver_options, problem, &s);
  summary->solve_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - solve_start).count();
  summary->jacobian_s += s.jacobian_evaluation_time_in_seconds + s.residual_evaluation_time_in_seconds;
  summary->linear_solver_s += s.linear_solver_time_in_seconds;
  if (summary->round_iterations.empty()) summary->initial_cost = s.initial_cost;
  summary->final_cost = s.final_cost;
  summary->iterations += static_cast<int>(s.iterations.size());
  summary->round_iterations.push_back(static_cast<int>(s.iterations.size()));
  summary->termination = ceres::TerminationTypeToString(s.termination_type);
  summary->success = s.IsSolutionUsable();
}

// Reprojection RMS and inlier count per camera, and the inlier total.
void CameraStatistics(const BACameraBlocks& blocks, const BAProblemData& data, BundleAdjustmentSummary* summary) {
  const int num_cameras = blocks.size();
  summary->camera_rms_px.assign(num_cameras, kNaN);
  summary->camera_observations.assign(num_cameras, 0);
  std::vector<double> sq(num_cameras, 0.0);
  for (const BAObservation& o : data.observations) {
    if (!o.inlier) continue;
    const double err = ObservationError(blocks, o, data.points[o.point]);
    sq[o.camera] += err * err;
    ++summary->camera_observations[o.camera];
    ++summary->num_observations;
  }
  for (int c = 0; c < num_cameras; ++c)
    if (summary->camera_observations[c] > 0)
      summary->camera_rms_px[c] = std::sqrt(sq[c] / summary->camera_observations[c]);
}

}  // namespace

// Rounds: solve, then remove outliers and solve again, up to `outlier_rounds` times, stopping
// when a removal finds none. When the solves before a removal are loose and one removes
// nothing, a single tight solve follows (nothing removed after it).
BundleAdjustmentSummary BundleAdjust(Rig* rig, BAProblemData* data, const BundleAdjustmentOptions& options) {
  options.Check();
  BundleAdjustmentSummary summary;
  const int num_cameras = static_cast<int>(rig->size());
  if (options.fixed_camera < 0 || options.fixed_camera >= num_cameras || options.scale_camera < 0 ||
      options.scale_camera >= num_cameras)
    throw std::invalid_argument("BA gauge cameras out of range");
  if (options.refine_time_offsets) {
    if (data->track_windows.size() != data->observations.size() ||
        data->time_offsets.size() != static_cast<size_t>(num_cameras) || options.time_reference < 0 ||
        options.time_reference >= num_cameras)
      throw std::invalid_argument("BA time offsets: one track window per observation, one offset per camera");
    UpdateTimeOffsetPixels(data);
  }
  BACameraBlocks blocks = CameraBlocksFromRig(*rig);
  const BAGauge gauge = MakeGauge(*rig, *data, options);
  const bool sparse = !data->bone_terms.empty() || num_cameras > 32 || options.refine_time_offsets;

  bool final_pass = false;  // a loose solve removed nothing: one tight solve follows, nothing removed
  for (int round = 0; round <= options.outlier_rounds; ++round) {
    const bool removal_round = round < options.outlier_rounds && !final_pass;
    // A point seen by one inlier observation, or by two along nearly the same line (opposite
    // cameras: anti-parallel rays; noisy scenes leave many such points once outliers are
    // removed), is not determined: its Schur block is (nearly) singular and Ceres' steps fail
    // once the damping is small. Such observations sit out this round.
    const std::vector<bool> determined =
        DeterminedPoints(*data, blocks, options.min_two_view_angle_deg, &summary.num_undetermined_points);
    BARoundProblem problem;
    BuildRoundProblem(options, gauge, determined, &blocks, data, &problem);
    if (problem.reprojection_blocks.empty()) {
      summary.termination = "no observations";
      return summary;
    }
    const bool loose = removal_round && options.removal_function_tolerance > options.function_tolerance;
    SolveRound(options, loose, sparse, &problem.problem, &summary);
    if (options.refine_time_offsets) UpdateTimeOffsetPixels(data);

    int removed = 0;
    bool reweighted = false;
    if (removal_round) {
      removed = RemoveOutliers(blocks, options, data, &summary.outlier_threshold_px);
      summary.num_outliers_removed += removed;
      if (options.reweight_groups) reweighted = UpdateGroupWeights(blocks, options, data);
      if (options.reweight_segments) reweighted = UpdateSegmentWeights(blocks, options, data) || reweighted;
    }
    if (loose && removed == 0 && !reweighted) {
      final_pass = true;
      round = options.outlier_rounds - 1;
      continue;
    }
    const bool last = !removal_round || (removed == 0 && !reweighted);
    if (last && options.compute_covariance) {
      const auto cov_start = std::chrono::steady_clock::now();
      EstimateCameraUncertainty(options, gauge.intrinsics_free, data, &blocks, &problem, &summary);
      summary.covariance_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - cov_start).count();
    }
    if (last && options.refine_time_offsets && options.time_offset_block_frames > 0) {
      const auto cov_start = std::chrono::steady_clock::now();
      EstimateTimeOffsetUncertainty(options, gauge.intrinsics_free, data, &blocks, &problem, &summary);
      summary.covariance_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - cov_start).count();
    }
    if (last) break;
  }

  CameraBlocksToRig(blocks, rig);
  CameraStatistics(blocks, *data, &summary);
  if (options.reweight_groups) summary.group_weights = data->group_weights;
  if (options.reweight_segments) summary.segment_weights = data->segment_weights;
  return summary;
}

}  // namespace epilabel
