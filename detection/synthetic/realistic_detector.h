// A realistic simulated 2D detector for the synthetic studio (`synth --detector realistic`):
// the errors a real keypoint detector makes, as measured on OpenPose BODY_25B detections of a
// real four-camera capture (docs/synth.md, "Realistic detector"), rather than independent
// Gaussian noise (simulated_detector.h).
//
// For every camera c, frame f and COCO-17 joint j, with s = (person's image height) / 400 px
// (PersonHeightPx) and the true joint visible (VisibleProjector, as the Gaussian detector):
//  1. systematic 3D offsets in the body frame, then projected (so their image effect depends on
//     the view): hips moved along the trunk axis (mid-hip -> mid-shoulder) by hip_raise_m and
//     outward along the hip line by hip_outward_m, shoulders outward along the shoulder line by
//     shoulder_outward_m; metres for a person of reference_height_m, scaled with the height;
//  2. face joints moved in the image along the direction the face points to (the image
//     direction of the head's forward axis, ears -> nose) by
//     {nose,eye,ear}_profile_shift_px * s * |sin(head yaw)|, head yaw = angle between the head's
//     horizontal forward axis and the horizontal direction to the camera (0 facing the camera);
//     negative = toward the back of the head;
//  3. random error: per axis, an AR(1) process over the frames of each (camera, joint),
//     e_f = rho e_{f-1} + sqrt(1 - rho^2) eta_f, rho = exp(-1 / (fps correlation_time_s)), eta
//     a Student-t with student_dof degrees of freedom scaled to unit variance; the pixel error is
//     noise_px * s * joint_noise_scale[j] * g * e, g = 1 + far_side_noise_gain * p for a joint on
//     the far side of the body from the camera, p = |sin(body yaw)| (1 in profile), else 1;
//  4. confidence: joint_confidence[j] * exp(-0.5 (|error| / (confidence_error_scale * sigma_j))^2)
//     * (1 - profile_confidence_drop * p) * (far side: 1 - far_side_confidence_drop * p)
//     + confidence_noise * N(0, 1), clamped to [0.05, 0.99]; sigma_j the joint's noise scale;
//  5. missing (missing_mask): a visible joint is dropped with probability missing_rate;
//  6. outliers (outlier_mask): a present joint is moved by 15-50% of the person's image height
//     in a random direction with probability outlier_rate, confidence uniform in [0.2, 0.9];
//  7. wrong limb (outlier_mask too): an elbow, wrist, knee or ankle is placed, with probability
//     wrong_limb_rate, where the same joint of the other side was detected (both then lie on one
//     limb), confidence times wrong_limb_confidence_factor;
//  8. left/right confusions (swap_mask): each left/right pair with both joints present is
//     swapped with probability swap_rate_frontal + (swap_rate_profile - swap_rate_frontal) p^2.
// Body yaw: the angle between the person's horizontal facing direction (from the left-right
// axes of shoulders and hips) and the horizontal direction from the mid-hip to the camera.
// Random numbers: one stream per (camera, frame), drawn in a fixed order whatever the options;
// the AR(1) recursion runs over the frames of each camera in order, so results do not depend
// on the thread count.
// Several people (SimulateRealisticGroupDetector): every person p has its own error state (AR(1)
// per camera and joint, its own streams: person 0 the single-person ones, so adding people
// leaves person 0's errors as they were wherever nobody hides it), and the occlusion between
// people of the Gaussian group detector (simulated_detector.h, FindHiddenJoints): a hidden
// joint is dropped with probability occlusion_drop_rate, else detected with an extra error of
// occlusion_noise_factor times the joint's sigma_j (step 3, before the confidence of step 4
// is computed) and its confidence times occlusion_confidence_factor (occluded_mask); a person
// absent from a frame (NaN points) is marked invisible there. Ghost detections and people
// entering or leaving are the studio's (studio.h), for both detector models.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "detection/synthetic/simulated_detector.h"
#include "geometry/core/camera.h"
#include "geometry/core/observations.h"
#include "foundation/progress.h"

namespace epilabel {

struct RealisticDetectorOptions {
  // Spread: per-axis std. dev. (px) of a joint with scale 1 for a person reference_height_px
  // tall. Measured: 3.0 px residual after triangulating 3 views (x sqrt(2) for the 3 of 6
  // degrees of freedom the triangulation absorbs), 3-7 px on the held-out camera.
  double noise_px = 4.2;
  double reference_height_px = 400.0;
  // Per-joint multipliers of noise_px (COCO-17 order), from the measured per-joint spreads.
  std::array<double, 17> joint_noise_scale = {0.35, 0.4, 0.4, 0.5, 0.5, 0.9, 0.9, 1.2, 1.2,
                                              1.0,  1.0, 1.3, 1.3, 1.1, 1.1, 0.7, 0.7};
  double student_dof = 4.0;             // tail of the innovations (> 2; large = Gaussian)
  double correlation_time_s = 0.15;     // AR(1) time constant (fitted: residual lag-1 correlation 0.68 at 60 fps)
  double fps = 30.0;                    // frame rate of the sequence (sets rho)
  // Per-camera frame rates (frames per second, one per camera of the rig), for cameras that do
  // not share one rate: camera c's rho is then exp(-1 / (camera_fps[c] correlation_time_s)),
  // the error state still stepping once per frame of that camera. Empty: `fps` for every camera.
  std::vector<double> camera_fps;
  // Systematic 3D offsets (metres for a person reference_height_m tall; scaled with height).
  double reference_height_m = 1.72;
  double hip_raise_m = -0.01;           // hips along the trunk axis (> 0 toward the shoulders)
  double hip_outward_m = 0.028;         // each hip outward along the hip line
  double shoulder_outward_m = -0.01;    // each shoulder outward along the shoulder line (< 0: inward)
  // Face joints in profile (px at reference_height_px; < 0 toward the back of the head).
  double nose_profile_shift_px = 0.0;
  double eye_profile_shift_px = -4.0;
  double ear_profile_shift_px = -8.0;
  // Self-occlusion in profile: joints on the far side of the body from the camera.
  double far_side_noise_gain = 0.5;       // noise x (1 + gain p)
  double far_side_confidence_drop = 0.2;  // confidence x (1 - drop p)
  double profile_confidence_drop = 0.05;  // every joint: confidence x (1 - drop p)
  // Confidence: base per joint (COCO-17 order), error scale, additive noise.
  std::array<double, 17> joint_confidence = {0.85, 0.85, 0.85, 0.75, 0.75, 0.75, 0.75, 0.72, 0.72,
                                             0.7,  0.7,  0.68, 0.68, 0.72, 0.72, 0.72, 0.72};
  double confidence_error_scale = 4.0;  // in units of the joint's sigma
  double confidence_noise = 0.12;       // std. dev. of the additive confidence noise
  // Gross errors.
  double missing_rate = 0.02;           // share of visible joints dropped
  double outlier_rate = 0.005;          // share of present joints replaced by a gross error
  double wrong_limb_rate = 0.005;       // share of present limb joints put on the other limb
  double wrong_limb_confidence_factor = 0.8;
  double swap_rate_frontal = 0.003;     // left/right pair swaps facing or back to the camera
  double swap_rate_profile = 0.05;      // ... in a profile view
  uint64_t seed = 1;
  ProgressCallback progress;

  // Throws InputError naming the option for non-finite values, negative spreads or scales,
  // rates outside [0, 1], student_dof <= 2, correlation_time_s < 0, fps <= 0 or a camera_fps
  // entry <= 0.
  void Check() const;
  // The AR(1) coefficient per frame: exp(-1 / (fps correlation_time_s)), 0 for time 0.
  double Rho() const;
  // The same for camera `camera`: its camera_fps entry when given, else Rho(). Throws
  // std::invalid_argument when camera_fps is given and has no entry for `camera`.
  double CameraRho(int camera) const;
};

// The detector's components by name, to switch off one at a time (an ablation: which of the
// detector's errors limits what is measured from its detections, bench/people_accuracy
// --realistic-off): "offsets" (step 1: hip_raise_m, hip_outward_m, shoulder_outward_m = 0),
// "face" (step 2: the three *_profile_shift_px = 0), "noise" (step 3: noise_px = 0, no random
// error at all), "correlation" (step 3: correlation_time_s = 0, white noise), "tails" (step 3:
// student_dof = 100, nearly Gaussian innovations), "far_side" (step 3: far_side_noise_gain = 0),
// "confidence" (step 4: the joint's base confidence only: confidence_noise, both drops = 0 and
// confidence_error_scale 1e9), "gross" (steps 6-8: outlier_rate, wrong_limb_rate and both swap
// rates = 0). Everything else is kept.
const std::vector<std::string>& RealisticComponentNames();
// `options` with the component `name` switched off. Throws InputError naming "realistic-off"
// (and the known names) for an unknown name.
RealisticDetectorOptions WithoutComponent(RealisticDetectorOptions options, const std::string& name);

// Runs the detector on true COCO-17 points ([frames, 17], world metres, all finite) of one
// person of `subject_height` metres. Masks as SimulateDetector's (wrong-limb joints are in
// outlier_mask; occluded_mask is empty).
SimulatedDetection SimulateRealisticDetector(const Rig& rig, const Points3d& truth, double subject_height,
                                             const RealisticDetectorOptions& options);
// The same with what each camera sees (camera_truth[c], all over the same frames): cameras that
// are not synchronised see the person at shifted times (the error state of each camera still
// runs over its own frames, at its own rate: options.CameraRho). Equal pointers give the one above.
SimulatedDetection SimulateRealisticDetector(const Rig& rig, const std::vector<const Points3d*>& camera_truth,
                                             double subject_height, const RealisticDetectorOptions& options);

// Runs the detector on several people over the same frames: `people[p]` [frames, 17] world
// metres, NaN rows where person p is absent; heights[p] their standing heights (m). One result
// per person (with occluded_mask); `occlusion` supplies the occlusion_* options only (its noise
// and rates are the Gaussian model's and are not used). Person 0 gets exactly what
// SimulateRealisticDetector gives when nobody hides it.
std::vector<SimulatedDetection> SimulateRealisticGroupDetector(const Rig& rig, const std::vector<Points3d>& people,
                                                               const std::vector<double>& heights,
                                                               const RealisticDetectorOptions& options,
                                                               const SimulatedDetectorOptions& occlusion);
// The same with what each camera sees: camera_people[c][p] is person p as camera c sees it
// ([frames, 17], the same frames and people in every camera; NaN rows where absent), e.g. at
// that camera's shifted times when the cameras are not synchronised. Occlusion is judged among
// the people as that camera sees them; each camera's error state runs at its own rate
// (options.CameraRho). Equal pointers in every camera give the one above.
std::vector<SimulatedDetection> SimulateRealisticGroupDetector(
    const Rig& rig, const std::vector<std::vector<const Points3d*>>& camera_people, const std::vector<double>& heights,
    const RealisticDetectorOptions& options, const SimulatedDetectorOptions& occlusion);

}  // namespace epilabel
