#include "pseudolabel/calibration_evaluation.h"

#include <algorithm>
#include <vector>

#include "detection/io/calibration_io.h"
#include "detection/io/camera_matching.h"
#include "foundation/error.h"
#include "pseudolabel/report/json_number.h"

namespace epilabel {

Rig MatchedReference(const Rig& reference, const Rig& estimate, const std::string& reference_path,
                     const std::string& estimate_path) {
  std::vector<std::string> names;
  for (const auto& c : estimate) names.push_back(c.name);
  const std::vector<int> match = MatchRigCameras(names, reference, estimate_path + " vs " + reference_path);
  Rig matched;
  for (int m : match) matched.push_back(reference[m]);
  if (matched.size() < reference.size()) {
    std::string missing;
    for (size_t g = 0; g < reference.size(); ++g)
      if (std::find(match.begin(), match.end(), static_cast<int>(g)) == match.end())
        missing += (missing.empty() ? "" : ", ") + reference[g].name;
    throw InputError(estimate_path, "has no camera for the reference camera(s) " + missing + " of " + reference_path);
  }
  return matched;
}

namespace {

void CheckExtrinsics(const Rig& rig, const std::string& path) {
  for (const auto& c : rig)
    if (!c.has_extrinsics) throw InputError(path, "camera '" + c.name + "' has no extrinsics");
}

}  // namespace

CalibrationEvaluation EvaluateCalibrationFiles(const std::string& reference_path, const std::string& estimate_path) {
  const Rig reference = ReadCalibrationToml(reference_path);
  const Rig estimate = ReadCalibrationToml(estimate_path);
  const Rig matched = MatchedReference(reference, estimate, reference_path, estimate_path);
  CheckExtrinsics(estimate, estimate_path);
  CheckExtrinsics(matched, reference_path);
  CalibrationEvaluation e;
  e.by_orientations = CompareRigs(matched, estimate, RigAlignment::kOrientations);
  if (matched.size() >= 3) e.by_centres = CompareRigs(matched, estimate, RigAlignment::kCentres);
  return e;
}

nlohmann::json RigComparisonJson(const RigComparison& c) {
  nlohmann::json cams = nlohmann::json::array();
  for (const auto& cam : c.cameras)
    cams.push_back({{"name", cam.name},
                    {"rotation_error_deg", JsonNumber(cam.rotation_error_deg)},
                    {"center_error_m", JsonNumber(cam.center_error_m)},
                    {"center_error_rel", JsonNumber(cam.center_error_rel)},
                    {"focal_error_rel", JsonNumber(cam.focal_error_rel)}});
  return {{"cameras", cams},
          {"rig_radius_m", JsonNumber(c.rig_radius_m)},
          {"max_rotation_error_deg", JsonNumber(c.max_rotation_error_deg)},
          {"max_center_error_rel", JsonNumber(c.max_center_error_rel)},
          {"max_focal_error_rel", JsonNumber(c.max_focal_error_rel)},
          {"scale_error_rel", JsonNumber(c.scale_error_rel)}};
}

}  // namespace epilabel
