// The run folder of a lifter (libtorch; internal to the module): checkpoint.pt (model,
// optimiser and the run description), weights.npz (the state_dict as float32 arrays) and
// run.json (the run description). See docs/training.md.
#pragma once

#include <torch/optim/adam.h>

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "training/lifter.h"
#include "training/lifter_models.h"

namespace epilabel {
namespace lifter {

using json = nlohmann::json;

json ModelToJson(const LifterModelOptions& o);
// Keys missing in older runs keep their defaults.
LifterModelOptions ModelFromJson(const json& j);
json HistoryToJson(const std::vector<EpochSummary>& history);
std::vector<EpochSummary> HistoryFromJson(const json& j);

std::string CheckpointPath(const std::string& run_dir);

// The skeleton of a run (by name, else by its joint names); nullptr when none matches.
const Skeleton* SkeletonByName(const std::string& name, const std::vector<std::string>& joint_names);

// A model loaded from a run folder.
struct LoadedRun {
  json meta;
  LifterModelOptions model_options;
  std::vector<std::string> joint_names;
  std::string skeleton;
  std::shared_ptr<LifterNetImpl> model;
};

// Loads the run's description and model (into `model` when given, else a new one), and the
// optimiser state when `optimizer` is given; the model is left in eval mode. Throws InputError
// naming the folder or file when it is not a run or does not match its model.
LoadedRun LoadRun(const std::string& run_dir, torch::optim::Adam* optimizer = nullptr,
                  std::shared_ptr<LifterNetImpl> model = nullptr);

// The state_dict as an .npz of float32 arrays (int64 for batch-norm counters).
void WriteWeightsNpz(const torch::nn::Module& model, const std::string& path);

// Writes checkpoint.pt, weights.npz and run.json, committed together (each under a staging
// name, renamed into place once all three are written). A failed write (full disk) throws
// std::runtime_error naming the file, leaves no temporary behind and the earlier files as
// they were.
void SaveRun(const std::string& run_dir, const json& meta, torch::nn::Module& model, torch::optim::Adam& optimizer);

// Removes the temporaries of the run's files left by killed runs (foundation/output_commit.h).
void RemoveStaleRunTemporaries(const std::string& run_dir);

}  // namespace lifter
}  // namespace epilabel
