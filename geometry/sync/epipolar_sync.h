// Sub-frame time offset of one camera without a calibration, from the two-view geometry of the
// people's joints.
//
// At the right offset, a joint seen by the camera at its frame f and by the reference at the
// same instant (reference frame f * fps_ref / fps_cam + offset, interpolated in time) is one 3D
// point seen twice, so every such pair satisfies one epipolar constraint b^T F a = 0 whatever the
// (unknown) cameras; at a wrong offset a moving joint has moved between the two images and the
// pair misses it by about its image speed x the error. So for each candidate offset a
// fundamental matrix is fitted to all the pairs (all people, all joints, all frames: the
// normalised eight-point fit, iteratively reweighted with a Cauchy loss so outliers, swaps and
// wrongly paired tracks hardly count), and the offset minimises the robust Sampson cost. The
// Cauchy scale is measured once, at the start offset (the robust spread of the residuals, pixels),
// and then held fixed so the costs of all offsets are comparable (re-measured per offset, the cost
// would not depend on it); every offset is scored on the same pairs (the joints the reference has
// at all of them), reweighted from the start's weights.
//
// Search: offsets start + k * step_frames within radius_frames, the best, then a least-squares
// parabola through it and its neighbours within two steps. Both cameras' keypoints are smoothed
// in time first (`smoothing_frames`). Not estimated (and the start kept by the caller) when the
// best is at the edge of the search, the parabola is not convex, the cost hardly changes over the
// search (`min_depth`), or too few pairs overlap.
#pragma once

#include <string>

#include "geometry/sync/time_offsets.h"

namespace epilabel {

struct EpipolarSyncOptions {
  double radius_frames = 1.5;     // offsets searched around the start, reference frames (0: off)
  double step_frames = 0.25;      // spacing of the searched offsets, reference frames
  double cauchy_scale = 2.5;      // Cauchy loss scale, in robust standard deviations of the residuals
  int iterations = 5;             // reweighting iterations at the start offset
  int offset_iterations = 2;      // ... and at every searched offset, from the start's weights
  int min_pairs = 200;            // fewest joint pairs (camera frame, reference instant) to fit
  int max_frames = 3000;          // camera frames used, over all tracks (every k-th when there are more)
  double smoothing_frames = 1.0;  // std. dev. of the Gaussian smoothing of both cameras' keypoints
                                  // in time, reference frames (0: none; see Smoothed in the .cc)
  double min_depth = 0.05;        // the cost at the search's edges must exceed the minimum's by
                                  // this fraction of it (a person standing still: ~0)

  // Throws std::invalid_argument for non-positive or non-finite values (radius_frames may be 0).
  void Check() const;
};

struct EpipolarOffset {
  bool estimated = false;
  double offset_frames = 0.0;  // reference frames (the convention of time_offsets.h)
  double residual_px = 0.0;    // robust standard deviation of the Sampson residuals at the start, pixels
  double depth = 0.0;          // (the cost at the search's edges - the cost at the minimum) / the
                               // minimum's cost: how much the offset matters
  double standard_error_frames = 0.0;  // of the minimum, reference frames: the spread of the pairs'
                                       // cost slopes there (in blocks of time whose length is
                                       // measured, BlockedSumDeviation) over the cost's curvature
  int pairs = 0;               // joint pairs at the start offset
  std::string note;            // why not estimated
};

// The offset of `camera` relative to input.reference near `start_frames` (reference frames),
// from every track's joints seen by both (see the header comment). Deterministic and
// independent of the thread count.
EpipolarOffset RefineOffsetByEpipolarGeometry(const SyncInput& input, int camera, double start_frames,
                                              const EpipolarSyncOptions& options = {});

// How well one fundamental matrix fits the two views' joints at a few candidate offsets: the
// uncalibrated epipolar consistency as a judge of whole-frame lags far apart.
// For each of `offsets_frames` (reference frames; e.g. the peaks of a motion correlation, far
// apart): `camera`'s joints paired with the reference's at that offset (interpolated in time,
// both smoothed by options.smoothing_frames), the eight-point fit reweighted with a Cauchy loss
// whose scale (options.cauchy_scale x the residuals' robust spread) is re-measured every
// iteration (options.iterations), and the robust spread of the last fit's Sampson residuals
// (1.4826 x their median magnitude, pixels). At the right offset it is the detector's noise;
// at a wrong one a moving joint misses its epipolar line by about its image speed x the error,
// whatever the (unknown) cameras. Each offset on its own pairs (the overlap differs); NaN where
// fewer than options.min_pairs pairs overlap. Deterministic and independent of the thread count.
std::vector<double> EpipolarSpreadAtOffsets(const SyncInput& input, int camera, const std::vector<double>& offsets_frames,
                                            const EpipolarSyncOptions& options = {});

}  // namespace epilabel
