#include "pseudolabel/demo_scoring.h"

#include "geometry/sfm/calibration_verdict.h"
#include "geometry/sfm/rig_comparison.h"

namespace epilabel {

DemoCalibration ScoreCalibration(const Rig& truth, const CalibrationOutput& output) {
  DemoCalibration d;
  d.verdict = VerdictName(output.report.verdict);
  d.success = output.success;
  if (!output.success) {
    d.reason = output.report.BriefReport();
    return d;
  }
  const RigComparison cmp = CompareRigs(truth, output.rig);
  for (size_t c = 0; c < cmp.cameras.size(); ++c) {
    DemoCameraRow row;
    row.name = cmp.cameras[c].name;
    row.rotation_error_deg = cmp.cameras[c].rotation_error_deg;
    row.center_error_mm = 1000 * cmp.cameras[c].center_error_m;
    if (c < output.report.cameras.size()) {
      const CameraCalibrationReport& cr = output.report.cameras[c];
      row.rms_px = cr.rms_px;
      row.loo_rotation_deg = cr.loo_rotation_deg;
      row.loo_center_mm = 1000 * cr.loo_center_m;
    }
    d.cameras.push_back(row);
  }
  d.max_rotation_error_deg = cmp.max_rotation_error_deg;
  d.max_center_error_pct = 100 * cmp.max_center_error_rel;
  d.scale_error_pct = 100 * cmp.scale_error_rel;
  d.scale_method = output.report.world.scale_method;
  return d;
}

}  // namespace epilabel
