// Speed of the association of several people (Google Benchmark). The scene is the exact
// multi-person fixture of the tests (tests/geometry/association/people_fixture.h): three
// walkers passing each other, one entering late and leaving early, a bystander seen by one
// camera, 3 px noise, 2 % missed detections, shuffled detection order, 600 frames.
//   BM_AssociateWithCalibration/<cameras>/<threads>: frames per second (8 and 4 cameras,
//     1 and 2 threads); includes the triangulation of every group.
//   BM_AssociateAndTriangulate/<threads>: 8 cameras, association then TriangulateSequence
//     of every track (the full multi-person path), frames per second.
//   BM_AssociateSinglePerson: the most-confident selection on the same detections.
//   BM_AssociateWithoutCalibration/<cameras>: 2D tracks grouped by two-view geometry.
#include <map>

#include <benchmark/benchmark.h>
#include <tbb/global_control.h>

#include "geometry/association/calibrated.h"
#include "geometry/association/single_person.h"
#include "geometry/association/uncalibrated.h"
#include "geometry/estimators/triangulation.h"
#include "tests/geometry/association/people_fixture.h"

using namespace epilabel;

namespace {

constexpr int kFrames = 600;

const testing::PeopleScene& Scene(int cameras) {
  static std::map<int, testing::PeopleScene> cache;
  auto it = cache.find(cameras);
  if (it == cache.end()) {
    testing::PeopleSceneOptions so;
    so.noise_px = 3.0;
    so.miss_rate = 0.02;
    so.bystander_camera = 0;
    std::vector<testing::PersonPath> paths = testing::ThreeWalkers(kFrames);
    paths[2].enter = kFrames / 5;
    paths[2].leave = kFrames * 3 / 4;
    it = cache.emplace(cameras, testing::MakePeopleScene(testing::RingRig(cameras), paths, kFrames, so)).first;
  }
  return it->second;
}

void SetFramesPerSecond(benchmark::State& state) {
  state.counters["frames/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * kFrames,
                                                  benchmark::Counter::kIsRate);
}

void BM_AssociateWithCalibration(benchmark::State& state) {
  const testing::PeopleScene& scene = Scene(static_cast<int>(state.range(0)));
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(state.range(1)));
  AssociationResult result;
  for (auto _ : state) {
    result = AssociateWithCalibration(scene.rig, scene.detections, CalibratedAssociationOptions{});
    benchmark::DoNotOptimize(result);
  }
  SetFramesPerSecond(state);
  state.counters["tracks"] = result.summary.num_tracks;
  state.counters["unmatched"] = static_cast<double>(result.summary.num_unmatched);
}
BENCHMARK(BM_AssociateWithCalibration)
    ->Args({8, 1})
    ->Args({8, 2})
    ->Args({4, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_AssociateAndTriangulate(benchmark::State& state) {
  const testing::PeopleScene& scene = Scene(8);
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(state.range(0)));
  TriangulationOptions tri;
  tri.bones = testing::WalkerBones();
  tri.symmetric_pairs = testing::WalkerSymmetry();
  for (auto _ : state) {
    const AssociationResult result = AssociateWithCalibration(scene.rig, scene.detections, CalibratedAssociationOptions{});
    for (const Track& track : result.tracks)
      benchmark::DoNotOptimize(TriangulateSequence(scene.rig, track.observations, tri));
  }
  SetFramesPerSecond(state);
}
BENCHMARK(BM_AssociateAndTriangulate)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_AssociateSinglePerson(benchmark::State& state) {
  const testing::PeopleScene& scene = Scene(8);
  for (auto _ : state) benchmark::DoNotOptimize(AssociateSinglePerson(scene.detections));
  SetFramesPerSecond(state);
}
BENCHMARK(BM_AssociateSinglePerson)->Unit(benchmark::kMillisecond);

void BM_AssociateWithoutCalibration(benchmark::State& state) {
  const testing::PeopleScene& scene = Scene(static_cast<int>(state.range(0)));
  Rig intrinsics = scene.rig;
  for (Camera& cam : intrinsics) {
    cam.cam_from_world = Rigid3d();
    cam.has_extrinsics = false;
  }
  AssociationResult result;
  for (auto _ : state) {
    result = AssociateWithoutCalibration(intrinsics, scene.detections, UncalibratedAssociationOptions{});
    benchmark::DoNotOptimize(result);
  }
  SetFramesPerSecond(state);
  state.counters["tracks"] = result.summary.num_tracks;
}
BENCHMARK(BM_AssociateWithoutCalibration)->Arg(8)->Arg(4)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
