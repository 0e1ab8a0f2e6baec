// epilabel batch: `label` over the sequences of a manifest, resumable, in parallel, under MPI.
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "foundation/error.h"
#include "pseudolabel/batch.h"

namespace epilabel::cli {

namespace {

struct BatchArgs {
  std::string manifest;
  std::string shard;
  bool merge_only = false;
  BatchOptions options;
};

// "i/N" with 0 <= i < N.
void ParseShard(const std::string& text, BatchOptions* o) {
  const auto slash = text.find('/');
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no /");
    size_t used = 0;
    o->shard_index = std::stoi(text.substr(0, slash), &used);
    if (used != slash) throw std::invalid_argument("trailing");
    const std::string n = text.substr(slash + 1);
    o->shard_count = std::stoi(n, &used);
    if (used != n.size()) throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    throw InputError("--shard", "expected i/N (e.g. 0/4 for the first of four shards), got '" + text + "'");
  }
  if (o->shard_count < 1 || o->shard_index < 0 || o->shard_index >= o->shard_count)
    throw InputError("--shard", "expected i/N with 0 <= i < N, got '" + text + "'");
}

void RunBatchCommand(BatchArgs& args) {
  BatchOptions& o = args.options;
  if (!args.shard.empty()) ParseShard(args.shard, &o);
  if (args.merge_only && !args.shard.empty()) throw InputError("--merge-only", "merges every shard: drop --shard");
  // Under mpirun, rank 0 speaks for every rank (errors are the same on all).
  if (MpiLaunchRank() > 0) spdlog::set_level(spdlog::level::off);
  const BatchManifest manifest = ReadBatchManifest(args.manifest);
  o.use_mpi = MpiLaunchDetected();
  ProgressBar bar;
  o.progress = bar.Callback();
  const BatchSummary s = args.merge_only ? MergeBatch(manifest, o) : RunBatch(manifest, o);
  bar.Finish();
  if (!s.writer) return;  // MPI ranks > 0: rank 0 reports
  fmt::print("{}", WithFlags(s.Table()));
  spdlog::info("wrote {}", s.report_path);
  if (!s.AllDone()) {
    std::string names;
    for (const auto& r : s.sequences)
      if (r.status == BatchStatus::kFailed || r.status == BatchStatus::kMissing) names += (names.empty() ? "" : ", ") + r.name;
    if (s.num_failed + s.num_missing > 0)
      throw std::runtime_error(fmt::format("{} of {} sequences {}: {}", s.num_failed + s.num_missing, s.sequences.size(),
                                           args.merge_only ? "not complete" : "failed", names));
    throw std::runtime_error(WithFlags(s.merge_note));
  }
}

}  // namespace

void AddBatchCommand(CLI::App& app) {
  auto args = std::make_shared<BatchArgs>();
  BatchOptions& o = args->options;
  CLI::App* cmd = app.add_subcommand("batch", "Labels of many sequences from a manifest (resumable; TBB; MPI)");
  cmd->footer(
      "Manifest (TOML; paths relative to it; keys as the flags of `epilabel label`):\n"
      "  [defaults]\n"
      "  intrinsics = \"intrinsics.toml\"\n"
      "  subject_height = 1.75\n"
      "  [[sequence]]\n"
      "  name = \"s01\"\n"
      "  poses = \"s01/pose\"\n"
      "Writes ROOT/<name>/ per sequence, ROOT/batch_report.json and ROOT/dataset.npz (all merged).\n"
      "A rerun skips the sequences that are complete and unchanged. Exit code 1 when a sequence failed.\n"
      "Examples:\n"
      "  epilabel batch manifest.toml --out labels/\n"
      "  mpirun -np 8 epilabel batch manifest.toml --out labels/\n"
      "  epilabel batch manifest.toml --out labels/ --shard 3/10     (then --merge-only)\n"
      "Details: docs/batch.md");
  cmd->add_option("manifest", args->manifest, "Manifest TOML ([defaults] and [[sequence]] entries)")->required();
  cmd->add_option("--out,-o", o.out_root, "Output folder ROOT")->required();
  cmd->add_option("--shard", args->shard, "i/N: only the sequences whose index % N == i (job arrays); no merge");
  cmd->add_flag("--merge-only", args->merge_only,
                "Run nothing: check every sequence folder and write batch_report.json and dataset.npz");
  cmd->add_flag("--merge-partial", o.merge_partial, "Merge the sequences that are done even when others failed");
  cmd->add_flag("!--no-merge", o.merge, "Do not write ROOT/dataset.npz");
  cmd->add_flag("--force", o.force, "Recompute every sequence, even the complete ones");
  cmd->add_option("--per-rank", o.sequences_per_rank, "Under MPI: sequences each rank runs at a time")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->callback([args]() { SetCommandExitCode(RunCommand([&]() { RunBatchCommand(*args); })); });
}

}  // namespace epilabel::cli
