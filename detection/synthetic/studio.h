// The synthetic studio: a camera rig, a person moving with real motion capture (CMU clips,
// constant bone lengths), and a simulated 2D detector, all with known truth. The same
// generator serves `epilabel synth`, `epilabel demo`, the tests and the benchmarks.
//
// World frame: metres, z up, floor at z = 0. Skeleton: COCO-17. The parts: bvh.h (reader,
// forward kinematics), motion.h (retargeting to one body, COCO-17 mapping, resampling,
// placement), rigs.h (the camera rigs), simulated_detector.h (the noise model).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "detection/keypoints.h"
#include "detection/synthetic/simulated_detector.h"
#include "geometry/core/camera.h"
#include "geometry/core/observations.h"
#include "foundation/progress.h"

namespace epilabel {

struct StudioOptions {
  // Rig: "h36m4" (four cameras in the corners of a ~4x6 m room, like Human3.6M),
  // "ring8" (eight cameras on a 4.5 m circle), "stereo2" (two cameras 1.5 m apart, both
  // facing the capture area), "ceiling6" (six cameras high up, looking down).
  std::string rig = "h36m4";
  int num_frames = 600;
  double fps = 30.0;
  // Simulated detector (details in simulated_detector.h).
  double noise_px = 3.0;       // per-axis std. dev. of the 2D error of a typical limb joint for a
                               // person ~400 px tall; scales with the person's image size
  double outlier_rate = 0.02;  // share of present (visible, not dropped) joints made gross errors
  double swap_rate = 0.01;     // share of (view, frame, left/right pair with both joints present) swapped
  double missing_rate = 0.02;  // share of visible joints dropped (0, 0, 0)
  double hip_offset_px = -1.0; // systematic hip shift toward the shoulders for a ~400 px person;
                               // < 0: 1.5 * noise_px (so 0 when noise_px is 0)
  bool ideal_lenses = false;   // principal points at the image centres, no lens distortion (the
                               // model that calibration with unknown intrinsics assumes)
  int num_people = 1;          // only 1 is supported for now
  uint64_t seed = 1;
  // Motion clips (BVH files, CMU skeleton) played in turn, the first giving the body;
  // empty = every .bvh of data_dir/motions/, sorted by name.
  std::vector<std::string> motion_files;
  // Folder of the shipped data (for data/motions); required when motion_files is empty.
  std::string data_dir;
  ProgressCallback progress;

  // Throws InputError naming the option (as on the command line) for an unknown rig, frames < 1,
  // fps not in (0, 1000], negative noise, rates outside [0, 1], num_people != 1, or neither
  // motion_files nor data_dir given.
  void Check() const;
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
  double subject_height = 0.0;          // metres (standing height, head top, of the body)
  std::vector<std::string> clip_names;  // the clip of each played stretch, in order (a clip may recur)
  std::vector<int> clip_start_frames;   // first frame of each played stretch
  DetectorStatistics statistics;        // counts behind the masks (visible, missing, outliers, swaps)

  size_t MaskIndex(camera_t c, frame_t f, joint_t j) const {
    return (static_cast<size_t>(c) * points3d.num_frames() + f) * points3d.num_joints() + j;
  }
  // The observations as a single-person COCO-17 sequence (camera names and image sizes set;
  // frames where a camera sees nothing have no person).
  KeypointSequence ToKeypointSequence() const;
};

// Builds a scene; throws InputError for unknown rigs, bad options or unreadable clips.
SyntheticScene Synthesize(const StudioOptions& options);

// Writes OUT/calibration.toml, OUT/intrinsics.toml, OUT/pose/<cam>/<cam>_<frame>_keypoints.json,
// OUT/keypoints2d.npz, OUT/gt.npz and OUT/scene.json (the options, statistics and clips).
// gt.npz: points3d [F,17,3] f8 world metres; K [C,3,3], dist [C,5], R [C,3,3], t [C,3] f8
// (world->camera); image_size [C,2] i4; camera_names, joint_names; outlier_mask, swap_mask,
// missing_mask, invisible_mask [C,F,17] u1; bone_lengths [16] f8 and bones [16,2] i4 (COCO-17
// bones); subject_height, fps (0-d f8); frame_numbers [F] i8.
// The folder is written under a temporary name and renamed when complete; an existing OUT is
// replaced only if it is empty or holds an earlier scene (scene.json), else InputError.
void WriteSyntheticScene(const SyntheticScene& scene, const std::string& out_dir);
void WriteSyntheticScene(const SyntheticScene& scene, const std::string& out_dir);

// Ground truth read back from gt.npz (for eval commands and tests).
struct GroundTruth {
  Points3d points3d;
  std::vector<uint8_t> outlier_mask, swap_mask, missing_mask, invisible_mask;  // [c, f, j]; may be empty
  int num_cameras = 0;
  std::vector<double> bone_lengths;
  double subject_height = 0.0;
};
// Throws InputError naming the file for a missing file, a missing `points3d` or arrays of the
// wrong shape.
GroundTruth ReadGroundTruth(const std::string& gt_npz_path);

}  // namespace epilabel
