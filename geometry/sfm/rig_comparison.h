// Comparing an estimated rig with a reference one (evaluation of a calibration).
//
// The estimate lives in its own world frame; it is first mapped onto the reference by a
// similarity, in one of two ways:
//  - kOrientations (the default): the rotation is the mean of the per-camera rotation
//    differences, then scale and translation best map the estimated camera centres onto the
//    reference ones given that rotation (well defined for two cameras, where a centre-only
//    alignment is not). Rotation errors are then spread evenly; centre errors carry what the
//    mean rotation leaves.
//  - kCentres: the least-squares similarity of the camera centres alone (Umeyama), as a point
//    cloud; needs three cameras not on a line. Centre errors are then the smallest possible;
//    rotation errors carry the rotation that best fits the centres.
// The two differ by how a rig's errors are shared between rotations and positions; a rig that
// is right up to a similarity scores zero with both.
#pragma once

#include <string>
#include <vector>

#include "geometry/core/camera.h"
#include "geometry/core/rigid3.h"

namespace epilabel {

struct CameraComparison {
  std::string name;
  double rotation_error_deg = kNaN;
  double center_error_m = kNaN;    // after alignment, reference units (metres)
  double center_error_rel = kNaN;  // relative to the reference rig radius
  double focal_error_rel = kNaN;   // (f_est - f_ref) / f_ref
};

struct RigComparison {
  Sim3d reference_from_estimate;
  double scale_error_rel = kNaN;  // estimate size / reference size - 1: how far the metric scale is off
  double rig_radius_m = kNaN;     // mean distance of the reference centres from their centroid
  std::vector<CameraComparison> cameras;
  double max_rotation_error_deg = kNaN, max_center_error_rel = kNaN, max_focal_error_rel = kNaN;
};

enum class RigAlignment { kOrientations, kCentres };

// `estimate[i]` is compared with `reference[i]`; both need extrinsics. With kCentres and fewer
// than three cameras, or centres on a line, the result has NaN errors.
RigComparison CompareRigs(const Rig& reference, const Rig& estimate,
                          RigAlignment alignment = RigAlignment::kOrientations);

}  // namespace epilabel
