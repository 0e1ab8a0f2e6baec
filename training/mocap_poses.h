// Motion capture without 2D for MPM's masked 3D pretext (TrainOptions::pretrain_motions): the
// CMU BVH clips of a folder, retargeted and mapped to COCO-17 as the synthetic studio does
// (detection/synthetic/motion.h: the body of the first clip by name, glitch-free segments only),
// sampled at a frame rate, root-relative; and masked 3D windows of them seen from random cameras.
#pragma once

#include <random>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "geometry/core/types.h"
#include "training/data.h"

namespace epilabel {

struct MocapPoses {
  int num_joints = 0;                          // 17 (COCO-17, detection/skeleton.h order)
  std::vector<Eigen::Vector3d> root_relative;  // [frames * J] world axes (z up), metres, minus the root
  std::vector<int> segment_first;              // [frames] first frame of the frame's segment
  std::vector<int> segment_end;                // [frames] one past the last frame of its segment
  std::vector<std::string> files;              // the clips read, sorted by name
  int num_frames() const { return static_cast<int>(segment_first.size()); }
};

// Every *.bvh of `dir` (sorted by name) sampled every 1 / `fps` seconds over each glitch-free
// segment; the root is the mean of `root_joints` (COCO-17 indices). Throws InputError naming
// the folder when it is missing or has no .bvh, naming the file when a clip is not a readable
// CMU BVH.
MocapPoses ReadMocapPoses(const std::string& dir, double fps, const std::vector<joint_t>& root_joints);

// The rotation camera_from_world of a camera looking horizontally along world direction
// (cos yaw, sin yaw, 0), pitched down by `pitch` (radians), x right and y down in the image.
Eigen::Matrix3d LevelCameraFromWorld(double yaw, double pitch);

// MPM's masked 3D pose windows (as MakeMaskedPoseBatch) of mocap frames `frames`: each window
// (`window` frames centred on the frame, clamped to its segment) is seen from a camera with a
// uniform random yaw and a pitch uniform in [0, max_pitch_deg] down (LevelCameraFromWorld),
// then masked: every frame but the centre with probability `frame_rate`, then every joint
// with probability `joint_rate`. Weights 1. Draws yaw, pitch, then one number per frame and
// per joint from `rng`.
PoseBatch3d MakeMaskedMocapBatch(const MocapPoses& mocap, const std::vector<int>& frames, int window,
                                 double joint_rate, double frame_rate, double max_pitch_deg, std::mt19937_64& rng);

}  // namespace epilabel
