// Confidence-weighted temporal smoothing of detected keypoints, per camera and person.
#pragma once

#include "detection/keypoints.h"

namespace epilabel {

// Each joint's track is replaced, frame by frame, by a local polynomial fitted by weighted least
// squares to the same person's joint over a window around that frame (Savitzky-Golay-like
// with Gaussian, confidence-weighted samples): weights = joint score x exp(-dt^2 / (2 sigma^2))
// for |dt| <= reach_sigmas x sigma. Degree 0 is the weighted mean; degree 1 (a line) keeps
// uniform motion exactly whatever the scores and at the ends of a track (the mean lags towards
// the better-scored side); degree 2 also keeps a constant acceleration (less smoothing, least
// attenuation of fast motion: at sigma 0.05 s a 3 Hz swing loses about 3 % of its amplitude
// against 32 % with a line, for the same noise reduction as a line at 0.025 s, which loses 9 %).
struct KeypointSmoothingOptions {
  // Width of the window in seconds on the camera's timestamps (CameraKeypoints::timestamps_s),
  // so that 30 and 60 frame/s videos are smoothed alike. Without timestamps (image folders
  // without a frame rate, single images) nothing is smoothed. 0 = off.
  double sigma_s = 0.05;
  // Width in frames (frame numbers, not positions in the list); when > 0 it is used instead of
  // sigma_s, with or without timestamps.
  double sigma_frames = 0.0;
  int degree = 2;             // 0, 1 or 2
  double reach_sigmas = 2.0;  // samples within this many sigmas of the frame

  bool Enabled() const { return sigma_frames > 0.0 || sigma_s > 0.0; }
  // Throws InputError for invalid values.
  void Check() const;
};

// What SmoothKeypoints did to one camera.
struct KeypointSmoothingSummary {
  bool smoothed = false;    // false: off, or no timestamps for a window in seconds
  double sigma_frames = 0;  // the window's sigma in frames (median frame interval), 0 when not smoothed
};

// Smooths `camera` in place. A person is followed by its track_id; people without one (-1) are
// followed only where a frame holds one of them. Joints with score <= 0 (missing) neither move
// nor contribute; scores are unchanged. Where the samples cannot fix the polynomial (too few, or
// all on one time), a lower degree is fitted.
KeypointSmoothingSummary SmoothKeypoints(const KeypointSmoothingOptions& options, CameraKeypoints* camera);

// The weighted mean (degree 0) over +-2 sigma_frames frames; sigma_frames <= 0 leaves the
// keypoints as they are.
void SmoothKeypoints(double sigma_frames, CameraKeypoints* camera);

}  // namespace epilabel
