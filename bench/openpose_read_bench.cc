// Reading an OpenPose JSON tree (one folder per camera, one file per frame) with
// ReadOpenPoseFolder: simdjson DOM parsing, files of all cameras spread over TBB threads.
//
// A synthetic tree (default 8 cameras x 2000 frames, COCO-17, one person per frame and a second
// one in every third frame, about 1 KB per file) is written once to a temporary folder; the
// benchmark then reads it repeatedly, so the files come from the page cache: the figure is the
// parsing and file-system-call cost, not the disk's. Counters: files/s and MB/s of JSON.
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>

#include <benchmark/benchmark.h>
#include <tbb/task_arena.h>
#include <unistd.h>

#include "detection/io/keypoint_io.h"

namespace fs = std::filesystem;

namespace {

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && std::atoi(v) > 0 ? std::atoi(v) : fallback;
}

struct Tree {
  std::string root;
  size_t files = 0;
  size_t bytes = 0;

  Tree() {
    const int cameras = EnvInt("EPILABEL_BENCH_CAMERAS", 8);
    const int frames = EnvInt("EPILABEL_BENCH_FRAMES", 2000);
    root = (fs::temp_directory_path() / ("epilabel_openpose_bench_" + std::to_string(::getpid()))).string();
    std::mt19937 rng(42);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    epilabel::KeypointSequence seq;
    seq.skeleton = "coco17";
    seq.num_joints = 17;
    for (int c = 0; c < cameras; ++c) {
      epilabel::CameraKeypoints cam;
      cam.name = "cam_" + std::to_string(c + 1);
      for (int f = 0; f < frames; ++f) {
        cam.frame_numbers.push_back(f);
        std::vector<epilabel::Person2d> people(f % 3 == 0 ? 2 : 1);
        for (auto& person : people) {
          for (int j = 0; j < 17; ++j) {
            // Detector-like values: pixel positions with many digits, confidences in (0, 1).
            person.joints.emplace_back(1920.0 * u(rng), 1080.0 * u(rng), u(rng) < 0.05 ? 0.0 : u(rng));
          }
        }
        cam.people.push_back(std::move(people));
      }
      seq.cameras.push_back(std::move(cam));
    }
    epilabel::WriteOpenPoseFolder(seq, root);
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      if (e.is_regular_file()) {
        ++files;
        bytes += e.file_size();
      }
    }
  }
  ~Tree() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
};

const Tree& GetTree() {
  static const Tree tree;
  return tree;
}

void BM_ReadOpenPoseFolder(benchmark::State& state) {
  const Tree& tree = GetTree();
  const int threads = state.range(0) > 0 ? static_cast<int>(state.range(0))
                                         : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  tbb::task_arena arena(threads);
  size_t people = 0;
  for (auto _ : state) {
    arena.execute([&] {
      const epilabel::KeypointSequence seq = epilabel::ReadOpenPoseFolder(tree.root);
      people = 0;
      for (const auto& cam : seq.cameras) {
        for (const auto& frame : cam.people) people += frame.size();
      }
      benchmark::DoNotOptimize(people);
    });
  }
  const double iterations = static_cast<double>(state.iterations());
  state.counters["threads"] = threads;
  state.counters["files_in_tree"] = static_cast<double>(tree.files);
  state.counters["people"] = static_cast<double>(people);
  // Rates: Google Benchmark prints them as "<name>=<value>/s".
  state.counters["files"] = benchmark::Counter(iterations * tree.files, benchmark::Counter::kIsRate);
  state.counters["JSON_MB"] = benchmark::Counter(iterations * tree.bytes / 1e6, benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<int64_t>(iterations * tree.bytes));
}
// Arg = threads (0 = all cores). "CPU" is the whole process's CPU time (all threads), which stays
// meaningful on a busy machine where the wall time does not.
BENCHMARK(BM_ReadOpenPoseFolder)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
