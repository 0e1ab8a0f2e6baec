// The libtorch module (epilabel_lifter_torch) that training/lifter_loader.cc loads on first use,
// so commands that never lift do not pay libtorch's start-up. Its parts: the models
// (lifter_models.cc, lifter_transformer.cc, lifter_diffusion.cc), the losses
// (lifter_losses.cc), the run folder (lifter_run_files.cc), inference (lifter_inference.cc) and
// the training loop (lifter_train.cc). This file holds the public functions of lifter.h other
// than TrainLifter, and the module's entry point.
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>

#include "detection/skeleton.h"
#include "foundation/error.h"
#include "foundation/file_util.h"
#include "training/lifter.h"
#include "training/lifter_inference.h"
#include "training/lifter_models.h"
#include "training/lifter_module.h"
#include "training/lifter_run_files.h"

namespace epilabel {

namespace fs = std::filesystem;
using namespace lifter;

int64_t CountParameters(const LifterModelOptions& model, int num_joints, const std::string& skeleton) {
  model.Check();
  torch::NoGradGuard no_grad;
  // The adjacency is a buffer, not a parameter; the skeleton matters for the transformer's parts.
  const Skeleton* s = skeleton.empty() ? nullptr : &GetSkeleton(skeleton);
  if (s != nullptr && s->num_joints() != num_joints) throw InputError("skeleton", skeleton + " has another number of joints");
  const std::shared_ptr<LifterNetImpl> net = MakeModel(model, num_joints, s);
  return NumParameters(*net);
}

RunInfo ReadRunInfo(const std::string& run_dir) {
  const std::string path = (fs::path(run_dir) / "run.json").string();
  json j;
  try {
    j = json::parse(ReadFileToString(path));
  } catch (const json::exception& e) {
    throw InputError(path, std::string("malformed run.json: ") + e.what());
  }
  RunInfo info;
  try {
    info.model = ModelFromJson(j.at("model"));
    info.skeleton = j.at("skeleton").get<std::string>();
    info.joint_names = j.at("joint_names").get<std::vector<std::string>>();
    info.epochs_completed = j.at("epochs_completed").get<int>();
    info.num_parameters = j.at("num_parameters").get<int64_t>();
    info.history = HistoryFromJson(j.at("history"));
  } catch (const json::exception& e) {
    throw InputError(path, std::string("not a training run description: ") + e.what());
  }
  return info;
}

namespace {

// Predictions of every sample of `data`, with the spread of the hypotheses when asked.
Points3d PredictAll(const LoadedRun& run, const LifterData& data, const InferenceOptions& options,
                    FrameJointArray<double>* uncertainty_m) {
  const Skeleton* skeleton = SkeletonByName(run.skeleton, run.joint_names);
  PredictSetup setup;
  setup.window = run.model_options.WindowLength();
  setup.perspective = run.model_options.perspective;
  setup.perspective_encoding = run.model_options.perspective_encoding;
  if (skeleton != nullptr) setup.root_joints = skeleton->root;
  setup.flip_permutation = FlipPermutationOf(skeleton);
  std::vector<double> spread;
  const Points3d points = ToPoints(Predict(*run.model, data, AllSamples(data.num_samples()), setup, options,
                                           uncertainty_m != nullptr ? &spread : nullptr),
                                   data.num_joints);
  if (uncertainty_m != nullptr) {
    *uncertainty_m = FrameJointArray<double>(data.num_samples(), data.num_joints);
    uncertainty_m->data() = spread;
  }
  return points;
}

}  // namespace

Points3d PredictDataset(const std::string& run_dir, const LabelDataset& dataset, const InferenceOptions& options,
                        FrameJointArray<double>* uncertainty_m) {
  options.Check();
  SetComputeThreads(options.num_threads);
  const LoadedRun run = LoadRun(run_dir);
  CheckJoints(run.joint_names, dataset, run_dir);
  return PredictAll(run, PrepareLifterData(dataset), options, uncertainty_m);
}

EvaluationSummary EvaluateLifter(const std::string& run_dir, const LabelDataset& dataset,
                                 const InferenceOptions& options, BodyPoseMetricsOptions metrics) {
  const Points3d predicted = PredictDataset(run_dir, dataset, options);
  const LifterData data = PrepareLifterData(dataset);
  const Points3d truth = ToPoints(data.target, data.num_joints);
  FrameJointArray<uint8_t> valid(data.num_samples(), data.num_joints);
  valid.data() = data.valid;
  if (metrics.root_joints.empty()) {
    if (const Skeleton* s = FindDatasetSkeleton(dataset)) metrics.root_joints = s->root;
  }
  EvaluationSummary summary;
  summary.num_samples = dataset.num_samples();
  summary.metrics = EvaluateBodyPoses(predicted, truth, &valid, metrics);
  return summary;
}

Points3d LiftPoses(const std::string& run_dir, const Track2d& track, const InferenceOptions& options,
                   FrameJointArray<double>* uncertainty_m) {
  options.Check();
  SetComputeThreads(options.num_threads);
  const LoadedRun run = LoadRun(run_dir);
  if (track.num_joints != static_cast<int>(run.joint_names.size())) {
    throw InputError(run_dir, "the keypoints have " + std::to_string(track.num_joints) + " joints, the model " +
                                  std::to_string(run.joint_names.size()));
  }
  if (track.width <= 0 || track.height <= 0) throw InputError("keypoints", "the image size is unknown");
  const bool known_k = track.K(0, 0) > 0.0 && track.K(1, 1) > 0.0;
  if (!known_k && run.model_options.type == "diffusion" && options.hypotheses > 1 && options.jpma) {
    throw InputError("intrinsics", "JPMA (several hypotheses) needs the camera intrinsics (a calibration)");
  }
  if (!known_k && (options.refine || run.model_options.perspective || run.model_options.perspective_encoding)) {
    throw InputError("intrinsics", std::string(options.refine ? "the test-time refinement" : "the perspective model") +
                                       " needs the camera intrinsics (a calibration)");
  }
  // The track as a dataset without labels: one camera, frames in order; without intrinsics the
  // principal point at the image centre (only the test-time flip uses it). The root is unknown
  // (JPMA fits it to the 2D).
  LabelDataset d;
  d.joint_names = run.joint_names;
  d.camera_names = {"camera"};
  d.sequence_names = {"track"};
  const int n = track.num_frames();
  d.Resize(n);
  d.keypoints2d = track.keypoints;
  for (int f = 0; f < n; ++f) {
    d.frame[f] = f;
    d.image_size[f] = Eigen::Vector2i(track.width, track.height);
    if (known_k) {
      d.K[f] = track.K;
    } else {
      d.K[f](0, 2) = 0.5 * (track.width - 1.0);
      d.K[f](1, 2) = 0.5 * (track.height - 1.0);
    }
  }
  const LifterData data = PrepareLifterData(d);
  Points3d points = PredictAll(run, data, options, uncertainty_m);
  for (int f = 0; f < n; ++f) {
    bool any = false;
    for (int k = 0; k < track.num_joints && !any; ++k) any = data.keypoints[static_cast<size_t>(f) * track.num_joints + k].z() > 0.0;
    if (any) continue;
    for (int k = 0; k < track.num_joints; ++k) {
      points.at(f, k) = Eigen::Vector3d::Constant(kNaN);
      if (uncertainty_m != nullptr) uncertainty_m->at(f, k) = kNaN;
    }
  }
  return points;
}

void ExportWeightsNpz(const std::string& run_dir, const std::string& npz_path) {
  const LoadedRun run = LoadRun(run_dir);
  WriteWeightsNpz(*run.model, npz_path);
}

}  // namespace epilabel

// The module's entry point (training/lifter_module.h).
extern "C" const epilabel::LifterModuleApi* epilabel_lifter_module_api() {
  static const epilabel::LifterModuleApi api{epilabel::kLifterModuleAbi,  &epilabel::TrainLifter,
                                             &epilabel::ReadRunInfo,      &epilabel::CountParameters,
                                             &epilabel::EvaluateLifter,   &epilabel::PredictDataset,
                                             &epilabel::LiftPoses,        &epilabel::ExportWeightsNpz};
  return &api;
}
