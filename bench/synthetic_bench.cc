// Timing of the synthetic studio (see bench/synthetic.cmake for the command).
//   BM_Synthesize/ring8 x 2000 frames, threads = 1 and all: the whole Synthesize call.
//   BM_GenerateMotion: retargeting, resampling and placement alone (clips parsed once).
//   BM_SimulateDetector: the simulated detector alone.
// Counters: frames/s and 2D points/s (cameras x frames x 17).
#include <cstdlib>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <tbb/global_control.h>

#include "detection/synthetic/motion.h"
#include "detection/synthetic/rigs.h"
#include "detection/synthetic/simulated_detector.h"
#include "detection/synthetic/studio.h"

namespace epilabel {
namespace {

std::string DataDir() {
  if (const char* env = std::getenv("EPILABEL_DATA_DIR"); env != nullptr && *env != '\0') return env;
  return EPILABEL_DATA_DIR;
}

constexpr int kFrames = 2000;

void SetCounters(benchmark::State& state, int cameras) {
  state.counters["frames/s"] = benchmark::Counter(static_cast<double>(kFrames), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["points/s"] =
      benchmark::Counter(static_cast<double>(kFrames) * cameras * 17, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Synthesize(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                            threads > 0 ? static_cast<size_t>(threads)
                                        : tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism));
  StudioOptions options;
  options.rig = "ring8";
  options.num_frames = kFrames;
  options.data_dir = DataDir();
  for (auto _ : state) {
    SyntheticScene scene = Synthesize(options);
    benchmark::DoNotOptimize(scene.observations.data().data());
  }
  SetCounters(state, 8);
}
BENCHMARK(BM_Synthesize)->Arg(1)->Arg(0)->ArgName("threads(0=all)")->Unit(benchmark::kMillisecond)->UseRealTime();

const std::vector<BvhMotion>& Clips() {
  static const std::vector<BvhMotion> clips = [] {
    std::vector<BvhMotion> c;
    for (const char* name : {"01_01", "02_01", "05_06", "131_03"}) {
      c.push_back(ReadBvh(DataDir() + "/motions/" + name + ".bvh"));
    }
    return c;
  }();
  return clips;
}

void BM_GenerateMotion(benchmark::State& state) {
  const StudioRig rig = MakeStudioRig("ring8");
  MotionOptions options;
  options.num_frames = kFrames;
  options.area_half_extents = rig.area_half_extents;
  for (auto _ : state) {
    MotionSequence seq = GenerateMotion(Clips(), options);
    benchmark::DoNotOptimize(seq.points3d.data().data());
  }
  SetCounters(state, 8);
}
BENCHMARK(BM_GenerateMotion)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SimulateDetector(benchmark::State& state) {
  const StudioRig rig = MakeStudioRig("ring8");
  MotionOptions motion_options;
  motion_options.num_frames = kFrames;
  motion_options.area_half_extents = rig.area_half_extents;
  const MotionSequence seq = GenerateMotion(Clips(), motion_options);
  SimulatedDetectorOptions options;
  for (auto _ : state) {
    SimulatedDetection d = SimulateDetector(rig.cameras, seq.points3d, seq.subject_height, options);
    benchmark::DoNotOptimize(d.observations.data().data());
  }
  SetCounters(state, 8);
}
BENCHMARK(BM_SimulateDetector)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace epilabel

BENCHMARK_MAIN();
