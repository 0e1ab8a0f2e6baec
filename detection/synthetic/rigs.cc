#include "detection/synthetic/rigs.h"

#include <cmath>
#include <cstdio>

#include "foundation/error.h"

namespace epilabel {

namespace {

struct CameraSpec {
  Eigen::Vector3d center;
  int width, height;
  double fx, fy, cx, cy;
  Distortion distortion;
  double roll_deg;
};

Camera MakeCamera(int index, const CameraSpec& spec, const Eigen::Vector3d& target) {
  Camera cam;
  char name[16];
  std::snprintf(name, sizeof(name), "cam_%02d", index + 1);
  cam.name = name;
  cam.width = spec.width;
  cam.height = spec.height;
  cam.fx = spec.fx;
  cam.fy = spec.fy;
  cam.cx = spec.cx;
  cam.cy = spec.cy;
  cam.distortion = spec.distortion;
  cam.cam_from_world = LookAt(spec.center, target, spec.roll_deg);
  cam.has_extrinsics = true;
  return cam;
}

Eigen::Vector3d OnCircle(double radius, double angle_deg, double height) {
  const double a = angle_deg * EIGEN_PI / 180.0;
  return Eigen::Vector3d(radius * std::cos(a), radius * std::sin(a), height);
}

StudioRig H36m4() {
  StudioRig rig;
  rig.name = "h36m4";
  rig.area_half_extents = Eigen::Vector2d(1.6, 1.0);
  rig.look_at = Eigen::Vector3d(0.0, 0.0, 1.0);
  // Intrinsics and distortion close to the four Human3.6M cameras.
  const CameraSpec specs[] = {
      {{2.9, 1.9, 1.55}, 1000, 1002, 1145.05, 1143.78, 512.54, 515.45, {-0.2071, 0.2479, -0.0010, -0.0014, -0.0031}, 0.6},
      {{-2.9, 1.9, 1.80}, 1000, 1000, 1149.68, 1147.59, 508.85, 508.06, {-0.1942, 0.2404, -0.0016, -0.0028, 0.0068}, -0.4},
      {{-2.9, -1.9, 1.65}, 1000, 1000, 1149.14, 1148.80, 519.82, 501.40, {-0.2089, 0.2558, 0.0015, -0.0008, -0.0024}, 0.3},
      {{2.9, -1.9, 1.90}, 1000, 1002, 1145.51, 1144.77, 514.97, 501.88, {-0.1983, 0.2183, -0.0006, -0.0018, -0.0089}, -0.7},
  };
  for (int i = 0; i < 4; ++i) rig.cameras.push_back(MakeCamera(i, specs[i], rig.look_at));
  return rig;
}

StudioRig Ring8() {
  StudioRig rig;
  rig.name = "ring8";
  rig.area_half_extents = Eigen::Vector2d(1.6, 1.6);
  rig.look_at = Eigen::Vector3d(0.0, 0.0, 1.0);
  const double focal[8] = {1380, 1420, 1395, 1440, 1365, 1410, 1430, 1390};
  const double k1[8] = {-0.082, -0.065, -0.11, -0.074, -0.095, -0.058, -0.088, -0.103};
  const double k2[8] = {0.061, 0.042, 0.095, 0.050, 0.072, 0.031, 0.066, 0.084};
  for (int i = 0; i < 8; ++i) {
    CameraSpec s;
    s.center = OnCircle(4.5, 22.5 + 45.0 * i, i % 2 == 0 ? 1.2 : 2.4);
    s.width = 1920;
    s.height = 1080;
    s.fx = focal[i];
    s.fy = focal[i] * (1.0 + 0.0008 * (i % 3));
    s.cx = 960.0 + 4.0 * ((i * 5) % 7 - 3);
    s.cy = 540.0 + 3.0 * ((i * 3) % 5 - 2);
    s.distortion = {k1[i], k2[i], 0.0004 * ((i % 3) - 1), -0.0003 * ((i % 2) * 2 - 1), -0.004 * (i % 2)};
    s.roll_deg = 0.5 * ((i % 5) - 2);
    rig.cameras.push_back(MakeCamera(i, s, rig.look_at));
  }
  return rig;
}

StudioRig Stereo2() {
  StudioRig rig;
  rig.name = "stereo2";
  rig.area_half_extents = Eigen::Vector2d(1.2, 1.0);
  rig.look_at = Eigen::Vector3d(0.0, 0.0, 1.0);
  const CameraSpec specs[] = {
      {{-0.75, -4.0, 1.50}, 1920, 1080, 1500.0, 1501.2, 958.3, 541.7, {-0.071, 0.052, 0.0003, -0.0002, 0.0}, 0.4},
      {{0.75, -4.0, 1.52}, 1920, 1080, 1480.0, 1480.6, 963.1, 537.9, {-0.064, 0.047, -0.0002, 0.0004, -0.002}, -0.3},
  };
  for (int i = 0; i < 2; ++i) rig.cameras.push_back(MakeCamera(i, specs[i], rig.look_at));
  return rig;
}

StudioRig Ceiling6() {
  StudioRig rig;
  rig.name = "ceiling6";
  rig.area_half_extents = Eigen::Vector2d(1.5, 1.5);
  rig.look_at = Eigen::Vector3d(0.0, 0.0, 0.9);
  // (radius, height): looking down atan((h - 0.9) / r) = 43.7, 38.2, 46.5, 35.6, 49.3, 39.4 degrees.
  const double radius[6] = {2.2, 2.8, 1.9, 3.0, 1.85, 2.5};
  const double height[6] = {3.0, 3.1, 2.9, 3.05, 3.05, 2.95};
  const double focal[6] = {720, 745, 705, 760, 700, 735};
  const double k1[6] = {-0.18, -0.16, -0.20, -0.15, -0.19, -0.17};
  const double k2[6] = {0.052, 0.041, 0.063, 0.035, 0.058, 0.047};
  const double k3[6] = {-0.006, -0.004, -0.008, -0.003, -0.007, -0.005};
  for (int i = 0; i < 6; ++i) {
    CameraSpec s;
    s.center = OnCircle(radius[i], 30.0 + 60.0 * i, height[i]);
    s.width = 1280;
    s.height = 960;
    s.fx = focal[i];
    s.fy = focal[i] * (1.0 - 0.001 * (i % 2));
    s.cx = 640.0 + 3.0 * ((i * 3) % 5 - 2);
    s.cy = 480.0 + 2.5 * ((i * 2) % 5 - 2);
    s.distortion = {k1[i], k2[i], 0.0005 * ((i % 3) - 1), 0.0004 * ((i % 2) * 2 - 1), k3[i]};
    s.roll_deg = 0.8 * ((i % 3) - 1);
    rig.cameras.push_back(MakeCamera(i, s, rig.look_at));
  }
  return rig;
}

}  // namespace

std::vector<std::string> StudioRigNames() { return {"h36m4", "ring8", "stereo2", "ceiling6"}; }

StudioRig MakeStudioRig(const std::string& name) {
  if (name == "h36m4") return H36m4();
  if (name == "ring8") return Ring8();
  if (name == "stereo2") return Stereo2();
  if (name == "ceiling6") return Ceiling6();
  std::string known;
  for (const auto& n : StudioRigNames()) known += (known.empty() ? "" : ", ") + n;
  throw InputError("rig", "unknown rig '" + name + "'; known rigs: " + known);
}

void UseFisheyeLenses(double fov_deg, Rig* rig) {
  if (!(fov_deg >= 60.0 && fov_deg <= 175.0)) {
    throw InputError("fisheye_fov", "must be in [60, 175] degrees, got " + std::to_string(fov_deg));
  }
  const double half_fov = 0.5 * fov_deg * EIGEN_PI / 180.0;
  for (size_t i = 0; i < rig->size(); ++i) {
    Camera& cam = (*rig)[i];
    const double aspect = cam.fy / cam.fx;
    cam.lens = LensModel::kFisheye;
    cam.fx = 0.5 * cam.width / half_fov;
    cam.fy = aspect * cam.fx;
    const double s = static_cast<double>(i % 4) / 3.0;  // 0 .. 1 across the cameras
    cam.distortion = {0.02 + 0.03 * s, -0.01 + 0.006 * s, 0.002 - 0.001 * s, -0.0004 + 0.0002 * s, 0.0};
  }
}

Rigid3d LookAt(const Eigen::Vector3d& center, const Eigen::Vector3d& target, double roll_deg) {
  const Eigen::Vector3d forward = (target - center).normalized();
  const Eigen::Vector3d right = forward.cross(Eigen::Vector3d::UnitZ()).normalized();
  const Eigen::Vector3d down = forward.cross(right);
  Eigen::Matrix3d cam_from_world_rotation;
  cam_from_world_rotation.row(0) = right.transpose();
  cam_from_world_rotation.row(1) = down.transpose();
  cam_from_world_rotation.row(2) = forward.transpose();
  const Eigen::Matrix3d roll =
      Eigen::AngleAxisd(roll_deg * EIGEN_PI / 180.0, Eigen::Vector3d::UnitZ()).toRotationMatrix();
  Rigid3d cam_from_world(Eigen::Matrix3d(roll * cam_from_world_rotation), Eigen::Vector3d::Zero());
  cam_from_world.translation = -(cam_from_world.rotation * center);
  return cam_from_world;
}

}  // namespace epilabel
