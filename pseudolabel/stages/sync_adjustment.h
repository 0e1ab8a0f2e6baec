// Stage step of `calibrate --sync`: the time offsets refined jointly with the cameras in one
// bundle adjustment (geometry/optim, BundleAdjustmentOptions::refine_time_offsets), instead of
// the 1-D search per camera of RefineOffsetsWithCalibration.
//
//  1. every track resampled onto the reference timeline at the start offsets and triangulated
//     with the calibrated rig (robust), on up to max_frames evenly spaced reference frames;
//  2. each triangulated joint observed by every camera through a window of that camera's own
//     2-D track (temporal outliers removed, smoothed in time by smoothing_frames: raw noise
//     interpolated half-way between frames has half the variance and would pull the offsets
//     toward half frames) around the frame the start offset points to;
//  3. one bundle adjustment of the camera poses (intrinsics held), the joints and the offsets
//     (reference frames; the reference camera's held at 0, a weak prior around the start);
//  4. a camera with fewer than min_observations inlier observations, or whose offset moved by
//     more than max_change_frames (beyond its windows), keeps its start with a note; every other
//     camera's offset gets its standard error (CameraOffset::standard_error_frames) from the
//     adjustment (BundleAdjustmentOptions::time_offset_block_frames: the points eliminated, the
//     poses and offsets together, the gradient's spread over blocks of frames).
// The cameras of the adjustment are returned too; `calibrate --sync` calibrates again on the
// tracks resampled at the new offsets.
#pragma once

#include <string>

#include "geometry/core/camera.h"
#include "geometry/optim/bundle_adjustment.h"
#include "geometry/sync/time_offsets.h"

namespace epilabel {

struct SyncAdjustmentOptions {
  int max_frames = 1500;            // reference frames used (evenly spaced over the tracks)
  double smoothing_frames = 1.5;    // std. dev. of the Gaussian smoothing of the 2-D tracks, frames (0: none)
  double outlier_rel = 0.08;        // temporal outliers (WithoutTemporalOutliers), relative to the person's size
  double min_confidence = 0.2;      // keypoints below this confidence are not used
  double prior_frames = 2.0;        // prior sigma of each offset around its start, frames
  double max_change_frames = 1.9;   // a larger move than this keeps the start (the windows end near 2)
  int min_observations = 30;        // per camera
  double loss_scale_px = 3.0;       // Huber scale of the adjustment
  double block_frames = 9.0;        // the standard errors' blocks of reference frames (as the
                                    // search's: six times its 1.5-frame smoothing)
  // Throws std::invalid_argument for values out of range.
  void Check() const;
};

struct SyncAdjustmentResult {
  SyncResult sync;                  // method "calibrated"; per camera cost_px = its RMS, signals =
                                    // observations, standard_error_frames (infinity: not determined)
  Rig rig;                          // the adjusted cameras (the start's world frame: reference pose and scale held)
  BundleAdjustmentSummary ba;
  int num_points = 0;               // joints in the adjustment
};

// `rig`: the keypoint cameras, calibrated (input.num_cameras() of them); `start`: offsets of every
// camera (SyncResult::OffsetsSeconds, the reference's 0). Cameras without an estimate in `start`
// are refined too. A failed adjustment returns `start` with sync.reason set and success as start's.
SyncAdjustmentResult AdjustOffsetsWithCalibration(const Rig& rig, const SyncInput& input, const SyncResult& start,
                                                  const SyncAdjustmentOptions& options = {});

}  // namespace epilabel
