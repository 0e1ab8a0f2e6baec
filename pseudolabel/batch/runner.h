// Running a batch in one process, and the steps every runner shares: selecting a shard's
// sequences, running (or skipping) one sequence, and finishing the batch (counts, the merged
// dataset, batch_report*.json). The MPI runner (mpi_runner.h) is built from the same steps;
// RunBatch (pseudolabel/batch.h) chooses between the two.
#pragma once

#include <chrono>
#include <vector>

#include "pseudolabel/batch/manifest.h"
#include "pseudolabel/batch/results.h"

namespace epilabel::batch {

double SecondsSince(std::chrono::steady_clock::time_point t0);

// Manifest indices of the sequences of this shard (index % shard_count == shard_index), in order.
std::vector<int> SelectedIndices(const BatchManifest& manifest, const BatchOptions& options);

// Runs one sequence into ROOT/<name> (store.h), or skips it when it is complete with the same
// hash and `options.force` is off. Never throws: a failure is a result (status failed, the
// exception's message). `rank` is recorded in the result.
BatchSequenceResult RunSequence(const BatchSequence& sequence, const BatchOptions& options, int rank);

// The single-process run: prepares ROOT, runs the `selected` sequences as TBB tasks (one per
// sequence, each isolated so that a thread waiting inside a sequence does not start another
// one), then FinishBatch. Throws InputError for a ROOT that is not a batch's.
BatchSummary RunBatchLocal(const BatchManifest& manifest, const BatchOptions& options, const std::vector<int>& selected);

// Counts the results of `summary`, removes this process's stale ROOT-level temporaries, writes
// (or keeps, when up to date) the merged dataset when the options and the results allow it, or
// removes an out-of-date one, and writes batch_report*.json (`merge_only`: mode "merge-only").
// A merge failure is recorded in the summary; a report that cannot be written throws.
void FinishBatch(const BatchManifest& manifest, const BatchOptions& options, bool merge_only, BatchSummary* summary);

}  // namespace epilabel::batch
