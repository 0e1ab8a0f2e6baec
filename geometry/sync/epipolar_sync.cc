#include "geometry/sync/epipolar_sync.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include <Eigen/Dense>
#include <fmt/format.h>
#include <tbb/parallel_for.h>

namespace epilabel {

namespace {

// Joint pairs at one offset: a in the reference, b in the camera (pixels).
struct Pairs {
  std::vector<Eigen::Vector2d> a, b;
};

// Every `stride`-th camera frame of every track.
Pairs PairsAt(const SyncInput& input, int camera, double offset_frames, int stride) {
  Pairs pairs;
  const double ratio = input.fps[input.reference] / input.fps[camera];
  for (const Observations2d& track : input.tracks) {
    for (int f = 0; f < track.num_frames(); f += stride) {
      const double reference_frame = f * ratio + offset_frames;
      if (reference_frame < 0.0 || reference_frame > track.num_frames() - 1) continue;
      for (int j = 0; j < track.num_joints(); ++j) {
        if (!track.IsObserved(camera, f, j)) continue;
        const auto a = InterpolateKeypoint(track, input.reference, reference_frame, j);
        if (!a || !(a->z() > 0.0)) continue;
        pairs.a.push_back(a->head<2>());
        pairs.b.push_back(track.at(camera, f, j).head<2>());
      }
    }
  }
  return pairs;
}

// Hartley's normalisation of a point set: centroid to the origin, mean distance sqrt(2).
Eigen::Matrix3d Normalisation(const std::vector<Eigen::Vector2d>& points) {
  Eigen::Vector2d mean = Eigen::Vector2d::Zero();
  for (const Eigen::Vector2d& p : points) mean += p;
  mean /= static_cast<double>(points.size());
  double distance = 0.0;
  for (const Eigen::Vector2d& p : points) distance += (p - mean).norm();
  const double s = std::sqrt(2.0) * points.size() / std::max(distance, 1e-12);
  Eigen::Matrix3d t;
  t << s, 0.0, -s * mean.x(), 0.0, s, -s * mean.y(), 0.0, 0.0, 1.0;
  return t;
}

// The weighted eight-point fit (rank 2 enforced), in pixels: b^T F a = 0.
Eigen::Matrix3d FitFundamental(const Pairs& pairs, const std::vector<double>& weights, const Eigen::Matrix3d& ta,
                               const Eigen::Matrix3d& tb) {
  Eigen::Matrix<double, 9, 9> normal = Eigen::Matrix<double, 9, 9>::Zero();
  for (size_t i = 0; i < pairs.a.size(); ++i) {
    const Eigen::Vector3d a = ta * pairs.a[i].homogeneous(), b = tb * pairs.b[i].homogeneous();
    Eigen::Matrix<double, 9, 1> row;
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) row[3 * r + c] = b[r] * a[c];
    normal.selfadjointView<Eigen::Lower>().rankUpdate(row, weights[i]);
  }
  const Eigen::SelfAdjointEigenSolver<Eigen::Matrix<double, 9, 9>> eigen(
      Eigen::Matrix<double, 9, 9>(normal.selfadjointView<Eigen::Lower>()));
  const Eigen::Matrix<double, 9, 1> smallest = eigen.eigenvectors().col(0);
  Eigen::Matrix3d f;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) f(r, c) = smallest[3 * r + c];
  Eigen::JacobiSVD<Eigen::Matrix3d> svd(f, Eigen::ComputeFullU | Eigen::ComputeFullV);
  Eigen::Vector3d s = svd.singularValues();
  s[2] = 0.0;
  return tb.transpose() * svd.matrixU() * s.asDiagonal() * svd.matrixV().transpose() * ta;
}

// Sampson distance of every pair, pixels (signed).
std::vector<double> Sampson(const Eigen::Matrix3d& f, const Pairs& pairs) {
  std::vector<double> r(pairs.a.size());
  for (size_t i = 0; i < r.size(); ++i) {
    const Eigen::Vector3d a = pairs.a[i].homogeneous(), b = pairs.b[i].homogeneous();
    const Eigen::Vector3d fa = f * a, fb = f.transpose() * b;
    const double norm = std::sqrt(fa.head<2>().squaredNorm() + fb.head<2>().squaredNorm());
    r[i] = norm > 0.0 ? b.dot(fa) / norm : 0.0;
  }
  return r;
}

double RobustSigma(const std::vector<double>& residuals) {
  std::vector<double> magnitude(residuals.size());
  for (size_t i = 0; i < residuals.size(); ++i) magnitude[i] = std::abs(residuals[i]);
  std::nth_element(magnitude.begin(), magnitude.begin() + magnitude.size() / 2, magnitude.end());
  return 1.4826 * magnitude[magnitude.size() / 2];
}

// Iteratively reweighted fit; `scale` the Cauchy scale in pixels (<= 0: measured each iteration
// from the residuals). Returns the mean Cauchy cost at the final scale; *sigma the robust spread.
double RobustCost(const Pairs& pairs, const Eigen::Matrix3d& ta, const Eigen::Matrix3d& tb, double scale,
                  const EpipolarSyncOptions& options, double* sigma) {
  std::vector<double> weights(pairs.a.size(), 1.0), r;
  double c = scale;
  for (int it = 0; it < options.iterations; ++it) {
    r = Sampson(FitFundamental(pairs, weights, ta, tb), pairs);
    if (scale <= 0.0) c = std::max(options.cauchy_scale * RobustSigma(r), 1e-9);
    for (size_t i = 0; i < r.size(); ++i) weights[i] = 1.0 / (1.0 + (r[i] / c) * (r[i] / c));
  }
  if (sigma) *sigma = RobustSigma(r);
  double cost = 0.0;
  for (double x : r) cost += std::log1p((x / c) * (x / c));
  return cost / static_cast<double>(r.size());
}

// The vertex of the least-squares parabola through (x, y); nullopt-like NaN when not convex.
double ParabolaVertex(const std::vector<double>& x, const std::vector<double>& y) {
  Eigen::MatrixXd a(x.size(), 3);
  Eigen::VectorXd b(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    a.row(i) << x[i] * x[i], x[i], 1.0;
    b[i] = y[i];
  }
  const Eigen::Vector3d p = a.colPivHouseholderQr().solve(b);
  if (!(p[0] > 0.0)) return std::nan("");
  return -p[1] / (2.0 * p[0]);
}

// Both cameras' tracks smoothed in time by a Gaussian of `sigma_s` seconds (over observed
// neighbours only): between two raw noisy frames an interpolated keypoint has less noise than at
// a frame, which would pull the minimum toward half frames; smoothed neighbours are correlated.
SyncInput Smoothed(const SyncInput& input, int camera, double sigma_s) {
  SyncInput out = input;
  for (int c : {input.reference, camera}) {
    const double sigma = sigma_s * input.fps[c];
    if (sigma < 0.3) continue;
    const int radius = static_cast<int>(std::ceil(3.0 * sigma));
    std::vector<double> kernel(2 * radius + 1);
    for (int i = -radius; i <= radius; ++i) kernel[i + radius] = std::exp(-0.5 * i * i / (sigma * sigma));
    for (size_t k = 0; k < input.tracks.size(); ++k) {
      const Observations2d& in = input.tracks[k];
      for (int f = 0; f < in.num_frames(); ++f)
        for (int j = 0; j < in.num_joints(); ++j) {
          if (!in.IsObserved(c, f, j)) continue;
          Eigen::Vector2d sum = Eigen::Vector2d::Zero();
          double weight = 0.0;
          for (int g = std::max(0, f - radius); g <= std::min(in.num_frames() - 1, f + radius); ++g) {
            if (!in.IsObserved(c, g, j)) continue;
            sum += kernel[g - f + radius] * in.at(c, g, j).head<2>();
            weight += kernel[g - f + radius];
          }
          out.tracks[k].at(c, f, j).head<2>() = sum / weight;
        }
    }
  }
  return out;
}

}  // namespace

void EpipolarSyncOptions::Check() const {
  if (!(radius_frames >= 0.0 && std::isfinite(radius_frames) && step_frames > 0.0 && std::isfinite(step_frames) &&
        cauchy_scale > 0.0 && std::isfinite(cauchy_scale) && iterations > 0 && min_pairs >= 8 &&
        smoothing_frames >= 0.0 && min_depth >= 0.0 && max_frames > 0)) {
    throw std::invalid_argument("EpipolarSyncOptions: radius_frames >= 0, step_frames, cauchy_scale, iterations, "
                                "max_frames and min_pairs >= 8 expected");
  }
}

EpipolarOffset RefineOffsetByEpipolarGeometry(const SyncInput& raw_input, int camera, double start_frames,
                                              const EpipolarSyncOptions& options) {
  raw_input.Check();
  options.Check();
  const SyncInput input = Smoothed(raw_input, camera, options.smoothing_frames / raw_input.fps[raw_input.reference]);
  EpipolarOffset out;
  out.offset_frames = start_frames;
  long frames = 0;
  for (const Observations2d& track : input.tracks) frames += track.num_frames();
  const int stride = static_cast<int>(std::max<long>(1, (frames + options.max_frames - 1) / options.max_frames));
  const Pairs start = PairsAt(input, camera, start_frames, stride);
  out.pairs = static_cast<int>(start.a.size());
  if (out.pairs < options.min_pairs) {
    out.note = fmt::format("too few joints seen by both at the offset ({} < {})", out.pairs, options.min_pairs);
    return out;
  }
  const Eigen::Matrix3d ta = Normalisation(start.a), tb = Normalisation(start.b);
  RobustCost(start, ta, tb, 0.0, options, &out.residual_px);
  const double scale = std::max(options.cauchy_scale * out.residual_px, 1e-6);
  const int steps = static_cast<int>(std::ceil(options.radius_frames / options.step_frames - 1e-9));
  std::vector<double> lags(2 * steps + 1), costs(lags.size(), std::nan(""));
  tbb::parallel_for(0, static_cast<int>(lags.size()), [&](int i) {
    lags[i] = start_frames + (i - steps) * options.step_frames;
    const Pairs pairs = PairsAt(input, camera, lags[i], stride);
    if (static_cast<int>(pairs.a.size()) >= options.min_pairs) {
      costs[i] = RobustCost(pairs, ta, tb, scale, options, nullptr);
    }
  });
  int best = -1;
  for (int i = 0; i < static_cast<int>(costs.size()); ++i) {
    if (!std::isnan(costs[i]) && (best < 0 || costs[i] < costs[best])) best = i;
  }
  if (best <= 0 || best + 1 >= static_cast<int>(costs.size()) || std::isnan(costs[best - 1]) ||
      std::isnan(costs[best + 1])) {
    out.note = "the epipolar cost has no minimum inside the searched offsets";
    return out;
  }
  std::vector<double> x, y;
  for (int i = std::max(0, best - 2); i <= std::min(static_cast<int>(costs.size()) - 1, best + 2); ++i) {
    if (!std::isnan(costs[i])) {
      x.push_back(lags[i] - lags[best]);
      y.push_back(costs[i]);
    }
  }
  const double vertex = ParabolaVertex(x, y);
  if (std::isnan(vertex)) {
    out.note = "the epipolar cost is not convex at its minimum";
    return out;
  }
  const double edges = 0.5 * (costs.front() + costs.back());
  out.depth = costs[best] > 0.0 && !std::isnan(edges) ? (edges - costs[best]) / costs[best] : 0.0;
  if (!(out.depth >= options.min_depth)) {
    out.note = fmt::format("the epipolar cost hardly depends on the offset (depth {:.3f} < {:.3f})", out.depth,
                           options.min_depth);
    return out;
  }
  out.offset_frames = lags[best] + std::clamp(vertex, -options.step_frames, options.step_frames);
  out.estimated = true;
  return out;
}

}  // namespace epilabel
