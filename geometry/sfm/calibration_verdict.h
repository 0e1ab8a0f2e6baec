// The verdict of a calibration and its reasons (see calibration_pipeline.h): per camera, "check"
// when a figure of the bundle adjustment, the triangulation or the leave-one-camera-out check
// crosses its threshold (CalibrationThresholds) and "failed" when it is not registered or
// moves tens of degrees in the leave-one-out check; for the whole rig, the worst camera verdict, made "check" by too few cameras, frames or motion, or no
// floor from the feet.
#pragma once

#include "geometry/sfm/calibration_pipeline.h"

namespace epilabel {

// Fills, from the report's self-calibration, world frame, triangulation and leave-one-out
// figures: the per-camera figures and verdicts, the leave-one-out limits in force, the reasons
// and notes, and the overall verdict. `rig` is the calibrated rig in the world frame.
void JudgeCalibration(const CalibrationThresholds& thresholds, const Rig& rig, CalibrationReport* report);

}  // namespace epilabel
