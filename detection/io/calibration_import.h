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
// Vicon (.xcp, the XML that Nexus / Tracker / Shogun save; Pose2Sim's calib_vicon_fun reads it):
//   <Camera DEVICEID NAME TYPE ISDV SENSOR_SIZE="w h" PIXEL_ASPECT_RATIO SKEW ...>
//     <KeyFrames><KeyFrame FOCAL_LENGTH PRINCIPAL_POINT ORIENTATION POSITION VICON_RADIAL2 .../>
//   Sources: Vicon's CaraPost reference, "About calibration data (XCP) files" (documentation.
//   vicon.com); the XCP reader and writer of the IMS/GRIP research code (github davidsoncolin/IMS,
//   IO/ViconReader.py: loadXCP, saveXCP); Pose2Sim's calib_vicon_fun; avialsync's camera_from_xcp
//   (checked there against the cameras' positions in each other's videos); a third Python reader
//   (vendored from capture/cameras/xcp.py). Read for the facts only.
//   - SENSOR_SIZE: image width and height, pixels.
//   - FOCAL_LENGTH: fx in pixels; fy = FOCAL_LENGTH / PIXEL_ASPECT_RATIO (Pose2Sim, GRIP; every
//     file we know of has 1). A KeyFrame PIXEL_ASPECT_RATIO_CORRECTION other than 1 and a SKEW
//     other than 0 are refused (no two sources agree on them).
//   - PRINCIPAL_POINT: cx cy in pixels, taken as OpenCV pixels (no half-pixel shift: no source
//     applies one).
//   - ORIENTATION: a quaternion x y z w ("the last value is the real part", Vicon); its rotation
//     matrix (Hamilton) is cam_from_world for a camera looking along +z with x right and y down,
//     as OpenCV's: every reader uses it so (GRIP flips y and z only for its own y-up frame).
//     Not of unit norm within 1e-3: refused.
//   - POSITION: the camera centre in the world, millimetres: t = -R centre / 1000.
//   - VICON_RADIAL2 = "Vicon3Parameter ux uy k1 k2 k3": the distortion centre (pixels) and three
//     coefficients in pixel units. Vicon's lens model maps a distorted (seen) pixel d to the
//     undistorted one: u = c + (d - c) (1 + k1 r^2 + k2 r^4 + k3 r^6), r = |d - c| in pixels
//     (avialsync; GRIP undistorts detections with it), the opposite direction from OpenCV's.
//     The older VICON_RADIAL = "k1 k2" is the same model centred on the principal point.
//     (Pose2Sim takes the k1, k2 as OpenCV's normalised coefficients, which is off by f^2 and
//     by the direction.) There is no exact OpenCV equivalent, so OpenCV's k1, k2, k3, p1, p2 are
//     fitted by linear least squares on a grid over the whole image (p1, p2 absorb a centre
//     away from the principal point); the fit's RMS and largest residual in pixels are
//     reported per camera, and a camera whose largest residual exceeds
//     ViconImportOptions::max_fit_error_px is refused. Distortion with a pixel aspect ratio
//     other than 1, or a model that folds over inside the image, is refused.
//   - Which cameras: a camera is a video camera when its TYPE contains "video" (any case:
//     "VideoFile", "Vue_VIDEO") or its ISDV is not 0. When the file marks any camera so, only
//     the video cameras are read (the marker cameras see infrared blobs, not people); when it
//     marks none, all cameras are read and the summary says so. A camera with more than one
//     KeyFrame (a moving camera) is refused.
//   Cameras are named cam_01, cam_02, ... in file order (as Pose2Sim names them).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "geometry/core/camera.h"

namespace epilabel {

constexpr uintmax_t kMaxImportBytes = 64u << 20;

// Reads a Qualisys .qca.txt calibration (see above).
Rig ReadQualisysCalibration(const std::string& path);

// Reads EasyMocap's intri.yml and, unless `extri_path` is empty, extri.yml. `width`/`height`
// are used for cameras without H_/W_ (0 = none given: such a camera is an error).
Rig ReadEasyMocapCalibration(const std::string& intri_path, const std::string& extri_path, int width = 0,
                             int height = 0);

struct ViconImportOptions {
  // A camera whose OpenCV fit of Vicon's lens model is off by more than this anywhere on the
  // image (pixels) is refused.
  double max_fit_error_px = 1.0;
  // Grid of distorted pixels, per image side, on which the lens model is fitted.
  int fit_grid = 41;
  // Read the marker cameras too when the file marks video cameras.
  bool include_marker_cameras = false;
};

// How one Vicon camera was converted.
struct ViconCameraReport {
  std::string name;       // cam_01, ...
  std::string device_id;  // DEVICEID (empty when absent)
  std::string type;       // TYPE (empty when absent)
  bool video = false;
  bool has_distortion = false;
  double fit_rms_px = 0.0;  // OpenCV fit of Vicon's lens model over the image, pixels
  double fit_max_px = 0.0;
};

struct ViconImport {
  Rig rig;
  std::vector<ViconCameraReport> cameras;  // one per camera of `rig`
  int skipped_marker_cameras = 0;          // cameras left out as not video
  bool no_camera_marked_video = false;     // so every camera was read
  // One line per camera and a line on what was left out.
  std::string BriefReport() const;
};

// Reads a Vicon .xcp calibration (see above).
ViconImport ReadViconCalibration(const std::string& path, const ViconImportOptions& options = {});

}  // namespace epilabel
