// Time offsets between cameras that are not synchronised: the types, the convention and the
// resampling of 2D keypoints onto the reference camera's timeline.
//
// Convention (seconds): camera c's time t shows what the reference camera shows at time
// t + offset[c]; the reference has offset 0. A camera's frame index f is at time f / fps[c]
// (frame 0 of every camera at its time 0). In reference frames: camera c's frame N shows what
// the reference shows at frame N + offset[c] * fps_reference (same frame rates).
//
// Estimation: motion_sync.h (without calibration, from the people's motion) and
// calibrated_sync.h (with a calibration, from reprojection consistency).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "geometry/core/observations.h"

namespace epilabel {

// One person seen by every camera: tracks[k] is [cameras, frames, joints] (weight 0 = not seen),
// frame f of camera c at time f / fps[c]; the same person in every camera (an association).
struct SyncInput {
  std::vector<Observations2d> tracks;
  std::vector<double> fps;  // frames per second of each camera (> 0)
  int reference = 0;        // the camera whose timeline is the reference (offset 0)

  int num_cameras() const { return static_cast<int>(fps.size()); }
  // Throws std::invalid_argument unless every track has fps.size() cameras and the same joints,
  // every fps is positive and finite, and the reference is a camera.
  void Check() const;
};

// The offset of one camera and how sure it is.
struct CameraOffset {
  double offset_s = 0.0;       // seconds (see the convention above)
  double offset_frames = 0.0;  // the same in reference frames (offset_s * reference fps)
  bool estimated = false;      // false: refused (see `note`) or the reference
  double confidence = 0.0;     // [0, 1]: 1 - second peak / peak of the motion evidence,
                               // or of the reprojection cost curve with a calibration
  double peak_correlation = 0.0;  // motion: mean normalised cross-correlation at the peak
  double cost_px = 0.0;        // calibrated: robust RMS reprojection error at the offset, pixels
  int signals = 0;             // joint signals (motion) or points (calibrated) that voted
  double standard_error_frames = 0.0;  // standard error of the epipolar or reprojection
                                       // minimum, reference frames (from the cost's curvature and
                                       // the spread of the points' slopes, frames in blocks): the
                                       // calibrated route, and the uncalibrated route's epipolar
                                       // refinement of a sub-frame offset; infinity when the cost
                                       // is not convex there; 0: not computed
  std::string note;            // why not estimated, or what is doubtful; empty when fine
  std::string choice;          // combined estimates (CombineByStandardErrors): which was taken and why
  bool contradicted = false;   // calibrated: a clear minimum the independent epipolar estimate
                               // contradicts (the start kept with confidence 0; calibrated_sync.h)
};

// Offsets of every camera. `success` is false when the whole input is refused (`reason`
// says why, e.g. the person stands still); single cameras may still be refused
// (CameraOffset::estimated false) when success is true.
struct SyncResult {
  bool success = false;
  std::string reason;
  std::vector<CameraOffset> cameras;  // one per camera, the reference included (offset 0)
  int reference = 0;
  double reference_fps = 0.0;
  std::string method;                 // "motion" or "calibrated"
  double motion = 0.0;                // the reference's motion, body heights per second

  std::vector<double> OffsetsSeconds() const;
  // "ok" when every camera is estimated with confidence >= min_confidence, "uncertain" when
  // some are not, "refused" without success.
  std::string Verdict(double min_confidence = 0.2) const;
  std::string BriefReport() const;
};

// Two estimates of every camera's offset (over the same cameras and reference; e.g. the calibrated
// search and the bundle adjustment) combined camera by camera by their standard errors. An
// estimate is usable when the camera is estimated and its standard_error_frames is finite and
// positive. Both usable and at most `disagreement` combined standard errors apart
// (|d_a - d_b| <= disagreement * sqrt(se_a^2 + se_b^2)): the inverse-variance mean, standard
// error (1/se_a^2 + 1/se_b^2)^-1/2, the larger confidence; further apart (one of them is
// biased, and which is not known): the one with the smaller standard error; one usable: that one;
// none: `fallback`'s camera as it is. Each camera's `choice` says which and why (`a_name`,
// `b_name` name the two); the reference is a's. Throws std::invalid_argument for results with
// different cameras or references, or disagreement <= 0.
SyncResult CombineByStandardErrors(const SyncResult& a, const std::string& a_name, const SyncResult& b,
                                   const std::string& b_name, const SyncResult& fallback, double disagreement);

// The standard deviation of the sum of `values` (e.g. the points' slopes of a cost at its minimum)
// when items close in time are correlated: the items are grouped into blocks (the same `groups`
// entry, e.g. a track, and floor(frames / L), e.g. reference frames) whose sums are treated as
// independent, for block lengths L = 1, 2, 4, ... frames while at least `min_blocks` blocks
// remain, and the largest estimate is returned (the estimate grows with L until the blocks are
// longer than the correlation; blocking as Flyvbjerg and Petersen, 1989). The correlation
// length is thus measured from the data, not assumed; the lengths stop at the first longer than
// every |frame| (each group is then one block each side of frame 0, for any longer length).
// Infinity with fewer than `min_blocks` blocks of one frame. `values`, `groups` and `frames`
// (finite, else invalid_argument) have one entry per item.
double BlockedSumDeviation(const std::vector<double>& values, const std::vector<int>& groups,
                           const std::vector<double>& frames, int min_blocks = 16);

// Camera c's keypoint of `joint` at the fractional frame `frame`, nullopt when either neighbouring
// frame is not observed or the frame is outside [0, frames - 1]; an integer frame needs only
// itself. Position: Catmull-Rom (cubic through the four frames around, exact for quadratic
// motion) when the frames before and after the two neighbours are observed too, else linear
// between the two; weight: linear.
std::optional<Eigen::Vector3d> InterpolateKeypoint(const Observations2d& observations, int camera, double frame,
                                                   int joint);

// The frame of camera c (fractional, its own frame rate) that shows reference time `t_s`.
inline double CameraFrameAt(double t_s, double offset_s, double fps) { return (t_s - offset_s) * fps; }

// Every camera resampled onto the reference timeline: output frame g (of `num_frames`, at
// reference_fps) of camera c is camera c's keypoint at CameraFrameAt(g / reference_fps,
// offsets_s[c], fps[c]), interpolated in time (InterpolateKeypoint); a joint missing in either
// neighbour stays missing (weight 0), as do frames outside a camera's recording. Fractional
// frames are interpolated without the temporal outliers (WithoutTemporalOutliers with
// `outlier_rel`; 0: none removed), whole frames are copied as they are. With every offset 0 and
// every fps equal to reference_fps the result equals the input.
Observations2d ResampleToReference(const Observations2d& observations, const std::vector<double>& offsets_s,
                                   const std::vector<double>& fps, double reference_fps, int num_frames,
                                   double outlier_rel = 0.08);

// The observations with temporal outliers marked missing (weight 0): a keypoint farther than
// `outlier_rel` x the person's image size (the median diagonal of the joints' bounding box in
// that camera) from the per-axis median of itself and its two neighbours on either side (all
// five observed; frames near the ends and next to gaps are kept). A detector's one-frame
// outlier or left/right swap is caught; smooth motion, even fast, stays well inside.
Observations2d WithoutTemporalOutliers(const Observations2d& observations, double outlier_rel);

// Camera `camera`'s keypoints smoothed in time by a Gaussian of `sigma` frames (over +-3 sigma,
// observed neighbours only), as [1 camera, frames, joints] with the weights kept; unobserved
// entries stay zero; sigma <= 0 copies them. Between two raw noisy frames an interpolated
// keypoint has less noise than at a frame (variance factor w^2 + (1-w)^2), which pulls a
// sub-frame cost toward half frames; smoothed neighbours are correlated, so the noise hardly
// depends on where between frames the keypoint is taken.
Observations2d SmoothedInTime(const Observations2d& observations, int camera, double sigma);

}  // namespace epilabel
