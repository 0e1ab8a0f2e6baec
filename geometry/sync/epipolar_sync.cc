#include "geometry/sync/epipolar_sync.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>
#include <vector>

#include <Eigen/Dense>
#include <fmt/format.h>
#include <tbb/parallel_for.h>

namespace epilabel {

namespace {

// Joint pairs over the searched offsets: b in the camera (pixels), a[k][i] the reference's
// keypoint of pair i at offset k (interpolated in time); only the joints that the reference has at
// every offset, so that every offset is scored on the same pairs. Every `stride`-th camera frame.
struct PairSet {
  std::vector<Eigen::Vector2d> b;
  std::vector<std::vector<Eigen::Vector2d>> a;  // [offset][pair]
  std::vector<int> track;                       // the pair's track
  std::vector<double> frame;                    // its camera frame in reference frames (for blocks)
};

PairSet PairsOverOffsets(const SyncInput& input, int camera, const std::vector<double>& offsets_frames, int stride) {
  PairSet set;
  set.a.resize(offsets_frames.size());
  const double ratio = input.fps[input.reference] / input.fps[camera];
  std::vector<Eigen::Vector2d> a(offsets_frames.size());
  for (size_t t = 0; t < input.tracks.size(); ++t) {
    const Observations2d& track = input.tracks[t];
    for (int f = 0; f < track.num_frames(); f += stride) {
      for (int j = 0; j < track.num_joints(); ++j) {
        if (!track.IsObserved(camera, f, j)) continue;
        bool all = true;
        for (size_t k = 0; k < offsets_frames.size() && all; ++k) {
          const auto at = InterpolateKeypoint(track, input.reference, f * ratio + offsets_frames[k], j);
          all = at && at->z() > 0.0;
          if (all) a[k] = at->head<2>();
        }
        if (!all) continue;
        for (size_t k = 0; k < a.size(); ++k) set.a[k].push_back(a[k]);
        set.b.push_back(track.at(camera, f, j).head<2>());
        set.track.push_back(static_cast<int>(t));
        set.frame.push_back(f * ratio);
      }
    }
  }
  return set;
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
Eigen::Matrix3d FitFundamental(const std::vector<Eigen::Vector2d>& pa, const std::vector<Eigen::Vector2d>& pb,
                               const std::vector<double>& weights, const Eigen::Matrix3d& ta, const Eigen::Matrix3d& tb) {
  Eigen::Matrix<double, 9, 9> normal = Eigen::Matrix<double, 9, 9>::Zero();
  for (size_t i = 0; i < pa.size(); ++i) {
    const Eigen::Vector3d a = ta * pa[i].homogeneous(), b = tb * pb[i].homogeneous();
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
std::vector<double> Sampson(const Eigen::Matrix3d& f, const std::vector<Eigen::Vector2d>& pa,
                            const std::vector<Eigen::Vector2d>& pb) {
  std::vector<double> r(pa.size());
  for (size_t i = 0; i < r.size(); ++i) {
    const Eigen::Vector3d a = pa[i].homogeneous(), b = pb[i].homogeneous();
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

// Iteratively reweighted fit from `weights` (updated), `iterations` times; `scale` the Cauchy
// scale in pixels (<= 0: `factor` x the residuals' robust spread, measured each iteration).
// Returns the mean Cauchy cost at the final scale; *sigma the residuals' robust spread, *each (when
// not null) every pair's Cauchy cost.
double RobustCost(const std::vector<Eigen::Vector2d>& a, const std::vector<Eigen::Vector2d>& b,
                  const Eigen::Matrix3d& ta, const Eigen::Matrix3d& tb, double scale, double factor, int iterations,
                  std::vector<double>* weights, double* sigma, std::vector<double>* each = nullptr) {
  std::vector<double> r;
  double c = scale;
  for (int it = 0; it < iterations; ++it) {
    r = Sampson(FitFundamental(a, b, *weights, ta, tb), a, b);
    if (scale <= 0.0) c = std::max(factor * RobustSigma(r), 1e-9);
    for (size_t i = 0; i < r.size(); ++i) (*weights)[i] = 1.0 / (1.0 + (r[i] / c) * (r[i] / c));
  }
  if (sigma) *sigma = RobustSigma(r);
  double cost = 0.0;
  if (each) each->resize(r.size());
  for (size_t i = 0; i < r.size(); ++i) {
    const double rho = std::log1p((r[i] / c) * (r[i] / c));
    cost += rho;
    if (each) (*each)[i] = rho;
  }
  return cost / static_cast<double>(r.size());
}

// The vertex of the least-squares parabola through (x, y); NaN when not convex. *curvature: the
// parabola's second derivative.
double ParabolaVertex(const std::vector<double>& x, const std::vector<double>& y, double* curvature) {
  Eigen::MatrixXd a(x.size(), 3);
  Eigen::VectorXd b(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    a.row(i) << x[i] * x[i], x[i], 1.0;
    b[i] = y[i];
  }
  const Eigen::Vector3d p = a.colPivHouseholderQr().solve(b);
  *curvature = 2.0 * p[0];
  if (!(p[0] > 0.0)) return std::nan("");
  return -p[1] / (2.0 * p[0]);
}

// The reference (camera 0 of the result) and `camera` (camera 1), their keypoints smoothed in
// time by a Gaussian of `sigma_s` seconds (over observed neighbours only): between two raw noisy
// frames an interpolated keypoint has less noise than at a frame, which would pull the minimum
// toward half frames; smoothed neighbours are correlated.
SyncInput TwoCamerasSmoothed(const SyncInput& input, int camera, double sigma_s) {
  SyncInput out;
  out.fps = {input.fps[input.reference], input.fps[camera]};
  out.reference = 0;
  for (const Observations2d& in : input.tracks) {
    Observations2d track(2, in.num_frames(), in.num_joints());
    const int cameras[2] = {input.reference, camera};
    for (int k = 0; k < 2; ++k) {
      const int c = cameras[k];
      const double sigma = sigma_s * input.fps[c];
      const Observations2d smooth = SmoothedInTime(in, c, sigma < 0.3 ? 0.0 : sigma);
      for (int f = 0; f < in.num_frames(); ++f)
        for (int j = 0; j < in.num_joints(); ++j) track.at(k, f, j) = smooth.at(0, f, j);
    }
    out.tracks.push_back(std::move(track));
  }
  return out;
}

}  // namespace

void EpipolarSyncOptions::Check() const {
  if (!(radius_frames >= 0.0 && std::isfinite(radius_frames) && step_frames > 0.0 && std::isfinite(step_frames) &&
        cauchy_scale > 0.0 && std::isfinite(cauchy_scale) && iterations > 0 && offset_iterations > 0 && min_pairs >= 8 &&
        smoothing_frames >= 0.0 && min_depth >= 0.0 && max_frames > 0)) {
    throw std::invalid_argument("EpipolarSyncOptions: radius_frames >= 0, step_frames, cauchy_scale, iterations, offset_iterations, "
                                "max_frames and min_pairs >= 8 expected");
  }
}

EpipolarOffset RefineOffsetByEpipolarGeometry(const SyncInput& raw_input, int camera, double start_frames,
                                              const EpipolarSyncOptions& options) {
  raw_input.Check();
  options.Check();
  const SyncInput input =
      TwoCamerasSmoothed(raw_input, camera, options.smoothing_frames / raw_input.fps[raw_input.reference]);
  EpipolarOffset out;
  out.offset_frames = start_frames;
  const int steps = static_cast<int>(std::ceil(options.radius_frames / options.step_frames - 1e-9));
  std::vector<double> lags(2 * steps + 1), costs(lags.size(), std::nan(""));
  for (int i = 0; i < static_cast<int>(lags.size()); ++i) lags[i] = start_frames + (i - steps) * options.step_frames;
  long frames = 0;
  for (const Observations2d& track : input.tracks) frames += track.num_frames();
  const int stride = static_cast<int>(std::max<long>(1, (frames + options.max_frames - 1) / options.max_frames));
  const PairSet set = PairsOverOffsets(input, 1, lags, stride);
  out.pairs = static_cast<int>(set.b.size());
  if (out.pairs < options.min_pairs) {
    out.note = fmt::format("too few joints seen by both over the searched offsets ({} < {})", out.pairs,
                           options.min_pairs);
    return out;
  }
  // The fit at the start sets the normalisation, the Cauchy scale and every offset's first weights.
  const Eigen::Matrix3d ta = Normalisation(set.a[steps]), tb = Normalisation(set.b);
  std::vector<double> start_weights(set.b.size(), 1.0);
  RobustCost(set.a[steps], set.b, ta, tb, 0.0, options.cauchy_scale, options.iterations, &start_weights,
             &out.residual_px);
  const double scale = std::max(options.cauchy_scale * out.residual_px, 1e-6);
  tbb::parallel_for(0, static_cast<int>(lags.size()), [&](int i) {
    std::vector<double> weights = start_weights;
    costs[i] = RobustCost(set.a[i], set.b, ta, tb, scale, 1.0, options.offset_iterations, &weights, nullptr);
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
  double curvature = 0.0;
  const double vertex = ParabolaVertex(x, y, &curvature);
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
  // Standard error of the minimum: the mean cost's slope there is the mean of the pairs' slopes
  // (central differences over the two neighbouring offsets), so the minimum moves by their sum's
  // spread / (pairs x curvature); the sum's spread over blocks of time (BlockedSumDeviation: the
  // detector's errors and the smoothing correlate neighbouring frames).
  std::vector<double> minus, plus, slopes(set.b.size());
  for (const auto& [i, each] : {std::pair{best - 1, &minus}, std::pair{best + 1, &plus}}) {
    std::vector<double> weights = start_weights;
    RobustCost(set.a[i], set.b, ta, tb, scale, 1.0, options.offset_iterations, &weights, nullptr, each);
  }
  for (size_t i = 0; i < slopes.size(); ++i) slopes[i] = (plus[i] - minus[i]) / (2.0 * options.step_frames);
  out.standard_error_frames = BlockedSumDeviation(slopes, set.track, set.frame) / (slopes.size() * curvature);
  return out;
}

std::vector<double> EpipolarSpreadAtOffsets(const SyncInput& raw_input, int camera,
                                            const std::vector<double>& offsets_frames,
                                            const EpipolarSyncOptions& options) {
  raw_input.Check();
  options.Check();
  const SyncInput input =
      TwoCamerasSmoothed(raw_input, camera, options.smoothing_frames / raw_input.fps[raw_input.reference]);
  long frames = 0;
  for (const Observations2d& track : input.tracks) frames += track.num_frames();
  const int stride = static_cast<int>(std::max<long>(1, (frames + options.max_frames - 1) / options.max_frames));
  std::vector<double> spread(offsets_frames.size(), std::nan(""));
  tbb::parallel_for(0, static_cast<int>(offsets_frames.size()), [&](int i) {
    const PairSet set = PairsOverOffsets(input, 1, {offsets_frames[i]}, stride);
    if (static_cast<int>(set.b.size()) < options.min_pairs) return;
    const Eigen::Matrix3d ta = Normalisation(set.a[0]), tb = Normalisation(set.b);
    std::vector<double> weights(set.b.size(), 1.0);
    RobustCost(set.a[0], set.b, ta, tb, 0.0, options.cauchy_scale, options.iterations, &weights, &spread[i]);
  });
  return spread;
}

}  // namespace epilabel
