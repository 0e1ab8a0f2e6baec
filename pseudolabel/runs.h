// File-level runs behind the `triangulate` and `calibrate` commands: read the inputs, run the
// geometry, write the outputs (each file atomically; report.json last, so a folder with a
// report.json is complete).
#pragma once

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "geometry/estimators/triangulation.h"
#include "geometry/optim/sequence_smoothing.h"
#include "geometry/sfm/calibration_pipeline.h"
#include "pseudolabel/inputs.h"

namespace epilabel {

struct TriangulateRunOptions {
  std::string calibration_path;
  std::string poses_path;
  std::string out_dir;
  std::string skeleton;                  // empty: guessed
  bool smooth = false;
  double fps = 30.0;                     // frame rate (smoothing, TRC)
  std::set<std::string> formats = {"npz"};  // npz, csv, trc
  TriangulationOptions triangulation;
  SequenceSmoothingOptions smoothing;
  bool write_html_report = true;
  int num_threads = 1;                   // Ceres threads
  ProgressCallback progress;
};

struct TriangulateRunResult {
  TriangulationSummary summary;
  bool smoothed = false;
  SequenceSmoothingSummary smoothing;
  std::vector<std::string> written;      // output files
  double read_s = 0, triangulate_s = 0, smooth_s = 0, write_s = 0;
  int num_frames = 0, num_cameras = 0, num_joints = 0;
};

// Triangulates a sequence with a known calibration; see `epilabel triangulate`.
TriangulateRunResult RunTriangulate(const TriangulateRunOptions& options);

// Triangulation (and optional smoothing) of loaded inputs, in memory: the final points with
// per-point errors and view counts recomputed for the smoothed points.
struct TriangulatedSequence {
  TriangulationResult triangulation;     // per-frame robust result (repaired observations, masks)
  Points3d points;                       // final: smoothed when asked, else per-frame
  FrameJointArray<double> reproj_error_px;
  FrameJointArray<int32_t> num_views;
  FrameJointArray<double> uncertainty_m;
  bool smoothed = false;
  SequenceSmoothingSummary smoothing;
};
TriangulatedSequence TriangulateInput(const Rig& rig, const PoseInput& poses, const TriangulationOptions& triangulation,
                                      bool smooth, SequenceSmoothingOptions smoothing, const ProgressCallback& progress);

struct CalibrateRunOptions {
  std::string poses_path;
  std::string intrinsics_path;           // intrinsics TOML (or a full calibration); empty with image_size
  int image_width = 0, image_height = 0; // --image-size: every camera, focal unknown
  std::string out_path;                  // calibration.toml
  std::string yaml_path;                 // optional OpenCV YAML
  std::string report_dir;                // report.json (+ report.html); default: folder of out_path
  std::string skeleton;
  double subject_height_m = 1.70;
  bool subject_height_given = false;
  std::string baseline;                  // "cam1,cam2,metres"
  bool refine_focal = false, refine_k1 = false;
  bool allow_check = true;               // a "check" verdict still writes the calibration
  bool write_html_report = true;
  uint64_t seed = 0;
  int num_threads = 1;
  CalibrationPipelineOptions pipeline;   // defaults for everything else
  ProgressCallback progress;
};

struct CalibrateRunResult {
  CalibrationOutput output;
  nlohmann::json report;
  std::vector<std::string> written;
  double read_s = 0, calibrate_s = 0;
};

// Self-calibrates the cameras of a keypoint input; see `epilabel calibrate`. Throws InputError
// for bad input; a failed calibration is reported (verdict "failed", report.json written, no
// calibration file) rather than thrown.
CalibrateRunResult RunCalibrate(const CalibrateRunOptions& options);

// Builds the calibration pipeline options for a skeleton and run options (shared by label).
CalibrationPipelineOptions PipelineOptionsFor(const Skeleton& skeleton, const CalibrateRunOptions& options,
                                              const Rig& rig);

}  // namespace epilabel
