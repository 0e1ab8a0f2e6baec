// Batch labelling: one `label` run (label_run.h) per sequence of a manifest, resumable, in
// parallel with TBB on one machine and, when built with MPI, across the ranks of `mpirun`.
// The public header of epilabel::batch; the parts live in pseudolabel/batch/:
//   manifest.h     the manifest (TOML): format, validation, the entry hashes
//   results.h      BatchOptions, per-sequence results, BatchSummary and its table
//   fingerprint.h  the hash and the input fingerprints behind resuming
//   store.h        the output folder on disk: records, staging, leftovers, the merged dataset
//   runner.h       the single-process (TBB) run and the steps shared with MPI
//   mpi_runner.h   the MPI run and the launcher detection
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

#include "pseudolabel/batch/manifest.h"
#include "pseudolabel/batch/mpi_runner.h"
#include "pseudolabel/batch/results.h"

namespace epilabel {

// Runs (or skips) the selected sequences of `manifest`; see the file comment. A failing
// sequence is recorded (status failed, its error) and the batch goes on. Under MPI
// (options.use_mpi) see mpi_runner.h. Throws InputError for bad options or an out_root that
// exists and is not a batch folder (nothing written), and std::runtime_error when the reports
// cannot be written.
BatchSummary RunBatch(const BatchManifest& manifest, const BatchOptions& options);

// Merges without running anything: every sequence folder must be complete with the entry's
// hash (else it is "missing"); writes ROOT/batch_report.json and, when nothing is missing or
// merge_partial is set, ROOT/dataset.npz. For shards run separately.
BatchSummary MergeBatch(const BatchManifest& manifest, const BatchOptions& options);

}  // namespace epilabel
