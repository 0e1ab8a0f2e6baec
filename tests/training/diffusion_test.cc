// The diffusion lifter (D3DP-style denoiser, H hypotheses x K DDIM steps, JPMA aggregation).
#include <cmath>
#include <map>

#include <gtest/gtest.h>

#include "foundation/error.h"
#include "tests/testing.h"
#include "tests/training/tiny_data.h"
#include "training/lifter.h"

namespace epilabel {
namespace {

TrainOptions SmallDiffusion(const std::string& run_dir) {
  TrainOptions o;
  o.model.type = "diffusion";
  o.model.diffusion_window = 3;
  o.model.diffusion_hidden = 128;
  o.model.diffusion_blocks = 2;
  o.model.diffusion_timesteps = 50;
  o.epochs = 80;
  o.batch_size = 32;
  o.learning_rate = 2e-3;
  o.lr_decay = 0.97;
  o.augment.flip_probability = 0.0;
  o.seed = 2;
  o.num_threads = 1;
  o.run_dir = run_dir;
  return o;
}

const LabelDataset& Tiny() {
  static const LabelDataset d = testing::ToySequences(4, 10, 10, "tiny");
  return d;
}

// A run trained once per test process (ctest runs every test in its own): the full 80 epochs
// for the accuracy test, a few for the tests of the inference paths.
const std::string& TrainedRun(int epochs = 5) {
  static testing::TempDir dir;
  static std::map<int, std::string> runs;
  if (!runs.count(epochs)) {
    const std::string r = dir / ("run" + std::to_string(epochs));
    TrainOptions o = SmallDiffusion(r);
    o.epochs = epochs;
    TrainLifter(o, Tiny(), LabelDataset{});
    runs[epochs] = r;
  }
  return runs.at(epochs);
}

TEST(Diffusion, OverfitsATinyDataset) {
  const std::string& run = TrainedRun(80);
  const RunInfo info = ReadRunInfo(run);
  EXPECT_LT(info.history.back().train_loss, 0.5 * info.history.front().train_loss);
  const double baseline = testing::MeanPoseBaselineMm(Tiny(), Tiny());
  const double mpjpe = EvaluateLifter(run, Tiny()).metrics.mpjpe * 1e3;
  EXPECT_LT(mpjpe, 0.5 * baseline) << "mean-pose baseline " << baseline << " mm";
}

TEST(Diffusion, HypothesesSpreadIsTheUncertaintyAndFollowsTheSeed) {
  InferenceOptions one;
  FrameJointArray<double> spread_one;
  PredictDataset(TrainedRun(), Tiny(), one, &spread_one);
  for (double s : spread_one.data()) EXPECT_EQ(s, 0.0);

  InferenceOptions five;
  five.hypotheses = 5;
  five.steps = 3;
  FrameJointArray<double> spread, again_spread;
  const Points3d jpma = PredictDataset(TrainedRun(), Tiny(), five, &spread);
  const Points3d again = PredictDataset(TrainedRun(), Tiny(), five, &again_spread);
  ASSERT_EQ(spread.num_frames(), Tiny().num_samples());
  double sum = 0.0;
  for (double s : spread.data()) {
    EXPECT_TRUE(std::isfinite(s));
    sum += s;
  }
  EXPECT_GT(sum / spread.data().size(), 1e-4);  // metres: the hypotheses differ
  EXPECT_LT(sum / spread.data().size(), 0.5);
  EXPECT_EQ(spread.data(), again_spread.data());  // same seed, same hypotheses
  for (int k = 0; k < 17; ++k) EXPECT_EQ(jpma.at(3, k), again.at(3, k));
  InferenceOptions other = five;
  other.seed = 7;
  EXPECT_NE(PredictDataset(TrainedRun(), Tiny(), other).at(3, 0), jpma.at(3, 0));
  // Averaging instead of JPMA gives other joints.
  InferenceOptions mean = five;
  mean.jpma = false;
  EXPECT_NE(PredictDataset(TrainedRun(), Tiny(), mean).at(3, 9), jpma.at(3, 9));
}

TEST(Diffusion, LiftingWithJpmaNeedsIntrinsics) {
  std::vector<int> rows;
  for (int s = 0; s < Tiny().num_samples(); ++s)
    if (Tiny().camera[s] == 0 && Tiny().sequence[s] == 0) rows.push_back(s);
  const LabelDataset cam0 = SelectSamples(Tiny(), rows);
  Track2d track;
  track.width = cam0.image_size[0].x();
  track.height = cam0.image_size[0].y();
  track.num_joints = 17;
  track.keypoints = cam0.keypoints2d;
  InferenceOptions five;
  five.hypotheses = 5;
  try {
    LiftPoses(TrainedRun(), track, five);
    ADD_FAILURE() << "JPMA without intrinsics was accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where(), "intrinsics");
  }
  track.K = cam0.K[0];
  for (int k = 0; k < 17; ++k) track.keypoints[cam0.Index(2, k)] = Eigen::Vector3d::Zero();  // frame 2: nothing seen
  FrameJointArray<double> spread;
  const Points3d lifted = LiftPoses(TrainedRun(), track, five, &spread);
  ASSERT_EQ(lifted.num_frames(), cam0.num_samples());
  EXPECT_FALSE(lifted.IsValid(2, 0));
  EXPECT_TRUE(std::isnan(spread.at(2, 0)));
  EXPECT_TRUE(lifted.IsValid(1, 0));
  EXPECT_GT(spread.at(1, 9), 0.0);
}

TEST(Diffusion, RejectsBadOptionsNamingTheKey) {
  InferenceOptions o;
  o.hypotheses = 0;
  try {
    o.Check();
    ADD_FAILURE() << "accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where(), "hypotheses");
  }
  LifterModelOptions m = SmallDiffusion("unused").model;
  m.diffusion_window = 2;
  try {
    m.Check();
    ADD_FAILURE() << "accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where(), "window");
  }
}

}  // namespace
}  // namespace epilabel
