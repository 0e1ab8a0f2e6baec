// Data preparation for the 2D-to-3D lifters (no libtorch here): input normalisation,
// root-relative targets with loss weights, the train/validation split by sequence, temporal
// windows, and the augmentations (horizontal flip, virtual cameras, global position alignment).
//
// Conventions: 2D inputs are normalised by the image size as VideoPose3D does,
//   u = x / w * 2 - 1,   v = y / w * 2 - h / w        (x, y pixels; w, h image size),
// so u spans [-1, 1] across the width and v keeps the aspect ratio; a missing joint
// (confidence 0) is input as (0, 0). 3D targets are the camera-frame label minus the root
// (root_cam), in metres (x right, y down, z forward). Every random choice is drawn from a
// std::mt19937_64 that the caller seeds, with portable integer-based sampling, so batches are
// identical for a seed on every platform and thread count.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "geometry/core/types.h"
#include "pseudolabel/dataset.h"

namespace epilabel {

struct Skeleton;

// VideoPose3D's screen normalisation and its inverse.
Eigen::Vector2d NormalizeScreen(const Eigen::Vector2d& pixel, int width, int height);
Eigen::Vector2d UnnormalizeScreen(const Eigen::Vector2d& normalized, int width, int height);

// The skeleton a dataset uses: by its `skeleton` name, else the defined skeleton whose joint
// names equal the dataset's; nullptr when none matches. Throws InputError for an unknown name.
const Skeleton* FindDatasetSkeleton(const LabelDataset& dataset);

// How the loss weight of each labelled joint is derived.
struct LabelWeightOptions {
  // Weight valid joints by their label uncertainty u (metres): w = 1 / (1 + (u / scale)^2);
  // otherwise (or where u is unknown) w = 1. Invalid joints always get 0.
  bool use_uncertainty = true;
  double uncertainty_scale = 0.02;
};

// The samples of a dataset in the form the batches are cut from.
struct LifterData {
  int num_joints = 0;
  std::vector<Eigen::Vector3d> keypoints;  // [N * J] pixels and confidence, as in the dataset
  std::vector<Eigen::Vector3d> target;     // [N * J] root-relative 3D, metres; 0 where not labelled
  std::vector<float> weight;               // [N * J] loss weight in [0, 1]; 0 where not labelled
  std::vector<uint8_t> valid;              // [N * J] label usable
  std::vector<Eigen::Vector3d> root_cam;   // [N]
  std::vector<Eigen::Matrix3d> K;          // [N]
  std::vector<Eigen::Vector2i> image_size; // [N]
  // Temporal order: samples grouped into tracks (one per sequence and camera), each sorted by
  // frame number; track_of[n] and position_of[n] locate sample n.
  std::vector<std::vector<int>> tracks;
  std::vector<int> track_of, position_of;

  int num_samples() const { return static_cast<int>(root_cam.size()); }
};

LifterData PrepareLifterData(const LabelDataset& dataset, const LabelWeightOptions& options = {});

// The `window` (odd) samples centred on sample n in its track, repeating the first / last sample
// of the track beyond its ends (as VideoPose3D pads sequences). window = 1 gives {n}.
std::vector<int> TemporalWindow(const LifterData& data, int sample, int window);

// Train / validation rows of a dataset, split by sequence.
struct DataSplit {
  std::vector<int> train, validation;
  std::vector<std::string> validation_sequences;
  bool split_in_time = false;  // one sequence only: its last frames became the validation set
};
// `validation_sequences` names the validation sequences explicitly; otherwise a share
// `validation_fraction` of the sequences (at least one, evenly spread over the names in sorted
// order) is held out. A dataset with a single sequence is split in time instead: the last
// `validation_fraction` of its frame numbers. Throws InputError for unknown names.
DataSplit SplitBySequence(const LabelDataset& dataset, double validation_fraction,
                          const std::vector<std::string>& validation_sequences = {});

// Augmentation of training batches.
struct AugmentOptions {
  // Probability of mirroring a sample: image x -> 2 cx - x, 3D x -> -x, left and right joints
  // swapped (Skeleton::FlipPermutation).
  double flip_probability = 0.5;
  // Share of samples re-rendered from a virtual camera: the 3D label (all frames of a window)
  // is rotated about the root (yaw about the camera's vertical axis, pitch, roll), placed in
  // front of a random pinhole camera and projected to make a new 2D input.
  double virtual_camera_rate = 0.0;
  bool virtual_rotation = true;
  double virtual_max_yaw_deg = 180.0;
  double virtual_max_pitch_deg = 20.0;
  double virtual_max_roll_deg = 5.0;
  double virtual_min_distance = 2.5;  // root depth, metres
  double virtual_max_distance = 7.0;
  double virtual_min_fov_deg = 40.0;  // horizontal field of view of the virtual camera
  double virtual_max_fov_deg = 80.0;
  // PoseDA's global position alignment: a virtual camera places the root where the target
  // domain's people are: the 2D root position and 2D pose size of a random reference pose
  // (see GpaReference) set the root's pixel and its depth.
  bool global_position_alignment = false;

  void Check() const;  // throws std::invalid_argument
};

// Root positions and sizes of target-domain 2D poses, as fractions of the image width.
struct GpaReference {
  std::vector<Eigen::Vector3d> root_and_size;  // (root x / w, root y / w, rms radius / w)
  bool empty() const { return root_and_size.empty(); }
};
// From 2D keypoints [N * J] with their image sizes; poses without both root joints or with
// fewer than 4 observed joints are skipped.
GpaReference MakeGpaReference(const std::vector<Eigen::Vector3d>& keypoints, int num_joints,
                              const std::vector<Eigen::Vector2i>& image_size, const std::vector<joint_t>& root_joints);

// One batch, ready to copy into tensors.
struct Batch {
  int size = 0, window = 1, num_joints = 0;
  std::vector<float> input;   // [size][window][J][2] normalised 2D
  std::vector<float> target;  // [size][J][3] root-relative 3D of the centre frame, metres
  std::vector<float> weight;  // [size][J]
  // Every frame's root-relative 3D and weights, [size][window][J][3] and [size][window][J]
  // (the centre frame's are target and weight); filled only when MakeBatch is asked to.
  std::vector<float> window_target, window_weight;
  // The camera each sample ended up in (after augmentation), for the centre frame.
  std::vector<Eigen::Vector3d> root_cam;
  std::vector<Eigen::Matrix3d> K;
  std::vector<Eigen::Vector2i> image_size;
  std::vector<uint8_t> flipped, virtual_camera;  // [size]
};

// Cuts the batch of `samples` (centre frames) with windows of `window` frames. With `rng`
// nullptr nothing is augmented; otherwise `augment` applies, with `flip_permutation` (required
// when flipping) and `gpa` (required for global position alignment). With `window_targets` the
// batch also holds every frame's 3D (window_target / window_weight), augmented alike.
Batch MakeBatch(const LifterData& data, const std::vector<int>& samples, int window, const AugmentOptions& augment,
                std::mt19937_64* rng, const std::vector<joint_t>& flip_permutation = {},
                const GpaReference* gpa = nullptr, bool window_targets = false);

// PersPose's perspective normalisation (Hao et al., 2025), in place: each sample's window is
// seen by its camera rotated about its centre so that the ray through the centre frame's 2D root
// (the mean of `root_joints`' keypoints, else of every keypoint) becomes the optical axis. The
// 2D input is re-projected with the same intrinsics (x' ~ K R K^-1 x), the target and root_cam
// (and window_target, when filled) are rotated (R X); missing joints, input as exactly (0, 0), stay missing. Returns R
// (rotated_from_camera) per sample, identity where no joint is observed; predictions go back to
// the camera frame by R^T. Throws InputError("intrinsics", ...) when a sample's K is unknown.
std::vector<Eigen::Matrix3d> PerspectiveNormalize(Batch* batch, const std::vector<joint_t>& root_joints);
// The rotation that takes the direction `ray` onto the optical axis (0, 0, 1) by the shortest arc.
Eigen::Matrix3d RotationToOpticalAxis(const Eigen::Vector3d& ray);

// PersPose's perspective encoding (Hao and Li, ICCV 2025) for a lifter's input: for every
// sample, frame and joint the ray of its pixel through the sample's camera on the plane z = 1,
// K^-1 (x, y, 1) = (X / Z, Y / Z), as [size][window][J][2] beside batch.input; (0, 0) where the
// joint is missing (input exactly (0, 0)). Call it after the augmentations and the perspective
// rotation (it reads batch.input, batch.K and batch.image_size). Throws
// InputError("intrinsics", ...) when a sample's K is unknown.
std::vector<float> PerspectiveEncoding(const Batch& batch);

// Masked pose modelling's input masks (MPM), in place: with probability `frame_rate` every
// frame of a window other than the centre, and with probability `joint_rate` every remaining
// joint, is set to missing (0, 0). Draws one number per frame and per joint from `rng`.
void MaskBatchInput(Batch* batch, double joint_rate, double frame_rate, std::mt19937_64& rng);

// MPM's masked 3D pose modelling: the labelled 3D of `samples`' windows with joints and frames
// masked, to be completed by the model.
struct PoseBatch3d {
  int size = 0, window = 1, num_joints = 0;
  std::vector<float> input;   // [size][window][J][3] root-relative 3D (metres); 0 where masked or unlabelled
  std::vector<float> target;  // [size][J][3] the centre frame's 3D label, unmasked; 0 where unlabelled
  std::vector<float> weight;  // [size][J] the centre frame's loss weights

  PoseBatch3d() = default;
  // Zero input and target, every weight `weight_value`.
  PoseBatch3d(int batch_size, int window_frames, int joints, float weight_value);
};
// The windows (`window` frames, TemporalWindow) of `samples`, no augmentation; masks drawn as
// MaskBatchInput draws them (every frame but the centre with probability `frame_rate`, then
// every joint with probability `joint_rate`; one number per frame and per joint from `rng`).
PoseBatch3d MakeMaskedPoseBatch(const LifterData& data, const std::vector<int>& samples, int window, double joint_rate,
                                double frame_rate, std::mt19937_64& rng);

// A uniform integer in [0, n) and a uniform double in [0, 1) from the generator (portable).
int64_t UniformIndex(std::mt19937_64& rng, int64_t n);
double Uniform01(std::mt19937_64& rng);
// A deterministic shuffle (Fisher-Yates with UniformIndex).
void Shuffle(std::vector<int>* values, std::mt19937_64& rng);

}  // namespace epilabel
