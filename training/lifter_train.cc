// TrainLifter: the training loop of the lifters, in named steps (checks, data, run folder,
// epochs, batches).
#include <torch/optim/adam.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>

#include "detection/skeleton.h"
#include "foundation/error.h"
#include "training/lifter.h"
#include "training/lifter_inference.h"
#include "training/lifter_losses.h"
#include "training/lifter_models.h"
#include "training/lifter_run_files.h"
#include "training/mocap_poses.h"

namespace epilabel {

namespace fs = std::filesystem;

namespace lifter {
namespace {

// Seeds derived from the run seed and the epoch, so a resumed run draws what an uninterrupted
// one would have drawn.
uint64_t MixSeed(uint64_t seed, uint64_t stream) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Checks the options and data; returns the skeleton (null when none is known and none is needed).
const Skeleton* CheckTrainingInput(const TrainOptions& options, const LabelDataset& train, const LabelDataset& val) {
  options.Check();
  train.Check("training data");
  if (val.num_samples() > 0) {
    val.Check("validation data");
    if (val.joint_names != train.joint_names) throw InputError("validation data", "joints differ from the training data's");
  }
  const Skeleton* skeleton = FindDatasetSkeleton(train);
  const std::string& type = options.model.type;
  const bool needs_skeleton = options.augment.flip_probability > 0.0 || type == "gcn" ||
                              options.loss.bone_symmetry_weight > 0.0;
  if (needs_skeleton && skeleton == nullptr) {
    throw InputError("training data", "its joints match no known skeleton, which flipping, the gcn and the bone "
                                      "symmetry loss need (switch those off or name the skeleton in the dataset)");
  }
  return skeleton;
}

// The samples with at least one labelled joint.
std::vector<int> LabelledSamples(const LifterData& data) {
  std::vector<int> samples;
  const int num_joints = data.num_joints;
  for (int s = 0; s < data.num_samples(); ++s) {
    bool labelled = false;
    for (int k = 0; k < num_joints && !labelled; ++k) labelled = data.weight[static_cast<size_t>(s) * num_joints + k] > 0.0f;
    if (labelled) samples.push_back(s);
  }
  if (samples.size() < 2) throw InputError("training data", "fewer than two samples carry a 3D label");
  return samples;
}

// The target domain of global position alignment: given, else the validation set's 2D.
GpaReference GpaForTraining(const TrainOptions& options, const LabelDataset& val, const std::vector<joint_t>& root_joints) {
  GpaReference gpa = options.gpa_reference;
  if (options.augment.global_position_alignment && options.augment.virtual_camera_rate > 0.0 && gpa.empty()) {
    gpa = MakeGpaReference(val.keypoints2d, val.num_joints(), val.image_size, root_joints);
    if (gpa.empty()) {
      throw InputError("global position alignment", "no target 2D poses (give a reference or a validation set with "
                                                    "visible root joints)");
    }
  }
  return gpa;
}

// run.json's description of the run after `epochs_completed` epochs.
json RunDescription(const TrainOptions& options, const LabelDataset& train, const Skeleton* skeleton,
                    const TrainSummary& summary, int epochs_completed) {
  json augment = {{"flip_probability", options.augment.flip_probability},
                  {"virtual_camera_rate", options.augment.virtual_camera_rate},
                  {"virtual_rotation", options.augment.virtual_rotation},
                  {"global_position_alignment", options.augment.global_position_alignment}};
  json loss = {{"mpjpe_weight", options.loss.mpjpe_weight},
               {"n_mpjpe_weight", options.loss.n_mpjpe_weight},
               {"bone_symmetry_weight", options.loss.bone_symmetry_weight},
               {"use_uncertainty", options.loss.label_weights.use_uncertainty},
               {"uncertainty_scale", options.loss.label_weights.uncertainty_scale}};
  return json{{"format", "epilabel-lifter-run"},
              {"version", 1},
              {"model", ModelToJson(options.model)},
              {"skeleton", skeleton != nullptr ? skeleton->name : train.skeleton},
              {"joint_names", train.joint_names},
              {"num_parameters", summary.num_parameters},
              {"input", {{"layout", "[batch, window, joints, 2]"},
                         {"normalisation", "VideoPose3D: x / w * 2 - 1, y / w * 2 - h / w; missing joints 0"}}},
              {"output", {{"layout", "[batch, joints, 3]"}, {"units", "metres, camera frame, root-relative"}}},
              {"training", {{"epochs", options.epochs},
                            {"batch_size", options.batch_size},
                            {"learning_rate", options.learning_rate},
                            {"lr_decay", options.lr_decay},
                            {"lr_schedule", options.lr_schedule},
                            {"lr_warmup_epochs", options.lr_warmup_epochs},
                            {"max_samples_per_epoch", options.max_samples_per_epoch},
                            {"seed", options.seed},
                            {"num_threads", options.num_threads},
                            {"loss", loss},
                            {"augment", augment},
                            {"pretrain", {{"kind", options.pretrain},
                                          {"epochs", options.pretrain_epochs},
                                          {"mask_joint_rate", options.mask_joint_rate},
                                          {"mask_frame_rate", options.mask_frame_rate},
                                          {"weight_2d", options.pretrain_2d_weight},
                                          {"weight_3d", options.pretrain_3d_weight},
                                          {"motions", options.pretrain_motions},
                                          {"motion_fps", options.pretrain_motion_fps},
                                          {"motion_max_pitch_deg", options.pretrain_motion_max_pitch_deg}}}}},
              {"epochs_completed", epochs_completed},
              {"history", HistoryToJson(summary.history)}};
}

// Continues the run in options.run_dir when asked (model, optimiser, history); returns the
// epochs completed before. Throws InputError for a run folder conflict.
int OpenRun(const TrainOptions& options, const LabelDataset& train, const std::shared_ptr<LifterNetImpl>& model,
            torch::optim::Adam* optimizer, TrainSummary* summary) {
  std::error_code ec;
  const bool has_run = fs::exists(CheckpointPath(options.run_dir), ec);
  if (has_run && !options.resume && !options.overwrite) {
    throw InputError(options.run_dir, "already holds a training run; give `resume` to continue it or `overwrite` to "
                                      "replace it");
  }
  if (!has_run || !options.resume) return 0;
  const LoadedRun previous = LoadRun(options.run_dir, optimizer, model);
  if (ModelToJson(previous.model_options) != ModelToJson(options.model)) {
    throw InputError(options.run_dir, "the run was trained with other model options (" +
                                          previous.meta.at("model").dump() + "); resume with the same ones");
  }
  if (previous.joint_names != train.joint_names) {
    throw InputError(options.run_dir, "the run was trained on other joints than this dataset's");
  }
  summary->history = HistoryFromJson(previous.meta.at("history"));
  return previous.meta.at("epochs_completed").get<int>();
}

// What every epoch needs.
struct Trainer {
  const TrainOptions& options;
  const LifterData& train_data;
  const std::vector<int>& train_samples;
  int window = 1;
  std::vector<joint_t> flip_permutation;
  GpaReference gpa;
  BonePairs bone_pairs;
  std::vector<joint_t> root_joints;
  std::vector<int> all_samples;  // masked pre-training runs over every sample
  std::shared_ptr<LifterNetImpl> model;
  torch::optim::Adam* optimizer = nullptr;
  // Masked 3D pose modelling (pretrain_3d_weight > 0): the stem from a frame's 3D pose [3J] to
  // the model's input [C x J], and its own optimiser (neither is part of the run).
  torch::nn::Linear pose_stem{nullptr};
  std::unique_ptr<torch::optim::Adam> stem_optimizer;
  MocapPoses mocap{};  // pretrain_motions' poses (none without)
};

// pretrain_motions' poses; throws InputError unless the data are COCO-17.
MocapPoses PretrainMotions(const TrainOptions& options, const Skeleton* skeleton) {
  if (options.pretrain_motions.empty()) return {};
  if (skeleton == nullptr || skeleton->name != "coco17") {
    throw InputError("pretrain_motions", "motion capture is mapped to COCO-17, but the training data's joints are not");
  }
  return ReadMocapPoses(options.pretrain_motions, options.pretrain_motion_fps, skeleton->root);
}

// MPM's masked 3D pose modelling: `batch_size` labelled samples drawn with replacement, their
// windows' 3D masked, through the stem and the model; the MPJPE of the completed centre frame.
torch::Tensor MaskedPoseLoss(const Trainer& t, std::mt19937_64& rng) {
  const TrainOptions& options = t.options;
  // Drawn uniformly over the labelled samples and the mocap frames (none without pretrain_motions).
  const int64_t labelled = static_cast<int64_t>(t.train_samples.size());
  std::vector<int> chunk, mocap_frames;
  for (int i = 0; i < options.batch_size; ++i) {
    const int64_t d = UniformIndex(rng, labelled + t.mocap.num_frames());
    if (d < labelled) chunk.push_back(t.train_samples[d]);
    else mocap_frames.push_back(static_cast<int>(d - labelled));
  }
  PoseBatch3d p = MakeMaskedPoseBatch(t.train_data, chunk, t.window, options.mask_joint_rate, options.mask_frame_rate, rng);
  const int64_t w = p.window, j = p.num_joints;
  // Copies: the graph keeps these tensors until the backward pass, after `p` is gone.
  torch::Tensor pose = torch::from_blob(p.input.data(), {p.size, w, 3 * j}, torch::kFloat32).clone();
  torch::Tensor target = torch::from_blob(p.target.data(), {p.size, j, 3}, torch::kFloat32).clone();
  torch::Tensor weight = torch::from_blob(p.weight.data(), {p.size, j}, torch::kFloat32).clone();
  if (!mocap_frames.empty()) {
    PoseBatch3d m = MakeMaskedMocapBatch(t.mocap, mocap_frames, t.window, options.mask_joint_rate,
                                         options.mask_frame_rate, options.pretrain_motion_max_pitch_deg, rng);
    pose = torch::cat({pose, torch::from_blob(m.input.data(), {m.size, w, 3 * j}, torch::kFloat32)});
    target = torch::cat({target, torch::from_blob(m.target.data(), {m.size, j, 3}, torch::kFloat32)});
    weight = torch::cat({weight, torch::from_blob(m.weight.data(), {m.size, j}, torch::kFloat32)});
  }
  const int64_t n = options.batch_size;
  const torch::Tensor input = t.pose_stem.ptr()->forward(pose).reshape({n, w, j, options.model.InputChannels()});
  return WeightedMpjpe(t.model->TrainingForward(input, target), target, weight);
}

// The 2D input of every sample's centre frame [size, J, 2] and its mask [size, J] (1 where
// observed), copied before masking: the pre-training's reconstruction target.
std::pair<torch::Tensor, torch::Tensor> CentreFrameInput(Batch& batch) {
  const torch::Tensor centre = InputTensor(batch).select(1, batch.window / 2).clone();
  const torch::Tensor mask = (centre.abs().sum(-1) > 0).to(torch::kFloat32);
  return {centre, mask};
}

// The total loss of one batch (forward pass included); in a pre-training epoch the input is
// masked first and the 2D reconstruction term is added.
torch::Tensor BatchLoss(const Trainer& t, Batch& batch, bool pretraining, std::mt19937_64& rng) {
  const int num_joints = batch.num_joints;
  const TrainOptions& options = t.options;
  const LossOptions& o = options.loss;
  if (options.model.perspective) PerspectiveNormalize(&batch, t.root_joints);
  std::pair<torch::Tensor, torch::Tensor> centre;
  if (pretraining) {
    centre = CentreFrameInput(batch);
    MaskBatchInput(&batch, options.mask_joint_rate, options.mask_frame_rate, rng);
  }
  const torch::Tensor input = ModelInput(batch, options.model.perspective_encoding);
  const torch::Tensor target = torch::from_blob(batch.target.data(), {batch.size, num_joints, 3}, torch::kFloat32);
  const torch::Tensor weight = torch::from_blob(batch.weight.data(), {batch.size, num_joints}, torch::kFloat32);
  torch::Tensor loss = torch::zeros({}, torch::kFloat32);
  torch::Tensor pred;
  if (options.model.transformer_sequence_loss) {
    // MotionAGFormer: the MPJPE over every frame of the window; the other terms on the centre frame.
    const torch::Tensor all = t.model->ForwardAllFrames(input);
    pred = all.select(1, batch.window / 2);
    const int64_t n = static_cast<int64_t>(batch.size) * batch.window;
    const torch::Tensor all_target = torch::from_blob(batch.window_target.data(), {n, num_joints, 3}, torch::kFloat32);
    const torch::Tensor all_weight = torch::from_blob(batch.window_weight.data(), {n, num_joints}, torch::kFloat32);
    if (o.mpjpe_weight > 0.0) {
      loss = loss + o.mpjpe_weight * WeightedMpjpe(all.reshape({n, num_joints, 3}), all_target, all_weight);
    }
  } else {
    pred = t.model->TrainingForward(input, target);
    if (o.mpjpe_weight > 0.0) loss = loss + o.mpjpe_weight * WeightedMpjpe(pred, target, weight);
  }
  // The uncertainty head learns from the detached error: the lifter's gradient stays the MPJPE's
  // (training the lifter through the likelihood, as UAO does, was 19 % worse on the studio).
  const torch::Tensor log_sigma = t.model->LogSigma(input, pred);
  if (log_sigma.defined()) loss = loss + WeightedLaplaceNll(pred.detach(), target, log_sigma, weight);
  if (o.n_mpjpe_weight > 0.0) loss = loss + o.n_mpjpe_weight * WeightedNMpjpe(pred, target, weight);
  if (o.bone_symmetry_weight > 0.0 && !t.bone_pairs.empty()) {
    loss = loss + o.bone_symmetry_weight * BoneSymmetryLoss(pred, t.bone_pairs);
  }
  if (pretraining && options.pretrain_2d_weight > 0.0) {
    loss = loss + options.pretrain_2d_weight * Reconstruction2dError(pred, centre.first, centre.second);
  }
  if (pretraining && options.pretrain_3d_weight > 0.0) loss = loss + options.pretrain_3d_weight * MaskedPoseLoss(t, rng);
  return loss;
}

// Sets the rate of the model's optimiser and of the pre-training stem's.
void SetLearningRate(Trainer& t, double lr) {
  for (auto& group : t.optimizer->param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
  if (t.stem_optimizer) {
    for (auto& group : t.stem_optimizer->param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
  }
}

// One epoch of training (1-based `epoch`): shuffled batches, Adam steps. Fills the loss, the
// learning rate and the samples of the summary.
EpochSummary TrainEpoch(Trainer& t, int epoch, const ProgressCallback& progress) {
  const TrainOptions& options = t.options;
  std::mt19937_64 rng(MixSeed(options.seed, 2 * static_cast<uint64_t>(epoch)));
  torch::manual_seed(MixSeed(options.seed, 2 * static_cast<uint64_t>(epoch) + 1));
  const bool pretraining = epoch <= options.pretrain_epochs;
  std::vector<int> order = pretraining ? t.all_samples : t.train_samples;
  Shuffle(&order, rng);
  if (options.max_samples_per_epoch > 0 && static_cast<int>(order.size()) > options.max_samples_per_epoch) {
    order.resize(options.max_samples_per_epoch);
  }
  const size_t bs = static_cast<size_t>(options.batch_size);
  size_t num_batches = (order.size() + bs - 1) / bs;
  if (order.size() % bs == 1) --num_batches;  // a last batch of one sample cannot be batch-normalised
  const std::string stage = "epoch " + std::to_string(epoch) + "/" + std::to_string(options.epochs);
  t.model->train();
  double loss_sum = 0.0;
  int64_t seen = 0;
  double first_lr = options.learning_rate;
  for (size_t b = 0; b < num_batches; ++b) {
    const double lr = ScheduledLearningRate(options, epoch, static_cast<int>(b), static_cast<int>(num_batches));
    if (b == 0) first_lr = lr;
    SetLearningRate(t, lr);
    const std::vector<int> chunk(order.begin() + b * bs, order.begin() + std::min(order.size(), (b + 1) * bs));
    Batch batch = MakeBatch(t.train_data, chunk, t.window, options.augment, &rng, t.flip_permutation, &t.gpa,
                            options.model.transformer_sequence_loss);
    torch::Tensor loss = BatchLoss(t, batch, pretraining, rng);
    t.optimizer->zero_grad();
    const bool stem_used = pretraining && t.stem_optimizer;
    if (stem_used) t.stem_optimizer->zero_grad();
    loss.backward();
    t.optimizer->step();
    if (stem_used) t.stem_optimizer->step();
    loss_sum += loss.item<double>();
    seen += batch.size;
    if (progress) progress(stage, b + 1, num_batches);
  }
  EpochSummary e;
  e.epoch = epoch;
  e.train_loss = num_batches > 0 ? loss_sum / static_cast<double>(num_batches) : kNaN;
  e.learning_rate = first_lr;
  e.samples = seen;
  return e;
}

}  // namespace
}  // namespace lifter

TrainSummary TrainLifter(const TrainOptions& options, const LabelDataset& train, const LabelDataset& val,
                         const ProgressCallback& progress) {
  using namespace lifter;
  const Skeleton* skeleton = CheckTrainingInput(options, train, val);
  const std::vector<joint_t> root_joints = skeleton != nullptr ? skeleton->root : std::vector<joint_t>{};
  SetComputeThreads(options.num_threads);
  const LifterData train_data = PrepareLifterData(train, options.loss.label_weights);
  const LifterData val_data = PrepareLifterData(val, options.loss.label_weights);
  const std::vector<int> train_samples = LabelledSamples(train_data);
  Trainer t{options,          train_data, train_samples, options.model.WindowLength(), FlipPermutationOf(skeleton),
            GpaForTraining(options, val, root_joints), MirrorBonePairs(skeleton), root_joints,
            AllSamples(train_data.num_samples()), nullptr, nullptr, torch::nn::Linear{nullptr}, nullptr, MocapPoses{}};
  t.mocap = PretrainMotions(options, skeleton);
  PredictSetup validation{t.window, options.model.perspective, root_joints, {}};
  validation.perspective_encoding = options.model.perspective_encoding;

  torch::manual_seed(options.seed);
  t.model = MakeModel(options.model, train.num_joints(), skeleton);
  torch::optim::Adam optimizer(t.model->parameters(), torch::optim::AdamOptions(options.learning_rate));
  t.optimizer = &optimizer;
  if (options.pretrain_3d_weight > 0.0) {
    const int j = train.num_joints();
    t.pose_stem = torch::nn::Linear(3 * j, options.model.InputChannels() * j);
    t.stem_optimizer = std::make_unique<torch::optim::Adam>(t.pose_stem->parameters(),
                                                            torch::optim::AdamOptions(options.learning_rate));
  }
  TrainSummary summary;
  summary.model = options.model.type;
  summary.num_parameters = NumParameters(*t.model);
  summary.num_train_samples = static_cast<int>(train_samples.size());
  summary.num_val_samples = val.num_samples();
  summary.run_dir = options.run_dir;
  const int start_epoch = OpenRun(options, train, t.model, &optimizer, &summary);
  RemoveStaleRunTemporaries(options.run_dir);
  summary.first_epoch = start_epoch + 1;

  const auto call_start = std::chrono::steady_clock::now();
  int64_t samples_this_call = 0;
  for (int epoch = start_epoch + 1; epoch <= options.epochs; ++epoch) {
    const auto epoch_start = std::chrono::steady_clock::now();
    EpochSummary e = TrainEpoch(t, epoch, progress);
    e.val_mpjpe_mm = ValidationMpjpeMm(*t.model, val_data, validation);
    e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();
    samples_this_call += e.samples;
    summary.history.push_back(e);
    SaveRun(options.run_dir, RunDescription(options, train, skeleton, summary, epoch), *t.model, optimizer);
    if (options.on_epoch) options.on_epoch(e);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - call_start).count();
  summary.samples_per_second = seconds > 0.0 ? static_cast<double>(samples_this_call) / seconds : 0.0;
  summary.epochs_completed = std::max(start_epoch, options.epochs);
  if (!summary.history.empty()) summary.final_val_mpjpe_mm = summary.history.back().val_mpjpe_mm;
  return summary;
}

}  // namespace epilabel
