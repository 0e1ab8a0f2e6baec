// Pseudo-3D labels from multi-view 2D keypoints: quality gates, camera-frame labels as
// EpipolarPose trains them, the EpipolarPose-style two-view baseline, and the VideoPose3D
// export (stage 6 of the pipeline). In memory: label_run.h reads and writes the files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "foundation/pickle.h"
#include "geometry/core/camera.h"
#include "geometry/core/observations.h"
#include "pseudolabel/dataset.h"
#include "pseudolabel/keypoint_input.h"
#include "pseudolabel/stages/association.h"
#include "pseudolabel/stages/triangulate.h"

namespace epilabel {

// Each gate is counted in the report. A joint passes when every gate passes; a pose is kept
// (with a per-joint validity mask) when enough of its joints pass.
struct QualityGates {
  int min_views = 2;                       // views used by the triangulation
  double max_reprojection_error_px = 12.0; // mean reprojection error of the joint
  double max_bone_deviation_rel = 0.2;     // any bone through the joint longer or shorter than its
                                           // sequence median by more than this share fails the joint
  double max_uncertainty_m = 0.05;         // 3D standard deviation of the joint
  double min_valid_share = 0.7;            // a pose is kept when this share of its joints pass
  double min_camera_joint_share = 0.5;     // a camera contributes a sample when it detected this
                                           // share of the joints in that frame
  double min_confidence = 0.2;             // detections below do not count as detected
  // Throws InputError naming the key (e.g. `max_reprojection_error_px`) of a value out of range.
  void Check() const;
};

struct GateCounts {
  int64_t joints = 0;             // triangulated or not, frames x joints
  int64_t failed_views = 0;       // too few views (including not triangulated)
  int64_t failed_error = 0;       // reprojection error too large
  int64_t failed_bone = 0;        // bone length deviates
  int64_t failed_uncertainty = 0; // too uncertain
  int64_t valid_joints = 0;       // passed every gate
  int64_t poses = 0, poses_kept = 0;
  int64_t samples = 0;            // (frame, camera) rows of the dataset
  std::vector<int64_t> samples_per_camera;
  std::vector<double> valid_share_per_joint;  // over kept poses
  double mean_uncertainty_m = kNaN;   // over valid joints of kept poses
  double mean_error_px = kNaN;        // over valid joints of kept poses
};

// Per-joint validity of a triangulated sequence under the gates; fills the gate counts (not
// the sample counts).
FrameJointArray<uint8_t> ApplyGates(const TriangulatedSequence& seq, const std::vector<Bone>& bones,
                                    const QualityGates& gates, std::vector<uint8_t>* pose_kept, GateCounts* counts);

// Camera-frame labels of the kept poses: one sample per kept frame and camera that sees the
// person, with that camera's own 2D detections (swap-repaired), the 3D pose in its frame, the
// root, K, validity and uncertainty.
LabelDataset MakeCameraFrameLabels(const Rig& rig, const PersonTrack& track, const TriangulatedSequence& seq,
                                   const FrameJointArray<uint8_t>& valid, const std::vector<uint8_t>& pose_kept,
                                   const QualityGates& gates, const std::string& sequence_name, GateCounts* counts);

// The EpipolarPose-style baseline: every camera c paired with its neighbour c+1 (index order,
// as adjacent cameras of a ring), relative pose from the essential matrix of the two views
// alone, two-view triangulation, metric scale from the subject height model, no bundle
// adjustment; labels of camera c in its own frame. `rig` needs intrinsics only.
struct TwoViewLabels {
  LabelDataset dataset;
  GateCounts counts;
  std::vector<std::string> pair_notes;  // per camera: the pair, inliers, or why it failed
};
TwoViewLabels MakeTwoViewLabels(const Rig& rig, const PersonTrack& track, const QualityGates& gates,
                                const WorldFrameOptions& scale_options, const std::string& sequence_name,
                                uint64_t seed);

// VideoPose3D-compatible export: positions_3d[subject][action] = [F, J, 3] float32 world metres,
// positions_2d[subject][action] = per camera [F, J, 2] float32 pixels, metadata with
// layout_name, num_joints, keypoints_symmetry and video_metadata[subject] = {w, h}. Actions are
// the runs of consecutive kept frames whose joints are all known ("<subject>_<first frame>").
struct VideoPose3DExport {
  PickleValue positions_3d = PickleValue::Dict();
  PickleValue positions_2d = PickleValue::Dict();
  PickleValue metadata = PickleValue::Dict();
  int num_actions = 0;
  int64_t num_frames = 0;
};
VideoPose3DExport MakeVideoPose3DExport(const Rig& rig, const PersonTrack& track, const TriangulatedSequence& seq,
                                        const std::vector<uint8_t>& pose_kept, const std::string& subject);
// The whole label stage of one track: gates, camera-frame labels and the VideoPose3D export.
// The points of the per-frame single-view completion (TriangulatedSequence::completion) are
// left out first: never labels, never a root, a bone check or a complete VideoPose3D frame.
struct LabelStageOptions {
  QualityGates gates;
  std::string sequence_name = "sequence";  // names the samples
  std::string subject;                     // the VideoPose3D subject; empty: the sequence name
};
struct LabelStageResult {
  LabelDataset dataset;
  GateCounts counts;
  FrameJointArray<uint8_t> valid;  // per frame and joint: passed every gate
  std::vector<uint8_t> kept;       // per frame: the pose is kept
  VideoPose3DExport videopose3d;
};
LabelStageResult LabelTrack(const Rig& rig, const PersonTrack& track, const TriangulatedSequence& seq,
                            const LabelStageOptions& options);

// The exports of several people of one sequence in one (their subjects must differ).
VideoPose3DExport MergeVideoPose3DExports(std::vector<VideoPose3DExport> parts);

// Adds the counts of another track's labels (sums; shares and means weighted by their counts).
void AccumulateGateCounts(const GateCounts& part, GateCounts* total);

// Writes OUT_DIR/data_3d_<name>.npz and OUT_DIR/data_2d_<name>.npz (atomically).
void WriteVideoPose3DExport(const VideoPose3DExport& e, const std::string& out_dir, const std::string& name);

}  // namespace epilabel
