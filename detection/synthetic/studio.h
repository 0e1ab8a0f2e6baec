// The synthetic studio: a camera rig, a person moving with real motion capture (CMU clips,
// constant bone lengths), and a simulated 2D detector, all with known truth. The same
// generator serves `epilabel synth`, `epilabel demo`, the tests and the benchmarks.
//
// World frame: metres, z up, floor at z = 0. Skeleton: COCO-17.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "detection/keypoints.h"
#include "geometry/core/camera.h"
#include "geometry/core/observations.h"
#include "geometry/core/progress.h"

namespace epilabel {

struct StudioOptions {
  // Rig: "h36m4" (four cameras in the corners of a ~4x6 m room, like Human3.6M),
  // "ring8" (eight cameras on a 4.5 m circle), "stereo2" (two cameras 1.5 m apart, both
  // facing the capture area), "ceiling6" (six cameras high up, looking down).
  std::string rig = "h36m4";
  int num_frames = 600;
  double fps = 30.0;
  // Simulated detector.
  double noise_px = 3.0;       // std. dev. of the 2D error of a typical limb joint for a person
                               // ~400 px tall; scales with the person's image size
  double outlier_rate = 0.02;  // share of visible joints replaced by a gross error
  double swap_rate = 0.01;     // share of (view, frame, left/right pair) swapped
  double missing_rate = 0.02;  // share of visible joints dropped (0, 0, 0)
  int num_people = 1;          // only 1 is supported for now
  uint64_t seed = 1;
  // Motion clips (BVH files) played in turn; empty = the shipped clips in data/motions/.
  std::vector<std::string> motion_files;
  // Folder of the shipped data (for data/motions); required when motion_files is empty.
  std::string data_dir;
  ProgressCallback progress;
};

// Everything the studio makes, with the truth.
struct SyntheticScene {
  StudioOptions options;
  Rig rig;                              // true cameras (intrinsics, distortion, extrinsics)
  Points3d points3d;                    // [frames, 17] world metres, the truth
  Observations2d observations;          // [cameras, frames, 17] what the simulated detector saw
  std::vector<int64_t> frame_numbers;   // 0..frames-1
  // Masks [cameras, frames, 17]: 1 where the written 2D point is an outlier / part of a
  // swapped left-right pair / dropped by the detector / outside the image or behind the camera.
  std::vector<uint8_t> outlier_mask, swap_mask, missing_mask, invisible_mask;
  std::vector<double> bone_lengths;     // true length of each COCO-17 bone (skeleton.h order), metres
  double subject_height = 0.0;          // metres (standing height of the mocap skeleton)
  std::vector<std::string> clip_names;  // the clips played, in order
  std::vector<int> clip_start_frames;   // first frame of each clip

  size_t MaskIndex(camera_t c, frame_t f, joint_t j) const {
    return (static_cast<size_t>(c) * points3d.num_frames() + f) * points3d.num_joints() + j;
  }
  KeypointSequence ToKeypointSequence() const;
};

// Builds a scene; throws InputError for unknown rigs, bad options or unreadable clips.
SyntheticScene Synthesize(const StudioOptions& options);

// Writes OUT/calibration.toml, OUT/intrinsics.toml, OUT/pose/<cam>/<frame>_keypoints.json,
// OUT/keypoints2d.npz, OUT/gt.npz (points3d [frames,17,3], camera matrices, masks, bone
// lengths), OUT/scene.json (the options and statistics). The folder is written under a
// temporary name and renamed when complete.
void WriteSyntheticScene(const SyntheticScene& scene, const std::string& out_dir);

// Ground truth read back from gt.npz (for eval commands and tests).
struct GroundTruth {
  Points3d points3d;
  std::vector<uint8_t> outlier_mask, swap_mask, missing_mask, invisible_mask;  // [c, f, j]; may be empty
  int num_cameras = 0;
  std::vector<double> bone_lengths;
  double subject_height = 0.0;
};
GroundTruth ReadGroundTruth(const std::string& gt_npz_path);

}  // namespace epilabel
