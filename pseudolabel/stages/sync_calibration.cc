#include "pseudolabel/stages/sync_calibration.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

#include "foundation/error.h"

namespace epilabel {

namespace {

constexpr int kMaxShiftRounds = 3;  // coarse estimates and associations before the fine steps
constexpr double kMaxDisagreementFrames = 0.5;  // see Agreeing
constexpr int64_t kMinTieShiftFrames = 2;       // see the shift rounds

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The tracks as given, resampled with the offsets of `sync` (unchanged when it failed).
std::vector<PersonTrack> Resampled(const std::vector<PersonTrack>& tracks, const SyncResult& sync,
                                   const std::vector<double>& fps) {
  std::vector<PersonTrack> out = tracks;
  if (sync.success) ResampleTracks(sync.OffsetsSeconds(), fps, sync.reference, &out);
  return out;
}

// Cameras whose motion estimate is less sure than `min_confidence` keep offset 0 and are marked
// not estimated (the verdict then says "uncertain"): a wrong offset does more harm than none.
SyncResult ConfidentOnly(SyncResult sync, double min_confidence) {
  for (size_t c = 0; c < sync.cameras.size(); ++c) {
    CameraOffset& o = sync.cameras[c];
    if (static_cast<int>(c) == sync.reference || !o.estimated || o.confidence >= min_confidence) continue;
    char text[160];
    std::snprintf(text, sizeof(text), "motion estimate %+.2f frames not confident (%.2f < %.2f): offset 0 kept",
                  o.offset_frames, o.confidence, min_confidence);
    o.note = text;
    o.offset_s = o.offset_frames = 0.0;
    o.estimated = false;
  }
  return sync;
}

// The cameras from the tracks: pooled, with the (resampled) single-person selection as
// CalibrateFromTracks' fallback when there is one.
CalibrateStageResult Calibrate(const Rig& intrinsics, const std::vector<PersonTrack>& tracks, const SyncResult& sync,
                               const std::vector<double>& fps, const std::function<PersonTrack()>& fallback,
                               const CalibrateStageOptions& options, PersonTrack* used) {
  if (!fallback || tracks.size() == 1) {
    *used = tracks.size() == 1 ? tracks.front() : PoolTracks(tracks);
    return CalibrateCameras(intrinsics, *used, options);
  }
  const auto resampled_fallback = [&]() { return Resampled({fallback()}, sync, fps).front(); };
  return CalibrateFromTracks(intrinsics, tracks, resampled_fallback, options, used);
}

// Cameras whose motion estimate and that of `other` (another selection of the same people) are
// both made but differ by more than kMaxDisagreementFrames keep offset 0, not estimated: one of
// them follows the wrong person, and which one is not known.
SyncResult Agreeing(SyncResult sync, const SyncResult& other) {
  if (!sync.success || !other.success || other.cameras.size() != sync.cameras.size()) return sync;
  for (size_t c = 0; c < sync.cameras.size(); ++c) {
    CameraOffset& o = sync.cameras[c];
    const CameraOffset& p = other.cameras[c];
    if (!o.estimated || !p.estimated || std::abs(o.offset_frames - p.offset_frames) <= kMaxDisagreementFrames) continue;
    char text[200];
    std::snprintf(text, sizeof(text),
                  "motion estimates disagree (%+.2f frames from the tracks, %+.2f from the single-person selection): "
                  "offset 0 kept",
                  o.offset_frames, p.offset_frames);
    o.note = text;
    o.offset_s = o.offset_frames = 0.0;
    o.estimated = false;
  }
  return sync;
}

// The largest leave-one-camera-out rotation of a calibration (0 when none was measured).
double WorstLeaveOneOut(const CalibrateStageResult& calibration) {
  double worst = 0.0;
  for (const CameraCalibrationReport& c : calibration.output.report.cameras)
    if (std::isfinite(c.loo_rotation_deg)) worst = std::max(worst, c.loo_rotation_deg);
  return worst;
}

// The calibration on the refined offsets is worse than the one on the start offsets: failed, a
// worse verdict, or a leave-one-camera-out rotation more than twice as large plus a degree (on
// a person nearly in place the adjustment can trade the offsets of weakly held cameras against
// their poses: the Pose2Sim balancing trial, cameras then 20-30 deg off).
bool WorseCalibration(const CalibrateStageResult& again, const CalibrateStageResult& first) {
  return !again.output.success ||
         static_cast<int>(again.output.report.verdict) > static_cast<int>(first.output.report.verdict) ||
         WorstLeaveOneOut(again) > 2.0 * WorstLeaveOneOut(first) + 1.0;
}

// The start offsets kept, with a note on every camera, when WorseCalibration (the refined
// offsets' choice kept, for the report).
SyncResult KeptStart(SyncResult start, const SyncResult& refined, const CalibrateStageResult& again) {
  const std::string why = std::string("the calibration on the refined offsets was ") +
                          (again.output.success ? VerdictName(again.output.report.verdict) : "failed") +
                          ": offsets from motion kept";
  for (size_t c = 0; c < start.cameras.size(); ++c) {
    if (static_cast<int>(c) == start.reference) continue;
    std::string& note = start.cameras[c].note;
    note = note.empty() ? why : note + "; " + why;
    if (c < refined.cameras.size()) start.cameras[c].choice = refined.cameras[c].choice;
  }
  return start;
}

// The whole reference frames of each known offset, for cameras at the reference's frame rate.
std::vector<int64_t> KnownShifts(const SyncResult& known, const std::vector<double>& fps, int reference) {
  std::vector<int64_t> shift(fps.size(), 0);
  for (size_t c = 0; c < fps.size(); ++c)
    if (fps[c] == fps[reference]) shift[c] = static_cast<int64_t>(std::llround(known.cameras[c].offset_frames));
  return shift;
}

// One set of offsets with the cameras calibrated on the tracks resampled by them.
struct Candidate {
  SyncResult sync;
  std::vector<PersonTrack> tracks;
  CalibrateStageResult calibration;
  PersonTrack used;
};

// The offsets refined with the first cameras: "search" the search (cameras with a shallow
// valley keep their start), "adjust" the bundle adjustment, "auto" the search taking every
// minimum (twice the interval) and the adjustment combined by their standard errors.
SyncResult Refined(const Rig& rig, const SyncInput& input, const SyncResult& start, const SyncStageOptions& sync) {
  if (sync.fine == "search") return RefineOffsetsWithCalibration(rig, input, start, sync.calibrated);
  const SyncResult adjusted = AdjustOffsetsWithCalibration(rig, input, start, sync.adjustment).sync;
  if (sync.fine == "adjust") return adjusted;
  CalibratedSyncOptions loose = sync.calibrated;
  loose.keep_unsure = true;
  loose.search_frames = 2.0 * sync.calibrated.search_frames;
  const SyncResult searched = RefineOffsetsWithCalibration(rig, input, start, loose);
  SyncResult combined = CombineByStandardErrors(searched, "search", adjusted, "adjustment", start, sync.disagreement_se);
  // A searched minimum the epipolar check contradicts kept the start; whatever the combination
  // takes instead is not confirmed either: confidence 0 (the verdict says "uncertain"), the note kept.
  for (size_t c = 0; c < combined.cameras.size(); ++c) {
    const CameraOffset& s = searched.cameras[c];
    if (!s.contradicted) continue;
    CameraOffset& o = combined.cameras[c];
    o.confidence = 0.0;
    o.contradicted = true;
    if (o.note.find(s.note) == std::string::npos) o.note = o.note.empty() ? s.note : s.note + "; " + o.note;
  }
  return combined;
}

AssociationOptions SingleSelection() {
  AssociationOptions single;
  single.method = "single";
  return single;
}

// Offsets from motion of the tracks of `people`; a camera whose estimate is not confident takes
// the single-person selection's (the most confident figure of every view), when that one is.
SyncResult CoarseOffsets(const KeypointInput& input, const Association& people, const std::vector<double>& fps,
                         int reference, const SyncStageOptions& sync) {
  SyncResult tracks = EstimateOffsetsFromMotion(MakeSyncInput(people.tracks, fps, reference), sync.motion);
  if (people.summary.method == "single") return tracks;
  bool all_sure = tracks.success;
  for (size_t c = 0; all_sure && c < tracks.cameras.size(); ++c) {
    all_sure = static_cast<int>(c) == reference || (tracks.cameras[c].estimated && tracks.cameras[c].confidence >= sync.min_confidence);
  }
  if (all_sure) return tracks;
  const SyncResult single = EstimateOffsetsFromMotion(
      MakeSyncInput(AssociatePeople(input, SingleSelection(), nullptr).tracks, fps, reference), sync.motion);
  if (!tracks.success) return single;
  if (!single.success) return tracks;
  for (size_t c = 0; c < tracks.cameras.size(); ++c) {
    const CameraOffset& s = single.cameras[c];
    const CameraOffset& t = tracks.cameras[c];
    const bool t_sure = t.estimated && t.confidence >= sync.min_confidence;
    const bool s_sure = s.estimated && s.confidence >= sync.min_confidence;
    // An unsure estimate does not replace another unsure one (which of two low confidences is the
    // higher is chance; the tracks' estimate is the one the association stands on).
    if (!t_sure && s.estimated && (!t.estimated || (s_sure && s.confidence > t.confidence))) tracks.cameras[c] = s;
  }
  return tracks;
}

// Whole frames of each confident coarse offset, for cameras at the reference's frame rate.
std::vector<int64_t> WholeFrameShifts(const SyncResult& coarse, const std::vector<double>& fps, int reference,
                                      double min_confidence) {
  std::vector<int64_t> shift(fps.size(), 0);
  if (!coarse.success) return shift;
  for (size_t c = 0; c < fps.size(); ++c) {
    const CameraOffset& o = coarse.cameras[c];
    if (static_cast<int>(c) == reference || !o.estimated || o.confidence < min_confidence) continue;
    if (fps[c] != fps[reference]) continue;
    shift[c] = static_cast<int64_t>(std::llround(o.offset_frames));
  }
  return shift;
}

// The residual offsets of `fine` (on shifted frame numbers) plus the whole-frame shifts; a
// shifted camera whose residual was not estimated keeps the shift with the coarse confidence.
SyncResult WithShifts(SyncResult fine, const SyncResult& coarse, const std::vector<int64_t>& shift,
                      const std::vector<double>& shift_confidence, const std::vector<double>& fps) {
  if (fine.cameras.size() != shift.size()) {  // the residual was refused: the shifts alone
    if (!coarse.success) return fine;
    SyncResult whole = coarse;
    for (CameraOffset& o : whole.cameras) {
      o.offset_s = o.offset_frames = 0.0;
      o.estimated = false;
      o.note = fine.reason;
    }
    fine = whole;
    fine.method = "motion";
  }
  const double reference_fps = fps[fine.reference];
  for (size_t c = 0; c < shift.size(); ++c) {
    if (shift[c] == 0) continue;
    CameraOffset& o = fine.cameras[c];
    if (!o.estimated) {
      o.estimated = true;
      o.confidence = shift_confidence[c];
      o.note = "whole frames only (" + o.note + ")";
    }
    o.offset_frames += static_cast<double>(shift[c]);
    o.offset_s += static_cast<double>(shift[c]) / reference_fps;
  }
  if (!fine.success) {
    fine.success = true;
    fine.reason.clear();
  }
  return fine;
}

}  // namespace

int64_t DetectionsInConfirmedTracks(const Association& people) {
  int64_t total = 0;
  for (const PersonTrack& track : people.tracks) {
    const Observations2d& obs = track.observations;
    const int needed = std::min(3, obs.num_cameras());
    int cameras = 0;
    int64_t detections = 0;
    for (int c = 0; c < obs.num_cameras(); ++c) {
      int64_t seen = 0;
      for (int f = 0; f < obs.num_frames(); ++f) {
        bool any = false;
        for (int j = 0; j < obs.num_joints() && !any; ++j) any = obs.IsObserved(c, f, j);
        seen += any ? 1 : 0;
      }
      cameras += seen > 0 ? 1 : 0;
      detections += seen;
    }
    if (cameras >= needed) total += detections;
  }
  return total;
}

KeypointInput ShiftFrameNumbers(const KeypointInput& input, const std::vector<int64_t>& shift_frames) {
  KeypointInput out = input;
  for (size_t c = 0; c < out.keypoints.cameras.size() && c < shift_frames.size(); ++c) {
    for (int64_t& n : out.keypoints.cameras[c].frame_numbers) n += shift_frames[c];
  }
  return out;
}

SyncCalibrationResult CalibrateUnsynchronised(const Rig& intrinsics, const std::vector<PersonTrack>& tracks,
                                              const CalibrateStageOptions& calibrate, const SyncStageOptions& sync,
                                              const std::function<PersonTrack()>& fallback) {
  SyncCalibrationResult result;
  result.tracks = tracks;
  if (tracks.empty()) return result;
  const std::vector<std::string>& names = tracks.front().camera_names;
  sync.Check(names);
  const std::vector<double> fps = sync.CameraFps(static_cast<int>(names.size()));
  const SyncInput input = MakeSyncInput(tracks, fps, sync.ReferenceIndex(names));

  if (!sync.known_offsets_s.empty()) {  // known offsets: resample and calibrate, nothing estimated
    result.sync = GivenOffsets(sync.known_offsets_s, fps, input.reference);
    result.tracks = Resampled(tracks, result.sync, fps);
    result.calibration = Calibrate(intrinsics, result.tracks, result.sync, fps, fallback, calibrate, &result.used);
    for (size_t c = 0; result.calibration.output.success && c < result.calibration.output.rig.size(); ++c)
      result.calibration.output.rig[c].time_offset = result.sync.cameras[c].offset_s;
    return result;
  }
  auto t0 = std::chrono::steady_clock::now();
  result.sync = ConfidentOnly(EstimateOffsetsFromMotion(input, sync.motion), sync.min_confidence);
  if (fallback && tracks.size() > 1) {
    const SyncInput single = MakeSyncInput({fallback()}, fps, input.reference);
    result.sync = Agreeing(result.sync, EstimateOffsetsFromMotion(single, sync.motion));
  }
  result.sync_seconds = SecondsSince(t0);
  result.tracks = Resampled(tracks, result.sync, fps);
  result.calibration = Calibrate(intrinsics, result.tracks, result.sync, fps, fallback, calibrate, &result.used);
  if (result.sync.success && result.calibration.output.success && sync.refine) {
    t0 = std::chrono::steady_clock::now();
    // The offsets are refined on the people the cameras came from: when the pooled tracks lost
    // to the single-person selection, they are mis-associated (a bystander taken for the subject
    // in some view) and do not fit the cameras at all.
    const SyncInput fitted =
        result.calibration.from_selection ? MakeSyncInput({fallback()}, fps, input.reference) : input;
    const SyncResult refined = Refined(result.calibration.output.rig, fitted, result.sync, sync);
    result.sync_seconds += SecondsSince(t0);
    Candidate best{result.sync, result.tracks, result.calibration, result.used};
    Candidate again{refined, Resampled(tracks, refined, fps), {}, {}};
    again.calibration = Calibrate(intrinsics, again.tracks, refined, fps, fallback, calibrate, &again.used);
    const double seconds = result.calibration.seconds + again.calibration.seconds;
    if (sync.fine == "search") {  // the searched offsets (and their cameras, when calibrated)
      best.sync = again.sync;
      best.tracks = std::move(again.tracks);
      if (again.calibration.output.success) {
        best.calibration = std::move(again.calibration);
        best.used = std::move(again.used);
      }
    } else if (WorseCalibration(again.calibration, result.calibration)) {  // adjust, auto: unless worse
      best.sync = KeptStart(result.sync, refined, again.calibration);
    } else {
      best = std::move(again);
    }
    result.sync = std::move(best.sync);
    result.tracks = std::move(best.tracks);
    result.calibration = std::move(best.calibration);
    result.used = std::move(best.used);
    result.calibration.seconds = seconds;
  }
  if (result.sync.success && result.calibration.output.success) {
    for (size_t c = 0; c < result.calibration.output.rig.size(); ++c) {
      result.calibration.output.rig[c].time_offset = result.sync.cameras[c].offset_s;
    }
  }
  return result;
}

namespace {

bool SeveralPeopleInView(const KeypointInput& input) {
  for (const CameraKeypoints& camera : input.keypoints.cameras) {
    for (const auto& people : camera.people) {
      if (people.size() > 1) return true;
    }
  }
  return false;
}

// `run(input, sync)` on the keypoints as read, or, with several people and cameras at other rates,
// on every camera put on the reference's rate first (frames matched by number would pair
// different instants even without offsets) with the options saying so.
template <typename Run>
auto OnOneRate(const KeypointInput& input, const AssociationOptions& association, const SyncStageOptions& sync,
               const Run& run) {
  sync.Check(input.camera_names);
  const std::vector<double> fps = sync.CameraFps(input.num_cameras());
  const double reference_fps = fps[sync.ReferenceIndex(input.camera_names)];
  const bool one_rate = std::all_of(fps.begin(), fps.end(), [&](double rate) { return rate == reference_fps; });
  if (one_rate || !SeveralPeopleInView(input)) return run(input, sync);
  SyncStageOptions at_rate = sync;
  at_rate.fps.assign(fps.size(), reference_fps);
  return run(OnReferenceRate(input, sync, association.uncalibrated), at_rate);
}

// The people on frame numbers shifted by whole frames of the offsets (cameras at one rate).
struct ShiftedPeople {
  KeypointInput on_reference;            // the keypoints, each camera's frame numbers shifted
  Association people;                    // associated on them
  SyncResult coarse;                     // the offsets the shifts came from
  std::vector<int64_t> shift;            // whole reference frames per camera (0: not shifted)
  std::vector<double> shift_confidence;  // of each shift
  SyncStageOptions residual;             // for the rest: known offsets minus the shifts, as given otherwise
};

// The association of the shift search: without the growth of each camera pair's two-view
// geometry from every fitting pair, which absorbs a shift of frames (see CalibrateAtOneRate).
AssociationOptions SearchAssociation(AssociationOptions association) {
  association.uncalibrated.refinement_rounds = 0;
  return association;
}

// Known offsets: their whole frames shifted before associating (not with association "single",
// one person in every view), the rest left to resample. The people as the search associates them.
ShiftedPeople ShiftedByKnownOffsets(const KeypointInput& input, const AssociationOptions& association,
                                    const Rig& association_rig, const SyncStageOptions& sync) {
  const std::vector<double> fps = sync.CameraFps(input.num_cameras());
  const int reference = sync.ReferenceIndex(input.camera_names);
  const AssociationOptions search = SearchAssociation(association);
  ShiftedPeople s{input, AssociatePeople(input, search, &association_rig), {}, std::vector<int64_t>(fps.size(), 0),
                  std::vector<double>(fps.size(), 0.0), sync};
  if (s.people.summary.method == "single") return s;
  s.coarse = GivenOffsets(sync.known_offsets_s, fps, reference);
  s.shift = KnownShifts(s.coarse, fps, reference);
  std::fill(s.shift_confidence.begin(), s.shift_confidence.end(), 1.0);
  for (size_t c = 0; c < s.shift.size(); ++c)
    s.residual.known_offsets_s[c] = s.coarse.cameras[c].offset_s - static_cast<double>(s.shift[c]) / fps[reference];
  s.on_reference = ShiftFrameNumbers(input, s.shift);
  s.people = AssociatePeople(s.on_reference, search, &association_rig);
  return s;
}

// The people associated once more with `association` as given, once the shifts are known.
void AssociateOnShifts(const AssociationOptions& association, const Rig& association_rig, ShiftedPeople* s) {
  if (s->people.summary.method != "single" && association.uncalibrated.refinement_rounds != 0)
    s->people = AssociatePeople(s->on_reference, association, &association_rig);
}

// Offsets from motion of `people`'s tracks with whole-frame shifts tried and kept (steps 1-2 of
// the header comment); `search_seconds` gets the time spent outside the associations.
ShiftedPeople ShiftedByMotion(const KeypointInput& input, const AssociationOptions& association,
                              const Rig& association_rig, const SyncStageOptions& sync, double* search_seconds);

// Steps 3-4 on the shifted people: CalibrateUnsynchronised on their tracks, then the shifts added
// back to the offsets.
SyncCalibrationResult CalibrateShifted(const Rig& intrinsics, ShiftedPeople s, const CalibrateStageOptions& calibrate) {
  const std::vector<double> fps = s.residual.CameraFps(s.on_reference.num_cameras());
  const KeypointInput& on_reference = s.on_reference;
  const auto single = [&]() { return AssociatePeople(on_reference, SingleSelection(), nullptr).tracks.front(); };
  SyncCalibrationResult result = CalibrateUnsynchronised(
      intrinsics, s.people.tracks, calibrate, s.residual,
      s.people.summary.method == "single" ? std::function<PersonTrack()>() : std::function<PersonTrack()>(single));
  result.sync = WithShifts(result.sync, s.coarse, s.shift, s.shift_confidence, fps);
  if (result.sync.success && result.calibration.output.success) {
    for (size_t c = 0; c < result.calibration.output.rig.size(); ++c) {
      result.calibration.output.rig[c].time_offset = result.sync.cameras[c].offset_s;
    }
  }
  result.association = std::move(s.people);
  result.shift_frames = std::move(s.shift);
  return result;
}

SyncCalibrationResult CalibrateAtOneRate(const Rig& intrinsics, const KeypointInput& input,
                                         const AssociationOptions& association,
                                         const CalibrateStageOptions& calibrate, const SyncStageOptions& sync) {
  const Rig association_rig = WithoutExtrinsics(intrinsics);
  const auto t0 = std::chrono::steady_clock::now();
  double coarse_seconds = 0.0;
  ShiftedPeople shifted = sync.known_offsets_s.empty()
                              ? ShiftedByMotion(input, association, association_rig, sync, &coarse_seconds)
                              : ShiftedByKnownOffsets(input, association, association_rig, sync);
  if (!sync.known_offsets_s.empty()) coarse_seconds = SecondsSince(t0);
  AssociateOnShifts(association, association_rig, &shifted);
  SyncCalibrationResult result = CalibrateShifted(intrinsics, std::move(shifted), calibrate);
  result.sync_seconds += coarse_seconds;
  return result;
}

ShiftedPeople ShiftedByMotion(const KeypointInput& input, const AssociationOptions& association,
                              const Rig& association_rig, const SyncStageOptions& sync, double* search_seconds) {
  const std::vector<double> fps = sync.CameraFps(input.num_cameras());
  const int reference = sync.ReferenceIndex(input.camera_names);
  // The shifts are judged by how many detections the association follows across cameras,
  // which drops when frames are not simultaneous only if each camera pair's two-view geometry
  // comes from one pair of 2D tracks: the essential matrix grown from every fitting pair
  // absorbs a shift of frames. The search associates without that growth; the people are
  // associated with it once the shifts are known.
  const AssociationOptions search = SearchAssociation(association);
  Association first = AssociatePeople(input, search, &association_rig);

  // Coarse offsets and whole-frame shifts, the people associated again after each shift, until
  // no confident estimate asks for another whole frame (a camera too far off for the first
  // association may be found once the others are right).
  const auto t0 = std::chrono::steady_clock::now();
  ShiftedPeople s{input, std::move(first), {}, std::vector<int64_t>(fps.size(), 0),
                  std::vector<double>(fps.size(), 0.0), sync};
  double association_seconds = 0.0;
  if (s.people.summary.method != "single") {
    // The people paired across cameras by their motion (no association needed) propose the first
    // shifts: with offsets of seconds and several people, the first association (frames matched
    // by number) can be too wrong for the estimate on its tracks to recover. Kept on the same rule.
    const SyncResult paired = EstimateTimeOffsetsOfPeople(input, sync, association.uncalibrated);
    const std::vector<int64_t> proposal = WholeFrameShifts(paired, fps, reference, sync.min_confidence);
    if (std::any_of(proposal.begin(), proposal.end(), [](int64_t v) { return v != 0; })) {
      KeypointInput candidate_input = ShiftFrameNumbers(input, proposal);
      const auto t1 = std::chrono::steady_clock::now();
      Association candidate = AssociatePeople(candidate_input, search, &association_rig);
      association_seconds += SecondsSince(t1);
      if (DetectionsInConfirmedTracks(candidate) > DetectionsInConfirmedTracks(s.people)) {
        s.shift = proposal;
        for (size_t c = 0; c < s.shift.size(); ++c) s.shift_confidence[c] = paired.cameras[c].confidence;
        s.on_reference = std::move(candidate_input);
        s.people = std::move(candidate);
        s.coarse = paired;
      }
    }
  }
  for (int round = 0; round < kMaxShiftRounds && s.people.summary.method != "single"; ++round) {
    const SyncResult estimate = CoarseOffsets(s.on_reference, s.people, fps, reference, sync);
    const std::vector<int64_t> more = WholeFrameShifts(estimate, fps, reference, 0.0);
    // A shift is kept only when the people are then followed across cameras better (more
    // detections in tracks seen by three cameras, DetectionsInConfirmedTracks): a wrong shift (a
    // biased estimate) makes the two-view geometry of the 2D tracks agree less. When the
    // association does not change (a person nearly in place), a shift of kMinTieShiftFrames or
    // more is kept: the motion estimates' bias stays near a frame. Every camera's shift together
    // first, then (when that is not kept) each alone, the largest first.
    std::vector<std::vector<size_t>> trials(1);
    for (size_t c = 0; c < more.size(); ++c) {
      if (more[c] != 0) trials[0].push_back(c);
    }
    if (trials[0].empty()) break;
    std::vector<size_t> order = trials[0];
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return std::llabs(more[a]) > std::llabs(more[b]); });
    if (order.size() > 1) {
      for (size_t c : order) trials.push_back({c});
    }
    bool kept = false;
    for (size_t t = 0; t < trials.size(); ++t) {
      std::vector<int64_t> proposal = s.shift;
      for (size_t c : trials[t]) proposal[c] += more[c];
      KeypointInput candidate_input = ShiftFrameNumbers(input, proposal);
      const auto t1 = std::chrono::steady_clock::now();
      Association candidate = AssociatePeople(candidate_input, search, &association_rig);
      association_seconds += SecondsSince(t1);
      int64_t smallest = std::numeric_limits<int64_t>::max();
      for (size_t c : trials[t]) smallest = std::min<int64_t>(smallest, std::llabs(more[c]));
      const int64_t before = DetectionsInConfirmedTracks(s.people), after = DetectionsInConfirmedTracks(candidate);
      const bool better = after > before;
      const bool as_good = after == before && smallest >= kMinTieShiftFrames;
      if (!better && !as_good) continue;
      s.shift = proposal;
      for (size_t c : trials[t]) s.shift_confidence[c] = estimate.cameras[c].confidence;
      s.on_reference = std::move(candidate_input);
      s.people = std::move(candidate);
      kept = true;
      if (t == 0) break;  // all together: the next round estimates again
    }
    if (!kept) break;
    s.coarse = estimate;
  }
  *search_seconds = SecondsSince(t0) - association_seconds;
  return s;
}

}  // namespace

SyncCalibrationResult CalibrateUnsynchronised(const Rig& intrinsics, const KeypointInput& input,
                                              const AssociationOptions& association,
                                              const CalibrateStageOptions& calibrate, const SyncStageOptions& sync) {
  return OnOneRate(input, association, sync, [&](const KeypointInput& on_rate, const SyncStageOptions& at_rate) {
    return CalibrateAtOneRate(intrinsics, on_rate, association, calibrate, at_rate);
  });
}

TracksAtOffsets TracksAtKnownOffsets(const Rig& intrinsics, const KeypointInput& input,
                                     const AssociationOptions& association, const SyncStageOptions& sync) {
  if (sync.known_offsets_s.empty())
    throw std::invalid_argument("TracksAtKnownOffsets: no offsets given (sync.known_offsets_s)");
  return OnOneRate(input, association, sync, [&](const KeypointInput& on_rate, const SyncStageOptions& at_rate) {
    const Rig association_rig = WithoutExtrinsics(intrinsics);
    ShiftedPeople s = ShiftedByKnownOffsets(on_rate, association, association_rig, at_rate);
    AssociateOnShifts(association, association_rig, &s);
    // As the known offsets' path of CalibrateUnsynchronised on tracks resamples them.
    const std::vector<double> fps = s.residual.CameraFps(on_rate.num_cameras());
    const std::vector<std::string>& names =
        s.people.tracks.empty() ? on_rate.camera_names : s.people.tracks.front().camera_names;
    const SyncResult residual = GivenOffsets(s.residual.known_offsets_s, fps, s.residual.ReferenceIndex(names));
    TracksAtOffsets out;
    out.tracks = Resampled(s.people.tracks, residual, fps);
    out.association = std::move(s.people);
    out.shift_frames = std::move(s.shift);
    return out;
  });
}

SyncResult RefineOffsetsOfPeople(const KeypointInput& input, const Rig& rig, const SyncResult& motion,
                                 const AssociationOptions& association, const SyncStageOptions& sync) {
  if (!motion.success) return motion;
  // Every camera on the reference's rate first (the times stay), so that every camera is shifted.
  const KeypointInput on_rate = OnReferenceRate(input, sync, association.uncalibrated);
  const std::vector<double> fps(input.num_cameras(), sync.CameraFps(input.num_cameras())[motion.reference]);
  const std::vector<int64_t> shift = WholeFrameShifts(motion, fps, motion.reference, 0.0);
  const Association people = AssociatePeople(ShiftFrameNumbers(on_rate, shift), association, &rig);
  SyncResult residual = motion;
  std::vector<double> shift_confidence(shift.size(), 0.0);
  for (size_t c = 0; c < shift.size(); ++c) {
    residual.cameras[c].offset_frames -= static_cast<double>(shift[c]);
    residual.cameras[c].offset_s -= static_cast<double>(shift[c]) / fps[motion.reference];
    shift_confidence[c] = motion.cameras[c].confidence;
  }
  const SyncInput tracks = MakeSyncInput(people.tracks, fps, motion.reference);
  if (tracks.tracks.empty()) return motion;
  return WithShifts(RefineOffsetsWithCalibration(rig, tracks, residual, sync.calibrated), motion, shift,
                    shift_confidence, fps);
}

void JudgeTimeOffsets(const SyncResult& sync, CalibrationReport* report) {
  if (sync.Verdict() == "ok") return;
  report->reasons.push_back("time offsets " + sync.Verdict() + ": " + sync.BriefReport());
  if (report->verdict == Verdict::kGood) report->verdict = Verdict::kCheck;
}

namespace {

// Take `take`'s synchronised tracks, their ids numbered on from `first_id`.
std::vector<PersonTrack> NumberedOn(std::vector<PersonTrack> tracks, int first_id) {
  for (PersonTrack& t : tracks) t.id += first_id;
  return tracks;
}

// Each take's offsets refined with the cameras of every take (better held than those of one
// take alone), the take's tracks made again on them (TracksAtKnownOffsets: the take is not
// calibrated again) and the cameras calibrated again from all; kept unless that calibration is
// worse (WorseCalibration), the offsets then as before.
void RefineTakesWithPooledCameras(const Rig& intrinsics, const KeypointInput& input,
                                  const AssociationOptions& association, const CalibrateStageOptions& calibrate,
                                  const SyncStageOptions& sync, TakesSyncCalibrationResult* r) {
  const auto t0 = std::chrono::steady_clock::now();
  TakesSyncCalibrationResult again;
  for (size_t k = 0; k < input.takes.size(); ++k) {
    const KeypointInput take = TakeInput(input, k);
    SyncResult refined = RefineOffsetsOfPeople(take, r->calibration.output.rig, r->takes[k], association, sync);
    if (!refined.success) refined = r->takes[k];
    SyncStageOptions known = sync;
    known.known_offsets_s = refined.OffsetsSeconds();
    TracksAtOffsets resampled = TracksAtKnownOffsets(intrinsics, take, association, known);
    const std::vector<PersonTrack> tracks =
        NumberedOn(std::move(resampled.tracks), static_cast<int>(again.association.tracks.size()));
    again.tracks.insert(again.tracks.end(), tracks.begin(), tracks.end());
    again.association.tracks.insert(again.association.tracks.end(), tracks.begin(), tracks.end());
    AddTakeSummary(resampled.association.summary, input.takes[k].path, &again.association.summary);
    refined.method = "calibrated";
    again.takes.push_back(std::move(refined));
  }
  again.calibration = CalibrateFromTracks(intrinsics, again.tracks, {}, calibrate, &again.used);
  again.sync_seconds = r->sync_seconds + SecondsSince(t0) - again.calibration.seconds;
  if (WorseCalibration(again.calibration, r->calibration)) return;
  again.calibration.seconds += r->calibration.seconds;
  *r = std::move(again);
}

}  // namespace

TakesSyncCalibrationResult CalibrateUnsynchronisedTakes(const Rig& intrinsics, const KeypointInput& input,
                                                        const AssociationOptions& association,
                                                        const CalibrateStageOptions& calibrate,
                                                        const SyncStageOptions& sync) {
  if (input.takes.empty()) throw std::invalid_argument("CalibrateUnsynchronisedTakes: the input holds no takes");
  if (!sync.known_offsets_s.empty())
    throw InputError("sync-offsets", "one set of time offsets is one recording's; with several takes each take's "
                                     "offsets are estimated (--sync)");
  TakesSyncCalibrationResult r;
  CalibrateStageOptions per_take = calibrate;
  per_take.track_heights_m.clear();
  for (size_t k = 0; k < input.takes.size(); ++k) {
    SyncCalibrationResult take =
        CalibrateUnsynchronised(intrinsics, TakeInput(input, k), association, per_take, sync);
    r.sync_seconds += take.sync_seconds + take.calibration.seconds;
    const std::vector<PersonTrack> tracks =
        NumberedOn(std::move(take.tracks), static_cast<int>(r.association.tracks.size()));
    r.tracks.insert(r.tracks.end(), tracks.begin(), tracks.end());
    r.association.tracks.insert(r.association.tracks.end(), tracks.begin(), tracks.end());
    AddTakeSummary(take.association.summary, input.takes[k].path, &r.association.summary);
    r.takes.push_back(std::move(take.sync));
  }
  r.calibration = CalibrateFromTracks(intrinsics, r.tracks, {}, calibrate, &r.used);
  if (r.calibration.output.success && sync.refine)
    RefineTakesWithPooledCameras(intrinsics, input, association, calibrate, sync, &r);
  for (Camera& camera : r.calibration.output.rig) camera.time_offset = 0.0;
  return r;
}

}  // namespace epilabel
