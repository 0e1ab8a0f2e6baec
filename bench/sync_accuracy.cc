// Accuracy and speed of the time offsets of unsynchronised cameras (the bench/README figures):
//  1. studio scenes with offsets up to +/- 2 s at 30 fps (fixed whole and fractional frames,
//     0, 17.3, -41.6, 58.9, ...) over seeds, rigs (h36m4, ring8) and noise: the largest offset
//     error in frames from motion alone, refined with the true cameras, and from the
//     `calibrate --sync` flow (CalibrateUnsynchronised, cameras self-calibrated); triangulation
//     MPJPE of the synchronised rig (the same motion and detector, every camera at the
//     reference times), without offsets, resampled with the true and with the estimated
//     offsets; with --calibrate the largest camera rotation error of the self-calibration with
//     unknown offsets (calibrate --sync) vs synchronised;
//  2. speed: offsets for 8 cameras x 10,000 frames, two threads: wall seconds and the CPU
//     seconds of the process over the same call (every thread's, from getrusage). On a loaded
//     machine the wall time measures the load; CPU seconds below the goal's wall seconds show the
//     goal met on one free core, whatever the other core does.
// The Pose2Sim check is bench/sync_pose2sim.sh.
// MPJPE is scored over the reference frames that every camera recorded.
//   build/bench/sync_accuracy [--frames 1800] [--seeds 3] [--calibrate] [--rig ring8] [--noise 2]
//       [--speed-frames 10000] [--whole: offsets rounded] [--clean: no outliers, swaps, misses]
//       [--per-camera: every camera's estimates] [--fine adjust|search: calibrate --sync's refinement]
//       [--offsets 0,3.4,-7.2,12: other offsets, frames] [--detector realistic: the studio's
//        realistic detector (heavy-tailed, temporally correlated, view-dependent errors; --noise is
//        then not used: one noise level)]
//       [--camera-fps 30,60,30,25: per-camera frame rates, repeated over the rig's cameras; the
//        offsets stay in frames of the first camera, which is the reference]
// err_cal: refined with the true cameras by the 1-D search (RefineOffsetsWithCalibration);
// err_ba: by the bundle adjustment with the true cameras as start (AdjustOffsetsWithCalibration).
// rot_o (--calibrate): the oracle, calibrate --sync with the true offsets given (known_offsets_s).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <sys/resource.h>

#include "detection/skeleton.h"
#include "detection/synthetic/realistic_detector.h"
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
bool g_whole = false, g_clean = false, g_per_camera = false;  // --whole, --clean, --per-camera
std::string g_fine = SyncStageOptions().fine;                    // --fine
std::vector<double> g_offsets;                                  // --offsets
std::vector<double> g_camera_fps;                               // --camera-fps
std::string g_detector = "gaussian";                            // --detector

// The per-camera rates for a rig of `cameras` (g_camera_fps repeated), empty when not given.
std::vector<double> CameraRates(size_t cameras) {
  std::vector<double> rates;
  for (size_t c = 0; c < cameras && !g_camera_fps.empty(); ++c) rates.push_back(g_camera_fps[c % g_camera_fps.size()]);
  return rates;
}

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// CPU seconds (user + system) the process has used so far, every thread's.
double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + 1e-6 * t.tv_usec; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::vector<PersonTrack> Tracks(const SyntheticScene& scene, const Observations2d& observations) {
  PersonTrack track;
  track.skeleton = &GetSkeleton("coco17");
  track.observations = observations;
  track.frame_numbers = scene.frame_numbers;
  for (const Camera& camera : scene.rig) track.camera_names.push_back(camera.name);
  return {track};
}

// Mean joint error (mm) over the frames marked in `scored`.
double Mpjpe(const Points3d& est, const Points3d& truth, const std::vector<bool>& scored) {
  double sum = 0;
  int64_t n = 0;
  for (frame_t f = 0; f < truth.num_frames(); ++f)
    if (scored[f])
    for (joint_t j = 0; j < truth.num_joints(); ++j) {
      if (!est.IsValid(f, j)) continue;
      sum += (est.at(f, j) - truth.at(f, j)).norm();
      ++n;
    }
  return n ? 1000.0 * sum / n : -1.0;
}

// MPJPE over every scored frame and over those away from the studio's clip transitions.
struct Score {
  double all = 0, smooth = 0;
};

Score RobustMpjpe(const Rig& rig, const Observations2d& observations, const Points3d& truth,
                  const std::vector<bool>& scored, const std::vector<bool>& smooth) {
  const Skeleton& skeleton = GetSkeleton("coco17");
  TriangulationOptions robust;
  robust.symmetric_pairs = skeleton.symmetric;
  robust.bones = skeleton.bones;
  const Points3d points = TriangulateSequence(rig, observations, robust).points;
  return {Mpjpe(points, truth, scored), Mpjpe(points, truth, smooth)};
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
  options.fine = g_fine;
  return options;
}

// Offsets in frames for a rig: the reference 0, then whole and fractional offsets up to 2 s.
std::vector<double> StudioOffsets(size_t cameras) {
  std::vector<double> all = {0.0, 17.3, -41.6, 58.9, -7.45, 33.0, -59.7, 4.6};
  for (size_t c = 0; c < g_offsets.size() && c < all.size(); ++c) all[c] = g_offsets[c];
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
  double motion_err = 0, refined_err = 0, adjusted_err = 0, selfcal_err = std::nan("");
  Score mpjpe_sync, mpjpe_unsync, mpjpe_true, mpjpe_est;
  double rot_sync = std::nan(""), rot_unsync = std::nan(""), rot_oracle = std::nan("");
  double sync_seconds = 0;
};

// The studio options of a row.
StudioOptions Studio(const std::string& rig, double noise, uint64_t seed, int frames) {
  StudioOptions o;
  o.rig = rig;
  o.num_frames = frames;
  o.noise_px = noise;
  o.seed = seed;
  o.data_dir = EPILABEL_DATA_DIR;
  o.time_offsets = StudioOffsets(MakeStudioRig(rig).cameras.size());
  if (g_whole) for (double& v : o.time_offsets) v = std::round(v);
  if (g_clean) o.outlier_rate = o.swap_rate = o.missing_rate = 0.0;
  o.camera_fps = CameraRates(o.time_offsets.size());
  if (!o.camera_fps.empty()) o.fps = o.camera_fps.front();
  o.detector = g_detector;
  return o;
}

// The realistic detector's synchronised rig: the same motion, every camera at the reference
// times (the studio's options for the detector: its seed and rate are the scene's).
Observations2d RealisticSynchronised(const StudioOptions& o, const SyntheticScene& scene) {
  RealisticDetectorOptions detector = o.realistic;
  detector.seed = o.seed;
  detector.fps = o.fps;
  return SimulateRealisticDetector(scene.rig, scene.points3d, scene.subject_height, detector).observations;
}

// The Gaussian detector's synchronised rig: the same motion and detector, every camera at the
// reference times.
Observations2d GaussianSynchronised(const StudioOptions& o, const SyntheticScene& scene) {
  SimulatedDetectorOptions detector;
  detector.noise_px = o.noise_px;
  detector.outlier_rate = o.outlier_rate;
  detector.swap_rate = o.swap_rate;
  detector.missing_rate = o.missing_rate;
  detector.hip_offset_px = o.hip_offset_px;
  detector.seed = o.seed;
  return SimulateDetector(scene.rig, scene.points3d, scene.subject_height, detector).observations;
}

StudioRow RunStudio(const std::string& rig, double noise, uint64_t seed, int frames, bool calibrate) {
  const StudioOptions o = Studio(rig, noise, seed, frames);
  const SyntheticScene scene = Synthesize(o);
  const Observations2d synced = g_detector == "realistic" ? RealisticSynchronised(o, scene) : GaussianSynchronised(o, scene);

  StudioRow row;
  SyncStageOptions options = SyncOptions();
  options.fps = o.camera_fps;
  const std::vector<double> fps = options.CameraFps(static_cast<int>(scene.rig.size()));
  const auto t0 = std::chrono::steady_clock::now();
  const SyncResult motion = EstimateTimeOffsets(Tracks(scene, scene.observations), options);
  row.sync_seconds = Seconds(t0);
  const SyncResult refined = EstimateTimeOffsets(Tracks(scene, scene.observations), options, &scene.rig);
  row.motion_err = MaxError(motion, o.time_offsets);
  if (g_per_camera) {
    for (size_t c = 1; c < o.time_offsets.size(); ++c)
      std::printf("  cam %zu truth %+7.2f motion %+8.3f (conf %.2f) calibrated %+8.3f\n", c, o.time_offsets[c],
                  motion.cameras[c].offset_frames, motion.cameras[c].confidence, refined.cameras[c].offset_frames);
  }
  row.refined_err = MaxError(refined, o.time_offsets);
  if (motion.success) {
    const SyncInput input = MakeSyncInput(Tracks(scene, scene.observations), fps, 0);
    const SyncAdjustmentResult adjusted = AdjustOffsetsWithCalibration(scene.rig, input, motion, options.adjustment);
    row.adjusted_err = MaxError(adjusted.sync, o.time_offsets);
    if (g_per_camera)
      for (size_t c = 1; c < o.time_offsets.size(); ++c)
        std::printf("  cam %zu adjusted %+8.3f\n", c, adjusted.sync.cameras[c].offset_frames);
  } else {
    row.adjusted_err = std::nan("");
  }

  std::vector<double> truth_s;
  for (double f : o.time_offsets) truth_s.push_back(f / o.fps);
  std::vector<PersonTrack> with_truth = Tracks(scene, scene.observations);
  ResampleTracks(truth_s, fps, 0, &with_truth);
  std::vector<PersonTrack> with_estimate = Tracks(scene, scene.observations);
  ResampleTracks(refined.OffsetsSeconds(), fps, 0, &with_estimate);
  // Scored over the reference frames every camera recorded (the others lack a camera).
  // (camera c's last frame shows reference frame (frames - 1) x fps / fps[c] + offset[c])
  const double lo = *std::max_element(o.time_offsets.begin(), o.time_offsets.end());
  double hi = 1e300;
  for (size_t c = 0; c < fps.size(); ++c) hi = std::min(hi, (frames - 1) * (o.fps / fps[c] - 1.0) + o.time_offsets[c]);
  const int first = static_cast<int>(std::ceil(lo)) + 2, last = frames - 1 + static_cast<int>(std::floor(hi)) - 2;
  std::vector<bool> scored(frames, false);
  for (int f = std::max(0, first); f <= last; ++f) scored[f] = true;
  // The studio's motion jumps where one played clip follows another (a body cannot): no
  // interpolation in time is right there; `smooth` leaves out 3 frames either side.
  std::vector<bool> smooth = scored;
  for (int start : scene.people.front().clip_start_frames) {
    for (int f = std::max(0, start - 3); f < std::min(frames, start + 3); ++f) smooth[f] = false;
  }
  row.mpjpe_sync = RobustMpjpe(scene.rig, synced, scene.points3d, scored, smooth);
  row.mpjpe_unsync = RobustMpjpe(scene.rig, scene.observations, scene.points3d, scored, smooth);
  row.mpjpe_true = RobustMpjpe(scene.rig, with_truth.front().observations, scene.points3d, scored, smooth);
  row.mpjpe_est = RobustMpjpe(scene.rig, with_estimate.front().observations, scene.points3d, scored, smooth);
  if (calibrate) {
    const Rig intrinsics = IntrinsicsOnly(scene.rig);
    const CalibrateStageResult sync_cal = CalibrateCameras(intrinsics, Tracks(scene, synced).front(), CalibrateOptions());
    if (sync_cal.output.success) row.rot_sync = CompareRigs(scene.rig, sync_cal.output.rig).max_rotation_error_deg;
    const SyncCalibrationResult unsync_cal =
        CalibrateUnsynchronised(intrinsics, Tracks(scene, scene.observations), CalibrateOptions(), options);
    if (unsync_cal.calibration.output.success) {
      row.rot_unsync = CompareRigs(scene.rig, unsync_cal.calibration.output.rig).max_rotation_error_deg;
      row.selfcal_err = MaxError(unsync_cal.sync, o.time_offsets);
      if (g_per_camera)
        for (size_t c = 1; c < o.time_offsets.size(); ++c)
          std::printf("  cam %zu calibrate --sync %+8.3f  %s\n", c, unsync_cal.sync.cameras[c].offset_frames,
                      unsync_cal.sync.cameras[c].note.c_str());
    }
    SyncStageOptions known = options;
    known.known_offsets_s = truth_s;
    const SyncCalibrationResult oracle =
        CalibrateUnsynchronised(intrinsics, Tracks(scene, scene.observations), CalibrateOptions(), known);
    if (oracle.calibration.output.success)
      row.rot_oracle = CompareRigs(scene.rig, oracle.calibration.output.rig).max_rotation_error_deg;
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
  double cpu0 = ProcessCpuSeconds();
  const SyncResult motion = EstimateTimeOffsets(tracks, options);
  const double motion_s = Seconds(t0), motion_cpu = ProcessCpuSeconds() - cpu0;
  t0 = std::chrono::steady_clock::now();
  cpu0 = ProcessCpuSeconds();
  const SyncResult refined = EstimateTimeOffsets(tracks, options, &scene.rig);
  const double refined_s = Seconds(t0), refined_cpu = ProcessCpuSeconds() - cpu0;
  std::printf("speed: 8 cameras x %d frames, %d threads: motion %.2f s, %.2f CPU s (max error %.3f frames), "
              "motion + calibrated %.2f s, %.2f CPU s (max error %.3f frames)\n",
              frames, kThreads, motion_s, motion_cpu, MaxError(motion, o.time_offsets), refined_s, refined_cpu,
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
    else if (!std::strcmp(argv[i], "--whole")) g_whole = true;
    else if (!std::strcmp(argv[i], "--clean")) g_clean = true;
    else if (!std::strcmp(argv[i], "--per-camera")) g_per_camera = true;
    else if (!std::strcmp(argv[i], "--fine") && i + 1 < argc) g_fine = argv[++i];
    else if (!std::strcmp(argv[i], "--detector") && i + 1 < argc) g_detector = argv[++i];
    else if (!std::strcmp(argv[i], "--camera-fps") && i + 1 < argc) {
      for (char* p = std::strtok(argv[++i], ","); p != nullptr; p = std::strtok(nullptr, ",")) g_camera_fps.push_back(std::atof(p));
    } else if (!std::strcmp(argv[i], "--offsets") && i + 1 < argc) {
      g_offsets.clear();
      for (char* p = std::strtok(argv[++i], ","); p != nullptr; p = std::strtok(nullptr, ",")) g_offsets.push_back(std::atof(p));
    }
  }
  std::printf("offsets (frames at 30 fps):");
  for (double v : StudioOffsets(8)) std::printf(" %g", v);
  std::printf(" (h36m4 the first four); calibrate --sync refinement: %s; detector: %s\n", g_fine.c_str(),
              g_detector.c_str());
  if (!g_camera_fps.empty()) {
    std::printf("camera frame rates:");
    for (double v : CameraRates(8)) std::printf(" %g", v);
    std::printf(" (repeated over the rig; offsets in frames of the first)\n");
  }
  std::printf("MPJPE mm over the frames every camera recorded; 'smooth': without 3 frames either side of the\n"
              "studio's clip transitions (its motion jumps there)\n");
  std::printf("%-6s %5s %4s | %7s %7s %7s %7s | %7s %7s %7s %7s %6s | %7s %7s %6s | %6s %6s %6s | %5s\n", "rig", "noise",
              "seed", "err_mot", "err_cal", "err_ba", "err_sc", "mpj_syn", "unsync", "true_o", "est_o", "ratio", "sm_syn",
              "sm_est", "sm_rat", "rot_s", "rot_u", "rot_o", "sync_s");
  for (const std::string& rig : rigs) {
    if (g_detector == "realistic") noises.resize(1);
    for (double noise : noises) {
      for (int seed = 1; seed <= seeds; ++seed) {
        const StudioRow r = RunStudio(rig, noise, seed, frames, calibrate);
        std::printf("%-6s %5.1f %4d | %7.3f %7.3f %7.3f %7.3f | %7.2f %7.1f %7.2f %7.2f %6.3f | %7.2f %7.2f %6.3f | %6.3f "
                    "%6.3f %6.3f | %5.2f\n",
                    rig.c_str(), noise, seed, r.motion_err, r.refined_err, r.adjusted_err, r.selfcal_err, r.mpjpe_sync.all,
                    r.mpjpe_unsync.all, r.mpjpe_true.all, r.mpjpe_est.all, r.mpjpe_est.all / r.mpjpe_sync.all,
                    r.mpjpe_sync.smooth, r.mpjpe_est.smooth, r.mpjpe_est.smooth / r.mpjpe_sync.smooth, r.rot_sync,
                    r.rot_unsync, r.rot_oracle, r.sync_seconds);
        std::fflush(stdout);
      }
    }
  }
  if (speed_frames > 0) RunSpeed(speed_frames);
  return 0;
}
