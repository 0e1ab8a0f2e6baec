// Helpers shared by the synthetic-studio tests: OpenCV reference projection and small scenes.
#pragma once

#include <cstdlib>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <opencv2/calib3d.hpp>

#include "detection/synthetic/studio.h"
#include "geometry/core/camera.h"
#include "tests/testing.h"

namespace epilabel::testing {

// Projects world points through `camera` with cv::projectPoints (the reference OpenCV model).
inline std::vector<Eigen::Vector2d> ProjectWithOpenCv(const Camera& camera, const std::vector<Eigen::Vector3d>& points) {
  std::vector<cv::Point3d> object;
  for (const auto& p : points) object.emplace_back(p.x(), p.y(), p.z());
  const Eigen::Vector3d rvec = RodriguesFromRotation(camera.cam_from_world.RotationMatrix());
  const Eigen::Vector3d& t = camera.cam_from_world.translation;
  const cv::Mat r = (cv::Mat_<double>(3, 1) << rvec.x(), rvec.y(), rvec.z());
  const cv::Mat tv = (cv::Mat_<double>(3, 1) << t.x(), t.y(), t.z());
  const cv::Mat k = (cv::Mat_<double>(3, 3) << camera.fx, 0, camera.cx, 0, camera.fy, camera.cy, 0, 0, 1);
  const cv::Mat d = (cv::Mat_<double>(1, 5) << camera.distortion[0], camera.distortion[1], camera.distortion[2],
                     camera.distortion[3], camera.distortion[4]);
  std::vector<cv::Point2d> image;
  if (!object.empty()) cv::projectPoints(object, r, tv, k, d, image);
  std::vector<Eigen::Vector2d> out;
  for (const auto& p : image) out.emplace_back(p.x, p.y);
  return out;
}

// The shipped data folder (data/), as CTest passes it.
inline std::string DataDir() {
  if (const char* env = std::getenv("EPILABEL_DATA_DIR"); env != nullptr && *env != '\0') return env;
  return SourceDir() + "/data";
}

inline std::vector<std::string> ShippedClips() {
  const std::string dir = DataDir() + "/motions/";
  return {dir + "01_01.bvh", dir + "02_01.bvh", dir + "05_06.bvh", dir + "131_03.bvh"};
}

inline StudioOptions SmallStudio(const std::string& rig, int frames) {
  StudioOptions o;
  o.rig = rig;
  o.num_frames = frames;
  o.data_dir = DataDir();
  return o;
}

}  // namespace epilabel::testing
