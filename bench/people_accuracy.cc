// Several people on the synthetic studio: association + triangulation against the truth.
//   build/bench/people_accuracy [--frames 1500] [--seed 1] [--scenario ring8_3] [--max-frames 600] [--diagnose]
//                               [--smooth] [--no-calibration] [--no-complete-single-view]
//                               [--no-complete-disagreeing-views] [--detector gaussian|realistic]
//                               [--joint-weighting 0|1|2] [--segment-frames N] [--segments-per-joint]
//                               [--realistic-off COMPONENT]... [--oracle-calibration | --only-oracle-calibration]
// Per scene: PCP per person and mean (a limb correct when the mean error of its ends is at most
// half its length), MPJPE of ours and of the oracle association (each person triangulated from
// its own detections, the studio's truth of who is who), identity switches (not counted at the
// studio's stretch boundaries, where a person may jump), unmatched detections, association +
// triangulation speed on one core; and self-calibration from every person, started from
// nothing, against the true rig, by the first pass alone (the tracks of the association without
// cameras, pooled) and by the stage (the people associated again with that calibration,
// stages/people_calibration.h); --max-frames sets the frames of its bundle adjustment.
// --smooth triangulates every track (ours and the oracle's) with the sequence optimisation
// (`triangulate --smooth`); the per-frame oracle (no smoothing, no single-view completion) is
// printed beside it. --no-complete-single-view leaves the joints one camera sees out (ours and
// the oracle's), as `triangulate --no-complete-single-view`. --no-calibration skips
// the self-calibration. --detector realistic runs the studio's realistic detector model
// (realistic_detector.h, each person its own errors) instead of the Gaussian one;
// --realistic-off switches one of its components off (repeatable: offsets, face, noise,
// correlation, tails, far_side, confidence, gross; WithoutComponent). --oracle-calibration also
// self-calibrates from the true association (every person's own detections, first pass:
// EvaluateOracleCalibration), the association's share of the error apart from the detector's;
// --only-oracle-calibration prints that alone (no association, triangulation or our calibration).
// --diagnose first prints the uncalibrated association (the self-calibration's) against the truth: 2D tracks per camera and their purity, per camera pair
// the compared pairs of 2D tracks that fit or not by whether they are one person, per track
// its cameras and purity, and the calibration from them with its reasons.
#include <cstdio>
#include <cstring>
#include <string>

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <vector>

#include "foundation/error.h"
#include "geometry/association/uncalibrated.h"
#include "pseudolabel/people_evaluation.h"
#include "pseudolabel/stages/calibrate.h"

using namespace epilabel;

namespace {

struct Scenario {
  const char* name;
  const char* rig;
  int people;
  bool bystander, enter_leave;
};

// The uncalibrated association (the self-calibration's) against the studio's truth of who is
// who: per track, the cameras, the views (camera, frame) and the share of them that belong to
// the track's main person (its purity); per person, the tracks that hold them.
void Diagnose(const SyntheticScene& scene) {
  const std::vector<int64_t> frame_numbers = scene.detections.AllFrameNumbers();
  const MultiDetections detections = ToMultiDetections(scene.detections, frame_numbers);
  UncalibratedAssociationOptions single_pair;
  single_pair.refinement_rounds = 0;
  auto t0 = std::chrono::steady_clock::now();
  const AssociationResult without = AssociateWithoutCalibration(WithoutExtrinsics(scene.rig), detections, single_pair);
  const double without_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  UncalibratedAssociationDetails details;
  t0 = std::chrono::steady_clock::now();
  const AssociationResult r = AssociateWithoutCalibration(WithoutExtrinsics(scene.rig), detections, {}, &details);
  std::printf("    uncalibrated association: %.2f s, %d tracks (refinement_rounds = 0: %.2f s, %d tracks)\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
              static_cast<int>(r.tracks.size()), without_s, static_cast<int>(without.tracks.size()));
  // 2D tracks: per camera, how many, how long, how pure.
  std::vector<int> person_of;  // main person of each 2D track
  std::vector<int> tracks_per_camera(scene.rig.size(), 0), long_per_camera(scene.rig.size(), 0);
  int64_t items = 0, pure_items = 0;
  for (const auto& t : details.tracklets) {
    std::map<int, int> n;
    for (const auto& [f, d] : t.items) ++n[scene.detection_person[scene.SlotIndex(t.camera, f, d)]];
    int best = 0, who = -1;
    for (const auto& [p, k] : n)
      if (k > best) best = k, who = p;
    person_of.push_back(who);
    ++tracks_per_camera[t.camera];
    if (t.items.size() >= 10) {
      ++long_per_camera[t.camera];
      items += static_cast<int64_t>(t.items.size());
      pure_items += best;
    }
  }
  std::printf("    2D tracks per camera (all / >= 10 frames):");
  for (size_t c = 0; c < scene.rig.size(); ++c) std::printf(" %d/%d", tracks_per_camera[c], long_per_camera[c]);
  std::printf("; purity of the long ones %.4f\n", items > 0 ? static_cast<double>(pure_items) / items : 0.0);
  // Scores of compared pairs, by whether they are of one person.
  std::map<std::pair<int, int>, std::array<int, 4>> by_pair;
  for (const auto& p : details.pair_scores) {
    const bool same = person_of[p.first] == person_of[p.second] && person_of[p.first] >= 0;
    const bool hi = p.ratio >= 0.7;
    auto& n = by_pair[{details.tracklets[p.first].camera, details.tracklets[p.second].camera}];
    ++n[(same ? 0 : 2) + (hi ? 0 : 1)];
  }
  for (const auto& [cams, n] : by_pair)
    std::printf("    cameras %d-%d, compared 2D-track pairs: same person %d fit / %d not; different people %d fit / %d "
                "not\n",
                cams.first, cams.second, n[0], n[1], n[2], n[3]);
  for (const auto& t : details.thresholds)
    std::printf("    cameras %d-%d: measured noise %.1f px, inlier threshold %.1f px%s\n", t.first, t.second, t.noise_px,
                t.threshold_px, t.chosen_by_cycles ? ", decision replaced by the cycle check" : "");
  int64_t views = 0, pure_views = 0, mixed_frames = 0, track_frames = 0;
  std::map<int, std::vector<int>> tracks_of;
  for (const Track& t : r.tracks) {
    std::map<int, int64_t> count;
    int cams = 0;
    for (camera_t c = 0; c < t.num_cameras; ++c) {
      bool any = false;
      for (frame_t f = 0; f < t.num_frames; ++f) {
        const detection_t d = t.DetectionAt(c, f);
        if (d == kNoDetection) continue;
        any = true;
        ++count[scene.detection_person[scene.SlotIndex(c, f, d)]];
      }
      cams += any ? 1 : 0;
    }
    for (frame_t f = 0; f < t.num_frames; ++f) {
      int first = -2;
      bool mixed = false, seen = false;
      for (camera_t c = 0; c < t.num_cameras; ++c) {
        const detection_t d = t.DetectionAt(c, f);
        if (d == kNoDetection) continue;
        const int p = scene.detection_person[scene.SlotIndex(c, f, d)];
        seen = true;
        if (first == -2) first = p;
        mixed = mixed || p != first;
      }
      track_frames += seen ? 1 : 0;
      mixed_frames += mixed ? 1 : 0;
    }
    int64_t total = 0, best = 0;
    int main_person = -1;
    for (const auto& [p, n] : count) {
      total += n;
      if (n > best) best = n, main_person = p;
    }
    views += total;
    pure_views += best;
    tracks_of[main_person].push_back(t.id);
    std::printf("      track %2d: %d cameras, %5lld views, frames %4d-%4d, person %d, purity %.3f\n", t.id, cams,
                static_cast<long long>(total), t.first_frame, t.last_frame, main_person,
                total > 0 ? static_cast<double>(best) / total : 0.0);
  }
  std::printf("    uncalibrated association: %d tracks, purity %.4f of %lld views, %lld of %lld track frames mixed\n",
              static_cast<int>(r.tracks.size()), views > 0 ? static_cast<double>(pure_views) / views : 0.0,
              static_cast<long long>(views), static_cast<long long>(mixed_frames), static_cast<long long>(track_frames));
  for (const auto& [p, ids] : tracks_of) std::printf("      person %d: %d tracks\n", p, static_cast<int>(ids.size()));
  // The self-calibration from them, with its report.
  KeypointInput input;
  input.path = "studio";
  input.keypoints = scene.ToKeypointSequence();
  input.skeleton = &GetSkeleton("coco17");
  for (const Camera& c : scene.rig) input.camera_names.push_back(c.name);
  const Rig intrinsics = WithoutExtrinsics(scene.rig);
  const Association people = AssociatePeople(input, AssociationOptions{}, &intrinsics);
  CalibrateStageOptions co;
  const PersonTrack pooled = people.tracks.size() > 1 ? PoolTracks(people.tracks) : people.tracks.front();
  const CalibrateStageResult cal = CalibrateCameras(intrinsics, pooled, co);
  std::printf("    calibration from %d pooled tracks (%d frames): %s\n", static_cast<int>(people.tracks.size()),
              pooled.num_frames(), cal.output.report.BriefReport().c_str());
  for (const std::string& why : cal.output.report.reasons) std::printf("      reason: %s\n", why.c_str());
}

struct BenchOptions {
  int frames = 1500;
  uint64_t seed = 1;
  bool diagnose = false;
  bool self_calibrate = true;
  std::string detector = "gaussian";  // the studio's detector model
  std::vector<std::string> realistic_off;  // realistic detector components switched off
  bool oracle_calibration = false, only_oracle_calibration = false;
  CalibrateStageOptions calibration;
  TriangulateStageOptions triangulation;
};

void Run(const Scenario& sc, const BenchOptions& o) {
  const int frames = o.frames;
  const uint64_t seed = o.seed;
  StudioOptions so;
  so.rig = sc.rig;
  so.num_frames = frames;
  so.num_people = sc.people;
  so.bystander = sc.bystander;
  so.enter_leave = sc.enter_leave;
  so.seed = seed;
  so.detector = o.detector;
  so.data_dir = EPILABEL_DATA_DIR;
  for (const std::string& c : o.realistic_off) so.realistic = WithoutComponent(so.realistic, c);
  const SyntheticScene scene = Synthesize(so);
  if (o.diagnose) Diagnose(scene);
  if (o.oracle_calibration || o.only_oracle_calibration) {
    const OracleCalibrationEvaluation oc = EvaluateOracleCalibration(scene, seed, o.calibration);
    std::printf("%-26s oracle self-calibration (true association, %d people): rotation %.4f deg, centre %.3f %% of "
                "the rig radius, verdict %s\n",
                sc.name, static_cast<int>(scene.people.size()), oc.calibrated ? oc.calibration.max_rotation_error_deg : kNaN,
                oc.calibrated ? 100 * oc.calibration.max_center_error_rel : kNaN, oc.verdict.c_str());
    if (o.only_oracle_calibration) return;
  }
  const PeopleEvaluation e = EvaluatePeople(scene, seed, o.self_calibrate, true, o.calibration, o.triangulation);
  std::printf("%-26s %d frames, %d tracks (%s); PCP %.2f %% (oracle %.2f %%, per frame %.2f %%), MPJPE %.2f mm "
              "(oracle %.2f mm, ratio %.3f; per frame %.2f mm, ratio %.3f), switches %d, unmatched %lld of %lld "
              "detections, %.0f frames/s on one core\n",
              sc.name, frames, e.association.num_tracks, e.association.method.c_str(), 100 * e.ours.mean_pcp,
              100 * e.oracle.mean_pcp, 100 * e.oracle_per_frame.mean_pcp, 1000 * e.ours.mpjpe_m,
              1000 * e.oracle.mpjpe_m, e.ours.mpjpe_m / e.oracle.mpjpe_m, 1000 * e.oracle_per_frame.mpjpe_m,
              e.ours.mpjpe_m / e.oracle_per_frame.mpjpe_m, e.ours.identity_switches,
              static_cast<long long>(e.association.unmatched), static_cast<long long>(e.association.detections),
              frames / e.associate_triangulate_s);
  if (e.points_filled > 0)
    std::printf("    %s filled %lld points (%lld seen by one camera, %lld by none); MPJPE over the points of two views "
                "or more %.2f mm, over the others %.2f mm\n",
                o.triangulation.smooth ? "smoothing" : "single-view completion", static_cast<long long>(e.points_filled),
                static_cast<long long>(e.points_single_view), static_cast<long long>(e.points_no_view),
                1000 * e.ours_multi_view.mpjpe_m, 1000 * e.ours_fewer_views.mpjpe_m);
  if (e.completion.candidates > 0) std::printf("    %s\n", e.completion.BriefReport().c_str());
  for (size_t p = 0; p < e.ours.people.size(); ++p) {
    const PersonScore& s = e.ours.people[p];
    std::printf("    person %d: PCP %.2f %% (oracle %.2f %%, per frame %.2f %%), MPJPE %.2f mm (oracle %.2f mm, per "
                "frame %.2f mm), followed %d of %d frames by track %d, %d switches\n",
                s.truth_id, 100 * s.pcp, 100 * e.oracle.people[p].pcp, 100 * e.oracle_per_frame.people[p].pcp,
                1000 * s.mpjpe_m, 1000 * e.oracle.people[p].mpjpe_m, 1000 * e.oracle_per_frame.people[p].mpjpe_m,
                s.matched_frames, s.frames, s.main_track, s.identity_switches);
  }
  if (!o.self_calibrate) return;
  if (!e.calibrated) {
    std::printf("    self-calibration from %d tracks (%s): failed (%s)\n", e.calibration_association.num_tracks,
                e.calibration_association.method.c_str(), e.calibration_verdict.c_str());
    return;
  }
  std::printf("    self-calibration from %d tracks (%s): rotation %.4f deg, centre %.3f %% of the rig radius, verdict "
              "%s, %.1f s\n",
              e.calibration_association.num_tracks, e.calibration_association.method.c_str(),
              e.calibration.max_rotation_error_deg, 100 * e.calibration.max_center_error_rel,
              e.calibration_verdict.c_str(), e.calibrate_s);
  if (!e.reassociation.reassociated) return;
  std::printf("      first pass: rotation %.4f deg, centre %.3f %%, verdict %s; %s\n",
              e.first_calibrated ? e.first_calibration.max_rotation_error_deg : kNaN,
              e.first_calibrated ? 100 * e.first_calibration.max_center_error_rel : kNaN, e.first_verdict.c_str(),
              e.reassociation.BriefReport().c_str());
}

}  // namespace

int main(int argc, char** argv) {
  BenchOptions o;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--diagnose")) o.diagnose = true;
    else if (!std::strcmp(argv[i], "--smooth")) o.triangulation.smooth = true;
    else if (!std::strcmp(argv[i], "--no-calibration")) o.self_calibrate = false;
    else if (!std::strcmp(argv[i], "--segments-per-joint")) o.calibration.pipeline.self.segments_per_joint = true;
    else if (!std::strcmp(argv[i], "--oracle-calibration")) o.oracle_calibration = true;
    else if (!std::strcmp(argv[i], "--only-oracle-calibration")) o.only_oracle_calibration = true;
    else if (!std::strcmp(argv[i], "--no-complete-single-view")) o.triangulation.completion.enabled = false;
    else if (!std::strcmp(argv[i], "--no-complete-disagreeing-views")) o.triangulation.completion.disagreeing_views = false;
    else if (i + 1 >= argc) break;
    else if (!std::strcmp(argv[i], "--frames")) o.frames = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--seed")) o.seed = std::strtoull(argv[++i], nullptr, 10);
    else if (!std::strcmp(argv[i], "--scenario")) only = argv[++i];
    else if (!std::strcmp(argv[i], "--detector")) o.detector = argv[++i];
    else if (!std::strcmp(argv[i], "--realistic-off")) o.realistic_off.push_back(argv[++i]);
    else if (!std::strcmp(argv[i], "--max-frames")) o.calibration.pipeline.self.max_ba_frames = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--joint-weighting")) o.calibration.pipeline.self.joint_weighting = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--segment-frames")) o.calibration.pipeline.self.segment_frames = std::atoi(argv[++i]);
  }
  try {
    for (const std::string& c : o.realistic_off) WithoutComponent(RealisticDetectorOptions{}, c);
  } catch (const InputError& e) {
    std::fprintf(stderr, "people_accuracy: %s\n", e.what());
    return 2;
  }
  const Scenario scenarios[] = {
      {"ring8_3", "ring8", 3, false, false},
      {"ring8_1", "ring8", 1, false, false},
      {"h36m4_4_bystander_enter", "h36m4", 4, true, true},
      {"h36m4_1", "h36m4", 1, false, false},
      {"h36m4_2", "h36m4", 2, false, false},
      {"h36m4_3", "h36m4", 3, false, false},
      {"h36m4_4", "h36m4", 4, false, false},
  };
  for (const Scenario& s : scenarios)
    if (only.empty() || only == s.name) Run(s, o);
  return 0;
}
