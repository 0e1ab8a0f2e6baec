// BVH motion capture files (Biovision hierarchy): reader and forward kinematics.
//
// A BVH file has a HIERARCHY section (joints with an OFFSET from their parent, expressed in
// the parent's frame, and CHANNELS) and a MOTION section (frame count, frame time, one line of
// channel values per frame). Rotation channels are Euler angles in degrees, applied in the
// order they are listed: "Zrotation Yrotation Xrotation" means
//   parent_from_joint = Rz(z) * Ry(y) * Rx(x).
// Position channels (normally only on the root) are added to the joint's OFFSET.
//
// Everything here is in the file's own units and axes (for the CMU files: Y up, the character
// faces +Z at rest, +X is the character's left, length unit = 0.056444 m). Conversion to the
// project's world (metres, z up) happens in motion.h.
#pragma once

#include <string>
#include <vector>

#include <Eigen/Core>
#include <Eigen/Geometry>

namespace epilabel {

enum class BvhChannel { kXposition, kYposition, kZposition, kXrotation, kYrotation, kZrotation };

struct BvhJoint {
  std::string name;
  int parent = -1;                                     // index into BvhMotion::joints; -1 for the root
  Eigen::Vector3d offset = Eigen::Vector3d::Zero();    // position in the parent's frame, file units
  std::vector<BvhChannel> channels;                    // in file order
  int first_channel = 0;                               // column of channels[0] in a frame row
  bool has_end_site = false;
  Eigen::Vector3d end_site = Eigen::Vector3d::Zero();  // "End Site" offset in this joint's frame
};

struct BvhMotion {
  std::string name;              // file stem ("02_01"), or what the caller passed
  std::vector<BvhJoint> joints;  // depth-first file order: a parent comes before its children
  int num_channels = 0;          // values per frame row
  int num_frames = 0;
  double frame_time = 0.0;       // seconds per frame (1/120 for CMU)
  std::vector<double> values;    // [num_frames * num_channels] channel values (degrees, file units)

  const double* Frame(int frame) const { return values.data() + static_cast<size_t>(frame) * num_channels; }
  // Index of a joint by exact name, or -1.
  int JointIndex(const std::string& joint_name) const;
  // Duration from the first to the last frame, seconds.
  double Duration() const { return num_frames > 1 ? (num_frames - 1) * frame_time : 0.0; }
};

// Parses BVH text. `where` names the source in errors. Throws InputError with the line number
// and what was expected for malformed content: missing HIERARCHY/ROOT/MOTION, unbalanced braces,
// unknown channel names, non-numeric or non-finite values, a frame row with the wrong number of
// values, fewer or more rows than "Frames:", a non-positive frame time.
BvhMotion ParseBvh(const std::string& text, const std::string& where);

// Reads and parses a BVH file; the motion's name is the file stem.
BvhMotion ReadBvh(const std::string& path);

// The *.bvh files of a folder, sorted by name. Throws InputError naming the folder when it is
// missing or holds no .bvh file.
std::vector<std::string> BvhFilesInFolder(const std::string& dir);

// One frame's local pose: the rotation of every joint relative to its parent
// (parent_from_joint) and the position channels of every joint (zero where it has none).
struct BvhPose {
  std::vector<Eigen::Quaterniond> local_rotations;
  std::vector<Eigen::Vector3d> translations;
};

// The local pose of one frame (Euler channels turned into unit quaternions).
BvhPose PoseAtFrame(const BvhMotion& motion, int frame);

// World (file-frame) placement of every joint.
struct BvhWorldPose {
  std::vector<Eigen::Vector3d> positions;           // file units
  std::vector<Eigen::Quaterniond> orientations;     // world_from_joint
};

// Forward kinematics on a hierarchy:
//   orientation[j] = orientation[parent] * local_rotations[j]
//   position[j]    = position[parent] + orientation[parent] * (offset[j] + translations[j])
// (the root uses the identity as its parent).
BvhWorldPose ForwardKinematics(const std::vector<BvhJoint>& joints, const BvhPose& pose);

// Convenience: world positions of every joint at one frame of a motion.
std::vector<Eigen::Vector3d> JointPositionsAtFrame(const BvhMotion& motion, int frame);

}  // namespace epilabel
