// Accuracy and speed of the time offsets of unsynchronised cameras (the bench/README figures):
//  1. studio scenes with random offsets up to +/- 2 s at 30 fps (whole and fractional frames)
//     over seeds, rigs and noise: offset error in frames from motion alone and refined with the
//     true cameras; triangulation MPJPE after resampling with the estimated offsets relative to
//     the synchronised scene (same seed); with --calibrate also self-calibration with unknown
//     offsets (calibrate --sync flow) vs synchronised: max camera rotation error;
//  2. speed: motion offsets for 8 cameras x 10,000 frames;
//  3. the Pose2Sim balancing trial (--pose2sim DIR): cameras shifted by known whole frames (leading
//     frames dropped) and fractional frames (interpolated), the shifts recovered (motion, then
//     with the Qualisys calibration).
//   build/bench/sync_accuracy [--frames 1800] [--seeds 3] [--calibrate] [--pose2sim DIR]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "detection/io/calibration_io.h"
#include "detection/skeleton.h"
#include "detection/synthetic/studio.h"
#include "geometry/estimators/triangulation.h"
#include "geometry/sfm/rig_comparison.h"
#include "pseudolabel/keypoint_input.h"
#include "pseudolabel/stages/association.h"
#include "pseudolabel/stages/calibrate.h"
#include "pseudolabel/stages/sync.h"

using namespace epilabel;

namespace {

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<PersonTrack> Tracks(const SyntheticScene& scene) {
  PersonTrack track;
  track.skeleton = &GetSkeleton("coco17");
  track.observations = scene.observations;
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

// Max rotation error (deg) of a self-calibration of `tracks` against the truth; NaN on failure.
double CalibrationRotationError(const SyntheticScene& scene, const std::vector<PersonTrack>& tracks) {
  Rig intrinsics = scene.rig;
  for (Camera& camera : intrinsics) {
    camera.has_extrinsics = false;
    camera.time_offset = 0.0;
  }
  CalibrateStageOptions options;
  options.num_threads = 2;
  const CalibrateStageResult r = CalibrateCameras(intrinsics, tracks.front(), options);
  if (!r.output.success) return std::nan("");
  return CompareRigs(scene.rig, r.output.rig).max_rotation_error_deg;
}

struct StudioRow {
  double motion_err = 0, refined_err = 0, mpjpe_sync = 0, mpjpe_unsync = 0, mpjpe_resampled = 0;
  double rot_sync = std::nan(""), rot_unsync = std::nan("");
  double seconds = 0;
};

StudioRow RunStudio(const std::string& rig, double noise, uint64_t seed, int frames, bool calibrate) {
  StudioOptions o;
  o.rig = rig;
  o.num_frames = frames;
  o.noise_px = noise;
  o.seed = seed;
  o.data_dir = EPILABEL_DATA_DIR;
  const SyntheticScene synced = Synthesize(o);
  std::mt19937_64 rng(seed * 7919 + 1);
  std::uniform_real_distribution<double> offset(-60.0, 60.0);
  o.time_offsets.assign(synced.rig.size(), 0.0);
  for (size_t c = 1; c < o.time_offsets.size(); ++c) o.time_offsets[c] = std::round(offset(rng) * 10.0) / 10.0;
  const SyntheticScene scene = Synthesize(o);

  StudioRow row;
  SyncStageOptions options;
  const auto t0 = std::chrono::steady_clock::now();
  const SyncResult motion = EstimateTimeOffsets(Tracks(scene), options);
  const SyncResult refined = EstimateTimeOffsets(Tracks(scene), options, &scene.rig);
  row.seconds = Seconds(t0);
  for (size_t c = 1; c < scene.rig.size(); ++c) {
    row.motion_err = std::max(row.motion_err, std::abs(motion.cameras[c].offset_frames - o.time_offsets[c]));
    row.refined_err = std::max(row.refined_err, std::abs(refined.cameras[c].offset_frames - o.time_offsets[c]));
  }
  std::vector<PersonTrack> resampled = Tracks(scene);
  ResampleTracks(refined.OffsetsSeconds(), options.CameraFps(static_cast<int>(scene.rig.size())), 0, &resampled);
  row.mpjpe_sync = RobustMpjpe(synced.rig, synced.observations, synced.points3d);
  row.mpjpe_unsync = RobustMpjpe(scene.rig, scene.observations, scene.points3d);
  row.mpjpe_resampled = RobustMpjpe(scene.rig, resampled.front().observations, scene.points3d);
  if (calibrate) {
    row.rot_sync = CalibrationRotationError(synced, Tracks(synced));
    // calibrate --sync: motion offsets, resample, calibrate (the refinement with the calibrated
    // cameras then moves the offsets by hundredths of a frame; see README).
    std::vector<PersonTrack> coarse = Tracks(scene);
    ResampleTracks(motion.OffsetsSeconds(), options.CameraFps(static_cast<int>(scene.rig.size())), 0, &coarse);
    row.rot_unsync = CalibrationRotationError(scene, coarse);
  }
  return row;
}

// Speed: motion offsets for 8 cameras x `frames` frames (the studio's ring8 with offsets).
void RunSpeed(int frames) {
  StudioOptions o;
  o.rig = "ring8";
  o.num_frames = frames;
  o.data_dir = EPILABEL_DATA_DIR;
  o.time_offsets = {0, 12.3, -40.7, 55.1, -3.3, 27.0, -59.9, 8.8};
  const SyntheticScene scene = Synthesize(o);
  const std::vector<PersonTrack> tracks = Tracks(scene);
  SyncStageOptions options;
  auto t0 = std::chrono::steady_clock::now();
  const SyncResult motion = EstimateTimeOffsets(tracks, options);
  const double motion_s = Seconds(t0);
  t0 = std::chrono::steady_clock::now();
  const SyncResult refined = EstimateTimeOffsets(tracks, options, &scene.rig);
  const double refined_s = Seconds(t0);
  double err = 0;
  for (size_t c = 1; c < 8; ++c) err = std::max(err, std::abs(refined.cameras[c].offset_frames - o.time_offsets[c]));
  std::printf("speed: 8 cameras x %d frames: motion %.2f s, motion + calibrated %.2f s (max error %.3f frames)\n",
              frames, motion_s, refined_s, err);
}

// Camera c's observations advanced by `shift` frames: new frame f = old frame f + shift
// (interpolated for fractions), i.e. this camera's frame N shows the reference at N + shift.
void Shift(Observations2d* obs, int camera, double shift) {
  Observations2d copy = *obs;
  for (int f = 0; f < obs->num_frames(); ++f)
    for (int j = 0; j < obs->num_joints(); ++j) {
      const auto k = InterpolateKeypoint(copy, camera, f + shift, j);
      obs->at(camera, f, j) = k ? *k : Eigen::Vector3d::Zero();
    }
}

void RunPose2Sim(const std::string& dir) {
  const KeypointInput input = LoadKeypointInput(dir + "/pose", "", 2);
  const Rig rig = MatchCalibration(ReadCalibrationToml(dir + "/Calib_qualisys.toml"), dir + "/Calib_qualisys.toml",
                                   input, CalibrationNeed::kIntrinsicsAndExtrinsics);
  AssociationOptions association;
  association.method = "calibrated";
  const Association people = AssociatePeople(input, association, &rig);
  const PersonTrack* subject = &people.tracks.front();
  int64_t best = -1;
  for (const PersonTrack& t : people.tracks) {
    int64_t seen = 0;
    for (const auto& k : t.observations.data()) seen += k.z() > 0;
    if (seen > best) best = seen, subject = &t;
  }
  const std::vector<std::vector<double>> cases = {{0, 3, 0, 0}, {0, 0, -5, 7}, {0, 2.5, -1.5, 4.25}};
  std::printf("pose2sim balancing (%d cameras, %d frames at 60 fps, %zu tracks):\n", subject->num_cameras(),
              subject->num_frames(), people.tracks.size());
  for (const auto& shifts : cases) {
    PersonTrack shifted = *subject;
    for (int c = 1; c < shifted.num_cameras(); ++c) Shift(&shifted.observations, c, shifts[c]);
    SyncStageOptions options;
    options.default_fps = 60.0;
    options.motion.max_offset_s = 0.3;
    options.motion.min_overlap_s = 0.5;
    options.motion.exclusion_s = 0.1;
    const SyncResult motion = EstimateTimeOffsets({shifted}, options);
    const SyncResult refined = EstimateTimeOffsets({shifted}, options, &rig);
    std::printf("  true");
    for (double s : shifts) std::printf(" %+6.2f", s);
    std::printf(" | motion");
    for (const CameraOffset& c : motion.cameras) std::printf(" %+6.2f", c.offset_frames);
    std::printf(" %s | calibrated", motion.success ? "" : motion.reason.c_str());
    for (const CameraOffset& c : refined.cameras) std::printf(" %+6.2f", c.offset_frames);
    std::printf(" (%s)\n", refined.Verdict().c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  int frames = 1800, seeds = 3, speed_frames = 10000;
  bool calibrate = false;
  std::string pose2sim;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--frames") && i + 1 < argc) frames = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--seeds") && i + 1 < argc) seeds = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--speed-frames") && i + 1 < argc) speed_frames = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--calibrate")) calibrate = true;
    else if (!std::strcmp(argv[i], "--pose2sim") && i + 1 < argc) pose2sim = argv[++i];
  }
  std::printf("%-6s %5s %4s | %9s %9s | %8s %8s %8s %7s | %8s %8s | %6s\n", "rig", "noise", "seed", "motion_fr",
              "calib_fr", "mpjpe_s", "unsync", "resamp", "ratio", "rot_s", "rot_u", "sec");
  for (const std::string rig : {"h36m4", "ring8"}) {
    for (double noise : {3.0, 6.0}) {
      for (int seed = 1; seed <= seeds; ++seed) {
        const StudioRow r = RunStudio(rig, noise, seed, frames, calibrate);
        std::printf("%-6s %5.1f %4d | %9.3f %9.3f | %8.2f %8.2f %8.2f %7.3f | %8.3f %8.3f | %6.2f\n", rig.c_str(), noise,
                    seed, r.motion_err, r.refined_err, r.mpjpe_sync, r.mpjpe_unsync, r.mpjpe_resampled,
                    r.mpjpe_resampled / r.mpjpe_sync, r.rot_sync, r.rot_unsync, r.seconds);
        std::fflush(stdout);
      }
    }
  }
  if (speed_frames > 0) RunSpeed(speed_frames);
  if (!pose2sim.empty()) RunPose2Sim(pose2sim);
  return 0;
}
