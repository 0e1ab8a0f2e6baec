// Intrinsics of one camera from views of a planar target (a calibration board): the choice of
// views that cover the image, and Zhang's calibration of the pinhole model with k1, k2, p1, p2,
// k3 distortion (OpenCV calibrateCamera) or of the equidistant fisheye with k1..k4 (OpenCV
// cv::fisheye::calibrate, started from a scanned focal length: its own start, f = max(w, h) / pi
// with poses from it, often never moves; OpenCV issue 23962); geometry/core/distortion.h has
// both models.
//
// Pixels follow OpenCV (origin at the centre of the top-left pixel); target points are metres
// in the target's own frame (z = 0 on the board).
#pragma once

#include <array>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "geometry/core/camera.h"
#include "geometry/core/rigid3.h"
#include "geometry/core/types.h"

namespace epilabel {

// One view of the target: its corners in the image and on the target, in the same order.
struct TargetView {
  std::string name;                           // where it came from (an image file, "frame 120")
  std::vector<Eigen::Vector2d> image_points;  // pixels
  std::vector<Eigen::Vector3d> target_points; // metres, z = 0
};

struct CoverageSelectionOptions {
  int max_views = 40;   // keep at most this many views (all of them when there are fewer)
  int grid_cols = 8;    // the image is cut into grid_cols x grid_rows cells
  int grid_rows = 8;
  // Throws InputError naming the option key when a value is out of range.
  void Check() const;
};

// Indices (ascending) of at most options.max_views views chosen greedily: each pick adds the
// most image cells not yet holding a corner, ties broken by the view covering more cells in
// all, then by the lower index. Deterministic.
std::vector<int> SelectViewsForCoverage(const std::vector<TargetView>& views, int width, int height,
                                        const CoverageSelectionOptions& options);

// Share of the grid's cells that hold at least one corner of the given views, in [0, 1].
double ImageCoverage(const std::vector<TargetView>& views, const std::vector<int>& indices, int width, int height,
                     int grid_cols, int grid_rows);

struct IntrinsicCalibrationOptions {
  // Lens model: "pinhole" (k1, k2, p1, p2, k3) or "fisheye" (equidistant, k1..k4; no tangential
  // terms, no skew). The fisheye fit gives no standard deviations (NaN in the result).
  std::string model = "pinhole";
  bool fix_k3 = false;          // always estimate k1, k2, p1, p2 only, with k3 = 0
  // With fewer views than this k3 is fixed at 0 too: a handful of views cannot tell k2 from k3
  // (on pose2sim_board's six views k2 and k3 trade off up to -0.71 / +2.6 while k1, k2 alone
  // land within 0.01 of the Qualisys values).
  int min_views_for_k3 = 10;
  bool zero_tangential = false; // p1 = p2 = 0
  int min_views = 3;            // fewer views fail (success = false)
  void Check() const;
};

struct IntrinsicCalibrationResult {
  bool success = false;
  std::string message;        // why it failed
  Camera camera;              // size, fx, fy, cx, cy, distortion; no extrinsics
  double rms_px = kNaN;       // RMS of the 2D reprojection error length over every corner (px)
  std::vector<double> view_rms_px;        // per view, in the order given
  std::vector<Rigid3d> cam_from_target;   // per view
  bool k3_estimated = false;
  // One standard deviation of the estimates (from the Jacobian at the solution, scaled by the
  // residual variance), pixels for fx, fy, cx, cy; 0 for fixed terms; NaN for the fisheye model.
  double std_fx = kNaN, std_fy = kNaN, std_cx = kNaN, std_cy = kNaN;
  Distortion std_distortion{kNaN, kNaN, kNaN, kNaN, kNaN};
};

// Calibrates from `views` (each with at least 4 corners) of an image of width x height pixels.
// Throws std::invalid_argument for views whose two point lists differ in length.
IntrinsicCalibrationResult CalibrateIntrinsics(const std::vector<TargetView>& views, int width, int height,
                                               const IntrinsicCalibrationOptions& options);

}  // namespace epilabel
