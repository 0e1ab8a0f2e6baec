// 2D-to-3D pose lifters trained with libtorch (CPU): training, evaluation, monocular lifting
// and weight export. libtorch stays behind this header (no torch types here).
//
// Models (input: one person's 2D keypoints normalised as in training/data.h; output: the
// root-relative 3D pose in the camera frame, metres, x right, y down, z forward):
//  - "mlp": Martinez et al., "A simple yet effective baseline for 3d human pose estimation",
//    ICCV 2017: linear 2J -> H, batch norm, ReLU, dropout, then residual blocks of two such
//    layers, then linear H -> 3J (H = 1024, 2 blocks, dropout 0.25).
//  - "tcn": Pavllo et al., VideoPose3D, CVPR 2019: temporal convolutions with filter width 3
//    over a window of 27, 81 or 243 frames (3, 4 or 5 layers), C channels, batch norm, ReLU,
//    dropout, residual blocks, predicting the centre frame. Trained and run in the strided
//    form (TemporalModelOptimized1f), whose weights are the dilated model's.
//  - "gcn": a small graph network over the skeleton: each layer mixes a joint's features with
//    its own weight, its neighbours' (through the normalised bone adjacency, a Boost.Graph
//    built from the skeleton's bones, in the spirit of SemGCN/GLA-GCN and of KTPFormer's
//    kinematic prior) and the mean over all joints (a global term that also links skeleton
//    parts the bones leave apart, like COCO-17's head); residual blocks, batch norm, dropout.
//  - "transformer": a spatio-temporal lifter over a window of frames after MotionAGFormer
//    (Mehraban et al., WACV 2024): per-joint tokens (linear embedding of the 2D point plus
//    learnt joint and frame positions), `transformer_depth` AGFormer blocks, each a spatial
//    part (over the joints of a frame) and a temporal part (over the frames of a joint) in
//    which half of the channels go through multi-head attention and the other half through a
//    graph convolution (spatial: the skeleton GCN of "gcn"; temporal: a k-nearest-neighbour
//    graph of the frames in feature space), fused by learnt per-token softmax weights, then a
//    channel MLP; layer norm, residuals; the centre frame's tokens give the 3D joints.
//    Options after KTPFormer (Peng et al., CVPR 2024): `kpa` applies a learnable graph
//    convolution over the kinematic skeleton (initialised to its normalised adjacency) to the
//    tokens before the spatial attention's projections, `tpa` one over a chain of frames before
//    the temporal attention's. `transformer_prune_tokens` N (HoT, Li et al., CVPR 2024): after
//    the first block only the N most representative frames (density-peak clustering of the
//    frame tokens, DPC-kNN) go through the remaining blocks, and the centre frame is recovered
//    by cross-attention from a learnt query to the kept frames. `transformer_tokens`: "parts"
//    makes a token of each body part of a frame, "frames" of each frame (fewer tokens, less
//    arithmetic per sample; the head maps a frame's tokens to all joints).
//  - "diffusion": a D3DP-style denoiser (Shan et al., ICCV 2023): a residual MLP with layer
//    norm predicts the clean pose from a noised pose, its step (cosine schedule of
//    `diffusion_timesteps`) and the 2D window; at inference H hypotheses are denoised from
//    Gaussian noise in K DDIM steps and aggregated per joint by JPMA (the hypothesis whose
//    reprojection is closest to the 2D input), their spread is the per-joint uncertainty.
//
// A run folder holds: checkpoint.pt (model, optimiser, epoch, history; rewritten atomically
// after every epoch), weights.npz (the model's state_dict as float32 arrays named as in the
// equivalent PyTorch module, see docs/training.md) and run.json (configuration and history
// for people and scripts).
//
// Reproducibility: a run is determined by its options (seed included), its data and the
// thread count (floating-point reductions in libtorch depend on the thread count). A run
// resumed from its checkpoint produces the same weights as an uninterrupted one.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "geometry/core/observations.h"
#include "foundation/progress.h"
#include "geometry/metrics/metrics.h"
#include "pseudolabel/dataset.h"
#include "training/data.h"

namespace epilabel {

struct LifterModelOptions {
  std::string type = "mlp";  // "mlp", "tcn", "gcn", "transformer" or "diffusion"
  double dropout = 0.25;     // mlp, tcn, gcn
  // mlp
  int mlp_hidden = 1024;
  int mlp_blocks = 2;
  // tcn: window of 27, 81 or 243 frames (3^layers), `tcn_channels` channels
  int tcn_receptive_field = 27;
  int tcn_channels = 1024;
  // gcn: per-joint feature width and residual blocks
  int gcn_hidden = 128;
  int gcn_blocks = 2;
  // transformer: window (odd number of frames), token width (even; each stream gets half),
  // blocks, attention heads per stream (dividing transformer_dim / 2), temporal neighbours.
  int transformer_window = 27;
  int transformer_dim = 64;
  int transformer_depth = 2;
  int transformer_heads = 4;
  int transformer_knn = 2;
  // What one token is: "joints" (a joint of a frame, MotionAGFormer's; 17 x window tokens per
  // sample for COCO-17), "parts" (a body part of a frame: torso, head, two arms, two legs, the
  // joints grouped by name, each part's 2D points embedded together; the spatial graph is the
  // parts' adjacency through the bones) or "frames" (a whole frame's pose, PoseFormer's temporal
  // tokens; only the temporal part of each block runs). The cost per sample drops with the
  // number of tokens. Without a skeleton "parts" is one part (as "frames").
  std::string transformer_tokens = "joints";
  // "parts" / "frames": each token's embedding is a two-layer MLP over its joints' 2D
  // (Linear(in, C), GELU, Linear(C, C)) instead of one linear map: a spatial encoding of the
  // pose folded into the token (PoseFormer's spatial transformer, Zheng et al., ICCV 2021, and
  // MixSTE's spatial stream, Zhang et al., CVPR 2022, reduced to a per-token MLP). Not with
  // "joints" (a joint's 2D point has nothing to mix).
  bool transformer_pose_mlp = false;
  bool kpa = false;  // KTPFormer's kinematic prior attention (not with "frames")
  bool tpa = false;  // KTPFormer's trajectory (temporal) prior attention
  // MotionAGFormer's sequence-to-sequence training: the MPJPE loss over every frame of the window
  // (the head applied to every frame's tokens, each frame root-relative) instead of the centre
  // frame's only; inference still predicts the centre frame. Transformer without pruning only.
  bool transformer_sequence_loss = false;
  // HoT's token pruning: after the first block keep this many frames (density-peak clustering),
  // recover the centre frame by cross-attention from a learnt query; 0 = off. Needs depth >= 2.
  int transformer_prune_tokens = 0;
  // diffusion: window (odd) of the 2D condition, denoiser width and residual blocks, steps of
  // the noise schedule.
  int diffusion_window = 9;
  int diffusion_hidden = 256;
  int diffusion_blocks = 3;
  int diffusion_timesteps = 100;
  // UAO (Wang et al., "Uncertainty-aware testing-time optimization for 3D human pose
  // estimation", 2024): a head predicts each joint's log sigma (from the 2D centre frame and the
  // detached prediction), trained by the Laplace NLL |e| / sigma + log sigma of the detached
  // error e, so sigma estimates the expected joint error (metres); the lifter keeps its loss.
  // Not for "diffusion" (its hypotheses' spread is its uncertainty).
  bool uncertainty_head = false;
  // PersPose (Hao and Li, ICCV 2025): each window is rotated about the camera centre so that
  // the ray through the centre frame's 2D root becomes the optical axis (input re-projected with
  // the same intrinsics, target rotated alike); the prediction is rotated back. Needs K.
  bool perspective = false;
  // PersPose's perspective encoding, for a lifter: every joint's input gets two more channels,
  // its ray K^-1 (x, y, 1) on the plane z = 1 (the camera's intrinsics applied to the detected
  // pixel; (0, 0) for a missing joint), after the augmentations and the perspective rotation.
  // With the normalised pixel (u, v) beside it, the model can tell the focal length and the
  // principal point. Needs K. Off: the input is [b, T, J, 2] as before; on: [b, T, J, 4].
  bool perspective_encoding = false;

  // Channels per joint of the model's input: 2 (normalised pixel), 4 with perspective_encoding.
  int InputChannels() const { return perspective_encoding ? 4 : 2; }
  // Frames per input window (the tcn's receptive field, the transformer's or diffusion's window;
  // 1 for mlp and gcn).
  int WindowLength() const;
  // Throws InputError("--model"/..., ...) for unknown types or out-of-range sizes.
  void Check() const;
};

struct LossOptions {
  double mpjpe_weight = 1.0;          // (uncertainty-)weighted MPJPE
  double n_mpjpe_weight = 0.0;        // scale-normalised MPJPE, for labels of uncertain scale
  double bone_symmetry_weight = 0.0;  // |left bone length - right bone length|, on predictions
  LabelWeightOptions label_weights;   // masks and per-joint uncertainty weights
  void Check() const;
};

struct EpochSummary {
  int epoch = 0;                  // 1-based
  double train_loss = 0.0;        // mean total loss over the epoch's batches
  double val_mpjpe_mm = kNaN;     // MPJPE on the validation set, NaN without one
  double learning_rate = 0.0;     // at the epoch's first batch
  int64_t samples = 0;            // training samples seen in the epoch
  double seconds = 0.0;           // wall time of the epoch (not part of any result)
};

struct TrainOptions {
  LifterModelOptions model;
  LossOptions loss;
  AugmentOptions augment;
  int epochs = 20;
  int batch_size = 256;
  double learning_rate = 1e-3;
  double lr_decay = 0.95;  // learning rate multiplied by this after every epoch ("exponential")
  // How the rate moves over the run: "exponential" (learning_rate x lr_decay^(epoch - 1), set
  // per epoch) or "cosine" (SGDR's / the transformers' schedule without restarts: from
  // learning_rate down to 0 along half a cosine over the run's `epochs`, set per batch;
  // lr_decay unused).
  std::string lr_schedule = "exponential";
  // Linear warm-up (either schedule), in epochs, fractional allowed: during the first
  // lr_warmup_epochs the rate is the schedule's times (epochs done, batches counted) /
  // lr_warmup_epochs. 0 = none.
  double lr_warmup_epochs = 0.0;
  // Each epoch draws at most this many training samples (0 = all), for quick runs.
  int max_samples_per_epoch = 0;
  uint64_t seed = 1;
  int num_threads = 1;  // libtorch intra-op threads
  // Output folder. Without `resume` it must not hold a run yet, unless `overwrite`.
  std::string run_dir;
  bool resume = false;     // continue the run in run_dir up to `epochs` (model options must match)
  bool overwrite = false;  // replace an existing run
  // Masked pose pre-training (MPM, Zhang et al., "A unified 2D-3D human pose representation via
  // masked pose modeling", 2023): "" = off, "masked" = the first `pretrain_epochs` epochs run
  // over every sample, labelled or not, with joints (rate `mask_joint_rate`) and frames other
  // than the centre (rate `mask_frame_rate`) of the 2D input masked; the loss is the 3D MPJPE
  // where a label exists plus `pretrain_2d_weight` times the 2D reconstruction error of the
  // unmasked centre frame from the prediction (scale-aligned orthographic projection, in
  // normalised image units). The remaining epochs fine-tune on the labelled samples as usual.
  std::string pretrain;
  int pretrain_epochs = 0;
  double mask_joint_rate = 0.25;
  double mask_frame_rate = 0.25;
  double pretrain_2d_weight = 1.0;
  // MPM's masked 3D pose modelling (0 = off): every pre-training step also completes the 3D
  // poses of `batch_size` labelled samples (drawn with replacement) from their own 3D with
  // joints and frames masked at the rates above: the window's labelled 3D (root-relative,
  // camera frame, masked and unlabelled joints 0) goes through a pre-training-only linear stem
  // (3J -> InputChannels() x J per frame, not part of the saved model) into the model, whose
  // centre-frame prediction is scored by the MPJPE against the full 3D, times this weight.
  // The stem and its Adam state are not checkpointed: a run resumed inside its pre-training
  // epochs starts a new stem.
  double pretrain_3d_weight = 0.0;
  // Motion capture for the masked 3D pretext ("" = off; needs pretrain_3d_weight > 0 and COCO-17
  // data): a folder of CMU BVH clips (training/mocap_poses.h) whose 3D poses, without 2D, join
  // the labelled samples the pretext draws from (uniformly over labelled samples and mocap
  // frames), root-relative and seen from a camera with a random yaw and a pitch in
  // [0, pretrain_motion_max_pitch_deg] down; sampled at pretrain_motion_fps (frames per second,
  // the labels' rate for temporal windows).
  std::string pretrain_motions;
  double pretrain_motion_fps = 30.0;
  double pretrain_motion_max_pitch_deg = 20.0;
  // 2D poses of the target domain for global position alignment (empty: the validation set's).
  GpaReference gpa_reference;
  // Called after every epoch (the CLI prints a line).
  std::function<void(const EpochSummary&)> on_epoch;

  void Check() const;
};

struct TrainSummary {
  std::string model;              // model type
  int64_t num_parameters = 0;
  int num_train_samples = 0;
  int num_val_samples = 0;
  int first_epoch = 1;            // 1 for a fresh run, later when resumed
  int epochs_completed = 0;       // total, including earlier runs
  std::vector<EpochSummary> history;  // every epoch of the run, earlier ones included
  double final_val_mpjpe_mm = kNaN;
  double samples_per_second = 0.0;    // training throughput of this call
  std::string run_dir;
  std::string BriefReport() const;
};

// Trains a lifter on `train` and validates it on `val` (may be empty) after every epoch,
// writing the run folder. `progress` gets one stage per epoch ("epoch 3/20") with the batches
// as items. Throws InputError for bad options, an unusable dataset (no labelled samples, a
// skeleton needed for flipping/the gcn/symmetry that cannot be identified) or a run folder
// conflict; std::runtime_error when files cannot be written.
TrainSummary TrainLifter(const TrainOptions& options, const LabelDataset& train, const LabelDataset& val,
                         const ProgressCallback& progress = {});

// The learning rate of `options`' schedule (learning_rate, lr_decay, lr_schedule,
// lr_warmup_epochs) for batch `batch` (0-based) of `num_batches` in epoch `epoch` (1-based).
// Warm-up counts the batch itself (the first batch gets a positive rate); the exponential
// schedule without warm-up is learning_rate x lr_decay^(epoch - 1) for every batch.
double ScheduledLearningRate(const TrainOptions& options, int epoch, int batch, int num_batches);

// A start rate, schedule and warm-up (TrainOptions' learning_rate, lr_schedule, lr_warmup_epochs).
struct LearningRateSchedule {
  double learning_rate = 1e-3;
  std::string lr_schedule = "exponential";
  double lr_warmup_epochs = 0.0;
};
// The schedule `train` gives `model` for a run of `epochs` when no rate, schedule or warm-up is
// asked for. The transformer with frame tokens: 2e-3, "cosine", a warm-up of 2 epochs (at most a
// tenth of the run), which beat the 0.95 decay by 20 % at 50 epochs on the studio (measured with
// width 128, depth 1, window 9; docs/training.md, *A cosine schedule*). Every other model:
// TrainOptions' defaults (1e-3, "exponential" with lr_decay, no warm-up). TrainOptions' own
// defaults do not depend on the model: library callers pick this up explicitly.
LearningRateSchedule DefaultLearningRateSchedule(const LifterModelOptions& model, int epochs);

// What a run folder holds, from run.json.
struct RunInfo {
  LifterModelOptions model;
  std::string skeleton;
  std::vector<std::string> joint_names;
  int epochs_completed = 0;
  int64_t num_parameters = 0;
  std::vector<EpochSummary> history;
};
// Throws InputError naming the folder when it is not a run.
RunInfo ReadRunInfo(const std::string& run_dir);

// Trainable parameters of a model for `num_joints` joints; `skeleton` (a name, optional) gives
// the transformer's body parts (without it "parts" counts one part).
int64_t CountParameters(const LifterModelOptions& model, int num_joints, const std::string& skeleton = {});

struct InferenceOptions {
  int num_threads = 1;
  int batch_size = 1024;
  bool test_time_flip = false;  // average with the prediction of the mirrored input
  // diffusion only: hypotheses H and DDIM steps K per hypothesis; with H > 1 the hypotheses
  // are aggregated per joint by JPMA (needs the intrinsics and the root: a dataset's K and
  // root_cam, or for LiftPoses the track's K and a root fitted to the 2D), else averaged.
  int hypotheses = 1;
  int steps = 5;
  bool jpma = true;
  uint64_t seed = 1;  // the hypotheses' noise (results depend on it and on batch_size)
  // UAO-style test-time optimisation of the 3D output (needs intrinsics; see
  // RefineByReprojection in training/hypotheses.h): `refine_steps` Gauss-Newton steps on the
  // reprojection error (sigma `refine_pixel_sigma` pixels) plus the learnt prior, a Gaussian
  // about the prediction with the model's per-joint sigma (uncertainty_head), else
  // `refine_prior_sigma_m`.
  bool refine = false;
  int refine_steps = 3;
  double refine_pixel_sigma = 5.0;
  double refine_prior_sigma_m = 0.05;
  void Check() const;  // throws InputError naming "hypotheses" / "steps" / "refine_steps" / ...
};

struct EvaluationSummary {
  BodyPoseMetrics metrics;
  int num_samples = 0;
  std::string BriefReport() const;
};

// Lifts every sample of `dataset` with the run's model and scores the root-relative
// predictions against the dataset's labels (points3d_cam - root_cam, masked by `valid`) with
// every metric of geometry/metrics (root joints from the skeleton). Throws InputError when the
// dataset's joints differ from the run's.
EvaluationSummary EvaluateLifter(const std::string& run_dir, const LabelDataset& dataset,
                                 const InferenceOptions& options = {}, BodyPoseMetricsOptions metrics = {});

// Root-relative predictions for every sample of `dataset`: [samples, joints], camera frame,
// metres. With `uncertainty_m`, it receives the per-joint uncertainty: the predicted sigma of a
// model with an uncertainty head, else the spread of the hypotheses (metres; 0 with one).
Points3d PredictDataset(const std::string& run_dir, const LabelDataset& dataset, const InferenceOptions& options = {},
                        FrameJointArray<double>* uncertainty_m = nullptr);

// One camera's 2D keypoints over time.
struct Track2d {
  int width = 0, height = 0;                // image size, pixels
  int num_joints = 0;
  std::vector<Eigen::Vector3d> keypoints;   // [frames * joints] (x px, y px, confidence)
  Eigen::Matrix3d K = Eigen::Matrix3d::Zero();  // intrinsics; zero when unknown (JPMA needs them)
  int num_frames() const { return num_joints > 0 ? static_cast<int>(keypoints.size()) / num_joints : 0; }
};

// Monocular lifting: the root-relative 3D pose of every frame, camera frame, metres (x right,
// y down, z forward); NaN for frames without any observed joint. Temporal models see the
// frames of the track as consecutive. With `uncertainty_m`: the per-joint sigma of a model with
// an uncertainty head, else the spread of the diffusion lifter's hypotheses, metres (NaN where
// the pose is). `refine`, `perspective` and `perspective_encoding` models need the track's
// intrinsics. Throws InputError when the joint count differs from the run's, the image size is
// unknown, or JPMA lacks intrinsics.
Points3d LiftPoses(const std::string& run_dir, const Track2d& track, const InferenceOptions& options = {},
                   FrameJointArray<double>* uncertainty_m = nullptr);

// Writes the run's model weights as an .npz of float32 (int64 for batch-norm counters)
// arrays named like the PyTorch state_dict. TrainLifter already writes RUN/weights.npz.
void ExportWeightsNpz(const std::string& run_dir, const std::string& npz_path);

}  // namespace epilabel
