// The lifter training dataset: camera-frame 3D labels, one row per sample (one person seen by
// one camera in one frame), as EpipolarPose trains them (issue 5, item 4).
//
// On disk: DATASET/dataset.npz with
//   keypoints2d    [N, J, 3] float64  that camera's 2D detections (x px, y px, confidence);
//                                     (0, 0, 0) where the detector saw nothing
//   points3d_cam   [N, J, 3] float64  3D label in that camera's frame, metres (x right, y down,
//                                     z forward); NaN where there is no label
//   root_cam       [N, 3]    float64  root (mid-hip) in the camera frame, metres
//   K              [N, 3, 3] float64  intrinsics of the camera (pixels)
//   image_size     [N, 2]    int32    (width, height) in pixels
//   camera         [N]       int32    index into camera_names (the calibration's order)
//   frame          [N]       int64    frame number
//   sequence       [N]       int32    index into sequence_names
//   person         [N]       int32    the person's track id within its sequence (0 with one person)
//   valid          [N, J]    uint8    1 where the 3D label of the joint is usable
//   uncertainty    [N, J]    float64  std. dev. of the 3D label, metres (0 for ground truth,
//                                     NaN where not valid)
//   joint_names [J], camera_names [C], sequence_names [S], skeleton [1]   unicode strings
// Every array loads with numpy.load(path) (no pickles).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "geometry/core/camera.h"
#include "geometry/core/observations.h"
#include "geometry/core/types.h"

namespace epilabel {

struct LabelDataset {
  std::string skeleton;                     // skeleton name (see detection/skeleton.h); may be empty
  std::vector<std::string> joint_names;     // [J]
  std::vector<std::string> camera_names;    // `camera` indexes this
  std::vector<std::string> sequence_names;  // `sequence` indexes this

  // Per-joint arrays are row-major [sample][joint] (use Index()); the others have one entry per
  // sample. Units as in the file comment above.
  std::vector<Eigen::Vector3d> keypoints2d;   // [N * J]
  std::vector<Eigen::Vector3d> points3d_cam;  // [N * J]
  std::vector<uint8_t> valid;                 // [N * J]
  std::vector<double> uncertainty;            // [N * J]
  std::vector<Eigen::Vector3d> root_cam;      // [N]
  std::vector<Eigen::Matrix3d> K;             // [N]
  std::vector<Eigen::Vector2i> image_size;    // [N] (width, height)
  std::vector<int32_t> camera;                // [N]
  std::vector<int64_t> frame;                 // [N]
  std::vector<int32_t> sequence;              // [N]
  std::vector<int32_t> person;                // [N] track id of the person (association stage)

  int num_samples() const { return static_cast<int>(camera.size()); }
  int num_joints() const { return static_cast<int>(joint_names.size()); }
  size_t Index(int sample, joint_t joint) const {
    return static_cast<size_t>(sample) * joint_names.size() + static_cast<size_t>(joint);
  }

  // Resizes every per-sample array to `num_samples` rows (joint_names must be set first). New
  // rows are empty: 2D (0, 0, 0), 3D NaN, valid 0, uncertainty NaN, K identity, ids 0.
  void Resize(int num_samples);
  // Index of a camera / sequence by name, appended when new.
  int32_t CameraIndex(const std::string& name);
  int32_t SequenceIndex(const std::string& name);
  // Throws InputError(where, ...) when the arrays disagree in size or an id is out of range.
  void Check(const std::string& where) const;
};

// Writes the dataset to `path` (an .npz file) atomically. Throws InputError (via Check) for an
// inconsistent dataset, std::runtime_error when the file cannot be written.
void WriteDatasetNpz(const LabelDataset& dataset, const std::string& path);

// Reads a dataset.npz. `path` may also be a dataset folder holding dataset.npz. Throws
// InputError naming the file and the array for missing arrays, wrong shapes or ids out of range.
// Optional arrays: sequence_names (default "seq<i>"), image_size (default 2 cx, 2 cy of K),
// uncertainty (0 where valid), skeleton (empty), valid (default: finite 3D labels), person (0).
LabelDataset ReadDatasetNpz(const std::string& path);

// Rows `samples` of `dataset` (in that order), with the same name lists.
LabelDataset SelectSamples(const LabelDataset& dataset, const std::vector<int>& samples);

// Concatenates datasets, e.g. the per-sequence datasets of a batch. Joint names must agree;
// cameras are matched by name (the union, in order of first appearance) and their ids remapped;
// sequence names must differ between the parts (rename them first otherwise) unless
// `same_sequence_allowed` (the parts are the people of one sequence, told apart by `person`). Throws
// InputError naming the part ("dataset 2") on a conflict.
LabelDataset MergeDatasets(const std::vector<LabelDataset>& parts, bool same_sequence_allowed = false);

// Builds a dataset from known 3D poses (ground truth) seen by calibrated cameras: for every
// camera and frame where the root lies in front of the camera and at least
// `min_visible_share` of the joints project into the image, one sample whose 3D label is the
// pose in that camera's frame (uncertainty 0, valid where the pose is finite). The 2D input is
// `detections` (e.g. a simulated detector's output, [cameras][frames][joints]) when given, else
// the exact projections (confidence 1 inside the image, (0, 0, 0) outside).
struct GroundTruthDatasetOptions {
  std::string sequence_name = "seq0";
  std::string skeleton;                 // name stored in the dataset
  std::vector<std::string> joint_names; // [J]; required
  std::vector<joint_t> root_joints;     // joints whose mean is the root; required
  double min_visible_share = 0.5;
};
LabelDataset MakeGroundTruthDataset(const Rig& rig, const Points3d& points_in_world,
                                    const std::vector<int64_t>& frame_numbers, const Observations2d* detections,
                                    const GroundTruthDatasetOptions& options);

}  // namespace epilabel
