#include "geometry/estimators/resection.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <Eigen/Dense>
#include <opencv2/calib3d.hpp>
#include <opencv2/core/eigen.hpp>

#include "geometry/estimators/ransac.h"

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

// The estimator of ransac.h for the unknown-focal resection: models are unconstrained
// projection matrices (a minimal DLT's K has skew and a shifted principal point, so it is scored
// as P itself; the square-pixel model comes afterwards), residuals pixel errors against the
// centred pixels (infinity for points on the principal plane).
class ProjectionEstimator {
 public:
  using Model = Eigen::Matrix<double, 3, 4>;
  static constexpr int kSampleSize = 6;
  ProjectionEstimator(const std::vector<Eigen::Vector3d>& points, const std::vector<Eigen::Vector2d>& centred)
      : points_(points), centred_(centred) {}
  int NumData() const { return static_cast<int>(points_.size()); }
  bool Fit(const std::array<int, kSampleSize>& sample, Model* p) const {
    return ProjectionDLT(points_, centred_, std::vector<int>(sample.begin(), sample.end()), p);
  }
  double Residual(const Model& p, int i) const {
    const Eigen::Vector3d x = p * points_[i].homogeneous();
    if (!(std::abs(x.z()) > 1e-12)) return std::numeric_limits<double>::infinity();
    return (x.hnormalized() - centred_[i]).norm();
  }
  // DLT on all inliers.
  bool Refit(const std::vector<uint8_t>& inliers, Model* p) const {
    std::vector<int> idx;
    for (size_t i = 0; i < inliers.size(); ++i)
      if (inliers[i]) idx.push_back(static_cast<int>(i));
    Model fit;
    if (!ProjectionDLT(points_, centred_, idx, &fit)) return false;
    *p = fit;
    return true;
  }

 private:
  const std::vector<Eigen::Vector3d>& points_;
  const std::vector<Eigen::Vector2d>& centred_;
};

// Fewest inliers of an unknown-focal resection (a DLT needs six, two to spare).
constexpr int kMinUnknownFocalInliers = 8;

}  // namespace

ResectionResult EstimateResectionUnknownFocal(const std::vector<Eigen::Vector3d>& points_in_world,
                                              const std::vector<Eigen::Vector2d>& pixels,
                                              const Eigen::Vector2d& principal_point, const ResectionOptions& options) {
  options.Check();
  ResectionResult out;
  const int n = static_cast<int>(points_in_world.size());
  if (static_cast<int>(pixels.size()) != n) throw std::invalid_argument("EstimateResectionUnknownFocal: size mismatch");
  if (n < kMinUnknownFocalInliers) return out;
  std::vector<Eigen::Vector2d> centred(n);
  for (int i = 0; i < n; ++i) centred[i] = pixels[i] - principal_point;
  // RANSAC on the projection matrix (seeded samples of six, inlier count), then the DLT on the
  // inliers re-scored (local optimisation; a degenerate refit is a failure).
  RansacOptions ro;
  ro.threshold = options.threshold_px;
  ro.scoring = RansacScoring::kInlierCount;
  ro.max_iterations = options.max_iterations;
  ro.confidence = options.confidence;
  ro.stopping_margin = 1;  // one sample more than the confidence asks for
  ro.min_consensus = kMinUnknownFocalInliers;
  ro.local_optimization_rounds = 3;
  ro.seed = options.seed;
  const ProjectionEstimator estimator(points_in_world, centred);
  UniformSampler<ProjectionEstimator::kSampleSize> sampler(n, ro.seed);
  const RansacResult<ProjectionEstimator::Model> found = Ransac(estimator, sampler, ro);
  if (!found.success || found.summary.refit_failed) return out;
  // Then K R t from the projection matrix of the inliers, then the square-pixel refinement.
  const Eigen::Matrix<double, 3, 4>& p_all = found.model;
  std::vector<uint8_t> mask = found.inlier_mask;
  double f;
  Eigen::Matrix3d r;
  Eigen::Vector3d t;
  if (!DecomposeProjection(p_all, &f, &r, &t)) return out;
  RefinePoseFocal(points_in_world, centred, mask, &r, &t, &f);
  for (int round = 0; round < 2; ++round) {
    int inliers;
    double rms;
    ScorePose(points_in_world, centred, r, t, f, Eigen::Vector2d::Zero(), true, options.threshold_px, &mask, &inliers,
              &rms);
    if (inliers < kMinUnknownFocalInliers) return out;
    RefinePoseFocal(points_in_world, centred, mask, &r, &t, &f);
  }
  ScorePose(points_in_world, centred, r, t, f, Eigen::Vector2d::Zero(), true, options.threshold_px, &out.inlier_mask,
            &out.num_inliers, &out.rms_error_px);
  out.cam_from_world = Rigid3d(r, t);
  out.focal_px = f;
  out.success = out.num_inliers >= kMinUnknownFocalInliers;
  return out;
}

}  // namespace epilabel
