#include "pseudolabel/option_tables.h"

#include <limits>

namespace epilabel {

const OptionTable<QualityGates>& QualityGatesTable() {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  using G = QualityGates;
  static const OptionTable<G> table = {
      {"min_views", "Gate: views per joint (the triangulation's)", std::function<int&(G&)>([](G& g) -> int& { return g.min_views; }),
       2, kInf, false, {}},
      {"max_reprojection_error_px", "Gate: mean reprojection error of a joint (px)",
       std::function<double&(G&)>([](G& g) -> double& { return g.max_reprojection_error_px; }), 0, std::numeric_limits<double>::infinity(), true,
       {"max_error_px"}},
      {"max_bone_deviation_rel", "Gate: bone length deviation from the sequence median (share)",
       std::function<double&(G&)>([](G& g) -> double& { return g.max_bone_deviation_rel; }), 0, std::numeric_limits<double>::infinity(), true,
       {"max_bone_deviation"}},
      {"max_uncertainty_m", "Gate: 3D standard deviation of a joint (m)",
       std::function<double&(G&)>([](G& g) -> double& { return g.max_uncertainty_m; }), 0, std::numeric_limits<double>::infinity(), true,
       {"max_uncertainty"}},
      {"min_valid_share", "Gate: share of valid joints to keep a pose",
       std::function<double&(G&)>([](G& g) -> double& { return g.min_valid_share; }), 0, 1, false, {}},
      {"min_camera_joint_share", "A camera gives a sample when it detected this share of the joints",
       std::function<double&(G&)>([](G& g) -> double& { return g.min_camera_joint_share; }), 0, 1, false,
       {"min_camera_joints"}},
      {"min_confidence", "Detections below this confidence do not count (also for the triangulation)",
       std::function<double&(G&)>([](G& g) -> double& { return g.min_confidence; }), 0, 1, false, {}},
  };
  return table;
}

}  // namespace epilabel
