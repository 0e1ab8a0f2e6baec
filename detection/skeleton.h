// Skeleton definitions: joint names, limbs, left/right pairs and the mapping to COCO-17.
//
// The definitions are data (data/skeletons.toml, embedded at build time). Geometry never sees
// a skeleton name; it receives the index lists (bones, symmetric pairs) from here.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "geometry/core/types.h"

namespace epilabel {

struct Skeleton {
  std::string name;                      // "coco17", "h36m17", ...
  std::vector<std::string> joint_names;  // in detector order
  std::vector<Bone> bones;               // limbs (parent, child)
  std::vector<SymmetricPair> symmetric;  // left/right pairs
  std::vector<joint_t> to_coco17;        // 17 entries: joint standing for each COCO joint, or -1
  std::vector<joint_t> root;             // joints whose mean is the root (mid-hip)
  std::vector<joint_t> feet;             // joints that touch the floor
  double foot_height = 0.08;             // height of the feet joints above the ground, metres
  std::vector<joint_t> shoulders;        // top of the torso
  std::vector<std::vector<joint_t>> height_legs;   // ankle-knee-hip chains
  std::vector<std::vector<joint_t>> height_torso;  // {bottom joints, top joints} of the torso
  double height_ratio = 0.779;           // share of standing height spanned by leg + torso
  std::vector<joint_t> height_head;      // head joints (ears) of the segment-stack stature model
  double height_ankle = 0.08;            // ground to the ankle joint when standing, metres
  double height_head_top = 0.13;         // head joints to the top of the head, metres
  // Per height_legs chain, two foot joints near the ground (heel, toe tip): the stature model then
  // measures the ankle's height above them and adds foot_height instead of height_ankle.
  std::vector<std::vector<joint_t>> height_soles;
  std::vector<joint_t> height_crown;     // a joint on the top of the head (stack without head joints)
  double height_crown_top = 0.0;         // crown joint to the top of the head, metres
  // The joints self-calibration takes as correspondences (empty: all). A skeleton with clusters
  // of points a few centimetres apart (BlazePose's five points per eye and mouth, three per
  // hand) lists one per body part: the cluster adds no baseline, only errors that move together
  // and weigh that part several times.
  std::vector<joint_t> calibration_joints;
  std::vector<std::vector<joint_t>> height_arms;   // shoulder-elbow-wrist chains (fallback)
  double height_arm_ratio = 0.332;       // share of standing height spanned by an arm

  int num_joints() const { return static_cast<int>(joint_names.size()); }
  // Index of a joint by name, or kInvalidJointId.
  joint_t JointIndex(const std::string& joint_name) const;
  // For every joint, the index of its mirror image (itself for centre joints).
  std::vector<joint_t> FlipPermutation() const;
  // Root position (mean of the root joints) of one pose; NaN when any root joint is NaN.
  Eigen::Vector3d Root(const Eigen::Vector3d* joints) const;
};

// Names of all defined skeletons, in a stable order.
std::vector<std::string> SkeletonNames();
// The skeleton of that name; throws InputError listing the known names otherwise.
const Skeleton& GetSkeleton(const std::string& name);
// Skeletons with that many joints.
std::vector<std::string> SkeletonsWithJointCount(int num_joints);

// Picks a skeleton for keypoints with `num_joints` joints. When several skeletons share the
// count, `sample_pose` (one pose: x, y, confidence per joint; may be empty) is used to tell
// them apart where the layouts differ (e.g. BODY_25 has the neck at index 1, BODY_25B an eye),
// else the project default for that count (coco17 for 17 joints). Returns nullopt when
// nothing matches the count; `reason` then says why.
std::optional<std::string> GuessSkeleton(int num_joints, const std::vector<Eigen::Vector3d>& sample_pose,
                                         std::string* reason = nullptr);

// Converts one pose to COCO-17 order ((0,0,0) for joints the source skeleton lacks).
std::vector<Eigen::Vector3d> ToCoco17(const Skeleton& skeleton, const std::vector<Eigen::Vector3d>& pose);

// The inverse: one COCO-17 pose in `skeleton`'s order, each COCO joint in its place and the joints
// COCO lacks (0,0,0), i.e. missing. Throws std::invalid_argument unless `coco` has 17 joints.
std::vector<Eigen::Vector3d> FromCoco17(const Skeleton& skeleton, const std::vector<Eigen::Vector3d>& coco);

}  // namespace epilabel
