// The lifter's options and summaries (no libtorch): used by the command line and by the
// libtorch module alike.
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "foundation/error.h"
#include "training/lifter.h"

namespace epilabel {

// ---------------------------------------------------------------------------------------------
// Options.

int LifterModelOptions::WindowLength() const {
  if (type == "tcn") return tcn_receptive_field;
  if (type == "transformer") return transformer_window;
  if (type == "diffusion") return diffusion_window;
  return 1;
}

namespace {

void CheckWindow(const char* key, int window) {
  if (window < 1 || window % 2 == 0 || window > 243) {
    throw InputError(key, "the window must be an odd number of frames in [1, 243], got " + std::to_string(window));
  }
}

void CheckTransformer(const LifterModelOptions& o) {
  CheckWindow("window", o.transformer_window);
  if (o.transformer_dim < 2 || o.transformer_dim % 2 != 0) {
    throw InputError("width", "the transformer's width must be even and >= 2, got " + std::to_string(o.transformer_dim));
  }
  if (o.transformer_heads < 1 || (o.transformer_dim / 2) % o.transformer_heads != 0) {
    throw InputError("heads", "the heads must divide half the width (" + std::to_string(o.transformer_dim / 2) + ")");
  }
  if (o.transformer_depth < 1) throw InputError("depth", "the transformer needs at least one block");
  if (o.transformer_knn < 1) throw InputError("knn", "the temporal graph needs at least one neighbour");
  if (o.transformer_tokens != "joints" && o.transformer_tokens != "parts" && o.transformer_tokens != "frames") {
    throw InputError("tokens", "unknown tokens '" + o.transformer_tokens + "' (expected joints, parts or frames)");
  }
  if (o.kpa && o.transformer_tokens == "frames") {
    throw InputError("tokens", "the kinematic prior (--kpa) needs several tokens per frame (joints or parts)");
  }
  if (o.transformer_pose_mlp && o.transformer_tokens == "joints") {
    throw InputError("pose_mlp", "the pose MLP embeds several joints per token (--tokens parts or frames)");
  }
  if (o.transformer_prune_tokens < 0 || o.transformer_prune_tokens >= o.transformer_window) {
    throw InputError("prune_tokens", "must be 0 (off) or fewer than the window's frames");
  }
  if (o.transformer_sequence_loss && o.transformer_prune_tokens > 0) {
    throw InputError("sequence_loss", "the pruned transformer recovers the centre frame only");
  }
  if (o.transformer_prune_tokens > 0 && o.transformer_depth < 2) {
    throw InputError("prune_tokens", "pruning after the first block needs a depth of at least 2");
  }
}

void CheckDiffusion(const LifterModelOptions& o) {
  CheckWindow("window", o.diffusion_window);
  if (o.diffusion_hidden < 1 || o.diffusion_blocks < 0) {
    throw InputError("hidden", "diffusion needs hidden >= 1 and blocks >= 0");
  }
  if (o.diffusion_timesteps < 2 || o.diffusion_timesteps > 10000) {
    throw InputError("timesteps", "the noise schedule needs 2 to 10000 steps");
  }
}

}  // namespace

void LifterModelOptions::Check() const {
  if (type != "mlp" && type != "tcn" && type != "gcn" && type != "transformer" && type != "diffusion") {
    throw InputError("model", "unknown model '" + type + "' (expected mlp, tcn, gcn, transformer or diffusion)");
  }
  if (type == "transformer") CheckTransformer(*this);
  if (transformer_sequence_loss && type != "transformer") {
    throw InputError("sequence_loss", "the sequence-to-sequence loss is the transformer's");
  }
  if (type == "diffusion") CheckDiffusion(*this);
  if (!(dropout >= 0.0 && dropout < 1.0)) throw InputError("dropout", "must be in [0, 1)");
  if (mlp_hidden < 1 || mlp_blocks < 0) throw InputError("hidden", "mlp needs hidden >= 1 and blocks >= 0");
  if (tcn_channels < 1) throw InputError("channels", "tcn needs at least one channel");
  int r = tcn_receptive_field;
  while (r > 1 && r % 3 == 0) r /= 3;
  if (r != 1 || tcn_receptive_field < 3) {
    throw InputError("receptive_field", "tcn receptive field must be a power of 3 (27, 81 or 243), got " +
                                              std::to_string(tcn_receptive_field));
  }
  if (gcn_hidden < 1 || gcn_blocks < 0) throw InputError("hidden", "gcn needs hidden >= 1 and blocks >= 0");
  if (uncertainty_head && type == "diffusion") {
    throw InputError("uncertainty", "the diffusion lifter's uncertainty is the spread of its hypotheses");
  }
}

void InferenceOptions::Check() const {
  if (num_threads < 1) throw InputError("threads", "must be >= 1");
  if (batch_size < 1) throw InputError("batch_size", "must be >= 1");
  if (hypotheses < 1 || hypotheses > 1000) throw InputError("hypotheses", "must be in [1, 1000]");
  if (steps < 1 || steps > 1000) throw InputError("steps", "must be in [1, 1000]");
  if (refine_steps < 1 || refine_steps > 100) throw InputError("refine_steps", "must be in [1, 100]");
  if (!(refine_pixel_sigma > 0.0)) throw InputError("refine_pixel_sigma", "must be > 0");
  if (!(refine_prior_sigma_m > 0.0)) throw InputError("refine_prior_sigma", "must be > 0");
}

void LossOptions::Check() const {
  if (mpjpe_weight < 0.0 || n_mpjpe_weight < 0.0 || bone_symmetry_weight < 0.0) {
    throw InputError("loss", "loss weights must be >= 0");
  }
  if (mpjpe_weight + n_mpjpe_weight <= 0.0) throw InputError("loss", "MPJPE or N-MPJPE must have a positive weight");
}

void TrainOptions::Check() const {
  model.Check();
  loss.Check();
  try {
    augment.Check();
  } catch (const std::invalid_argument& e) {
    throw InputError("augmentation", e.what());
  }
  if (epochs < 1) throw InputError("epochs", "must be >= 1");
  if (batch_size < 2) throw InputError("batch_size", "must be >= 2 (batch norm)");
  if (!(learning_rate > 0.0)) throw InputError("lr", "must be > 0");
  if (!(lr_decay > 0.0 && lr_decay <= 1.0)) throw InputError("lr_decay", "must be in (0, 1]");
  if (lr_schedule != "exponential" && lr_schedule != "cosine") {
    throw InputError("lr_schedule", "unknown schedule '" + lr_schedule + "' (expected exponential or cosine)");
  }
  if (!(lr_warmup_epochs >= 0.0 && lr_warmup_epochs < epochs)) {
    throw InputError("lr_warmup", "must be in [0, epochs)");
  }
  if (max_samples_per_epoch < 0) throw InputError("samples_per_epoch", "must be >= 0");
  if (num_threads < 1) throw InputError("threads", "must be >= 1");
  if (run_dir.empty()) throw InputError("out", "no run folder given");
  if (!pretrain.empty() && pretrain != "masked") {
    throw InputError("pretrain", "unknown pre-training '" + pretrain + "' (expected masked)");
  }
  if (pretrain.empty() && pretrain_epochs != 0) throw InputError("pretrain_epochs", "given without a pre-training");
  if (!pretrain.empty() && (pretrain_epochs < 1 || pretrain_epochs >= epochs)) {
    throw InputError("pretrain_epochs", "must be in [1, epochs): the remaining epochs fine-tune");
  }
  if (!(mask_joint_rate >= 0.0 && mask_joint_rate < 1.0)) throw InputError("mask_joints", "must be in [0, 1)");
  if (!(mask_frame_rate >= 0.0 && mask_frame_rate < 1.0)) throw InputError("mask_frames", "must be in [0, 1)");
  if (!(pretrain_2d_weight >= 0.0)) throw InputError("pretrain_2d_weight", "must be >= 0");
  if (!(pretrain_3d_weight >= 0.0)) throw InputError("pretrain_3d_weight", "must be >= 0");
  if (pretrain.empty() && pretrain_3d_weight > 0.0) throw InputError("pretrain_3d_weight", "given without a pre-training");
  if (!pretrain_motions.empty() && !(pretrain_3d_weight > 0.0)) {
    throw InputError("pretrain_motions", "feeds the masked 3D pretext: give `pretrain_3d_weight` > 0");
  }
  if (!(pretrain_motion_fps > 0.0 && pretrain_motion_fps <= 1000.0)) {
    throw InputError("pretrain_motion_fps", "must be in (0, 1000]");
  }
  if (!(pretrain_motion_max_pitch_deg >= 0.0 && pretrain_motion_max_pitch_deg <= 89.0)) {
    throw InputError("pretrain_motion_max_pitch_deg", "must be in [0, 89] degrees");
  }
}

double ScheduledLearningRate(const TrainOptions& options, int epoch, int batch, int num_batches) {
  const double per_batch = 1.0 / std::max(num_batches, 1);
  const double done = (epoch - 1) + batch * per_batch;  // epochs before this batch
  double lr = options.learning_rate;
  if (options.lr_schedule == "cosine") {
    lr *= 0.5 * (1.0 + std::cos(M_PI * std::min(done / options.epochs, 1.0)));
  } else {
    lr *= std::pow(options.lr_decay, epoch - 1);
  }
  if (options.lr_warmup_epochs > 0.0) lr *= std::min(1.0, (done + per_batch) / options.lr_warmup_epochs);
  return lr;
}

LearningRateSchedule DefaultLearningRateSchedule(const LifterModelOptions& model, int epochs) {
  LearningRateSchedule schedule;
  if (model.type == "transformer" && model.transformer_tokens == "frames") {
    schedule.learning_rate = 2e-3;
    schedule.lr_schedule = "cosine";
    schedule.lr_warmup_epochs = std::min(2.0, 0.1 * epochs);
  }
  return schedule;
}

std::string TrainSummary::BriefReport() const {
  std::ostringstream os;
  os << model << ", " << num_parameters << " parameters, " << epochs_completed << " epochs, " << num_train_samples
     << " training / " << num_val_samples << " validation samples";
  if (std::isfinite(final_val_mpjpe_mm)) os << ", validation MPJPE " << std::fixed << std::setprecision(1) << final_val_mpjpe_mm << " mm";
  return os.str();
}

std::string EvaluationSummary::BriefReport() const {
  return std::to_string(num_samples) + " samples: " + metrics.BriefReport();
}

}  // namespace epilabel
