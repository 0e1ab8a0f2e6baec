// The demo run (`epilabel demo`): the pipeline on the synthetic studio, each stage scored against
// the studio's truth. Every section runs the same library calls as its own command:
//   1. the studio (one person);
//   2. self-calibration from the people alone (known intrinsics, the true height);
//   3. triangulation with the self-calibrated and with the true cameras;
//   4. pseudo-labels: multi-view self-calibrated, multi-view with the true calibration, and the
//      EpipolarPose-style two-view baseline;
//   5. several people: association, triangulation and self-calibration from all of them;
//   6. unsynchronised cameras: offsets from motion, `calibrate --sync`, triangulation resampled;
//   7. a realistic detector (heavy-tailed, biased, time-correlated errors) and varied motion;
//   8. a fisheye rig;
//   9. a real capture: the Pose2Sim balancing trial (data_dir/real/): its OpenPose detections
//      calibrated from the person alone and compared with the studio's Qualisys calibration,
//      the same with cameras shifted in time (`calibrate --sync`), and the trial's videos
//      through our own detector (`detect`, when the models are installed) and calibrated.
// The lifters trained on the labels of section 4 are training/demo_lifters.h. The files of each
// section are written under `out_dir` (the studio, calibrations, datasets and their reports).
//
// Units: errors in degrees, millimetres, frames and per cent as the field names say.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "detection/synthetic/studio.h"
#include "foundation/progress.h"
#include "geometry/sfm/rig_comparison.h"
#include "pseudolabel/dataset.h"
#include "pseudolabel/demo_real.h"
#include "pseudolabel/demo_scoring.h"
#include "pseudolabel/label_scoring.h"
#include "pseudolabel/people_evaluation.h"

namespace epilabel {

struct DemoRunOptions {
  std::string rig = "h36m4";     // studio rig (StudioOptions::rig)
  int frames = 3000;             // frames of the one-person studio (sections 1-4)
  std::string out_dir = "epilabel_demo";
  std::string data_dir;          // shipped data (motion clips)
  uint64_t seed = 1;
  int people = 3;                // people of section 5; 1 skips it
  int section_frames = 1500;     // frames of sections 5-8 (at most `frames`)
  bool unsynchronised = true;    // section 6
  // Section 6's offsets in frames, one per camera of the rig (the first camera the reference);
  // empty: 0, +3.4, -7.2, +12.6, ... (cycled over the rig).
  std::vector<double> time_offsets;
  bool realistic_detector = true;  // section 7
  bool fisheye = true;             // section 8
  bool real_capture = true;        // section 9 (data_dir/real/pose2sim_balancing)
  // Section 9's second part (DemoRealOptions::offsets): the trial's cameras shifted by these whole
  // frames, through `calibrate --sync`; the first 0, each within +-30. Empty: skipped.
  std::vector<int> real_offsets = DemoRealOptions{}.offsets;
  // Section 9's third part (DemoRealOptions::detect): the trial's videos through `detect` with the
  // MoveNet Thunder model of models_dir; skipped, and said, without it (scripts/setup-models.sh).
  bool real_detect = true;
  std::string models_dir;
  int num_threads = 1;
  ProgressCallback progress;

  // Throws InputError naming the key of a bad value (frames, people, section_frames,
  // time_offsets, real_offsets, data_dir).
  void Check() const;
};

// Section 2, second part: the same studio calibrated with one camera's given focal length
// `focal_error_pct` long (a wrong intrinsics file), and what the verdict says of it.
struct DemoWrongFocal {
  std::string camera;              // the camera given the wrong focal length
  double focal_error_pct = 0;      // how much too long, %
  double pull_pct = 0, sigma_pct = 0;  // the people's pull on it when freed alone, and its sigma, %
  double rotation_error_deg = 0;   // its true rotation error in that calibration
  std::string named, evidence;     // the camera the verdict names the weakest and why ("": none)
};

struct DemoLabelRow {
  std::string name;
  LabelScore score;
};

// Section 6.
struct DemoSync {
  std::vector<std::string> camera_names;
  std::vector<double> true_offsets_frames;
  std::vector<double> motion_offsets_frames;     // `sync` without cameras
  std::string motion_verdict;
  std::vector<double> calibrated_offsets_frames; // `calibrate --sync`
  double max_motion_error_frames = 0, max_calibrated_error_frames = 0;
  DemoCalibration calibration;                   // `calibrate --sync` against the true cameras
  // Triangulation with the true cameras: frames matched by number, resampled with the offsets of
  // `calibrate --sync`, and the synchronised studio's detections of the same scene.
  double mpjpe_by_frame_number_mm = 0, mpjpe_resampled_mm = 0;
  // The same offsets with DemoRunOptions::people people in view (when more than one), from motion
  // without cameras: each camera's people paired with the reference's by their motion.
  int people = 0;
  std::vector<double> people_offsets_frames;
  std::string people_verdict;
  double max_people_error_frames = 0;
};

// Section 7.
struct DemoRealistic {
  DemoCalibration calibration;
  double mpjpe_mm = 0, oracle_mpjpe_mm = 0;  // per-frame triangulation with the true cameras; oracle:
                                             // told the gross errors and swaps
};

// Section 8.
struct DemoFisheye {
  double fov_deg = 0;
  DemoCalibration calibration;
};

struct DemoRunResult {
  // 1.
  SyntheticScene scene;          // the one-person studio (its truth scores the labels)
  StudioOptions studio;
  std::string studio_dir;
  double studio_s = 0;
  // 2.
  DemoCalibration calibration;
  std::string calibration_path;
  double calibration_s = 0;
  DemoWrongFocal wrong_focal;
  double wrong_focal_s = 0;
  // 3.
  double mpjpe_true_cameras_mm = 0, mpjpe_self_calibrated_mm = 0;
  std::string triangulation_brief;
  double triangulation_s = 0;
  // 4.
  LabelDataset labels, labels_two_view;  // multi-view self-calibrated; two-view
  std::vector<DemoLabelRow> label_rows;
  double labels_s = 0;
  // 5.
  bool people_run = false;
  int people = 0, people_frames = 0;
  PeopleEvaluation people_evaluation;
  double people_s = 0;
  // 6-8.
  bool sync_run = false, realistic_run = false, fisheye_run = false;
  DemoSync sync;
  DemoRealistic realistic;
  DemoFisheye fisheye;
  double sync_s = 0, realistic_s = 0, fisheye_s = 0;
  // 9.
  bool real_run = false;
  DemoReal real;
  double real_s = 0;
  double seconds = 0;
};

// Throws InputError for bad options or a bad real trial (section 9's files, named);
// std::runtime_error when the one-person self-calibration fails (the later sections need it).
// Sections 5-9 report their calibrations' failures in their results.
// `on_section(k)` is called after section k is done (for printing as the run goes); may be empty.
DemoRunResult RunDemo(const DemoRunOptions& options, const std::function<void(int, const DemoRunResult&)>& on_section = {});

}  // namespace epilabel
