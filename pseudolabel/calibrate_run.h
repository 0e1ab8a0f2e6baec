// The `calibrate` run, an edge of the pipeline: reads keypoints (and intrinsics), runs the
// stages (association -> intrinsics -> calibration) in memory and writes
//   the calibration TOML (Anipose layout with a [metadata] table holding the verdict),
//   optionally OpenCV YAML, and report.json + report.html in the report folder.
// A failed calibration writes no calibration but still its report (reasons, the cameras that
// were registered). Each file is written under a temporary name and renamed when complete.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "geometry/sfm/calibration_refinement.h"
#include "pseudolabel/keypoint_input.h"
#include "pseudolabel/stages/association.h"
#include "pseudolabel/stages/calibrate.h"
#include "pseudolabel/stages/sync.h"

namespace epilabel {

struct CalibrateRunOptions {
  std::string keypoints_path;            // the keypoints (several takes: the first)
  // Further takes of the same rig (same cameras, not moved; LoadTakes): their people are found
  // and tracked within each take, and every take's observations pooled in the calibration. Not
  // with sync or sync_offsets_path (InputError).
  std::vector<std::string> more_takes;
  std::string intrinsics_path;           // intrinsics TOML (or a full calibration); empty: see below
  // A full calibration to refine instead of calibrating from scratch (calibration_refinement.h):
  // no intrinsics file or image size then; the world frame stays the given one.
  std::string init_path;
  bool refine_intrinsics = false;        // with init_path: also each camera's focal length and k1
  int image_width = 0, image_height = 0; // one image size for every camera, focal unknown
                                         // (neither: the sizes stored with the keypoints)
  std::string out_path;                  // calibration.toml
  std::string yaml_path;                 // optional OpenCV YAML
  std::string report_dir;                // report.json (+ report.html); default: folder of out_path
  std::string skeleton;                  // empty: guessed
  bool allow_check = true;               // a "check" verdict still writes the calibration
  bool write_html_report = true;
  AssociationOptions association;
  CalibrateStageOptions stage;           // height, baseline, refinement, seed, threads, progress
  // Unsynchronised cameras (stages/sync_calibration.h, CalibrateUnsynchronised): coarse offsets
  // from motion first, each camera's frame numbers shifted by whole frames and the people
  // associated again (a shift is kept when the association improves), the tracks resampled by
  // what is left onto the reference timeline, calibration, then the offsets refined with the
  // cameras (reprojection), the tracks resampled again and the cameras calibrated once more; the
  // offsets (seconds) go into the calibration TOML (time_offset). A refusal (too little motion)
  // leaves the frames matched by number and is reported in `sync`.
  bool sync = false;
  // Known offsets instead (implies sync): sync.toml of `epilabel sync` (or one written by hand,
  // [cam_N] name, time_offset seconds, fps); the cameras are calibrated on the keypoints shifted
  // and resampled by them, nothing is estimated.
  std::string sync_offsets_path;
  SyncStageOptions sync_stage;
};

struct CalibrateRunResult {
  Association association;
  CalibrationOutput output;              // with init_path: the rig, success and verdict only
  std::optional<CalibrationRefinementResult> refinement;  // with init_path
  SyncResult sync;                       // with options.sync
  nlohmann::json report;
  std::vector<std::string> written;
  double read_s = 0, calibrate_s = 0;
};

// Throws InputError for bad input; with init_path, a camera that moved makes the verdict "check"
// and is named in its reasons. A failed calibration is reported (verdict "failed",
// report.json and report.html written, no calibration file) rather than thrown.
CalibrateRunResult RunCalibrate(const CalibrateRunOptions& options);

}  // namespace epilabel
