#include "pseudolabel/stages/people_calibration.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>

#include "foundation/error.h"
#include "pseudolabel/stages/calibration_comparison.h"

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

// The largest number of tracks one take holds (an input without takes: all of them); several
// takes of one person each have nobody to associate again.
int MostTracksInOneTake(const KeypointInput& input, const std::vector<PersonTrack>& tracks) {
  if (input.takes.empty()) return static_cast<int>(tracks.size());
  std::vector<int> count(input.takes.size(), 0);
  for (const PersonTrack& t : tracks)
    if (!t.frame_numbers.empty()) {
      const int k = TakeOfFrame(input, t.frame_numbers.front());
      if (k >= 0) ++count[k];
    }
  return *std::max_element(count.begin(), count.end());
}

bool EveryCameraRegistered(const CalibrationOutput& output) {
  return output.success && std::all_of(output.rig.begin(), output.rig.end(),
                                       [](const Camera& c) { return c.has_extrinsics; });
}

// Whether step 2 may run: several tracks, a first calibration of every camera that came from
// them (not from the single-person selection: then the tracks were not one geometry, and a
// bystander re-associated in 3D would count in the scale), no per-track heights (their ids are
// the first association's).
bool MayReassociate(const KeypointInput& input, const std::vector<PersonTrack>& tracks,
                    const CalibrateStageResult& first, const CalibrateStageOptions& options,
                    const ReassociationOptions& reassociation) {
  return reassociation.enabled && MostTracksInOneTake(input, tracks) > 1 && options.track_heights_m.empty() &&
         !first.from_selection && EveryCameraRegistered(first.output);
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
  const ReprojectionComparison c =
      CompareReprojection(first.rig, second.rig, common.observations,
                          ComparisonTriangulation(*common.skeleton, options, intrinsics), reassociation.error_cap);
  if (!std::isfinite(c.cap_px)) return true;
  summary->first_error_px = c.first_error_px;
  summary->second_error_px = c.second_error_px;
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
  if (!MayReassociate(input, association.tracks, r.calibration, options, reassociation)) return r;
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
