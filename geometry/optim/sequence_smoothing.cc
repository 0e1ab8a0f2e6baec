#include "geometry/optim/sequence_smoothing.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <sstream>
#include <stdexcept>

#include <ceres/loss_function.h>
#include <ceres/problem.h>
#include <ceres/solver.h>
#include <tbb/parallel_for.h>

#include "geometry/optim/cost_functions/reprojection.h"
#include "geometry/optim/cost_functions/skeleton_priors.h"

namespace epilabel {

void SequenceSmoothingOptions::Check() const {
  if (!(fps > 0)) throw std::invalid_argument("fps must be > 0");
  if (!(pixel_sigma >= 0) || !(acceleration_sigma > 0) || !(bone_sigma_m > 0) || !(bone_prior_sigma_m > 0))
    throw std::invalid_argument("smoothing sigmas must be > 0 (pixel_sigma >= 0, 0 from the data)");
  if (window_frames < 10) throw std::invalid_argument("window_frames must be >= 10");
  if (window_overlap < 0 || window_overlap >= window_frames / 2)
    throw std::invalid_argument("window_overlap must be in [0, window_frames / 2)");
  if (max_gap_frames < 0) throw std::invalid_argument("max_gap_frames must be >= 0");
  if (!(cut_speed > 0)) throw std::invalid_argument("cut_speed must be > 0");
}

std::string SequenceSmoothingSummary::BriefReport() const {
  std::ostringstream os;
  os.precision(4);
  os << num_windows << " window(s), " << total_iterations << " iterations, cost " << initial_cost << " -> "
     << final_cost << ", " << num_points_filled << " points filled";
  return os.str();
}

std::vector<uint8_t> FindCuts(const Points3d& points, double max_step) {
  std::vector<uint8_t> cuts(points.num_frames(), 0);
  std::vector<double> steps;
  for (frame_t f = 1; f < points.num_frames(); ++f) {
    steps.clear();
    for (joint_t j = 0; j < points.num_joints(); ++j)
      if (points.IsValid(f - 1, j) && points.IsValid(f, j)) steps.push_back((points.at(f, j) - points.at(f - 1, j)).norm());
    if (steps.empty()) continue;
    std::nth_element(steps.begin(), steps.begin() + static_cast<std::ptrdiff_t>(steps.size() / 2), steps.end());
    cuts[f] = steps[steps.size() / 2] > max_step;
  }
  return cuts;
}

std::vector<double> PixelSigmasFromTriangulation(const TriangulationResult& triangulation, double fallback) {
  const auto& cameras = triangulation.summary.cameras;
  int64_t points = 0, views = 0;
  for (frame_t f = 0; f < triangulation.num_views.num_frames(); ++f)
    for (joint_t j = 0; j < triangulation.num_views.num_joints(); ++j) {
      const int n = triangulation.num_views.at(f, j);
      if (n <= 0) continue;
      ++points;
      views += n;
    }
  const double mean_views = points > 0 ? static_cast<double>(views) / static_cast<double>(points) : 0.0;
  // Two views leave one residual degree of freedom of four; the factor is floored there.
  const double absorbed = mean_views > 2.0 ? std::sqrt((2.0 * mean_views - 3.0) / (2.0 * mean_views)) : 0.5;
  std::vector<double> sigmas(cameras.size(), fallback);
  for (size_t c = 0; c < cameras.size(); ++c) {
    const double m = cameras[c].median_error_px;
    if (std::isfinite(m) && m > 0 && cameras[c].used >= 30) sigmas[c] = m / 1.177 / absorbed;
  }
  return sigmas;
}

std::vector<double> MedianBoneLengths(const Points3d& points, const std::vector<Bone>& bones) {
  std::vector<double> out(bones.size(), kNaN);
  std::vector<double> lengths;
  for (size_t b = 0; b < bones.size(); ++b) {
    lengths.clear();
    for (frame_t f = 0; f < points.num_frames(); ++f) {
      if (points.IsValid(f, bones[b].parent) && points.IsValid(f, bones[b].child))
        lengths.push_back((points.at(f, bones[b].parent) - points.at(f, bones[b].child)).norm());
    }
    if (lengths.empty()) continue;
    std::nth_element(lengths.begin(), lengths.begin() + static_cast<std::ptrdiff_t>(lengths.size() / 2), lengths.end());
    out[b] = lengths[lengths.size() / 2];
  }
  return out;
}

namespace {

struct WindowResult {
  Points3d points;  // window-local frames
  std::vector<double> bone_lengths;
  int64_t filled = 0;
  int64_t observations = 0;
  double initial_cost = 0.0, final_cost = 0.0;
  int iterations = 0;
};

// Initial values inside [begin, end): the per-frame points, with gaps of up to max_gap frames
// (bounded by known values on both sides) filled by linear interpolation.
// A gap whose two anchors are further apart than max_step per frame spans a cut: not filled.
Points3d InitialWindow(const Points3d& all, frame_t begin, frame_t end, int max_gap, double max_step) {
  const int num_joints = all.num_joints();
  Points3d out(end - begin, num_joints);
  for (joint_t j = 0; j < num_joints; ++j) {
    for (frame_t f = begin; f < end; ++f) out.at(f - begin, j) = all.at(f, j);
    frame_t f = begin;
    while (f < end) {
      if (all.IsValid(f, j)) {
        ++f;
        continue;
      }
      frame_t g = f;
      while (g < end && !all.IsValid(g, j)) ++g;
      const int gap = g - f;
      // Look for anchors outside the window too, so neighbouring windows agree.
      frame_t left = f - 1, right = g;
      while (right < all.num_frames() && !all.IsValid(right, j)) ++right;
      const int full_gap = right - left - 1;
      if (gap <= max_gap && full_gap <= max_gap && left >= 0 && right < all.num_frames() &&
          (all.at(right, j) - all.at(left, j)).norm() <= max_step * (right - left)) {
        const Eigen::Vector3d a = all.at(left, j), b = all.at(right, j);
        for (frame_t k = f; k < g; ++k) {
          const double t = static_cast<double>(k - left) / (right - left);
          out.at(k - begin, j) = (1 - t) * a + t * b;
        }
      }
      f = g;
    }
  }
  return out;
}

WindowResult SolveWindow(const Rig& rig, const TriangulationResult& initial, const std::vector<double>& global_lengths,
                         const std::vector<double>& pixel_sigmas, const std::vector<uint8_t>& cuts,
                         frame_t begin, frame_t end,
                         const SequenceSmoothingOptions& options, int ceres_threads) {
  WindowResult w;
  const Observations2d& obs = initial.repaired;
  const int num_joints = obs.num_joints();
  w.points = InitialWindow(initial.points, begin, end, options.max_gap_frames, options.cut_speed / options.fps);
  for (frame_t f = begin; f < end; ++f)
    for (joint_t j = 0; j < num_joints; ++j)
      if (!initial.points.IsValid(f, j) && w.points.IsValid(f - begin, j)) ++w.filled;

  ceres::Problem problem;  // owns the cost and loss functions (one loss object per block)
  const double dt = 1.0 / options.fps;
  const double accel_sigma_m = options.acceleration_sigma * dt * dt;

  // Reprojection terms. Residuals are pixels/sigma (the cost function's weight folds in the
  // confidence and 1/sigma^2).
  for (frame_t f = begin; f < end; ++f) {
    for (joint_t j = 0; j < num_joints; ++j) {
      Eigen::Vector3d& x = w.points.at(f - begin, j);
      if (!x.allFinite()) continue;
      const bool triangulated = initial.points.IsValid(f, j);
      const uint64_t mask = initial.view_mask.at(f, j);
      for (camera_t c = 0; c < obs.num_cameras(); ++c) {
        const Eigen::Vector3d& o = obs.at(c, f, j);
        if (!(o.z() >= options.min_confidence && o.z() > 0.0 && o.allFinite())) continue;
        // Observations the robust triangulation rejected are outliers; keep them out.
        if (triangulated && !(mask & (uint64_t{1} << c))) continue;
        const double px_scale = 1.0 / pixel_sigmas[c];
        problem.AddResidualBlock(FixedCameraReprojectionError::Create(rig[c], o.head<2>(), o.z() * px_scale * px_scale),
                                 new ceres::CauchyLoss(options.reprojection_loss_sigmas), x.data());
        ++w.observations;
      }
    }
  }
  // Temporal terms on consecutive triples of known points.
  for (joint_t j = 0; j < num_joints; ++j) {
    for (frame_t f = begin + 1; f + 1 < end; ++f) {
      Eigen::Vector3d& a = w.points.at(f - 1 - begin, j);
      Eigen::Vector3d& b = w.points.at(f - begin, j);
      Eigen::Vector3d& c = w.points.at(f + 1 - begin, j);
      if (!a.allFinite() || !b.allFinite() || !c.allFinite() || cuts[f] || cuts[f + 1]) continue;
      problem.AddResidualBlock(AccelerationError::Create(accel_sigma_m), new ceres::HuberLoss(2.0), a.data(), b.data(),
                               c.data());
    }
  }
  // Bone terms with window lengths tied to the sequence medians.
  w.bone_lengths = global_lengths;
  for (size_t b = 0; b < options.bones.size(); ++b) {
    if (!std::isfinite(w.bone_lengths[b])) continue;
    bool any = false;
    for (frame_t f = begin; f < end; ++f) {
      Eigen::Vector3d& pa = w.points.at(f - begin, options.bones[b].parent);
      Eigen::Vector3d& pb = w.points.at(f - begin, options.bones[b].child);
      if (!pa.allFinite() || !pb.allFinite()) continue;
      problem.AddResidualBlock(BoneLengthError::Create(options.bone_sigma_m), new ceres::HuberLoss(3.0), pa.data(),
                               pb.data(), &w.bone_lengths[b]);
      any = true;
    }
    if (any) problem.AddResidualBlock(ScalarPriorError::Create(global_lengths[b], options.bone_prior_sigma_m), nullptr,
                                      &w.bone_lengths[b]);
  }

  ceres::Solver::Options solver_options;
  solver_options.linear_solver_type = ceres::SPARSE_NORMAL_CHOLESKY;
  solver_options.max_num_iterations = options.max_iterations;
  solver_options.num_threads = ceres_threads;
  solver_options.logging_type = ceres::SILENT;
  solver_options.minimizer_progress_to_stdout = false;
  solver_options.function_tolerance = 1e-7;
  if (problem.NumResidualBlocks() > 0) {
    ceres::Solver::Summary summary;
    ceres::Solve(solver_options, &problem, &summary);
    w.initial_cost = summary.initial_cost;
    w.final_cost = summary.final_cost;
    w.iterations = static_cast<int>(summary.iterations.size());
  }
  return w;
}

}  // namespace

SequenceSmoothingResult SmoothSequence(const Rig& rig, const TriangulationResult& initial,
                                       const SequenceSmoothingOptions& options) {
  options.Check();
  const int num_frames = initial.points.num_frames(), num_joints = initial.points.num_joints();
  SequenceSmoothingResult result;
  result.points = Points3d(num_frames, num_joints);
  const std::vector<double> global_lengths = MedianBoneLengths(initial.points, options.bones);
  const std::vector<double> pixel_sigmas =
      options.pixel_sigma > 0 ? std::vector<double>(rig.size(), options.pixel_sigma)
                              : PixelSigmasFromTriangulation(initial, 3.0);
  if (pixel_sigmas.size() != rig.size()) throw std::invalid_argument("SmoothSequence: rig and triangulation differ");
  const std::vector<uint8_t> cuts = FindCuts(initial.points, options.cut_speed / options.fps);
  for (uint8_t cut : cuts) result.summary.num_cuts += cut;

  // Windows [start, end) with the given overlap; the last one is stretched to the end.
  std::vector<std::pair<frame_t, frame_t>> windows;
  const int stride = options.window_frames - options.window_overlap;
  for (frame_t s = 0; s < num_frames; s += stride) {
    frame_t e = std::min(num_frames, s + options.window_frames);
    if (num_frames - e < options.window_frames / 2) e = num_frames;
    windows.emplace_back(s, e);
    if (e == num_frames) break;
  }
  const int ceres_threads = windows.size() == 1 ? std::max(1, options.num_threads) : 1;
  std::vector<WindowResult> solved(windows.size());
  std::atomic<size_t> done{0};
  tbb::parallel_for(size_t{0}, windows.size(), [&](size_t k) {
    solved[k] = SolveWindow(rig, initial, global_lengths, pixel_sigmas, cuts, windows[k].first, windows[k].second, options,
                            ceres_threads);
    if (options.progress) options.progress("smoothing", done.fetch_add(1) + 1, windows.size());
  });

  // Cross-fade overlaps: a frame's weight in a window rises linearly over the overlap.
  for (frame_t f = 0; f < num_frames; ++f) {
    for (joint_t j = 0; j < num_joints; ++j) {
      Eigen::Vector3d sum = Eigen::Vector3d::Zero();
      double wsum = 0.0;
      for (size_t k = 0; k < windows.size(); ++k) {
        const auto [s, e] = windows[k];
        if (f < s || f >= e) continue;
        const Eigen::Vector3d& p = solved[k].points.at(f - s, j);
        if (!p.allFinite()) continue;
        double wt = 1.0;
        if (k > 0 && f < s + options.window_overlap) wt = (f - s + 0.5) / options.window_overlap;
        if (k + 1 < windows.size() && f >= windows[k + 1].first)
          wt = std::min(wt, (e - f - 0.5) / std::max(1, e - windows[k + 1].first));
        sum += wt * p;
        wsum += wt;
      }
      if (wsum > 0) result.points.at(f, j) = sum / wsum;
    }
  }

  SequenceSmoothingSummary& s = result.summary;
  s.num_windows = static_cast<int>(windows.size());
  std::vector<std::vector<double>> lengths(options.bones.size());
  for (size_t k = 0; k < solved.size(); ++k) {
    s.num_points_filled += solved[k].filled;
    s.num_observations += solved[k].observations;
    s.initial_cost += solved[k].initial_cost;
    s.final_cost += solved[k].final_cost;
    s.total_iterations += solved[k].iterations;
    for (size_t b = 0; b < options.bones.size(); ++b)
      if (std::isfinite(solved[k].bone_lengths[b])) lengths[b].push_back(solved[k].bone_lengths[b]);
  }
  // Overlaps are counted twice in num_points_filled; recount on the final result.
  s.num_points_filled = 0;
  for (frame_t f = 0; f < num_frames; ++f)
    for (joint_t j = 0; j < num_joints; ++j)
      if (!initial.points.IsValid(f, j) && result.points.IsValid(f, j)) ++s.num_points_filled;
  s.bone_lengths.assign(options.bones.size(), kNaN);
  for (size_t b = 0; b < options.bones.size(); ++b) {
    auto& v = lengths[b];
    if (v.empty()) continue;
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
    s.bone_lengths[b] = v[v.size() / 2];
  }
  return result;
}

}  // namespace epilabel
