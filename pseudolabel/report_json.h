// report.json documents written next to the outputs of calibrate, triangulate and label
// (schemas in the README; the HTML report reads them).
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

// Writes pretty JSON atomically.
void WriteJson(const nlohmann::json& json, const std::string& path);

}  // namespace epilabel
