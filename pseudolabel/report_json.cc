#include "pseudolabel/report_json.h"

#include <algorithm>
#include <cmath>

#include "foundation/file_util.h"
#include "geometry/sfm/calibration_verdict.h"
#include "pseudolabel/report/json_number.h"

namespace epilabel {

namespace {


nlohmann::json Histogram(const std::vector<double>& values, double max_value, int bins) {
  std::vector<double> edges(bins + 1);
  std::vector<int64_t> counts(bins, 0);
  for (int i = 0; i <= bins; ++i) edges[i] = max_value * i / bins;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    const int b = std::min(bins - 1, static_cast<int>(v / max_value * bins));
    ++counts[std::max(0, b)];
  }
  return {{"edges", edges}, {"counts", counts}};
}

// Stature parts: name, metres, and (when measured) the spread over frames and the
// left/right disagreement, shares of the part's length.
nlohmann::json StaturePartsJson(const std::vector<StaturePart>& parts) {
  nlohmann::json segments = nlohmann::json::array();
  for (const StaturePart& part : parts) {
    segments.push_back({{"segment", part.name}, {"metres", JsonNumber(part.metres)}});
    if (std::isfinite(part.spread_rel)) segments.back()["spread_rel"] = part.spread_rel;
    if (std::isfinite(part.asymmetry_rel)) segments.back()["left_right_rel"] = part.asymmetry_rel;
  }
  return segments;
}

}  // namespace

nlohmann::json TriangulationReportJson(const Rig& rig, const TriangulationResult& result,
                                       const std::vector<std::string>& joint_names, const std::string& skeleton,
                                       const SequenceSmoothingSummary* smoothing, double min_confidence) {
  const TriangulationSummary& s = result.summary;
  const int nf = result.points.num_frames(), nj = result.points.num_joints();
  nlohmann::json j;
  j["kind"] = "triangulation";
  j["num_frames"] = nf;
  j["num_joints"] = nj;
  j["skeleton"] = skeleton;
  j["mean_error_px"] = JsonNumber(s.mean_error_px);
  j["median_error_px"] = JsonNumber(s.median_error_px);
  nlohmann::json cams = nlohmann::json::array();
  for (size_t c = 0; c < rig.size(); ++c) {
    const CameraTriangulationStats& cs = s.cameras[c];
    std::vector<double> errors;
    for (frame_t f = 0; f < nf; ++f)
      for (joint_t k = 0; k < nj; ++k) {
        if (!(result.view_mask.at(f, k) & (uint64_t{1} << c))) continue;
        const Eigen::Vector3d& o = result.repaired.at(static_cast<camera_t>(c), f, k);
        if (!(o.z() >= min_confidence && o.z() > 0)) continue;
        const auto px = rig[c].ImageFromWorld(result.points.at(f, k));
        if (px) errors.push_back((*px - o.head<2>()).norm());
      }
    double max_e = 1.0;
    if (!errors.empty()) {
      std::vector<double> tmp = errors;
      const size_t q = std::min(tmp.size() - 1, tmp.size() * 99 / 100);
      std::nth_element(tmp.begin(), tmp.begin() + static_cast<std::ptrdiff_t>(q), tmp.end());
      max_e = std::max(1.0, std::ceil(tmp[q]));
    }
    cams.push_back({{"name", rig[c].name},
                    {"observed", cs.observed},
                    {"used", cs.used},
                    {"share_used", JsonNumber(cs.observed ? static_cast<double>(cs.used) / static_cast<double>(cs.observed) : kNaN)},
                    {"mean_error_px", JsonNumber(cs.mean_error_px)},
                    {"median_error_px", JsonNumber(cs.median_error_px)},
                    {"error_histogram", Histogram(errors, max_e, 20)}});
  }
  j["cameras"] = cams;
  nlohmann::json joints = nlohmann::json::array();
  for (joint_t k = 0; k < nj; ++k) {
    double sum = 0;
    int n = 0;
    for (frame_t f = 0; f < nf; ++f)
      if (std::isfinite(result.reproj_error_px.at(f, k))) {
        sum += result.reproj_error_px.at(f, k);
        ++n;
      }
    joints.push_back({{"name", k < static_cast<joint_t>(joint_names.size()) ? joint_names[k] : std::to_string(k)},
                      {"share_triangulated", JsonNumber(s.joint_triangulated_share[k])},
                      {"mean_error_px", JsonNumber(n ? sum / n : kNaN)}});
  }
  j["joints"] = joints;
  int64_t gaps_filled = smoothing ? smoothing->num_points_filled : 0;
  j["counts"] = {{"points", s.num_points},
                 {"triangulated", s.num_triangulated},
                 {"observations", s.num_observations},
                 {"outliers_dropped", s.num_outliers_dropped},
                 {"swaps_fixed", s.num_swaps_fixed},
                 {"bone_fixed", s.num_bone_fixed},
                 {"bone_dropped", s.num_bone_dropped},
                 {"robust_searches", s.num_robust_searches},
                 {"gaps_filled", gaps_filled}};
  if (smoothing) {
    nlohmann::json bones = nlohmann::json::array();
    for (double l : smoothing->bone_lengths) bones.push_back(JsonNumber(l));
    j["smoothing"] = {{"windows", smoothing->num_windows},
                      {"iterations", smoothing->total_iterations},
                      {"initial_cost", JsonNumber(smoothing->initial_cost)},
                      {"final_cost", JsonNumber(smoothing->final_cost)},
                      {"bone_lengths_m", bones}};
  }
  return j;
}

nlohmann::json CalibrationReportJson(const Rig& rig, const CalibrationReport& rep) {
  nlohmann::json j;
  j["kind"] = "calibration";
  j["verdict"] = {{"status", VerdictName(rep.verdict)}, {"reasons", rep.reasons}, {"notes", rep.notes}};
  // The camera that stands out as the weakest (calibration_verdict.h), null when none does.
  const WeakestCamera weakest = FindWeakestCamera(rep);
  nlohmann::json cams = nlohmann::json::array();
  for (size_t c = 0; c < rep.cameras.size(); ++c) {
    const CameraCalibrationReport& cr = rep.cameras[c];
    nlohmann::json cj = {{"name", cr.name},
                         {"registered", cr.registered},
                         {"rms_px", JsonNumber(cr.rms_px)},
                         {"observations", cr.observations},
                         {"focal_px", JsonNumber(cr.focal_px)},
                         {"focal_sigma_px", JsonNumber(cr.focal_sigma_px)},
                         {"rotation_sigma_deg", JsonNumber(cr.rotation_sigma_deg)},
                         {"center_sigma_m", JsonNumber(cr.center_sigma_m)},
                         {"median_error_px", JsonNumber(cr.median_error_px)},
                         {"share_used", JsonNumber(cr.share_used)},
                         {"loo_rotation_deg", JsonNumber(cr.loo_rotation_deg)},
                         {"loo_center_m", JsonNumber(cr.loo_center_m)},
                         {"verdict", VerdictName(cr.verdict)},
                         {"reason", cr.reason}};
    if (c < rig.size() && cr.registered) {
      const Eigen::Vector3d center = rig[c].CenterInWorld();
      cj["center"] = {center.x(), center.y(), center.z()};
      const Eigen::Vector3d r = RodriguesFromRotation(rig[c].cam_from_world.RotationMatrix());
      cj["rotation_rodrigues"] = {r.x(), r.y(), r.z()};
    }
    if (c < rep.self.focal_initial.size()) cj["focal_initial_px"] = JsonNumber(rep.self.focal_initial[c]);
    if (c < rep.self.focal_bone_search.size() && std::isfinite(rep.self.focal_bone_search[c]))
      cj["focal_bone_search_px"] = JsonNumber(rep.self.focal_bone_search[c]);
    if (rep.self.focal_estimated && c < rep.self.focal_jackknife_sigma_px.size()) {
      // Estimated focal lengths only (focal_uncertainty.h): the jackknifes and the figure the verdict uses.
      cj["focal_uncertainty_px"] = JsonNumber(cr.focal_uncertainty_px);
      cj["focal_jackknife"] = {{"sigma_px", JsonNumber(cr.focal_jackknife_px)},
                               {"frames_sigma_px", JsonNumber(rep.self.focal_frames_sigma_px[c])},
                               {"joints_sigma_px", JsonNumber(rep.self.focal_joints_sigma_px[c])},
                               {"frame_blocks", rep.self.focal_jackknife_blocks},
                               {"joint_groups", rep.self.focal_jackknife_joint_groups}};
    }
    if (std::isfinite(cr.given_focal_pull_rel)) {
      // Given intrinsics (given_focal_check.h): how far the people pull the given focal length,
      // freed alone (negative: shorter), and whether the verdict counts it as a disagreement.
      const std::vector<int>& disagree = weakest.focal_disagrees;
      cj["given_focal_check"] = {
          {"pull_rel", JsonNumber(cr.given_focal_pull_rel)},
          {"sigma_rel", JsonNumber(cr.given_focal_sigma_rel)},
          {"disagrees", std::find(disagree.begin(), disagree.end(), static_cast<int>(c)) != disagree.end()}};
    }
    cams.push_back(cj);
  }
  j["cameras"] = cams;
  j["leave_one_out"] = {{"limit_deg", JsonNumber(rep.loo_limit_deg)}, {"limit_center_m", JsonNumber(rep.loo_limit_center_m)}};
  j["weakest_camera"] = weakest.camera < 0 ? nlohmann::json(nullptr)
                                           : nlohmann::json{{"name", rep.cameras[weakest.camera].name},
                                                            {"evidence", weakest.evidence},
                                                            {"ratio", JsonNumber(weakest.ratio)}};
  nlohmann::json pairs = nlohmann::json::array();
  for (const PairReport& p : rep.self.pairs) {
    pairs.push_back({{"a", rep.cameras[p.a].name},
                     {"b", rep.cameras[p.b].name},
                     {"correspondences", p.correspondences},
                     {"inliers", p.inliers},
                     {"median_angle_deg", JsonNumber(p.median_angle_deg)},
                     {"quality", JsonNumber(p.quality)},
                     {"used", p.edge},
                     {"reason", p.reason}});
  }
  j["pairs"] = pairs;
  if (rep.self.initial_a >= 0)
    j["initial_pair"] = {rep.cameras[rep.self.initial_a].name, rep.cameras[rep.self.initial_b].name};
  nlohmann::json order = nlohmann::json::array();
  for (camera_t c : rep.self.registration_order) order.push_back(rep.cameras[c].name);
  j["registration_order"] = order;
  j["focal_estimated"] = rep.self.focal_estimated;
  j["bundle_adjustment"] = {{"frames", rep.self.num_frames_used},
                            {"points", rep.self.num_points},
                            {"observations", rep.self.ba.num_observations},
                            {"outliers_removed", rep.self.ba.num_outliers_removed},
                            {"iterations", rep.self.ba.iterations},
                            {"initial_cost", JsonNumber(rep.self.ba.initial_cost)},
                            {"final_cost", JsonNumber(rep.self.ba.final_cost)},
                            {"sigma0_px", JsonNumber(rep.self.ba.sigma0_px)},
                            {"termination", rep.self.ba.termination}};
  nlohmann::json passes = nlohmann::json::array();
  for (const FinalPassReport& p : rep.self.final_passes)
    passes.push_back({{"view_change", JsonNumber(p.view_change)},
                      {"rotation_change_deg", JsonNumber(p.rotation_change_deg)},
                      {"rotation_change_sigmas", JsonNumber(p.rotation_change_sigmas)},
                      {"center_change_sigmas", JsonNumber(p.center_change_sigmas)},
                      {"observations", p.observations},
                      {"sigma0_px", JsonNumber(p.sigma0_px)}});
  j["bundle_adjustment"]["passes"] = passes;
  j["bundle_adjustment"]["passes_stop"] = rep.self.final_passes_stop;
  if (!rep.self.ba.group_weights.empty()) {
    // The weights measured per joint type (ba_joint_weights 1) or camera and joint type (2,
    // camera-major), multiplied onto the confidences.
    nlohmann::json weights = nlohmann::json::array();
    for (double w : rep.self.ba.group_weights) weights.push_back(JsonNumber(w));
    j["bundle_adjustment"]["group_weights"] = weights;
  }
  if (!rep.self.view_bias_joint_rms_px.empty()) {
    // ba_view_bias: per joint the RMS of the fitted view-dependent offset, projected (px; 0 where
    // the significance gate dropped the joint).
    nlohmann::json rms = nlohmann::json::array();
    for (double v : rep.self.view_bias_joint_rms_px) rms.push_back(JsonNumber(v));
    j["bundle_adjustment"]["view_bias_joint_rms_px"] = rms;
  }
  j["scale"] = {{"method", rep.world.scale_method},
                {"metres_per_unit", JsonNumber(rep.world.scale)},
                {"uncertainty_rel", JsonNumber(rep.world.scale_sigma_rel)}};
  if (!rep.world.stature_segments_m.empty()) {
    // The measured stature part by part (metres at the chosen scale, bottom to top).
    j["scale"]["stature_segments"] = StaturePartsJson(rep.world.stature_segments_m);
    j["scale"]["stature_knee_flexion_deg"] = JsonNumber(rep.world.knee_flexion_deg);
    j["scale"]["measured_height_m"] = JsonNumber(rep.world.measured_height_m);
  }
  if (!rep.world.people.empty()) {
    nlohmann::json people = nlohmann::json::array();
    for (const PersonStature& p : rep.world.people) {
      people.push_back({{"track_id", p.person},
                        {"frames", p.frames},
                        {"model", p.method},
                        {"stated_height_m", JsonNumber(p.stated_height_m)},
                        {"height_given", p.height_given},
                        {"scale_alone", JsonNumber(p.scale)},
                        {"scale_alone_uncertainty_rel", JsonNumber(p.scale_sigma_rel)},
                        {"used", p.used},
                        {"measured_height_m", JsonNumber(p.measured_height_m)}});
      if (p.stature_segments_m.empty()) continue;
      // This person's stature part by part (metres at the combined scale, bottom to top).
      people.back()["stature_segments"] = StaturePartsJson(p.stature_segments_m);
      people.back()["stature_knee_flexion_deg"] = JsonNumber(p.knee_flexion_deg);
    }
    j["scale"]["people"] = people;
  }
  j["floor"] = {{"from_feet", rep.world.floor_from_feet},
                {"inliers", rep.world.floor_inliers},
                {"rms_m", JsonNumber(rep.world.floor_rms_m)},
                {"feet_spread_m", JsonNumber(rep.world.feet_spread_m)}};
  j["rig_size_m"] = JsonNumber(rep.rig_size_m);
  j["motion_extent_m"] = JsonNumber(rep.motion_extent_m);
  nlohmann::json timings = nlohmann::json::object();
  for (const auto& [stage, seconds] : rep.self.timings_s) timings[stage] = seconds;
  j["timings_s"] = timings;
  return j;
}

}  // namespace epilabel
