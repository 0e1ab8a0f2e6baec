// Training throughput of the lifters (see bench/training.cmake for the command): samples per
// second of one training epoch (forward, losses, backward, Adam step, batch assembly with flip
// augmentation), without validation and checkpoint writing. Data: ground-truth labels of the
// synthetic studio (h36m4, 1000 frames, 4 cameras, COCO-17).
//   BM_TrainMlp/width/threads       Martinez mlp, 2 residual blocks (width 1024 = the paper's)
//   BM_TrainTcn/frames/channels/threads   VideoPose3D temporal model (1024 channels = the paper's)
//   BM_TrainGcn/width/threads       the skeleton graph network
// Counter samples/s; batch size 256.
#include <cstdlib>
#include <filesystem>
#include <string>

#include <benchmark/benchmark.h>
#include <unistd.h>

#include "detection/skeleton.h"
#include "detection/synthetic/studio.h"
#include "training/lifter.h"

namespace epilabel {
namespace {

std::string DataDir() {
  if (const char* env = std::getenv("EPILABEL_DATA_DIR"); env != nullptr && *env != '\0') return env;
  return EPILABEL_DATA_DIR;
}

const LabelDataset& Data() {
  static const LabelDataset data = [] {
    StudioOptions options;
    options.rig = "h36m4";
    options.num_frames = 1000;
    options.data_dir = DataDir();
    const SyntheticScene scene = Synthesize(options);
    const Skeleton& skeleton = GetSkeleton("coco17");
    GroundTruthDatasetOptions gt;
    gt.sequence_name = "studio";
    gt.skeleton = skeleton.name;
    gt.joint_names = skeleton.joint_names;
    gt.root_joints = skeleton.root;
    return MakeGroundTruthDataset(scene.rig, scene.points3d, scene.frame_numbers, &scene.observations, gt);
  }();
  return data;
}

void RunTraining(benchmark::State& state, const LifterModelOptions& model, int threads, int samples) {
  const std::string run_dir =
      (std::filesystem::temp_directory_path() / ("epilabel_training_bench_" + std::to_string(::getpid()))).string();
  TrainOptions options;
  options.model = model;
  options.epochs = 1;
  options.batch_size = 256;
  options.max_samples_per_epoch = samples;
  options.num_threads = threads;
  options.run_dir = run_dir;
  options.overwrite = true;
  double seconds = 0.0;
  int64_t total = 0;
  const LabelDataset none;
  for (auto _ : state) {
    const TrainSummary summary = TrainLifter(options, Data(), none);
    // The epoch's own time: training only, not the checkpoint written after it.
    state.SetIterationTime(summary.history.back().seconds);
    seconds += summary.history.back().seconds;
    total += summary.history.back().samples;
  }
  std::filesystem::remove_all(run_dir);
  state.counters["samples/s"] = seconds > 0.0 ? static_cast<double>(total) / seconds : 0.0;
  state.counters["params"] = static_cast<double>(CountParameters(model, 17));
}

void BM_TrainMlp(benchmark::State& state) {
  LifterModelOptions model;
  model.type = "mlp";
  model.mlp_hidden = static_cast<int>(state.range(0));
  RunTraining(state, model, static_cast<int>(state.range(1)), model.mlp_hidden >= 1024 ? 1024 : 4000);
}
BENCHMARK(BM_TrainMlp)
    ->Args({1024, 1})
    ->Args({1024, 2})
    ->Args({256, 1})
    ->Args({256, 2})
    ->ArgNames({"width", "threads"})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void BM_TrainTcn(benchmark::State& state) {
  LifterModelOptions model;
  model.type = "tcn";
  model.tcn_receptive_field = static_cast<int>(state.range(0));
  model.tcn_channels = static_cast<int>(state.range(1));
  RunTraining(state, model, static_cast<int>(state.range(2)), model.tcn_channels >= 1024 ? 512 : 2048);
}
BENCHMARK(BM_TrainTcn)
    ->Args({27, 1024, 1})
    ->Args({27, 1024, 2})
    ->Args({27, 256, 1})
    ->Args({27, 256, 2})
    ->Args({243, 256, 2})
    ->ArgNames({"frames", "channels", "threads"})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void BM_TrainGcn(benchmark::State& state) {
  LifterModelOptions model;
  model.type = "gcn";
  model.gcn_hidden = static_cast<int>(state.range(0));
  RunTraining(state, model, static_cast<int>(state.range(1)), 1024);
}
BENCHMARK(BM_TrainGcn)
    ->Args({128, 1})
    ->Args({128, 2})
    ->ArgNames({"width", "threads"})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace epilabel

BENCHMARK_MAIN();
