#include "geometry/estimators/intrinsic_calibration.h"

#include <algorithm>
#include <cmath>
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
  std::vector<std::vector<cv::Point3f>> object(views.size());
  std::vector<std::vector<cv::Point2f>> image(views.size());
  for (size_t v = 0; v < views.size(); ++v) {
    CheckView(views[v]);
    for (size_t i = 0; i < views[v].image_points.size(); ++i) {
      const auto& p = views[v].target_points[i];
      const auto& q = views[v].image_points[i];
      object[v].emplace_back(static_cast<float>(p.x()), static_cast<float>(p.y()), static_cast<float>(p.z()));
      image[v].emplace_back(static_cast<float>(q.x()), static_cast<float>(q.y()));
    }
  }
  int flags = 0;
  out.k3_estimated = !options.fix_k3 && static_cast<int>(views.size()) >= options.min_views_for_k3;
  if (!out.k3_estimated) flags |= cv::CALIB_FIX_K3;
  if (options.zero_tangential) flags |= cv::CALIB_ZERO_TANGENT_DIST;
  cv::Mat k, dist, std_intrinsics, std_extrinsics, per_view;
  std::vector<cv::Mat> rvecs, tvecs;
  try {
    out.rms_px = cv::calibrateCamera(object, image, cv::Size(width, height), k, dist, rvecs, tvecs, std_intrinsics,
                                     std_extrinsics, per_view, flags,
                                     cv::TermCriteria(cv::TermCriteria::COUNT + cv::TermCriteria::EPS, 100, 1e-12));
  } catch (const cv::Exception& e) {
    out.message = std::string("OpenCV calibrateCamera failed: ") + e.what();
    return out;
  }
  Eigen::Matrix3d k_eigen;
  cv::cv2eigen(k, k_eigen);
  out.camera.SetK(k_eigen);
  dist = dist.reshape(1, 1);
  for (int i = 0; i < 5 && i < dist.cols; ++i) out.camera.distortion[i] = dist.at<double>(0, i);
  // stdDeviationsIntrinsics: fx, fy, cx, cy, k1, k2, p1, p2, k3, ...
  auto sd = [&](int i) { return i < std_intrinsics.rows ? std_intrinsics.at<double>(i, 0) : kNaN; };
  out.std_fx = sd(0), out.std_fy = sd(1), out.std_cx = sd(2), out.std_cy = sd(3);
  out.std_distortion = {sd(4), sd(5), sd(6), sd(7), sd(8)};
  for (size_t v = 0; v < views.size(); ++v) {
    out.view_rms_px.push_back(per_view.at<double>(static_cast<int>(v), 0));
    cv::Mat r;
    cv::Rodrigues(rvecs[v], r);
    Eigen::Matrix3d r_eigen;
    cv::cv2eigen(r, r_eigen);
    out.cam_from_target.emplace_back(r_eigen, Eigen::Vector3d(tvecs[v].at<double>(0), tvecs[v].at<double>(1),
                                                              tvecs[v].at<double>(2)));
  }
  out.success = std::isfinite(out.rms_px);
  if (!out.success) out.message = "the calibration did not converge";
  return out;
}

}  // namespace epilabel
