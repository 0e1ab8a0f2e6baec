// Sequence optimisation of triangulated joints with fixed cameras (Ceres).
//
// Minimises, over all joint positions of a sequence,
//   sum  rho( |pi_c(X_fj) - x_cfj|^2 * conf / sigma_px^2 )          robust reprojection
// + sum  rho_a( |X_(f-1)j - 2 X_fj + X_(f+1)j|^2 / (a dt^2)^2 )      temporal smoothness
// + sum  ( (|X_fa - X_fb| - L_ab) / sigma_bone )^2                   bone-length constancy
// with one unknown length L per bone for the sequence (initialised by the median of the
// per-frame triangulation and shared by all windows through a prior). Gaps of up to
// max_gap_frames frames are filled; longer gaps stay NaN. Long sequences are cut into
// overlapping windows solved in parallel (TBB) and cross-faded; the result does not depend on
// the thread count.
#pragma once

#include <string>
#include <vector>

#include "geometry/core/camera.h"
#include "geometry/core/observations.h"
#include "foundation/progress.h"
#include "geometry/core/types.h"
#include "geometry/estimators/triangulation.h"

namespace epilabel {

struct SequenceSmoothingOptions {
  double fps = 30.0;                 // frame rate of the sequence
  // Expected 2D noise, pixels. 0: per camera from the per-frame triangulation (its median
  // reprojection error over the views used, corrected for the share of the noise that the
  // fit absorbs), since detector noise grows with the person's size in each image.
  double pixel_sigma = 0.0;
  double reprojection_loss_sigmas = 3.0;  // robust (Cauchy) scale of reprojection residuals, in sigmas
  double acceleration_sigma = 15.0;  // expected joint acceleration, m/s^2 (Huber at 2 sigma)
  double bone_sigma_m = 0.01;        // allowed deviation of a bone from its sequence length, metres
  double bone_prior_sigma_m = 0.02;  // prior of a window's bone length around the sequence median
  double min_confidence = 0.2;       // observations below are ignored
  int max_gap_frames = 10;           // gaps up to this length are filled
  // Cuts: where the median joint moves faster than this between two frames (m/s), the
  // recording jumps (an edit, a lost track, another take); no temporal term spans a cut.
  double cut_speed = 8.0;
  int window_frames = 300;           // frames per window
  int window_overlap = 40;           // frames shared by neighbouring windows
  int max_iterations = 30;           // Ceres iterations per window
  int num_threads = 1;               // Ceres threads when the sequence fits one window
  std::vector<Bone> bones;           // limbs whose length is constant
  ProgressCallback progress;
  void Check() const;
};

struct SequenceSmoothingSummary {
  int num_windows = 0;
  int64_t num_points_filled = 0;   // points that had no per-frame triangulation and got one
  int num_cuts = 0;                // frames where the motion jumps (no temporal term across)
  int64_t num_observations = 0;    // reprojection terms
  double initial_cost = 0.0, final_cost = 0.0;  // summed over windows
  int total_iterations = 0;
  std::vector<double> bone_lengths;  // final sequence lengths, metres (NaN when unknown)
  std::string BriefReport() const;
};

struct SequenceSmoothingResult {
  Points3d points;  // world metres, NaN where unknown
  SequenceSmoothingSummary summary;
};

// `initial` is the per-frame triangulation of `observations` (its repaired observations and
// inlier masks are used: observations it rejected as outliers stay out).
SequenceSmoothingResult SmoothSequence(const Rig& rig, const TriangulationResult& initial,
                                       const SequenceSmoothingOptions& options);

// The 2D noise sigma (pixels) of every camera implied by a triangulation's residuals: the
// median error over the views used / 1.177 (median of a 2D Gaussian error's norm), divided by
// sqrt((2n - 3) / 2n) for n the mean number of views per point. `fallback` where unknown.
std::vector<double> PixelSigmasFromTriangulation(const TriangulationResult& triangulation, double fallback);

// cut[f] = 1 when the median displacement of the joints known in frames f - 1 and f exceeds
// max_step (the points' units); cut[0] = 0.
std::vector<uint8_t> FindCuts(const Points3d& points, double max_step);

// Median length of each bone over the frames where both joints are known (NaN if never).
std::vector<double> MedianBoneLengths(const Points3d& points, const std::vector<Bone>& bones);

}  // namespace epilabel
