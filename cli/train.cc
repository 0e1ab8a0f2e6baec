// epilabel train: trains a 2D-to-3D lifter (mlp, tcn, gcn, transformer, diffusion) on a dataset.npz, validating on
// held-out sequences after every epoch and writing a checkpoint every epoch.
#include <cmath>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "detection/skeleton.h"
#include "foundation/error.h"
#include "pseudolabel/dataset.h"
#include "training/lifter.h"

namespace epilabel::cli {

namespace {

struct TrainArgs {
  std::vector<std::string> data;
  std::vector<std::string> val_data;
  std::vector<std::string> val_sequences;
  double val_fraction = 0.2;
  std::string gpa_from;
  bool gpa = false;
  bool no_uncertainty = false;
  int hidden = 0;  // 0 = the model's default
  int blocks = -1;
  int window = 0;   // 0 = the model's default (transformer, diffusion)
  TrainOptions options;
  CLI::App* command = nullptr;
};

LabelDataset ReadDatasets(const std::vector<std::string>& paths) {
  std::vector<LabelDataset> parts;
  for (const std::string& p : paths) parts.push_back(ReadDatasetNpz(p));
  if (parts.size() == 1) return std::move(parts[0]);
  return MergeDatasets(parts);
}

void RunTrain(TrainArgs& args) {
  TrainOptions& o = args.options;
  // Resuming: the model options not given on the command line come from the run.
  std::error_code ec;
  if (o.resume && std::filesystem::exists(std::filesystem::path(o.run_dir) / "run.json", ec)) {
    const RunInfo info = ReadRunInfo(o.run_dir);
    auto given = [&](const char* flag) { return args.command->count(flag) > 0; };
    if (!given("--model")) o.model.type = info.model.type;
    if (!given("--dropout")) o.model.dropout = info.model.dropout;
    if (!given("--receptive-field")) o.model.tcn_receptive_field = info.model.tcn_receptive_field;
    if (!given("--channels")) o.model.tcn_channels = info.model.tcn_channels;
    if (!given("--hidden")) {
      o.model.mlp_hidden = info.model.mlp_hidden;
      o.model.gcn_hidden = info.model.gcn_hidden;
    }
    if (!given("--blocks")) {
      o.model.mlp_blocks = info.model.mlp_blocks;
      o.model.gcn_blocks = info.model.gcn_blocks;
      o.model.diffusion_blocks = info.model.diffusion_blocks;
    }
    if (!given("--hidden")) o.model.diffusion_hidden = info.model.diffusion_hidden;
    if (!given("--window")) {
      o.model.transformer_window = info.model.transformer_window;
      o.model.diffusion_window = info.model.diffusion_window;
    }
    if (!given("--width")) o.model.transformer_dim = info.model.transformer_dim;
    if (!given("--depth")) o.model.transformer_depth = info.model.transformer_depth;
    if (!given("--heads")) o.model.transformer_heads = info.model.transformer_heads;
    if (!given("--knn")) o.model.transformer_knn = info.model.transformer_knn;
    if (!given("--tokens")) o.model.transformer_tokens = info.model.transformer_tokens;
    if (!given("--pose-mlp")) o.model.transformer_pose_mlp = info.model.transformer_pose_mlp;
    if (!given("--kpa")) o.model.kpa = info.model.kpa;
    if (!given("--tpa")) o.model.tpa = info.model.tpa;
    if (!given("--prune-tokens")) o.model.transformer_prune_tokens = info.model.transformer_prune_tokens;
    if (!given("--timesteps")) o.model.diffusion_timesteps = info.model.diffusion_timesteps;
    if (!given("--uncertainty")) o.model.uncertainty_head = info.model.uncertainty_head;
    if (!given("--perspective")) o.model.perspective = info.model.perspective;
    if (!given("--perspective-encoding")) o.model.perspective_encoding = info.model.perspective_encoding;
    if (!given("--sequence-loss")) o.model.transformer_sequence_loss = info.model.transformer_sequence_loss;
  }
  if (args.hidden > 0) {
    o.model.mlp_hidden = args.hidden;
    o.model.gcn_hidden = args.hidden;
    o.model.diffusion_hidden = args.hidden;
  }
  if (args.blocks >= 0) {
    o.model.mlp_blocks = args.blocks;
    o.model.gcn_blocks = args.blocks;
    o.model.diffusion_blocks = args.blocks;
  }
  if (args.window != 0) {
    o.model.transformer_window = args.window;
    o.model.diffusion_window = args.window;
  }
  // The model's own schedule for the rate options not given (the transformer with frame tokens:
  // cosine; the others: the defaults above). A resumed run takes them again from its model.
  const LearningRateSchedule schedule = DefaultLearningRateSchedule(o.model, o.epochs);
  if (args.command->count("--lr") == 0) o.learning_rate = schedule.learning_rate;
  if (args.command->count("--lr-schedule") == 0) o.lr_schedule = schedule.lr_schedule;
  if (args.command->count("--lr-warmup") == 0) o.lr_warmup_epochs = schedule.lr_warmup_epochs;
  o.loss.label_weights.use_uncertainty = !args.no_uncertainty;
  o.augment.global_position_alignment = args.gpa || !args.gpa_from.empty();
  if (o.augment.global_position_alignment && o.augment.virtual_camera_rate <= 0.0) {
    throw InputError("--gpa", "global position alignment places virtual cameras; give --virtual-cameras RATE too");
  }
  o.num_threads = NumThreads();
  o.Check();

  const LabelDataset all = ReadDatasets(args.data);
  LabelDataset train, val;
  if (!args.val_data.empty()) {
    train = all;
    val = ReadDatasets(args.val_data);
  } else {
    const DataSplit split = SplitBySequence(all, args.val_fraction, args.val_sequences);
    train = SelectSamples(all, split.train);
    val = SelectSamples(all, split.validation);
    if (!split.validation_sequences.empty()) {
      std::string names;
      for (const auto& n : split.validation_sequences) names += (names.empty() ? "" : ", ") + n;
      spdlog::info("validation: {} ({} samples{})", names, val.num_samples(),
                   split.split_in_time ? ", the last frames of the only sequence" : "");
    } else {
      spdlog::info("no validation set (--val-fraction 0)");
    }
  }
  if (!args.gpa_from.empty()) {
    const LabelDataset target = ReadDatasetNpz(args.gpa_from);
    const Skeleton* skeleton = FindDatasetSkeleton(train);
    o.gpa_reference = MakeGpaReference(target.keypoints2d, target.num_joints(), target.image_size,
                                       skeleton != nullptr ? skeleton->root : std::vector<joint_t>{});
  }
  spdlog::info("model {}: {} trainable parameters; {} training samples, window {} frame(s)", o.model.type,
               CountParameters(o.model, train.num_joints()), train.num_samples(), o.model.WindowLength());

  ProgressBar bar;
  o.on_epoch = [&](const EpochSummary& e) {
    bar.Finish();
    const std::string val_text = std::isfinite(e.val_mpjpe_mm) ? fmt::format("{:.1f} mm", e.val_mpjpe_mm) : "-";
    spdlog::info("epoch {:>3}/{}  loss {:.4f}  val MPJPE {}  lr {:.2e}  {:.1f} s", e.epoch, o.epochs, e.train_loss,
                 val_text, e.learning_rate, e.seconds);
  };
  const TrainSummary summary = TrainLifter(o, train, val, bar.Callback());
  bar.Finish();
  if (summary.first_epoch > o.epochs) {
    spdlog::info("{} already has {} epochs; nothing to do (raise --epochs to train further)", o.run_dir,
                 summary.epochs_completed);
  }
  fmt::print("{}\n", summary.BriefReport());
  fmt::print("run: {} (checkpoint.pt, weights.npz, run.json); {:.0f} samples/s\n", o.run_dir, summary.samples_per_second);
}

}  // namespace

void AddTrainCommand(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  TrainOptions& o = args->options;
  CLI::App* cmd = app.add_subcommand("train", "Train a 2D-to-3D lifter (mlp, tcn, gcn, transformer, diffusion) on a dataset");
  cmd->footer(
      "Examples:\n"
      "  epilabel train --data labels/ --model mlp --epochs 30 --out runs/mlp\n"
      "  epilabel train --data labels/ --out runs/mlp --epochs 60 --resume      continue to epoch 60\n"
      "  epilabel train --data a/ --data b/ --val-sequences b --model tcn --receptive-field 27 --out runs/tcn\n"
      "  epilabel train --data labels/ --model gcn --virtual-cameras 0.5 --gpa --out runs/gcn\n"
      "  epilabel train --data labels/ --hidden 256 --epochs 10 --out runs/quick        a small, fast mlp\n"
      "  epilabel train --data labels/ --model transformer --window 27 --kpa --tpa --out runs/agformer\n"
      "  epilabel train --data labels/ --model diffusion --window 9 --out runs/d3dp");
  cmd->add_option("--data,-d", args->data, "dataset.npz or dataset folder (repeat to merge several)")->required();
  cmd->add_option("--out,-o", o.run_dir, "Run folder (checkpoint.pt, weights.npz, run.json)")->required();
  cmd->add_option("--model,-m", o.model.type,
                  "Lifter: mlp (Martinez 2017), tcn (VideoPose3D), gcn (skeleton graph), transformer (MotionAGFormer, "
                  "KTPFormer priors), diffusion (D3DP)")
      ->capture_default_str()
      ->check(CLI::IsMember({"mlp", "tcn", "gcn", "transformer", "diffusion"}));
  cmd->add_option("--epochs,-e", o.epochs, "Epochs (total, also when resuming)")->capture_default_str();
  cmd->add_flag("--resume", o.resume, "Continue the run in --out from its last checkpoint");
  cmd->add_flag("--overwrite", o.overwrite, "Replace an existing run in --out");
  cmd->add_option("--seed", o.seed, "Random seed (weights, data order, augmentation, dropout)")->capture_default_str();
  cmd->add_option("--batch-size,-b", o.batch_size, "Samples per batch")->capture_default_str();
  cmd->add_option("--lr", o.learning_rate, "Adam learning rate (transformer --tokens frames: 2e-3)")->capture_default_str();
  cmd->add_option("--lr-decay", o.lr_decay, "Learning-rate factor per epoch (exponential schedule)")->capture_default_str();
  cmd->add_option("--lr-schedule", o.lr_schedule,
                  "Learning-rate schedule: exponential (x lr-decay per epoch) or cosine (to 0 over the epochs, per batch; "
                  "the default of transformer --tokens frames)")
      ->capture_default_str()
      ->check(CLI::IsMember({"exponential", "cosine"}));
  cmd->add_option("--lr-warmup", o.lr_warmup_epochs,
                  "Linear learning-rate warm-up over this many epochs (0 = none; transformer --tokens frames: 2, at "
                  "most a tenth of --epochs)")
      ->capture_default_str();
  cmd->add_option("--samples-per-epoch", o.max_samples_per_epoch, "Draw at most this many samples per epoch (0 = all)")
      ->capture_default_str();
  // Validation.
  cmd->add_option("--val-data", args->val_data, "Validation dataset(s) instead of a split of --data");
  cmd->add_option("--val-sequences", args->val_sequences, "Hold out these sequences for validation")->delimiter(',');
  cmd->add_option("--val-fraction", args->val_fraction,
                  "Share of the sequences held out for validation (a single sequence: its last frames)")
      ->capture_default_str();
  // Model sizes.
  cmd->add_option("--hidden", args->hidden,
                  "Width: mlp units (default 1024), gcn features per joint (default 128) or diffusion denoiser width "
                  "(default 256)");
  cmd->add_option("--blocks", args->blocks, "Residual blocks of the mlp / gcn (default 2) / diffusion denoiser (default 3)");
  cmd->add_option("--dropout", o.model.dropout, "Dropout rate")->capture_default_str();
  cmd->add_option("--receptive-field", o.model.tcn_receptive_field, "tcn window: 27, 81 or 243 frames")
      ->capture_default_str();
  cmd->add_option("--channels", o.model.tcn_channels, "tcn channels")->capture_default_str();
  cmd->add_option("--window", args->window, "transformer / diffusion window, an odd number of frames (default 27 / 9)");
  cmd->add_option("--width", o.model.transformer_dim, "transformer token width (even; half per stream)")->capture_default_str();
  cmd->add_option("--depth", o.model.transformer_depth, "transformer blocks")->capture_default_str();
  cmd->add_option("--heads", o.model.transformer_heads, "transformer attention heads per stream")->capture_default_str();
  cmd->add_option("--knn", o.model.transformer_knn, "transformer temporal graph: neighbours per frame")->capture_default_str();
  cmd->add_option("--tokens", o.model.transformer_tokens,
                  "transformer tokens: joints (one per joint and frame), parts (one per body part and frame) or "
                  "frames (one per frame)")
      ->capture_default_str();
  cmd->add_flag("--pose-mlp", o.model.transformer_pose_mlp,
                "transformer with --tokens parts|frames: embed each token's joints with a two-layer MLP (a spatial "
                "encoding of the pose, PoseFormer / MixSTE) instead of one linear map");
  cmd->add_flag("--kpa", o.model.kpa, "transformer: KTPFormer's kinematic prior attention (skeleton GCN before attention)");
  cmd->add_flag("--tpa", o.model.tpa, "transformer: KTPFormer's trajectory prior attention (frame-chain GCN before attention)");
  cmd->add_option("--prune-tokens", o.model.transformer_prune_tokens,
                  "transformer: HoT token pruning, frames kept after the first block (0 = off)")
      ->capture_default_str();
  cmd->add_flag("--sequence-loss", o.model.transformer_sequence_loss,
                "transformer: MotionAGFormer's loss over every frame of the window (not with --prune-tokens)");
  cmd->add_option("--timesteps", o.model.diffusion_timesteps, "diffusion: steps of the noise schedule")->capture_default_str();
  cmd->add_flag("--uncertainty", o.model.uncertainty_head,
                "UAO: a per-joint log-sigma head trained with the Laplace uncertainty loss (lift writes sigma as "
                "uncertainty_m; lift --refine uses it as the prior)");
  cmd->add_flag("--perspective", o.model.perspective,
                "PersPose: rotate each input so the ray through the 2D root is the optical axis (needs intrinsics)");
  cmd->add_flag("--perspective-encoding", o.model.perspective_encoding,
                "PersPose: give every joint's ray K^-1 (x, y, 1) as two more input channels (needs intrinsics)");
  // Masked pre-training.
  cmd->add_option("--pretrain", o.pretrain, "Pre-training: masked (MPM: masked joints and frames, every sample)")
      ->check(CLI::IsMember({"masked"}));
  cmd->add_option("--pretrain-epochs", o.pretrain_epochs, "Epochs of pre-training (the first ones of --epochs)")
      ->capture_default_str();
  cmd->add_option("--mask-joints", o.mask_joint_rate, "Pre-training: share of masked joints")->capture_default_str();
  cmd->add_option("--mask-frames", o.mask_frame_rate, "Pre-training: share of masked frames (never the centre)")
      ->capture_default_str();
  cmd->add_option("--pretrain-2d-weight", o.pretrain_2d_weight, "Pre-training: weight of the 2D reconstruction term")
      ->capture_default_str();
  cmd->add_option("--pretrain-3d-weight", o.pretrain_3d_weight,
                  "Pre-training: weight of the masked 3D pose completion of labelled samples (0 = off)")
      ->capture_default_str();
  cmd->add_option("--pretrain-motions", o.pretrain_motions,
                  "Pre-training: folder of CMU BVH clips whose 3D poses (no 2D) join the masked 3D completion "
                  "(needs --pretrain-3d-weight; COCO-17 data)");
  cmd->add_option("--pretrain-motion-fps", o.pretrain_motion_fps, "Pre-training: frame rate the clips are sampled at")
      ->capture_default_str();
  cmd->add_option("--pretrain-motion-pitch", o.pretrain_motion_max_pitch_deg,
                  "Pre-training: largest downward pitch (degrees) of the clips' random cameras")
      ->capture_default_str();
  // Losses.
  cmd->add_option("--loss-mpjpe", o.loss.mpjpe_weight, "Weight of the (masked, uncertainty-weighted) MPJPE")
      ->capture_default_str();
  cmd->add_option("--loss-nmpjpe", o.loss.n_mpjpe_weight, "Weight of the scale-normalised MPJPE (up-to-scale labels)")
      ->capture_default_str();
  cmd->add_option("--loss-symmetry", o.loss.bone_symmetry_weight, "Weight of the left/right bone-length symmetry term")
      ->capture_default_str();
  cmd->add_flag("--no-uncertainty", args->no_uncertainty, "Weight every valid joint 1 (ignore label uncertainty)");
  cmd->add_option("--uncertainty-scale", o.loss.label_weights.uncertainty_scale,
                  "Label uncertainty (m) at which a joint's weight halves")
      ->capture_default_str();
  // Augmentation.
  cmd->add_option("--flip", o.augment.flip_probability, "Probability of a horizontal flip with left/right swap")
      ->capture_default_str();
  cmd->add_option("--virtual-cameras", o.augment.virtual_camera_rate,
                  "Share of samples re-rendered from a random virtual camera (rotated labels, new intrinsics)")
      ->capture_default_str();
  cmd->add_flag("--gpa", args->gpa,
                "Global position alignment (PoseDA): virtual cameras put the root where the validation set's "
                "people are");
  cmd->add_option("--gpa-from", args->gpa_from, "Dataset whose 2D poses define the target positions for --gpa");
  args->command = cmd;
  cmd->callback([args]() { SetCommandExitCode(RunCommand([&]() { RunTrain(*args); })); });
}

}  // namespace epilabel::cli
