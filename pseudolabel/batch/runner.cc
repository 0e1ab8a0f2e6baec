#include "pseudolabel/batch/runner.h"

#include <atomic>
#include <exception>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>

#include "foundation/error.h"
#include "pseudolabel/batch.h"
#include "pseudolabel/batch/fingerprint.h"
#include "pseudolabel/batch/store.h"
#include "pseudolabel/report_json.h"
#include "pseudolabel/run_outputs.h"

namespace fs = std::filesystem;

namespace epilabel::batch {

namespace {

std::map<int, const BatchSequence*> ByIndex(const BatchManifest& manifest) {
  std::map<int, const BatchSequence*> by_index;
  for (const auto& s : manifest.sequences) by_index[s.index] = &s;
  return by_index;
}

void RecordRun(const LabelRunResult& lr, BatchSequenceResult* r) {
  r->status = BatchStatus::kOk;
  r->frames = lr.num_frames;
  r->cameras = lr.num_cameras;
  r->samples = lr.counts.samples;
  r->poses = lr.counts.poses;
  r->poses_kept = lr.counts.poses_kept;
  r->calibration_source = lr.calibration_source;
  r->verdict = lr.verdict;
  r->read_seconds = lr.report.contains("timings_s") ? lr.report["timings_s"].value("read", 0.0) : 0.0;
}

// Why no merged dataset is to be written, or "" when it is.
std::string NoMergeReason(const BatchOptions& o, const BatchSummary& summary) {
  const bool complete = summary.num_failed == 0 && summary.num_missing == 0;
  if (o.shard_count > 1) return "sharded run: merge with `merge_only` when every shard is done";
  if (!o.merge) return "merging disabled";
  if (!complete && !o.merge_partial) return "not every sequence is done; `merge_partial` merges the others";
  return "";
}

// Writes ROOT/dataset.npz from the done sequences unless it is up to date; failures go to the
// summary.
void Merge(const BatchManifest& manifest, const BatchOptions& o, BatchSummary* summary) {
  const auto by_index = ByIndex(manifest);
  std::vector<std::pair<std::string, std::string>> parts;  // name, hash
  std::vector<std::string> names;
  int64_t samples = 0;
  for (const auto& r : summary->sequences) {
    if (r.status != BatchStatus::kOk && r.status != BatchStatus::kSkipped) continue;
    parts.emplace_back(r.name, by_index.at(r.index)->hash);
    names.push_back(r.name);
    samples += r.samples;
  }
  try {
    if (parts.empty()) throw std::runtime_error("no sequence to merge");
    const std::string key = MergedDatasetKey(parts);
    if (!MergedDatasetUpToDate(o.out_root, key)) samples = WriteMergedDataset(o.out_root, names, key);
    summary->merged_path = (fs::path(o.out_root) / kMergedFile).string();
    summary->merged_samples = samples;
  } catch (const std::exception& e) {
    summary->merge_failed = true;
    summary->merge_note = std::string("merge failed: ") + e.what();
  }
}

nlohmann::json ReportJson(const BatchManifest& manifest, const BatchOptions& o, bool merge_only,
                          const BatchSummary& summary) {
  nlohmann::json report;
  report["kind"] = "batch";
  report["format"] = kBatchFormat;
  report["manifest"] = manifest.path;
  report["root"] = o.out_root;
  report["mode"] = merge_only ? "merge-only" : "run";
  report["shard"] = {{"index", o.shard_index}, {"count", o.shard_count}};
  report["processes"] = summary.num_processes;
  report["counts"] = {{"ok", summary.num_ok},
                      {"failed", summary.num_failed},
                      {"skipped", summary.num_skipped},
                      {"missing", summary.num_missing}};
  nlohmann::json seqs = nlohmann::json::array();
  const auto by_index = ByIndex(manifest);
  for (const auto& r : summary.sequences) {
    nlohmann::json j = r.ToJson();
    j["hash"] = by_index.at(r.index)->hash;
    seqs.push_back(std::move(j));
  }
  report["sequences"] = std::move(seqs);
  if (summary.merged_path.empty()) {
    report["merged"] = nullptr;
  } else {
    report["merged"] = {{"path", kMergedFile}, {"samples", summary.merged_samples}};
  }
  report["merge_note"] = summary.merge_note;
  report["seconds"] = summary.seconds;
  return report;
}

}  // namespace

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<int> SelectedIndices(const BatchManifest& manifest, const BatchOptions& options) {
  std::vector<int> out;
  for (const BatchSequence& s : manifest.sequences)
    if (s.index % options.shard_count == options.shard_index) out.push_back(s.index);
  return out;
}

BatchSequenceResult RunSequence(const BatchSequence& sequence, const BatchOptions& options, int rank) {
  if (!options.force) {
    if (auto done = CompletedResult(options.out_root, sequence)) {
      done->status = BatchStatus::kSkipped;
      done->rank = rank;
      return *done;
    }
  }
  BatchSequenceResult r;
  r.index = sequence.index;
  r.name = sequence.name;
  r.rank = rank;
  const auto t0 = std::chrono::steady_clock::now();
  try {
    LabelRunOptions opts = sequence.options;
    opts.out_dir = BeginSequence(options.out_root, sequence.name).string();
    opts.sequence_name = sequence.name;
    opts.num_threads = options.threads_per_sequence;
    opts.progress = {};
    RecordRun(RunLabel(opts), &r);
    r.seconds = SecondsSince(t0);
    CommitSequence(options.out_root, sequence, r);
  } catch (const std::exception& e) {
    AbandonSequence(options.out_root, sequence.name);
    r.status = BatchStatus::kFailed;
    r.error = e.what();
    r.input_error = dynamic_cast<const InputError*>(&e) != nullptr;
    r.seconds = SecondsSince(t0);
  }
  return r;
}

BatchSummary RunBatchLocal(const BatchManifest& manifest, const BatchOptions& options, const std::vector<int>& selected) {
  const auto t0 = std::chrono::steady_clock::now();
  PrepareRoot(options.out_root, false);
  const auto by_index = ByIndex(manifest);
  BatchSummary summary;
  summary.sequences.resize(selected.size());
  std::atomic<size_t> done{0};
  tbb::parallel_for(
      tbb::blocked_range<size_t>(0, selected.size(), 1),
      [&](const tbb::blocked_range<size_t>& r) {
        for (size_t k = r.begin(); k != r.end(); ++k) {
          summary.sequences[k] =
              tbb::this_task_arena::isolate([&] { return RunSequence(*by_index.at(selected[k]), options, 0); });
          const size_t d = ++done;
          if (options.progress) options.progress("batch", d, selected.size());
        }
      },
      tbb::simple_partitioner());
  summary.seconds = SecondsSince(t0);
  FinishBatch(manifest, options, false, &summary);
  return summary;
}

void FinishBatch(const BatchManifest& manifest, const BatchOptions& o, bool merge_only, BatchSummary* summary) {
  summary->Count();
  const std::string report_name = ReportName(o.shard_index, o.shard_count);
  RemoveRootTemporaries(o.out_root, o.shard_count == 1
                                        ? std::vector<std::string>{report_name, kMergedFile, kMergedKeyFile}
                                        : std::vector<std::string>{report_name});
  summary->merge_note = NoMergeReason(o, *summary);
  if (summary->merge_note.empty()) Merge(manifest, o, summary);
  // An older merged dataset no longer matches the sequence folders.
  if (summary->merged_path.empty() && o.shard_count == 1 &&
      (summary->num_ok > 0 || summary->num_failed > 0 || merge_only) && RemoveMergedDataset(o.out_root))
    summary->merge_note += "; removed the out-of-date dataset.npz";
  summary->report_path = (fs::path(o.out_root) / report_name).string();
  WriteJson(ReportJson(manifest, o, merge_only, *summary), summary->report_path);
}

}  // namespace epilabel::batch

namespace epilabel {

BatchSummary MergeBatch(const BatchManifest& manifest, const BatchOptions& options) {
  BatchOptions o = options;
  o.shard_index = 0;
  o.shard_count = 1;
  o.merge = true;
  o.Check();
  const auto t0 = std::chrono::steady_clock::now();
  batch::PrepareRoot(o.out_root, true);
  BatchSummary summary;
  for (const BatchSequence& s : manifest.sequences) {
    if (auto done = batch::CompletedResult(o.out_root, s)) {
      done->status = BatchStatus::kSkipped;
      summary.sequences.push_back(*done);
    } else {
      BatchSequenceResult r;
      r.index = s.index;
      r.name = s.name;
      r.status = BatchStatus::kMissing;
      summary.sequences.push_back(r);
    }
  }
  summary.seconds = batch::SecondsSince(t0);
  batch::FinishBatch(manifest, o, true, &summary);
  return summary;
}

}  // namespace epilabel
