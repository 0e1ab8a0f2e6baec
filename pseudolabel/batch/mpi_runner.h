// Running a batch across the processes of an MPI launch (`mpirun -np N epilabel batch ...`),
// and telling whether this process was started by one. Only mpi_runner.cc sees MPI (it alone is
// compiled with EPILABEL_HAVE_MPI when CMake finds MPI); without it, the functions below still
// exist and refuse a multi-process launch.
//
// The protocol: rank 0 prepares ROOT (an error there is thrown by every rank), then hands out
// manifest indices from a queue in manifest order. A worker slot asks rank 0 for work with a
// message carrying the JSON result of the sequence it just finished (empty for its first
// request) and gets an index back, or -1: this slot is done. Every rank, rank 0 included, runs
// `sequences_per_rank` slots; rank 0 runs its own from the same queue and polls (MPI_Iprobe and
// short sleeps) instead of blocking. Only the main thread calls MPI (MPI_THREAD_FUNNELED);
// sequences run on std::async threads. Rank 0 writes the reports and the merged dataset.
#pragma once

#include <vector>

#include "pseudolabel/batch/manifest.h"
#include "pseudolabel/batch/results.h"

namespace epilabel {

// True when this process was started by an MPI launcher (OMPI_COMM_WORLD_SIZE, PMIX_RANK or
// PMI_SIZE set); MPI is initialised only then, so a plain run never touches MPI.
bool MpiLaunchDetected();
// The rank the launcher gives this process (OMPI_COMM_WORLD_RANK, PMIX_RANK or PMI_RANK), 0
// when there is none; lets ranks > 0 stay quiet before MPI is initialised.
int MpiLaunchRank();
// True when built with MPI (EPILABEL_HAVE_MPI).
bool MpiBuilt();

namespace batch {

// Runs the `selected` sequences across the ranks of MPI_COMM_WORLD (initialising and finalising
// MPI unless it is initialised already); with one rank, as RunBatchLocal. The summary of rank 0
// has every result (writer = true); other ranks return theirs (writer = false) and write nothing.
// Without MPI: RunBatchLocal, or InputError when the launcher started more than one process.
// A broken protocol aborts every rank (MPI_Abort).
BatchSummary RunBatchMpi(const BatchManifest& manifest, const BatchOptions& options, const std::vector<int>& selected);

}  // namespace batch
}  // namespace epilabel
