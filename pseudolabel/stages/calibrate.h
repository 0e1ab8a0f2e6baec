// Stage 4: the cameras from the people they see. Composes the geometry's calibration pipeline
// (self-calibration, bundle adjustment, world frame and scale, leave-one-camera-out check,
// verdict) with what the skeleton and the run options say. In memory: no file is read or
// written; a failed calibration is a result (`output.success == false`), not an exception.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "foundation/progress.h"
#include "geometry/sfm/calibration_pipeline.h"
#include "pseudolabel/stages/association.h"

namespace epilabel {

// A known distance between two camera centres, for the metric scale.
struct BaselineSpec {
  std::string camera_a, camera_b;  // camera names as in the keypoints
  double metres = 0.0;             // > 0
};

// Parses "CAM1,CAM2,METRES"; throws InputError naming the key `baseline` otherwise.
BaselineSpec ParseBaselineSpec(const std::string& text);

// Parses "ID=METRES,ID=METRES" (track ids and heights); throws InputError naming the key
// `track_heights` otherwise.
std::map<int, double> ParseTrackHeights(const std::string& text);

struct ReassociationOptions {
  // Several people: associate again with the first calibration and calibrate again (step 2).
  bool enabled = true;
  // The second calibration is kept when its verdict is better, or as good with a reprojection
  // error over the common observations at most this times the first's. Above 1: the error does
  // not see a few hundredths of a degree (h36m4 x 4 people, seed 1: the first pass 0.049 deg
  // from the truth, the second 0.029 deg, their errors 4.2294 and 4.2297 px), and the second
  // pass's people are associated in 3D; the limit catches a second pass that went wrong.
  double max_error_ratio = 1.01;
  // Reprojection errors above this times the first calibration's median error count as this
  // in the comparison (an outlier is not measured by its distance).
  double error_cap = 3.0;
  // Frames (evenly spread over the pooled tracks of both passes) both rigs triangulate for the
  // comparison.
  int compare_frames = 1500;
  // Throws InputError naming the key `reassociation.<member>` when a value is out of range.
  void Check() const;
};

struct CalibrateStageOptions {
  double subject_height_m = 1.70;        // standing height of the person (metres)
  bool subject_height_given = false;     // measured (+/- 1 cm) rather than the adult mean (+/- 9 cm)
  // Several people (a pooled track): the measured height of some tracks by track id (+/- 1 cm);
  // the others count as subject_height_m. Each person's stature is measured on their own frames.
  std::map<int, double> track_heights_m;
  std::optional<BaselineSpec> baseline;  // scale from a camera distance instead of the height
  bool refine_focal = false;             // also refine given focal lengths
  bool refine_k1 = false;                // also refine the first radial distortion coefficient
  uint64_t seed = 0;
  int num_threads = 1;                   // Ceres threads
  CalibrationPipelineOptions pipeline;   // everything else (defaults work on the studio)
  ReassociationOptions reassociation;    // several people: the second pass (stages/people_calibration.h)
  // Several people pooled into one track (PoolTracks): the bundle adjustment takes
  // pipeline.self.max_ba_frames times the mean number of people per frame (pooled frames over
  // distinct frame numbers), at most this factor, so that every person is sampled as densely as
  // one person alone would be. 1: max_ba_frames whatever the number of people. (ring8 x 3
  // people, seed 1: 600 frames 0.044 deg, 1,800 frames 0.015 deg; one person 0.017 deg.)
  double max_people_ba_factor = 4.0;
  ProgressCallback progress;
};

struct CalibrateStageResult {
  CalibrationOutput output;              // rig (metric, z up), final triangulation, report, verdict
  double seconds = 0.0;
  bool from_selection = false;           // CalibrateFromTracks kept the single-person selection's
};

// The pipeline options for a skeleton and the stage options. Throws InputError naming the key
// `baseline` when its cameras are not among `rig`'s.
CalibrationPipelineOptions PipelineOptionsFor(const Skeleton& skeleton, const CalibrateStageOptions& options,
                                              const Rig& rig);

// A calibration's verdict as a rank: 2 good, 1 check, 0 failed or not successful.
int VerdictRank(const CalibrationOutput& output);

// Calibrates `intrinsics` (the keypoint cameras, see ResolveIntrinsics) from one track.
CalibrateStageResult CalibrateCameras(const Rig& intrinsics, const PersonTrack& track,
                                      const CalibrateStageOptions& options);

// Calibrates the single-person selection's cameras (`selection`, see CalibrateFromTracks). Its
// frames mix people (the most confident figure differs between cameras and frames), so no
// track's height applies to them: when heights are given by track (track_heights_m), the scale
// comes from the statures of the tracks (`tracks`, pooled or one) triangulated with the
// selection's cameras, each measured on their own frames (ScaleObservations); else from
// subject_height_m on the selection's frames.
CalibrateStageResult CalibrateSelection(const Rig& intrinsics, const PersonTrack& selection, const PersonTrack& tracks,
                                        const CalibrateStageOptions& options);

// Calibrates from the tracks (several: pooled, PoolTracks); when that does not end *good*, also
// from `fallback()` (the single-person selection: the most confident figure of every camera and
// frame; made only when needed, skipped when it is the one track itself) and keeps the better
// result, with a note saying so. Against a *failed* pooled calibration (or a failed selection):
// the better verdict (the pooled result on a tie). Against a pooled calibration that is *check*: the selection only when it
// reprojects the observations of the tracks and of the selection better (calibration_comparison.h,
// with reassociation.compare_frames and error_cap), not on its verdict alone. People
// mis-associated across cameras, e.g. a bystander seen by one camera only and taken for the
// subject, spoil the correspondences; a selection can mix people too (the most confident figure
// differs between cameras): its cameras are calibrated by CalibrateSelection (with track heights,
// the scale from the tracks' statures). An empty `fallback` calibrates from the tracks alone. `used`
// receives the track the cameras came from.
CalibrateStageResult CalibrateFromTracks(const Rig& intrinsics, const std::vector<PersonTrack>& tracks,
                                         const std::function<PersonTrack()>& fallback,
                                         const CalibrateStageOptions& options,
                                         PersonTrack* used);

}  // namespace epilabel
