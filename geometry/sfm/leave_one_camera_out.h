// Leave-one-camera-out check of a calibration: each registered camera is resected (PnP) on the
// joints the other registered cameras triangulate without it, and the pose found is compared
// with its calibrated pose. A sound camera moves by about the noise; a camera weakly held by the
// others, or inconsistent with them, moves more.
#pragma once

#include <vector>

#include "geometry/estimators/triangulation.h"
#include "geometry/sfm/calibration_pipeline.h"

namespace epilabel {

// Runs the check for every registered camera (cameras in parallel) on at most `max_frames`
// evenly spread frames of `obs`, with the rig in the metric world frame, and stores each
// camera's rotation and centre shift in `cameras[c].loo_rotation_deg` / `loo_center_m`
// (left NaN for a camera that sees fewer than 30 joints triangulated by the others, or whose
// resection fails).
void LeaveOneCameraOutCheck(const Rig& rig, const Observations2d& obs, const std::vector<uint8_t>& registered,
                            const TriangulationOptions& tri_options, int max_frames,
                            std::vector<CameraCalibrationReport>* cameras);

}  // namespace epilabel
