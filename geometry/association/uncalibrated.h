// Association of several people without extrinsics (for self-calibration): people are
// tracked in 2D per camera, and the 2D tracks of different cameras are grouped by two-view
// geometry.
//
// Steps (see AssociateWithoutCalibration):
//  1. per camera, in parallel over cameras: 2D tracks by assignment (Hungarian) of detections
//     to tracks on the median joint distance to a constant-velocity prediction, within a gate.
//     Where a track has two detections nearly as close (or a detection two tracks), the
//     tracks involved end and new ones start: a crossing splits tracks rather than switching
//     identities;
//  2. per camera pair, in parallel over pairs: pairs of 2D tracks with enough co-visible
//     joints propose essential matrices (EstimateRelativeCameraPose, seeded), in the order of their
//     linear 8-point residual and until every track of one camera is in a fitting pair; the camera pair's
//     essential matrix is the proposal under which the most correspondences of well-fitting
//     track pairs are inliers (the right pairing is the one whose joints agree on one
//     essential matrix); that matrix then grows: estimated again from every fitting pair, and
//     pairs that do not fit yet are tried one at a time, joining when one matrix estimated with
//     them makes more pairs fit (refinement_rounds; a matrix from one person fits only where
//     that person walked); all of it with an inlier threshold adapted to the camera pair's
//     noise, measured on the first proposals' residuals; a track pair's score is its inlier share under the final matrix over
//     the share of the correspondences that made it;
//  2b. a global choice over camera triples (cycle_rounds): a camera pair whose decision (which
//     pairs fit) closes fewer cycles through third cameras than an alternative (another
//     proposal's decision, or the one the other camera pairs imply) switches to it;
//  3. a cycle-consistent grouping of all 2D tracks into people: average-linkage clustering on
//     the scores, never putting two time-overlapping tracks of one camera together.
// Detections in no group with at least min_cameras cameras are unmatched. In the summary,
// uncertain frames are frames where a 2D track split, re-identifications count 2D tracks
// continued after missed frames, births and deaths the tracks that start after the first or
// end before the last frame with a 2D track. The result does not depend on the number of
// threads.
#pragma once

#include "geometry/association/detections.h"
#include "geometry/core/camera.h"
#include "geometry/estimators/two_view.h"

namespace epilabel {

struct UncalibratedAssociationOptions {
  // Joints with a weight below this are ignored.
  double min_confidence = 0.2;
  // Fewest common joints for a 2D distance between a track and a detection.
  int min_common_joints = 4;
  // 2D tracking: a detection continues a track when the median distance of their common
  // joints (pixels) to the track's prediction is below gate_px + gate_growth_px per missed frame.
  double gate_px = 60.0;
  double gate_growth_px = 10.0;
  // A second candidate with a distance below max(ambiguity_ratio x best, best +
  // ambiguity_margin_px) makes the assignment ambiguous: the track ends there.
  double ambiguity_ratio = 2.0;
  double ambiguity_margin_px = 10.0;
  // A 2D track ends after this many frames without a detection.
  int max_gap_frames = 5;
  // Weight of the previous velocity in the constant-velocity model's update, in [0, 1).
  double velocity_smoothing = 0.5;
  // 2D tracks shorter than this (frames with a detection) are not grouped (unmatched).
  int min_track_frames = 10;
  // Two 2D tracks of different cameras are compared when they share this many co-visible
  // joints; at most max_correspondences of them (evenly spread) enter the estimates.
  int min_correspondences = 40;
  int max_correspondences = 300;
  // Essential matrix estimation of each candidate track pair: TwoViewOptions without the
  // adaptive threshold and with at most 300 iterations (a wrong pairing has few inliers and
  // would use every iteration, twice).
  TwoViewOptions two_view{8.0, 0.0, 40.0, 0.9999, 300, 0};
  // Most proposals (pairs whose essential matrix is estimated) per camera pair; pairs propose
  // in the order of their linear (8-point) residual, so right pairings usually come first.
  int max_proposals = 16;
  // A correspondence is an inlier of an essential matrix when its Sampson distance (pixels
  // at the mean focal length of the two cameras) is below the camera pair's threshold: at
  // least this (the threshold for a well-behaved detector).
  double inlier_threshold_px = 8.0;
  // The threshold adapts to each camera pair's measured noise: the first noise_scale_proposals
  // candidate pairs of 2D tracks (in the order of their linear residual) each estimate their own
  // essential matrix; the noise scale is the smallest robust sigma (1.4826 x the median Sampson
  // distance, pixels) of a pair's correspondences under its own matrix (a right pairing fits
  // one matrix best), and the threshold is noise_threshold_sigmas of it, within
  // [inlier_threshold_px, max_inlier_threshold_px]. The proposals and the grown matrix are then
  // estimated and scored with that threshold. 0 proposals: the fixed inlier_threshold_px.
  // 2 sigmas hold about 95 % of Gaussian residuals, and keep 3 px Gaussian noise at the floor;
  // a few proposals are needed because a proposer on a near-degenerate camera pair (opposite
  // cameras) can misfit its own matrix (3 measured one 6.6 px on 3 px noise).
  int noise_scale_proposals = 6;
  double noise_threshold_sigmas = 2.0;
  double max_inlier_threshold_px = 32.0;
  // Two 2D tracks can be one person when their inlier share under the camera pair's essential
  // matrix is at least this fraction of the share of the track pair that proposed it (which
  // adapts the test to the detector's noise); groups merge while their mean is at least this.
  double min_inlier_ratio = 0.7;
  // Rounds of re-estimating a camera pair's essential matrix from the correspondences of every
  // fitting pair of 2D tracks (then scoring every pair again), while more pairs fit; 0: the
  // best single pair's matrix is kept.
  int refinement_rounds = 3;
  // Rounds of the global choice over camera triples: per camera pair, each proposal's decision
  // (which 2D-track pairs fit) is an alternative; a camera pair switches to the alternative
  // (grown as above) whose fitting pairs close the most cycles s-u-t with the other camera
  // pairs' decisions (a 2D track t of a third camera fits both s and u), weighted by their
  // correspondences, when that beats its chosen decision. A pairing with a barely moving person
  // (its epipole on that person: every partner fits) can gather one camera pair's most inliers
  // but closes no cycle. Stops early when no camera pair switches; 0: each camera pair keeps its
  // most-inliers decision. Needs three cameras.
  int cycle_rounds = 3;
  // Groups seen by fewer cameras are not returned.
  int min_cameras = 2;
  // Check(): throws std::invalid_argument on nonsense values.
  void Check() const;
};

// The intermediate results of AssociateWithoutCalibration, for diagnostics and tests.
struct UncalibratedAssociationDetails {
  // Every 2D track (step 1): its camera and its detections in increasing frames.
  struct Tracklet2d {
    camera_t camera = kInvalidCameraId;
    std::vector<std::pair<frame_t, detection_t>> items;
  };
  std::vector<Tracklet2d> tracklets;
  // Every compared pair of 2D tracks (indices into tracklets) and its score (step 2).
  struct PairScore {
    int first = -1, second = -1;
    double ratio = 0.0;
  };
  std::vector<PairScore> pair_scores;
  // Every camera pair with candidate pairs of 2D tracks: its measured noise scale (pixels, NaN
  // when not measured) and the inlier threshold used (pixels).
  struct CameraPairThreshold {
    camera_t first = kInvalidCameraId, second = kInvalidCameraId;
    double noise_px = 0.0, threshold_px = 0.0;
    // Whether the cycle check (cycle_rounds) replaced the camera pair's most-inliers decision.
    bool chosen_by_cycles = false;
  };
  std::vector<CameraPairThreshold> thresholds;
  // Per 2D track, the index of the returned track it went into, or -1.
  std::vector<int> track_of;
};

// Tracks of people from the detections of cameras with known intrinsics (extrinsics are not
// used). `intrinsics_only` must have one camera per detection camera with positive focal
// lengths; throws std::invalid_argument otherwise. Tracks have no `points`.
AssociationResult AssociateWithoutCalibration(const Rig& intrinsics_only, const MultiDetections& detections,
                                              const UncalibratedAssociationOptions& options,
                                              UncalibratedAssociationDetails* details = nullptr);

// Step 1 alone, which needs no cameras: every camera's 2D tracks with at least
// options.min_track_frames detections, camera after camera, within a camera in the order they
// started (e.g. for time offsets before people can be associated across cameras). Does not
// depend on the number of threads.
std::vector<UncalibratedAssociationDetails::Tracklet2d> TrackPeopleInEachCamera(
    const MultiDetections& detections, const UncalibratedAssociationOptions& options);

}  // namespace epilabel
