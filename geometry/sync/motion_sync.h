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
// their overlap, and its evidence over that overlap (CorrelationEvidence: Fisher's z times the
// root of the independent samples, the signals' correlation time measured from their own
// autocorrelation), averaged over the joints and tracks that overlap long enough (a track that
// hardly moves in either view, e.g. a bystander, does not vote: see `min_motion`). Lags are
// compared by their evidence, not by the raw correlation: the overlap shrinks with the lag, and
// on a short recording a chance correlation over half of it can exceed the true lag's over all
// of it (the 100-frame Pose2Sim balancing trial: 0.33 at -45 frames against 0.23 at the true
// lag, evidence 0.57 against 0.73). The lag of most evidence, then the sub-frame peak of a
// parabola through it and its neighbours, moved to the best canonical correlation of the 2D
// velocities nearby, and last refined by the epipolar consistency of the joints seen by both
// cameras (RefineOffsetByEpipolarGeometry: a fundamental matrix fitted per candidate offset; kept
// when its cost has a convex minimum inside the search). Confidence: 1 - (most evidence farther
// than `exclusion_s` from the peak) / (the peak's); CameraOffset::peak_correlation is the mean
// correlation at the peak (below `min_correlation`: not estimated).
//
// Refusal: when the reference or a camera shows too little motion (the 75th percentile over
// time of the median joint speed over half a second is below `min_motion`: a person standing
// still, whose speed is detector noise), the whole input or that camera is refused with the
// reason, instead of a guess.
#pragma once

#include <vector>

#include "geometry/core/observations.h"
#include "geometry/sync/epipolar_sync.h"
#include "geometry/sync/time_offsets.h"

namespace epilabel {

struct MotionSyncOptions {
  double max_offset_s = 5.0;        // lags searched: [-max_offset_s, max_offset_s]
  double smoothing_s = 0.05;        // std. dev. of the Gaussian smoothing of positions, seconds
  double min_overlap_s = 3.0;       // fewest seconds of overlap for a joint signal at a lag
                                    // (capped at half the shorter recording of the camera and the
                                    // reference: each to its last frame seeing anyone, at its rate)
  double min_motion = 0.1;          // body heights per second (see the header comment)
  double motion_window_s = 0.5;     // window of the motion measure
  double exclusion_s = 0.5;         // the second peak is sought this far from the first
  double min_correlation = 0.15;    // a peak below this leaves the camera not estimated
  double canonical_radius_s = 0.1;  // the peak refined within this of the speed peak by the canonical
                                    // correlation of the 2D velocities (0: not refined)
  double canonical_window_s = 4.0;  // ... computed over windows this long (the person nearly in place)
  EpipolarSyncOptions epipolar;     // then refined by the two-view geometry of the joints
                                    // (epipolar_sync.h; radius_frames 0: not refined)
  int num_threads = 0;              // 0 = TBB's default; results do not depend on it

  // Throws std::invalid_argument for non-positive or non-finite values.
  void Check() const;
};

// Offsets of every camera relative to input.reference. Never throws for ordinary data (refusals
// are values); throws std::invalid_argument for an inconsistent input (SyncInput::Check).
SyncResult EstimateOffsetsFromMotion(const SyncInput& input, const MotionSyncOptions& options = {});

// The motion of one camera's view of the tracks: see the header comment (body heights per second).
double MotionMeasure(const SyncInput& input, int camera, const MotionSyncOptions& options = {});

// The correlation time (samples) of the cross-correlation of two independent series with
// autocorrelations rho_a, rho_b (rho[0] = 1): the sample correlation of n samples then has
// variance tau / n (Bartlett), tau = 1 + 2 sum_k>0 rho_a(k) rho_b(k), summed over Geyer's
// initial positive sequence of the products (pairs of lags while their sum is positive), at
// least 1. 1 for white noise; larger for smooth signals, whose neighbouring samples repeat each
// other.
double CrossCorrelationTime(const std::vector<double>& rho_a, const std::vector<double>& rho_b);

// How surely a correlation r over `samples` samples with correlation time `tau` is not chance:
// Fisher's z = atanh(r) sqrt(n_eff - 3), n_eff = samples / tau (the standard normal deviate
// under no correlation); 0 when n_eff <= 3. A lag's correlation over half the recording weighs
// about 0.7 of the same correlation over all of it.
double CorrelationEvidence(double r, double samples, double tau);

// Several people whose identities across cameras are not known (they cannot be associated by
// frame number while the offsets are unknown): views[c] are camera c's 2D tracks, each one
// person as that camera follows it, [1 camera, frames, joints] with frame f at time f / fps[c].
struct UnassociatedSyncInput {
  std::vector<std::vector<Observations2d>> views;  // [camera][track]
  std::vector<double> fps;                         // frames per second of each camera (> 0)
  int reference = 0;

  int num_cameras() const { return static_cast<int>(fps.size()); }
  // Throws std::invalid_argument unless there is one list of tracks per camera, every track has
  // one camera and the same joints, every fps is positive and finite, and the reference is a camera.
  void Check() const;
};

// Offsets of every camera relative to input.reference from unassociated 2D tracks: every pair
// (a track of the camera, one of the reference's; tracks that hardly move or are shorter than
// half of min_overlap_s left out, or, when that leaves none, shorter than half the shorter of the
// two views' longest tracks: a short recording, noted) gets its joints'
// correlation per lag; per lag the pairs are matched greedily by correlation (one offset for all
// people), scored by their correlation x their overlap at that lag (the frames correlated) over the
// camera's track frames. The best pairs, as
// associated people, refine it (EstimateOffsetsFromMotion on two cameras) when within 1.5 frames.
// Then the epipolar check (EpipolarSpreadAtOffsets in epipolar_sync.h), on the whole lags within canonical_radius_s + 1
// frame and the score's 4 next peaks: when one fundamental matrix fits one of them best and it is
// over one frame from the offset, the offset is that lag refined by the geometry, confidence 0,
// with a note. Otherwise the sub-frame part is sure (confidence kept, standard_error_frames the
// epipolar refinement's) only when 5 standard errors stay within half a frame, else confidence 0
// with a note (also when nothing refined it). epipolar.radius_frames 0: neither. Refusals as above.
SyncResult EstimateOffsetsFromUnassociatedMotion(const UnassociatedSyncInput& input,
                                                 const MotionSyncOptions& options = {});

}  // namespace epilabel
