// The demo's calibrations scored against a reference (the studio's truth, or a real rig's
// reference calibration): per camera after one similarity (aligned by the camera orientations,
// as evalcalib's first table), beside the leave-one-camera-out shifts a user without the truth
// sees. Units: degrees, millimetres, per cent as the field names say.
#pragma once

#include <string>
#include <vector>

#include "geometry/core/camera.h"
#include "geometry/sfm/calibration_pipeline.h"

namespace epilabel {

// One row per camera.
struct DemoCameraRow {
  std::string name;
  double rotation_error_deg = 0, center_error_mm = 0, rms_px = 0, loo_rotation_deg = 0, loo_center_mm = 0;
};

// A self-calibration against the truth (or a reference).
struct DemoCalibration {
  std::string verdict;
  bool success = false;
  std::string reason;               // BriefReport when not successful
  std::vector<DemoCameraRow> cameras;
  double max_rotation_error_deg = 0, max_center_error_pct = 0, scale_error_pct = 0;
  std::string scale_method;
};

// `truth` holds the calibrated cameras' references in the order of `output.rig`. A failed
// calibration gives success false and its brief report as the reason.
DemoCalibration ScoreCalibration(const Rig& truth, const CalibrationOutput& output);

}  // namespace epilabel
