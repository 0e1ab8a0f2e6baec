#include "geometry/estimators/intrinsic_calibration.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <opencv2/calib3d.hpp>
#include <opencv2/core/eigen.hpp>

#include "foundation/error.h"

namespace epilabel {

namespace {

// The grid cells (row-major) that hold a corner of `view`.
std::vector<int> CoveredCells(const TargetView& view, int width, int height, int grid_cols, int grid_rows) {
  std::vector<int> cells;
  for (const auto& p : view.image_points) {
    const int c = std::clamp(static_cast<int>(std::floor(p.x() / width * grid_cols)), 0, grid_cols - 1);
    const int r = std::clamp(static_cast<int>(std::floor(p.y() / height * grid_rows)), 0, grid_rows - 1);
    cells.push_back(r * grid_cols + c);
  }
  std::sort(cells.begin(), cells.end());
  cells.erase(std::unique(cells.begin(), cells.end()), cells.end());
  return cells;
}

void CheckView(const TargetView& view) {
  if (view.image_points.size() != view.target_points.size())
    throw std::invalid_argument("CalibrateIntrinsics: view '" + view.name + "' has point lists of different lengths");
}

}  // namespace

void CoverageSelectionOptions::Check() const {
  if (max_views < 3 || max_views > 10000) throw InputError("max_views", "must be in [3, 10000], got " + std::to_string(max_views));
  if (grid_cols < 1 || grid_cols > 100) throw InputError("grid_cols", "must be in [1, 100], got " + std::to_string(grid_cols));
  if (grid_rows < 1 || grid_rows > 100) throw InputError("grid_rows", "must be in [1, 100], got " + std::to_string(grid_rows));
}

void IntrinsicCalibrationOptions::Check() const {
  if (model != "pinhole" && model != "fisheye")
    throw InputError("model", "unknown lens model '" + model + "' (expected pinhole or fisheye)");
  if (min_views < 1 || min_views > 10000) throw InputError("min_views", "must be in [1, 10000], got " + std::to_string(min_views));
  if (min_views_for_k3 < 1 || min_views_for_k3 > 10000)
    throw InputError("min_views_for_k3", "must be in [1, 10000], got " + std::to_string(min_views_for_k3));
}

std::vector<int> SelectViewsForCoverage(const std::vector<TargetView>& views, int width, int height,
                                        const CoverageSelectionOptions& options) {
  options.Check();
  const int n = static_cast<int>(views.size());
  std::vector<int> chosen;
  if (n <= options.max_views) {
    for (int i = 0; i < n; ++i) chosen.push_back(i);
    return chosen;
  }
  std::vector<std::vector<int>> cells(n);
  for (int i = 0; i < n; ++i) cells[i] = CoveredCells(views[i], width, height, options.grid_cols, options.grid_rows);
  std::vector<int> hits(static_cast<size_t>(options.grid_cols * options.grid_rows), 0);
  std::vector<bool> used(n, false);
  while (static_cast<int>(chosen.size()) < options.max_views) {
    // Score: cells never covered count most; cells covered k times count 1/(k+1) so that once the
    // image is covered the picks keep spreading over the least covered cells.
    int best = -1;
    double best_score = -1.0;
    for (int i = 0; i < n; ++i) {
      if (used[i]) continue;
      double score = 0.0;
      for (int c : cells[i]) score += hits[c] == 0 ? 1000.0 : 1.0 / (1.0 + hits[c]);
      if (score > best_score) best = i, best_score = score;
    }
    used[best] = true;
    chosen.push_back(best);
    for (int c : cells[best]) ++hits[c];
  }
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

double ImageCoverage(const std::vector<TargetView>& views, const std::vector<int>& indices, int width, int height,
                     int grid_cols, int grid_rows) {
  std::vector<bool> hit(static_cast<size_t>(grid_cols * grid_rows), false);
  for (int i : indices)
    for (int c : CoveredCells(views[i], width, height, grid_cols, grid_rows)) hit[c] = true;
  return static_cast<double>(std::count(hit.begin(), hit.end(), true)) / static_cast<double>(hit.size());
}

namespace {

struct OpenCvViews {
  std::vector<std::vector<cv::Point3f>> object;
  std::vector<std::vector<cv::Point2f>> image;
};

OpenCvViews ToOpenCv(const std::vector<TargetView>& views) {
  OpenCvViews cv_views;
  cv_views.object.resize(views.size());
  cv_views.image.resize(views.size());
  for (size_t v = 0; v < views.size(); ++v) {
    CheckView(views[v]);
    for (size_t i = 0; i < views[v].image_points.size(); ++i) {
      const auto& p = views[v].target_points[i];
      const auto& q = views[v].image_points[i];
      cv_views.object[v].emplace_back(static_cast<float>(p.x()), static_cast<float>(p.y()), static_cast<float>(p.z()));
      cv_views.image[v].emplace_back(static_cast<float>(q.x()), static_cast<float>(q.y()));
    }
  }
  return cv_views;
}

const cv::TermCriteria kCriteria(cv::TermCriteria::COUNT + cv::TermCriteria::EPS, 100, 1e-12);

Rigid3d RigidFromOpenCv(const cv::Mat& rvec, const cv::Mat& tvec) {
  cv::Mat r;
  cv::Rodrigues(rvec, r);
  Eigen::Matrix3d r_eigen;
  cv::cv2eigen(r, r_eigen);
  return Rigid3d(r_eigen, Eigen::Vector3d(tvec.at<double>(0), tvec.at<double>(1), tvec.at<double>(2)));
}

// Pinhole: calibrateCamera with its standard deviations and per-view errors.
void CalibratePinhole(const OpenCvViews& v, int width, int height, const IntrinsicCalibrationOptions& options,
                      IntrinsicCalibrationResult* out) {
  int flags = 0;
  out->k3_estimated = !options.fix_k3 && static_cast<int>(v.object.size()) >= options.min_views_for_k3;
  if (!out->k3_estimated) flags |= cv::CALIB_FIX_K3;
  if (options.zero_tangential) flags |= cv::CALIB_ZERO_TANGENT_DIST;
  cv::Mat k, dist, std_intrinsics, std_extrinsics, per_view;
  std::vector<cv::Mat> rvecs, tvecs;
  out->rms_px = cv::calibrateCamera(v.object, v.image, cv::Size(width, height), k, dist, rvecs, tvecs, std_intrinsics,
                                    std_extrinsics, per_view, flags, kCriteria);
  Eigen::Matrix3d k_eigen;
  cv::cv2eigen(k, k_eigen);
  out->camera.SetK(k_eigen);
  dist = dist.reshape(1, 1);
  for (int i = 0; i < 5 && i < dist.cols; ++i) out->camera.distortion[i] = dist.at<double>(0, i);
  // stdDeviationsIntrinsics: fx, fy, cx, cy, k1, k2, p1, p2, k3, ...
  auto sd = [&](int i) { return i < std_intrinsics.rows ? std_intrinsics.at<double>(i, 0) : kNaN; };
  out->std_fx = sd(0), out->std_fy = sd(1), out->std_cx = sd(2), out->std_cy = sd(3);
  out->std_distortion = {sd(4), sd(5), sd(6), sd(7), sd(8)};
  for (size_t i = 0; i < rvecs.size(); ++i) {
    out->view_rms_px.push_back(per_view.at<double>(static_cast<int>(i), 0));
    out->cam_from_target.push_back(RigidFromOpenCv(rvecs[i], tvecs[i]));
  }
}

// Mean reprojection error of the views under an equidistant fisheye with focal f, the centre of
// the image and no distortion, each view posed by PnP on the points undistorted with that guess.
double FisheyeGuessError(const std::vector<std::vector<cv::Point3d>>& object,
                         const std::vector<std::vector<cv::Point2d>>& image, const cv::Matx33d& k) {
  const cv::Vec4d no_dist(0, 0, 0, 0);
  double sum = 0;
  size_t count = 0;
  for (size_t i = 0; i < object.size(); ++i) {
    std::vector<cv::Point2d> normalised, projected;
    cv::fisheye::undistortPoints(image[i], normalised, k, no_dist);
    cv::Vec3d rvec, tvec;
    if (!cv::solvePnP(object[i], normalised, cv::Matx33d::eye(), cv::noArray(), rvec, tvec)) return kNaN;
    cv::fisheye::projectPoints(object[i], projected, rvec, tvec, k, no_dist);
    for (size_t j = 0; j < projected.size(); ++j) sum += cv::norm(projected[j] - image[i][j]);
    count += projected.size();
  }
  return count > 0 ? sum / static_cast<double>(count) : kNaN;
}

// Initial intrinsics for cv::fisheye::calibrate, whose own start (f = max(w, h) / pi, extrinsics
// from it) often never leaves (OpenCV issue 23962): the focal length of a scan from 0.15 to 1.5 times
// the image width (fields of view of about 40 to 250 degrees) with the lowest PnP error.
cv::Matx33d FisheyeInitialK(const std::vector<std::vector<cv::Point3d>>& object,
                            const std::vector<std::vector<cv::Point2d>>& image, int width, int height) {
  cv::Matx33d best(width, 0, 0.5 * (width - 1), 0, width, 0.5 * (height - 1), 0, 0, 1);
  double best_error = std::numeric_limits<double>::infinity();
  for (double scale = 0.15; scale <= 1.5 + 1e-9; scale *= 1.1) {
    const double f = scale * width;
    const cv::Matx33d k(f, 0, 0.5 * (width - 1), 0, f, 0.5 * (height - 1), 0, 0, 1);
    const double error = FisheyeGuessError(object, image, k);
    if (std::isfinite(error) && error < best_error) best_error = error, best = k;
  }
  return best;
}

// Fisheye: cv::fisheye::calibrate (no skew, extrinsics recomputed every iteration) from the scanned
// focal length; the per-view errors with our own projection, the total RMS over every corner.
void CalibrateFisheye(const OpenCvViews& v, const std::vector<TargetView>& views, int width, int height,
                      IntrinsicCalibrationResult* out) {
  std::vector<std::vector<cv::Point3d>> object(v.object.size());
  std::vector<std::vector<cv::Point2d>> image(v.image.size());
  for (size_t i = 0; i < v.object.size(); ++i) {
    for (const auto& p : views[i].target_points) object[i].emplace_back(p.x(), p.y(), p.z());
    for (const auto& q : views[i].image_points) image[i].emplace_back(q.x(), q.y());
  }
  cv::Matx33d k = FisheyeInitialK(object, image, width, height);
  cv::Vec4d dist(0, 0, 0, 0);
  std::vector<cv::Mat> rvecs, tvecs;
  const int flags =
      cv::fisheye::CALIB_USE_INTRINSIC_GUESS | cv::fisheye::CALIB_RECOMPUTE_EXTRINSIC | cv::fisheye::CALIB_FIX_SKEW;
  cv::fisheye::calibrate(object, image, cv::Size(width, height), k, dist, rvecs, tvecs, flags, kCriteria);
  out->camera.lens = LensModel::kFisheye;
  out->camera.fx = k(0, 0), out->camera.fy = k(1, 1), out->camera.cx = k(0, 2), out->camera.cy = k(1, 2);
  out->camera.distortion = {dist[0], dist[1], dist[2], dist[3], 0.0};
  out->std_distortion = {kNaN, kNaN, kNaN, kNaN, kNaN};
  double sum_sq = 0;
  size_t count = 0;
  for (size_t i = 0; i < rvecs.size(); ++i) {
    out->cam_from_target.push_back(RigidFromOpenCv(rvecs[i], tvecs[i]));
    double view_sq = 0;
    for (size_t j = 0; j < views[i].target_points.size(); ++j) {
      const auto pixel = out->camera.ImageFromCam(out->cam_from_target.back() * views[i].target_points[j]);
      const double e2 = pixel ? (*pixel - views[i].image_points[j]).squaredNorm() : kNaN;
      view_sq += e2;
    }
    sum_sq += view_sq;
    count += views[i].target_points.size();
    out->view_rms_px.push_back(std::sqrt(view_sq / std::max<size_t>(1, views[i].target_points.size())));
  }
  out->rms_px = std::sqrt(sum_sq / std::max<size_t>(1, count));
}

}  // namespace

IntrinsicCalibrationResult CalibrateIntrinsics(const std::vector<TargetView>& views, int width, int height,
                                               const IntrinsicCalibrationOptions& options) {
  options.Check();
  IntrinsicCalibrationResult out;
  out.camera.width = width;
  out.camera.height = height;
  if (static_cast<int>(views.size()) < options.min_views) {
    out.message = std::to_string(views.size()) + " usable view(s), at least " + std::to_string(options.min_views) +
                  " needed";
    return out;
  }
  const OpenCvViews cv_views = ToOpenCv(views);
  try {
    if (options.model == "fisheye") CalibrateFisheye(cv_views, views, width, height, &out);
    else CalibratePinhole(cv_views, width, height, options, &out);
  } catch (const cv::Exception& e) {
    out.message = std::string("OpenCV ") + (options.model == "fisheye" ? "fisheye::calibrate" : "calibrateCamera") +
                  " failed: " + e.what();
    out.success = false;
    return out;
  }
  out.success = std::isfinite(out.rms_px);
  if (!out.success) out.message = "the calibration did not converge";
  return out;
}

}  // namespace epilabel
