// The lifter's options and summaries (no libtorch): used by the command line and by the
// libtorch module alike.
#include <cmath>
#include <iomanip>
#include <sstream>

#include "foundation/error.h"
#include "training/lifter.h"

namespace epilabel {

// ---------------------------------------------------------------------------------------------
// Options.

int LifterModelOptions::WindowLength() const { return type == "tcn" ? tcn_receptive_field : 1; }

void LifterModelOptions::Check() const {
  if (type != "mlp" && type != "tcn" && type != "gcn") {
    throw InputError("model", "unknown model '" + type + "' (expected mlp, tcn or gcn)");
  }
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
  if (max_samples_per_epoch < 0) throw InputError("samples_per_epoch", "must be >= 0");
  if (num_threads < 1) throw InputError("threads", "must be >= 1");
  if (run_dir.empty()) throw InputError("out", "no run folder given");
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
