// Self-calibration of a camera rig from the 2D joints of the people it sees: no board, no
// 3D ground truth. The reconstruction is up to a similarity (see world_frame.h for metric
// scale and the floor).
//
//  1. two-view geometry for every camera pair from joint correspondences pooled over time
//     (essential matrix, or fundamental matrices and a focal-length search when intrinsics are
//     unknown);
//  2. view graph (Boost.Graph): connectivity check, strongest initial pair;
//  3. incremental registration: triangulate, resect the camera with the most 2D-3D matches
//     (PnP RANSAC, or DLT with unknown focal), re-triangulate, bundle-adjust, repeat;
//  4. final bundle adjustment with bone-length constancy and outlier removal;
//  5. unknown intrinsics: the focal lengths' uncertainty from jackknifes of that adjustment;
//     given intrinsics: how far the people pull each given focal length, freed alone.
// The steps live in pair_geometry.h (1), initial_pair.h (2, the initial pair), camera_registration.h
// (3) and self_calibration_steps.h (frames, triangulate-and-adjust); bundle_adjustment.h (4);
// focal_uncertainty.h (5).
#pragma once

#include <string>
#include <vector>

#include "geometry/core/camera.h"
#include "geometry/core/observations.h"
#include "foundation/progress.h"
#include "geometry/estimators/resection.h"
#include "geometry/estimators/two_view.h"
#include "geometry/optim/bundle_adjustment.h"
#include "geometry/sfm/view_bias.h"

namespace epilabel {

struct SelfCalibrationOptions {
  double min_confidence = 0.3;           // joints below are not used as correspondences
  int max_correspondences_per_pair = 4000;  // sampled for spread in time and image space
  int min_pair_inliers = 40;             // an edge of the view graph needs this many inliers
  double min_inlier_ratio = 0.3;         // ... and this share of its correspondences
  double min_initial_angle_deg = 2.0;    // parallax needed by the initial pair
  TwoViewOptions two_view;               // essential / fundamental estimation
  ResectionOptions resection;            // registration of further cameras
  int min_resection_inliers = 30;
  int max_resection_threshold_doublings = 2;  // noisy detections: retry registration with 2x, 4x
  double triangulation_threshold_px = 12.0;
  int max_ba_frames = 600;               // frames (evenly spread) in the bundle adjustment
  int max_registration_frames = 150;     // frames in the quick adjustments while registering
  BundleAdjustmentOptions ba;            // final bundle adjustment
  // Weights of the final adjustment measured from its residuals (BundleAdjustmentOptions::
  // reweight_groups): 0 none (confidence only); 1 one weight per joint type; 2 one per camera and
  // joint type. Detectors place some joints less consistently across views than others (the
  // wrists and knees noisier than the nose, face joints moved with the head's yaw), and a joint
  // type's residual scale after the adjustment measures it.
  int joint_weighting = 0;
  // Weights of track segments in the final adjustment (BundleAdjustmentOptions::reweight_segments):
  // each camera's view of every block of this many consecutive adjustment frames is one segment,
  // down-weighted when its residual scale is above its camera's. A detector's errors persist over
  // a stretch of frames (time-correlated, a face turned to profile, an occlusion), so a bad
  // stretch of one camera is not averaged away by its neighbouring frames. 0: off.
  int segment_frames = 0;
  // Segments per camera and joint type (each against the scale of its camera's joint type)
  // instead of per camera: a face turned to profile shifts the face joints of the cameras it
  // turns from, not the rest of the body.
  bool segments_per_joint = false;
  // Passes of the final adjustment (its first stage). Each pass triangulates the joints again
  // with the rig the previous one left, so it also chooses again which views are outliers: with
  // one pass the views are those the robust triangulation kept with the rig before the final
  // adjustment, and a rig that was degrees off there can keep the views that agree with it
  // (bench/altscene opp4 high seed 3: 3.32 deg with one pass, 0.38 with two, 0.32 with three).
  // Each pass costs about one more final adjustment. N >= 1: exactly N passes. 0 (adaptive):
  // after each pass the joints are triangulated with the rig it left, and another pass runs
  // while the pass moved some camera by more than final_pass_sigmas of that camera's own
  // uncertainty (the rotation or centre standard deviation from the pass's covariance) AND the
  // new triangulation keeps views that differ from the pass's by more than final_pass_view_change
  // (a share of the views kept); at most max_final_passes. The summary says how many ran and why
  // they stopped.
  int final_passes = 0;
  int max_final_passes = 3;
  double final_pass_sigmas = 1.0;
  double final_pass_view_change = 0.01;
  // View-dependent detector bias (view_bias.h): after the final adjustment (each pass), this
  // many rounds of fitting the bias model to its residuals, correcting the pixels and adjusting
  // again. A detector that places a joint differently from each side (the hip inside the
  // silhouette it sees, face joints turned with the head) shows every camera a different 3D
  // point; the model takes per joint a 3D offset in the body frame as a truncated Fourier series
  // of the viewing azimuth. Needs view_bias.torso_joints (the pipeline sets them from the
  // skeleton) and three registered cameras or more. Only the joints whose offsets pass the
  // significance gate (view_bias.gate_p) are corrected; when none does, the adjustment is left
  // as it is. Each round costs about one more final adjustment. 0: off.
  int view_bias_rounds = 0;
  ViewBiasOptions view_bias;
  // Focal search range relative to the larger image side, for unknown intrinsics.
  double focal_min_rel = 0.3, focal_max_rel = 5.0;
  double focal_prior_sigma_rel = 0.5;    // weak prior of the BA focal around the search result
  bool estimate_k2 = true;               // unknown intrinsics: also estimate k2 (k1 always)
  // Unknown intrinsics: a prior k / sigma on the estimated k1 and k2 pulling them toward 0, so
  // that distortion stays physical where the people do not reach the image's border (ordinary
  // lenses have |k1|, |k2| well below 0.5; the H36M-like studio lenses k1 ~ -0.2, k2 ~ 0.25). 0: none.
  double distortion_prior_sigma = 0.5;
  double unknown_intrinsics_threshold_factor = 2.5;
  // Unknown intrinsics: the uncertainty of the focal lengths from two jackknifes of the final
  // adjustment (focal_uncertainty.h): leaving out one of this many contiguous frame blocks
  // (each at least min_focal_block_frames long; fewer blocks when the frames are few, none below
  // two) and one of this many joint groups at a time, on the frames of the quick adjustments
  // (max_registration_frames of the BA frames, evenly spread). It includes errors correlated in time and
  // joint-specific detector biases, which the adjustment's covariance does not. 0: not run.
  int focal_jackknife_blocks = 4;
  int focal_jackknife_joint_groups = 4;
  int min_focal_block_frames = 20;
  // Given intrinsics, three or more registered cameras: measure, one camera at a time, how far
  // the people pull each given focal length when it alone is freed, with the focal jackknife's
  // frame blocks and joint groups for its uncertainty (given_focal_check.h). The verdict names a
  // camera whose pull is significant (WeakestCameraOptions, calibration_verdict.h). Costs
  // 1 + blocks + groups short adjustments per camera on the quick frames.
  bool check_given_focal = true;
  // Unknown intrinsics, a rig of identical cameras: every estimated camera with the same image
  // size shares one focal length (the median of the focal search, then the initial pair's, then
  // tied in the bundle adjustments). Off by default.
  bool shared_focal = false;
  // Unknown intrinsics: the principal point starts at the image centre and is refined with a
  // prior of this share of the larger image side (0 keeps it at the centre). Off: on the studio
  // with H36M-like principal points (offsets ~1.3 % of the image) a prior of 0.005 or 0.02 made
  // the rotations worse (0.62 -> 0.71 / 0.93 deg on h36m4; `calibration_accuracy --pp-prior`).
  double principal_point_prior_rel = 0.0;
  // Several people pooled into the observations (e.g. the tracks of several people or takes,
  // PoolTracks): the person id of every frame; empty, or one id throughout: one person. The focal
  // search of the initial pair (unknown intrinsics) measures each bone's constancy within each
  // person's frames (BoneLengthSpread in initial_pair.h), so that people of different statures do
  // not count as bones that change length. Else not sized to the observations: throws.
  std::vector<int> frame_person;
  std::vector<Bone> bones;               // limbs: the focal search (unknown intrinsics) and, when
                                         // bone_constancy_in_ba, a bone-length term in the final BA
  // The bone-length term in the final BA. Off by default: on the synthetic studio it did not
  // improve the cameras with known intrinsics and biased the focal lengths when they were
  // estimated (detector biases are not consistent in 3D), while making the BA several times
  // slower (see bench/calibration_accuracy and the README).
  bool bone_constancy_in_ba = false;
  double bone_sigma_rel = 0.1;           // its tolerance, relative to each bone's length
  std::vector<SymmetricPair> symmetric_pairs;  // left/right swap repair while triangulating
  // Threads of the bundle adjustments (Ceres). The parallel loops of our own code give the same
  // result for any thread count; Ceres with two threads or more does not (see
  // BundleAdjustmentOptions::num_threads): the cameras differ by rounding, about 1e-13 relative.
  int num_threads = 1;
  uint64_t seed = 0;
  ProgressCallback progress;
  void Check() const;
};

struct PairReport {
  camera_t a = kInvalidCameraId, b = kInvalidCameraId;
  int correspondences = 0;
  int inliers = 0;
  double median_angle_deg = 0.0;
  double quality = 0.0;
  bool edge = false;     // became an edge of the view graph
  std::string reason;    // why not, when it did not
};

// One pass of the final adjustment (SelfCalibrationOptions::final_passes), measured after it.
struct FinalPassReport {
  // The views (camera, frame, joint) that triangulating with the rig this pass left chose
  // differently from the views this pass adjusted, as a share of the latter (ViewChange in
  // self_calibration_steps.h); NaN when not triangulated (the last fixed pass).
  double view_change = kNaN;
  double rotation_change_deg = kNaN;     // the largest rotation of a camera during the pass
  // The largest change of a camera during the pass over that camera's standard deviation from
  // the pass's covariance (rotation, and centre); NaN without a covariance.
  double rotation_change_sigmas = kNaN;
  double center_change_sigmas = kNaN;
  int observations = 0;                  // inliers at the end of the pass
  double sigma0_px = kNaN;
  Rig rig;  // the cameras after the pass (the self-calibration's frame; benches compare each pass)
};

struct SelfCalibrationSummary {
  bool success = false;
  std::string failure_reason;
  bool focal_estimated = false;              // some camera had no intrinsics
  std::vector<uint8_t> intrinsics_given;     // per camera: 1 when its intrinsics were given (held)
  std::vector<double> focal_initial;        // focal search result per camera (unknown intrinsics)
  // The initial pair's bone-length focal search (initial_pair.h), px per camera: the pair's two
  // cameras when it ran and succeeded, NaN for every other camera (or when it did not run).
  std::vector<double> focal_bone_search;
  std::vector<int> focal_groups;            // shared_focal: per camera its group (-1: own focal)
  // Unknown intrinsics, the jackknifes of the focal lengths (focal_uncertainty.h): replicates
  // run, and per camera the standard deviations (px; NaN when not estimated or not run).
  int focal_jackknife_blocks = 0, focal_jackknife_joint_groups = 0;
  std::vector<double> focal_frames_sigma_px;  // leaving out frame blocks
  std::vector<double> focal_joints_sigma_px;  // leaving out joint groups
  std::vector<double> focal_jackknife_sigma_px;  // the two in quadrature
  // Given intrinsics (check_given_focal): per camera how far the people pull its given focal
  // length, f_free / f_given - 1, and its uncertainty (relative; the larger of the covariance's
  // and the jackknife's sigma, NaN: not measured); given_focal_check.h.
  int given_focal_blocks = 0, given_focal_joint_groups = 0;
  std::vector<double> given_focal_pull_rel;
  std::vector<double> given_focal_sigma_rel;
  std::vector<PairReport> pairs;
  camera_t initial_a = kInvalidCameraId, initial_b = kInvalidCameraId;
  std::vector<camera_t> registration_order;  // cameras in the order they joined
  std::vector<bool> registered;              // per camera
  std::vector<std::string> camera_notes;     // per camera: why it failed, or empty
  int num_frames_used = 0;                   // frames in the bundle adjustment
  int num_points = 0;                        // 3D joints in the bundle adjustment
  // view_bias_rounds > 0: per joint the RMS of the fitted view-dependent offset, projected
  // (pixels; the last fit of the final adjustment; 0 for the joints the gate dropped); empty
  // when not fitted.
  std::vector<double> view_bias_joint_rms_px;
  BundleAdjustmentSummary ba;
  std::vector<FinalPassReport> final_passes;  // one per pass of the final adjustment's first stage
  std::string final_passes_stop;             // why no further pass ran
  std::vector<std::pair<std::string, double>> timings_s;  // wall time of each stage, seconds
  std::string BriefReport() const;
};

struct SelfCalibrationResult {
  Rig rig;  // extrinsics (and focal lengths) estimated; world = the initial camera's frame,
            // scale = the initial pair's baseline is 1
  SelfCalibrationSummary summary;
};

// `rig` gives names, image sizes and intrinsics (fx = fy = 0 means unknown: the focal lengths
// are estimated with the principal point at the image centre and no distortion).
// `observations` is [camera][frame][joint] in pixels. Never throws for degenerate data: the
// summary says what failed.
SelfCalibrationResult SelfCalibrate(const Rig& rig, const Observations2d& observations,
                                    const SelfCalibrationOptions& options);

}  // namespace epilabel
