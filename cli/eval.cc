// epilabel eval: scores a trained lifter on a dataset's 3D labels (usually held-out ground
// truth) with every metric of geometry/metrics, as a table and optionally as JSON.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "foundation/file_util.h"
#include "foundation/output_commit.h"
#include "foundation/error.h"
#include "pseudolabel/dataset.h"
#include "training/lifter.h"

namespace epilabel::cli {

namespace {

struct EvalArgs {
  std::string run;
  std::vector<std::string> data;
  std::vector<std::string> sequences;
  std::string json_path;
  bool flip_test = false;
  int hypotheses = 1;  // diffusion lifter
  int steps = 5;
  bool no_jpma = false;
  bool refine = false;
  int refine_steps = 3;
  bool per_joint = false;
};

nlohmann::json Number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

void RunEval(const EvalArgs& args) {
  if (!args.json_path.empty()) {
    std::vector<std::string> inputs = args.data;
    inputs.push_back(args.run);
    CheckNotAnInput(args.json_path, inputs);
    CheckOutputFile(args.json_path);
  }
  std::vector<LabelDataset> parts;
  for (const std::string& p : args.data) parts.push_back(ReadDatasetNpz(p));
  LabelDataset dataset = parts.size() == 1 ? std::move(parts[0]) : MergeDatasets(parts);
  if (!args.sequences.empty()) {
    std::vector<int> rows;
    for (const std::string& name : args.sequences) {
      bool found = false;
      for (size_t s = 0; s < dataset.sequence_names.size(); ++s) found = found || dataset.sequence_names[s] == name;
      if (!found) throw InputError("--sequences", "no sequence named '" + name + "' in the dataset");
    }
    for (int s = 0; s < dataset.num_samples(); ++s) {
      const std::string& name = dataset.sequence_names[dataset.sequence[s]];
      for (const std::string& wanted : args.sequences) {
        if (name == wanted) rows.push_back(s);
      }
    }
    dataset = SelectSamples(dataset, rows);
  }
  if (dataset.num_samples() == 0) throw InputError(args.data[0], "no samples to evaluate");
  // Every joint masked (valid = 0): there is no label to score against, and the metrics would
  // be NaN; refused before the lifter runs.
  if (std::find(dataset.valid.begin(), dataset.valid.end(), uint8_t{1}) == dataset.valid.end())
    throw InputError(args.data[0], "no valid 3D label: every joint of the " + std::to_string(dataset.num_samples()) +
                                       " samples is masked (valid = 0), nothing to score");
  InferenceOptions options;
  options.num_threads = NumThreads();
  options.test_time_flip = args.flip_test;
  options.hypotheses = args.hypotheses;
  options.steps = args.steps;
  options.jpma = !args.no_jpma;
  options.refine = args.refine;
  options.refine_steps = args.refine_steps;
  const RunInfo info = ReadRunInfo(args.run);
  const EvaluationSummary summary = EvaluateLifter(args.run, dataset, options);
  const BodyPoseMetrics& m = summary.metrics;
  if (m.num_joints == 0)
    throw InputError(args.data[0], "no joint was evaluated (every 3D label masked or not finite), nothing to score");
  if (!std::isfinite(m.mpjpe) || !std::isfinite(m.p_mpjpe) || !std::isfinite(m.n_mpjpe))
    throw std::runtime_error(args.run + ": the lifter's predictions are not finite (MPJPE " +
                             std::to_string(m.mpjpe) + "); the run's checkpoint may be damaged");

  fmt::print("Lifter {} ({}, {} epochs) on {} samples ({} poses, {} joints evaluated)\n\n", args.run, info.model.type,
             info.epochs_completed, summary.num_samples, m.num_poses, m.num_joints);
  fmt::print("{:<22} {:>10}\n", "metric", "value");
  fmt::print("{:<22} {:>7.1f} mm\n", "MPJPE", m.mpjpe * 1e3);
  fmt::print("{:<22} {:>7.1f} mm\n", "P-MPJPE (Procrustes)", m.p_mpjpe * 1e3);
  fmt::print("{:<22} {:>7.1f} mm\n", "N-MPJPE (scale)", m.n_mpjpe * 1e3);
  fmt::print("{:<22} {:>10.3f}\n", "PCK3D @ 150 mm", m.pck);
  fmt::print("{:<22} {:>10.3f}\n", "AUC 0-150 mm", m.auc);
  for (const PssResult& p : m.pss) {
    fmt::print("{:<22} {:>10.3f}\n", fmt::format("PSS @ k={}", p.num_clusters_requested), p.score);
  }
  if (args.per_joint) {
    fmt::print("\n{:<18} {:>10}\n", "joint", "MPJPE mm");
    for (size_t j = 0; j < m.per_joint_mpjpe.size(); ++j) {
      if (std::isfinite(m.per_joint_mpjpe[j]))
        fmt::print("{:<18} {:>10.1f}\n", dataset.joint_names[j], m.per_joint_mpjpe[j] * 1e3);
      else
        fmt::print("{:<18} {:>10}\n", dataset.joint_names[j], "-");  // no valid label of this joint
    }
  }
  if (!args.json_path.empty()) {
    nlohmann::json per_joint = nlohmann::json::object();
    for (size_t j = 0; j < m.per_joint_mpjpe.size(); ++j) per_joint[dataset.joint_names[j]] = Number(m.per_joint_mpjpe[j] * 1e3);
    nlohmann::json out = {{"run", args.run},
                          {"model", info.model.type},
                          {"epochs", info.epochs_completed},
                          {"num_samples", summary.num_samples},
                          {"num_poses", m.num_poses},
                          {"num_joints", m.num_joints},
                          {"mpjpe_mm", Number(m.mpjpe * 1e3)},
                          {"p_mpjpe_mm", Number(m.p_mpjpe * 1e3)},
                          {"n_mpjpe_mm", Number(m.n_mpjpe * 1e3)},
                          {"pck150", Number(m.pck)},
                          {"auc", Number(m.auc)},
                          {"pss50", Number(m.Pss(50))},
                          {"pss100", Number(m.Pss(100))},
                          {"test_time_flip", args.flip_test}, {"hypotheses", args.hypotheses}, {"steps", args.steps},
                          {"refine", args.refine}, {"refine_steps", args.refine_steps},
                          {"per_joint_mpjpe_mm", per_joint}};
    WriteFileAtomic(args.json_path, out.dump(2) + "\n");
    spdlog::info("wrote {}", args.json_path);
  }
}

}  // namespace

void AddEvalCommand(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand("eval", "Score a trained lifter on a dataset's 3D labels (all metrics)");
  cmd->footer(
      "Examples:\n"
      "  epilabel eval --run runs/mlp --data gt_test/\n"
      "  epilabel eval --run runs/mlp --data gt/ --sequences walk2,jump1 --json scores.json\n"
      "JSON keys: mpjpe_mm, p_mpjpe_mm, n_mpjpe_mm, pck150, auc, pss50, pss100 (and per_joint_mpjpe_mm).");
  cmd->add_option("--run,-r", args->run, "Run folder written by epilabel train")->required();
  cmd->add_option("--data,-d", args->data, "dataset.npz or dataset folder (repeat to merge several)")->required();
  cmd->add_option("--sequences", args->sequences, "Only these sequences of the dataset")->delimiter(',');
  cmd->add_option("--json", args->json_path, "Also write the scores as JSON");
  cmd->add_flag("--flip-test", args->flip_test, "Average with the prediction of the mirrored input");
  cmd->add_option("--hypotheses", args->hypotheses, "diffusion: hypotheses per pose (JPMA-aggregated when > 1)")
      ->capture_default_str();
  cmd->add_option("--steps", args->steps, "diffusion: DDIM steps per hypothesis")->capture_default_str();
  cmd->add_flag("--no-jpma", args->no_jpma, "diffusion: average the hypotheses instead of JPMA");
  cmd->add_flag("--refine", args->refine,
                "Test-time refinement of each pose on its reprojection + the learnt prior (the dataset's K and root)");
  cmd->add_option("--refine-steps", args->refine_steps, "Gauss-Newton steps of --refine")->capture_default_str();
  cmd->add_flag("--per-joint", args->per_joint, "Print the MPJPE of every joint");
  cmd->callback([args]() { SetCommandExitCode(RunCommand([&]() { RunEval(*args); })); });
}

}  // namespace epilabel::cli
