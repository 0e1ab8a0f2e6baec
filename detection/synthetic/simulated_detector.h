// The simulated 2D detector of the synthetic studio: projects the true COCO-17 joints into
// every camera (OpenCV model, with distortion) and corrupts them the way real detectors do.
//
// For every camera c and frame f, with s = (person's image height in px) / 400 where the
// image height is MeanFocal * subject_height / depth of the mid-hip:
//  - invisible: a joint behind the camera, outside the lens's field of view or outside the
//    image is written as (0, 0, 0) (invisible_mask);
//  - noise: pixel += noise_px * s * m_j * e, e a 2D standard normal (per-axis std. dev. 1),
//    or for elbows and wrists a bivariate Student-t with 4 degrees of freedom scaled to unit
//    variance (heavier tail); m_j = 0.8 for the face, 1.0 for shoulders, hips, knees and
//    ankles, 1.3 for elbows, 1.5 for wrists; the result is clamped into the image;
//  - hips: shifted by hip_offset_px * s toward the shoulders (in the image), as detectors
//    place hips higher than mocap hip-joint centres;
//  - confidence: base_j * exp(-0.5 (err / (2.5 noise_px s))^2) + N(0, 0.04), clamped to
//    [0.05, 0.99], where err is the random error in px and base_j is 0.92 (face) to 0.8 (wrists);
//  - missing (missing_mask): a visible joint is dropped with probability missing_rate;
//  - outliers (outlier_mask): a visible, not dropped joint is moved with probability
//    outlier_rate by 15-50% of the person's image height in a random direction (kept inside
//    the image), with a confidence drawn uniformly from [0.2, 0.9];
//  - swaps (swap_mask): each left/right pair of COCO-17 whose two joints are both present is
//    swapped with probability swap_rate (both joints take each other's detection).
// Several people (SimulateGroupDetector): each person is detected as above with its own stream
// per (camera, frame) (person 0 with the single-person one), and
//  - occlusion (occluded_mask): a visible, not dropped joint hidden behind another person (the
//    segment from the camera centre to the joint passes through one of that person's body
//    capsules, nearer to the camera than the joint; see MakeBodyCapsules) is dropped with
//    probability occlusion_drop_rate, else detected with an extra error of
//    occlusion_noise_factor times the joint's noise and its confidence times
//    occlusion_confidence_factor (outliers and swaps still apply);
//  - a person absent from a frame (NaN points) is not detected: its joints are marked invisible.
// Random numbers come from one stream per (camera, frame), drawn in a fixed order whatever the
// options, so results are the same for any thread count, and changing one rate leaves the
// other corruptions of a seed in place.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include <Eigen/Core>

#include "geometry/core/camera.h"
#include "geometry/core/observations.h"
#include "foundation/progress.h"

namespace epilabel {

struct SimulatedDetectorOptions {
  double noise_px = 3.0;              // per-axis std. dev. of a limb joint for a ~400 px tall person
  double reference_height_px = 400.0; // the person height at which noise_px applies
  double outlier_rate = 0.02;         // share of present (visible, not missing) joints made outliers
  double swap_rate = 0.01;            // share of eligible (camera, frame, left/right pair) swapped
  double missing_rate = 0.02;         // share of visible joints dropped
  double hip_offset_px = -1.0;        // systematic hip shift for a ~400 px person; < 0: 1.5 * noise_px
  // Occlusion by other people (SimulateGroupDetector only).
  double occlusion_drop_rate = 0.5;         // share of occluded joints the detector drops
  double occlusion_noise_factor = 3.0;      // extra error of the others, in units of the joint's noise
  double occlusion_confidence_factor = 0.6; // confidence multiplier of the others
  uint64_t seed = 1;
  ProgressCallback progress;

  // Throws InputError naming the option for negative or non-finite noise, rates outside [0, 1]
  // (occlusion factors negative or non-finite).
  void Check() const;
  double EffectiveHipOffsetPx() const { return hip_offset_px < 0.0 ? 1.5 * noise_px : hip_offset_px; }
};

// Counts over all cameras, frames and joints.
struct DetectorStatistics {
  int64_t points = 0;               // cameras * frames * joints
  int64_t visible = 0;              // in front of the camera and inside the image
  int64_t missing = 0;              // visible but dropped
  int64_t outliers = 0;             // present and replaced by a gross error
  int64_t swap_eligible_pairs = 0;  // (camera, frame, pair) with both joints present
  int64_t swapped_pairs = 0;
  int64_t occluded = 0;             // visible, not missing, hidden behind another person

  int64_t invisible() const { return points - visible; }
  int64_t present() const { return visible - missing; }
  double missing_rate() const { return visible > 0 ? static_cast<double>(missing) / visible : 0.0; }
  double outlier_rate() const { return present() > 0 ? static_cast<double>(outliers) / present() : 0.0; }
  double swap_rate() const {
    return swap_eligible_pairs > 0 ? static_cast<double>(swapped_pairs) / swap_eligible_pairs : 0.0;
  }
};

struct SimulatedDetection {
  Observations2d observations;  // [cameras, frames, 17] (x px, y px, confidence)
  // [cameras, frames, 17], index (c * frames + f) * 17 + j; see the header comment.
  std::vector<uint8_t> outlier_mask, swap_mask, missing_mask, invisible_mask;
  std::vector<uint8_t> occluded_mask;  // same layout; empty from SimulateDetector (one person)
  DetectorStatistics statistics;       // SimulateGroupDetector: points = frames present x cameras x 17
};

// Runs the detector on true COCO-17 points ([frames, 17], world metres, all finite).
SimulatedDetection SimulateDetector(const Rig& rig, const Points3d& truth, double subject_height,
                                    const SimulatedDetectorOptions& options);
// The same with what each camera sees (camera_truth[c], all over the same frames): cameras that
// are not synchronised see the person at shifted times. Equal pointers give SimulateDetector.
SimulatedDetection SimulateDetector(const Rig& rig, const std::vector<const Points3d*>& camera_truth,
                                    double subject_height, const SimulatedDetectorOptions& options);

// Runs the detector on several people over the same frames: `people[p]` [frames, 17] world
// metres, NaN rows where person p is absent; heights[p] their standing heights (m). One result
// per person, with occlusion by the others (see the header comment). Person 0 gets exactly
// what SimulateDetector gives when nobody hides it.
std::vector<SimulatedDetection> SimulateGroupDetector(const Rig& rig, const std::vector<Points3d>& people,
                                                      const std::vector<double>& heights,
                                                      const SimulatedDetectorOptions& options);
// The same with what each camera sees: camera_people[c][p] is person p as camera c sees it
// (cameras that are not synchronised see the people at shifted times); every list has one
// entry per height. Person p's `present` frame count comes from camera 0.
std::vector<SimulatedDetection> SimulateGroupDetector(const Rig& rig,
                                                      const std::vector<std::vector<const Points3d*>>& camera_people,
                                                      const std::vector<double>& heights,
                                                      const SimulatedDetectorOptions& options);

// Parts shared with the realistic detector (realistic_detector.h):
// a detection of num_cameras x num_frames x 17 joints with every mask cleared (the occlusion mask
// only when with_occlusion, as for a group of people), to be filled view by view;
SimulatedDetection EmptySimulatedDetection(int num_cameras, int num_frames, bool with_occlusion);
// p (pixels) clamped into the camera's image, [0, width - 1] x [0, height - 1].
Eigen::Vector2d ClampToImage(const Camera& camera, const Eigen::Vector2d& p);

// A person's volume for occlusion: 13 capsules (segment a-b, radius in metres): head (a ball
// about the ears' midpoint, 0.11), neck, torso centre line (0.13) and sides (0.07), upper arms
// (0.05), forearms (0.04), thighs (0.08), shins (0.055); radii for a 1.75 m person, scaled with
// `height`. `joints` = the 17 COCO joints of one frame.
struct BodyCapsule {
  Eigen::Vector3d a = Eigen::Vector3d::Zero(), b = Eigen::Vector3d::Zero();
  double radius = 0.0;
};
using BodyCapsules = std::array<BodyCapsule, 13>;
BodyCapsules MakeBodyCapsules(const Eigen::Vector3d* joints, double height);

// True when the segment from `camera_center` to `point` (world) passes within a capsule's
// radius of its axis, at a closest point more than that radius nearer to the camera than `point`.
bool IsOccludedBy(const Eigen::Vector3d& camera_center, const Eigen::Vector3d& point, const BodyCapsules& body);

// Occlusion between people in one view (both group detectors): hidden[j] is true when joint j
// of `person` (joints[person], 17 COCO joints) is hidden from `camera_center` behind another
// present person (IsOccludedBy on bodies[q], q in `present`, q != person).
void FindHiddenJoints(const Eigen::Vector3d& camera_center, const Eigen::Vector3d* joints, int person,
                      const std::vector<int>& present, const std::vector<BodyCapsules>& bodies, bool hidden[17]);

// Projection with a visibility test: nullopt when the point is behind the camera, outside the
// lens's field of view (beyond the undistorted image border, where the distortion polynomial
// is no longer meaningful) or when its pixel lies outside the image.
class VisibleProjector {
 public:
  explicit VisibleProjector(const Camera& camera);
  std::optional<Eigen::Vector2d> Project(const Eigen::Vector3d& point_in_world) const;

 private:
  Camera camera_;
  Eigen::Vector2d normalized_min_, normalized_max_;  // field of view in normalised coordinates
};

// The person's apparent height in px in `camera`: MeanFocal * subject_height / depth of the
// mid-hip (depth clamped to at least 0.1 m). `joints` holds the 17 COCO joints of one frame.
double PersonHeightPx(const Camera& camera, const Eigen::Vector3d* joints, double subject_height);

// Noise multiplier m_j and whether the error of joint j (COCO-17) has a heavy tail.
double JointNoiseScale(int coco_joint);
bool JointHasHeavyTail(int coco_joint);

}  // namespace epilabel
