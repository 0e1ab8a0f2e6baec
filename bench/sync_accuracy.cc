// Accuracy and speed of the time offsets of unsynchronised cameras (the bench/README figures):
//  1. studio scenes with offsets up to +/- 2 s at 30 fps (fixed whole and fractional frames,
//     0, 17.3, -41.6, 58.9, ...) over seeds, rigs (h36m4, ring8) and noise: the largest offset
//     error in frames from motion alone, refined with the true cameras, and from the
//     `calibrate --sync` flow (CalibrateUnsynchronised, cameras self-calibrated); triangulation
//     MPJPE of the synchronised rig (the same motion and detector, every camera at the
//     reference times), without offsets, resampled with the true and with the estimated
//     offsets; with --calibrate the largest camera rotation error of the self-calibration with
//     unknown offsets (calibrate --sync) vs synchronised;
//  2. speed: offsets for 8 cameras x 10,000 frames, two threads.
// The Pose2Sim check is bench/sync_pose2sim.sh.
//   build/bench/sync_accuracy [--frames 1800] [--seeds 3] [--calibrate] [--rig ring8] [--speed-frames 10000]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "detection/skeleton.h"
#include "detection/synthetic/rigs.h"
#include "detection/synthetic/simulated_detector.h"
#include "detection/synthetic/studio.h"
#include "geometry/estimators/triangulation.h"
#include "geometry/sfm/rig_comparison.h"
#include "pseudolabel/stages/association.h"
#include "pseudolabel/stages/calibrate.h"
#include "pseudolabel/stages/sync.h"
#include "pseudolabel/stages/sync_calibration.h"

using namespace epilabel;

namespace {

constexpr int kThreads = 2;

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<PersonTrack> Tracks(const SyntheticScene& scene, const Observations2d& observations) {
  PersonTrack track;
  track.skeleton = &GetSkeleton("coco17");
  track.observations = observations;
  track.frame_numbers = scene.frame_numbers;
  for (const Camera& camera : scene.rig) track.camera_names.push_back(camera.name);
  return {track};
}

double Mpjpe(const Points3d& est, const Points3d& truth) {
  double sum = 0;
  int64_t n = 0;
  for (frame_t f = 0; f < truth.num_frames(); ++f)
    for (joint_t j = 0; j < truth.num_joints(); ++j) {
      if (!est.IsValid(f, j)) continue;
      sum += (est.at(f, j) - truth.at(f, j)).norm();
      ++n;
    }
  return n ? 1000.0 * sum / n : -1.0;
}

double RobustMpjpe(const Rig& rig, const Observations2d& observations, const Points3d& truth) {
  const Skeleton& skeleton = GetSkeleton("coco17");
  TriangulationOptions robust;
  robust.symmetric_pairs = skeleton.symmetric;
  robust.bones = skeleton.bones;
  return Mpjpe(TriangulateSequence(rig, observations, robust).points, truth);
}

Rig IntrinsicsOnly(Rig rig) {
  for (Camera& camera : rig) {
    camera.has_extrinsics = false;
    camera.time_offset = 0.0;
  }
  return rig;
}

CalibrateStageOptions CalibrateOptions() {
  CalibrateStageOptions options;
  options.num_threads = kThreads;
  return options;
}

SyncStageOptions SyncOptions() {
  SyncStageOptions options;
  options.motion.num_threads = kThreads;
  options.calibrated.num_threads = kThreads;
  return options;
}

// Offsets in frames for a rig: the reference 0, then whole and fractional offsets up to 2 s.
std::vector<double> StudioOffsets(size_t cameras) {
  const std::vector<double> all = {0.0, 17.3, -41.6, 58.9, -7.45, 33.0, -59.7, 4.6};
  return std::vector<double>(all.begin(), all.begin() + cameras);
}

double MaxError(const SyncResult& sync, const std::vector<double>& truth) {
  if (!sync.success) return std::nan("");
  double err = 0;
  for (size_t c = 0; c < truth.size(); ++c) {
    if (static_cast<int>(c) == sync.reference) continue;
    if (!sync.cameras[c].estimated) return std::nan("");
    err = std::max(err, std::abs(sync.cameras[c].offset_frames - truth[c]));
  }
  return err;
}

struct StudioRow {
  double motion_err = 0, refined_err = 0, selfcal_err = std::nan("");
  double mpjpe_sync = 0, mpjpe_unsync = 0, mpjpe_true = 0, mpjpe_est = 0;
  double rot_sync = std::nan(""), rot_unsync = std::nan("");
  double sync_seconds = 0;
};

StudioRow RunStudio(const std::string& rig, double noise, uint64_t seed, int frames, bool calibrate) {
  StudioOptions o;
  o.rig = rig;
  o.num_frames = frames;
  o.noise_px = noise;
  o.seed = seed;
  o.data_dir = EPILABEL_DATA_DIR;
  o.time_offsets = StudioOffsets(MakeStudioRig(rig).cameras.size());
  const SyntheticScene scene = Synthesize(o);
  // The synchronised rig: the same motion and detector, every camera at the reference times.
  SimulatedDetectorOptions detector;
  detector.noise_px = o.noise_px;
  detector.outlier_rate = o.outlier_rate;
  detector.swap_rate = o.swap_rate;
  detector.missing_rate = o.missing_rate;
  detector.hip_offset_px = o.hip_offset_px;
  detector.seed = o.seed;
  const Observations2d synced =
      SimulateDetector(scene.rig, scene.points3d, scene.subject_height, detector).observations;

  StudioRow row;
  const SyncStageOptions options = SyncOptions();
  const std::vector<double> fps = options.CameraFps(static_cast<int>(scene.rig.size()));
  const auto t0 = std::chrono::steady_clock::now();
  const SyncResult motion = EstimateTimeOffsets(Tracks(scene, scene.observations), options);
  row.sync_seconds = Seconds(t0);
  const SyncResult refined = EstimateTimeOffsets(Tracks(scene, scene.observations), options, &scene.rig);
  row.motion_err = MaxError(motion, o.time_offsets);
  row.refined_err = MaxError(refined, o.time_offsets);

  std::vector<double> truth_s;
  for (double f : o.time_offsets) truth_s.push_back(f / o.fps);
  std::vector<PersonTrack> with_truth = Tracks(scene, scene.observations);
  ResampleTracks(truth_s, fps, 0, &with_truth);
  std::vector<PersonTrack> with_estimate = Tracks(scene, scene.observations);
  ResampleTracks(refined.OffsetsSeconds(), fps, 0, &with_estimate);
  row.mpjpe_sync = RobustMpjpe(scene.rig, synced, scene.points3d);
  row.mpjpe_unsync = RobustMpjpe(scene.rig, scene.observations, scene.points3d);
  row.mpjpe_true = RobustMpjpe(scene.rig, with_truth.front().observations, scene.points3d);
  row.mpjpe_est = RobustMpjpe(scene.rig, with_estimate.front().observations, scene.points3d);
  if (calibrate) {
    const Rig intrinsics = IntrinsicsOnly(scene.rig);
    const CalibrateStageResult sync_cal = CalibrateCameras(intrinsics, Tracks(scene, synced).front(), CalibrateOptions());
    if (sync_cal.output.success) row.rot_sync = CompareRigs(scene.rig, sync_cal.output.rig).max_rotation_error_deg;
    const SyncCalibrationResult unsync_cal =
        CalibrateUnsynchronised(intrinsics, Tracks(scene, scene.observations), CalibrateOptions(), options);
    if (unsync_cal.calibration.output.success) {
      row.rot_unsync = CompareRigs(scene.rig, unsync_cal.calibration.output.rig).max_rotation_error_deg;
      row.selfcal_err = MaxError(unsync_cal.sync, o.time_offsets);
    }
  }
  return row;
}

// Speed: offsets for 8 cameras x `frames` frames (ring8 with offsets), two threads.
void RunSpeed(int frames) {
  StudioOptions o;
  o.rig = "ring8";
  o.num_frames = frames;
  o.data_dir = EPILABEL_DATA_DIR;
  o.time_offsets = StudioOffsets(8);
  const SyntheticScene scene = Synthesize(o);
  const std::vector<PersonTrack> tracks = Tracks(scene, scene.observations);
  SyncStageOptions options = SyncOptions();
  auto t0 = std::chrono::steady_clock::now();
  const SyncResult motion = EstimateTimeOffsets(tracks, options);
  const double motion_s = Seconds(t0);
  t0 = std::chrono::steady_clock::now();
  const SyncResult refined = EstimateTimeOffsets(tracks, options, &scene.rig);
  const double refined_s = Seconds(t0);
  std::printf("speed: 8 cameras x %d frames, %d threads: motion %.2f s (max error %.3f frames), motion + "
              "calibrated %.2f s (max error %.3f frames)\n",
              frames, kThreads, motion_s, MaxError(motion, o.time_offsets), refined_s,
              MaxError(refined, o.time_offsets));
}

}  // namespace

int main(int argc, char** argv) {
  int frames = 1800, seeds = 3, speed_frames = 10000;
  bool calibrate = false;
  std::vector<std::string> rigs = {"h36m4", "ring8"};
  std::vector<double> noises = {2.0, 5.0};
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--frames") && i + 1 < argc) frames = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--seeds") && i + 1 < argc) seeds = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--speed-frames") && i + 1 < argc) speed_frames = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--calibrate")) calibrate = true;
    else if (!std::strcmp(argv[i], "--rig") && i + 1 < argc) rigs = {argv[++i]};
    else if (!std::strcmp(argv[i], "--noise") && i + 1 < argc) noises = {std::atof(argv[++i])};
  }
  std::printf("offsets (frames at 30 fps): h36m4 0 17.3 -41.6 58.9; ring8 also -7.45 33.0 -59.7 4.6\n");
  std::printf("%-6s %5s %4s | %7s %7s %7s | %7s %7s %7s %7s %6s | %6s %6s | %5s\n", "rig", "noise", "seed",
              "err_mot", "err_cal", "err_sc", "mpj_syn", "unsync", "true_o", "est_o", "ratio", "rot_s", "rot_u",
              "sync_s");
  for (const std::string& rig : rigs) {
    for (double noise : noises) {
      for (int seed = 1; seed <= seeds; ++seed) {
        const StudioRow r = RunStudio(rig, noise, seed, frames, calibrate);
        std::printf("%-6s %5.1f %4d | %7.3f %7.3f %7.3f | %7.2f %7.1f %7.2f %7.2f %6.3f | %6.3f %6.3f | %5.2f\n",
                    rig.c_str(), noise, seed, r.motion_err, r.refined_err, r.selfcal_err, r.mpjpe_sync,
                    r.mpjpe_unsync, r.mpjpe_true, r.mpjpe_est, r.mpjpe_est / r.mpjpe_sync, r.rot_sync, r.rot_unsync,
                    r.sync_seconds);
        std::fflush(stdout);
      }
    }
  }
  if (speed_frames > 0) RunSpeed(speed_frames);
  return 0;
}
