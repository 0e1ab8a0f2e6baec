// A calibration against a reference (`epilabel evalcalib`): cameras matched by name, compared
// after a similarity aligned by the camera orientations (mean rotation, then the centres for
// scale and shift) and, with three cameras or more, by the camera centres (least-squares
// similarity of the centres). Rotation errors in degrees, centre errors in metres and as a share
// of the reference rig's radius, focal errors relative.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "geometry/sfm/rig_comparison.h"

namespace epilabel {

struct CalibrationEvaluation {
  RigComparison by_orientations;
  std::optional<RigComparison> by_centres;  // three cameras or more
};

// The reference cameras in the estimate's order, matched by name (then by the number in the
// name, as everywhere). Throws InputError naming `estimate_path` (a file or a label) when a
// reference camera has no match: a calibration that lost cameras is not scored as perfect.
Rig MatchedReference(const Rig& reference, const Rig& estimate, const std::string& reference_path,
                     const std::string& estimate_path);

// Reads both calibration TOMLs. Throws InputError naming the estimate when it has no camera for
// a reference camera (a calibration that lost cameras is not scored as perfect), and naming the
// file of a camera without extrinsics.
CalibrationEvaluation EvaluateCalibrationFiles(const std::string& reference_path, const std::string& estimate_path);

// {cameras: [{name, rotation_error_deg, center_error_m, center_error_rel, focal_error_rel}],
//  rig_radius_m, max_rotation_error_deg, max_center_error_rel, max_focal_error_rel, scale_error_rel}
nlohmann::json RigComparisonJson(const RigComparison& comparison);

}  // namespace epilabel
