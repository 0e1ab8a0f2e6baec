// Camera rigs of the synthetic studio. World frame: metres, z up, floor at z = 0, the capture
// area centred on the origin. Every camera looks at the centre of the capture area (at about
// hip-to-chest height), has its own focal length and a small OpenCV distortion
// (k1, k2, p1, p2, k3). The rigs are fixed (they do not depend on the seed).
//
//   h36m4     4 cameras near the corners of a 6 x 4 m room, 1.5-1.9 m high, 1000x1000 and
//             1000x1002 images, f ~ 1145 px, distortion like Human3.6M's; capture area 3.2 x 2 m.
//   ring8     8 cameras on a 4.5 m ring at alternating heights (1.2 / 2.4 m), 1920x1080,
//             f ~ 1400 px; capture area 3.2 x 3.2 m.
//   stereo2   2 cameras 1.5 m apart, 4 m from the area centre, converging on it, 1920x1080,
//             f ~ 1500 px; capture area 2.4 x 2 m.
//   ceiling6  6 cameras 2.9-3.1 m high looking down at 35-50 degrees, 1280x960, f ~ 720 px
//             (wide lenses, more distortion); capture area 3 x 3 m.
#pragma once

#include <string>
#include <vector>

#include <Eigen/Core>

#include "geometry/core/camera.h"

namespace epilabel {

struct StudioRig {
  std::string name;
  Rig cameras;                                  // named cam_01, cam_02, ...
  Eigen::Vector2d area_center = Eigen::Vector2d::Zero();       // capture area centre (x, y), metres
  Eigen::Vector2d area_half_extents = Eigen::Vector2d::Zero(); // half its size along x and y, metres
  Eigen::Vector3d look_at = Eigen::Vector3d::Zero();           // the point every camera aims at
};

// Names of the rigs: h36m4, ring8, stereo2, ceiling6.
std::vector<std::string> StudioRigNames();

// The rig of that name; throws InputError listing the known names otherwise.
StudioRig MakeStudioRig(const std::string& name);

// Turns every camera of `rig` into an equidistant fisheye (OpenCV's cv::fisheye, distortion.h)
// that sees `fov_deg` degrees across the image width (focal = (width / 2) / (fov / 2 in
// radians)), with the principal point kept and mild per-camera k1..k4 of GoPro-like lenses
// (|k1| <= 0.05; theta_d increasing up to 90 degrees off the axis). Throws InputError naming
// "fisheye_fov" unless fov_deg is in [60, 175].
void UseFisheyeLenses(double fov_deg, Rig* rig);

// The pose (cam_from_world) of a camera at `center` looking at `target`, with the world z axis
// pointing up in the image, then rolled by `roll_deg` about the optical axis. `target` must not
// lie straight above or below `center`.
Rigid3d LookAt(const Eigen::Vector3d& center, const Eigen::Vector3d& target, double roll_deg = 0.0);

}  // namespace epilabel
