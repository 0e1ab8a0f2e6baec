// Time offsets without a calibration, from how the people move.
//
// Signals: every joint's 2D speed in each camera, in body heights per second (the person's
// image height from the joints' extent), after a light temporal smoothing. The speed of one
// joint differs between views (foreshortening) but its peaks (a step, a swing) come at the
// same instants in every view, so the per-joint speed, robustly standardised per camera
// (median / MAD, clamped), is a view-independent timing signal.
//
// Estimate: every camera against the reference on one time grid (the reference's frame rate;
// other rates are resampled linearly): for each lag in whole grid frames the normalised
// cross-correlation of each joint signal with the same joint (and person) of the reference over
// their overlap, averaged over the joints and tracks that overlap long enough (a track that
// hardly moves in either view, e.g. a bystander, does not vote: see `min_motion`); the best whole
// lag, then the sub-frame peak of a parabola through it and its neighbours. Confidence:
// 1 - (best correlation farther than `exclusion_s` from the peak) / (the peak).
//
// Refusal: when the reference or a camera shows too little motion (the 75th percentile over
// time of the median joint speed over half a second is below `min_motion`: a person standing
// still, whose speed is detector noise), the whole input or that camera is refused with the
// reason, instead of a guess.
#pragma once

#include "geometry/sync/time_offsets.h"

namespace epilabel {

struct MotionSyncOptions {
  double max_offset_s = 5.0;        // lags searched: [-max_offset_s, max_offset_s]
  double smoothing_s = 0.05;        // std. dev. of the Gaussian smoothing of positions, seconds
  double min_overlap_s = 3.0;       // fewest seconds of overlap for a joint signal at a lag
                                    // (capped at half the shorter recording)
  double min_motion = 0.1;          // body heights per second (see the header comment)
  double motion_window_s = 0.5;     // window of the motion measure
  double exclusion_s = 0.5;         // the second peak is sought this far from the first
  double min_correlation = 0.15;    // a peak below this leaves the camera not estimated
  double canonical_radius_s = 0.1;  // the peak refined within this of the speed peak by the canonical
                                    // correlation of the 2D velocities (0: not refined)
  double canonical_window_s = 4.0;  // ... computed over windows this long (the person nearly in place)
  int num_threads = 0;              // 0 = TBB's default; results do not depend on it

  // Throws std::invalid_argument for non-positive or non-finite values.
  void Check() const;
};

// Offsets of every camera relative to input.reference. Never throws for ordinary data (refusals
// are values); throws std::invalid_argument for an inconsistent input (SyncInput::Check).
SyncResult EstimateOffsetsFromMotion(const SyncInput& input, const MotionSyncOptions& options = {});

// The motion of one camera's view of the tracks: see the header comment (body heights per second).
double MotionMeasure(const SyncInput& input, int camera, const MotionSyncOptions& options = {});

}  // namespace epilabel
