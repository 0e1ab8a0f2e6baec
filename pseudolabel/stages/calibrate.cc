#include "pseudolabel/stages/calibrate.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "foundation/error.h"
#include "pseudolabel/stages/calibration_comparison.h"

namespace epilabel {

namespace {

BaselineScale ResolveBaseline(const BaselineSpec& spec, const Rig& rig) {
  BaselineScale bs;
  for (size_t c = 0; c < rig.size(); ++c) {
    if (rig[c].name == spec.camera_a) bs.camera_a = static_cast<camera_t>(c);
    if (rig[c].name == spec.camera_b) bs.camera_b = static_cast<camera_t>(c);
  }
  if (bs.camera_a < 0 || bs.camera_b < 0)
    throw InputError("baseline",
                     "camera '" + (bs.camera_a < 0 ? spec.camera_a : spec.camera_b) + "' is not one of the keypoint cameras");
  if (!(spec.metres > 0)) throw InputError("baseline", "the distance must be positive");
  bs.metres = spec.metres;
  return bs;
}

}  // namespace

void ReassociationOptions::Check() const {
  if (!(max_error_ratio > 0.0) || !std::isfinite(max_error_ratio))
    throw InputError("reassociation.max_error_ratio", "must be a positive number");
  if (!(error_cap >= 1.0) || !std::isfinite(error_cap)) throw InputError("reassociation.error_cap", "must be >= 1");
  if (compare_frames < 1) throw InputError("reassociation.compare_frames", "must be >= 1");
}

BaselineSpec ParseBaselineSpec(const std::string& text) {
  std::stringstream ss(text);
  BaselineSpec b;
  std::string metres;
  if (!std::getline(ss, b.camera_a, ',') || !std::getline(ss, b.camera_b, ',') || !std::getline(ss, metres))
    throw InputError("baseline", "expected CAM1,CAM2,METRES, got '" + text + "'");
  try {
    size_t used = 0;
    b.metres = std::stod(metres, &used);
    if (used != metres.size()) throw std::invalid_argument("trailing characters");
  } catch (const std::exception&) {
    throw InputError("baseline", "'" + metres + "' is not a distance in metres");
  }
  if (!(b.metres > 0)) throw InputError("baseline", "the distance must be positive");
  return b;
}

std::map<int, double> ParseTrackHeights(const std::string& text) {
  std::map<int, double> heights;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const size_t eq = item.find('=');
    int id = -1;
    double metres = 0.0;
    try {
      if (eq == std::string::npos) throw std::invalid_argument("no '='");
      size_t used = 0;
      id = std::stoi(item.substr(0, eq), &used);
      if (used != eq) throw std::invalid_argument("id");
      metres = std::stod(item.substr(eq + 1), &used);
      if (used != item.size() - eq - 1) throw std::invalid_argument("metres");
    } catch (const std::exception&) {
      throw InputError("track_heights", "'" + item + "' is not TRACK=METRES (e.g. 0=1.72,2=1.21)");
    }
    if (id < 0) throw InputError("track_heights", "track ids are >= 0, not " + std::to_string(id));
    if (!(metres > 0.5 && metres < 2.8)) throw InputError("track_heights", "'" + item + "': heights are in (0.5, 2.8) m");
    if (!heights.emplace(id, metres).second) throw InputError("track_heights", "track " + std::to_string(id) + " given twice");
  }
  if (heights.empty()) throw InputError("track_heights", "no TRACK=METRES given");
  return heights;
}

namespace {

// Every track id given a height must be among the calibrated tracks.
void CheckTrackHeights(const std::map<int, double>& heights, const std::vector<int>& ids) {
  for (const auto& [id, metres] : heights) {
    if (std::find(ids.begin(), ids.end(), id) != ids.end()) continue;
    std::string known;
    std::vector<int> sorted = ids;
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    for (int k : sorted) known += (known.empty() ? "" : ", ") + std::to_string(k);
    throw InputError("track_heights", "there is no track " + std::to_string(id) + " (tracks: " + known + ")");
  }
}

// Several people pooled: max_ba_frames times the mean number of people per frame (at most
// max_people_ba_factor); one track keeps max_ba_frames.
void ScaleBundleAdjustmentFrames(const PersonTrack& track, const CalibrateStageOptions& options,
                                 SelfCalibrationOptions* self) {
  if (track.frame_track_ids.empty() || track.frame_numbers.empty()) return;
  std::vector<int64_t> distinct = track.frame_numbers;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  const double people = static_cast<double>(track.frame_numbers.size()) / static_cast<double>(distinct.size());
  const double factor = std::clamp(people, 1.0, std::max(1.0, options.max_people_ba_factor));
  self->max_ba_frames = static_cast<int>(std::lround(self->max_ba_frames * factor));
}

// The observations of the skeleton's calibration joints (Skeleton::calibration_joints; all when
// it lists none): the others get weight 0.
Observations2d CalibrationJointsOnly(const Skeleton& skeleton, Observations2d observations) {
  if (skeleton.calibration_joints.empty()) return observations;
  std::vector<bool> used(observations.num_joints(), false);
  for (joint_t j : skeleton.calibration_joints)
    if (j >= 0 && j < observations.num_joints()) used[j] = true;
  for (camera_t c = 0; c < observations.num_cameras(); ++c)
    for (frame_t f = 0; f < observations.num_frames(); ++f)
      for (joint_t j = 0; j < observations.num_joints(); ++j)
        if (!used[j]) observations.at(c, f, j).z() = 0.0;
  return observations;
}

// The heights of several people, or of the one track, into the world-frame options.
void ApplyPeopleHeights(const PersonTrack& track, const CalibrateStageOptions& options, WorldFrameOptions* w) {
  if (track.frame_track_ids.empty()) {
    CheckTrackHeights(options.track_heights_m, {track.id});
    const auto it = options.track_heights_m.find(track.id);
    if (it != options.track_heights_m.end()) {
      w->subject_height_m = it->second;
      w->subject_height_sigma_m = w->given_height_sigma_m;
    }
    return;
  }
  CheckTrackHeights(options.track_heights_m, track.frame_track_ids);
  w->frame_person = track.frame_track_ids;
  w->person_heights_m = options.track_heights_m;
}

}  // namespace

CalibrationPipelineOptions PipelineOptionsFor(const Skeleton& skeleton, const CalibrateStageOptions& options,
                                              const Rig& rig) {
  CalibrationPipelineOptions p = options.pipeline;
  p.self.bones = skeleton.bones;
  p.self.symmetric_pairs = skeleton.symmetric;
  p.self.view_bias.torso_joints = TorsoJoints(skeleton);
  p.self.seed = options.seed;
  p.self.num_threads = options.num_threads;
  p.self.ba.refine_focal = options.refine_focal;
  p.self.ba.refine_k1 = options.refine_k1;
  p.self.progress = options.progress;
  WorldFrameOptions w = WorldFrameOptionsFor(skeleton);
  w.subject_height_m = options.subject_height_m;
  // A measured height is known to about a centimetre; the default is the adult population's.
  w.subject_height_sigma_m = options.subject_height_given ? 0.01 : 0.09;
  w.seed = options.seed;
  if (options.baseline) w.baseline = ResolveBaseline(*options.baseline, rig);
  p.world = w;
  p.height_given = options.subject_height_given;
  p.triangulation.min_confidence = p.self.min_confidence;
  return p;
}

CalibrateStageResult CalibrateCameras(const Rig& intrinsics, const PersonTrack& track,
                                      const CalibrateStageOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  CalibrateStageResult result;
  CalibrationPipelineOptions pipeline = PipelineOptionsFor(*track.skeleton, options, intrinsics);
  ApplyPeopleHeights(track, options, &pipeline.world);
  ScaleBundleAdjustmentFrames(track, options, &pipeline.self);
  pipeline.self.frame_person = track.frame_track_ids;  // several people: the focal search per person
  result.output = CalibrateFromPoses(intrinsics, CalibrationJointsOnly(*track.skeleton, track.observations), pipeline);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

int VerdictRank(const CalibrationOutput& output) {
  if (!output.success) return 0;
  return output.report.verdict == Verdict::kGood ? 2 : output.report.verdict == Verdict::kCheck ? 1 : 0;
}

namespace {

bool SameObservations(const PersonTrack& a, const PersonTrack& b) {
  return a.frame_numbers == b.frame_numbers && a.observations.num_cameras() == b.observations.num_cameras() &&
         a.observations.num_joints() == b.observations.num_joints() && a.observations.data() == b.observations.data();
}

}  // namespace

CalibrateStageResult CalibrateSelection(const Rig& intrinsics, const PersonTrack& selection, const PersonTrack& tracks,
                                        const CalibrateStageOptions& options) {
  CalibrateStageOptions alone = options;
  alone.track_heights_m.clear();  // the selection's frames are nobody's in particular
  if (!options.track_heights_m.empty() && tracks.skeleton) {
    ScaleObservations from;
    from.observations = tracks.observations;
    from.world = PipelineOptionsFor(*tracks.skeleton, options, intrinsics).world;
    ApplyPeopleHeights(tracks, options, &from.world);
    alone.pipeline.scale_from = std::move(from);
  }
  return CalibrateCameras(intrinsics, selection, alone);
}

CalibrateStageResult CalibrateFromTracks(const Rig& intrinsics, const std::vector<PersonTrack>& tracks,
                                         const std::function<PersonTrack()>& fallback,
                                         const CalibrateStageOptions& options,
                                         PersonTrack* used) {
  if (tracks.empty()) throw std::invalid_argument("CalibrateFromTracks: no track");
  *used = tracks.size() == 1 ? tracks.front() : PoolTracks(tracks);
  CalibrateStageResult pooled = CalibrateCameras(intrinsics, *used, options);
  if (VerdictRank(pooled.output) == 2 || !fallback) return pooled;
  const PersonTrack selection = fallback();
  // (Several takes of one person each: the selection is the pooled tracks themselves.)
  const bool same = SameObservations(selection, *used) &&
                    (tracks.size() == 1 || selection.frame_track_ids == used->frame_track_ids);
  if (!selection.skeleton || same) return pooled;
  CalibrateStageResult single = CalibrateSelection(intrinsics, selection, *used, options);
  single.seconds += pooled.seconds;
  // The comparison both calibrations share: the observations of the tracks and of the selection.
  const auto compare = [&] {
    std::vector<PersonTrack> all = tracks;
    all.push_back(selection);
    const PersonTrack common = EveryNthFrame(PoolTracks(all), options.reassociation.compare_frames);
    return CompareReprojection(pooled.output.rig, single.output.rig, common.observations,
                               ComparisonTriangulation(*common.skeleton, options, intrinsics),
                               options.reassociation.error_cap);
  };
  std::string how;
  if (!SelectionReplacesPooled(pooled.output, single.output, compare, &how)) {
    pooled.seconds = single.seconds;
    return pooled;
  }
  *used = selection;
  single.from_selection = true;
  single.output.report.notes.push_back(
      "the calibration from " + std::string(tracks.size() == 1 ? "the associated track" : "every track pooled") +
      " ended " + std::string(VerdictName(pooled.output.report.verdict)) + how +
      "; the cameras come from the most confident figure of every camera and frame");
  return single;
}

}  // namespace epilabel
