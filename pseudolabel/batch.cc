#include "pseudolabel/batch.h"

#include <vector>

#include "pseudolabel/batch/runner.h"

namespace epilabel {

BatchSummary RunBatch(const BatchManifest& manifest, const BatchOptions& options) {
  options.Check();
  const std::vector<int> selected = batch::SelectedIndices(manifest, options);
  if (options.use_mpi) return batch::RunBatchMpi(manifest, options, selected);
  return batch::RunBatchLocal(manifest, options, selected);
}

}  // namespace epilabel
