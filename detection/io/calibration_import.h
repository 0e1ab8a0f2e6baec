// Calibrations of other systems, read into a Rig (geometry/core/camera.h: metres, world->camera,
// OpenCV pixels). Each reader checks the file's size first (at most kMaxImportBytes) and throws
// InputError naming the file for anything malformed.
//
// Qualisys (.qca.txt, the XML that QTM exports and Pose2Sim converts): one <camera> per camera,
//   <fov_video left right top bottom>  image = right-left+1 x bottom-top+1 pixels
//   <intrinsic focalLengthU/V centerPointU/V ...>  in sensor units of 1/64 pixel; the principal
//       point is taken relative to the fov_video window (minus left, top)
//   radialDistortion1..3, tangentalDistortion1..2  k1, k2, k3, p1, p2 in OpenCV's units, as they
//       are. Pose2Sim divides them by 64 too (its Calib_qualisys.toml has k1 = -0.00072), but a
//       board calibration of the same four cameras (`epilabel intrinsics` on pose2sim_board, k3
//       fixed) gives k1 = -0.049/-0.049/-0.036/-0.047 and k2 = 0.136/0.142/0.061/0.130 against
//       the file's -0.046/-0.048/-0.047/-0.048 and 0.140/0.137/0.138/0.135: the raw values.
//   <transform x y z r11..r33>  x, y, z: camera centre in the lab, millimetres; r: the rotation
//       from the lab to Qualisys' camera axes (x right, y up, z backwards), so that
//       cam_from_world R = diag(1, -1, -1) [r] and t = -R centre / 1000.
//   Cameras are named cam_01, cam_02, ... in file order (as Pose2Sim names them); `viewrotation`
//   other than 0 is refused.
// EasyMocap (intri.yml + extri.yml, OpenCV FileStorage YAML): `names` lists the cameras; per
//   name K_<name> (3x3), dist_<name> (1x5 or 5x1, k1 k2 p1 p2 k3), optional H_<name>/W_<name>
//   (image height and width); in extri.yml R_<name> (Rodrigues, 3x1) or Rot_<name> (3x3) and
//   T_<name> (3x1, metres), world->camera. Without H/W the image size must be given.
#pragma once

#include <cstdint>
#include <string>

#include "geometry/core/camera.h"

namespace epilabel {

constexpr uintmax_t kMaxImportBytes = 64u << 20;

// Reads a Qualisys .qca.txt calibration (see above).
Rig ReadQualisysCalibration(const std::string& path);

// Reads EasyMocap's intri.yml and, unless `extri_path` is empty, extri.yml. `width`/`height`
// are used for cameras without H_/W_ (0 = none given: such a camera is an error).
Rig ReadEasyMocapCalibration(const std::string& intri_path, const std::string& extri_path, int width = 0,
                             int height = 0);

}  // namespace epilabel
