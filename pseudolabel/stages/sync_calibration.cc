#include "pseudolabel/stages/sync_calibration.h"

#include <chrono>

namespace epilabel {

namespace {

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The tracks as given, resampled with the offsets of `sync`.
std::vector<PersonTrack> Resampled(const std::vector<PersonTrack>& tracks, const SyncResult& sync,
                                   const std::vector<double>& fps) {
  std::vector<PersonTrack> out = tracks;
  ResampleTracks(sync.OffsetsSeconds(), fps, sync.reference, &out);
  return out;
}

// One track of every person (several people pooled) calibrated.
CalibrateStageResult Calibrate(const Rig& intrinsics, const std::vector<PersonTrack>& tracks,
                               const CalibrateStageOptions& options) {
  if (tracks.size() == 1) return CalibrateCameras(intrinsics, tracks.front(), options);
  return CalibrateCameras(intrinsics, PoolTracks(tracks), options);
}

}  // namespace

SyncCalibrationResult CalibrateUnsynchronised(const Rig& intrinsics, const std::vector<PersonTrack>& tracks,
                                              const CalibrateStageOptions& calibrate,
                                              const SyncStageOptions& sync) {
  SyncCalibrationResult result;
  result.tracks = tracks;
  if (tracks.empty()) return result;
  const std::vector<std::string>& names = tracks.front().camera_names;
  sync.Check(names);
  const std::vector<double> fps = sync.CameraFps(static_cast<int>(names.size()));
  const SyncInput input = MakeSyncInput(tracks, fps, sync.ReferenceIndex(names));

  auto t0 = std::chrono::steady_clock::now();
  result.sync = EstimateOffsetsFromMotion(input, sync.motion);
  result.sync_seconds = SecondsSince(t0);
  if (result.sync.success) result.tracks = Resampled(tracks, result.sync, fps);
  result.calibration = Calibrate(intrinsics, result.tracks, calibrate);
  if (result.sync.success && result.calibration.output.success && sync.refine) {
    t0 = std::chrono::steady_clock::now();
    result.sync = RefineOffsetsWithCalibration(result.calibration.output.rig, input, result.sync, sync.calibrated);
    result.sync_seconds += SecondsSince(t0);
    result.tracks = Resampled(tracks, result.sync, fps);
    const CalibrateStageResult again = Calibrate(intrinsics, result.tracks, calibrate);
    const double first_seconds = result.calibration.seconds;
    if (again.output.success) result.calibration = again;
    result.calibration.seconds = first_seconds + again.seconds;
  }
  if (result.sync.success && result.calibration.output.success) {
    for (size_t c = 0; c < result.calibration.output.rig.size(); ++c) {
      result.calibration.output.rig[c].time_offset = result.sync.cameras[c].offset_s;
    }
  }
  return result;
}

}  // namespace epilabel
