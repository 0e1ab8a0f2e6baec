#include "geometry/estimators/point_triangulation.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include <Eigen/Cholesky>
#include <Eigen/Geometry>
#include <Eigen/LU>

#include "geometry/estimators/ransac.h"

namespace epilabel {

namespace {

constexpr int kMaxViews = kMaxTriangulationViews;
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
struct PointFit {
  Eigen::Vector3d point = Eigen::Vector3d::Zero();
  Eigen::Matrix3d normal_matrix = Eigen::Matrix3d::Zero();
  double cost = kNaN;
  double weight_sum = 0.0;
};

// A fit on the views of `mask`: linear then refined. nullopt when degenerate.
std::optional<PointFit> FitMask(const PointView* views, int n, uint64_t mask, int iterations) {
  std::array<PointView, kMaxViews> subset;
  const int k = Gather(views, n, mask, subset.data());
  auto linear = TriangulateLinear(subset.data(), k);
  if (!linear) return std::nullopt;
  PointFit fit;
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


// The per-view threshold, else the estimator's.
inline double ThresholdOf(const PointView& view, double threshold) {
  return view.threshold_px > 0 ? view.threshold_px : threshold;
}

PointFit FitOf(const AllViewFit& all) {
  PointFit fit;
  fit.point = all.point;
  fit.normal_matrix = all.normal_matrix;
  fit.cost = all.cost;
  fit.weight_sum = all.weight_sum;
  return fit;
}

uint64_t AllViewsMask(int n) { return n == 64 ? ~uint64_t{0} : ((uint64_t{1} << n) - 1); }

uint64_t ToBits(const std::vector<uint8_t>& flags) {
  uint64_t mask = 0;
  for (size_t i = 0; i < flags.size(); ++i)
    if (flags[i]) mask |= uint64_t{1} << i;
  return mask;
}

// The result of a fit on the views of `mask`, without its mean error.
void SetFitWithoutError(const PointFit& fit, uint64_t mask, RobustTriangulation* out) {
  out->success = true;
  out->point = fit.point;
  out->inlier_mask = mask;
  out->num_inliers = __builtin_popcountll(mask);
  out->mean_error_px = kNaN;
  out->normal_matrix = fit.normal_matrix;
  out->cost = fit.cost;
  out->weight_sum = fit.weight_sum;
}

// The same with the mean error (computed when not given).
void SetFit(const PointView* views, int n, const PointFit& fit, uint64_t mask, double mean_error_px,
            RobustTriangulation* out) {
  SetFitWithoutError(fit, mask, out);
  out->mean_error_px = std::isfinite(mean_error_px) ? mean_error_px : MeanError(views, n, mask, fit.point);
}

// Whether every view agrees with a fit on all of them: its error below fast_path_fraction of its
// threshold and (with leave_one_out) its leave-one-out prediction error below the threshold.
// `error_sum` receives the sum of the errors (meaningful when clean).
bool IsClean(const PointView* views, int n, const AllViewFit& fit, const RobustTriangulationOptions& options,
             bool leave_one_out, double* error_sum) {
  bool clean = true;
  *error_sum = 0.0;
  for (int i = 0; i < n && clean; ++i) {
    const double t = ThresholdOf(views[i], options.reprojection_threshold_px);
    clean = fit.error_px[i] <= options.fast_path_fraction * t && (!leave_one_out || fit.loo_px[i] <= t);
    *error_sum += fit.error_px[i];
  }
  return clean;
}

// One bad view (the common case: an outlier or a swapped joint): drops the view that the others
// predict worst (relative to its threshold), refits, and accepts when the rest is clean by the
// fast path's tests and the dropped view disagrees with the new fit. Needs leave-one-out errors
// in `all`. Returns false (out untouched) otherwise.
bool TryAllButWorst(const PointView* views, int n, const AllViewFit& all, const RobustTriangulationOptions& options,
                    RobustTriangulation* out) {
  const double thr = options.reprojection_threshold_px;
  int worst = -1;
  double worst_ratio = 0.0;
  for (int i = 0; i < n; ++i) {
    const double ratio = std::max(all.loo_px[i], all.error_px[i]) / ThresholdOf(views[i], thr);
    if (ratio > worst_ratio) {
      worst_ratio = ratio;
      worst = i;
    }
  }
  if (worst < 0) return false;
  std::array<PointView, kMaxViews> rest;
  int k = 0;
  for (int i = 0; i < n; ++i)
    if (i != worst) rest[k++] = views[i];
  AllViewFit rest_fit;
  if (!FitAllViews(rest.data(), k, options.refine_iterations, true, &rest_fit)) return false;
  double rest_sum = 0.0;
  if (!IsClean(rest.data(), k, rest_fit, options, true, &rest_sum)) return false;
  if (!(ReprojectionErrorPx(views[worst], rest_fit.point) > ThresholdOf(views[worst], thr))) return false;
  SetFit(views, n, FitOf(rest_fit), AllViewsMask(n) & ~(uint64_t{1} << worst), rest_sum / k, out);
  return true;
}

// The estimator of ransac.h for one point: models are fits (the point of a view pair, or a
// least-squares fit with its normal equations), residuals squared pixel errors (infinity behind
// a camera), thresholds the squared per-view thresholds, weights the views' confidences.
class PointEstimator {
 public:
  using Model = PointFit;
  static constexpr int kSampleSize = 2;
  PointEstimator(const PointView* views, int n, double threshold_px, int refine_iterations)
      : views_(views), n_(n), threshold_px_(threshold_px), refine_iterations_(refine_iterations) {}
  int NumData() const { return n_; }
  bool Fit(const std::array<int, 2>& pair, Model* model) const {
    const PointView two[2] = {views_[pair[0]], views_[pair[1]]};
    const auto x = TriangulateLinear(two, 2);
    if (!x) return false;
    model->point = *x;
    return true;
  }
  double Residual(const Model& model, int i) const {
    Eigen::Vector2d r;
    Eigen::Vector3d x;
    if (!epilabel::Residual(views_[i], model.point, &r, &x)) return kInf;
    return r.squaredNorm();
  }
  double Threshold(int i) const {
    const double t = ThresholdOf(views_[i], threshold_px_);
    return t * t;
  }
  double Weight(int i) const { return views_[i].weight; }
  bool Refit(const std::vector<uint8_t>& inliers, Model* model) const {
    const auto fit = FitMask(views_, n_, ToBits(inliers), refine_iterations_);
    if (!fit) return false;
    *model = *fit;
    return true;
  }

 private:
  const PointView* views_ = nullptr;
  int n_ = 0;
  double threshold_px_ = 0.0;
  int refine_iterations_ = 1;
};

// MSAC scoring of points (the pair search and the accepted-hypothesis search).
RansacOptions PointScoring(const RobustTriangulationOptions& options) {
  RansacOptions ro;
  ro.threshold = options.reprojection_threshold_px * options.reprojection_threshold_px;
  ro.scoring = RansacScoring::kMsac;
  ro.confidence = options.confidence;
  ro.min_inliers = 2;
  return ro;
}

// View pairs in order of decreasing confidence product times the sine of the angle between
// their rays (a pair of nearly parallel or opposite rays fixes the point poorly along them;
// ties by index: deterministic). Returns the number of pairs written to `pairs`.
int OrderedViewPairs(const PointView* views, int n, std::array<int, 2>* pairs) {
  std::array<Eigen::Vector3d, kMaxViews> rays;
  for (int i = 0; i < n; ++i) rays[i] = (views[i].rotation.transpose() * views[i].normalized.homogeneous()).normalized();
  std::array<std::pair<double, uint16_t>, kMaxViews * (kMaxViews - 1) / 2> ranked;
  int num_pairs = 0;
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) {
      const double sine = rays[i].cross(rays[j]).norm();
      ranked[num_pairs++] = {views[i].weight * views[j].weight * sine, static_cast<uint16_t>(i * kMaxViews + j)};
    }
  std::stable_sort(ranked.begin(), ranked.begin() + num_pairs,
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (int p = 0; p < num_pairs; ++p) pairs[p] = {ranked[p].second / kMaxViews, ranked[p].second % kMaxViews};
  return num_pairs;
}

}  // namespace

RobustTriangulation EstimateTriangulation(const PointView* views, int num_views,
                                          const RobustTriangulationOptions& options) {
  RobustTriangulation out;
  if (num_views < options.min_views || num_views < 2) return out;
  if (num_views > kMaxViews) throw std::invalid_argument("EstimateTriangulation: more than 64 views");

  // Fast path: every view agrees with the fit on all views, and with the fit of the others
  // (leave-one-out: a least-squares fit spreads one bad view's error over the others, so a
  // residual test alone would let it through); then the all-but-one fit (with five views or
  // more: with four, a wrong view can hide among three). Anything else goes to the pair search.
  AllViewFit all_view_fit;
  const bool use_loo = num_views > 2 && options.leave_one_out;
  std::optional<PointFit> all_fit;
  if (FitAllViews(views, num_views, options.refine_iterations, use_loo, &all_view_fit)) {
    all_fit = FitOf(all_view_fit);
    double error_sum = 0.0;
    if (IsClean(views, num_views, all_view_fit, options, use_loo, &error_sum)) {
      SetFit(views, num_views, *all_fit, AllViewsMask(num_views), error_sum / num_views, &out);
      return out;
    }
    if (use_loo && num_views >= 5 && TryAllButWorst(views, num_views, all_view_fit, options, &out)) return out;
  }

  // Pair search: the fit on all views, then view pairs in order (deterministic LO-RANSAC with
  // MSAC scoring and adaptive stopping; a pair must explain both of its views), and the best
  // consensus refit and re-scored up to three times (local optimisation).
  std::array<std::array<int, 2>, kMaxViews * (kMaxViews - 1) / 2> pairs;
  const int num_pairs = OrderedViewPairs(views, num_views, pairs.data());
  RansacOptions ro = PointScoring(options);
  ro.max_iterations = std::min(num_pairs, options.max_pairs);
  ro.sample_must_be_inliers = true;
  ro.min_consensus = std::max(2, options.min_views);
  ro.local_optimization_rounds = 3;
  const PointEstimator estimator(views, num_views, options.reprojection_threshold_px, options.refine_iterations);
  OrderedSampler<2> sampler(pairs.data(), num_pairs);
  const RansacResult<PointFit> found = Ransac(estimator, sampler, ro, all_fit ? &*all_fit : nullptr);
  out.pairs_tried = found.summary.iterations;
  // The point is always a least-squares refit (a pair's point has no normal equations).
  if (!found.success || found.summary.num_refits == 0 || found.summary.num_inliers < ro.min_consensus) return out;
  SetFit(views, num_views, found.model, ToBits(found.inlier_mask), kNaN, &out);
  return out;
}

RobustTriangulation EstimateTriangulationAccepted(const PointView* views, int num_views,
                                                  const RobustTriangulationOptions& options,
                                                  const std::function<bool(const Eigen::Vector3d&)>& accept) {
  RobustTriangulation out;
  const int n = num_views;
  if (n < 2) return out;
  if (n > kMaxViews) throw std::invalid_argument("EstimateTriangulationAccepted: more than 64 views");
  const int min_views = std::max(2, options.min_views);
  const PointEstimator estimator(views, n, options.reprojection_threshold_px, options.refine_iterations);
  const RansacOptions scoring = PointScoring(options);
  std::vector<uint8_t> flags;
  auto score = [&](const PointFit& fit, uint64_t* mask, int* inliers) {
    const double cost = ScoreRansacModel(estimator, scoring, fit, &flags, inliers);
    *mask = ToBits(flags);
    return cost;
  };
  double best_score = kInf;
  auto consider = [&](uint64_t seed_mask) {
    std::optional<PointFit> fit = FitMask(views, n, seed_mask, options.refine_iterations);
    if (!fit) return;
    uint64_t mask;
    int inliers;
    score(*fit, &mask, &inliers);
    // Refit on the consensus when it contains the seed (and keep the seed otherwise).
    if (mask != seed_mask && inliers >= min_views && (mask & seed_mask) == seed_mask) {
      std::optional<PointFit> refit = FitMask(views, n, mask, options.refine_iterations);
      if (refit) fit = refit;
    } else {
      mask = seed_mask;
    }
    if (__builtin_popcountll(mask) < min_views || !accept(fit->point)) return;
    uint64_t scored_mask;
    const double cost = score(*fit, &scored_mask, &inliers);
    if (cost < best_score) {
      best_score = cost;
      SetFitWithoutError(*fit, mask, &out);
    }
  };
  consider(AllViewsMask(n));
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) consider((uint64_t{1} << i) | (uint64_t{1} << j));
  out.pairs_tried = n * (n - 1) / 2;
  return out;
}

}  // namespace epilabel
