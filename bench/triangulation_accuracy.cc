// Accuracy of triangulation with known cameras on the synthetic studio (the README figures):
// MPJPE (world, no alignment) of
//   - "oracle": a refined weighted DLT told which 2D points are outliers or swapped (the masks
//     of the studio) and fitting the rest;
//   - "naive": the same refined DLT on every point (no outlier handling);
//   - "robust": our per-frame triangulation (view selection + swap repair), no masks;
//   - "smooth": robust + sequence optimisation (--smooth).
//   build/bench/triangulation_accuracy [--frames N] [--detector gaussian|realistic] [--motion-variation]
//                                      [--seed S]
// With --detector realistic (realistic_detector.h) the noise and rates of a case do not apply:
// only the rigs h36m4 and ring8 are run; the oracle also drops the wrong-limb joints (outlier_mask).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "detection/skeleton.h"
#include "detection/synthetic/studio.h"
#include "geometry/estimators/triangulation.h"
#include "geometry/optim/sequence_smoothing.h"

using namespace epilabel;

namespace {

double MeanError(const Points3d& est, const Points3d& truth, double* share) {
  double sum = 0;
  int64_t n = 0, total = 0;
  for (frame_t f = 0; f < truth.num_frames(); ++f)
    for (joint_t j = 0; j < truth.num_joints(); ++j) {
      ++total;
      if (!est.IsValid(f, j)) continue;
      sum += (est.at(f, j) - truth.at(f, j)).norm();
      ++n;
    }
  if (share) *share = total ? static_cast<double>(n) / total : 0.0;
  return n ? 1000.0 * sum / static_cast<double>(n) : -1.0;
}

// MPJPE of `est` over the points that `reference` also triangulated (the same points for both).
double MeanErrorOnCommon(const Points3d& est, const Points3d& reference, const Points3d& truth) {
  double sum = 0;
  int64_t n = 0;
  for (frame_t f = 0; f < truth.num_frames(); ++f)
    for (joint_t j = 0; j < truth.num_joints(); ++j) {
      if (!est.IsValid(f, j) || !reference.IsValid(f, j)) continue;
      sum += (est.at(f, j) - truth.at(f, j)).norm();
      ++n;
    }
  return n ? 1000.0 * sum / static_cast<double>(n) : -1.0;
}

}  // namespace

int main(int argc, char** argv) {
  int frames = 2000;
  std::string detector = "gaussian";
  bool motion_variation = false;
  uint64_t seed = 1;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--frames") && i + 1 < argc) frames = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--detector") && i + 1 < argc) detector = argv[++i];
    else if (!std::strcmp(argv[i], "--motion-variation")) motion_variation = true;
    else if (!std::strcmp(argv[i], "--seed") && i + 1 < argc) seed = std::strtoull(argv[++i], nullptr, 10);
  }
  struct Case {
    std::string rig;
    double noise, outliers, swaps, missing;
  };
  std::vector<Case> cases = {{"h36m4", 3, 0.02, 0.01, 0.02}, {"ring8", 3, 0.02, 0.01, 0.02},
                             {"h36m4", 6, 0.05, 0.01, 0.02}, {"ring8", 6, 0.05, 0.01, 0.02}};
  if (detector == "realistic") cases.resize(2);
  std::printf("detector %s, motion variation %s, seed %llu\n", detector.c_str(), motion_variation ? "on" : "off",
              static_cast<unsigned long long>(seed));
  const Skeleton& skeleton = GetSkeleton("coco17");
  std::printf("%-8s %5s %6s | %8s %8s %8s %8s | %8s %8s | %8s %9s\n", "rig", "noise", "outl", "oracle", "naive",
              "robust", "smooth", "rob/orc", "smo/orc", "shared%", "ms/frame");
  for (const Case& c : cases) {
    StudioOptions so;
    so.rig = c.rig;
    so.num_frames = frames;
    so.noise_px = c.noise;
    so.outlier_rate = c.outliers;
    so.swap_rate = c.swaps;
    so.missing_rate = c.missing;
    so.data_dir = EPILABEL_DATA_DIR;
    so.detector = detector;
    so.motion_variation = motion_variation;
    so.seed = seed;
    const SyntheticScene scene = Synthesize(so);
    // Oracle input: outliers and swapped points removed.
    const Observations2d masked = ObservationsWithoutGrossErrors(scene);
    TriangulationOptions plain;
    plain.robust = false;
    plain.repair_swaps = false;
    const double oracle = MeanError(TriangulateSequence(scene.rig, masked, plain).points, scene.points3d, nullptr);
    const double naive = MeanError(TriangulateSequence(scene.rig, scene.observations, plain).points, scene.points3d, nullptr);
    TriangulationOptions robust;
    robust.symmetric_pairs = skeleton.symmetric;
    robust.bones = skeleton.bones;
    const auto t0 = std::chrono::steady_clock::now();
    const TriangulationResult r = TriangulateSequence(scene.rig, scene.observations, robust);
    const double ms = 1000.0 * std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / frames;
    double share = 0;
    const double rob = MeanError(r.points, scene.points3d, &share);
    SequenceSmoothingOptions sm;
    sm.bones = skeleton.bones;
    sm.fps = so.fps;
    // pixel_sigma from the data (the default), as the CLI does.
    const SequenceSmoothingResult s = SmoothSequence(scene.rig, r, sm);
    const double smooth = MeanError(s.points, scene.points3d, nullptr);
    std::printf("%-8s %5.1f %5.0f%% | %8.2f %8.2f %8.2f %8.2f | %8.3f %8.3f | %8.2f %9.4f\n", c.rig.c_str(), c.noise,
                100 * c.outliers, oracle, naive, rob, smooth, rob / oracle, smooth / oracle, 100 * share, ms);
    if (std::getenv("EPILABEL_TRI_DIAG")) {
      const Points3d oracle_points = TriangulateSequence(scene.rig, masked, plain).points;
      const double rob_common = MeanErrorOnCommon(r.points, oracle_points, scene.points3d);
      const double orc_common = MeanErrorOnCommon(oracle_points, r.points, scene.points3d);
      // Points by the number of views that the robust fit used vs the oracle's clean views.
      int64_t only_robust = 0, worse = 0;
      double only_robust_err = 0, worse_excess = 0, total_excess = 0;
      for (frame_t f = 0; f < frames; ++f)
        for (joint_t j = 0; j < 17; ++j) {
          if (!r.points.IsValid(f, j)) continue;
          const double er = (r.points.at(f, j) - scene.points3d.at(f, j)).norm();
          if (!oracle_points.IsValid(f, j)) {
            ++only_robust;
            only_robust_err += er;
            continue;
          }
          const double eo = (oracle_points.at(f, j) - scene.points3d.at(f, j)).norm();
          total_excess += er - eo;
          if (er > eo + 0.02) {
            ++worse;
            worse_excess += er - eo;
          }
        }
      // Per joint: oracle / robust / smooth MPJPE (mm), and the share of smoothed points off by > 10 cm.
      std::printf("   per joint (oracle/robust/smooth mm):");
      for (joint_t j = 0; j < 17; ++j) {
        double so = 0, sr = 0, ss = 0;
        int64_t no = 0, nr = 0, ns = 0;
        for (frame_t f = 0; f < frames; ++f) {
          if (oracle_points.IsValid(f, j)) so += (oracle_points.at(f, j) - scene.points3d.at(f, j)).norm(), ++no;
          if (r.points.IsValid(f, j)) sr += (r.points.at(f, j) - scene.points3d.at(f, j)).norm(), ++nr;
          if (s.points.IsValid(f, j)) ss += (s.points.at(f, j) - scene.points3d.at(f, j)).norm(), ++ns;
        }
        std::printf(" %d:%.0f/%.0f/%.0f", j, 1000 * so / std::max<int64_t>(1, no), 1000 * sr / std::max<int64_t>(1, nr),
                    1000 * ss / std::max<int64_t>(1, ns));
      }
      std::printf("\n");
      std::printf("   common points: robust %.2f vs oracle %.2f (%.3f); only robust: %lld (mean %.1f mm); "
                  ">2 cm worse: %lld (excess %.2f of %.2f mm per point)\n",
                  rob_common, orc_common, rob_common / orc_common, static_cast<long long>(only_robust),
                  only_robust ? 1000 * only_robust_err / only_robust : 0.0, static_cast<long long>(worse),
                  1000 * worse_excess / (frames * 17), 1000 * total_excess / (frames * 17));
    }
    std::fflush(stdout);
  }
  return 0;
}
