// report.json documents of calibrate, triangulate and label, built in memory from the stage
// results (schemas in the README; the HTML report shows them; the runs write them).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "geometry/core/camera.h"
#include "geometry/estimators/triangulation.h"
#include "geometry/optim/sequence_smoothing.h"
#include "geometry/sfm/calibration_pipeline.h"

namespace epilabel {

// {"kind":"triangulation", cameras [...], joints [...], counts {...}, ...}. Histograms of the
// per-camera reprojection errors are computed from `result` and `rig`.
nlohmann::json TriangulationReportJson(const Rig& rig, const TriangulationResult& result,
                                       const std::vector<std::string>& joint_names, const std::string& skeleton,
                                       const SequenceSmoothingSummary* smoothing, double min_confidence);

// {"kind":"calibration", verdict, cameras [...], pairs [...], scale, floor, ...}.
nlohmann::json CalibrationReportJson(const Rig& rig, const CalibrationReport& report);

}  // namespace epilabel
