// Stage 7: what the HTML report shows, built from the results the run holds in memory (no
// file is read back): the rig, the 3D bodies of the track, the 2D keypoints as read and the
// run's report.json document. `epilabel report` builds the same inputs from files instead
// (LoadReportInputs in pseudolabel/report/html_report.h).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "detection/io/points_io.h"
#include "geometry/sfm/calibration_pipeline.h"
#include "pseudolabel/keypoint_input.h"
#include "pseudolabel/report/html_report.h"
#include "pseudolabel/stages/association.h"
#include "pseudolabel/stages/triangulate.h"

namespace epilabel {

// The points3d.npz content of a triangulated track.
PointsFile MakePointsFile(const TriangulatedSequence& sequence, const PersonTrack& track);
// The points3d.npz content of a calibration's final triangulation (world frame).
PointsFile MakePointsFile(const TriangulationResult& triangulation, const PersonTrack& track);

// The rig a calibration report draws: the calibrated cameras, or for a failed calibration the
// cameras that were registered before it failed (the others without extrinsics, so without a
// frustum).
Rig ReportRig(const CalibrationOutput& output);

// Report inputs of a run. `keypoints` (the 2D detections as read, for the per-camera errors)
// may be null and `points` empty (no 3D bodies); `sources` name the files behind the run.
ReportInputs MakeReportInputs(const std::string& title, const Rig& rig, const KeypointSequence* keypoints,
                              const Skeleton& skeleton, std::optional<PointsFile> points, const nlohmann::json& report,
                              std::vector<std::pair<std::string, std::string>> sources);

}  // namespace epilabel
