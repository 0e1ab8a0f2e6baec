// The option tables of the pipeline's stages (see foundation/option_table.h): the keys used by
// the command line (flags derived from the keys), the batch manifest and the JSON echo in
// report.json. Ranges are enforced by each options struct's Check().
#pragma once

#include <nlohmann/json.hpp>

#include "foundation/option_table.h"
#include "pseudolabel/labels.h"

namespace epilabel {

// The label quality gates: min_views, max_reprojection_error_px, max_bone_deviation_rel,
// max_uncertainty_m, min_valid_share, min_camera_joint_share, min_confidence.
const OptionTable<QualityGates>& QualityGatesTable();

// {key: value} of every entry of a table.
template <typename Options>
nlohmann::json OptionsJson(const OptionTable<Options>& table, const Options& options) {
  nlohmann::json j = nlohmann::json::object();
  Options& o = const_cast<Options&>(options);
  for (const auto& spec : table) {
    if (auto* f = std::get_if<std::function<int&(Options&)>>(&spec.ref)) j[spec.key] = (*f)(o);
    else if (auto* f = std::get_if<std::function<double&(Options&)>>(&spec.ref)) j[spec.key] = (*f)(o);
    else if (auto* f = std::get_if<std::function<bool&(Options&)>>(&spec.ref)) j[spec.key] = (*f)(o);
    else if (auto* f = std::get_if<std::function<std::string&(Options&)>>(&spec.ref)) j[spec.key] = (*f)(o);
  }
  return j;
}

inline nlohmann::json QualityGatesJson(const QualityGates& gates) { return OptionsJson(QualityGatesTable(), gates); }

}  // namespace epilabel
