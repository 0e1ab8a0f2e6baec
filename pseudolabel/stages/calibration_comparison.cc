#include "pseudolabel/stages/calibration_comparison.h"

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <limits>
#include <optional>

#include "foundation/statistics.h"

namespace epilabel {

PersonTrack EveryNthFrame(const PersonTrack& track, int max_frames) {
  const int n = track.num_frames();
  if (n <= max_frames) return track;
  PersonTrack out = track;
  out.observations = Observations2d(track.num_cameras(), max_frames, track.observations.num_joints());
  out.frame_numbers.clear();
  out.frame_track_ids.clear();
  for (int k = 0; k < max_frames; ++k) {
    const frame_t f = static_cast<frame_t>((static_cast<int64_t>(k) * n) / max_frames);
    out.frame_numbers.push_back(track.frame_numbers[f]);
    if (!track.frame_track_ids.empty()) out.frame_track_ids.push_back(track.frame_track_ids[f]);
    for (camera_t c = 0; c < track.num_cameras(); ++c)
      std::copy_n(track.observations.Row(c, f), track.observations.num_joints(),
                  out.observations.Row(c, static_cast<frame_t>(k)));
  }
  return out;
}

TriangulationOptions ComparisonTriangulation(const Skeleton& skeleton, const CalibrateStageOptions& options,
                                             const Rig& intrinsics) {
  const CalibrationPipelineOptions p = PipelineOptionsFor(skeleton, options, intrinsics);
  TriangulationOptions t = p.triangulation;
  t.symmetric_pairs = p.self.symmetric_pairs;
  if (t.bones.empty()) t.bones = p.self.bones;
  return t;
}

std::vector<double> ReprojectionErrors(const Rig& rig, const Observations2d& obs, const TriangulationOptions& options) {
  const TriangulationResult tri = TriangulateSequence(rig, obs, options);
  const Observations2d& seen = tri.repaired.empty() ? obs : tri.repaired;
  std::vector<double> errors;
  for (frame_t f = 0; f < obs.num_frames(); ++f)
    for (joint_t j = 0; j < obs.num_joints(); ++j) {
      const Eigen::Vector3d point = tri.points.at(f, j);
      if (!point.allFinite()) continue;
      for (camera_t c = 0; c < obs.num_cameras(); ++c) {
        const Eigen::Vector3d& o = seen.at(c, f, j);
        if (!(o.z() >= options.min_confidence) || !o.allFinite()) continue;
        const std::optional<Eigen::Vector2d> x = rig[c].ImageFromWorld(point);
        errors.push_back(x ? (*x - o.head<2>()).norm() : std::numeric_limits<double>::infinity());
      }
    }
  return errors;
}

double TruncatedRms(const std::vector<double>& errors, double cap) {
  if (errors.empty()) return kNaN;
  double sum = 0.0;
  for (double e : errors) sum += std::min(e, cap) * std::min(e, cap);
  return std::sqrt(sum / static_cast<double>(errors.size()));
}

ReprojectionComparison CompareReprojection(const Rig& first, const Rig& second, const Observations2d& obs,
                                           const TriangulationOptions& options, double error_cap) {
  ReprojectionComparison c;
  const std::vector<double> first_errors = ReprojectionErrors(first, obs, options);
  c.cap_px = error_cap * Median(first_errors);
  if (!std::isfinite(c.cap_px)) return c;
  c.first_error_px = TruncatedRms(first_errors, c.cap_px);
  c.second_error_px = TruncatedRms(ReprojectionErrors(second, obs, options), c.cap_px);
  return c;
}

bool SelectionReplacesPooled(const CalibrationOutput& pooled, const CalibrationOutput& selection,
                             const std::function<ReprojectionComparison()>& compare, std::string* how) {
  const int p = VerdictRank(pooled), s = VerdictRank(selection);
  if (p == 0 || s == 0) return s > p;  // a failed pooled calibration gives way to one that is not
  if (p == 2) return false;
  const ReprojectionComparison c = compare();
  if (!(c.second_error_px < c.first_error_px)) return false;
  char text[200];
  std::snprintf(text, sizeof(text),
                " and reprojects the tracks and the selection worse (%.3f px RMS, errors above %.1f px counted as "
                "%.1f px, against %.3f px)",
                c.first_error_px, c.cap_px, c.cap_px, c.second_error_px);
  *how = text;
  return true;
}

}  // namespace epilabel
