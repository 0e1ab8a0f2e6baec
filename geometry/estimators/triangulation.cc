#include "geometry/estimators/triangulation.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include <Eigen/Cholesky>
#include <Eigen/LU>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

namespace epilabel {

namespace {

constexpr int kMaxViews = 64;
constexpr double kInf = std::numeric_limits<double>::infinity();

// Pixel residual (2-vector) of a point in one view; returns false when behind the camera.
inline bool Residual(const PointView& v, const Eigen::Vector3d& point, Eigen::Vector2d* r, Eigen::Vector3d* x_cam) {
  *x_cam = v.rotation * point + v.translation;
  if (!(x_cam->z() > 1e-9)) return false;
  const double inv_z = 1.0 / x_cam->z();
  (*r)(0) = v.focal_px * (x_cam->x() * inv_z - v.normalized.x());
  (*r)(1) = v.focal_px * (x_cam->y() * inv_z - v.normalized.y());
  return true;
}

// Pixel residual r and its Jacobian rows (a, b) for one view. With p = R X + t,
// (x, y) = p.xy / p.z, the rows are f / p.z * (R_0 - x R_2) and f / p.z * (R_1 - y R_2).
// Returns false when the point is behind the camera.
inline bool ResidualAndJacobian(const PointView& v, const Eigen::Vector3d& point, Eigen::Vector2d* r,
                                Eigen::Vector3d* a, Eigen::Vector3d* b) {
  const Eigen::Vector3d p = v.rotation * point + v.translation;
  if (!(p.z() > 1e-9)) return false;
  const double inv_z = 1.0 / p.z();
  const double x = p.x() * inv_z, y = p.y() * inv_z;
  *r = Eigen::Vector2d(v.focal_px * (x - v.normalized.x()), v.focal_px * (y - v.normalized.y()));
  const double s = v.focal_px * inv_z;
  *a = s * (v.rotation.row(0).transpose() - x * v.rotation.row(2).transpose());
  *b = s * (v.rotation.row(1).transpose() - y * v.rotation.row(2).transpose());
  return true;
}

// Weighted sums of the normal equations J^T W J (six distinct entries), J^T W r and the cost.
struct NormalSums {
  double h00 = 0, h01 = 0, h02 = 0, h11 = 0, h12 = 0, h22 = 0, cost = 0;
  Eigen::Vector3d grad = Eigen::Vector3d::Zero();
  void Add(double w, const Eigen::Vector2d& r, const Eigen::Vector3d& a, const Eigen::Vector3d& b) {
    h00 += w * (a.x() * a.x() + b.x() * b.x());
    h01 += w * (a.x() * a.y() + b.x() * b.y());
    h02 += w * (a.x() * a.z() + b.x() * b.z());
    h11 += w * (a.y() * a.y() + b.y() * b.y());
    h12 += w * (a.y() * a.z() + b.y() * b.z());
    h22 += w * (a.z() * a.z() + b.z() * b.z());
    grad += w * (r.x() * a + r.y() * b);
    cost += w * r.squaredNorm();
  }
  Eigen::Matrix3d H() const {
    Eigen::Matrix3d h;
    h << h00, h01, h02, h01, h11, h12, h02, h12, h22;
    return h;
  }
};

// J^T W J and J^T W r of the pixel residuals at `point`.
void NormalEquations(const PointView* views, int n, const Eigen::Vector3d& point, Eigen::Matrix3d* h,
                     Eigen::Vector3d* g, double* cost) {
  NormalSums sums;
  for (int i = 0; i < n; ++i) {
    Eigen::Vector2d r;
    Eigen::Vector3d a, b;
    if (!ResidualAndJacobian(views[i], point, &r, &a, &b)) {
      *cost = kInf;
      return;
    }
    sums.Add(views[i].weight, r, a, b);
  }
  *h = sums.H();
  *g = sums.grad;
  *cost = sums.cost;
}

// Inverse of a symmetric positive (semi-)definite 3x3 matrix by its adjugate; false when
// the matrix is singular relative to its scale.
inline bool InverseSymmetric3(const Eigen::Matrix3d& h, Eigen::Matrix3d* inv) {
  const double c00 = h(1, 1) * h(2, 2) - h(1, 2) * h(1, 2);
  const double c01 = h(0, 2) * h(1, 2) - h(0, 1) * h(2, 2);
  const double c02 = h(0, 1) * h(1, 2) - h(0, 2) * h(1, 1);
  const double det = h(0, 0) * c00 + h(0, 1) * c01 + h(0, 2) * c02;
  const double scale = h(0, 0) + h(1, 1) + h(2, 2);
  if (!(std::abs(det) > 1e-15 * scale * scale * scale) || !std::isfinite(det)) return false;
  const double c11 = h(0, 0) * h(2, 2) - h(0, 2) * h(0, 2);
  const double c12 = h(0, 1) * h(0, 2) - h(0, 0) * h(1, 2);
  const double c22 = h(0, 0) * h(1, 1) - h(0, 1) * h(0, 1);
  const double s = 1.0 / det;
  *inv << c00 * s, c01 * s, c02 * s, c01 * s, c11 * s, c12 * s, c02 * s, c12 * s, c22 * s;
  return true;
}

}  // namespace

std::optional<Eigen::Vector3d> TriangulateLinear(const PointView* views, int num_views) {
  if (num_views < 2) return std::nullopt;
  // Each view gives two rows a^T X + b = 0 of the DLT system; rows are scaled by the view's
  // confidence and by its focal length so that the algebraic error is roughly in pixels.
  // The normal equations are accumulated in their six distinct entries.
  double m00 = 0, m01 = 0, m02 = 0, m11 = 0, m12 = 0, m22 = 0;
  Eigen::Vector3d v = Eigen::Vector3d::Zero();
  for (int i = 0; i < num_views; ++i) {
    const PointView& pv = views[i];
    const double w = pv.weight * pv.focal_px * pv.focal_px;
    for (int row = 0; row < 2; ++row) {
      const double obs = pv.normalized(row);
      const Eigen::Vector3d a = obs * pv.rotation.row(2).transpose() - pv.rotation.row(row).transpose();
      const double b = obs * pv.translation.z() - pv.translation(row);
      const Eigen::Vector3d wa = w * a;
      m00 += wa.x() * a.x();
      m01 += wa.x() * a.y();
      m02 += wa.x() * a.z();
      m11 += wa.y() * a.y();
      m12 += wa.y() * a.z();
      m22 += wa.z() * a.z();
      v += b * wa;
    }
  }
  Eigen::Matrix3d m, m_inv;
  m << m00, m01, m02, m01, m11, m12, m02, m12, m22;
  // Near-singular systems (parallel rays) are rejected by the inverse's determinant test.
  if (!InverseSymmetric3(m, &m_inv)) return std::nullopt;
  Eigen::Vector3d point = -(m_inv * v);
  if (!point.allFinite()) return std::nullopt;
  return point;
}

Eigen::Vector3d RefineTriangulation(const PointView* views, int num_views, const Eigen::Vector3d& point,
                                    int max_iterations, Eigen::Matrix3d* normal_matrix, double* cost_out) {
  Eigen::Vector3d x = point;
  Eigen::Matrix3d h;
  Eigen::Vector3d g;
  double cost;
  NormalEquations(views, num_views, x, &h, &g, &cost);
  auto finish = [&]() {
    if (normal_matrix) *normal_matrix = h;
    if (cost_out) *cost_out = cost;
    return x;
  };
  if (!std::isfinite(cost)) return finish();
  for (int it = 0; it < max_iterations; ++it) {
    Eigen::LDLT<Eigen::Matrix3d> ldlt(h);
    if (ldlt.info() != Eigen::Success) break;
    const Eigen::Vector3d step = ldlt.solve(-g);
    if (!step.allFinite()) break;
    const Eigen::Vector3d candidate = x + step;
    Eigen::Matrix3d h_new;
    Eigen::Vector3d g_new;
    double cost_new;
    NormalEquations(views, num_views, candidate, &h_new, &g_new, &cost_new);
    if (!(cost_new < cost)) break;
    const double decrease = cost - cost_new;
    x = candidate;
    h = h_new;
    g = g_new;
    cost = cost_new;
    // Converged: the step is far below any noise (0.1 micrometre) or the cost barely moves.
    if (decrease < 1e-10 * (1.0 + cost) || step.squaredNorm() < 1e-14) break;
  }
  return finish();
}

double ReprojectionErrorPx(const PointView& view, const Eigen::Vector3d& point) {
  Eigen::Vector2d r;
  Eigen::Vector3d x;
  if (!Residual(view, point, &r, &x)) return kInf;
  return r.norm();
}

Eigen::Matrix3d TriangulationCovarianceFromNormal(const Eigen::Matrix3d& h, double cost, double weight_sum,
                                                  int num_views, double prior_sigma_px, double prior_weight) {
  if (!std::isfinite(cost) || weight_sum <= 0.0 || num_views < 1) return Eigen::Matrix3d::Constant(kNaN);
  // Residual variance per unit weight: residual sum of squares over the degrees of freedom
  // (2 per view minus 3), plus a prior worth `prior_weight` extra degrees of freedom.
  const double mean_weight = weight_sum / num_views;
  const double dof = std::max(0.0, 2.0 * num_views - 3.0);
  const double sigma2 = (cost / mean_weight + prior_weight * prior_sigma_px * prior_sigma_px) / (dof + prior_weight);
  // h is scaled by the weights; with weights w_i = mean_weight the covariance is
  // sigma2 (J^T J)^-1 = sigma2 * mean_weight * h^-1.
  Eigen::Matrix3d h_inv;
  if (!InverseSymmetric3(h, &h_inv)) return Eigen::Matrix3d::Constant(kNaN);
  return sigma2 * mean_weight * h_inv;
}

Eigen::Matrix3d TriangulationCovariance(const PointView* views, int num_views, const Eigen::Vector3d& point,
                                        double prior_sigma_px, double prior_weight) {
  Eigen::Matrix3d h;
  Eigen::Vector3d g;
  double cost;
  NormalEquations(views, num_views, point, &h, &g, &cost);
  double weight_sum = 0.0;
  for (int i = 0; i < num_views; ++i) weight_sum += views[i].weight;
  return TriangulationCovarianceFromNormal(h, cost, weight_sum, num_views, prior_sigma_px, prior_weight);
}

void RobustTriangulationOptions::Check() const {
  if (!(reprojection_threshold_px > 0)) throw std::invalid_argument("reprojection_threshold_px must be > 0");
  if (min_views < 2) throw std::invalid_argument("min_views must be >= 2");
  if (!(confidence > 0 && confidence < 1)) throw std::invalid_argument("confidence must be in (0, 1)");
  if (max_pairs < 1) throw std::invalid_argument("max_pairs must be >= 1");
}

namespace {

// MSAC score of a point: sum over views of min(e^2, t^2) (lower is better); counts inliers.
double ScorePoint(const PointView* views, int n, const Eigen::Vector3d& point, double threshold, uint64_t* mask,
                  int* inliers) {
  double score = 0.0;
  *mask = 0;
  *inliers = 0;
  Eigen::Vector2d r;
  Eigen::Vector3d x;
  for (int i = 0; i < n; ++i) {
    const double t = views[i].threshold_px > 0 ? views[i].threshold_px : threshold;
    const double t2 = t * t;
    double e2 = t2;
    if (Residual(views[i], point, &r, &x)) e2 = std::min(t2, r.squaredNorm());
    if (e2 < t2) {
      *mask |= uint64_t{1} << i;
      ++*inliers;
    }
    // Confidence-weighted so that confident views count more.
    score += views[i].weight * e2;
  }
  return score;
}

int Gather(const PointView* views, int n, uint64_t mask, PointView* out) {
  int k = 0;
  for (int i = 0; i < n; ++i) {
    if (mask & (uint64_t{1} << i)) out[k++] = views[i];
  }
  return k;
}

double MeanError(const PointView* views, int n, uint64_t mask, const Eigen::Vector3d& point) {
  double sum = 0.0;
  int k = 0;
  for (int i = 0; i < n; ++i) {
    if (mask & (uint64_t{1} << i)) {
      sum += ReprojectionErrorPx(views[i], point);
      ++k;
    }
  }
  return k > 0 ? sum / k : kNaN;
}

// A least-squares fit on a subset of views, with its normal equations.
struct Fit {
  Eigen::Vector3d point;
  Eigen::Matrix3d normal_matrix;
  double cost = kNaN;
  double weight_sum = 0.0;
};

// Fit on the views of `mask`: linear then refined. nullopt when degenerate.
std::optional<Fit> FitMask(const PointView* views, int n, uint64_t mask, int iterations) {
  std::array<PointView, kMaxViews> subset;
  const int k = Gather(views, n, mask, subset.data());
  auto linear = TriangulateLinear(subset.data(), k);
  if (!linear) return std::nullopt;
  Fit fit;
  fit.point = RefineTriangulation(subset.data(), k, *linear, iterations, &fit.normal_matrix, &fit.cost);
  if (!std::isfinite(fit.cost)) return std::nullopt;
  for (int i = 0; i < k; ++i) fit.weight_sum += subset[i].weight;
  return fit;
}

// The least-squares fit on all views of the fast path, with everything its tests need,
// computed in one pass: linear start, one Gauss-Newton step (kept when it lowers the cost),
// per-view errors and leave-one-out prediction errors r_(-i) = (I - A_i)^-1 r_i with
// A_i = w_i J_i (J^T W J)^-1 J_i^T: the residual view i would have if the fit ignored it (a bad
// view hides in the residuals of a fit that includes it; its prediction error does not). J^T W J (and so the covariance and the
// leave-one-out hat matrices) is taken at the linear start; after one step from it the
// Jacobian changes far below the noise.
struct AllViewFit {
  Eigen::Vector3d point;
  Eigen::Matrix3d normal_matrix;
  double cost = kNaN;
  double weight_sum = 0.0;
  std::array<double, kMaxViews> error_px;  // reprojection error of every view at `point`
  std::array<double, kMaxViews> loo_px;    // leave-one-out prediction error (when asked)
};

bool FitAllViews(const PointView* views, int n, int iterations, bool leave_one_out, AllViewFit* out) {
  auto linear = TriangulateLinear(views, n);
  if (!linear) return false;
  std::array<Eigen::Matrix<double, 2, 3>, kMaxViews> jac;
  std::array<Eigen::Vector2d, kMaxViews> res;
  Eigen::Vector3d x = *linear;
  NormalSums sums;
  double weight_sum = 0;
  for (int i = 0; i < n; ++i) {
    Eigen::Vector3d a, b;
    if (!ResidualAndJacobian(views[i], x, &res[i], &a, &b)) return false;
    jac[i].row(0) = a.transpose();
    jac[i].row(1) = b.transpose();
    sums.Add(views[i].weight, res[i], a, b);
    weight_sum += views[i].weight;
  }
  const Eigen::Matrix3d h = sums.H();
  Eigen::Vector3d grad = sums.grad;
  double cost = sums.cost;
  Eigen::Matrix3d h_inv;
  if (!InverseSymmetric3(h, &h_inv)) return false;
  for (int it = 0; it < iterations; ++it) {
    const Eigen::Vector3d candidate = x - h_inv * grad;
    if (!candidate.allFinite()) break;
    std::array<Eigen::Vector2d, kMaxViews> res_new;
    double cost_new = 0;
    bool ok = true;
    for (int i = 0; i < n && ok; ++i) {
      Eigen::Vector3d xc;
      ok = Residual(views[i], candidate, &res_new[i], &xc);
      if (ok) cost_new += views[i].weight * res_new[i].squaredNorm();
    }
    if (!ok || !(cost_new < cost)) break;
    x = candidate;
    cost = cost_new;
    std::copy(res_new.begin(), res_new.begin() + n, res.begin());
    if (it + 1 < iterations) {
      // Further steps: the gradient at the new point with the Jacobian of the start.
      grad.setZero();
      for (int i = 0; i < n; ++i) grad += views[i].weight * jac[i].transpose() * res[i];
    }
  }
  out->point = x;
  out->normal_matrix = h;
  out->cost = cost;
  out->weight_sum = weight_sum;
  for (int i = 0; i < n; ++i) out->error_px[i] = res[i].norm();
  if (leave_one_out) {
    for (int i = 0; i < n; ++i) {
      const Eigen::Matrix2d m = Eigen::Matrix2d::Identity() - views[i].weight * jac[i] * h_inv * jac[i].transpose();
      const double det = m(0, 0) * m(1, 1) - m(0, 1) * m(1, 0);
      if (std::abs(det) < 1e-9) {
        out->loo_px[i] = kInf;
        continue;
      }
      const Eigen::Vector2d r = res[i];
      const double ex = m(1, 1) * r.x() - m(0, 1) * r.y(), ey = -m(1, 0) * r.x() + m(0, 0) * r.y();
      out->loo_px[i] = std::sqrt(ex * ex + ey * ey) / std::abs(det);
    }
  }
  return true;
}

}  // namespace

RobustTriangulation EstimateTriangulation(const PointView* views, int num_views,
                                          const RobustTriangulationOptions& options) {
  RobustTriangulation out;
  if (num_views < options.min_views || num_views < 2) return out;
  if (num_views > kMaxViews) throw std::invalid_argument("EstimateTriangulation: more than 64 views");
  const double thr = options.reprojection_threshold_px;
  const uint64_t all = num_views == 64 ? ~uint64_t{0} : ((uint64_t{1} << num_views) - 1);

  // Fast path: every view agrees with the fit on all views, and with the fit of the others
  // (leave-one-out: a least-squares fit spreads one bad view's error over the others, so a
  // residual test alone would let it through); anything else goes to the pair search.
  auto set_fit = [&](const Fit& fit, uint64_t mask, double mean_error_px) {
    out.success = true;
    out.point = fit.point;
    out.inlier_mask = mask;
    out.num_inliers = __builtin_popcountll(mask);
    out.mean_error_px = std::isfinite(mean_error_px) ? mean_error_px : MeanError(views, num_views, mask, fit.point);
    out.normal_matrix = fit.normal_matrix;
    out.cost = fit.cost;
    out.weight_sum = fit.weight_sum;
  };
  AllViewFit all_view_fit;
  const bool use_loo = num_views > 2 && options.leave_one_out;
  std::optional<Fit> all_fit;
  if (FitAllViews(views, num_views, options.refine_iterations, use_loo, &all_view_fit)) {
    Fit fit;
    fit.point = all_view_fit.point;
    fit.normal_matrix = all_view_fit.normal_matrix;
    fit.cost = all_view_fit.cost;
    fit.weight_sum = all_view_fit.weight_sum;
    all_fit = fit;
    bool clean = true;
    double error_sum = 0.0;
    for (int i = 0; i < num_views && clean; ++i) {
      const double t = views[i].threshold_px > 0 ? views[i].threshold_px : thr;
      clean = all_view_fit.error_px[i] <= options.fast_path_fraction * t && (!use_loo || all_view_fit.loo_px[i] <= t);
      error_sum += all_view_fit.error_px[i];
    }
    if (clean) {
      set_fit(fit, all, error_sum / num_views);
      return out;
    }
    // One bad view (the common case: an outlier or a swapped joint): drop the view that the
    // others predict worst (relative to its threshold), refit, and accept when the rest is
    // clean by the same tests (with five views or more: with four, a wrong view can hide among
    // three) and the dropped view disagrees with the new fit. Anything else goes to the pair search.
    if (use_loo && num_views >= 5) {
      int worst = -1;
      double worst_ratio = 0.0;
      for (int i = 0; i < num_views; ++i) {
        const double t = views[i].threshold_px > 0 ? views[i].threshold_px : thr;
        const double ratio = std::max(all_view_fit.loo_px[i], all_view_fit.error_px[i]) / t;
        if (ratio > worst_ratio) {
          worst_ratio = ratio;
          worst = i;
        }
      }
      std::array<PointView, kMaxViews> rest;
      int k = 0;
      for (int i = 0; i < num_views; ++i)
        if (i != worst) rest[k++] = views[i];
      AllViewFit rest_fit;
      if (worst >= 0 && FitAllViews(rest.data(), k, options.refine_iterations, true, &rest_fit)) {
        bool rest_clean = true;
        double rest_sum = 0.0;
        for (int i = 0; i < k && rest_clean; ++i) {
          const double t = rest[i].threshold_px > 0 ? rest[i].threshold_px : thr;
          rest_clean = rest_fit.error_px[i] <= options.fast_path_fraction * t && rest_fit.loo_px[i] <= t;
          rest_sum += rest_fit.error_px[i];
        }
        const double t_worst = views[worst].threshold_px > 0 ? views[worst].threshold_px : thr;
        if (rest_clean && ReprojectionErrorPx(views[worst], rest_fit.point) > t_worst) {
          Fit fit_rest;
          fit_rest.point = rest_fit.point;
          fit_rest.normal_matrix = rest_fit.normal_matrix;
          fit_rest.cost = rest_fit.cost;
          fit_rest.weight_sum = rest_fit.weight_sum;
          set_fit(fit_rest, all & ~(uint64_t{1} << worst), rest_sum / k);
          return out;
        }
      }
    }
  }

  // Hypotheses: the fit on all views, then pairs of views in order of decreasing confidence
  // product times the sine of the angle between their rays (a pair of nearly parallel or
  // opposite rays fixes the point poorly along them; ties by index: deterministic).
  std::array<Eigen::Vector3d, kMaxViews> rays;
  for (int i = 0; i < num_views; ++i) rays[i] = (views[i].rotation.transpose() * views[i].normalized.homogeneous()).normalized();
  std::array<std::pair<double, uint16_t>, kMaxViews * (kMaxViews - 1) / 2> pairs;
  int num_pairs = 0;
  for (int i = 0; i < num_views; ++i)
    for (int j = i + 1; j < num_views; ++j) {
      const double sine = rays[i].cross(rays[j]).norm();
      pairs[num_pairs++] = {views[i].weight * views[j].weight * sine, static_cast<uint16_t>(i * kMaxViews + j)};
    }
  std::stable_sort(pairs.begin(), pairs.begin() + num_pairs,
                   [](const auto& a, const auto& b) { return a.first > b.first; });

  double best_score = kInf;
  uint64_t best_mask = 0;
  int best_inliers = 0;
  if (all_fit) {
    uint64_t mask;
    int inliers;
    const double score = ScorePoint(views, num_views, all_fit->point, thr, &mask, &inliers);
    if (inliers >= 2) {
      best_score = score;
      best_mask = mask;
      best_inliers = inliers;
    }
  }
  int max_trials = std::min(num_pairs, options.max_pairs);
  const double log_fail = std::log(1.0 - options.confidence);
  int tried = 0;
  for (int p = 0; p < num_pairs && tried < max_trials; ++p) {
    const int i = pairs[p].second / kMaxViews, j = pairs[p].second % kMaxViews;
    ++tried;
    const PointView two[2] = {views[i], views[j]};
    auto x = TriangulateLinear(two, 2);
    if (!x) continue;
    uint64_t mask;
    int inliers;
    const double score = ScorePoint(views, num_views, *x, thr, &mask, &inliers);
    if (inliers < 2 || !(mask & (uint64_t{1} << i)) || !(mask & (uint64_t{1} << j))) continue;
    if (score < best_score) {
      best_score = score;
      best_mask = mask;
      best_inliers = inliers;
      // Adaptive stopping: trials needed to draw an all-inlier pair with the given confidence.
      const double w = static_cast<double>(inliers) / num_views;
      const double p_good = w * w;
      if (p_good >= 1.0) break;
      const double needed = log_fail / std::log(1.0 - p_good);
      if (needed < max_trials) max_trials = std::max(1, static_cast<int>(std::ceil(needed)));
    }
  }
  out.pairs_tried = tried;
  if (best_inliers < std::max(2, options.min_views)) return out;

  // Local optimisation: refit on the consensus, re-score, repeat while the consensus changes.
  std::optional<Fit> fit;
  uint64_t mask = best_mask, fit_mask = 0;
  for (int round = 0; round < 3; ++round) {
    auto f = FitMask(views, num_views, mask, options.refine_iterations);
    if (!f) break;
    fit = f;
    fit_mask = mask;
    uint64_t new_mask;
    int inliers;
    ScorePoint(views, num_views, f->point, thr, &new_mask, &inliers);
    if (new_mask == mask || inliers < std::max(2, options.min_views)) break;
    mask = new_mask;
  }
  if (!fit || __builtin_popcountll(fit_mask) < std::max(2, options.min_views)) return out;
  set_fit(*fit, fit_mask, kNaN);
  return out;
}

namespace {

// The best-scoring consensus whose point passes `accept`: every view pair's point, refit on its
// consensus (local optimisation), and the fit on all views. Used when the usual estimate
// contradicts the skeleton. nullopt when no hypothesis passes.
template <typename Accept>
std::optional<std::pair<Fit, uint64_t>> BestAcceptedHypothesis(const PointView* views, int n,
                                                               const RobustTriangulationOptions& options,
                                                               const Accept& accept) {
  const double thr = options.reprojection_threshold_px;
  const int min_views = std::max(2, options.min_views);
  std::optional<std::pair<Fit, uint64_t>> best;
  double best_score = kInf;
  auto consider = [&](uint64_t seed_mask) {
    std::optional<Fit> fit = FitMask(views, n, seed_mask, options.refine_iterations);
    if (!fit) return;
    uint64_t mask;
    int inliers;
    ScorePoint(views, n, fit->point, thr, &mask, &inliers);
    // Refit on the consensus when it differs from the seed (and keep the seed otherwise).
    if (mask != seed_mask && inliers >= min_views && (mask & seed_mask) == seed_mask) {
      std::optional<Fit> refit = FitMask(views, n, mask, options.refine_iterations);
      if (refit) fit = refit;
    } else {
      mask = seed_mask;
    }
    if (__builtin_popcountll(mask) < min_views || !accept(fit->point)) return;
    uint64_t scored_mask;
    const double score = ScorePoint(views, n, fit->point, thr, &scored_mask, &inliers);
    if (score < best_score) {
      best_score = score;
      best = std::make_pair(*fit, mask);
    }
  };
  const uint64_t all = n == 64 ? ~uint64_t{0} : ((uint64_t{1} << n) - 1);
  consider(all);
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) consider((uint64_t{1} << i) | (uint64_t{1} << j));
  return best;
}

}  // namespace

void TriangulationOptions::Check() const {
  if (!(min_confidence >= 0)) throw std::invalid_argument("min_confidence must be >= 0");
  if (!(prior_sigma_px > 0)) throw std::invalid_argument("prior_sigma_px must be > 0");
  if (!(bone_tolerance > 0)) throw std::invalid_argument("bone_tolerance must be > 0");
  ransac.Check();
}

std::string TriangulationSummary::BriefReport() const {
  std::ostringstream os;
  os.precision(3);
  os << "triangulated " << num_triangulated << "/" << num_points << " points ("
     << (num_points ? 100.0 * num_triangulated / num_points : 0.0) << "%), mean reprojection error " << mean_error_px
     << " px (median " << median_error_px << "), outliers dropped " << num_outliers_dropped << ", swaps fixed "
     << num_swaps_fixed << ", re-fit to the skeleton " << num_bone_fixed << " (dropped " << num_bone_dropped << ")";
  return os.str();
}

namespace {

struct CameraCache {
  Eigen::Matrix3d rotation;
  Eigen::Vector3d translation;
  double focal = 1.0;
  double fx = 1.0, fy = 1.0, cx = 0.0, cy = 0.0;
  Distortion distortion{};
  bool distorted = false;
  // Pixel of a world point (OpenCV model, as Camera::ImageFromWorld); false behind the camera.
  bool Project(const Eigen::Vector3d& point, Eigen::Vector2d* pixel) const {
    const Eigen::Vector3d p = rotation * point + translation;
    if (!(p.z() > 0.0)) return false;
    const double inv_z = 1.0 / p.z();
    double x = p.x() * inv_z, y = p.y() * inv_z;
    if (distorted) {
      double xd, yd;
      DistortNormalized(distortion.data(), x, y, &xd, &yd);
      x = xd;
      y = yd;
    }
    *pixel = Eigen::Vector2d(fx * x + cx, fy * y + cy);
    return true;
  }
  // Pixel distance between the projection of `point` and an observation (infinity behind).
  double PixelError(const Eigen::Vector3d& point, const Eigen::Vector3d& obs) const {
    Eigen::Vector2d px;
    if (!Project(point, &px)) return kInf;
    return (px - obs.head<2>()).norm();
  }
};

// Everything the per-frame worker needs, shared read-only between threads.
struct SequenceContext {
  const Rig* rig = nullptr;
  const TriangulationOptions* options = nullptr;
  std::vector<CameraCache> cameras;
  std::vector<double> thresholds_px;  // per camera and joint [c * joints + j]; empty: the options' threshold
  int num_joints = 0;
  // Undistorted normalised coordinates of every observation (x/z, y/z, unused), computed once;
  // kept in step with the repaired observations (swaps are applied to both).
  Observations2d* normalized = nullptr;
};

// Builds the views of joint j in frame f from `obs` (which may be a repaired copy).
int BuildViews(const SequenceContext& ctx, const Observations2d& obs, frame_t f, joint_t j, PointView* views,
               camera_t* cams) {
  int n = 0;
  for (camera_t c = 0; c < obs.num_cameras(); ++c) {
    const Eigen::Vector3d& o = obs.at(c, f, j);
    if (!(o.z() >= ctx.options->min_confidence) || !(o.z() > 0.0) || !o.allFinite()) continue;
    PointView& v = views[n];
    v.rotation = ctx.cameras[c].rotation;
    v.translation = ctx.cameras[c].translation;
    v.focal_px = ctx.cameras[c].focal;
    v.normalized = ctx.normalized->at(c, f, j).head<2>();
    v.weight = o.z();
    v.threshold_px = ctx.thresholds_px.empty() ? 0.0 : ctx.thresholds_px[static_cast<size_t>(c) * ctx.num_joints + j];
    cams[n] = c;
    ++n;
  }
  return n;
}

struct PointResult {
  bool success = false;
  Eigen::Vector3d point = Eigen::Vector3d::Constant(kNaN);
  uint64_t camera_mask = 0;
  int num_views = 0;
  int num_candidates = 0;
  bool robust_search = false;
  Eigen::Matrix3d normal_matrix = Eigen::Matrix3d::Zero();  // of the views used, at `point`
  double cost = kNaN;
  double weight_sum = 0.0;
};

PointResult TriangulateJoint(const SequenceContext& ctx, const Observations2d& obs, frame_t f, joint_t j,
                             std::array<PointView, kMaxViews>& views, std::array<camera_t, kMaxViews>& cams) {
  PointResult res;
  const int n = BuildViews(ctx, obs, f, j, views.data(), cams.data());
  res.num_candidates = n;
  if (n < 2) return res;
  const TriangulationOptions& opt = *ctx.options;
  uint64_t local_mask = 0;
  if (opt.robust) {
    const RobustTriangulation r = EstimateTriangulation(views.data(), n, opt.ransac);
    res.robust_search = r.pairs_tried > 0;
    if (!r.success) return res;
    res.point = r.point;
    res.normal_matrix = r.normal_matrix;
    res.cost = r.cost;
    res.weight_sum = r.weight_sum;
    local_mask = r.inlier_mask;
  } else {
    if (n < opt.ransac.min_views) return res;
    auto x = TriangulateLinear(views.data(), n);
    if (!x) return res;
    res.point = RefineTriangulation(views.data(), n, *x, opt.ransac.refine_iterations, &res.normal_matrix, &res.cost);
    for (int i = 0; i < n; ++i) res.weight_sum += views[i].weight;
    local_mask = n == 64 ? ~uint64_t{0} : ((uint64_t{1} << n) - 1);
  }
  res.success = true;
  for (int i = 0; i < n; ++i) {
    if (local_mask & (uint64_t{1} << i)) res.camera_mask |= uint64_t{1} << cams[i];
  }
  res.num_views = __builtin_popcountll(res.camera_mask);
  return res;
}


}  // namespace

TriangulationResult TriangulateSequence(const Rig& rig, const Observations2d& observations,
                                        const TriangulationOptions& options) {
  options.Check();
  if (static_cast<int>(rig.size()) != observations.num_cameras())
    throw std::invalid_argument("TriangulateSequence: rig has " + std::to_string(rig.size()) +
                                " cameras, observations " + std::to_string(observations.num_cameras()));
  if (rig.size() > static_cast<size_t>(kMaxViews)) throw std::invalid_argument("TriangulateSequence: > 64 cameras");
  const int num_frames = observations.num_frames(), num_joints = observations.num_joints();
  const int num_cameras = observations.num_cameras();

  SequenceContext ctx;
  ctx.rig = &rig;
  ctx.options = &options;
  for (const Camera& cam : rig) {
    if (!(cam.fx > 0 && cam.fy > 0)) throw std::invalid_argument("camera '" + cam.name + "' has no intrinsics");
    CameraCache cc;
    cc.rotation = cam.cam_from_world.RotationMatrix();
    cc.translation = cam.cam_from_world.translation;
    cc.focal = cam.MeanFocal();
    cc.fx = cam.fx;
    cc.fy = cam.fy;
    cc.cx = cam.cx;
    cc.cy = cam.cy;
    cc.distortion = cam.distortion;
    cc.distorted = !IsZeroDistortion(cam.distortion);
    ctx.cameras.push_back(cc);
  }

  Observations2d normalized(num_cameras, num_frames, num_joints);
  tbb::parallel_for(tbb::blocked_range<int>(0, num_frames, 256), [&](const tbb::blocked_range<int>& range) {
    for (camera_t c = 0; c < num_cameras; ++c)
      for (frame_t f = range.begin(); f != range.end(); ++f)
        for (joint_t j = 0; j < num_joints; ++j) {
          const Eigen::Vector3d& o = observations.at(c, f, j);
          if (!(o.z() >= options.min_confidence) || !(o.z() > 0.0) || !o.allFinite()) continue;
          normalized.at(c, f, j).head<2>() = rig[c].NormalizedFromImage(o.head<2>());
        }
  });
  ctx.normalized = &normalized;

  // Per-camera, per-joint thresholds from a first pass over evenly spread frames (detector
  // noise differs between joints, e.g. wrists against shoulders, and grows with the person's
  // size in each camera).
  std::vector<double> thresholds(static_cast<size_t>(num_cameras) * num_joints, options.ransac.reprojection_threshold_px);
  ctx.num_joints = num_joints;
  const bool check_bones = options.robust && options.skeleton_check && !options.bones.empty();
  std::vector<double> bone_lengths(options.bones.size(), kNaN);
  if (options.robust && (options.adaptive_threshold || check_bones) && num_frames > 0) {
    const int sample = std::min(num_frames, std::max(1, options.threshold_frames));
    std::vector<std::vector<double>> errs(static_cast<size_t>(sample) * num_cameras * num_joints);
    // Points seen by three views or more in the sample frames, for the bone lengths.
    Points3d sample_points(sample, num_joints);
    tbb::parallel_for(0, sample, [&](int k) {
      const frame_t f = static_cast<frame_t>(static_cast<int64_t>(k) * num_frames / sample);
      std::array<PointView, kMaxViews> views;
      std::array<camera_t, kMaxViews> cams;
      for (joint_t j = 0; j < num_joints; ++j) {
        const PointResult pr = TriangulateJoint(ctx, observations, f, j, views, cams);
        if (!pr.success || pr.num_views < 3) continue;  // two views always agree
        sample_points.at(k, j) = pr.point;
        for (camera_t c = 0; c < num_cameras; ++c)
          if (pr.camera_mask & (uint64_t{1} << c))
            errs[(static_cast<size_t>(k) * num_cameras + c) * num_joints + j].push_back(
                ctx.cameras[c].PixelError(pr.point, observations.at(c, f, j)));
      }
    });
    for (size_t b = 0; b < options.bones.size() && check_bones; ++b) {
      const Bone& bone = options.bones[b];
      if (bone.parent < 0 || bone.child < 0 || bone.parent >= num_joints || bone.child >= num_joints)
        throw std::invalid_argument("TriangulateSequence: a bone names a joint outside the skeleton");
      std::vector<double> lengths;
      for (int k = 0; k < sample; ++k)
        if (sample_points.IsValid(k, bone.parent) && sample_points.IsValid(k, bone.child))
          lengths.push_back((sample_points.at(k, bone.parent) - sample_points.at(k, bone.child)).norm());
      if (lengths.size() < 20) continue;  // too few to trust: no check on this bone
      std::nth_element(lengths.begin(), lengths.begin() + static_cast<std::ptrdiff_t>(lengths.size() / 2), lengths.end());
      bone_lengths[b] = lengths[lengths.size() / 2];
    }
    for (camera_t c = 0; options.adaptive_threshold && c < num_cameras; ++c) {
      std::vector<double> all_joints;
      std::vector<std::vector<double>> per_joint(num_joints);
      for (int k = 0; k < sample; ++k)
        for (joint_t j = 0; j < num_joints; ++j) {
          const auto& e = errs[(static_cast<size_t>(k) * num_cameras + c) * num_joints + j];
          per_joint[j].insert(per_joint[j].end(), e.begin(), e.end());
          all_joints.insert(all_joints.end(), e.begin(), e.end());
        }
      auto median = [](std::vector<double>& v) {
        std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
        return v[v.size() / 2];
      };
      if (all_joints.size() < 30) continue;
      const double camera_median = median(all_joints);
      for (joint_t j = 0; j < num_joints; ++j) {
        // Joints with few samples fall back to the camera's median.
        const double m = per_joint[j].size() >= 30 ? median(per_joint[j]) : camera_median;
        // The median of a 2D Gaussian error's norm is 1.177 sigma.
        thresholds[static_cast<size_t>(c) * num_joints + j] =
            std::clamp(options.threshold_sigmas * m / 1.177, options.min_threshold_px, options.max_threshold_px);
      }
    }
    if (options.adaptive_threshold) ctx.thresholds_px = thresholds;
  }

  TriangulationResult result;
  result.points = Points3d(num_frames, num_joints);
  result.reproj_error_px = FrameJointArray<double>(num_frames, num_joints, kNaN);
  result.num_views = FrameJointArray<int32_t>(num_frames, num_joints, 0);
  result.view_mask = FrameJointArray<uint64_t>(num_frames, num_joints, 0);
  result.uncertainty_m = FrameJointArray<double>(num_frames, num_joints, kNaN);
  if (options.keep_covariance)
    result.covariance.assign(static_cast<size_t>(num_frames) * num_joints, Eigen::Matrix3d::Constant(kNaN));
  result.repaired = observations;

  // Reprojection error of every observation used by a final fit ([c][f][j], NaN otherwise).
  std::vector<float> used_error(static_cast<size_t>(num_cameras) * num_frames * num_joints,
                                std::numeric_limits<float>::quiet_NaN());
  // Per-frame counters, summed in frame order afterwards (deterministic).
  std::vector<int32_t> swaps_per_frame(num_frames, 0), robust_per_frame(num_frames, 0);
  std::vector<int32_t> bone_fixed_per_frame(num_frames, 0), bone_dropped_per_frame(num_frames, 0);

  const bool do_swaps = options.robust && options.repair_swaps && !options.symmetric_pairs.empty();
  std::atomic<size_t> frames_done{0};
  const size_t progress_step = std::max<size_t>(1, static_cast<size_t>(num_frames) / 100);

  tbb::parallel_for(tbb::blocked_range<int>(0, num_frames, 64), [&](const tbb::blocked_range<int>& range) {
    std::array<PointView, kMaxViews> views;
    std::array<camera_t, kMaxViews> cams;
    std::vector<PointResult> joint_results(num_joints);
    std::vector<int8_t> suspect(num_joints, 0);  // skeleton check, reused across frames
    for (frame_t f = range.begin(); f != range.end(); ++f) {
      for (joint_t j = 0; j < num_joints; ++j) joint_results[j] = TriangulateJoint(ctx, result.repaired, f, j, views, cams);

      if (do_swaps) {
        for (const SymmetricPair& pair : options.symmetric_pairs) {
          const PointResult& rl = joint_results[pair.left];
          const PointResult& rr = joint_results[pair.right];
          if (!rl.success || !rr.success) continue;
          bool changed = false;
          for (camera_t c = 0; c < num_cameras; ++c) {
            Eigen::Vector3d& ol = result.repaired.at(c, f, pair.left);
            Eigen::Vector3d& orr = result.repaired.at(c, f, pair.right);
            const bool has_l = ol.z() >= options.min_confidence && ol.z() > 0, has_r = orr.z() >= options.min_confidence && orr.z() > 0;
            const CameraCache& cam = ctx.cameras[c];
            const double thr = ctx.thresholds_px.empty()
                                   ? options.ransac.reprojection_threshold_px
                                   : 0.5 * (ctx.thresholds_px[static_cast<size_t>(c) * num_joints + pair.left] +
                                            ctx.thresholds_px[static_cast<size_t>(c) * num_joints + pair.right]);
            if (has_l && has_r) {
              // Each side's point projected once, compared with both detections.
              Eigen::Vector2d pl, pr;
              if (!cam.Project(rl.point, &pl) || !cam.Project(rr.point, &pr)) continue;
              const double keep = (pl - ol.head<2>()).norm() + (pr - orr.head<2>()).norm();
              const double swap = (pr - ol.head<2>()).norm() + (pl - orr.head<2>()).norm();
              if (swap < 0.5 * keep && swap < 2.0 * thr && keep > 2.0 * thr) {
                std::swap(ol, orr);
                std::swap(normalized.at(c, f, pair.left), normalized.at(c, f, pair.right));
                changed = true;
              }
            } else if (has_l != has_r) {
              // One joint of the pair seen, labelled as the wrong side.
              Eigen::Vector3d& o = has_l ? ol : orr;
              const Eigen::Vector3d& own = has_l ? rl.point : rr.point;
              const Eigen::Vector3d& other = has_l ? rr.point : rl.point;
              const double e_own = cam.PixelError(own, o), e_other = cam.PixelError(other, o);
              if (e_own > thr && e_other < 0.5 * thr && e_other < 0.25 * e_own) {
                std::swap(ol, orr);
                std::swap(normalized.at(c, f, pair.left), normalized.at(c, f, pair.right));
                changed = true;
              }
            }
            if (changed) {
              ++swaps_per_frame[f];
              changed = false;
            }
          }
        }
        // Re-triangulate the joints of pairs that were repaired.
        if (swaps_per_frame[f] > 0) {
          for (const SymmetricPair& pair : options.symmetric_pairs) {
            for (joint_t j : {pair.left, pair.right})
              joint_results[j] = TriangulateJoint(ctx, result.repaired, f, j, views, cams);
          }
        }
      }

      if (check_bones) {
        // A joint is suspect when it misses every checked bone to a neighbour that is itself well
        // supported (three views or more) by more than the tolerance; suspects are decided in
        // joint order against the neighbours' estimates before the check.
        const double tol = options.bone_tolerance;
        auto fits_bones = [&](joint_t j, const Eigen::Vector3d& x, int* checked) {
          int ok = 0;
          *checked = 0;
          for (size_t b = 0; b < options.bones.size(); ++b) {
            const Bone& bone = options.bones[b];
            if (!std::isfinite(bone_lengths[b]) || (bone.parent != j && bone.child != j)) continue;
            const joint_t other = bone.parent == j ? bone.child : bone.parent;
            const PointResult& o = joint_results[other];
            if (!o.success || o.num_views < 3) continue;
            ++*checked;
            if (std::abs((x - o.point).norm() - bone_lengths[b]) <= tol * bone_lengths[b]) ++ok;
          }
          return ok;
        };
        for (joint_t j = 0; j < num_joints; ++j) {
          suspect[j] = 0;
          if (!joint_results[j].success) continue;
          int checked = 0;
          const int ok = fits_bones(j, joint_results[j].point, &checked);
          suspect[j] = checked > 0 && ok == 0;
        }
        for (joint_t j = 0; j < num_joints; ++j) {
          if (!suspect[j]) continue;
          const int n = BuildViews(ctx, result.repaired, f, j, views.data(), cams.data());
          auto accept = [&](const Eigen::Vector3d& x) {
            int checked = 0;
            return fits_bones(j, x, &checked) > 0;
          };
          const auto alt = n >= 2 ? BestAcceptedHypothesis(views.data(), n, options.ransac, accept) : std::nullopt;
          PointResult& pr = joint_results[j];
          if (!alt) {
            // No subset fits: a point from two views is dropped; one that three views or more
            // agree on is kept (the neighbour may be the wrong one).
            if (pr.num_views < 3) {
              pr = PointResult{};
              ++bone_dropped_per_frame[f];
            }
            continue;
          }
          pr.point = alt->first.point;
          pr.normal_matrix = alt->first.normal_matrix;
          pr.cost = alt->first.cost;
          pr.weight_sum = alt->first.weight_sum;
          pr.camera_mask = 0;
          for (int i = 0; i < n; ++i)
            if (alt->second & (uint64_t{1} << i)) pr.camera_mask |= uint64_t{1} << cams[i];
          pr.num_views = __builtin_popcountll(pr.camera_mask);
          ++bone_fixed_per_frame[f];
        }
      }

      for (joint_t j = 0; j < num_joints; ++j) {
        const PointResult& pr = joint_results[j];
        robust_per_frame[f] += pr.robust_search ? 1 : 0;
        if (!pr.success) continue;
        result.points.at(f, j) = pr.point;
        result.view_mask.at(f, j) = pr.camera_mask;
        result.num_views.at(f, j) = pr.num_views;
        // Error (in the distorted image) and covariance over the views used.
        double err_sum = 0.0;
        for (camera_t c = 0; c < num_cameras; ++c) {
          if (!(pr.camera_mask & (uint64_t{1} << c))) continue;
          const double e = ctx.cameras[c].PixelError(pr.point, result.repaired.at(c, f, j));
          used_error[(static_cast<size_t>(c) * num_frames + f) * num_joints + j] = static_cast<float>(e);
          err_sum += e;
        }
        result.reproj_error_px.at(f, j) = err_sum / pr.num_views;
        const Eigen::Matrix3d cov = TriangulationCovarianceFromNormal(pr.normal_matrix, pr.cost, pr.weight_sum,
                                                                      pr.num_views, options.prior_sigma_px);
        result.uncertainty_m.at(f, j) = std::sqrt(cov.trace());
        if (options.keep_covariance) result.covariance[static_cast<size_t>(f) * num_joints + j] = cov;
      }
      if (options.progress) {
        const size_t done = frames_done.fetch_add(1) + 1;
        if (done % progress_step == 0 || done == static_cast<size_t>(num_frames))
          options.progress("triangulating", done, static_cast<size_t>(num_frames));
      }
    }
  });

  // Summary (serial or per camera, so the figures do not depend on the thread count).
  TriangulationSummary& s = result.summary;
  s.num_points = static_cast<int64_t>(num_frames) * num_joints;
  s.cameras.assign(num_cameras, {});
  for (camera_t c = 0; c < num_cameras; ++c) {
    double sum = 0;
    for (joint_t j = 0; j < num_joints; ++j) sum += thresholds[static_cast<size_t>(c) * num_joints + j];
    s.cameras[c].threshold_px = num_joints ? sum / num_joints : kNaN;
  }
  s.joint_triangulated_share.assign(num_joints, 0.0);
  for (frame_t f = 0; f < num_frames; ++f) {
    s.num_swaps_fixed += swaps_per_frame[f];
    s.num_robust_searches += robust_per_frame[f];
    s.num_bone_fixed += bone_fixed_per_frame[f];
    s.num_bone_dropped += bone_dropped_per_frame[f];
    for (joint_t j = 0; j < num_joints; ++j) {
      if (result.points.IsValid(f, j)) {
        ++s.num_triangulated;
        s.joint_triangulated_share[j] += 1.0;
      }
    }
  }
  for (auto& share : s.joint_triangulated_share) share /= std::max(1, num_frames);
  std::vector<std::vector<double>> errors(num_cameras);
  tbb::parallel_for(0, num_cameras, [&](int c) {
    CameraTriangulationStats& cs = s.cameras[c];
    auto& errs = errors[c];
    for (frame_t f = 0; f < num_frames; ++f) {
      for (joint_t j = 0; j < num_joints; ++j) {
        const Eigen::Vector3d& o = result.repaired.at(c, f, j);
        if (!(o.z() >= options.min_confidence && o.z() > 0 && o.allFinite())) continue;
        ++cs.observed;
        if (result.view_mask.at(f, j) & (uint64_t{1} << c)) {
          ++cs.used;
          errs.push_back(used_error[(static_cast<size_t>(c) * num_frames + f) * num_joints + j]);
        }
      }
    }
    if (!errs.empty()) {
      cs.mean_error_px = std::accumulate(errs.begin(), errs.end(), 0.0) / static_cast<double>(errs.size());
      std::vector<double> tmp = errs;
      std::nth_element(tmp.begin(), tmp.begin() + static_cast<std::ptrdiff_t>(tmp.size() / 2), tmp.end());
      cs.median_error_px = tmp[tmp.size() / 2];
    }
  });
  std::vector<double> all_errors;
  for (int c = 0; c < num_cameras; ++c) {
    s.num_observations += s.cameras[c].observed;
    all_errors.insert(all_errors.end(), errors[c].begin(), errors[c].end());
  }
  // Observations of triangulated points that the robust fit did not use.
  int64_t used_total = 0, observed_of_triangulated = 0;
  for (frame_t f = 0; f < num_frames; ++f) {
    for (joint_t j = 0; j < num_joints; ++j) {
      if (!result.points.IsValid(f, j)) continue;
      for (camera_t c = 0; c < num_cameras; ++c) {
        const Eigen::Vector3d& o = result.repaired.at(c, f, j);
        if (o.z() >= options.min_confidence && o.z() > 0 && o.allFinite()) ++observed_of_triangulated;
      }
      used_total += result.num_views.at(f, j);
    }
  }
  s.num_outliers_dropped = observed_of_triangulated - used_total;
  if (!all_errors.empty()) {
    s.mean_error_px = std::accumulate(all_errors.begin(), all_errors.end(), 0.0) / static_cast<double>(all_errors.size());
    std::nth_element(all_errors.begin(), all_errors.begin() + static_cast<std::ptrdiff_t>(all_errors.size() / 2),
                     all_errors.end());
    s.median_error_px = all_errors[all_errors.size() / 2];
  }
  return result;
}

}  // namespace epilabel
