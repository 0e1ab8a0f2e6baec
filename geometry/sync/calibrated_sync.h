// Time offsets refined with a calibration: reprojection consistency as a function of the offset.
//
// For a camera under test, every (sampled) reference frame's joints are triangulated from the
// other cameras at their current offsets (keypoints interpolated in time, linear DLT on
// undistorted coordinates) and projected into the camera under test; its 2D keypoints,
// interpolated at the candidate offset, are compared with those projections. The cost is the
// mean of min(e, threshold_px)^2 over the points, on keypoints smoothed in time first
// (`smoothing_frames`; raw noisy keypoints interpolated half-way between frames carry half the
// noise variance, which pulls the minimum toward half frames) (a truncated quadratic: outliers and swaps
// saturate; the threshold is threshold_px or three times the median error at the start offset,
// whichever is larger, so that a calibration that fits the detections loosely, e.g. one made on
// another day, still has points below it; triangulated points whose views disagree by more
// than twice that are left out), minimised over the offset in [start - search_frames, start + search_frames]:
// a scan at quarter frames, then golden-section search to `tolerance_frames`. The cameras are
// refined one after the other (the reference fixed); then the reference is measured against the
// others and that common shift is taken out of every camera (the slow mode of the round, as the
// reference is one view among many); `passes` rounds.
//
// Sure or not: the minimum is checked against an independent estimate of the same offset, the
// two-view epipolar one without the calibration (epipolar_sync.h: the camera against the
// reference alone, so the other cameras' offsets do not enter it), each with its standard error
// measured from the data (the cost's curvature against the spread of the points' slopes). Sure
// when the calibrated valley is convex inside the interval, its standard error is at most
// `max_standard_error_frames` and the two agree within `disagreement_se` combined standard
// errors: confidence 1 - z / (2 disagreement_se) (z: how many combined standard errors apart; so
// 0.5-1). A valley that is not convex, at the end of the interval or imprecise keeps the start
// with its confidence (a calibration that fits the detections loosely); a clear minimum that the
// check contradicts keeps the start with confidence 0 and a note giving both estimates (a biased
// minimum, e.g. triangulated from other cameras' wrong offsets, or a wrong start: either way
// nothing confirms an offset). When some minima are so contradicted, the rounds
// run once more from the checks' own estimates, and that result is kept when it confirms more
// cameras (its notes say so; a camera it does not confirm keeps the epipolar estimate with
// confidence 0). Why not the valley's depth alone: a detector's
// view-dependent bias raises the cost's floor at every offset, so a right minimum can sit in a
// shallow valley, and a biased one in a deep valley. Without the check (it refuses: a person
// standing still, too few pairs; or check.radius_frames 0) the confidence is the valley's depth,
// 1 - cost at the minimum / median cost over the scan, and below `min_confidence`, or with the
// minimum at the end of the interval, the camera keeps its start (with its confidence).
#pragma once

#include "geometry/core/camera.h"
#include "geometry/sync/epipolar_sync.h"
#include "geometry/sync/time_offsets.h"

namespace epilabel {

struct CalibratedSyncOptions {
  double search_frames = 1.5;      // half-width of the searched interval around the start, reference frames
  double tolerance_frames = 0.002; // golden-section stops at this interval width
  double threshold_px = 15.0;      // errors are truncated here (at least; see above)
  double smoothing_frames = 1.5;   // std. dev. of the Gaussian smoothing of the keypoints, frames (0: none)
  int max_frames = 3000;           // reference frames used (evenly spaced sample of the sequence)
  int passes = 3;                  // rounds over the cameras
  double min_confidence = 0.2;     // without the check: a camera whose valley is less deep (or at
                                   // the end of the interval) keeps its start, with a note
  EpipolarSyncOptions check;       // the independent estimate each minimum is checked against
                                   // (radius_frames 0: no check, the valley's depth decides)
  double disagreement_se = 2.0;    // sure when the two are at most this many combined standard
                                   // errors apart (two unbiased estimates are further apart 5 % of the time)
  double max_standard_error_frames = 0.05;  // ... and the minimum's standard error is at most this
                                            // (reference frames: 2 SE = 0.1 frame)
  bool keep_unsure = false;        // take every minimum instead, however shallow its valley or at the
                                   // end of the interval (the next pass searches on from there; the
                                   // note stays): for a caller that judges the result otherwise;
                                   // a minimum the check contradicts still keeps the start
                                   // (CameraOffset::contradicted) and the retry runs as without it
  int num_threads = 0;             // 0 = TBB's default; results do not depend on it

  // Throws std::invalid_argument for non-positive values.
  void Check() const;
};

// Refines `start` (a motion estimate, or the offsets in seconds of SyncResult::OffsetsSeconds)
// with the calibrated cameras `rig` (input.num_cameras() of them, intrinsics and extrinsics).
// Cameras flagged in `fixed` (may be empty) keep their start; with fewer than three cameras the
// camera under test is compared with the others alone (two views: the other's ray only, so the
// offset comes from the epipolar distance). Returns method "calibrated"; a camera with no usable
// point keeps its start and is not estimated.
SyncResult RefineOffsetsWithCalibration(const Rig& rig, const SyncInput& input, const SyncResult& start,
                                        const CalibratedSyncOptions& options = {});

// How well cameras and offsets fit the keypoints: the mean over cameras of each camera's cost
// (as above: its smoothed keypoints at its offset against the joints the other cameras
// triangulate, squared errors truncated at options.threshold_px, pixels squared); lower is
// better. Comparable between rigs and offsets on the same input and threshold. Infinity when a
// camera has fewer than 10 points.
double CalibratedSyncScore(const Rig& rig, const SyncInput& input, const std::vector<double>& offsets_s,
                           const CalibratedSyncOptions& options = {});

// The cost curve of one camera (for tests and plots): cost at each offset in `offsets_s`, the
// other cameras at `offsets_s_all`.
std::vector<double> CalibratedSyncCost(const Rig& rig, const SyncInput& input, const std::vector<double>& offsets_s_all,
                                       int camera, const std::vector<double>& offsets_s,
                                       const CalibratedSyncOptions& options = {});

}  // namespace epilabel
