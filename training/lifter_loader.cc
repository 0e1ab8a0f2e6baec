// The public lifter functions of training/lifter.h, forwarded to the libtorch module, which is
// loaded on the first call (dlopen). Where it is looked for: $EPILABEL_LIFTER_MODULE, the path
// it was built at, then next to the running executable.
#include <dlfcn.h>

#include <cstdlib>

#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "training/lifter.h"
#include "training/lifter_module.h"

namespace epilabel {

namespace {

const LifterModuleApi& Module() {
  static const LifterModuleApi* api = nullptr;
  static std::once_flag once;
  static std::string failure;
  std::call_once(once, [] {
    std::vector<std::string> candidates;
    if (const char* env = std::getenv("EPILABEL_LIFTER_MODULE"); env && *env) candidates.emplace_back(env);
    candidates.emplace_back(EPILABEL_LIFTER_MODULE_PATH);
    std::error_code ec;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) candidates.push_back((self.parent_path() / EPILABEL_LIFTER_MODULE_NAME).string());
    std::string errors;
    for (const std::string& path : candidates) {
      void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (!handle) {
        errors += std::string("\n  ") + dlerror();
        continue;
      }
      using Entry = const LifterModuleApi* (*)();
      auto entry = reinterpret_cast<Entry>(dlsym(handle, "epilabel_lifter_module_api"));
      const LifterModuleApi* candidate = entry ? entry() : nullptr;
      if (!candidate || candidate->abi != kLifterModuleAbi) {
        errors += "\n  " + path + ": not an EpiLabel lifter module of this version";
        continue;
      }
      api = candidate;
      return;
    }
    failure = "the libtorch lifter module could not be loaded (rebuild, or set EPILABEL_LIFTER_MODULE):" + errors;
  });
  if (!api) throw std::runtime_error(failure);
  return *api;
}

}  // namespace

TrainSummary TrainLifter(const TrainOptions& options, const LabelDataset& train, const LabelDataset& val,
                         const ProgressCallback& progress) {
  return Module().train(options, train, val, progress);
}

RunInfo ReadRunInfo(const std::string& run_dir) { return Module().read_run_info(run_dir); }

int64_t CountParameters(const LifterModelOptions& model, int num_joints, const std::string& skeleton) {
  return Module().count_parameters(model, num_joints, skeleton);
}

EvaluationSummary EvaluateLifter(const std::string& run_dir, const LabelDataset& dataset,
                                 const InferenceOptions& options, BodyPoseMetricsOptions metrics) {
  return Module().evaluate(run_dir, dataset, options, metrics);
}

Points3d PredictDataset(const std::string& run_dir, const LabelDataset& dataset, const InferenceOptions& options,
                        FrameJointArray<double>* uncertainty_m) {
  return Module().predict_dataset(run_dir, dataset, options, uncertainty_m);
}

Points3d LiftPoses(const std::string& run_dir, const Track2d& track, const InferenceOptions& options,
                   FrameJointArray<double>* uncertainty_m) {
  return Module().lift_poses(run_dir, track, options, uncertainty_m);
}

void ExportWeightsNpz(const std::string& run_dir, const std::string& npz_path) {
  Module().export_weights_npz(run_dir, npz_path);
}

}  // namespace epilabel
