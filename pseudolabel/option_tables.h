// The option tables of the pipeline's stages (see foundation/option_table.h): the keys used by
// the command line (flags derived from the keys), the batch manifest and the JSON echo in
// report.json. Ranges are enforced by each options struct's Check().
#pragma once

#include <nlohmann/json.hpp>

#include "foundation/option_table.h"
#include "pseudolabel/labels.h"
#include "pseudolabel/stages/calibrate.h"
#include "pseudolabel/stages/triangulate.h"

namespace epilabel {

// The label quality gates: min_views, max_reprojection_error_px, max_bone_deviation_rel,
// max_uncertainty_m, min_valid_share, min_camera_joint_share, min_confidence.
const OptionTable<QualityGates>& QualityGatesTable();

// The triangulation stage: the per-frame fit (min_confidence, threshold_px, robust,
// adaptive_threshold, threshold_sigmas, swap_repair, skeleton_check, bone_tolerance), the
// single-view completion (complete_single_view, complete_disagreeing_views, completion_window,
// completion_max_distance_m) and the
// sequence smoothing (smooth, fps, smooth_accel, smooth_bone_sigma, smooth_pixel_sigma,
// smooth_cut_speed, max_gap). A bool whose default is true is a `--no-<key>` flag.
const OptionTable<TriangulateStageOptions>& TriangulateStageTable();

// The calibration stage's tuning: min_confidence, max_frames, refine_focal, refine_k1, ba_bones,
// ba_joint_weights, reassociate.
// The scale (height, baseline, track heights) and the seed are parsed by the commands.
const OptionTable<CalibrateStageOptions>& CalibrateStageTable();

// {key: value} of every entry of a table, but those in `skip`.
template <typename Options>
nlohmann::json OptionsJson(const OptionTable<Options>& table, const Options& options,
                           const std::vector<std::string>& skip = {}) {
  nlohmann::json j = nlohmann::json::object();
  Options& o = const_cast<Options&>(options);
  for (const auto& spec : table) {
    if (std::find(skip.begin(), skip.end(), spec.key) != skip.end()) continue;
    if (auto* f = std::get_if<std::function<int&(Options&)>>(&spec.ref)) j[spec.key] = (*f)(o);
    else if (auto* f = std::get_if<std::function<double&(Options&)>>(&spec.ref)) j[spec.key] = (*f)(o);
    else if (auto* f = std::get_if<std::function<bool&(Options&)>>(&spec.ref)) j[spec.key] = (*f)(o);
    else if (auto* f = std::get_if<std::function<std::string&(Options&)>>(&spec.ref)) j[spec.key] = (*f)(o);
  }
  return j;
}

inline nlohmann::json QualityGatesJson(const QualityGates& gates) { return OptionsJson(QualityGatesTable(), gates); }

}  // namespace epilabel
