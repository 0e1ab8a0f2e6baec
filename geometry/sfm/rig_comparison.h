// Comparing an estimated rig with a reference one (evaluation of a calibration).
//
// The estimate lives in its own world frame; it is first mapped onto the reference by the
// similarity whose rotation is the mean of the per-camera rotation differences and whose scale
// and translation then best map the estimated camera centres onto the reference ones (this
// stays well defined for two cameras, where a centre-only alignment is not).
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

// `estimate[i]` is compared with `reference[i]`; both need extrinsics.
RigComparison CompareRigs(const Rig& reference, const Rig& estimate);

}  // namespace epilabel
