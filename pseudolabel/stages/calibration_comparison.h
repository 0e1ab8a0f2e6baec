// Two calibrations of the same cameras judged on the same observations, for the choices between
// calibrations made from different tracks (CalibrateFromTracks: the pooled tracks or the
// single-person selection; CalibrateFromPeople: the first or the re-associated tracks). A verdict
// compares each calibration with itself (its leave-one-camera-out shifts against a limit); the
// reprojection error of one set of observations compares them with each other.
#pragma once

#include <functional>
#include <string>

#include "geometry/estimators/sequence_triangulation.h"
#include "pseudolabel/stages/calibrate.h"

namespace epilabel {

// Every `max_frames`-th share of a track's frames (evenly spread), so that a comparison stays
// cheap on long captures; the track itself when it has at most max_frames frames.
PersonTrack EveryNthFrame(const PersonTrack& track, int max_frames);

// The triangulation options of a calibration's final triangulation (as CalibrateFromPoses).
TriangulationOptions ComparisonTriangulation(const Skeleton& skeleton, const CalibrateStageOptions& options,
                                             const Rig& intrinsics);

// Reprojection errors (px) of `rig` over every observation above the triangulation's
// confidence whose joint it triangulates (robustly), the triangulation's outliers included.
std::vector<double> ReprojectionErrors(const Rig& rig, const Observations2d& obs, const TriangulationOptions& options);

// sqrt(mean(min(e, cap)^2)): the root mean square error with every error above `cap` counted
// as `cap` (a gross error weighs no more than a wrong-but-close one); NaN without errors.
double TruncatedRms(const std::vector<double>& errors, double cap);

struct ReprojectionComparison {
  double cap_px = kNaN;           // error_cap x the first rig's median error
  double first_error_px = kNaN;   // truncated RMS of the first rig's errors
  double second_error_px = kNaN;  // of the second rig's, with the same cap
};

// Both rigs triangulate `obs` and reproject it; errors above error_cap x the first rig's
// median count as that cap, so that observations no rig explains (another person's keypoint,
// a mixed-up figure) weigh the same for both.
ReprojectionComparison CompareReprojection(const Rig& first, const Rig& second, const Observations2d& obs,
                                           const TriangulationOptions& options, double error_cap);

// Whether CalibrateFromTracks keeps the single-person selection's calibration instead of the
// pooled tracks' one; `how` receives the reason for the report's note.
//  - Either is failed: the better verdict (a failed pooled calibration gives way to any
//    selection that is not; two failed ones: the pooled one stays).
//  - The pooled one is *check* (the selection *check* or *good*): the selection only when
//    `compare()` (pooled rig first, the selection's second) says it reprojects the observations
//    both share better. The verdict alone does not tell them apart: its leave-one-out limit is a
//    threshold on one camera's noise (Pose2Sim two-person trial with both heights: cam_03 1.11 deg
//    against the 1.0 deg limit), and a selection that takes the seated child in some views and
//    the adult in others passed it with cameras that explain neither person well (scale +47 %).
// `compare` is called only in the second case.
bool SelectionReplacesPooled(const CalibrationOutput& pooled, const CalibrationOutput& selection,
                             const std::function<ReprojectionComparison()>& compare, std::string* how);

}  // namespace epilabel
