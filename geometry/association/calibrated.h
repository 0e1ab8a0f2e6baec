// Association of several people with a calibrated rig: per frame, detections of different
// cameras are matched on epipolar geometry and triangulated; over time, the 3D people are
// tracked with a constant-velocity model.
//
// Steps (see AssociateWithCalibration):
//  0. per chunk of 512 frames, per camera pair: the epipolar threshold from the distances of
//     mutually nearest detections in a sample of the frames (epipolar_scale_factor);
//  1. per frame, in parallel over frames: undistorted normalised joints of every detection;
//     pairwise affinities between detections of different cameras from the
//     confidence-weighted, truncated symmetric epipolar distance over their common joints
//     (pixels at each camera's mean focal length; truncation at the pair's threshold keeps a
//     few bad joints from deciding); greedy average-linkage clustering with at most one detection per camera per
//     group (cycle-consistent by construction); robust triangulation of each group
//     (EstimateTriangulation per joint); a detection whose median reprojection error onto its
//     group's pose is above its camera's release threshold (release_threshold_px, raised to
//     release_tail_factor x the 99th percentile of that camera's errors over the chunk) is
//     released;
//  2. sequentially over frames: the frame's groups are assigned to tracks (Hungarian) on the
//     mean joint distance to each track's constant-velocity prediction, within a gate; a new
//     group starts a tentative track, confirmed after birth_frames consecutive frames (its
//     earlier frames are kept); a confirmed track dies after max_gap_frames without a group
//     and is re-identified when a group fits it again before; a left-over group whose every
//     detection reprojects onto exactly one track seen in this frame joins it (the
//     clustering had split the person); detections left single (seen alone, or released)
//     join the track whose pose (or prediction) they reproject onto within a threshold, when
//     exactly one track explains them.
// The result does not depend on the number of threads.
#pragma once

#include "geometry/association/detections.h"
#include "geometry/core/camera.h"
#include "geometry/estimators/triangulation.h"

namespace epilabel {

struct CalibratedAssociationOptions {
  // Joints with a weight below this are ignored.
  double min_confidence = 0.2;
  // Fewest joints two detections must share for an affinity (else the pair is unknown).
  int min_common_joints = 4;
  // Epipolar distances are truncated at this (pixels); affinity = 1 - weighted mean truncated
  // distance / epipolar_threshold_px, in [0, 1], and 0 when below min_affinity.
  double epipolar_threshold_px = 30.0;
  // The epipolar threshold adapts to the rig, per camera pair and chunk of 512 frames:
  // min(epipolar_threshold_max_px, max(epipolar_threshold_px, epipolar_scale_factor x the median
  // mean epipolar distance of the pair's mutually nearest detections in up to 64 of its frames)),
  // so a camera whose calibration (or detector) is less exact than the others' still joins its
  // people, and the other pairs keep their threshold; 0 = fixed at epipolar_threshold_px. (On
  // Pose2Sim's balancing trial with its Qualisys calibration, cam_03's pairs measure 14-22 px
  // where the others measure 8-11 px: with the fixed threshold none of its detections joined.)
  double epipolar_scale_factor = 4.0;
  double epipolar_threshold_max_px = 120.0;
  // Clusters of detections merge while their mean affinity is at least this.
  double min_affinity = 0.5;
  // Per-joint robust triangulation of each group.
  RobustTriangulationOptions triangulation;
  // A detection whose median joint reprojection error (pixels) onto its group's or track's
  // pose is above this is released (left unmatched), not averaged in.
  double release_threshold_px = 20.0;
  // The release threshold adapts to the detector's error, per camera and chunk of 512 frames:
  // max(release_threshold_px, release_tail_factor x the 99th percentile of that camera's grouped
  // detections' median reprojection errors; every camera's when it has fewer than 100), so a
  // heavier-tailed detector or a less exact camera keeps its true detections (this threshold
  // also applies where single detections join tracks); 0 = fixed.
  double release_tail_factor = 3.0;
  // Tracking: a group continues a track when the mean distance between their common joints
  // is below gate_m (metres) + gate_growth_m for every frame the track was missed.
  double gate_m = 0.4;
  double gate_growth_m = 0.05;
  // A new track is confirmed after this many consecutive frames with a group.
  int birth_frames = 3;
  // A confirmed track dies after this many frames without a group.
  int max_gap_frames = 15;
  // A single detection joins a track that was not seen in this frame when its median joint
  // reprojection error onto the track's predicted pose is below this (pixels).
  double prediction_threshold_px = 30.0;
  // Weight of the previous velocity in the constant-velocity model's update, in [0, 1).
  double velocity_smoothing = 0.5;
  // Check(): throws std::invalid_argument on nonsense values.
  void Check() const;
};

// Associates every detection with people. Cameras need intrinsics and extrinsics and must
// match the detections' cameras; throws std::invalid_argument otherwise. Tracks carry the
// triangulated joints of their groups in `points`.
AssociationResult AssociateWithCalibration(const Rig& rig, const MultiDetections& detections,
                                           const CalibratedAssociationOptions& options);

// A camera that disagrees with the calibration more than the others do.
struct OutlyingCamera {
  camera_t camera = kInvalidCameraId;
  double own_px = 0.0;     // median over its pairs of AssociationSummary::pair_epipolar_px
  double others_px = 0.0;  // median over the pairs without it
};
// The cameras (three or more with known pairs) whose pairs' median epipolar distance is more
// than `ratio` times the median of the pairs without them: their calibration (or detections)
// may be off. Empty when pair_epipolar_px is empty.
std::vector<OutlyingCamera> OutlyingCameras(const std::vector<double>& pair_epipolar_px, int num_cameras,
                                            double ratio = 2.0);

}  // namespace epilabel
