#include "pseudolabel/stages/report_inputs.h"

namespace epilabel {

namespace {

// Both results hold points, errors, view counts and uncertainties under the same names.
template <typename Result>
PointsFile PointsOf(const Result& result, const PersonTrack& track) {
  PointsFile pf;
  pf.points = result.points;
  pf.reproj_error_px = result.reproj_error_px;
  pf.n_views = result.num_views;
  pf.uncertainty_m = result.uncertainty_m;
  pf.joint_names = track.skeleton->joint_names;
  pf.frame_numbers = track.frame_numbers;
  return pf;
}

}  // namespace

PointsFile MakePointsFile(const TriangulatedSequence& sequence, const PersonTrack& track) {
  return PointsOf(sequence, track);
}

PointsFile MakePointsFile(const TriangulationResult& triangulation, const PersonTrack& track) {
  return PointsOf(triangulation, track);
}

Rig ReportRig(const CalibrationOutput& output) {
  Rig rig = output.rig;
  const auto& cameras = output.report.cameras;
  for (size_t c = 0; c < rig.size(); ++c)
    rig[c].has_extrinsics = rig[c].has_extrinsics || (c < cameras.size() && cameras[c].registered);
  if (!output.success)
    for (size_t c = 0; c < rig.size(); ++c) rig[c].has_extrinsics = c < cameras.size() && cameras[c].registered;
  return rig;
}

ReportInputs MakeReportInputs(const std::string& title, const Rig& rig, const KeypointSequence* keypoints,
                              const Skeleton& skeleton, std::optional<PointsFile> points, const nlohmann::json& report,
                              std::vector<std::pair<std::string, std::string>> sources) {
  ReportInputs in;
  in.title = title;
  in.rig = rig;
  in.points = std::move(points);
  if (keypoints) in.poses = *keypoints;
  in.skeleton = skeleton.name;
  in.report_json = report.dump(2) + "\n";
  in.sources = std::move(sources);
  return in;
}

}  // namespace epilabel
