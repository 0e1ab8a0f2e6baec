// The synthetic studio: a camera rig, one or several people moving with real motion capture
// (CMU clips, constant bone lengths), and a simulated 2D detector, all with known truth. The same
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
#include "detection/synthetic/realistic_detector.h"
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
  // Detector model: "gaussian" (simulated_detector.h: the options above) or "realistic"
  // (realistic_detector.h: heavy-tailed, temporally correlated, view-dependent errors with the
  // parameters of `realistic`; its seed, fps and camera_fps are this struct's; several people: each with its own
  // errors, with the occlusion between people and the ghosts of the Gaussian model; with time offsets or per-camera
  // rates each camera's detector runs on what that camera sees at its own times).
  std::string detector = "gaussian";
  RealisticDetectorOptions realistic;
  // Varied motion (one person): a seeded playback speed in [0.75, 1.3] x the clips' own, a body
  // height drawn in [min_height_m, max_height_m], and continuous play (each stretch continues
  // where the last ended, with a new heading: paths across the room, no jumps; random start
  // times in the clips). false = the clips at their own speed, placed stretch by stretch.
  bool motion_variation = false;
  bool ideal_lenses = false;   // principal points at the image centres, no lens distortion (the
                               // model that calibration with unknown intrinsics assumes)
  // Lens model of every camera: "pinhole" (the rig's OpenCV lenses) or "fisheye" (equidistant,
  // fisheye_fov_deg across the image width, rigs.h UseFisheyeLenses; with ideal_lenses no k1..k4).
  std::string lens = "pinhole";
  double fisheye_fov_deg = 150.0;
  // Several people (docs/synth.md). With num_people = 1 and no bystander the scene is the
  // single-person one, unchanged; otherwise every person gets its own clip order and start
  // times, a height drawn in [min_height_m, max_height_m], mid-hips kept min_distance_m apart,
  // occlusion by the others, and the detections are written in a shuffled order.
  int num_people = 1;            // people in the capture area, 1 to kMaxPeople
  bool bystander = false;        // one more, mostly static person outside the capture area, seen by few cameras
  bool enter_leave = false;      // people 2.. enter late and/or leave early (person 0 stays); needs num_people >= 2
  double min_distance_m = 0.8;   // between the mid-hips of any two people (horizontal)
  double min_height_m = 1.55, max_height_m = 1.95;
  double false_positive_rate = 0.02;  // several people only: share of views with one ghost detection
  uint64_t seed = 1;
  // Unsynchronised cameras: one offset per camera in frames (fractional), empty = synchronised.
  // Camera c's frame N shows what the scene (the truth, points3d) shows at frame N +
  // time_offsets[c]; the offsets in seconds go into the cameras (Camera::time_offset) and so
  // into calibration.toml (not intrinsics.toml) and into gt.npz `time_offsets`.
  std::vector<double> time_offsets;
  // Per-camera frame rates (frames per second), empty = every camera at `fps`. Camera c's frame
  // f is taken at its time f / camera_fps[c] and shows the scene at frame f x fps / camera_fps[c]
  // + time_offsets[c] (the scene, points3d and the time offsets stay at `fps`; every camera has
  // num_frames frames, so a faster camera covers less of the scene). The rates go into the
  // keypoints as their timestamps (keypoints2d.npz timestamps_s, timestamps.csv: f / rate) and
  // into gt.npz `camera_fps`.
  std::vector<double> camera_fps;
  // Motion clips (BVH files, CMU skeleton) played in turn, the first giving the body;
  // empty = every .bvh of data_dir/motions/, sorted by name.
  std::vector<std::string> motion_files;
  // Folder of the shipped data (for data/motions); required when motion_files is empty.
  std::string data_dir;
  ProgressCallback progress;

  // Throws InputError naming the option key (snake_case; the command line shows its flag) for an
  // unknown rig or lens, a fisheye field of view outside [60, 175] degrees, frames < 1,
  // fps not in (0, 1000], negative noise, rates outside [0, 1], num_people outside [1, kMaxPeople],
  // enter_leave with one person, bad heights or distance, time_offsets not one per camera or
  // beyond kMaxTimeOffsetFrames, camera_fps not one per camera or outside (0, 1000], or neither
  // motion_files nor data_dir given.
  void Check() const;
  // True when the scene has more than one person (the multi-person files are written).
  bool MultiPerson() const { return num_people > 1 || bystander; }
  // True when some camera has a time offset or a rate of its own (the cameras sample the motion
  // at their own times).
  bool Unsynchronised() const { return !time_offsets.empty() || !camera_fps.empty(); }
  // Camera c's offset (frames) and rate (fps), defaults when not given.
  double CameraOffset(size_t c) const { return c < time_offsets.size() ? time_offsets[c] : 0.0; }
  double CameraFps(size_t c) const { return c < camera_fps.size() ? camera_fps[c] : fps; }

  static constexpr int kMaxPeople = 8;
  static constexpr double kMaxTimeOffsetFrames = 100000.0;
};

// The truth of one person (the bystander included).
struct PersonTruth {
  int id = 0;                        // 0 .. people-1 (the bystander last)
  bool bystander = false;
  Points3d points3d;                 // [frames, 17] world metres, NaN where absent
  std::vector<uint8_t> present;      // [frames] 1 where the person is in the scene
  double height = 0.0;               // standing height (head top), metres
  std::vector<double> bone_lengths;  // COCO-17 bones (skeleton.h order), metres
  Observations2d observations;       // [cameras, frames, 17] this person's detections (0 where not detected)
  // [cameras, frames, 17] as SyntheticScene's masks; invisible also where the person is absent;
  // occluded: hidden behind another person (dropped or degraded); empty for a single person.
  std::vector<uint8_t> outlier_mask, swap_mask, missing_mask, invisible_mask, occluded_mask;
  std::vector<std::string> clip_names;  // played stretches, in order
  std::vector<int> clip_start_frames;
  // Frames where the person jumps to a new place although present before (first frame at the new
  // place): the studio plays every stretch from where the last one ended and jumps only when no
  // continuation fits among the others. A tracker cannot follow these; empty for a single person.
  std::vector<int> jump_frames;
  DetectorStatistics statistics;     // points = frames present x cameras x 17
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
  // Every person (people[0] is the person of the fields above; one entry for a single person).
  std::vector<PersonTruth> people;
  // Every detection as written (OpenPose JSON, keypoints2d.npz): per camera and frame, the
  // detected people and false positives in a seeded shuffled order.
  KeypointSequence detections;
  int num_slots = 1;                    // most detections in one view
  // [cameras, frames, num_slots] the true person (PersonTruth::id) of each detection, -1 for a
  // false positive or an empty slot.
  std::vector<int32_t> detection_person;
  int64_t false_positives = 0;
  double min_person_distance = 0.0;     // closest approach of two people's mid-hips (m; 0 for one person)
  int crowded_frames = 0;               // stretch starts where no spot min_distance_m from the others was found
  int jumps = 0;                        // jump_frames of every person together

  size_t MaskIndex(camera_t c, frame_t f, joint_t j) const {
    return (static_cast<size_t>(c) * points3d.num_frames() + f) * points3d.num_joints() + j;
  }
  size_t SlotIndex(camera_t c, frame_t f, int slot) const {
    return (static_cast<size_t>(c) * points3d.num_frames() + f) * num_slots + slot;
  }
  // Every detected person (`detections`): COCO-17, camera names and image sizes set; for a single
  // person the observations, frames where a camera sees nothing having no person.
  KeypointSequence ToKeypointSequence() const;
};

// Builds a scene; throws InputError for unknown rigs, bad options or unreadable clips.
SyntheticScene Synthesize(const StudioOptions& options);

// Writes OUT/calibration.toml, OUT/intrinsics.toml, OUT/pose/<cam>/<cam>_<frame>_keypoints.json,
// OUT/keypoints2d.npz, OUT/gt.npz and OUT/scene.json (the options, statistics and clips).
// Single person:
// gt.npz: points3d [F,17,3] f8 world metres; K [C,3,3], dist [C,5], R [C,3,3], t [C,3] f8
// (world->camera); image_size [C,2] i4; camera_names, joint_names; outlier_mask, swap_mask,
// missing_mask, invisible_mask [C,F,17] u1; bone_lengths [16] f8 and bones [16,2] i4 (COCO-17
// bones); subject_height, fps (0-d f8); frame_numbers [F] i8; with time offsets also
// time_offsets [C] f8 (seconds, see StudioOptions::time_offsets).
// Several people (P people, S slots): keypoints2d.npz `keypoints2d` is [C, F, S, 17, 3]; gt.npz
// has points3d [F, P, 17, 3] (NaN where absent), person_ids [P] i4, bystander [P] u1, present
// [F, P] u1, heights [P] f8, bone_lengths [P, 16] f8, the masks [C, F, P, 17] u1 (plus
// occluded_mask) and detection_person [C, F, S] i4; the camera arrays as above (docs/synth.md).
// The folder is written under a temporary name and renamed when complete; an existing OUT is
// replaced only if it is empty or holds an earlier scene (scene.json), else InputError.
void WriteSyntheticScene(const SyntheticScene& scene, const std::string& out_dir);

// The oracle's input: the scene's detections with the gross errors and the swapped pairs
// removed (outlier_mask, swap_mask), as if the triangulation were told which they are.
Observations2d ObservationsWithoutGrossErrors(const SyntheticScene& scene);

// One person of a gt.npz.
struct PersonGroundTruth {
  int id = 0;
  bool bystander = false;
  Points3d points3d;             // [frames, 17] NaN where absent
  std::vector<uint8_t> present;  // [frames]
  double height = 0.0;           // 0 when not in the file
  std::vector<double> bone_lengths;
  std::vector<uint8_t> outlier_mask, swap_mask, missing_mask, invisible_mask, occluded_mask;  // [c, f, j]; may be empty
};

// Ground truth read back from gt.npz (for eval commands and tests), either layout. The
// single-person fields hold person 0.
struct GroundTruth {
  Points3d points3d;
  std::vector<uint8_t> outlier_mask, swap_mask, missing_mask, invisible_mask;  // [c, f, j]; may be empty
  int num_cameras = 0;
  std::vector<double> bone_lengths;
  double subject_height = 0.0;
  std::vector<PersonGroundTruth> people;   // every person (one for a single-person file)
  int num_slots = 0;                       // 0 for a single-person file
  std::vector<int32_t> detection_person;   // [cameras, frames, num_slots]; empty for a single-person file
};
// Throws InputError naming the file for a missing file, a missing `points3d` or arrays of the
// wrong shape.
GroundTruth ReadGroundTruth(const std::string& gt_npz_path);

}  // namespace epilabel
