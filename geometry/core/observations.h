// Dense arrays of 2D observations and 3D points, the plain data every solver works on.
//
// Observations2d holds one person's keypoints as [camera][frame][joint] -> (x, y, weight):
// x, y in pixels of that camera's (distorted) image, weight >= 0 (a detector confidence);
// weight 0 means "not observed" and x, y are then ignored. Points3d holds [frame][joint]
// world points in metres, NaN where a joint is unknown.
#pragma once

#include <cassert>
#include <vector>

#include <Eigen/Core>

#include "geometry/core/types.h"

namespace epilabel {

class Observations2d {
 public:
  Observations2d() = default;
  Observations2d(int num_cameras, int num_frames, int num_joints)
      : num_cameras_(num_cameras),
        num_frames_(num_frames),
        num_joints_(num_joints),
        data_(static_cast<size_t>(num_cameras) * num_frames * num_joints, Eigen::Vector3d::Zero()) {}

  int num_cameras() const { return num_cameras_; }
  int num_frames() const { return num_frames_; }
  int num_joints() const { return num_joints_; }
  bool empty() const { return data_.empty(); }

  Eigen::Vector3d& at(camera_t c, frame_t f, joint_t j) { return data_[Index(c, f, j)]; }
  const Eigen::Vector3d& at(camera_t c, frame_t f, joint_t j) const { return data_[Index(c, f, j)]; }
  // True when (c, f, j) carries a usable observation (positive finite weight, finite x, y).
  bool IsObserved(camera_t c, frame_t f, joint_t j) const {
    const Eigen::Vector3d& o = at(c, f, j);
    return o.z() > 0.0 && o.allFinite();
  }
  // Pointer to the joints of one camera and frame (num_joints() consecutive entries).
  const Eigen::Vector3d* Row(camera_t c, frame_t f) const { return &data_[Index(c, f, 0)]; }
  Eigen::Vector3d* Row(camera_t c, frame_t f) { return &data_[Index(c, f, 0)]; }

  const std::vector<Eigen::Vector3d>& data() const { return data_; }

  // A copy restricted to frames [begin, end).
  Observations2d SliceFrames(frame_t begin, frame_t end) const {
    Observations2d out(num_cameras_, end - begin, num_joints_);
    for (camera_t c = 0; c < num_cameras_; ++c)
      for (frame_t f = begin; f < end; ++f)
        for (joint_t j = 0; j < num_joints_; ++j) out.at(c, f - begin, j) = at(c, f, j);
    return out;
  }

 private:
  size_t Index(camera_t c, frame_t f, joint_t j) const {
    assert(c >= 0 && c < num_cameras_ && f >= 0 && f < num_frames_ && j >= 0 && j < num_joints_);
    return (static_cast<size_t>(c) * num_frames_ + f) * num_joints_ + j;
  }

  int num_cameras_ = 0;
  int num_frames_ = 0;
  int num_joints_ = 0;
  std::vector<Eigen::Vector3d> data_;
};

class Points3d {
 public:
  Points3d() = default;
  Points3d(int num_frames, int num_joints)
      : num_frames_(num_frames),
        num_joints_(num_joints),
        data_(static_cast<size_t>(num_frames) * num_joints, Eigen::Vector3d::Constant(kNaN)) {}

  int num_frames() const { return num_frames_; }
  int num_joints() const { return num_joints_; }
  bool empty() const { return data_.empty(); }

  Eigen::Vector3d& at(frame_t f, joint_t j) { return data_[Index(f, j)]; }
  const Eigen::Vector3d& at(frame_t f, joint_t j) const { return data_[Index(f, j)]; }
  bool IsValid(frame_t f, joint_t j) const { return at(f, j).allFinite(); }
  const Eigen::Vector3d* Row(frame_t f) const { return &data_[Index(f, 0)]; }
  Eigen::Vector3d* Row(frame_t f) { return &data_[Index(f, 0)]; }

  const std::vector<Eigen::Vector3d>& data() const { return data_; }

 private:
  size_t Index(frame_t f, joint_t j) const {
    assert(f >= 0 && f < num_frames_ && j >= 0 && j < num_joints_);
    return static_cast<size_t>(f) * num_joints_ + j;
  }

  int num_frames_ = 0;
  int num_joints_ = 0;
  std::vector<Eigen::Vector3d> data_;
};

// Per-point scalar arrays [frame][joint] (reprojection errors, view counts, ...).
template <typename T>
class FrameJointArray {
 public:
  FrameJointArray() = default;
  FrameJointArray(int num_frames, int num_joints, T fill = T{})
      : num_frames_(num_frames), num_joints_(num_joints), data_(static_cast<size_t>(num_frames) * num_joints, fill) {}
  int num_frames() const { return num_frames_; }
  int num_joints() const { return num_joints_; }
  T& at(frame_t f, joint_t j) { return data_[static_cast<size_t>(f) * num_joints_ + j]; }
  const T& at(frame_t f, joint_t j) const { return data_[static_cast<size_t>(f) * num_joints_ + j]; }
  const std::vector<T>& data() const { return data_; }
  std::vector<T>& data() { return data_; }

 private:
  int num_frames_ = 0;
  int num_joints_ = 0;
  std::vector<T> data_;
};

}  // namespace epilabel
