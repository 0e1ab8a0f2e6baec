// The interface between the libtorch module (training/lifter_torch.cc, built as the shared
// module epilabel_lifter_torch) and the forwarding functions of training/lifter_loader.cc,
// which load it with dlopen on first use. Internal to training/: users include lifter.h.
#pragma once

#include "training/lifter.h"

namespace epilabel {

// Bumped whenever LifterModuleApi or the types it passes change.
constexpr int kLifterModuleAbi = 5;

struct LifterModuleApi {
  int abi = 0;
  TrainSummary (*train)(const TrainOptions&, const LabelDataset&, const LabelDataset&, const ProgressCallback&) = nullptr;
  RunInfo (*read_run_info)(const std::string&) = nullptr;
  int64_t (*count_parameters)(const LifterModelOptions&, int, const std::string&) = nullptr;
  EvaluationSummary (*evaluate)(const std::string&, const LabelDataset&, const InferenceOptions&,
                                BodyPoseMetricsOptions) = nullptr;
  Points3d (*predict_dataset)(const std::string&, const LabelDataset&, const InferenceOptions&,
                              FrameJointArray<double>*) = nullptr;
  Points3d (*lift_poses)(const std::string&, const Track2d&, const InferenceOptions&, FrameJointArray<double>*) = nullptr;
  void (*export_weights_npz)(const std::string&, const std::string&) = nullptr;
};

}  // namespace epilabel

// Exported by the module.
extern "C" const epilabel::LifterModuleApi* epilabel_lifter_module_api();
