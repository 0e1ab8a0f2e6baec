#include "pseudolabel/batch/store.h"

#include <exception>
#include <system_error>

#include <fmt/core.h>
#include <tbb/parallel_for.h>

#include "foundation/error.h"
#include "foundation/file_util.h"
#include "pseudolabel/batch/fingerprint.h"
#include "pseudolabel/dataset.h"

namespace fs = std::filesystem;

namespace epilabel::batch {

namespace {

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// Removes the entries of `root` whose file name satisfies `match` (never throws).
template <typename Match>
void RemoveEntriesWhere(const std::string& root, const Match& match) {
  std::error_code ec;
  std::vector<fs::path> remove;
  for (auto it = fs::directory_iterator(root, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    if (match(it->path().filename().string())) remove.push_back(it->path());
  for (const auto& p : remove) fs::remove_all(p, ec);
}

}  // namespace

fs::path SequenceDir(const std::string& root, const std::string& name) { return fs::path(root) / name; }

fs::path StagingDir(const std::string& root, const std::string& name) { return fs::path(root) / ("." + name + ".partial"); }

void PrepareRoot(const std::string& root, bool must_exist) {
  const fs::path dir(root);
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) throw InputError(root, "exists and is not a folder");
    if (!fs::is_empty(dir, ec) && !fs::exists(dir / kRootMarkerFile, ec))
      throw InputError(root, "exists and is not the output folder of an earlier `epilabel batch`; "
                             "choose a new folder (nothing was written)");
  } else if (must_exist) {
    throw InputError(root, "no such batch output folder");
  }
  fs::create_directories(dir);
  if (!fs::exists(dir / kRootMarkerFile, ec))
    WriteFileAtomic((dir / kRootMarkerFile).string(), std::string(kBatchFormat) + "\n");
}

void RemoveLeftovers(const std::string& root, const std::string& name) {
  const std::string staging = "." + name + ".partial";
  const std::string old = name + ".old.";
  RemoveEntriesWhere(root, [&](const std::string& f) {
    return f == staging || StartsWith(f, staging + ".tmp-") || StartsWith(f, old);
  });
}

void RemoveRootTemporaries(const std::string& root, const std::vector<std::string>& files) {
  RemoveEntriesWhere(root, [&](const std::string& f) {
    for (const std::string& file : files)
      if (StartsWith(f, "." + file + ".tmp.")) return true;
    return false;
  });
}

std::optional<BatchSequenceResult> CompletedResult(const std::string& root, const BatchSequence& sequence) {
  const fs::path dir = SequenceDir(root, sequence.name);
  std::error_code ec;
  if (!fs::exists(dir / "report.json", ec) || !fs::exists(dir / "dataset.npz", ec) || !fs::exists(dir / kMarkerFile, ec))
    return std::nullopt;
  try {
    const auto marker = nlohmann::json::parse(ReadFileToString((dir / kMarkerFile).string()));
    if (marker.value("format", "") != kBatchFormat || marker.value("hash", "") != sequence.hash) return std::nullopt;
    BatchSequenceResult r = BatchSequenceResult::FromJson(marker.at("result"));
    r.index = sequence.index;
    r.name = sequence.name;
    return r;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

fs::path BeginSequence(const std::string& root, const std::string& name) {
  RemoveLeftovers(root, name);
  return StagingDir(root, name);
}

void CommitSequence(const std::string& root, const BatchSequence& sequence, const BatchSequenceResult& result) {
  const fs::path staging = StagingDir(root, sequence.name);
  const nlohmann::json marker = {
      {"format", kBatchFormat}, {"hash", sequence.hash}, {"entry", sequence.entry}, {"result", result.ToJson()}};
  WriteFileAtomic((staging / kMarkerFile).string(), marker.dump(2) + "\n");
  CommitDirectory(staging.string(), SequenceDir(root, sequence.name).string());
}

void AbandonSequence(const std::string& root, const std::string& name) {
  std::error_code ec;
  fs::remove_all(StagingDir(root, name), ec);
}

std::string ReportName(int shard_index, int shard_count) {
  if (shard_count == 1) return "batch_report.json";
  return fmt::format("batch_report.shard-{}-of-{}.json", shard_index, shard_count);
}

std::string MergedDatasetKey(const std::vector<std::pair<std::string, std::string>>& parts) {
  Fnv1a64 h;
  for (const auto& [name, hash] : parts) {
    h.Add(name);
    h.Add(hash);
  }
  return std::string(kBatchFormat) + " " + h.Hex() + "\n";
}

bool MergedDatasetUpToDate(const std::string& root, const std::string& key) {
  const fs::path merged = fs::path(root) / kMergedFile, key_path = fs::path(root) / kMergedKeyFile;
  std::error_code ec;
  if (!fs::exists(merged, ec) || !fs::exists(key_path, ec)) return false;
  try {
    return ReadFileToString(key_path.string()) == key;
  } catch (const std::exception&) {
    return false;
  }
}

int64_t WriteMergedDataset(const std::string& root, const std::vector<std::string>& names, const std::string& key) {
  const fs::path key_path = fs::path(root) / kMergedKeyFile;
  std::error_code ec;
  fs::remove(key_path, ec);
  std::vector<LabelDataset> datasets(names.size());
  tbb::parallel_for(size_t{0}, names.size(), [&](size_t i) {
    datasets[i] = ReadDatasetNpz((SequenceDir(root, names[i]) / "dataset.npz").string());
  });
  const LabelDataset all = MergeDatasets(datasets);
  datasets.clear();
  WriteDatasetNpz(all, (fs::path(root) / kMergedFile).string());
  WriteFileAtomic(key_path.string(), key);
  return all.num_samples();
}

bool RemoveMergedDataset(const std::string& root) {
  const fs::path merged = fs::path(root) / kMergedFile;
  std::error_code ec;
  if (!fs::exists(merged, ec)) return false;
  fs::remove(fs::path(root) / kMergedKeyFile, ec);
  fs::remove(merged, ec);
  return true;
}

}  // namespace epilabel::batch
