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
// Confidence: 1 - cost at the minimum / median cost over the scan (a sharp valley is sure); below
// `min_confidence`, or with the minimum at the end of the interval, the camera keeps its start.
#pragma once

#include "geometry/core/camera.h"
#include "geometry/sync/time_offsets.h"

namespace epilabel {

struct CalibratedSyncOptions {
  double search_frames = 1.5;      // half-width of the searched interval around the start, reference frames
  double tolerance_frames = 0.002; // golden-section stops at this interval width
  double threshold_px = 15.0;      // errors are truncated here (at least; see above)
  double smoothing_frames = 1.5;   // std. dev. of the Gaussian smoothing of the keypoints, frames (0: none)
  int max_frames = 3000;           // reference frames used (evenly spaced sample of the sequence)
  int passes = 3;                  // rounds over the cameras
  double min_confidence = 0.2;     // a camera whose valley is less sure (or at the end of the
                                   // interval) keeps its start, with a note
  bool keep_unsure = false;        // take every minimum instead, however shallow its valley or at the
                                   // end of the interval (the next pass searches on from there; the
                                   // note stays): for a caller that judges the result otherwise
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
