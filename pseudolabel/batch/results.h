// The values of a batch run: its options, the result of each sequence and the summary of the
// batch with its text table. Plain values with JSON round trips (the records in sequence folders,
// the MPI messages and batch_report.json use ToJson/FromJson).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "foundation/progress.h"

namespace epilabel {

struct BatchOptions {
  std::string out_root;          // ROOT
  // Shards for job arrays: only the sequences whose index % shard_count == shard_index.
  int shard_index = 0;
  int shard_count = 1;
  bool force = false;            // recompute even the sequences that are complete
  // Merge the per-sequence datasets into ROOT/dataset.npz at the end (never for a shard).
  bool merge = true;
  // Merge also when some sequences failed or are missing (default: no merged dataset then).
  bool merge_partial = false;
  // Run under MPI (see MpiLaunchDetected): rank 0 hands out sequences, every rank (rank 0
  // included) runs `sequences_per_rank` of them at a time, rank 0 writes the reports and the
  // merged dataset. Ignored (with an error if size > 1) when built without MPI.
  bool use_mpi = false;
  int sequences_per_rank = 1;    // MPI only; single-process runs use every TBB thread
  int threads_per_sequence = 1;  // Ceres threads inside a sequence (see pseudolabel/batch.h)
  // ("batch", sequences done, sequences selected); on rank 0 only. Called from several threads.
  ProgressCallback progress;
  // Throws InputError for a bad shard, an empty out_root or counts < 1.
  void Check() const;
};

enum class BatchStatus { kOk, kFailed, kSkipped, kMissing };
const char* BatchStatusName(BatchStatus status);  // "ok", "failed", "skipped", "missing"

struct BatchSequenceResult {
  int index = 0;
  std::string name;
  BatchStatus status = BatchStatus::kMissing;
  std::string error;             // failed: the message of the run's exception
  bool input_error = false;      // failed because of bad input (InputError)
  int frames = 0, cameras = 0;
  int64_t samples = 0, poses = 0, poses_kept = 0;
  std::string calibration_source, verdict;
  double seconds = 0.0;          // of the run that made the folder (also when skipped now)
  double read_seconds = 0.0;     // reading the poses, part of `seconds`
  int rank = 0;                  // MPI rank that ran it in this batch (0 otherwise)
  nlohmann::json ToJson() const;
  // Missing members take their defaults; an unknown status reads as kMissing.
  static BatchSequenceResult FromJson(const nlohmann::json& j);
};

struct BatchSummary {
  bool writer = true;            // this process wrote the reports (false on MPI ranks > 0)
  int num_processes = 1;         // MPI ranks
  std::vector<BatchSequenceResult> sequences;  // the selected sequences, in manifest order
  int num_ok = 0, num_failed = 0, num_skipped = 0, num_missing = 0;
  std::string report_path;       // batch_report*.json
  std::string merged_path;       // ROOT/dataset.npz when written
  int64_t merged_samples = 0;
  std::string merge_note;        // why no merged dataset was written, or the merge's error
  bool merge_failed = false;
  double seconds = 0.0;
  bool AllDone() const { return num_failed == 0 && num_missing == 0 && !merge_failed; }
  // Sets num_ok, num_failed, num_skipped and num_missing from `sequences`.
  void Count();
  // A text table, one line per sequence, then totals and the list of failures.
  std::string Table() const;
};

}  // namespace epilabel
