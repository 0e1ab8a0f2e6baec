// Metric scale and world frame of a self-calibrated reconstruction.
//
// Scale: from the person's standing height or from a known distance between two camera
// centres. The standing height is modelled, in order of preference, as
//  1. a stack of measured segments (when the head joints, e.g. the ears, are seen): ground to
//     ankle (a constant) + shin + thigh (median bone lengths) + hip to head (an upper quantile
//     of the per-frame mid-hip to mid-head distance: the upright posture) + head joints to
//     the top of the head (a constant). Only the two constants come from population averages;
//     a detector's systematic hip placement cancels (what the thigh gains the trunk loses).
//     When the head joints are never seen with the hips (a skeleton or recording without ears)
//     but a crown joint is (BODY_25B's head_top), the stack ends there instead.
//  2. leg length ankle-knee-hip plus torso length mid-hip to mid-shoulder as a fixed share of
//     the standing height (0.779 H after Drillis & Contini 1966, +-2 % between people).
//  3. the arms (upper-body recordings), 0.332 H, +-5 %.
// Floor: a robust plane (RANSAC over foot triples, see geometry/estimators/ransac.h, then least
// squares on the inliers) through the lowest foot joint of each frame, lowered by the height of
// those joints above the ground; when the feet do not spread enough to define a plane (a person
// who barely walks), "up" is the mean body axis instead.
// World frame: z up, origin on the floor under the centre of the motion, x towards the first
// camera's centre projected on the floor. Units: metres.
#pragma once

#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "geometry/core/camera.h"
#include "geometry/core/observations.h"
#include "geometry/core/rigid3.h"

namespace epilabel {

// Leg chains (averaged) plus the torso (between the means of two joint groups) span `ratio`
// of the standing height.
struct HeightModel {
  std::vector<std::vector<joint_t>> legs;  // e.g. {ankle, knee, hip} per side
  std::vector<joint_t> torso_bottom;       // e.g. both hips (empty: no torso term)
  std::vector<joint_t> torso_top;          // e.g. both shoulders
  double ratio = 0.0;
};

// Standing height as a stack of measured segments (see the file comment):
//   H = ankle_height_m + legs + upright quantile of |mean(head) - mean(hips)| + head_top_m,
// or, when the head joints are never seen with the hips (fewer than 10 frames),
//   H = ankle_height_m + legs + upright quantile of |mean(crown) - mean(hips)| + crown_top_m.
// With `soles`, ankle_height_m is replaced by sole_height_m + the ankle's measured height above
// the sole (segments "sole" and "ankle above sole").
struct StatureModel {
  std::vector<std::vector<joint_t>> legs;  // {ankle, knee, hip} per side; averaged
  std::vector<joint_t> hips;               // bottom of the trunk (mean), the legs' top joints
  std::vector<joint_t> head;               // e.g. both ears (empty: only the crown, if any)
  double ankle_height_m = 0.08;            // ground to the legs' first joint, standing
  double head_top_m = 0.13;                // head joints to the top of the head (ears: ~13 cm)
  // A joint on the top of the head (empty: none). BODY_25B's head_top: with the Qualisys
  // calibration of the Pose2Sim balancing trial, hips to head_top 0.795 m against hips to ears
  // 0.659 m + head_top_m 0.13 m, so the crown joint is the top of the head within a centimetre.
  std::vector<joint_t> crown;
  double crown_top_m = 0.0;                // crown joints to the top of the head, metres
  // Feet (empty: none): for each chain of `legs`, in the same order, two joints on its foot that
  // lie near the ground when the foot is flat (BlazePose's heel and toe tip). When they are seen
  // (10 frames or more), the ankle height is measured instead of taken as ankle_height_m: the
  // median distance of the ankle from the line through the two (the sole; the foot is rigid, so
  // this holds in any posture), plus sole_height_m, those joints' height above the ground.
  std::vector<std::vector<joint_t>> soles;
  double sole_height_m = 0.03;
  double upright_quantile = 0.5;           // quantile of the per-frame hip-head distance (0.5: median)
  double sigma_rel = 0.01;                 // spread of the two constants between adults, share of H
  // Plausibility notes (StatureNotes), nothing changes the measurement. Shin / thigh (the
  // legs' first / second bone): joint centres 1.00 (Winter, after Drillis & Contini), the CMU
  // mocap skeleton 1.01-1.05, OpenPose BODY_25B on the Pose2Sim trials 0.95-1.04, MoveNet
  // Thunder on the balancing trial 0.87 (knees low, ankles high).
  double min_shin_thigh_ratio = 0.9;
  double max_shin_thigh_ratio = 1.15;
};

// One part of a measured stature: a measured length (reconstruction units, NaN for a constant
// part) or a constant (metres).
struct StatureSegment {
  std::string name;         // "ankle height", "shin", "thigh", "hips to head", "head top", ...
  double length = kNaN;     // reconstruction units; NaN: a constant part
  double constant_m = 0.0;  // metres, for a constant part
  // Consistency of a measured part (NaN for a constant part): the spread of its per-frame values,
  // (q75 - q25) / median (for the leg bones the mean over the chains), and for the leg bones the
  // disagreement of the chains' medians, |left - right| / mean (NaN with one chain).
  double spread_rel = kNaN;
  double asymmetry_rel = kNaN;
  // Metres at a scale s (metres per unit).
  double Metres(double s) const { return std::isfinite(length) ? s * length : constant_m; }
};

// A measured body length and how it maps to the standing height H (metres) at a scale s
// (metres per unit): H = constant_m + s * length / ratio.
struct StatureMeasurement {
  double length = kNaN;      // reconstruction units; NaN when not measurable
  double constant_m = 0.0;   // metres
  double ratio = 1.0;
  double sigma_rel = 0.0;    // model uncertainty, share of H
  std::string method;        // "segment stack", "leg + torso ratio", "arm ratio"
  // The parts of the segment stack, bottom to top (empty for the ratio models): their metres at
  // a scale s sum to H when ratio is 1.
  std::vector<StatureSegment> segments;
  // Posture of the legs while measured: median over frames and legs of 180 deg minus the angle
  // at the chains' middle joint (the knee; 0: straight); NaN without three-joint chains. Only
  // reported: the synthetic studio's clips bend the knees as much (41-43 deg) as the Pose2Sim
  // balancing trial (34-38 deg), so it does not tell a detector's bent-knee bias apart.
  double knee_flexion_deg = kNaN;
  bool ok() const { return std::isfinite(length) && length > 0; }
  // Metres per unit that make the body `height_m` tall; NaN when not measurable.
  double ScaleFor(double height_m) const { return ok() ? (height_m - constant_m) * ratio / length : kNaN; }
};

struct BaselineScale {
  camera_t camera_a = kInvalidCameraId, camera_b = kInvalidCameraId;
  double metres = 0.0;
};

struct WorldFrameOptions {
  double subject_height_m = 1.70;        // standing height used for the scale
  double subject_height_sigma_m = 0.09;  // its uncertainty (population spread when not measured)
  double height_model_sigma_rel = 0.02;  // spread of the chain/height ratio between people
  StatureModel stature_model;             // preferred when its head joints are seen
  HeightModel height_model;                // else leg + torso
  // Fallback when the legs or torso are never seen (upper-body recordings): arm chains
  // shoulder-elbow-wrist spanning arm_model.ratio of the height (0.186 + 0.146 H, Drillis &
  // Contini), with a larger model uncertainty.
  HeightModel arm_model;
  double arm_model_sigma_rel = 0.05;
  // Several people pooled into `points`: the person id (>= 0, e.g. a track id) of every frame,
  // and the stated height of some of them in metres (the others: subject_height_m +/-
  // subject_height_sigma_m; given: +/- given_height_sigma_m). Empty, or one id: one person. Every
  // person's stature is measured on their own frames and the scale is the inverse-variance mean
  // of the people's scales, so the population prior's error shrinks with the number of people.
  std::vector<int> frame_person;
  std::map<int, double> person_heights_m;
  double given_height_sigma_m = 0.01;
  // When some heights are given: a person on the population prior whose scale lies more than this
  // many combined standard deviations from the given people's is left out (a track that mixes
  // people measures no stature: Pose2Sim balancing, a bystander's track measured 3.08 m tall
  // against the subject's 1.69 m, 7.9 sigmas, moved the scale by 2 %).
  double prior_outlier_sigmas = 3.0;
  std::optional<BaselineScale> baseline;   // overrides the height when given
  std::vector<joint_t> foot_joints;        // joints that touch the ground
  double foot_height_m = 0.08;             // height of those joints above the floor when standing
  std::vector<joint_t> root_joints;        // mid-hip (origin, body axis)
  std::vector<joint_t> shoulder_joints;    // top of the torso (body axis)
  std::vector<joint_t> head_joints;        // face and head: body axis without hips
  double floor_inlier_m = 0.04;            // RANSAC inlier distance (metres, after scaling)
  // Foot triples drawn by the floor RANSAC (a fixed number: no adaptive stopping). The plane
  // needs at least a fifth of the feet as inliers; at that ratio 500 triples miss an all-inlier
  // triple with probability (1 - 0.2^3)^500 = 2 %, at half the feet on the floor 1e-29, and
  // they cost 500 x (number of frames) point-plane distances.
  int floor_iterations = 500;
  double min_floor_spread_m = 0.5;         // feet must spread this far in two directions
  uint64_t seed = 0;
  void Check() const;
};

// One part of a measured stature in metres at the chosen scale, with its consistency (see
// StatureSegment).
struct StaturePart {
  std::string name;
  double metres = kNaN;
  double spread_rel = kNaN;
  double asymmetry_rel = kNaN;
};

// One person's stature when several people give the scale.
struct PersonStature {
  int person = 0;                  // the id of WorldFrameOptions::frame_person
  int frames = 0;                  // frames of this person in the points
  std::string method;              // the measurement's model ("segment stack", ...)
  double stated_height_m = kNaN;   // the height assumed (given, or the population mean)
  bool height_given = false;
  double scale = kNaN;             // metres per unit this person alone implies
  double scale_sigma_rel = kNaN;
  bool used = false;               // counted in the combined scale (see prior_outlier_sigmas)
  double measured_height_m = kNaN; // this person's height at the combined scale
  // The parts of this person's segment stack (empty for the ratio models), metres at the
  // combined scale, bottom to top: they sum to measured_height_m.
  std::vector<StaturePart> stature_segments_m;
  double knee_flexion_deg = kNaN;  // posture of the legs while measured (StatureMeasurement)
};

struct WorldFrameResult {
  bool success = false;
  std::string failure_reason;
  Sim3d world_from_reconstruction;
  double scale = 1.0;              // metres per reconstruction unit
  double scale_sigma_rel = 0.0;    // relative uncertainty of the scale
  std::string scale_method;        // "subject height (<model>)" or "camera baseline"
  double chain_length = 0.0;       // the measured length behind the scale, reconstruction units
  double measured_height_m = kNaN; // that measurement at the chosen scale, metres (= subject height
                                   // unless the scale came from a baseline)
  double stated_height_m = kNaN;   // one person: the height the options state (given or the default)
  // The parts of that measurement (segment stack only), metres at the chosen scale, bottom to top,
  // and the legs' posture while measured.
  std::vector<StaturePart> stature_segments_m;
  double knee_flexion_deg = kNaN;
  bool floor_from_feet = false;    // false: up from the body axis
  int floor_inliers = 0;
  double floor_rms_m = 0.0;
  double feet_spread_m = 0.0;      // smaller principal extent of the foot points
  std::vector<PersonStature> people;  // several people: each one's stature (see frame_person)
  std::vector<std::string> notes;
};

// Leg + torso length of the height model measured on points (medians over frames), in the
// points' units; NaN when the legs or the torso were never triangulated. The standing height
// is this divided by model.ratio.
double MeasureHeightChain(const Points3d& points, const HeightModel& model);

// The segment stack measured on points; length NaN when the legs, hips and head (or crown) were
// never triangulated together.
StatureMeasurement MeasureStature(const Points3d& points, const StatureModel& model);

// Notes on a segment stack that looks implausible for an adult (empty when none): shins and
// thighs out of the model's proportion, i.e. a detector's knee or ankle placement (a high ankle
// keypoint makes the scale too large, since the ankle height is a constant).
std::vector<std::string> StatureNotes(const StatureMeasurement& m, const StatureModel& model);

// The best available measurement of the options' models, in the order stack, leg + torso,
// arms; length NaN when none is measurable.
StatureMeasurement MeasureSubjectHeight(const Points3d& points, const WorldFrameOptions& options);

// Estimates the metric world frame from the triangulated joints (reconstruction units):
// PlaceWorldFrame with the scale of EstimateScale on the same points.
WorldFrameResult EstimateWorldFrame(const Rig& rig, const Points3d& points, const WorldFrameOptions& options);

// The metric scale alone (metres per unit of `rig` and `points`): from the baseline, from several
// people's statures (options.frame_person) or from the subject's; the scale, its method and
// uncertainty, the measured height(s) and stature segments are set, the frame and floor are not.
// success: the scale was found (else failure_reason says why).
WorldFrameResult EstimateScale(const Rig& rig, const Points3d& points, const WorldFrameOptions& options);

// The floor and the world frame of `points` at the scale of `scaled` (an EstimateScale result,
// possibly measured on other points of the same reconstruction): `scaled` with the frame, floor
// and success filled in; unsuccessful `scaled` is returned as it is.
WorldFrameResult PlaceWorldFrame(const Rig& rig, const Points3d& points, const WorldFrameOptions& options,
                                 const WorldFrameResult& scaled);

// Applies a similarity to a rig (cameras keep their intrinsics) and to points.
Rig TransformRig(const Rig& rig, const Sim3d& b_from_a);
Points3d TransformPoints(const Points3d& points, const Sim3d& b_from_a);

}  // namespace epilabel
