#include "pseudolabel/batch/results.h"

#include <algorithm>

#include <fmt/core.h>

#include "foundation/error.h"

namespace epilabel {

void BatchOptions::Check() const {
  if (out_root.empty()) throw InputError("out", "give the batch output folder");
  if (shard_count < 1 || shard_index < 0 || shard_index >= shard_count)
    throw InputError("shard", fmt::format("expected i/N with 0 <= i < N, got {}/{}", shard_index, shard_count));
  if (sequences_per_rank < 1) throw InputError("per_rank", "must be >= 1");
  if (threads_per_sequence < 1) throw InputError("threads_per_sequence", "must be >= 1");
}

const char* BatchStatusName(BatchStatus status) {
  switch (status) {
    case BatchStatus::kOk: return "ok";
    case BatchStatus::kFailed: return "failed";
    case BatchStatus::kSkipped: return "skipped";
    case BatchStatus::kMissing: return "missing";
  }
  return "?";
}

nlohmann::json BatchSequenceResult::ToJson() const {
  return {{"index", index},
          {"name", name},
          {"status", BatchStatusName(status)},
          {"error", error},
          {"input_error", input_error},
          {"frames", frames},
          {"cameras", cameras},
          {"samples", samples},
          {"poses", poses},
          {"poses_kept", poses_kept},
          {"calibration_source", calibration_source},
          {"verdict", verdict},
          {"seconds", seconds},
          {"read_seconds", read_seconds},
          {"rank", rank}};
}

BatchSequenceResult BatchSequenceResult::FromJson(const nlohmann::json& j) {
  BatchSequenceResult r;
  r.index = j.value("index", 0);
  r.name = j.value("name", "");
  const std::string status = j.value("status", "missing");
  for (BatchStatus s : {BatchStatus::kOk, BatchStatus::kFailed, BatchStatus::kSkipped, BatchStatus::kMissing})
    if (status == BatchStatusName(s)) r.status = s;
  r.error = j.value("error", "");
  r.input_error = j.value("input_error", false);
  r.frames = j.value("frames", 0);
  r.cameras = j.value("cameras", 0);
  r.samples = j.value("samples", int64_t{0});
  r.poses = j.value("poses", int64_t{0});
  r.poses_kept = j.value("poses_kept", int64_t{0});
  r.calibration_source = j.value("calibration_source", "");
  r.verdict = j.value("verdict", "");
  r.seconds = j.value("seconds", 0.0);
  r.read_seconds = j.value("read_seconds", 0.0);
  r.rank = j.value("rank", 0);
  return r;
}

void BatchSummary::Count() {
  num_ok = num_failed = num_skipped = num_missing = 0;
  for (const auto& r : sequences) {
    switch (r.status) {
      case BatchStatus::kOk: ++num_ok; break;
      case BatchStatus::kFailed: ++num_failed; break;
      case BatchStatus::kSkipped: ++num_skipped; break;
      case BatchStatus::kMissing: ++num_missing; break;
    }
  }
}

namespace {

std::string TableRow(const BatchSequenceResult& r, size_t w) {
  if (r.status == BatchStatus::kOk || r.status == BatchStatus::kSkipped)
    return fmt::format("{:<{}}  {:<7}  {:>6}  {:>4}  {:>13}  {:>8}  {:<15}  {:>8.1f}\n", r.name, w,
                       BatchStatusName(r.status), r.frames, r.cameras, fmt::format("{}/{}", r.poses_kept, r.poses),
                       r.samples, r.verdict, r.seconds);
  return fmt::format("{:<{}}  {:<7}  {:>6}  {:>4}  {:>13}  {:>8}  {:<15}  {:>8}\n", r.name, w, BatchStatusName(r.status),
                     "-", "-", "-", "-", "-", r.status == BatchStatus::kFailed ? fmt::format("{:.1f}", r.seconds) : "-");
}

}  // namespace

std::string BatchSummary::Table() const {
  size_t w = 8;
  for (const auto& r : sequences) w = std::max(w, r.name.size());
  std::string out = fmt::format("{:<{}}  {:<7}  {:>6}  {:>4}  {:>13}  {:>8}  {:<15}  {:>8}\n", "sequence", w, "status",
                                "frames", "cams", "poses kept", "samples", "verdict", "seconds");
  for (const auto& r : sequences) out += TableRow(r, w);
  int64_t samples = 0;
  for (const auto& r : sequences) samples += r.samples;
  out += fmt::format("{} sequences: {} ok, {} skipped (already done), {} failed{}; {} samples; {:.1f} s", sequences.size(),
                     num_ok, num_skipped, num_failed, num_missing ? fmt::format(", {} missing", num_missing) : "",
                     samples, seconds);
  if (num_processes > 1) out += fmt::format(" on {} MPI ranks", num_processes);
  out += "\n";
  if (!merged_path.empty()) {
    out += fmt::format("merged dataset: {} ({} samples)\n", merged_path, merged_samples);
  } else if (!merge_note.empty()) {
    out += "merged dataset: none (" + merge_note + ")\n";
  }
  for (const auto& r : sequences)
    if (r.status == BatchStatus::kFailed) out += fmt::format("FAILED {}: {}\n", r.name, r.error);
  for (const auto& r : sequences)
    if (r.status == BatchStatus::kMissing) out += fmt::format("MISSING {}: not complete with this manifest entry\n", r.name);
  return out;
}

}  // namespace epilabel
