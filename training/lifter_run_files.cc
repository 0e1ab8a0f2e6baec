#include "training/lifter_run_files.h"

#include <torch/serialize.h>

#include <cmath>
#include <filesystem>

#include "foundation/error.h"
#include "foundation/file_util.h"
#include "foundation/npz.h"
#include "foundation/output_commit.h"
#include "training/data.h"

namespace epilabel {
namespace lifter {

namespace fs = std::filesystem;

json ModelToJson(const LifterModelOptions& o) {
  json j = {{"type", o.type},           {"dropout", o.dropout},       {"mlp_hidden", o.mlp_hidden},
          {"mlp_blocks", o.mlp_blocks}, {"tcn_receptive_field", o.tcn_receptive_field},
          {"tcn_channels", o.tcn_channels}, {"gcn_hidden", o.gcn_hidden}, {"gcn_blocks", o.gcn_blocks},
          {"transformer_window", o.transformer_window}, {"transformer_dim", o.transformer_dim},
          {"transformer_depth", o.transformer_depth}, {"transformer_heads", o.transformer_heads},
          {"transformer_knn", o.transformer_knn}, {"kpa", o.kpa}, {"tpa", o.tpa},
          {"transformer_prune_tokens", o.transformer_prune_tokens},
          {"diffusion_window", o.diffusion_window}, {"diffusion_hidden", o.diffusion_hidden},
          {"diffusion_blocks", o.diffusion_blocks}, {"diffusion_timesteps", o.diffusion_timesteps}};
  // Written only when set, so the runs of earlier versions compare equal (resume).
  if (o.uncertainty_head) j["uncertainty_head"] = true;
  if (o.perspective) j["perspective"] = true;
  if (o.perspective_encoding) j["perspective_encoding"] = true;
  if (o.transformer_sequence_loss) j["transformer_sequence_loss"] = true;
  if (o.transformer_tokens != "joints") j["transformer_tokens"] = o.transformer_tokens;
  if (o.transformer_pose_mlp) j["transformer_pose_mlp"] = true;
  return j;
}

LifterModelOptions ModelFromJson(const json& j) {
  LifterModelOptions o;
  o.type = j.at("type").get<std::string>();
  o.dropout = j.at("dropout").get<double>();
  o.mlp_hidden = j.at("mlp_hidden").get<int>();
  o.mlp_blocks = j.at("mlp_blocks").get<int>();
  o.tcn_receptive_field = j.at("tcn_receptive_field").get<int>();
  o.tcn_channels = j.at("tcn_channels").get<int>();
  o.gcn_hidden = j.at("gcn_hidden").get<int>();
  o.gcn_blocks = j.at("gcn_blocks").get<int>();
  // Added with the transformer and diffusion lifters: older runs lack them.
  o.transformer_window = j.value("transformer_window", o.transformer_window);
  o.transformer_dim = j.value("transformer_dim", o.transformer_dim);
  o.transformer_depth = j.value("transformer_depth", o.transformer_depth);
  o.transformer_heads = j.value("transformer_heads", o.transformer_heads);
  o.transformer_knn = j.value("transformer_knn", o.transformer_knn);
  o.kpa = j.value("kpa", o.kpa);
  o.tpa = j.value("tpa", o.tpa);
  o.transformer_prune_tokens = j.value("transformer_prune_tokens", o.transformer_prune_tokens);
  o.transformer_tokens = j.value("transformer_tokens", o.transformer_tokens);
  o.transformer_pose_mlp = j.value("transformer_pose_mlp", o.transformer_pose_mlp);
  o.diffusion_window = j.value("diffusion_window", o.diffusion_window);
  o.diffusion_hidden = j.value("diffusion_hidden", o.diffusion_hidden);
  o.diffusion_blocks = j.value("diffusion_blocks", o.diffusion_blocks);
  o.diffusion_timesteps = j.value("diffusion_timesteps", o.diffusion_timesteps);
  o.uncertainty_head = j.value("uncertainty_head", o.uncertainty_head);
  o.perspective = j.value("perspective", o.perspective);
  o.perspective_encoding = j.value("perspective_encoding", o.perspective_encoding);
  o.transformer_sequence_loss = j.value("transformer_sequence_loss", o.transformer_sequence_loss);
  return o;
}

namespace {
double JsonNumber(const json& j) { return j.is_number() ? j.get<double>() : kNaN; }
}  // namespace

json HistoryToJson(const std::vector<EpochSummary>& history) {
  json out = json::array();
  for (const EpochSummary& e : history) {
    out.push_back({{"epoch", e.epoch},
                   {"train_loss", e.train_loss},
                   {"val_mpjpe_mm", std::isfinite(e.val_mpjpe_mm) ? json(e.val_mpjpe_mm) : json(nullptr)},
                   {"learning_rate", e.learning_rate},
                   {"samples", e.samples},
                   {"seconds", e.seconds}});
  }
  return out;
}

std::vector<EpochSummary> HistoryFromJson(const json& j) {
  std::vector<EpochSummary> out;
  for (const json& e : j) {
    EpochSummary s;
    s.epoch = e.at("epoch").get<int>();
    s.train_loss = JsonNumber(e.at("train_loss"));
    s.val_mpjpe_mm = JsonNumber(e.at("val_mpjpe_mm"));
    s.learning_rate = JsonNumber(e.at("learning_rate"));
    s.samples = e.at("samples").get<int64_t>();
    s.seconds = JsonNumber(e.at("seconds"));
    out.push_back(s);
  }
  return out;
}

std::string CheckpointPath(const std::string& run_dir) { return (fs::path(run_dir) / "checkpoint.pt").string(); }

const Skeleton* SkeletonByName(const std::string& name, const std::vector<std::string>& joint_names) {
  LabelDataset probe;
  probe.skeleton = name;
  probe.joint_names = joint_names;
  return FindDatasetSkeleton(probe);
}

// The message of a libtorch error without the C++ backtrace libtorch appends (its first line),
// or of any other exception.
std::string TorchErrorText(const std::exception& e) {
  const auto* torch_error = dynamic_cast<const c10::Error*>(&e);
  std::string text = torch_error != nullptr ? torch_error->what_without_backtrace() : e.what();
  const size_t eol = text.find('\n');
  if (eol != std::string::npos) text.resize(eol);
  return text;
}

LoadedRun LoadRun(const std::string& run_dir, torch::optim::Adam* optimizer,
                  std::shared_ptr<LifterNetImpl> model) {
  const std::string path = CheckpointPath(run_dir);
  std::error_code ec;
  if (!fs::exists(path, ec)) throw InputError(run_dir, "not a training run (no checkpoint.pt)");
  LoadedRun run;
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
    c10::IValue meta;
    archive.read("meta", meta);
    run.meta = json::parse(meta.toStringRef());
    run.model_options = ModelFromJson(run.meta.at("model"));
    run.joint_names = run.meta.at("joint_names").get<std::vector<std::string>>();
    run.skeleton = run.meta.at("skeleton").get<std::string>();
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw InputError(path, "unreadable checkpoint: " + TorchErrorText(e));
  }
  run.model = model ? model
                    : MakeModel(run.model_options, static_cast<int>(run.joint_names.size()),
                                SkeletonByName(run.skeleton, run.joint_names));
  try {
    torch::serialize::InputArchive model_archive;
    archive.read("model", model_archive);
    run.model->load(model_archive);
    if (optimizer != nullptr) {
      torch::serialize::InputArchive optimizer_archive;
      archive.read("optimizer", optimizer_archive);
      optimizer->load(optimizer_archive);
    }
  } catch (const std::exception& e) {
    throw InputError(path, "checkpoint does not match its model: " + TorchErrorText(e));
  }
  run.model->eval();
  return run;
}

void WriteWeightsNpz(const torch::nn::Module& model, const std::string& path) {
  NpzWriter w(path);
  for (const auto& item : model.named_parameters(/*recurse=*/true)) {
    const torch::Tensor t = item.value().detach().to(torch::kFloat32).contiguous();
    std::vector<int64_t> shape(t.sizes().begin(), t.sizes().end());
    w.Add(item.key(), NpyArray::FromData(t.data_ptr<float>(), shape));
  }
  for (const auto& item : model.named_buffers(/*recurse=*/true)) {
    const torch::Tensor& b = item.value();
    std::vector<int64_t> shape(b.sizes().begin(), b.sizes().end());
    if (b.scalar_type() == torch::kInt64) {
      const torch::Tensor t = b.contiguous();
      w.Add(item.key(), NpyArray::FromData(t.data_ptr<int64_t>(), shape));
    } else {
      const torch::Tensor t = b.detach().to(torch::kFloat32).contiguous();
      w.Add(item.key(), NpyArray::FromData(t.data_ptr<float>(), shape));
    }
  }
  w.Close();
}

namespace {

// The three files of one epoch, written and committed together.
void CommitEpochFiles(const std::string& run_dir, const json& meta, torch::nn::Module& model,
                      torch::optim::Adam& optimizer) {
  // Serialised in memory and written by us: libtorch's own file writer, when a write fails
  // (full disk), throws again from its destructor and aborts the process.
  std::string bytes;
  {
    torch::serialize::OutputArchive archive;
    archive.write("meta", c10::IValue(meta.dump()));
    torch::serialize::OutputArchive model_archive;
    model.save(model_archive);
    archive.write("model", model_archive);
    torch::serialize::OutputArchive optimizer_archive;
    optimizer.save(optimizer_archive);
    archive.write("optimizer", optimizer_archive);
    archive.save_to([&bytes](const void* data, size_t size) -> size_t {
      bytes.append(static_cast<const char*>(data), size);
      return size;
    });
  }
  // The three files of an epoch are committed together, the checkpoint (what makes a folder a
  // run) last; a failed write leaves the previous epoch's files as they were.
  OutputCommit commit;
  const std::string weights = commit.StageFile((fs::path(run_dir) / "weights.npz").string());
  const std::string run_json = commit.StageFile((fs::path(run_dir) / "run.json").string());
  const std::string checkpoint = commit.StageFile(CheckpointPath(run_dir));
  commit.Write([&] {
    WriteWeightsNpz(model, weights);
    WriteFileAtomic(run_json, meta.dump(2) + "\n");
    WriteFileAtomic(checkpoint, bytes);
  });
  commit.Commit();
}

}  // namespace

void SaveRun(const std::string& run_dir, const json& meta, torch::nn::Module& model, torch::optim::Adam& optimizer) {
  // A run folder this call creates and fails to fill (a full disk) is removed again: no empty
  // folder is left that looks like a run.
  const bool created = fs::create_directories(run_dir);
  try {
    CommitEpochFiles(run_dir, meta, model, optimizer);
  } catch (...) {
    std::error_code ec;
    if (created) fs::remove(run_dir, ec);  // only when empty
    throw;
  }
}

void RemoveStaleRunTemporaries(const std::string& run_dir) {
  for (const char* name : {"checkpoint.pt", "weights.npz", "run.json"})
    RemoveStaleTemporaries((fs::path(run_dir) / name).string());
}

}  // namespace lifter
}  // namespace epilabel
