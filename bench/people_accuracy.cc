// Several people on the synthetic studio: association + triangulation against the truth.
//   build/bench/people_accuracy [--frames 1500] [--seed 1] [--scenario ring8_3]
// Per scene: PCP per person and mean (a limb correct when the mean error of its ends is at most
// half its length), MPJPE of ours and of the oracle association (each person triangulated from
// its own detections, the studio's truth of who is who), identity switches (not counted at the
// studio's stretch boundaries, where a person may jump), unmatched detections, association +
// triangulation speed on one core; and self-calibration from every person, started from
// nothing, against the true rig.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <tbb/global_control.h>

#include "detection/skeleton.h"
#include "detection/synthetic/studio.h"
#include "geometry/sfm/rig_comparison.h"
#include "pseudolabel/people_scoring.h"
#include "pseudolabel/stages/association.h"
#include "pseudolabel/stages/calibrate.h"
#include "pseudolabel/stages/triangulate.h"

using namespace epilabel;

namespace {

struct Scenario {
  const char* name;
  const char* rig;
  int people;
  bool bystander, enter_leave;
};

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

KeypointInput InputOf(const SyntheticScene& scene) {
  KeypointInput in;
  in.path = "studio";
  in.keypoints = scene.ToKeypointSequence();
  in.skeleton = &GetSkeleton("coco17");
  for (const Camera& c : scene.rig) in.camera_names.push_back(c.name);
  return in;
}

// Stretch boundaries of every person: frames where a person may jump.
std::vector<uint8_t> Cuts(const SyntheticScene& scene) {
  std::vector<uint8_t> cuts(static_cast<size_t>(scene.points3d.num_frames()), 0);
  for (const PersonTruth& p : scene.people)
    for (int f : p.clip_start_frames)
      for (int k = f; k < f + 2 && k < static_cast<int>(cuts.size()); ++k)
        if (k > 0) cuts[static_cast<size_t>(k)] = 1;
  return cuts;
}

void Run(const Scenario& sc, int frames, uint64_t seed) {
  StudioOptions so;
  so.rig = sc.rig;
  so.num_frames = frames;
  so.num_people = sc.people;
  so.bystander = sc.bystander;
  so.enter_leave = sc.enter_leave;
  so.seed = seed;
  so.data_dir = EPILABEL_DATA_DIR;
  const SyntheticScene scene = Synthesize(so);
  const KeypointInput input = InputOf(scene);
  const Skeleton& skeleton = *input.skeleton;

  // Ours: association with the true calibration, then every track triangulated (one core).
  std::vector<Points3d> tracks;
  std::vector<int> ids;
  Association people;
  double seconds = 0;
  {
    tbb::global_control one(tbb::global_control::max_allowed_parallelism, 1);
    const auto t0 = std::chrono::steady_clock::now();
    people = AssociatePeople(input, AssociationOptions{}, &scene.rig);
    for (const PersonTrack& t : people.tracks) {
      tracks.push_back(TriangulateTrack(scene.rig, t, TriangulateStageOptions{}).points);
      ids.push_back(t.id);
    }
    seconds = Seconds(t0);
  }
  // The oracle association: each person from its own detections.
  std::vector<Points3d> truth, oracle;
  std::vector<int> oracle_ids;
  for (const PersonTruth& p : scene.people) {
    if (p.bystander) continue;
    truth.push_back(p.points3d);
    PersonTrack t;
    t.id = p.id;
    t.skeleton = &skeleton;
    t.camera_names = input.camera_names;
    t.frame_numbers = scene.frame_numbers;
    t.observations = p.observations;
    oracle.push_back(TriangulateTrack(scene.rig, t, TriangulateStageOptions{}).points);
    oracle_ids.push_back(p.id);
  }
  const std::vector<uint8_t> cuts = Cuts(scene);
  const PeopleScore ours = ScorePeople(tracks, ids, truth, skeleton.bones, cuts);
  const PeopleScore best = ScorePeople(oracle, oracle_ids, truth, skeleton.bones, cuts);
  std::printf("%-28s %6d frames, %zu tracks (%s); PCP %.2f %% (oracle %.2f %%), MPJPE %.2f mm (oracle %.2f mm, ratio %.3f), "
              "switches %d, unmatched %lld of %lld detections, %.0f frames/s on one core\n",
              sc.name, frames, people.tracks.size(), people.summary.method.c_str(), 100 * ours.mean_pcp,
              100 * best.mean_pcp, 1000 * ours.mpjpe_m, 1000 * best.mpjpe_m, ours.mpjpe_m / best.mpjpe_m,
              ours.identity_switches, static_cast<long long>(people.summary.unmatched),
              static_cast<long long>(people.summary.detections), frames / seconds);
  for (const PersonScore& p : ours.people)
    std::printf("    person %d: PCP %.2f %%, MPJPE %.2f mm, followed %d of %d frames by track %d, %d switches\n",
                p.truth_id, 100 * p.pcp, 1000 * p.mpjpe_m, p.matched_frames, p.frames, p.main_track,
                p.identity_switches);

  // Self-calibration from every person, from nothing (known intrinsics).
  Rig intrinsics = scene.rig;
  for (Camera& c : intrinsics) {
    c.has_extrinsics = false;
    c.cam_from_world = Rigid3d();
  }
  const auto t0 = std::chrono::steady_clock::now();
  const Association uncalibrated = AssociatePeople(input, AssociationOptions{}, &intrinsics);
  const PersonTrack pooled = uncalibrated.tracks.size() > 1 ? PoolTracks(uncalibrated.tracks) : uncalibrated.tracks[0];
  CalibrateStageOptions co;
  co.seed = seed;
  const CalibrateStageResult cal = CalibrateCameras(intrinsics, pooled, co);
  if (!cal.output.success) {
    std::printf("    self-calibration from %zu tracks (%s): failed: %s\n", uncalibrated.tracks.size(),
                uncalibrated.summary.method.c_str(), cal.output.report.BriefReport().c_str());
    return;
  }
  const RigComparison cmp = CompareRigs(scene.rig, cal.output.rig);
  std::printf("    self-calibration from %zu tracks (%s, %lld unmatched): rotation %.4f deg, centre %.3f %% of the rig "
              "radius, verdict %s, %.1f s\n",
              uncalibrated.tracks.size(), uncalibrated.summary.method.c_str(),
              static_cast<long long>(uncalibrated.summary.unmatched), cmp.max_rotation_error_deg,
              100 * cmp.max_center_error_rel, VerdictName(cal.output.report.verdict), Seconds(t0));
}

}  // namespace

int main(int argc, char** argv) {
  int frames = 1500;
  uint64_t seed = 1;
  std::string only;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--frames")) frames = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seed")) seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--scenario")) only = argv[i + 1];
  }
  const Scenario scenarios[] = {
      {"ring8_3", "ring8", 3, false, false},
      {"h36m4_4_bystander_enter", "h36m4", 4, true, true},
      {"h36m4_1", "h36m4", 1, false, false},
  };
  for (const Scenario& s : scenarios)
    if (only.empty() || only == s.name) Run(s, frames, seed);
  return 0;
}
