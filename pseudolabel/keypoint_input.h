// The first stage of every run: 2D keypoints as read (every detected person kept), with their
// skeleton and camera names, and the calibration matched to those cameras.
//
// Vocabulary used across the pipeline: *keypoints* are 2D detections (x px, y px, confidence);
// a *camera pose* is a camera's extrinsics (`cam_from_world`); a *body* is a 3D skeleton.
// Loading reads files (an edge of the pipeline); everything after it works in memory.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "detection/keypoint_timing.h"
#include "detection/keypoints.h"
#include "detection/skeleton.h"
#include "foundation/progress.h"
#include "geometry/core/camera.h"
#include "geometry/sfm/world_frame.h"

namespace epilabel {

// One take of several recordings of the same rig (LoadTakes): where it came from and where its
// frames sit in the pooled input.
struct Take {
  std::string path;                      // the take's folder or file, as given
  int64_t frame_shift = 0;               // added to the take's own frame numbers
  int64_t first_frame = 0, end_frame = 0;  // its frames in the pooled input: [first_frame, end_frame)
  int num_frames = 0;                    // distinct frame numbers read
  int num_cameras = 0;                   // cameras with keypoints in this take
};

struct KeypointInput {
  std::string path;                      // where the keypoints came from (messages only)
  KeypointSequence keypoints;            // as read: every camera, frame and detected person
  const Skeleton* skeleton = nullptr;    // given or guessed from the joint layout
  std::vector<std::string> camera_names; // in keypoint order
  // Per camera, its frames' timestamps as read (keypoint_timing.h); known() false for a camera
  // without timestamps. A camera whose timing is variable has been put on evenly spaced frames
  // at its mean rate (OnEvenlySpacedFrames) in `keypoints`, so that frame f of camera c is at
  // time f / fps[c] from its first frame for every later stage.
  std::vector<FrameTiming> timing;
  // Several takes of one rig pooled (LoadTakes), in the order given: each take's frames are a
  // contiguous range of frame numbers, and the stages that follow people over time (association,
  // tracking) work on each take alone (TakeInput). Empty: one recording.
  std::vector<Take> takes;

  int num_cameras() const { return static_cast<int>(camera_names.size()); }
  // The measured frame rate of every camera (timing fps; 0 for a camera without timestamps).
  std::vector<double> MeasuredFps() const;
};

// Reads keypoints from `path` (OpenPose folders, COCO folder, keypoints2d.npz); `skeleton` may
// be empty (guessed). Cameras with timestamps are measured, variable-rate ones resampled onto
// evenly spaced frames (see KeypointInput::timing); without timestamps the keypoints are
// exactly as read. Throws InputError naming the path when there is nothing usable: no
// cameras, no frames, or fewer than `min_cameras` cameras.
KeypointInput LoadKeypointInput(const std::string& path, const std::string& skeleton, int min_cameras,
                                const ProgressCallback& progress = {});

// Several takes of the same rig (`paths`: one folder or file per take, each read by
// LoadKeypointInput): one input whose cameras are every take's cameras (matched by exact name,
// then by the number in the name, as for calibrations; in the order first seen) and whose frames
// are the takes' one after the other (take k's frame numbers shifted to follow take k-1's; see
// Take). A camera missing from a take has no frame in it. One path: exactly LoadKeypointInput
// (no `takes`). Throws InputError naming the take's path when it cannot be read, has fewer than
// `min_cameras` cameras, was detected with another skeleton than the first take, or gives a
// camera another image size than an earlier take did. Timestamps are not pooled: `timing` is each
// camera's in the first take that has it, and a camera with a variable rate is resampled per take.
KeypointInput LoadTakes(const std::vector<std::string>& paths, const std::string& skeleton, int min_cameras,
                        const ProgressCallback& progress = {});

// Take `take` of a pooled input (its frames only, every camera kept, frame numbers as in the
// pooled input, no `takes`); `input` itself when it holds no takes. Throws std::out_of_range
// for a take that does not exist.
KeypointInput TakeInput(const KeypointInput& input, size_t take);

// A note per take whose detected people repeat, bit for bit (same camera, every joint), more
// than `min_share` of their detections in an earlier take: the same recording given twice, or a
// take made from another (pose2sim_two_person holds pose2sim_balancing's detections). Repeated
// detections count their people twice and make their errors look like agreement. Empty without
// takes.
std::vector<std::string> RepeatedTakeNotes(const KeypointInput& input, double min_share = 0.2);

// The take whose frames hold `frame_number` (index into input.takes), or -1.
int TakeOfFrame(const KeypointInput& input, int64_t frame_number);

// Keypoints already in memory (e.g. a studio scene's detections) as the stages take them: the
// skeleton named by `keypoints.skeleton`, camera names in order, no timing (every camera's rate
// then comes from the stage's options). `origin` stands for the path in messages.
KeypointInput KeypointInputFromMemory(KeypointSequence keypoints, const std::string& origin);

// What a run needs of each calibration camera.
enum class CalibrationNeed { kIntrinsics, kIntrinsicsAndExtrinsics, kImageSize };

// The calibration's cameras reordered to the keypoint cameras (by exact name, then by the
// number in the name; see MatchCameraNames). Throws InputError naming `calibration_path` and
// listing both sets of names when they do not match, and when a camera lacks what `need` asks.
Rig MatchCalibration(const Rig& calibration, const std::string& calibration_path,
                     const std::vector<std::string>& camera_names, const std::string& keypoints_path,
                     CalibrationNeed need);
// As above, then CheckImageSizes on the matched cameras (and CheckRigUnits when extrinsics are
// needed); their warnings are appended to `warnings` when given.
Rig MatchCalibration(const Rig& calibration, const std::string& calibration_path, const KeypointInput& input,
                     CalibrationNeed need, std::vector<std::string>* warnings = nullptr);

// Where the keypoints meet a calibration's image sizes (`rig`: the keypoint cameras in order,
// from `calibration_path`). Returns a warning per camera whose keypoints carry an image size
// (CameraKeypoints width/height, keypoints2d.npz image_sizes) other than the calibration's
// (e.g. 1080 vs 1088 px: a cropped or padded video shifts every pixel). Throws InputError naming
// the keypoints when a camera's detections reach more than kImageSizeMargin of the calibrated
// image's side beyond its border (left, right, top or bottom): they were not detected on images
// of that size. Cameras without a size are skipped.
std::vector<std::string> CheckImageSizes(const Rig& rig, const std::string& calibration_path,
                                         const KeypointInput& input);
inline constexpr double kImageSizeMargin = 0.1;

// A warning naming `calibration_path` when its cameras are implausibly far apart for a capture
// of people (median spacing over kImplausibleCameraSpacingM: a file in millimetres read as
// metres), saying how to convert it; nullopt otherwise.
std::optional<std::string> CheckRigUnits(const Rig& rig, const std::string& calibration_path);

// World-frame (scale, floor) options derived from a skeleton's anthropometric keys.
WorldFrameOptions WorldFrameOptionsFor(const Skeleton& skeleton);

// The torso joints of the view-dependent bias model (ViewBiasOptions::torso_joints): left and
// right shoulder, left and right hip, from the skeleton's COCO-17 mapping (kInvalidJointId where
// it lacks one: the model is then not fitted).
std::array<joint_t, 4> TorsoJoints(const Skeleton& skeleton);

}  // namespace epilabel
