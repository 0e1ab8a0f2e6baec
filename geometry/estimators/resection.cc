#include "geometry/estimators/resection.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

#include <Eigen/Dense>
#include <opencv2/calib3d.hpp>
#include <opencv2/core/eigen.hpp>

namespace epilabel {

void ResectionOptions::Check() const {
  if (!(threshold_px > 0)) throw std::invalid_argument("resection threshold_px must be > 0");
  if (!(confidence > 0 && confidence < 1)) throw std::invalid_argument("resection confidence must be in (0, 1)");
  if (max_iterations < 1) throw std::invalid_argument("resection max_iterations must be >= 1");
}

namespace {

// Scores a pose: inliers and RMS over inliers, with errors in pixels.
void ScorePose(const std::vector<Eigen::Vector3d>& points, const std::vector<Eigen::Vector2d>& observed,
               const Eigen::Matrix3d& r, const Eigen::Vector3d& t, double focal, const Eigen::Vector2d& pp,
               bool pixel_space, double threshold, std::vector<uint8_t>* mask, int* inliers, double* rms) {
  mask->assign(points.size(), 0);
  *inliers = 0;
  double sum = 0.0;
  for (size_t i = 0; i < points.size(); ++i) {
    const Eigen::Vector3d x = r * points[i] + t;
    if (!(x.z() > 0)) continue;
    Eigen::Vector2d proj = x.hnormalized();
    double err;
    if (pixel_space) {
      proj = focal * proj + pp;
      err = (proj - observed[i]).norm();
    } else {
      err = focal * (proj - observed[i]).norm();
    }
    if (err < threshold) {
      (*mask)[i] = 1;
      ++*inliers;
      sum += err * err;
    }
  }
  *rms = *inliers > 0 ? std::sqrt(sum / *inliers) : 0.0;
}

}  // namespace

ResectionResult EstimateResection(const std::vector<Eigen::Vector3d>& points_in_world,
                                  const std::vector<Eigen::Vector2d>& normalized, double focal_px,
                                  const ResectionOptions& options) {
  options.Check();
  ResectionResult out;
  if (points_in_world.size() != normalized.size()) throw std::invalid_argument("EstimateResection: size mismatch");
  if (points_in_world.size() < 6) return out;
  std::vector<cv::Point3d> obj;
  std::vector<cv::Point2d> img;
  for (size_t i = 0; i < points_in_world.size(); ++i) {
    obj.emplace_back(points_in_world[i].x(), points_in_world[i].y(), points_in_world[i].z());
    img.emplace_back(normalized[i].x(), normalized[i].y());
  }
  const cv::Mat identity = cv::Mat::eye(3, 3, CV_64F);
  cv::Mat rvec, tvec;
  std::vector<int> inliers;
  bool ok = false;
  try {
    ok = cv::solvePnPRansac(obj, img, identity, cv::noArray(), rvec, tvec, false, options.max_iterations,
                            static_cast<float>(options.threshold_px / focal_px), options.confidence, inliers,
                            cv::SOLVEPNP_EPNP);
  } catch (const cv::Exception&) {
    ok = false;
  }
  if (!ok || inliers.size() < 6) return out;
  std::vector<cv::Point3d> obj_in;
  std::vector<cv::Point2d> img_in;
  for (int i : inliers) {
    obj_in.push_back(obj[i]);
    img_in.push_back(img[i]);
  }
  cv::solvePnPRefineLM(obj_in, img_in, identity, cv::noArray(), rvec, tvec);
  Eigen::Vector3d rv, tv;
  cv::cv2eigen(rvec, rv);
  cv::cv2eigen(tvec, tv);
  const Eigen::Matrix3d r = RotationFromRodrigues(rv);
  ScorePose(points_in_world, normalized, r, tv, focal_px, Eigen::Vector2d::Zero(), false, options.threshold_px,
            &out.inlier_mask, &out.num_inliers, &out.rms_error_px);
  out.cam_from_world = Rigid3d(r, tv);
  out.focal_px = focal_px;
  out.success = out.num_inliers >= 6;
  return out;
}

namespace {

// DLT projection matrix from >= 6 correspondences (pixels already shifted by the principal
// point), with Hartley normalisation of both point sets.
bool ProjectionDLT(const std::vector<Eigen::Vector3d>& x3, const std::vector<Eigen::Vector2d>& x2,
                   const std::vector<int>& idx, Eigen::Matrix<double, 3, 4>* p) {
  const int n = static_cast<int>(idx.size());
  Eigen::Vector3d c3 = Eigen::Vector3d::Zero();
  double s2 = 0.0, s3 = 0.0;
  for (int k = 0; k < n; ++k) c3 += x3[idx[k]];
  c3 /= n;
  for (int k = 0; k < n; ++k) {
    s3 += (x3[idx[k]] - c3).norm();
    s2 += x2[idx[k]].norm();
  }
  s3 = s3 > 0 ? n / s3 : 1.0;  // mean distance becomes 1
  s2 = s2 > 0 ? n / s2 : 1.0;
  Eigen::MatrixXd a(2 * n, 12);
  a.setZero();
  for (int k = 0; k < n; ++k) {
    const Eigen::Vector4d xh = (s3 * (x3[idx[k]] - c3)).homogeneous();
    const double u = s2 * x2[idx[k]].x(), v = s2 * x2[idx[k]].y();
    a.block<1, 4>(2 * k, 0) = xh.transpose();
    a.block<1, 4>(2 * k, 8) = -u * xh.transpose();
    a.block<1, 4>(2 * k + 1, 4) = xh.transpose();
    a.block<1, 4>(2 * k + 1, 8) = -v * xh.transpose();
  }
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(a, Eigen::ComputeFullV);
  const Eigen::VectorXd h = svd.matrixV().col(11);
  Eigen::Matrix<double, 3, 4> pn;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) pn(r, c) = h(4 * r + c);
  // Undo the normalisations: P = T2^-1 Pn T3.
  Eigen::Matrix3d t2_inv = Eigen::Matrix3d::Identity();
  t2_inv(0, 0) = t2_inv(1, 1) = 1.0 / s2;
  Eigen::Matrix4d t3 = Eigen::Matrix4d::Identity();
  t3.topLeftCorner<3, 3>() *= s3;
  t3.block<3, 1>(0, 3) = -s3 * c3;
  *p = t2_inv * pn * t3;
  return p->allFinite();
}

// Decomposes P = K [R | t] (RQ), returning the mean focal of K, R and t with det(R) = +1 and
// points in front.
bool DecomposeProjection(Eigen::Matrix<double, 3, 4> p, double* focal, Eigen::Matrix3d* r, Eigen::Vector3d* t) {
  Eigen::Matrix3d m = p.leftCols<3>();
  if (m.determinant() < 0) {
    p = -p;
    m = -m;
  }
  // RQ via QR of the flipped transpose.
  Eigen::Matrix3d flip;
  flip << 0, 0, 1, 0, 1, 0, 1, 0, 0;
  const Eigen::Matrix3d mt = (flip * m).transpose();
  Eigen::HouseholderQR<Eigen::Matrix3d> qr(mt);
  Eigen::Matrix3d q = qr.householderQ();
  Eigen::Matrix3d rr = qr.matrixQR().triangularView<Eigen::Upper>();
  Eigen::Matrix3d k = flip * rr.transpose() * flip;
  Eigen::Matrix3d rot = flip * q.transpose();
  // Make the diagonal of K positive.
  for (int i = 0; i < 3; ++i) {
    if (k(i, i) < 0) {
      k.col(i) *= -1;
      rot.row(i) *= -1;
    }
  }
  if (rot.determinant() < 0) return false;
  const double scale = k(2, 2);
  if (!(std::abs(scale) > 1e-12)) return false;
  k /= scale;
  *focal = 0.5 * (k(0, 0) + k(1, 1));
  *r = rot;
  *t = k.inverse() * p.col(3) / scale;
  return std::isfinite(*focal) && *focal > 0;
}

// Gauss-Newton on (rotation increment, translation, log focal) for pixel residuals.
void RefinePoseFocal(const std::vector<Eigen::Vector3d>& x3, const std::vector<Eigen::Vector2d>& x2,
                     const std::vector<uint8_t>& mask, Eigen::Matrix3d* r, Eigen::Vector3d* t, double* focal) {
  auto cost_of = [&](const Eigen::Matrix3d& rr, const Eigen::Vector3d& tt, double f) {
    double c = 0;
    for (size_t i = 0; i < x3.size(); ++i) {
      if (!mask[i]) continue;
      const Eigen::Vector3d x = rr * x3[i] + tt;
      if (!(x.z() > 0)) return std::numeric_limits<double>::infinity();
      c += (f * x.hnormalized() - x2[i]).squaredNorm();
    }
    return c;
  };
  double cost = cost_of(*r, *t, *focal);
  double lambda = 1e-3;
  for (int it = 0; it < 20; ++it) {
    Eigen::Matrix<double, 7, 7> h = Eigen::Matrix<double, 7, 7>::Zero();
    Eigen::Matrix<double, 7, 1> g = Eigen::Matrix<double, 7, 1>::Zero();
    for (size_t i = 0; i < x3.size(); ++i) {
      if (!mask[i]) continue;
      const Eigen::Vector3d xr = *r * x3[i];
      const Eigen::Vector3d x = xr + *t;
      const double iz = 1.0 / x.z();
      const Eigen::Vector2d proj = x.hnormalized();
      const Eigen::Vector2d res = *focal * proj - x2[i];
      Eigen::Matrix<double, 2, 3> dproj;
      dproj << iz, 0, -x.x() * iz * iz, 0, iz, -x.y() * iz * iz;
      Eigen::Matrix3d skew;
      skew << 0, -xr.z(), xr.y(), xr.z(), 0, -xr.x(), -xr.y(), xr.x(), 0;
      Eigen::Matrix<double, 2, 7> j;
      j.leftCols<3>() = *focal * dproj * (-skew);  // left-multiplied rotation increment
      j.block<2, 3>(0, 3) = *focal * dproj;
      j.col(6) = *focal * proj;  // d/d(log f)
      h += j.transpose() * j;
      g += j.transpose() * res;
    }
    Eigen::Matrix<double, 7, 7> hd = h;
    hd.diagonal() *= (1.0 + lambda);
    const Eigen::Matrix<double, 7, 1> step = hd.ldlt().solve(-g);
    if (!step.allFinite()) break;
    const Eigen::Matrix3d r_new = RotationFromRodrigues(step.head<3>()) * *r;
    const Eigen::Vector3d t_new = *t + step.segment<3>(3);
    const double f_new = *focal * std::exp(step(6));
    const double c_new = cost_of(r_new, t_new, f_new);
    if (c_new < cost) {
      const bool converged = cost - c_new < 1e-10 * cost;
      *r = r_new;
      *t = t_new;
      *focal = f_new;
      cost = c_new;
      lambda = std::max(1e-7, lambda / 10);
      if (converged) break;
    } else {
      lambda *= 10;
      if (lambda > 1e6) break;
    }
  }
}

}  // namespace

ResectionResult EstimateResectionUnknownFocal(const std::vector<Eigen::Vector3d>& points_in_world,
                                              const std::vector<Eigen::Vector2d>& pixels,
                                              const Eigen::Vector2d& principal_point, const ResectionOptions& options) {
  options.Check();
  ResectionResult out;
  const int n = static_cast<int>(points_in_world.size());
  if (static_cast<int>(pixels.size()) != n) throw std::invalid_argument("EstimateResectionUnknownFocal: size mismatch");
  if (n < 8) return out;
  std::vector<Eigen::Vector2d> centred(n);
  for (int i = 0; i < n; ++i) centred[i] = pixels[i] - principal_point;
  std::mt19937_64 rng(options.seed);
  std::vector<int> all(n);
  for (int i = 0; i < n; ++i) all[i] = i;
  // RANSAC on the unconstrained projection matrix (a minimal DLT's K has skew and a shifted
  // principal point, so it is scored as P itself); the square-pixel model comes afterwards.
  auto score_projection = [&](const Eigen::Matrix<double, 3, 4>& p, std::vector<uint8_t>* m) {
    int count = 0;
    m->assign(n, 0);
    for (int i = 0; i < n; ++i) {
      const Eigen::Vector3d x = p * points_in_world[i].homogeneous();
      if (!(std::abs(x.z()) > 1e-12)) continue;
      if ((x.hnormalized() - centred[i]).norm() < options.threshold_px) {
        (*m)[i] = 1;
        ++count;
      }
    }
    return count;
  };
  int best_inliers = 0;
  std::vector<uint8_t> mask, best_mask;
  int max_iter = options.max_iterations;
  for (int it = 0; it < max_iter; ++it) {
    std::vector<int> sample(6);
    for (int k = 0; k < 6; ++k) {
      std::uniform_int_distribution<int> d(k, n - 1);
      std::swap(all[k], all[d(rng)]);
      sample[k] = all[k];
    }
    Eigen::Matrix<double, 3, 4> p;
    if (!ProjectionDLT(points_in_world, centred, sample, &p)) continue;
    const int inliers = score_projection(p, &mask);
    if (inliers > best_inliers) {
      best_inliers = inliers;
      best_mask = mask;
      const double w = static_cast<double>(inliers) / n;
      const double denom = std::log(1.0 - std::pow(w, 6));
      if (denom < 0) {
        const double needed = std::log(1.0 - options.confidence) / denom;
        if (needed < max_iter) max_iter = static_cast<int>(std::ceil(needed)) + 1;
      }
    }
  }
  if (best_inliers < 8) return out;
  // DLT on all inliers (re-scored once), then K R t, then the square-pixel refinement.
  std::vector<int> inlier_idx;
  for (int round = 0; round < 2; ++round) {
    inlier_idx.clear();
    for (int i = 0; i < n; ++i)
      if (best_mask[i]) inlier_idx.push_back(i);
    Eigen::Matrix<double, 3, 4> p;
    if (!ProjectionDLT(points_in_world, centred, inlier_idx, &p)) return out;
    std::vector<uint8_t> m;
    if (score_projection(p, &m) < 8) break;
    best_mask = m;
  }
  inlier_idx.clear();
  for (int i = 0; i < n; ++i)
    if (best_mask[i]) inlier_idx.push_back(i);
  Eigen::Matrix<double, 3, 4> p_all;
  if (!ProjectionDLT(points_in_world, centred, inlier_idx, &p_all)) return out;
  double f;
  Eigen::Matrix3d r;
  Eigen::Vector3d t;
  if (!DecomposeProjection(p_all, &f, &r, &t)) return out;
  mask = best_mask;
  RefinePoseFocal(points_in_world, centred, mask, &r, &t, &f);
  for (int round = 0; round < 2; ++round) {
    int inliers;
    double rms;
    ScorePose(points_in_world, centred, r, t, f, Eigen::Vector2d::Zero(), true, options.threshold_px, &mask, &inliers,
              &rms);
    if (inliers < 8) return out;
    RefinePoseFocal(points_in_world, centred, mask, &r, &t, &f);
  }
  ScorePose(points_in_world, centred, r, t, f, Eigen::Vector2d::Zero(), true, options.threshold_px, &out.inlier_mask,
            &out.num_inliers, &out.rms_error_px);
  out.cam_from_world = Rigid3d(r, t);
  out.focal_px = f;
  out.success = out.num_inliers >= 8;
  return out;
}

}  // namespace epilabel
