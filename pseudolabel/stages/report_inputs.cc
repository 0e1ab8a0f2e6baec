#include "pseudolabel/stages/report_inputs.h"

namespace epilabel {

PointsFile MakePointsFile(const TriangulatedSequence& sequence, const PersonTrack& track) {
  PointsFile pf;
  pf.points = sequence.points;
  pf.reproj_error_px = sequence.reproj_error_px;
  pf.n_views = sequence.num_views;
  pf.uncertainty_m = sequence.uncertainty_m;
  pf.joint_names = track.skeleton->joint_names;
  pf.frame_numbers = track.frame_numbers;
  return pf;
}

PointsFile MakePointsFile(const TriangulationResult& triangulation, const PersonTrack& track) {
  PointsFile pf;
  pf.points = triangulation.points;
  pf.reproj_error_px = triangulation.reproj_error_px;
  pf.n_views = triangulation.num_views;
  pf.uncertainty_m = triangulation.uncertainty_m;
  pf.joint_names = track.skeleton->joint_names;
  pf.frame_numbers = track.frame_numbers;
  return pf;
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
