// Several people on the synthetic studio: association + triangulation against the truth.
//   build/bench/people_accuracy [--frames 1500] [--seed 1] [--scenario ring8_3]
// Per scene: PCP per person and mean (a limb correct when the mean error of its ends is at most
// half its length), MPJPE of ours and of the oracle association (each person triangulated from
// its own detections, the studio's truth of who is who), identity switches (not counted at the
// studio's stretch boundaries, where a person may jump), unmatched detections, association +
// triangulation speed on one core; and self-calibration from every person, started from
// nothing, against the true rig.
#include <cstdio>
#include <cstring>
#include <string>

#include "pseudolabel/people_evaluation.h"

using namespace epilabel;

namespace {

struct Scenario {
  const char* name;
  const char* rig;
  int people;
  bool bystander, enter_leave;
};

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
  const PeopleEvaluation e = EvaluatePeople(scene, seed, true, true);
  std::printf("%-26s %d frames, %d tracks (%s); PCP %.2f %% (oracle %.2f %%), MPJPE %.2f mm (oracle %.2f mm, ratio "
              "%.3f), switches %d, unmatched %lld of %lld detections, %.0f frames/s on one core\n",
              sc.name, frames, e.association.num_tracks, e.association.method.c_str(), 100 * e.ours.mean_pcp,
              100 * e.oracle.mean_pcp, 1000 * e.ours.mpjpe_m, 1000 * e.oracle.mpjpe_m, e.ours.mpjpe_m / e.oracle.mpjpe_m,
              e.ours.identity_switches, static_cast<long long>(e.association.unmatched),
              static_cast<long long>(e.association.detections), frames / e.associate_triangulate_s);
  for (size_t p = 0; p < e.ours.people.size(); ++p) {
    const PersonScore& s = e.ours.people[p];
    std::printf("    person %d: PCP %.2f %% (oracle %.2f %%), MPJPE %.2f mm (oracle %.2f mm), followed %d of %d frames "
                "by track %d, %d switches\n",
                s.truth_id, 100 * s.pcp, 100 * e.oracle.people[p].pcp, 1000 * s.mpjpe_m,
                1000 * e.oracle.people[p].mpjpe_m, s.matched_frames, s.frames, s.main_track, s.identity_switches);
  }
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
