// Batch labelling: one `label` run (label_run.h) per sequence of a manifest, resumable, in
// parallel with TBB on one machine and, when built with MPI, across the ranks of `mpirun`.
//
// The manifest (TOML), paths relative to the manifest's folder:
//   [defaults]                       # optional: applies to every sequence
//   intrinsics = "cams/intrinsics.toml"
//   subject_height = 1.75
//   [[sequence]]                     # one per sequence, run in this order
//   name = "s01"                     # letters, digits, '_' and '-'; unique; the output folder
//   poses = "s01/pose"               # required (here, not in [defaults])
//   subject_height = 1.82            # per-sequence override of a default
// Keys of [defaults] and [[sequence]] (the flags of `epilabel label`, '-' written '_'):
//   calib, intrinsics (paths), image_size ([w, h] or "WxH"): exactly one per sequence;
//   skeleton, baseline, pairs, export_name (strings); subject_height, fps (numbers);
//   smooth, html_report (booleans); seed (integer >= 0); the gates min_views (integer),
//   max_error_px, max_bone_deviation, max_uncertainty, min_valid_share, min_camera_joints,
//   min_confidence (numbers).
//
// Outputs under ROOT:
//   ROOT/<name>/                     the dataset folder of RunLabel, plus .epilabel_batch.json
//                                    (the entry hash and the run's summary); it appears
//                                    complete or not at all (built under .<name>.partial*)
//   ROOT/batch_report.json           per sequence: status, error, counts, verdict, seconds
//                                    (ROOT/batch_report.shard-<i>-of-<n>.json for a shard)
//   ROOT/dataset.npz                 the per-sequence datasets merged in manifest order,
//                                    written atomically once every sequence is done
//   ROOT/.epilabel_batch_root        marks ROOT as a batch output folder
//
// Resuming: each entry has a hash of its effective options (defaults applied), its paths as
// written, the contents of the calibration/intrinsics files and the poses' file listing (names,
// sizes, modification times). A sequence whose folder holds report.json and a marker with the
// same hash is skipped; otherwise it is (re)computed. Results do not depend on the number of
// threads or processes, nor on the order in which sequences finish: each sequence runs Ceres
// with `threads_per_sequence` threads (1 by default, as Ceres' multi-threaded evaluation sums in
// a varying order) and everything else is deterministic.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "foundation/progress.h"
#include "pseudolabel/label_run.h"

namespace epilabel {

// One [[sequence]] of a manifest, with the defaults applied and paths resolved.
struct BatchSequence {
  int index = 0;             // position in the manifest (0-based)
  std::string name;          // unique; the output folder ROOT/<name> and the dataset's sequence name
  LabelRunOptions options;   // effective options (out_dir, threads and progress are set by the batch)
  nlohmann::json entry;      // the canonical entry the hash is computed from (sorted keys)
  std::string hash;          // 16 hex digits (FNV-1a 64 of entry.dump())
};

struct BatchManifest {
  std::string path;          // the manifest file (for messages)
  std::vector<BatchSequence> sequences;
};

// Reads and validates a manifest. Throws InputError naming the manifest, the entry
// ("[[sequence]] 2 ('s02')" or "[defaults]") and the key for: TOML syntax errors, unknown
// tables or keys, wrong types or values, a missing or duplicate name, a missing `poses`, not
// exactly one of calib/intrinsics/image_size, and input paths that do not exist.
BatchManifest ReadBatchManifest(const std::string& path);
// The same from text; `path` names the manifest in messages and its folder anchors relative paths.
BatchManifest ParseBatchManifest(std::string_view text, const std::string& path);

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
  int threads_per_sequence = 1;  // Ceres threads inside a sequence (see the file comment)
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
  // A text table, one line per sequence, then totals and the list of failures.
  std::string Table() const;
};

// Runs (or skips) the selected sequences of `manifest`; see the file comment. A failing
// sequence is recorded (status failed, its error) and the batch goes on. Throws InputError
// for bad options or an out_root that exists and is not a batch folder (nothing written), and
// std::runtime_error when the reports cannot be written.
BatchSummary RunBatch(const BatchManifest& manifest, const BatchOptions& options);

// Merges without running anything: every sequence folder must be complete with the entry's
// hash (else it is "missing"); writes ROOT/batch_report.json and, when nothing is missing or
// merge_partial is set, ROOT/dataset.npz. For shards run separately.
BatchSummary MergeBatch(const BatchManifest& manifest, const BatchOptions& options);

// True when this process was started by an MPI launcher (OMPI_COMM_WORLD_SIZE, PMIX_RANK or
// PMI_SIZE set); MPI is initialised only then, so a plain run never touches MPI.
bool MpiLaunchDetected();
// The rank the launcher gives this process (OMPI_COMM_WORLD_RANK, PMIX_RANK or PMI_RANK), 0
// when there is none; lets ranks > 0 stay quiet before MPI is initialised.
int MpiLaunchRank();
// True when built with MPI (EPILABEL_HAVE_MPI).
bool MpiBuilt();

}  // namespace epilabel
