#include "pseudolabel/stages/triangulate.h"

namespace epilabel {

namespace {

// Errors and view counts of the smoothed points: over the views the per-frame fit used, or
// over every confident view for points the smoothing filled in.
void RecomputeErrorsOfSmoothedPoints(const Rig& rig, double min_confidence, TriangulatedSequence* seq) {
  TriangulatedSequence& out = *seq;
  const Observations2d& obs = out.triangulation.repaired;
  for (frame_t f = 0; f < out.points.num_frames(); ++f)
    for (joint_t j = 0; j < out.points.num_joints(); ++j) {
      if (!out.points.IsValid(f, j)) {
        out.reproj_error_px.at(f, j) = kNaN;
        out.num_views.at(f, j) = 0;
        continue;
      }
      const uint64_t mask = out.triangulation.view_mask.at(f, j);
      double sum = 0;
      int n = 0;
      for (camera_t c = 0; c < obs.num_cameras(); ++c) {
        const Eigen::Vector3d& o = obs.at(c, f, j);
        const bool use = mask ? (mask & (uint64_t{1} << c)) != 0 : (o.z() >= min_confidence && o.z() > 0);
        if (!use) continue;
        const auto px = rig[c].ImageFromWorld(out.points.at(f, j));
        if (!px) continue;
        sum += (*px - o.head<2>()).norm();
        ++n;
      }
      out.reproj_error_px.at(f, j) = n ? sum / n : kNaN;
      out.num_views.at(f, j) = n;
    }
}

// Puts the completed single-view joints into the final points.
void ApplyCompletion(const Rig& rig, const TriangulateStageOptions& options, const TriangulationOptions& topt,
                     TriangulatedSequence* seq) {
  TriangulatedSequence& out = *seq;
  const SingleViewCompletion completion =
      CompleteSingleViewJoints(rig, out.triangulation.repaired, out.triangulation.points, out.triangulation.num_views,
                               out.triangulation.uncertainty_m, topt.bones, topt.min_confidence, topt.prior_sigma_px,
                               options.completion);
  for (const CompletedJoint& cj : completion.joints) {
    out.points.at(cj.frame, cj.joint) = cj.point_in_world;
    out.num_views.at(cj.frame, cj.joint) = 1;
    out.reproj_error_px.at(cj.frame, cj.joint) = cj.reproj_error_px;
    out.uncertainty_m.at(cj.frame, cj.joint) = cj.uncertainty_m;
  }
  out.completed = true;
  out.completion = completion.summary;
}

}  // namespace

TriangulatedSequence TriangulateTrack(const Rig& rig, const PersonTrack& track, const TriangulateStageOptions& options) {
  TriangulatedSequence out;
  TriangulationOptions topt = options.triangulation;
  if (topt.symmetric_pairs.empty()) topt.symmetric_pairs = track.skeleton->symmetric;
  if (topt.bones.empty()) topt.bones = track.skeleton->bones;
  topt.progress = options.progress;
  out.triangulation = TriangulateSequence(rig, track.observations, topt);
  out.points = out.triangulation.points;
  out.reproj_error_px = out.triangulation.reproj_error_px;
  out.num_views = out.triangulation.num_views;
  out.uncertainty_m = out.triangulation.uncertainty_m;
  if (!options.smooth) {
    if (options.completion.enabled) ApplyCompletion(rig, options, topt, &out);
    return out;
  }
  SequenceSmoothingOptions smoothing = options.smoothing;
  smoothing.fps = options.fps;
  smoothing.num_threads = options.num_threads;
  if (smoothing.bones.empty()) smoothing.bones = track.skeleton->bones;
  smoothing.min_confidence = topt.min_confidence;
  smoothing.progress = options.progress;
  const SequenceSmoothingResult sm = SmoothSequence(rig, out.triangulation, smoothing);
  out.smoothed = true;
  out.smoothing = sm.summary;
  out.points = sm.points;
  RecomputeErrorsOfSmoothedPoints(rig, topt.min_confidence, &out);
  return out;
}

}  // namespace epilabel
