#include "pseudolabel/stages/people_calibration.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>

#include "foundation/error.h"
#include "foundation/statistics.h"

namespace epilabel {

std::string PeopleCalibrationSummary::BriefReport() const {
  if (!reassociated) return "calibrated once (no re-association)";
  char text[400];
  std::snprintf(text, sizeof(text),
                "re-associated with the first calibration: %d tracks (were %d); %s calibration kept (verdicts %s / "
                "%s, reprojection error over the same observations %.4f / %.4f px RMS, truncated, first / re-associated)",
                second_tracks, first_tracks, kept_reassociated ? "the re-associated" : "the first",
                first_verdict.c_str(), second_verdict.c_str(), first_error_px, second_error_px);
  return text;
}

namespace {

bool EveryCameraRegistered(const CalibrationOutput& output) {
  return output.success && std::all_of(output.rig.begin(), output.rig.end(),
                                       [](const Camera& c) { return c.has_extrinsics; });
}

// Whether step 2 may run: several tracks, a first calibration of every camera that came from
// them (not from the single-person selection: then the tracks were not one geometry, and a
// bystander re-associated in 3D would count in the scale), no per-track heights (their ids are
// the first association's).
bool MayReassociate(const std::vector<PersonTrack>& tracks, const CalibrateStageResult& first,
                    const CalibrateStageOptions& options, const ReassociationOptions& reassociation) {
  return reassociation.enabled && tracks.size() > 1 && options.track_heights_m.empty() && !first.from_selection &&
         EveryCameraRegistered(first.output);
}

// Every `step`-th frame of a track, so that the comparison stays cheap on long captures.
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

// Reprojection errors (px) of `rig` over every observation above the triangulation's
// confidence whose joint it triangulates, outliers of the robust triangulation included.
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

// sqrt(mean(min(e, cap)^2)): the root mean square error with every error above `cap` counted
// as `cap` (a gross error weighs no more than a wrong-but-close one; NaN without errors).
double TruncatedRms(const std::vector<double>& errors, double cap) {
  if (errors.empty()) return kNaN;
  double sum = 0.0;
  for (double e : errors) sum += std::min(e, cap) * std::min(e, cap);
  return std::sqrt(sum / static_cast<double>(errors.size()));
}

// The triangulation options of the calibration's final triangulation (as CalibrateFromPoses).
TriangulationOptions ComparisonTriangulation(const Skeleton& skeleton, const CalibrateStageOptions& options,
                                             const Rig& intrinsics) {
  const CalibrationPipelineOptions p = PipelineOptionsFor(skeleton, options, intrinsics);
  TriangulationOptions t = p.triangulation;
  t.symmetric_pairs = p.self.symmetric_pairs;
  if (t.bones.empty()) t.bones = p.self.bones;
  return t;
}

// The people associated again in 3D with the first calibration's rig; empty tracks when the
// association with the calibration could not be used.
Association Reassociate(const KeypointInput& input, const Rig& rig, const AssociationOptions& association_options) {
  AssociationOptions calibrated = association_options;
  calibrated.method = "calibrated";
  Association a = AssociatePeople(input, calibrated, &rig);
  if (a.summary.method != "calibrated") a.tracks.clear();
  return a;
}

// Step 3: which of the two calibrations to keep, with the figures in `summary`.
bool KeepSecond(const Rig& intrinsics, const std::vector<PersonTrack>& first_tracks, const CalibrationOutput& first,
                const std::vector<PersonTrack>& second_tracks, const CalibrationOutput& second,
                const CalibrateStageOptions& options, const ReassociationOptions& reassociation,
                PeopleCalibrationSummary* summary) {
  summary->first_verdict = VerdictName(first.report.verdict);
  summary->second_verdict = second.success ? VerdictName(second.report.verdict) : "failed";
  if (VerdictRank(second) < VerdictRank(first) || !EveryCameraRegistered(second)) return false;
  std::vector<PersonTrack> all = first_tracks;
  all.insert(all.end(), second_tracks.begin(), second_tracks.end());
  const PersonTrack common = EveryNthFrame(PoolTracks(all), reassociation.compare_frames);
  const TriangulationOptions tri = ComparisonTriangulation(*common.skeleton, options, intrinsics);
  const std::vector<double> first_errors = ReprojectionErrors(first.rig, common.observations, tri);
  const double cap = reassociation.error_cap * Median(first_errors);
  if (!std::isfinite(cap)) return true;
  summary->first_error_px = TruncatedRms(first_errors, cap);
  summary->second_error_px = TruncatedRms(ReprojectionErrors(second.rig, common.observations, tri), cap);
  if (!std::isfinite(summary->second_error_px)) return false;
  return VerdictRank(second) > VerdictRank(first) || summary->second_error_px <= reassociation.max_error_ratio * summary->first_error_px;
}

}  // namespace

PeopleCalibrationResult CalibrateFromPeople(const Rig& intrinsics, const KeypointInput& input,
                                            const Association& association,
                                            const AssociationOptions& association_options,
                                            const std::function<PersonTrack()>& fallback,
                                            const CalibrateStageOptions& options) {
  const ReassociationOptions& reassociation = options.reassociation;
  reassociation.Check();
  PeopleCalibrationResult r;
  r.association = association;
  r.summary.first_tracks = static_cast<int>(association.tracks.size());
  r.calibration = CalibrateFromTracks(intrinsics, association.tracks, fallback, options, &r.used);
  if (!MayReassociate(association.tracks, r.calibration, options, reassociation)) return r;
  const auto t0 = std::chrono::steady_clock::now();
  Association second = Reassociate(input, r.calibration.output.rig, association_options);
  r.summary.reassociated = !second.tracks.empty();
  r.summary.second_tracks = static_cast<int>(second.tracks.size());
  CalibrateStageResult again;
  PersonTrack used_again;
  if (r.summary.reassociated) {
    used_again = second.tracks.size() == 1 ? second.tracks.front() : PoolTracks(second.tracks);
    again = CalibrateCameras(intrinsics, used_again, options);
    r.summary.kept_reassociated = KeepSecond(intrinsics, association.tracks, r.calibration.output, second.tracks,
                                             again.output, options, reassociation, &r.summary);
  }
  const double seconds = r.calibration.seconds + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (r.summary.kept_reassociated) {
    second.summary.notes.push_back("associated again with the first calibration (" +
                                   std::to_string(r.summary.first_tracks) + " tracks without cameras)");
    r.calibration = std::move(again);
    r.association = std::move(second);
    r.used = std::move(used_again);
  }
  r.calibration.seconds = seconds;
  if (r.summary.reassociated) r.calibration.output.report.notes.push_back(r.summary.BriefReport());
  return r;
}

}  // namespace epilabel
