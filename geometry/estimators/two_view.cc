#include "geometry/estimators/two_view.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <Eigen/SVD>
#include <opencv2/calib3d.hpp>
#include <opencv2/core/eigen.hpp>

namespace epilabel {

void TwoViewOptions::Check() const {
  if (!(threshold_px > 0)) throw std::invalid_argument("two-view threshold_px must be > 0");
  if (!(confidence > 0 && confidence < 1)) throw std::invalid_argument("two-view confidence must be in (0, 1)");
  if (max_iterations < 1) throw std::invalid_argument("two-view max_iterations must be >= 1");
}

namespace {

cv::UsacParams MakeUsacParams(const TwoViewOptions& options, double threshold) {
  cv::UsacParams params;
  params.confidence = options.confidence;
  params.isParallel = false;
  params.loIterations = 10;
  params.loMethod = cv::LOCAL_OPTIM_SIGMA;
  params.loSampleSize = 14;
  params.maxIterations = options.max_iterations;
  params.neighborsSearch = cv::NEIGH_GRID;
  params.randomGeneratorState = static_cast<int>(options.seed & 0x7fffffff);
  params.sampler = cv::SAMPLING_UNIFORM;
  params.score = cv::SCORE_METHOD_MAGSAC;
  params.threshold = threshold;
  return params;
}

std::vector<cv::Point2d> ToCv(const std::vector<Eigen::Vector2d>& v) {
  std::vector<cv::Point2d> out;
  out.reserve(v.size());
  for (const auto& p : v) out.emplace_back(p.x(), p.y());
  return out;
}

double AngleDeg(const Eigen::Vector3d& a, const Eigen::Vector3d& b) {
  const double c = a.normalized().dot(b.normalized());
  return std::acos(std::clamp(c, -1.0, 1.0)) * 180.0 / M_PI;
}

}  // namespace

namespace {

// Pose, inliers (those passing the cheirality check among `mask`) and parallax from an
// essential matrix.
TwoViewGeometry FromEssential(const cv::Mat& e, const std::vector<cv::Point2d>& p1, const std::vector<cv::Point2d>& p2,
                              const std::vector<Eigen::Vector2d>& normalized1,
                              const std::vector<Eigen::Vector2d>& normalized2, cv::Mat mask, double threshold_px) {
  TwoViewGeometry out;
  out.num_correspondences = static_cast<int>(normalized1.size());
  out.inlier_mask.assign(normalized1.size(), 0);
  out.threshold_px = threshold_px;
  if (e.empty() || e.rows != 3 || e.cols != 3) return out;
  Eigen::Matrix3d er;
  cv::cv2eigen(e, er);
  out.essential = er;
  const cv::Mat identity = cv::Mat::eye(3, 3, CV_64F);
  cv::Mat r, t;
  const int good = cv::recoverPose(e, p1, p2, identity, r, t, mask);
  if (good < 5) return out;
  Eigen::Matrix3d rr;
  Eigen::Vector3d tt;
  cv::cv2eigen(r, rr);
  cv::cv2eigen(t, tt);
  out.cam2_from_cam1 = Rigid3d(rr, tt.normalized());
  // Angles between the two rays of every inlier.
  std::vector<double> angles;
  for (int i = 0; i < mask.rows; ++i) {
    if (mask.at<uint8_t>(i) == 0) continue;
    out.inlier_mask[i] = 1;
    ++out.num_inliers;
    const Eigen::Vector3d ray1 = normalized1[i].homogeneous();
    // Ray 2 rotated into camera 1: the angle between the rays is the parallax of the point.
    const Eigen::Vector3d ray2 = rr.transpose() * normalized2[i].homogeneous();
    angles.push_back(AngleDeg(ray1, ray2));
  }
  if (!angles.empty()) {
    std::nth_element(angles.begin(), angles.begin() + static_cast<std::ptrdiff_t>(angles.size() / 2), angles.end());
    out.median_angle_deg = angles[angles.size() / 2];
  }
  out.success = out.num_inliers >= 5;
  // Parallax saturates around 20 degrees; below ~2 degrees the relative pose is weak.
  out.quality = out.num_inliers * std::min(1.0, out.median_angle_deg / 20.0);
  return out;
}

// Sampson distance of every correspondence to a model, pixels (infinite where undefined).
std::vector<double> SampsonDistancesPx(const Eigen::Matrix3d& e, const std::vector<Eigen::Vector2d>& normalized1,
                                       const std::vector<Eigen::Vector2d>& normalized2, double focal_px) {
  std::vector<double> d(normalized1.size(), std::numeric_limits<double>::infinity());
  for (size_t i = 0; i < normalized1.size(); ++i) {
    const Eigen::Vector3d x1 = normalized1[i].homogeneous(), x2 = normalized2[i].homogeneous();
    const Eigen::Vector3d ex1 = e * x1, etx2 = e.transpose() * x2;
    const double denom = ex1.head<2>().squaredNorm() + etx2.head<2>().squaredNorm();
    if (denom > 0) d[i] = std::abs(x2.dot(ex1)) / std::sqrt(denom) * focal_px;
  }
  return d;
}

}  // namespace

TwoViewGeometry EstimateRelativeCameraPose(const std::vector<Eigen::Vector2d>& normalized1,
                                     const std::vector<Eigen::Vector2d>& normalized2, double focal1, double focal2,
                                     const TwoViewOptions& options) {
  options.Check();
  if (normalized1.size() != normalized2.size()) throw std::invalid_argument("EstimateRelativeCameraPose: size mismatch");
  TwoViewGeometry none;
  none.num_correspondences = static_cast<int>(normalized1.size());
  none.inlier_mask.assign(normalized1.size(), 0);
  none.threshold_px = options.threshold_px;
  if (normalized1.size() < 8) return none;
  const std::vector<cv::Point2d> p1 = ToCv(normalized1), p2 = ToCv(normalized2);
  const double focal = std::sqrt(focal1 * focal2);
  cv::Mat mask, e;
  try {
    // OpenCV 4.6 ignores the camera matrices in the UsacParams overload, so use the method
    // overload (its USAC random state is fixed, hence deterministic). The threshold is in
    // normalised units: pixels over the geometric mean focal length.
    e = cv::findEssentialMat(p1, p2, cv::Mat::eye(3, 3, CV_64F), cv::USAC_MAGSAC, options.confidence,
                             options.threshold_px / focal, options.max_iterations, mask);
  } catch (const cv::Exception&) {
    return none;
  }
  TwoViewGeometry g = FromEssential(e, p1, p2, normalized1, normalized2, mask, options.threshold_px);
  const double n = static_cast<double>(normalized1.size());
  if (options.max_adaptive_threshold_px > options.threshold_px && g.essential.squaredNorm() > 0 &&
      g.num_inliers < options.adapt_below_inlier_ratio * n) {
    // Keep the model (a wider threshold in the estimator itself gave worse poses: the noise
    // flattens the cost), but count as inliers what agrees with it within 3 robust sigmas.
    const std::vector<double> d = SampsonDistancesPx(g.essential, normalized1, normalized2, focal);
    std::vector<double> sorted = d;
    std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2), sorted.end());
    const double sigma = 1.4826 * sorted[sorted.size() / 2];
    const double wider = std::min(options.max_adaptive_threshold_px, 3.0 * sigma);
    if (std::isfinite(wider) && wider > 1.2 * options.threshold_px) {
      cv::Mat wide_mask(static_cast<int>(d.size()), 1, CV_8U);
      for (size_t i = 0; i < d.size(); ++i) wide_mask.at<uint8_t>(static_cast<int>(i)) = d[i] <= wider ? 1 : 0;
      TwoViewGeometry again = FromEssential(e, p1, p2, normalized1, normalized2, wide_mask, wider);
      if (again.success && again.num_inliers > g.num_inliers) g = std::move(again);
    }
  }
  return g;
}

FundamentalEstimate EstimateFundamental(const std::vector<Eigen::Vector2d>& pixels1,
                                        const std::vector<Eigen::Vector2d>& pixels2, const TwoViewOptions& options) {
  options.Check();
  FundamentalEstimate out;
  out.inlier_mask.assign(pixels1.size(), 0);
  if (pixels1.size() != pixels2.size()) throw std::invalid_argument("EstimateFundamental: size mismatch");
  if (pixels1.size() < 8) return out;
  cv::Mat mask;
  cv::Mat f;
  try {
    f = cv::findFundamentalMat(ToCv(pixels1), ToCv(pixels2), mask, MakeUsacParams(options, options.threshold_px));
  } catch (const cv::Exception&) {
    return out;
  }
  if (f.empty() || f.rows != 3 || f.cols != 3) return out;
  cv::cv2eigen(f, out.fundamental);
  for (int i = 0; i < mask.rows; ++i) {
    if (mask.at<uint8_t>(i)) {
      out.inlier_mask[i] = 1;
      ++out.num_inliers;
    }
  }
  out.success = out.num_inliers >= 8;
  return out;
}

namespace {

double EssentialCost(const Eigen::Matrix3d& f, const Eigen::Vector2d& pp_a, double focal_a, const Eigen::Vector2d& pp_b,
                     double focal_b) {
  Eigen::Matrix3d ka = Eigen::Matrix3d::Identity(), kb = Eigen::Matrix3d::Identity();
  ka(0, 0) = ka(1, 1) = focal_a;
  ka(0, 2) = pp_a.x();
  ka(1, 2) = pp_a.y();
  kb(0, 0) = kb(1, 1) = focal_b;
  kb(0, 2) = pp_b.x();
  kb(1, 2) = pp_b.y();
  const Eigen::Matrix3d e = kb.transpose() * f * ka;
  const Eigen::Vector3d s = Eigen::JacobiSVD<Eigen::Matrix3d>(e).singularValues();
  if (!(s(0) + s(1) > 0)) return 1.0;
  return (s(0) - s(1)) / (s(0) + s(1));
}

}  // namespace

std::vector<double> FocalFromFundamentals(int num_cameras, const std::vector<Eigen::Vector2d>& principal_points,
                                          const std::vector<FundamentalPair>& pairs, const std::vector<double>& initial,
                                          double min_focal, double max_focal) {
  std::vector<double> focal = initial;
  auto total_cost = [&](int cam, double value) {
    double cost = 0.0;
    for (const FundamentalPair& p : pairs) {
      if (p.camera_a != cam && p.camera_b != cam) continue;
      const double fa = p.camera_a == cam ? value : focal[p.camera_a];
      const double fb = p.camera_b == cam ? value : focal[p.camera_b];
      cost += p.weight * EssentialCost(p.fundamental, principal_points[p.camera_a], fa, principal_points[p.camera_b], fb);
    }
    return cost;
  };
  std::vector<bool> in_pair(num_cameras, false);
  for (const auto& p : pairs) in_pair[p.camera_a] = in_pair[p.camera_b] = true;
  const double log_min = std::log(min_focal), log_max = std::log(max_focal);
  // Coordinate descent: a coarse grid per camera, a few sweeps, then golden-section polishing.
  for (int sweep = 0; sweep < 4; ++sweep) {
    for (int c = 0; c < num_cameras; ++c) {
      if (!in_pair[c]) continue;
      constexpr int kGrid = 80;
      double best = focal[c], best_cost = total_cost(c, focal[c]);
      for (int k = 0; k <= kGrid; ++k) {
        const double v = std::exp(log_min + (log_max - log_min) * k / kGrid);
        const double cost = total_cost(c, v);
        if (cost < best_cost) {
          best_cost = cost;
          best = v;
        }
      }
      focal[c] = best;
    }
  }
  const double step = (log_max - log_min) / 80;
  for (int sweep = 0; sweep < 3; ++sweep) {
    for (int c = 0; c < num_cameras; ++c) {
      if (!in_pair[c]) continue;
      double a = std::log(focal[c]) - step, b = std::log(focal[c]) + step;
      const double g = (std::sqrt(5.0) - 1.0) / 2.0;
      double x1 = b - g * (b - a), x2 = a + g * (b - a);
      double f1 = total_cost(c, std::exp(x1)), f2 = total_cost(c, std::exp(x2));
      for (int it = 0; it < 40; ++it) {
        if (f1 < f2) {
          b = x2;
          x2 = x1;
          f2 = f1;
          x1 = b - g * (b - a);
          f1 = total_cost(c, std::exp(x1));
        } else {
          a = x1;
          x1 = x2;
          f1 = f2;
          x2 = a + g * (b - a);
          f2 = total_cost(c, std::exp(x2));
        }
      }
      focal[c] = std::exp(0.5 * (a + b));
    }
  }
  return focal;
}

}  // namespace epilabel
