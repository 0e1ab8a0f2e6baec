// Metric scale and world frame of a self-calibrated reconstruction.
//
// Scale: from the person's standing height (leg length ankle-knee-hip plus torso length
// mid-hip to mid-shoulder is a known share of standing height, 0.779 H after Drillis &
// Contini 1966), or from a known distance between two camera centres.
// Floor: a robust plane (RANSAC then least squares) through the lowest foot joint of each
// frame, lowered by the height of those joints above the ground; when the feet do not spread
// enough to define a plane (a person who barely walks), "up" is the mean body axis instead.
// World frame: z up, origin on the floor under the centre of the motion, x towards the first
// camera's centre projected on the floor. Units: metres.
#pragma once

#include <optional>
#include <string>
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

struct BaselineScale {
  camera_t camera_a = kInvalidCameraId, camera_b = kInvalidCameraId;
  double metres = 0.0;
};

struct WorldFrameOptions {
  double subject_height_m = 1.70;        // standing height used for the scale
  double subject_height_sigma_m = 0.09;  // its uncertainty (population spread when not measured)
  double height_model_sigma_rel = 0.02;  // spread of the chain/height ratio between people
  HeightModel height_model;
  // Fallback when the legs or torso are never seen (upper-body recordings): arm chains
  // shoulder-elbow-wrist spanning arm_model.ratio of the height (0.186 + 0.146 H, Drillis &
  // Contini), with a larger model uncertainty.
  HeightModel arm_model;
  double arm_model_sigma_rel = 0.05;
  std::optional<BaselineScale> baseline;   // overrides the height when given
  std::vector<joint_t> foot_joints;        // joints that touch the ground
  double foot_height_m = 0.08;             // height of those joints above the floor when standing
  std::vector<joint_t> root_joints;        // mid-hip (origin, body axis)
  std::vector<joint_t> shoulder_joints;    // top of the torso (body axis)
  std::vector<joint_t> head_joints;        // face and head: body axis without hips
  double floor_inlier_m = 0.04;            // RANSAC inlier distance (metres, after scaling)
  double min_floor_spread_m = 0.5;         // feet must spread this far in two directions
  uint64_t seed = 0;
  void Check() const;
};

struct WorldFrameResult {
  bool success = false;
  std::string failure_reason;
  Sim3d world_from_reconstruction;
  double scale = 1.0;              // metres per reconstruction unit
  double scale_sigma_rel = 0.0;    // relative uncertainty of the scale
  std::string scale_method;        // "subject height" or "camera baseline"
  double chain_length = 0.0;       // measured leg + torso length, reconstruction units
  bool floor_from_feet = false;    // false: up from the body axis
  int floor_inliers = 0;
  double floor_rms_m = 0.0;
  double feet_spread_m = 0.0;      // smaller principal extent of the foot points
  std::vector<std::string> notes;
};

// Leg + torso length of the height model measured on points (medians over frames), in the
// points' units; NaN when the legs or the torso were never triangulated. The standing height
// is this divided by model.ratio.
double MeasureHeightChain(const Points3d& points, const HeightModel& model);

// Estimates the metric world frame from the triangulated joints (reconstruction units).
WorldFrameResult EstimateWorldFrame(const Rig& rig, const Points3d& points, const WorldFrameOptions& options);

// Applies a similarity to a rig (cameras keep their intrinsics) and to points.
Rig TransformRig(const Rig& rig, const Sim3d& b_from_a);
Points3d TransformPoints(const Points3d& points, const Sim3d& b_from_a);

}  // namespace epilabel
