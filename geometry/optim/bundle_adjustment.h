// Bundle adjustment of cameras and 3D joints (the facade; everything Ceres-specific is in
// bundle_adjustment.cc, the rounds; bundle_adjustment_problem.cc, the problem of a round;
// bundle_adjustment_outliers.cc; bundle_adjustment_covariance.cc; and cost_functions/).
//
// Minimises  sum huber(|pi(camera, X_p) - x|^2 * w)          robust, confidence-weighted
//          + sum ((|X_a - X_b| - L_bone) / (sigma_rel * L0_bone))^2   bone-length constancy
//          + focal priors
// over camera poses (angle-axis + translation), optionally focal lengths and k1, the points
// and one length per bone. The gauge is fixed explicitly: `fixed_camera`'s pose is constant
// and the distance between its centre and `scale_camera`'s centre is held by a stiff prior.
// Outlier observations (error above the threshold after a solve) are removed and the problem
// re-solved.
//
// Unsynchronised cameras (refine_time_offsets): one time offset per camera joins the
// parameters (reference frames; the time_reference camera's held at 0) and every observation's
// pixel is its camera's 2-D track linearly interpolated at the offset (a BATrackWindow per
// observation; the model and why the 2-D track is interpolated, not the 3-D point:
// cost_functions/time_offset_reprojection.h). Without it nothing of the windows is used.
#pragma once

#include <array>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "geometry/core/camera.h"
#include "geometry/core/types.h"

namespace epilabel {

struct BAObservation {
  camera_t camera = kInvalidCameraId;
  int point = -1;               // index into BAProblemData::points
  Eigen::Vector2d pixel = Eigen::Vector2d::Zero();  // observed pixel (distorted image)
  double weight = 1.0;          // confidence
  bool inlier = true;           // cleared when removed as an outlier
  int group = -1;               // weighting group (e.g. the joint type; BundleAdjustmentOptions::
                                // reweight_groups), -1: none (weight 1)
  int segment = -1;             // track segment (e.g. one camera's view of a block of consecutive
                                // frames; BundleAdjustmentOptions::reweight_segments), -1: none
};

// Camera c's 2-D track of one joint around an observation of a point at reference frame
// `frame`: samples at the consecutive camera frames first_frame + i (camera c's own timeline,
// rate = fps_c / fps_reference). The observation's pixel is the track at camera frame
// (frame - offset_c) * rate (time_offset_reprojection.h).
constexpr int kBATrackWindowSize = 6;
struct BATrackWindow {
  double frame = 0.0;        // the point's time, reference frames
  double rate = 1.0;         // fps_c / fps_reference
  double first_frame = 0.0;  // camera frame of samples[0]
  std::array<Eigen::Vector3d, kBATrackWindowSize> samples{};  // (x px, y px, weight); weight 0 = missing
};

struct BABoneTerm {
  int point_a = -1, point_b = -1;  // indices into points
  int bone = -1;                   // index into BAProblemData::bone_lengths
};

struct BAProblemData {
  std::vector<Eigen::Vector3d> points;
  std::vector<BAObservation> observations;
  std::vector<BABoneTerm> bone_terms;
  std::vector<double> bone_lengths;  // one per bone; initialised by the caller (median), refined
  // With refine_time_offsets: one window per observation (same order), and the offset of every
  // camera in reference frames (the start, refined; the reference's stays as given, normally 0).
  // BundleAdjust sets each observation's `pixel` to its window at the final offsets.
  std::vector<BATrackWindow> track_windows;
  std::vector<double> time_offsets;
  // Per observation group (index = BAObservation::group): a factor on the weight of its
  // observations. Missing entries count as 1; BundleAdjust sets it when reweight_groups.
  std::vector<double> group_weights;
  // Per track segment (index = BAObservation::segment): a factor (<= 1) on the weight of its
  // observations. Missing entries count as 1; BundleAdjust sets it when reweight_segments.
  std::vector<double> segment_weights;
  // Per segment: the class whose observations give its reference scale (e.g. its camera and
  // joint type). Empty: the camera of the segment's observations.
  std::vector<int> segment_classes;
};

struct BundleAdjustmentOptions {
  double loss_scale_px = 3.0;          // Huber scale of the reprojection residuals, pixels
  double outlier_threshold_px = 10.0;  // observations above this after a solve are removed ...
  double outlier_sigmas = 3.5;         // ... or above this many robust sigmas of the residuals, if more
  int outlier_rounds = 2;              // solve / remove rounds after the first solve
  // A point left with two inlier views whose rays meet at less than this angle (or more than
  // 180 deg minus it: opposite cameras) sits out a round, like a point with one view.
  double min_two_view_angle_deg = 2.0;
  double bone_sigma_rel = 0.03;        // bone-length deviation, relative to the bone's length
  bool refine_focal = false;           // one focal per camera (aspect ratio kept)
  bool refine_k1 = false;              // first radial distortion coefficient per camera
  bool refine_k2 = false;              // second radial distortion coefficient per camera
  bool refine_principal_point = false; // cx, cy per camera (with a prior, see below)
  double principal_point_prior_px = 0.0;  // > 0: prior sigma of (cx, cy) around their start, pixels
  double focal_prior_sigma_rel = 0.0;  // > 0: prior (f - f0) / (sigma * f0) on refined focals
  double distortion_prior_sigma = 0.0; // > 0: prior k / sigma pulling refined k1, k2 toward 0
  // Per camera (empty: none): 1 holds that camera's intrinsics while the others' are refined
  // (intrinsics given for some cameras, estimated for the rest).
  std::vector<uint8_t> fixed_intrinsics;
  // Per camera (empty: none): cameras with the same group id >= 0 share one focal length when
  // refine_focal (a rig of identical cameras), tied with a relative sigma of shared_focal_sigma_rel.
  std::vector<int> focal_groups;
  double shared_focal_sigma_rel = 1e-5;
  bool IntrinsicsHeld(camera_t c) const {
    return c >= 0 && static_cast<size_t>(c) < fixed_intrinsics.size() && fixed_intrinsics[c] != 0;
  }
  // Per-camera time offsets as parameters (see the header comment; needs data.track_windows
  // and data.time_offsets, and no compute_covariance).
  bool refine_time_offsets = false;
  camera_t time_reference = 0;         // the camera whose offset is held
  double time_offset_prior_frames = 0.0;  // > 0: prior sigma of each offset around its start, frames
  // > 0: standard errors of the offsets (BundleAdjustmentSummary::time_offset_sigma_frames), the
  // sandwich H^-1 M H^-1 of the problem with the points eliminated (Schur complement; the poses
  // and offsets together), M the spread of the gradient summed over blocks of this many
  // reference frames (BATrackWindow::frame): neighbouring frames share the body's motion, the
  // smoothing of the tracks and a detector's correlated errors, blocks are taken as independent.
  double time_offset_block_frames = 0.0;
  // Weights measured per observation group (BAObservation::group >= 0): after every solve that
  // an outlier removal follows, each group with at least min_group_observations inlier
  // observations gets the weight (sigma / sigma_g)^2, sigma_g the robust scale of its inlier
  // errors (median error / 1.1774) and sigma that of all inliers, clamped to
  // [1 / max_group_weight, max_group_weight]; an observation's weight is its confidence times its
  // group's. A group whose detections agree less across the views (a joint with larger noise, or
  // a view-dependent detector bias such as face joints turning with the head) then counts less.
  // When the weights changed (by more than 5 %), the next round is solved even if no outlier was
  // removed. Off: every group 1, as without groups.
  bool reweight_groups = false;
  // The group scales from the errors corrected for each observation's leverage on its point
  // (LeverageCorrectedError, bundle_adjustment_weights.h): points with fewer or unequal views
  // keep less of their error in the residuals. Off: the raw errors.
  bool correct_group_leverage = true;
  int min_group_observations = 30;
  double max_group_weight = 25.0;
  // Weights measured per track segment (BAObservation::segment >= 0; all of a segment's
  // observations from one camera): after every solve that an outlier removal follows, each
  // segment with at least min_segment_observations inlier observations gets the weight
  // min(1, (sigma_c / sigma_s)^2), sigma_s the robust scale of its inlier errors and sigma_c that
  // of its class's (BAProblemData::segment_classes; by default its camera's; both leverage-corrected
  // as the group scales, with correct_group_leverage).
  // A detector's errors that persist over a stretch of frames (time-correlated errors, a face in
  // profile, an occluded or badly lit stretch) then count less there, where the camera's other
  // frames do not share them; segments as good as their camera keep 1. A changed weight forces the
  // next solve as with reweight_groups. Off: every segment 1.
  bool reweight_segments = false;
  int min_segment_observations = 20;
  camera_t fixed_camera = 0;           // gauge: pose held constant
  camera_t scale_camera = 1;           // gauge: centre distance to fixed_camera held
  int max_iterations = 100;
  double function_tolerance = 1e-6;
  // Tolerance of the solves followed by an outlier removal (they only sort outliers out). Off
  // (= function_tolerance) by default: 1e-4 saved a third of the iterations on the studio
  // (h36m4 2.7 -> 2.0 s, 8 px noise 9.9 -> 3.7 s) with rotations within noise of the tight
  // runs over three seeds, but on the caliscope recording it flipped which camera the
  // leave-one-camera-out check names the weakest (`calibration_accuracy --removal-tol`).
  double removal_function_tolerance = 1e-6;
  // Ceres threads. With two or more, Ceres sums the cost, the gradient and the Schur complement
  // in the order its threads finish (no option makes it deterministic), so results differ by
  // rounding from one run to the next (about 1e-13 relative in the cameras); one thread is
  // bit-reproducible.
  int num_threads = 1;
  bool compute_covariance = false;     // per-camera uncertainty (from reprojection terms)
  void Check() const;
};

struct CameraUncertainty {
  double rotation_sigma_deg = kNaN;   // sqrt of the trace of the rotation covariance
  double center_sigma = kNaN;         // camera centre, in the units of the reconstruction
  double focal_sigma_px = kNaN;       // when the focal length is refined
};

struct BundleAdjustmentSummary {
  bool success = false;
  double initial_cost = 0.0, final_cost = 0.0;
  int iterations = 0;
  std::vector<int> round_iterations;  // per solve (first solve, then after each outlier removal)
  int num_observations = 0;       // inliers at the end
  int num_outliers_removed = 0;
  int num_undetermined_points = 0;  // observed points left out of the last solve (one view, or two
                                    // nearly (anti-)parallel rays)
  double outlier_threshold_px = kNaN;  // the threshold of the last outlier removal
  std::vector<double> camera_rms_px;  // per camera over its inlier observations
  std::vector<int> camera_observations;
  std::vector<CameraUncertainty> uncertainty;  // when compute_covariance
  std::vector<double> group_weights;  // reweight_groups: the final weight of every group (1: too few)
  std::vector<double> segment_weights;  // reweight_segments: the final weight of every segment
  // With refine_time_offsets and time_offset_block_frames > 0: per camera, the standard error of
  // its offset (reference frames; 0 for the time reference, NaN for a camera without
  // observations, or when the system is singular or fewer than 3 blocks have observations).
  std::vector<double> time_offset_sigma_frames;
  double sigma0_px = kNaN;        // a-posteriori standard deviation of unit weight
  std::string termination;
  double solve_s = 0.0, covariance_s = 0.0;  // wall time
  double jacobian_s = 0.0, linear_solver_s = 0.0;  // parts of solve_s (Ceres' own timers)
  std::string BriefReport() const;
};

// Adjusts `rig` (extrinsics and, if asked, focal / k1) and `data` in place.
BundleAdjustmentSummary BundleAdjust(Rig* rig, BAProblemData* data, const BundleAdjustmentOptions& options);

}  // namespace epilabel
