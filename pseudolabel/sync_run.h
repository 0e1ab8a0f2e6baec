// The `sync` run, an edge of the pipeline: reads keypoints (and optionally a calibration),
// follows the people (association), estimates every camera's time offset (stages/sync.h) and
// writes sync.toml. Also the sync.toml reader used by the runs that apply offsets.
//
// sync.toml (docs/formats.md): a [metadata] table (reference camera, method, verdict, reason when
// refused, the reference's motion) and one table per camera ([cam_0], [cam_1], ...) with
//   name = "cam01"            time_offset = 0.1133   seconds (the convention of
//   time_offset_frames = 3.4  fps = 30.0            geometry/sync/time_offsets.h)
//   confidence = 0.87         estimated = true      note = "..." (when not estimated or doubtful)
#pragma once

#include <map>
#include <string>
#include <vector>

#include "foundation/progress.h"
#include "geometry/core/camera.h"
#include "pseudolabel/keypoint_input.h"
#include "pseudolabel/stages/association.h"
#include "pseudolabel/stages/sync.h"

namespace epilabel {

struct SyncRunOptions {
  std::string keypoints_path;
  std::string calibration_path;          // optional: refine the offsets with this calibration
  std::string start_path;                // optional (needs calibration_path): a sync.toml to refine
                                         // instead of the motion estimate (cameras matched by name)
  std::string out_path;                  // sync.toml
  std::string skeleton;                  // empty: guessed
  // per camera name (others: stage.default_fps); a camera with timestamps uses their rate
  std::map<std::string, double> camera_fps;
  AssociationOptions association;
  SyncStageOptions stage;                // fps, reference, the estimators' options
  ProgressCallback progress;
};

struct SyncRunResult {
  SyncResult sync;
  std::vector<std::string> camera_names;
  std::vector<double> fps;
  std::string verdict;
  std::vector<std::string> warnings;  // the calibration's (CheckImageSizes, CheckRigUnits)
  std::vector<std::string> written;
};

// Throws InputError naming the keypoints (or calibration) file for bad input, e.g. an unknown
// reference camera or frame rate for an unknown camera. A refusal (too little motion) is written
// to sync.toml with verdict "refused" and its reason, not thrown.
SyncRunResult RunSync(const SyncRunOptions& options);

// Offsets of a sync.toml.
struct TimeOffsetsFile {
  std::vector<std::string> names;
  std::vector<double> offsets_s, fps, confidence;
  std::string reference, verdict;
};
// Throws InputError naming the file for bad TOML, a camera table without `name` or
// `time_offset`, or a non-positive fps.
TimeOffsetsFile ReadSyncToml(const std::string& path);
void WriteSyncToml(const SyncRunResult& result, const std::string& path);

// The time offsets (seconds) and frame rates of the keypoint cameras `input`, for the runs that
// apply them: from `sync_path` when given (matched by camera name; cameras missing from it make
// an InputError naming it), else the calibration's time_offset (`rig`, matched already) at the
// rate measured from each camera's timestamps, `default_fps` for a camera without. Empty when
// every offset is 0 and no sync file is given.
struct AppliedOffsets {
  std::vector<double> offsets_s, fps;
  int reference = 0;
  bool empty() const { return offsets_s.empty(); }
};
AppliedOffsets OffsetsToApply(const std::string& sync_path, const Rig* rig, const KeypointInput& input,
                              double default_fps);

}  // namespace epilabel
