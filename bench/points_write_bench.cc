// Writing triangulated points (detection/io/points_io.h): points3d.npz, the Anipose CSV and the
// OpenSim TRC of a 2,000-frame, 17-joint sequence (what `triangulate --format npz,csv,trc`
// writes for any number of cameras), to a temporary folder (page cache, not the disk).
// Counter: MB/s of output.
#include <filesystem>
#include <random>
#include <string>

#include <benchmark/benchmark.h>
#include <unistd.h>

#include "detection/io/points_io.h"

namespace fs = std::filesystem;

namespace {

// Triangulation-like values: metres with full double precision, errors in pixels, 2-8 views,
// about 3% unknown points.
const epilabel::PointsFile& Points() {
  static const epilabel::PointsFile points = [] {
    constexpr int kFrames = 2000, kJoints = 17;
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    epilabel::PointsFile p;
    p.points = epilabel::Points3d(kFrames, kJoints);
    p.reproj_error_px = epilabel::FrameJointArray<double>(kFrames, kJoints, epilabel::kNaN);
    p.n_views = epilabel::FrameJointArray<int32_t>(kFrames, kJoints, 0);
    for (int f = 0; f < kFrames; ++f) {
      p.frame_numbers.push_back(f);
      for (int j = 0; j < kJoints; ++j) {
        if (u(rng) > 0.94) continue;
        p.points.at(f, j) = Eigen::Vector3d(2.0 * u(rng), 2.0 * u(rng), 0.9 + 0.8 * u(rng));
        p.reproj_error_px.at(f, j) = 4.0 + 3.0 * u(rng);
        p.n_views.at(f, j) = 5 + static_cast<int>(3.0 * u(rng));
      }
    }
    for (int j = 0; j < kJoints; ++j) p.joint_names.push_back("joint_" + std::to_string(j));
    return p;
  }();
  return points;
}

template <typename Write>
void Run(benchmark::State& state, const char* file, Write write) {
  const fs::path dir = fs::temp_directory_path() / ("epilabel_points_write_bench_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / file).string();
  const epilabel::PointsFile& points = Points();
  for (auto _ : state) write(points, path);
  const double bytes = static_cast<double>(fs::file_size(path));
  state.counters["MB/s"] = benchmark::Counter(bytes * 1e-6, benchmark::Counter::kIsIterationInvariantRate);
  fs::remove_all(dir);
}

void BM_WritePointsNpz(benchmark::State& state) {
  Run(state, "points3d.npz", [](const auto& p, const std::string& path) { epilabel::WritePointsNpz(p, path); });
}
void BM_WriteAniposeCsv(benchmark::State& state) {
  Run(state, "points3d.csv", [](const auto& p, const std::string& path) { epilabel::WriteAniposeCsv(p, path); });
}
void BM_WriteTrc(benchmark::State& state) {
  Run(state, "points3d.trc", [](const auto& p, const std::string& path) { epilabel::WriteTrc(p, path); });
}

}  // namespace

BENCHMARK(BM_WritePointsNpz)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_WriteAniposeCsv)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_WriteTrc)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
