// What a batch keeps on disk under its output folder ROOT, and how it changes it safely:
//   ROOT/.epilabel_batch_root        marks ROOT as a batch output folder (PrepareRoot)
//   ROOT/<name>/                     a complete sequence: RunLabel's dataset folder plus
//     .epilabel_batch.json           its record {format, hash, entry, result} (CommitSequence)
//   ROOT/.<name>.partial/            the sequence being built (StagingDir); RunLabel itself builds
//                                    in ".<name>.partial.tmp-<pid>" and CommitDirectory leaves
//                                    "<name>.old.<pid>" while replacing: all three are leftovers
//                                    of an interrupted run (RemoveLeftovers)
//   ROOT/batch_report*.json          the reports (ReportName)
//   ROOT/dataset.npz                 the merged dataset, and .dataset.npz.key: the parts' names and
//                                    hashes it was made from, written after it and removed before
//                                    it is replaced (WriteMergedDataset)
// A folder ROOT/<name> appears complete or not at all: it is built under its staging name, its
// record written last, then renamed. A sequence folder is reused (CompletedResult) only when it
// holds report.json, dataset.npz and a record of the same format and hash as the manifest entry.
// Functions that remove things never throw (what cannot be removed stays); the writing ones throw
// std::runtime_error naming the file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pseudolabel/batch/manifest.h"
#include "pseudolabel/batch/results.h"

namespace epilabel::batch {

inline constexpr const char* kMarkerFile = ".epilabel_batch.json";
inline constexpr const char* kRootMarkerFile = ".epilabel_batch_root";
inline constexpr const char* kMergedFile = "dataset.npz";
inline constexpr const char* kMergedKeyFile = ".dataset.npz.key";

// ROOT/<name> and ROOT/.<name>.partial.
std::filesystem::path SequenceDir(const std::string& root, const std::string& name);
std::filesystem::path StagingDir(const std::string& root, const std::string& name);

// ROOT must be absent, empty or an earlier batch's folder (else InputError naming `root`,
// nothing written); with `must_exist`, absent is an InputError too. Creates ROOT and its marker.
void PrepareRoot(const std::string& root, bool must_exist);

// Removes the leftovers of an interrupted run of sequence `name` (its staging folder, RunLabel's
// temporary folder inside ROOT and CommitDirectory's old folder); other sequences' are kept.
void RemoveLeftovers(const std::string& root, const std::string& name);
// Removes the temporaries WriteViaTemporary left for ROOT-level files `files` (".<file>.tmp.*");
// those of other files (other shards' reports) are kept.
void RemoveRootTemporaries(const std::string& root, const std::vector<std::string>& files);

// The result recorded in ROOT/<name> when it is complete with the entry's hash (index and name
// from `sequence`), else nullopt (also for an unreadable record).
std::optional<BatchSequenceResult> CompletedResult(const std::string& root, const BatchSequence& sequence);

// Starting a sequence: removes its leftovers and returns its (absent) staging folder, where
// RunLabel is to write.
std::filesystem::path BeginSequence(const std::string& root, const std::string& name);
// Writes the record of `result` into the staging folder and renames it to ROOT/<name>, replacing
// an older folder. Throws std::runtime_error when it cannot.
void CommitSequence(const std::string& root, const BatchSequence& sequence, const BatchSequenceResult& result);
// Removes the staging folder of a failed sequence.
void AbandonSequence(const std::string& root, const std::string& name);

// "batch_report.json", or "batch_report.shard-<i>-of-<n>.json" for a shard.
std::string ReportName(int shard_index, int shard_count);

// The key of a merged dataset made from `parts` (name, entry hash), in this order.
std::string MergedDatasetKey(const std::vector<std::pair<std::string, std::string>>& parts);
// True when ROOT/dataset.npz exists and was made with `key`.
bool MergedDatasetUpToDate(const std::string& root, const std::string& key);
// Merges ROOT/<name>/dataset.npz of `names` in this order into ROOT/dataset.npz (atomically),
// then writes `key`. Returns the number of samples. Throws when a part cannot be read or the
// result cannot be written (the key is then absent).
int64_t WriteMergedDataset(const std::string& root, const std::vector<std::string>& names, const std::string& key);
// Removes ROOT/dataset.npz and its key; false when there was no dataset.npz.
bool RemoveMergedDataset(const std::string& root);

}  // namespace epilabel::batch
