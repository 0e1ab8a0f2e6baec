#include "training/mocap_poses.h"

#include <algorithm>
#include <cmath>

#include "detection/synthetic/bvh.h"
#include "detection/synthetic/motion.h"
#include "foundation/error.h"

namespace epilabel {

namespace {

// The clips of the folder; errors name the file.
std::vector<BvhMotion> ReadClips(const std::vector<std::string>& files) {
  std::vector<BvhMotion> clips;
  for (const std::string& file : files) {
    clips.push_back(ReadBvh(file));
    try {
      CheckCmuSkeleton(clips.back());
    } catch (const InputError& e) {
      throw InputError(file, e.what());
    }
  }
  return clips;
}

// Appends one segment of a clip sampled every 1 / fps seconds.
void AppendSegment(const RetargetedClip& clip, const ClipSegment& segment, double fps,
                   const std::vector<joint_t>& root_joints, MocapPoses* out) {
  const int first = out->num_frames();
  const int count = 1 + static_cast<int>(std::floor(segment.duration() * fps + 1e-9));
  for (int i = 0; i < count; ++i) {
    const CocoPose pose = clip.Sample(segment.start + i / fps);
    Eigen::Vector3d root = Eigen::Vector3d::Zero();
    for (joint_t r : root_joints) root += pose.joints[r] / static_cast<double>(root_joints.size());
    for (const Eigen::Vector3d& p : pose.joints) out->root_relative.push_back(p - root);
  }
  out->segment_first.insert(out->segment_first.end(), count, first);
  out->segment_end.insert(out->segment_end.end(), count, first + count);
}

}  // namespace

MocapPoses ReadMocapPoses(const std::string& dir, double fps, const std::vector<joint_t>& root_joints) {
  if (!(fps > 0.0)) throw std::invalid_argument("ReadMocapPoses: fps must be positive");
  MocapPoses out;
  out.num_joints = 17;
  out.files = BvhFilesInFolder(dir);
  const std::vector<BvhMotion> clips = ReadClips(out.files);
  std::unique_ptr<MotionLibrary> library;
  try {
    library = std::make_unique<MotionLibrary>(clips);
  } catch (const InputError& e) {
    throw InputError(dir, e.what());  // a clip without a glitch-free segment
  }
  for (const RetargetedClip& clip : library->clips()) {
    for (const ClipSegment& segment : clip.segments()) AppendSegment(clip, segment, fps, root_joints, &out);
  }
  return out;
}

Eigen::Matrix3d LevelCameraFromWorld(double yaw, double pitch) {
  const Eigen::Vector3d z(std::cos(pitch) * std::cos(yaw), std::cos(pitch) * std::sin(yaw), -std::sin(pitch));
  const Eigen::Vector3d x(std::sin(yaw), -std::cos(yaw), 0.0);
  const Eigen::Vector3d y = z.cross(x);
  Eigen::Matrix3d cam_from_world;
  cam_from_world.row(0) = x.transpose();
  cam_from_world.row(1) = y.transpose();
  cam_from_world.row(2) = z.transpose();
  return cam_from_world;
}

PoseBatch3d MakeMaskedMocapBatch(const MocapPoses& mocap, const std::vector<int>& frames, int window,
                                 double joint_rate, double frame_rate, double max_pitch_deg, std::mt19937_64& rng) {
  const int j_count = mocap.num_joints, centre = window / 2;
  PoseBatch3d out(static_cast<int>(frames.size()), window, j_count, 1.0f);
  for (int b = 0; b < out.size; ++b) {
    const int n = frames[b];
    const double yaw = 2.0 * EIGEN_PI * Uniform01(rng);
    const double pitch = max_pitch_deg * EIGEN_PI / 180.0 * Uniform01(rng);
    const Eigen::Matrix3d cam_from_world = LevelCameraFromWorld(yaw, pitch);
    for (int f = 0; f < window; ++f) {
      const int m = std::clamp(n + f - centre, mocap.segment_first[n], mocap.segment_end[n] - 1);
      float* xyz = out.input.data() + ((static_cast<size_t>(b) * window + f) * j_count) * 3;
      const bool frame_masked = Uniform01(rng) < frame_rate && f != centre;
      for (int k = 0; k < j_count; ++k) {
        const Eigen::Vector3d p = cam_from_world * mocap.root_relative[static_cast<size_t>(m) * j_count + k];
        if (f == centre) {
          for (int c = 0; c < 3; ++c) out.target[(static_cast<size_t>(b) * j_count + k) * 3 + c] = static_cast<float>(p[c]);
        }
        const bool masked = Uniform01(rng) < joint_rate || frame_masked;
        if (masked) continue;
        for (int c = 0; c < 3; ++c) xyz[3 * k + c] = static_cast<float>(p[c]);
      }
    }
  }
  return out;
}

}  // namespace epilabel
