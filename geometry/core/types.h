// Typed indices shared by every module.
//
// Cameras, frames and joints are addressed by dense, zero-based indices into the arrays that
// hold them (Observations2d, Points3d, Rig). Negative values are invalid.
#pragma once

#include <cstdint>
#include <limits>

#include <Eigen/Core>

namespace epilabel {

using camera_t = int32_t;  // index of a camera in a Rig
using frame_t = int32_t;   // index of a frame in a sequence (not the frame number on disk)
using joint_t = int32_t;   // index of a joint in a skeleton

constexpr camera_t kInvalidCameraId = -1;
constexpr frame_t kInvalidFrameId = -1;
constexpr joint_t kInvalidJointId = -1;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using Matrix3x4d = Eigen::Matrix<double, 3, 4>;

// A bone (limb) as a pair of joint indices, parent first.
struct Bone {
  joint_t parent = kInvalidJointId;
  joint_t child = kInvalidJointId;
};

// A left/right pair of joints that a detector may swap (e.g. left and right wrist).
struct SymmetricPair {
  joint_t left = kInvalidJointId;
  joint_t right = kInvalidJointId;
};

}  // namespace epilabel
