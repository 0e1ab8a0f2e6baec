// The `label` run: 2D keypoints of one sequence -> (self-)calibration -> triangulation ->
// quality gates -> camera-frame labels, written as a dataset folder:
//   DATASET/dataset.npz                 one row per (frame, camera) sample (see dataset.h)
//   DATASET/data_3d_<name>.npz          VideoPose3D export (world metres)
//   DATASET/data_2d_<name>.npz          VideoPose3D export (2D per camera, metadata)
//   DATASET/calibration.toml            the cameras used
//   DATASET/points3d.npz                the triangulated sequence (world metres)
//   DATASET/report.json, report.html    gates, counts, calibration and triangulation figures
// The folder is built under a temporary name and renamed when complete.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "pseudolabel/keypoint_input.h"
#include "pseudolabel/labels.h"
#include "pseudolabel/stages/association.h"
#include "pseudolabel/stages/calibrate.h"
#include "pseudolabel/stages/triangulate.h"

namespace epilabel {

struct LabelRunOptions {
  std::string keypoints_path;
  std::string calibration_path;          // full calibration: no self-calibration
  std::string intrinsics_path;           // else intrinsics (or sizes) for self-calibration
  int image_width = 0, image_height = 0; // else one image size for every camera
  std::string out_dir;                   // the dataset folder
  std::string skeleton;                  // empty: guessed
  // Unsynchronised cameras: sync.toml of `epilabel sync` (else the calibration's time_offset);
  // the tracks are resampled onto the reference timeline (not for two-view `pairs`).
  std::string sync_path;
  std::string sequence_name;             // empty: the keypoints folder's name
  std::string export_name = "epilabel";  // VideoPose3D export file names
  // "": multi-view labels (self-calibration + bundle adjustment, or the given calibration);
  // "neighbours": EpipolarPose-style two-view labels, for comparison.
  std::string pairs;
  QualityGates gates;                    // gates.min_confidence also applies to the triangulation
  AssociationOptions association;
  CalibrateStageOptions calibration;     // height, baseline, pipeline (self-calibration)
  TriangulateStageOptions triangulation; // per-frame fit, smoothing, fps
  bool write_html_report = true;
  // Copied into every stage.
  uint64_t seed = 0;
  int num_threads = 1;
  ProgressCallback progress;

  // Throws InputError naming the key of a bad value (gates, pairs).
  void Check() const;
};

struct LabelRunResult {
  std::string calibration_source;  // "given", "self-calibrated", "two-view pairs"
  std::string verdict;             // the calibration verdict ("given" for a given calibration)
  GateCounts counts;
  LabelDataset dataset;            // as written to dataset.npz
  int num_frames = 0, num_cameras = 0;
  nlohmann::json report;
  // e.g. image sizes that differ or a calibration in millimetres (CheckImageSizes, CheckRigUnits);
  // also in report.json under "warnings" when any
  std::vector<std::string> warnings;
  double seconds = 0.0;
};

// Reads the keypoints (and calibration or intrinsics), runs the stages in memory (association
// -> intrinsics -> calibration -> triangulation -> labels) and writes the folder. Throws
// InputError for bad input, and std::runtime_error when self-calibration fails (the report
// explains); nothing is left under out_dir then.
LabelRunResult RunLabel(const LabelRunOptions& options);

}  // namespace epilabel
