// Stage 4 with several people: the cameras from everyone in view, in two passes.
//
//  1. the tracks of the association without cameras (2D tracks grouped by two-view geometry)
//     are pooled and calibrated (CalibrateFromTracks, with its single-person fallback);
//  2. with that calibration, the people are associated again in 3D (AssociateWithCalibration:
//     per-frame epipolar matching and 3D tracking, so a person stays one track where people
//     cross, and a bystander seen by one camera stays out), and the re-associated tracks are
//     pooled and calibrated again from nothing (self-calibration, bundle adjustment, world frame
//     and scale, leave-one-camera-out check, verdict);
//  3. the second calibration is kept when the stage's measures do not find it worse: a verdict
//     at least as good, and a reprojection error at most `max_error_ratio` x the first's when
//     both rigs triangulate the same observations (every track of both passes, pooled, evenly
//     spread frames): the RMS over every observation, outliers of the robust triangulation
//     included, each error truncated at `error_cap` x the first rig's median error. Its people
//     were associated in 3D (fewer cut tracks, no bystander mixed in); the reprojection error
//     cannot tell calibrations a few hundredths of a degree apart, it catches a second pass that
//     went wrong. The result says which was kept and both errors.
// Options: CalibrateStageOptions::reassociation. One track (one person, or the single-person selection;
// with several takes, one track in every take) skips step 2 entirely: no extra cost,
// the output of CalibrateFromTracks unchanged. So do a first calibration that failed or left a
// camera unregistered, and measured heights given per track (`track_heights_m`: their ids are
// the first association's).
#pragma once

#include <string>

#include "pseudolabel/keypoint_input.h"
#include "pseudolabel/stages/association.h"
#include "pseudolabel/stages/calibrate.h"

namespace epilabel {

struct PeopleCalibrationSummary {
  bool reassociated = false;        // step 2 ran (several tracks, a usable first calibration)
  bool kept_reassociated = false;   // the second calibration was kept
  int first_tracks = 0;             // tracks of the association without cameras
  int second_tracks = 0;            // tracks of the association with the first calibration
  // Truncated RMS reprojection error (px) of each rig over the same observations (step 3); NaN
  // when not compared.
  double first_error_px = kNaN;
  double second_error_px = kNaN;
  std::string first_verdict, second_verdict;
  std::string BriefReport() const;  // one line: which was kept and why
};

struct PeopleCalibrationResult {
  CalibrateStageResult calibration;  // the kept one; its notes say which pass it came from
  Association association;           // the tracks it came from (the re-associated ones when kept)
  PersonTrack used;                  // the track the cameras came from (pooled, or one track)
  PeopleCalibrationSummary summary;
};

// Steps 1-3 above. `association`: the input's association without cameras (AssociatePeople on
// `intrinsics` without extrinsics); `association_options`: its options (the second pass uses
// their `calibrated` part and `min_track_views`); `fallback` as in CalibrateFromTracks.
PeopleCalibrationResult CalibrateFromPeople(const Rig& intrinsics, const KeypointInput& input,
                                            const Association& association,
                                            const AssociationOptions& association_options,
                                            const std::function<PersonTrack()>& fallback,
                                            const CalibrateStageOptions& options);

}  // namespace epilabel
