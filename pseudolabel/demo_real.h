// The demo's real capture (`epilabel demo`, section 9): a recorded trial with a reference
// calibration of its cameras (the Pose2Sim balancing trial shipped in data/real/: four cameras,
// OpenPose BODY_25B detections, videos, Qualisys' calibration), run as a user would:
//   1. `calibrate --intrinsics REFERENCE --subject-height H` on the detections, scored as
//      `evalcalib` scores it (both alignments), the weakest camera named beside the one truly
//      furthest off, and the subject's joints triangulated with both rigs compared;
//   2. the same detections with cameras shifted by whole frames through `calibrate --sync`;
//   3. the videos through `detect` (MoveNet Thunder, the command's defaults), then calibrated.
// Files go under out_dir/real (calibrations, detections). Units: degrees, millimetres, frames and
// per cent as the field names say.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "foundation/progress.h"
#include "pseudolabel/demo_scoring.h"

namespace epilabel {

// What the demo knows of a trial folder: pose/ (OpenPose JSON, one folder per camera),
// Calib_qualisys.toml (the reference), trial.toml (subject_height_m, fps), videos/ (optional).
struct RealTrial {
  std::string dir, pose_dir, reference_path;
  double subject_height_m = 0, fps = 0;
};

// Reads `dir`/trial.toml. Throws InputError naming it when it is missing, not TOML, or holds no
// height in (0.5, 2.5) m or no frame rate in (0, 1000].
RealTrial ReadRealTrial(const std::string& dir);

struct DemoRealOptions {
  std::string out_dir = "epilabel_demo";  // files under out_dir/real
  // Part 2: whole frames each camera is shifted by (sync.toml's sign: camera c's frame N shows
  // the reference's N + offset), cycled over the cameras, the first camera the reference (its
  // entry ignored). Empty: part 2 skipped.
  std::vector<int> offsets = {0, 3, 0, 7};
  // Part 3: `detect` on the trial's videos with the MoveNet Thunder model of models_dir; skipped,
  // and said in DemoReal::detect_skipped, when there are no videos or no model.
  bool detect = true;
  std::string models_dir;
  uint64_t seed = 1;
  int num_threads = 1;
  ProgressCallback progress;
};

// A real capture calibrated from its people (the reference's intrinsics, the subject's height)
// against the reference calibration of the same cameras.
struct DemoReal {
  std::string trial;               // the trial's folder
  int cameras = 0, frames = 0;
  double subject_height_m = 0;
  DemoCalibration calibration;     // aligned by the camera orientations (as evalcalib's first table)
  // Aligned by the camera centres instead (evalcalib's second table).
  double max_rotation_by_centres_deg = 0, max_center_by_centres_pct = 0;
  // The subject's joints triangulated with our cameras (mapped by the alignment) against the same
  // detections triangulated with the reference cameras: mean and median distance, mm.
  double points_mean_mm = 0, points_median_mm = 0;
  // The camera the verdict names the weakest and why ("": none stands out), beside the camera
  // truly furthest off (by rotation).
  std::string named, evidence, furthest_off;
  // The same detections with the cameras shifted by DemoRealOptions::offsets, through
  // `calibrate --sync`: the offsets found (frames) and the calibration against the reference.
  bool sync_run = false;
  std::vector<double> true_offsets_frames, offsets_frames;
  double max_offset_error_frames = 0;
  DemoCalibration sync_calibration;
  // Our own detections of the trial's videos (`detect`), calibrated as above.
  bool detect_run = false;
  std::string detect_skipped;      // why the detector did not run ("": it ran or was not asked)
  std::string detect_model;        // the model file
  int detected_frames = 0;         // frames over every camera
  double detect_s = 0;             // wall time of the detection
  // Where the videos' frame sizes disagree with the reference calibration's (CheckImageSizes:
  // the trial's cam01/cam02 are encoded 1080 px wide, calibrated at 1088).
  std::vector<std::string> detect_warnings;
  DemoCalibration detect_calibration;
  double detect_rotation_by_centres_deg = 0, detect_center_by_centres_pct = 0;
};


// Parts 1-3 (see the top). Throws InputError for bad trial files (named); a failed calibration is
// reported in its DemoCalibration.
DemoReal RunRealCapture(const RealTrial& trial, const DemoRealOptions& options);

}  // namespace epilabel
