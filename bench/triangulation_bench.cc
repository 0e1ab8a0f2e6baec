// Speed of triangulation (Google Benchmark).
//   BM_TriangulatePoint/<cameras>: one joint from 2..16 views (robust estimator, 2 px noise,
//     5% outliers), points per second.
//   BM_TriangulateSequence/<threads>: 17 joints x 8 cameras (ring8 studio, 3 px noise, 2%
//     outliers, 1% swaps), frames per second, with 1 and all threads.
//   BM_TriangulateFrameCore: the same frames through the robust estimator alone (views prepared
//     once), frames per second on one thread.
//   BM_SmoothSequence: the Ceres sequence optimiser on ring8 x 600 frames.
//   BM_CompleteSingleView: the per-frame single-view completion of the four people of h36m4 x
//     1,500 frames (each from its own detections, triangulated once), candidates (joints one
//     camera sees) per second and frames per second.
#include <map>
#include <random>

#include <benchmark/benchmark.h>
#include <tbb/global_control.h>

#include "detection/skeleton.h"
#include "bench/ring8_scene.h"
#include "detection/synthetic/studio.h"
#include "geometry/estimators/single_view_completion.h"
#include "geometry/estimators/triangulation.h"
#include "geometry/optim/sequence_smoothing.h"

using namespace epilabel;

namespace {

const SyntheticScene& Scene(int frames) { return bench::Ring8Scene(frames); }

void BM_TriangulatePoint(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::mt19937 rng(1);
  std::normal_distribution<double> noise(0.0, 2.0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  // Cameras on a ring of radius 4 m looking at the origin.
  std::vector<std::vector<PointView>> sets(256);
  for (auto& views : sets) {
    const Eigen::Vector3d point(u(rng) - 0.5, u(rng) - 0.5, 1.0 + u(rng));
    for (int i = 0; i < n; ++i) {
      const double a = 2 * M_PI * i / n;
      const Eigen::Vector3d c(4 * std::cos(a), 4 * std::sin(a), 1.5);
      const Eigen::Vector3d z = (Eigen::Vector3d(0, 0, 1) - c).normalized();
      const Eigen::Vector3d x = z.cross(Eigen::Vector3d::UnitZ()).normalized();
      Eigen::Matrix3d r;
      r.row(0) = x;
      r.row(1) = z.cross(x);
      r.row(2) = z;
      PointView v;
      v.rotation = r;
      v.translation = -(r * c);
      v.focal_px = 1200;
      v.weight = 0.5 + 0.5 * u(rng);
      Eigen::Vector2d p = (r * point + v.translation).hnormalized();
      p += Eigen::Vector2d(noise(rng), noise(rng)) / 1200.0;
      if (u(rng) < 0.05) p += Eigen::Vector2d(0.08, -0.05);
      v.normalized = p;
      views.push_back(v);
    }
  }
  RobustTriangulationOptions options;
  size_t k = 0;
  for (auto _ : state) {
    const auto& views = sets[k++ & 255];
    benchmark::DoNotOptimize(EstimateTriangulation(views.data(), n, options));
  }
  state.counters["points/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_TriangulatePoint)->DenseRange(2, 16, 2);

void BM_TriangulateSequence(benchmark::State& state) {
  const SyntheticScene& scene = Scene(2000);
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(state.range(0)));
  TriangulationOptions options;
  options.symmetric_pairs = GetSkeleton("coco17").symmetric;
  options.bones = GetSkeleton("coco17").bones;
  int64_t searches = 0;
  for (auto _ : state) {
    auto r = TriangulateSequence(scene.rig, scene.observations, options);
    searches = r.summary.num_robust_searches;
    benchmark::DoNotOptimize(r);
  }
  state.counters["searches"] = static_cast<double>(searches);
  state.counters["frames/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * scene.observations.num_frames(),
                                                  benchmark::Counter::kIsRate);
}
BENCHMARK(BM_TriangulateSequence)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// The per-frame core alone, one thread: the robust estimator on the 17 joints x 8 views of
// every frame of the same ring8 sequence, from views prepared once (undistorted, with 12 px
// thresholds), without the sequence's bookkeeping (undistortion, adaptive thresholds, swap
// repair, statistics), which BM_TriangulateSequence includes.
void BM_TriangulateFrameCore(benchmark::State& state) {
  const SyntheticScene& scene = Scene(2000);
  const Observations2d& obs = scene.observations;
  const int frames = obs.num_frames(), joints = obs.num_joints(), cams = obs.num_cameras();
  std::vector<PointView> views(static_cast<size_t>(frames) * joints * cams);
  std::vector<int> counts(static_cast<size_t>(frames) * joints, 0);
  for (frame_t f = 0; f < frames; ++f)
    for (joint_t j = 0; j < joints; ++j) {
      const size_t k = static_cast<size_t>(f) * joints + j;
      for (camera_t c = 0; c < cams; ++c) {
        const Eigen::Vector3d& o = obs.at(c, f, j);
        if (!(o.z() >= 0.2)) continue;
        PointView& v = views[k * cams + counts[k]++];
        v.rotation = scene.rig[c].cam_from_world.RotationMatrix();
        v.translation = scene.rig[c].cam_from_world.translation;
        v.normalized = scene.rig[c].NormalizedFromImage(o.head<2>());
        v.focal_px = scene.rig[c].MeanFocal();
        v.weight = o.z();
        v.threshold_px = 12.0;
      }
    }
  RobustTriangulationOptions options;
  for (auto _ : state) {
    for (size_t k = 0; k < counts.size(); ++k)
      benchmark::DoNotOptimize(EstimateTriangulation(views.data() + k * cams, counts[k], options));
  }
  state.counters["frames/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * frames, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_TriangulateFrameCore)->Unit(benchmark::kMillisecond);

void BM_SmoothSequence(benchmark::State& state) {
  const SyntheticScene& scene = Scene(600);
  TriangulationOptions options;
  options.symmetric_pairs = GetSkeleton("coco17").symmetric;
  const TriangulationResult tri = TriangulateSequence(scene.rig, scene.observations, options);
  SequenceSmoothingOptions sm;
  sm.bones = GetSkeleton("coco17").bones;
  for (auto _ : state) benchmark::DoNotOptimize(SmoothSequence(scene.rig, tri, sm));
  state.counters["frames/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * 600, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SmoothSequence)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_CompleteSingleView(benchmark::State& state) {
  StudioOptions so;
  so.rig = "h36m4";
  so.num_frames = 1500;
  so.num_people = 4;
  so.data_dir = EPILABEL_DATA_DIR;
  const SyntheticScene scene = Synthesize(so);
  TriangulationOptions options;
  options.symmetric_pairs = GetSkeleton("coco17").symmetric;
  options.bones = GetSkeleton("coco17").bones;
  std::vector<TriangulationResult> people;
  for (const PersonTruth& p : scene.people) people.push_back(TriangulateSequence(scene.rig, p.observations, options));
  const SingleViewCompletionOptions completion;
  int64_t candidates = 0, completed = 0;
  for (auto _ : state) {
    candidates = completed = 0;
    for (const TriangulationResult& r : people) {
      const SingleViewCompletion c = CompleteSingleViewJoints(scene.rig, r.repaired, r.points, r.num_views, r.uncertainty_m,
                                                              options.bones, options.min_confidence,
                                                              options.prior_sigma_px, completion);
      candidates += c.summary.candidates;
      completed += c.summary.completed;
      benchmark::DoNotOptimize(c);
    }
  }
  state.counters["candidates"] = static_cast<double>(candidates);
  state.counters["completed"] = static_cast<double>(completed);
  state.counters["candidates/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * candidates, benchmark::Counter::kIsRate);
  state.counters["frames/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * so.num_frames,
                                                  benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CompleteSingleView)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
