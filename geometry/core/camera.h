// A calibrated camera (pinhole with OpenCV's distortion, or OpenCV's equidistant fisheye; see
// distortion.h), and a rig of cameras.
//
// Conventions: pixels with the origin at the centre of the top-left pixel (OpenCV);
// world->camera pose `cam_from_world` (x_cam = R X_world + t), camera looks along +z,
// x right, y down. Units are metres in the world and pixels in the image.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "geometry/core/distortion.h"
#include "geometry/core/rigid3.h"

namespace epilabel {

struct Camera {
  std::string name;
  int width = 0;   // image width, pixels
  int height = 0;  // image height, pixels
  double fx = 0.0, fy = 0.0;  // focal lengths, pixels
  double cx = 0.0, cy = 0.0;  // principal point, pixels
  LensModel lens = LensModel::kPinhole;
  Distortion distortion{};    // k1, k2, p1, p2, k3 (pinhole) or k1, k2, k3, k4, 0 (fisheye)
  Rigid3d cam_from_world;     // extrinsics; identity until calibrated
  bool has_extrinsics = false;
  // Time offset, seconds: this camera's time t shows what the reference camera shows at
  // t + time_offset (0 for synchronised cameras; see geometry/sync/).
  double time_offset = 0.0;

  Eigen::Matrix3d K() const;
  void SetK(const Eigen::Matrix3d& k);
  // Camera centre in world coordinates.
  Eigen::Vector3d CenterInWorld() const;
  // 3x4 projection matrix K [R | t] (ignores distortion and the fisheye mapping).
  Matrix3x4d ProjectionMatrix() const;

  // Pixel of a point in camera coordinates; nullopt when the point is not in front (z <= 0).
  std::optional<Eigen::Vector2d> ImageFromCam(const Eigen::Vector3d& point_in_cam) const;
  // Pixel of a world point; nullopt behind the camera.
  std::optional<Eigen::Vector2d> ImageFromWorld(const Eigen::Vector3d& point_in_world) const;
  // Pixel of normalised (undistorted) image coordinates (x/z, y/z).
  Eigen::Vector2d ImageFromNormalized(const Eigen::Vector2d& normalized) const;
  // Normalised undistorted coordinates (x/z, y/z) of a pixel (inverse of the above). A fisheye
  // pixel beyond 90 degrees from the axis (or where the lens folds back) is returned
  // undistorted by the lens only up to where its Newton iterations went.
  Eigen::Vector2d NormalizedFromImage(const Eigen::Vector2d& pixel) const;
  // Whether a pixel lies inside the image.
  bool IsInImage(const Eigen::Vector2d& pixel) const {
    return pixel.x() >= 0.0 && pixel.y() >= 0.0 && pixel.x() <= width - 1.0 && pixel.y() <= height - 1.0;
  }
  // Mean focal length in pixels.
  double MeanFocal() const { return 0.5 * (fx + fy); }
};

// The cameras of a capture, in a fixed order; camera_t indexes this vector.
using Rig = std::vector<Camera>;

}  // namespace epilabel
