#include "geometry/estimators/ransac.h"

#include <sstream>
#include <stdexcept>

namespace epilabel {

void RansacOptions::Check() const {
  if (!(threshold > 0)) throw std::invalid_argument("ransac threshold must be > 0");
  if (max_iterations < 1) throw std::invalid_argument("ransac max_iterations must be >= 1");
  if (!(confidence > 0 && confidence < 1)) throw std::invalid_argument("ransac confidence must be in (0, 1)");
  if (stopping_margin < 0) throw std::invalid_argument("ransac stopping_margin must be >= 0");
  if (min_inliers < 0 || min_consensus < 0) throw std::invalid_argument("ransac min_inliers and min_consensus must be >= 0");
  if (local_optimization_rounds < 0) throw std::invalid_argument("ransac local_optimization_rounds must be >= 0");
}

std::string RansacSummary::BriefReport() const {
  std::ostringstream os;
  os << "ransac: " << iterations << " samples, " << num_inliers << " inliers, best cost " << best_cost << ", "
     << num_refits << " refits" << (refit_failed ? " (a refit failed)" : "");
  return os.str();
}

}  // namespace epilabel
