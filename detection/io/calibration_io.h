// Camera calibration files.
//
// TOML (Anipose / aniposelib / Pose2Sim layout): one table per camera ("[cam_0]" or
// Pose2Sim's "[cam_01]") with
//   name = "cam_01"            size = [width, height]  (pixels; floats accepted)
//   matrix = [[fx,0,cx],[0,fy,cy],[0,0,1]]
//   distortions = [k1, k2, p1, p2, k3]   (four terms accepted, k3 = 0)
//                 [k1, k2, k3, k4]       with fisheye = true (OpenCV's cv::fisheye model)
//   rotation = [rx, ry, rz]    Rodrigues vector world->camera, or a 3x3 matrix
//   translation = [tx, ty, tz] world->camera, metres
//   fisheye = false            or true: the equidistant fisheye (geometry/core/distortion.h)
//   time_offset = 0.12         optional, seconds (absent = 0, written only when not 0): this
//                              camera's time t shows what the reference camera shows at
//                              t + time_offset (unsynchronised cameras, `epilabel sync`)
// Tables that are not cameras (e.g. [metadata]) are ignored, and so are other keys in a camera
// table (FreeMoCap's world_orientation / world_position, Caliscope's port, error, ...), except:
// FreeMoCap writes its translations in millimetres, the unit of its board, and says so with
// [metadata] charuco_square_size (mm, e.g. 39.0); when that is 1 or more, the translations are
// read as millimetres (divided by 1000). An intrinsics-only file omits
// rotation/translation (has_extrinsics = false); a size-only file also omits matrix
// (fx = fy = 0: intrinsics unknown). Cameras keep the file's order.
#pragma once

#include <string>

#include "geometry/core/camera.h"

namespace epilabel {

// Reads a calibration TOML; throws InputError ("file:line: [table] field: problem") for
// malformed content: bad TOML (with its line and column), wrong array sizes, non-numbers, NaN
// or infinite values, missing, non-positive or fractional sizes, non-positive focal lengths,
// skew or a last matrix row other than [0, 0, 1], 3x3 rotations that are not rotations,
// rotation without translation (or the reverse), distortions with other than 4 or 5 terms
// (4 for a fisheye camera), duplicate names, no camera at all. A table is a camera when it has one of
// size/matrix/distortions/rotation/translation/fisheye or is named like one ("cam_0", "cam01").
Rig ReadCalibrationToml(const std::string& path);

// Writes the Anipose layout (Rodrigues rotation, five distortion terms; a fisheye camera four,
// with fisheye = true), atomically. Cameras
// without extrinsics are written without rotation/translation. `metadata_toml`, when not empty,
// is appended verbatim as extra tables (e.g. "[metadata]\nerror = 0.4\n").
void WriteCalibrationToml(const Rig& rig, const std::string& path, const std::string& metadata_toml = "");

// Writes OpenCV FileStorage YAML (per camera: name, image size, camera_matrix,
// fisheye: 1 for a fisheye camera only, distortion_coefficients (5, or 4 for a fisheye), rotation (3x3) and
// translation), atomically.
void WriteCalibrationYaml(const Rig& rig, const std::string& path);

// Length units of calibration files. Nothing in a plain Anipose/Pose2Sim file says its unit;
// the project's is the metre, and aniposelib calibrates in the board's unit, so a file made
// with a board measured in millimetres holds millimetres (`epilabel convert --units mm`).
// `rig` with its translations (given in `unit`: "m", "cm" or "mm") in metres; throws
// std::invalid_argument for another unit.
Rig TranslationsInMetres(Rig rig, const std::string& unit);

// The median distance between the centres of the cameras that have extrinsics (in the rig's
// unit); 0 with fewer than two such cameras.
double MedianCameraSpacing(const Rig& rig);

// Above this median spacing (metres) a rig is taken for one in millimetres or centimetres read
// as metres (a 3 m studio in millimetres reads as 3 km); commands warn, they do not refuse.
inline constexpr double kImplausibleCameraSpacingM = 100.0;

}  // namespace epilabel
