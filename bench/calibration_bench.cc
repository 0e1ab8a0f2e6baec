// Speed of the self-calibration stages (Google Benchmark), on the ring8 studio (3 px noise,
// 2% outliers, 1% swaps):
//   BM_EssentialMatrix/<correspondences>: one camera pair's relative pose (USAC/MAGSAC 5-point).
//   BM_BundleAdjustment/<frames>: the final bundle adjustment of 8 cameras and the joints of
//     that many frames, started from the truth perturbed by ~1 degree and 5 cm.
//   BM_SelfCalibrate/<frames>: the whole self-calibration (known intrinsics).
//   BM_ReprojectionCost/<0-3>: one residual with its Jacobians over 1,000 observations of the
//     ring8 scene: fixed intrinsics by autodiff (0) or analytic (1, what the bundle adjustment
//     uses), intrinsics refined too by autodiff (2) or analytic (3, what it uses).
#include <map>
#include <memory>
#include <random>

#include <benchmark/benchmark.h>

#include "detection/skeleton.h"
#include "bench/ring8_scene.h"
#include "detection/synthetic/studio.h"
#include "geometry/estimators/triangulation.h"
#include "geometry/estimators/two_view.h"
#include "geometry/optim/bundle_adjustment.h"
#include "geometry/optim/cost_functions/reprojection.h"
#include "geometry/sfm/self_calibration.h"

using namespace epilabel;

namespace {

const SyntheticScene& Scene(int frames) { return bench::Ring8Scene(frames); }

void BM_EssentialMatrix(benchmark::State& state) {
  const SyntheticScene& s = Scene(2000);
  std::vector<Eigen::Vector2d> a, b;
  for (frame_t f = 0; f < 2000 && static_cast<int64_t>(a.size()) < state.range(0); ++f)
    for (joint_t j = 0; j < 17; ++j) {
      const auto &o0 = s.observations.at(0, f, j), &o1 = s.observations.at(1, f, j);
      if (o0.z() < 0.3 || o1.z() < 0.3) continue;
      a.push_back(s.rig[0].NormalizedFromImage(o0.head<2>()));
      b.push_back(s.rig[1].NormalizedFromImage(o1.head<2>()));
    }
  for (auto _ : state)
    benchmark::DoNotOptimize(EstimateRelativeCameraPose(a, b, s.rig[0].MeanFocal(), s.rig[1].MeanFocal(), TwoViewOptions{}));
  state.counters["correspondences"] = static_cast<double>(a.size());
}
BENCHMARK(BM_EssentialMatrix)->Arg(1000)->Arg(4000)->Unit(benchmark::kMillisecond);

void BM_BundleAdjustment(benchmark::State& state) {
  const int frames = static_cast<int>(state.range(0));
  const SyntheticScene& s = Scene(frames);
  const Skeleton& skeleton = GetSkeleton("coco17");
  TriangulationOptions to;
  to.symmetric_pairs = skeleton.symmetric;
  const TriangulationResult tri = TriangulateSequence(s.rig, s.observations, to);
  BAProblemData base;
  for (frame_t f = 0; f < frames; ++f)
    for (joint_t j = 0; j < 17; ++j) {
      if (!tri.points.IsValid(f, j)) continue;
      const int p = static_cast<int>(base.points.size());
      base.points.push_back(tri.points.at(f, j));
      for (camera_t c = 0; c < 8; ++c)
        if (tri.view_mask.at(f, j) & (uint64_t{1} << c))
          base.observations.push_back({c, p, tri.repaired.at(c, f, j).head<2>(), tri.repaired.at(c, f, j).z(), true});
    }
  std::mt19937 rng(1);
  std::normal_distribution<double> n(0.0, 1.0);
  Rig start = s.rig;
  for (size_t c = 2; c < start.size(); ++c) {
    const Eigen::Vector3d w(n(rng), n(rng), n(rng));
    start[c].cam_from_world.rotation =
        Eigen::Quaterniond(Eigen::AngleAxisd(0.017, w.normalized())) * start[c].cam_from_world.rotation;
    start[c].cam_from_world.translation += 0.05 * Eigen::Vector3d(n(rng), n(rng), n(rng));
  }
  BundleAdjustmentOptions options;
  options.num_threads = 2;
  options.compute_covariance = true;
  BundleAdjustmentSummary summary;
  for (auto _ : state) {
    Rig rig = start;
    BAProblemData data = base;
    summary = BundleAdjust(&rig, &data, options);
    benchmark::DoNotOptimize(summary);
  }
  state.counters["observations"] = static_cast<double>(base.observations.size());
  state.counters["iterations"] = summary.iterations;
  state.counters["evaluation_s"] = summary.jacobian_s;
  state.counters["linear_solver_s"] = summary.linear_solver_s;
  state.counters["covariance_s"] = summary.covariance_s;
}
BENCHMARK(BM_BundleAdjustment)->Arg(300)->Arg(600)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SelfCalibrate(benchmark::State& state) {
  const SyntheticScene& s = Scene(static_cast<int>(state.range(0)));
  const Skeleton& skeleton = GetSkeleton("coco17");
  Rig input = s.rig;
  for (Camera& c : input) c.cam_from_world = Rigid3d();
  SelfCalibrationOptions o;
  o.bones = skeleton.bones;
  o.symmetric_pairs = skeleton.symmetric;
  o.num_threads = 2;
  for (auto _ : state) benchmark::DoNotOptimize(SelfCalibrate(input, s.observations, o));
}
BENCHMARK(BM_SelfCalibrate)->Arg(2000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ReprojectionCost(benchmark::State& state) {
  const SyntheticScene& s = Scene(2000);
  const Camera& cam = s.rig[0];
  double pose[kPoseBlockSize], intrinsics[kIntrinsicsBlockSize];
  CameraToBlocks(cam, pose, intrinsics);
  std::vector<std::unique_ptr<ceres::CostFunction>> costs;
  std::vector<std::array<double, 3>> points;
  for (frame_t f = 0; f < 2000 && costs.size() < 1000; ++f)
    for (joint_t j = 0; j < 17 && costs.size() < 1000; ++j) {
      if (!s.points3d.IsValid(f, j) || s.observations.at(0, f, j).z() < 0.3) continue;
      const Eigen::Vector2d px = s.observations.at(0, f, j).head<2>();
      const double aspect = cam.fy / cam.fx;
      switch (state.range(0)) {
        case 0: costs.emplace_back(FixedIntrinsicsReprojectionError::Create(intrinsics, px, 0.9, aspect)); break;
        case 1: costs.emplace_back(FixedIntrinsicsReprojectionCost::Create(intrinsics, px, 0.9, aspect)); break;
        case 2: costs.emplace_back(ReprojectionError::Create(px, 0.9, aspect)); break;
        default: costs.emplace_back(ReprojectionCost::Create(px, 0.9, aspect)); break;
      }
      const Eigen::Vector3d& x = s.points3d.at(f, j);
      points.push_back({x.x(), x.y(), x.z()});
    }
  const bool with_intrinsics = state.range(0) >= 2;
  double residual[2], j_pose[2 * kPoseBlockSize], j_intrinsics[2 * kIntrinsicsBlockSize], j_point[6];
  double* jacobians_fixed[2] = {j_pose, j_point};
  double* jacobians_free[3] = {j_pose, j_intrinsics, j_point};
  for (auto _ : state) {
    for (size_t i = 0; i < costs.size(); ++i) {
      const double* parameters_fixed[2] = {pose, points[i].data()};
      const double* parameters_free[3] = {pose, intrinsics, points[i].data()};
      costs[i]->Evaluate(with_intrinsics ? parameters_free : parameters_fixed, residual,
                         with_intrinsics ? jacobians_free : jacobians_fixed);
      benchmark::DoNotOptimize(j_pose[0]);
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(costs.size()));
}
BENCHMARK(BM_ReprojectionCost)->DenseRange(0, 3)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
