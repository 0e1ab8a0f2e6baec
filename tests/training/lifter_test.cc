#include "training/lifter.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "foundation/npz.h"
#include "detection/skeleton.h"
#include "foundation/error.h"
#include "tests/pseudolabel/toy_scene.h"
#include "tests/testing.h"

namespace epilabel {
namespace {

// 48 short training sequences and 8 held-out ones of the toy scene (3 cameras, 10 frames
// each, 1 px 2D noise), built once. Many short sequences cover the toy motion's parameters.
struct ToyData {
  LabelDataset train, val;
};
const ToyData& Data() {
  static const ToyData data = [] {
    ToyData d;
    std::vector<LabelDataset> train, val;
    for (int i = 0; i < 48; ++i) train.push_back(testing::ToyDataset(3, 10, 10 + i, "train" + std::to_string(i), 1.0));
    for (int i = 0; i < 8; ++i) val.push_back(testing::ToyDataset(3, 10, 99 + i, "val" + std::to_string(i), 1.0));
    d.train = MergeDatasets(train);
    d.val = MergeDatasets(val);
    return d;
  }();
  return data;
}

TrainOptions SmallMlp(const std::string& run_dir) {
  TrainOptions o;
  o.model.type = "mlp";
  o.model.mlp_hidden = 256;
  o.model.dropout = 0.0;
  o.epochs = 12;
  o.batch_size = 64;
  o.learning_rate = 2e-3;
  o.lr_decay = 0.95;
  o.seed = 3;
  o.num_threads = 1;
  o.run_dir = run_dir;
  return o;
}

// MPJPE (mm) of always predicting the mean root-relative training pose.
double MeanPoseBaselineMm(const LabelDataset& train, const LabelDataset& val) {
  const int j = train.num_joints();
  std::vector<Eigen::Vector3d> mean(j, Eigen::Vector3d::Zero());
  for (int s = 0; s < train.num_samples(); ++s)
    for (int k = 0; k < j; ++k) mean[k] += train.points3d_cam[train.Index(s, k)] - train.root_cam[s];
  for (auto& m : mean) m /= train.num_samples();
  double sum = 0.0;
  for (int s = 0; s < val.num_samples(); ++s)
    for (int k = 0; k < j; ++k) sum += (val.points3d_cam[val.Index(s, k)] - val.root_cam[s] - mean[k]).norm();
  return 1e3 * sum / (val.num_samples() * j);
}

std::map<std::string, NpyArray> Weights(const std::string& run_dir) { return ReadNpz(run_dir + "/weights.npz"); }

TEST(TrainLifter, MlpLearnsToLiftHeldOutSequences) {
  testing::TempDir dir;
  std::vector<EpochSummary> seen;
  TrainOptions options = SmallMlp(dir / "run");
  options.on_epoch = [&](const EpochSummary& e) { seen.push_back(e); };
  size_t progress_calls = 0;
  const TrainSummary summary =
      TrainLifter(options, Data().train, Data().val, [&](const std::string&, size_t, size_t) { ++progress_calls; });
  ASSERT_EQ(summary.history.size(), 12u);
  EXPECT_EQ(seen.size(), 12u);
  EXPECT_GT(progress_calls, 12u);
  EXPECT_EQ(summary.num_parameters, CountParameters(options.model, 17));
  const double baseline = MeanPoseBaselineMm(Data().train, Data().val);
  EXPECT_LT(summary.final_val_mpjpe_mm, 0.6 * baseline) << "baseline " << baseline << " mm";
  EXPECT_LT(summary.history.back().train_loss, summary.history.front().train_loss);
  EXPECT_TRUE(std::filesystem::exists(dir / "run/checkpoint.pt"));
  EXPECT_TRUE(std::filesystem::exists(dir / "run/run.json"));
  const RunInfo info = ReadRunInfo(dir / "run");
  EXPECT_EQ(info.epochs_completed, 12);
  EXPECT_EQ(info.model.type, "mlp");
  EXPECT_EQ(info.skeleton, "coco17");

  // Evaluation on the validation set reproduces the last validation MPJPE.
  const EvaluationSummary eval = EvaluateLifter(dir / "run", Data().val);
  EXPECT_NEAR(eval.metrics.mpjpe * 1e3, summary.final_val_mpjpe_mm, 1e-3);
  EXPECT_LE(eval.metrics.p_mpjpe, eval.metrics.mpjpe);
  EXPECT_LE(eval.metrics.n_mpjpe, eval.metrics.mpjpe + 1e-12);
  EXPECT_GT(eval.metrics.pck, 0.5);
  EXPECT_GT(eval.metrics.Pss(50), 0.0);
  EXPECT_EQ(eval.num_samples, Data().val.num_samples());
  // Test-time flip averaging changes the predictions a little, not the quality.
  InferenceOptions tta;
  tta.test_time_flip = true;
  const EvaluationSummary flipped = EvaluateLifter(dir / "run", Data().val, tta);
  EXPECT_NE(flipped.metrics.mpjpe, eval.metrics.mpjpe);
  EXPECT_LT(flipped.metrics.mpjpe * 1e3, 0.6 * baseline);
}

TEST(TrainLifter, IsReproducibleForASeed) {
  testing::TempDir dir;
  TrainOptions a = SmallMlp(dir / "a");
  a.epochs = 2;
  a.augment.virtual_camera_rate = 0.3;
  TrainOptions b = a;
  b.run_dir = dir / "b";
  TrainOptions c = a;
  c.run_dir = dir / "c";
  c.seed = 4;
  TrainLifter(a, Data().train, Data().val);
  TrainLifter(b, Data().train, Data().val);
  TrainLifter(c, Data().train, Data().val);
  const auto wa = Weights(dir / "a"), wb = Weights(dir / "b"), wc = Weights(dir / "c");
  ASSERT_EQ(wa.size(), wb.size());
  bool differs_from_c = false;
  for (const auto& [name, array] : wa) {
    EXPECT_EQ(array.data, wb.at(name).data) << name;
    differs_from_c = differs_from_c || array.data != wc.at(name).data;
  }
  EXPECT_TRUE(differs_from_c);
  // Also with two threads (reproducible for a seed and a thread count).
  TrainOptions d = a;
  d.epochs = 1;
  d.num_threads = 2;
  d.run_dir = dir / "d";
  TrainOptions e = d;
  e.run_dir = dir / "e";
  TrainLifter(d, Data().train, Data().val);
  TrainLifter(e, Data().train, Data().val);
  const auto wd = Weights(dir / "d"), we = Weights(dir / "e");
  for (const auto& [name, array] : wd) EXPECT_EQ(array.data, we.at(name).data) << name;
}

TEST(TrainLifter, ResumedRunEqualsUninterruptedRun) {
  testing::TempDir dir;
  TrainOptions full = SmallMlp(dir / "full");
  full.epochs = 3;
  full.augment.virtual_camera_rate = 0.3;
  full.max_samples_per_epoch = 512;
  const TrainSummary uninterrupted = TrainLifter(full, Data().train, Data().val);

  TrainOptions first = full;
  first.run_dir = dir / "resumed";
  first.epochs = 1;
  TrainLifter(first, Data().train, Data().val);
  TrainOptions rest = first;
  rest.epochs = 3;
  rest.resume = true;
  const TrainSummary resumed = TrainLifter(rest, Data().train, Data().val);
  EXPECT_EQ(resumed.first_epoch, 2);
  ASSERT_EQ(resumed.history.size(), 3u);
  for (int e = 0; e < 3; ++e) {
    EXPECT_EQ(resumed.history[e].train_loss, uninterrupted.history[e].train_loss) << e;
    EXPECT_EQ(resumed.history[e].val_mpjpe_mm, uninterrupted.history[e].val_mpjpe_mm) << e;
  }
  const auto wa = Weights(dir / "full"), wb = Weights(dir / "resumed");
  for (const auto& [name, array] : wa) EXPECT_EQ(array.data, wb.at(name).data) << name;

  // Training into a finished run without --resume is refused; other model options too.
  EXPECT_THROW(TrainLifter(full, Data().train, Data().val), InputError);
  TrainOptions other = rest;
  other.model.mlp_hidden = 128;
  EXPECT_THROW(TrainLifter(other, Data().train, Data().val), InputError);
}

TEST(TrainLifter, CosineScheduleWithWarmUpSetsTheRatePerBatch) {
  TrainOptions o;
  o.learning_rate = 2e-3;
  o.lr_decay = 0.9;
  o.epochs = 10;
  // The exponential schedule without warm-up: once per epoch, whatever the batch.
  EXPECT_DOUBLE_EQ(ScheduledLearningRate(o, 1, 0, 4), 2e-3);
  EXPECT_DOUBLE_EQ(ScheduledLearningRate(o, 3, 3, 4), 2e-3 * 0.81);
  // Cosine: the full rate at the start, half at the middle, near 0 at the last batch.
  o.lr_schedule = "cosine";
  EXPECT_DOUBLE_EQ(ScheduledLearningRate(o, 1, 0, 4), 2e-3);
  EXPECT_NEAR(ScheduledLearningRate(o, 6, 0, 4), 1e-3, 1e-15);
  EXPECT_NEAR(ScheduledLearningRate(o, 3, 2, 4), 1e-3 * (1.0 + std::cos(M_PI * 2.5 / 10.0)), 1e-15);
  EXPECT_LT(ScheduledLearningRate(o, 10, 3, 4), 1e-5);
  EXPECT_GT(ScheduledLearningRate(o, 10, 3, 4), 0.0);
  // Warm-up over 2 epochs: rises linearly, counting the batch itself, then the schedule's rate.
  o.lr_warmup_epochs = 2.0;
  EXPECT_NEAR(ScheduledLearningRate(o, 1, 0, 4), 2e-3 * (0.25 / 2.0), 1e-15);
  EXPECT_NEAR(ScheduledLearningRate(o, 2, 0, 4), 1e-3 * (1.0 + std::cos(M_PI * 0.1)) * (1.25 / 2.0), 1e-15);
  EXPECT_NEAR(ScheduledLearningRate(o, 3, 0, 4), 1e-3 * (1.0 + std::cos(M_PI * 0.2)), 1e-15);
  o.lr_schedule = "exponential";
  EXPECT_NEAR(ScheduledLearningRate(o, 1, 1, 4), 2e-3 * (0.5 / 2.0), 1e-15);

  // Training: the history reports each epoch's first rate; the weights differ from the
  // exponential schedule's, and the model still learns.
  testing::TempDir dir;
  TrainOptions cosine = SmallMlp(dir / "cosine");
  cosine.epochs = 4;
  cosine.max_samples_per_epoch = 512;  // 8 batches of 64
  cosine.lr_schedule = "cosine";
  cosine.lr_warmup_epochs = 1.0;
  const TrainSummary summary = TrainLifter(cosine, Data().train, Data().val);
  ASSERT_EQ(summary.history.size(), 4u);
  EXPECT_NEAR(summary.history[0].learning_rate, 2e-3 / 8.0 * 1.0, 1e-15);
  EXPECT_NEAR(summary.history[1].learning_rate, 1e-3 * (1.0 + std::cos(M_PI * 0.25)), 1e-15);
  EXPECT_NEAR(summary.history[3].learning_rate, 1e-3 * (1.0 + std::cos(M_PI * 0.75)), 1e-15);
  EXPECT_LT(summary.history.back().train_loss, summary.history.front().train_loss);
  TrainOptions exponential = cosine;
  exponential.run_dir = dir / "exponential";
  exponential.lr_schedule = "exponential";
  exponential.lr_warmup_epochs = 0.0;
  TrainLifter(exponential, Data().train, Data().val);
  const auto wc = Weights(dir / "cosine"), we = Weights(dir / "exponential");
  bool differs = false;
  for (const auto& [name, array] : wc) differs = differs || array.data != we.at(name).data;
  EXPECT_TRUE(differs);

  // Bad schedules name their keys.
  TrainOptions bad = SmallMlp(dir / "bad");
  bad.lr_schedule = "step";
  try {
    bad.Check();
    ADD_FAILURE() << "an unknown schedule passed";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where(), "lr_schedule");
  }
  bad.lr_schedule = "cosine";
  bad.lr_warmup_epochs = bad.epochs;
  try {
    bad.Check();
    ADD_FAILURE() << "a warm-up of every epoch passed";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where(), "lr_warmup");
  }
}

TEST(TrainLifter, FrameTokenTransformerDefaultsToTheCosineSchedule) {
  LifterModelOptions frames;
  frames.type = "transformer";
  frames.transformer_tokens = "frames";
  const LearningRateSchedule s = DefaultLearningRateSchedule(frames, 50);
  EXPECT_DOUBLE_EQ(s.learning_rate, 2e-3);
  EXPECT_EQ(s.lr_schedule, "cosine");
  EXPECT_DOUBLE_EQ(s.lr_warmup_epochs, 2.0);
  // A short run warms up over a tenth of its epochs (a valid warm-up for any run).
  EXPECT_DOUBLE_EQ(DefaultLearningRateSchedule(frames, 8).lr_warmup_epochs, 0.8);
  TrainOptions one_epoch;
  one_epoch.model = frames;
  one_epoch.epochs = 1;
  one_epoch.run_dir = "unused";
  const LearningRateSchedule short_run = DefaultLearningRateSchedule(frames, 1);
  one_epoch.learning_rate = short_run.learning_rate;
  one_epoch.lr_schedule = short_run.lr_schedule;
  one_epoch.lr_warmup_epochs = short_run.lr_warmup_epochs;
  EXPECT_NO_THROW(one_epoch.Check());

  // Every other model (and the transformer's other tokens) keeps TrainOptions' defaults.
  const TrainOptions defaults;
  LifterModelOptions other;
  for (const char* type : {"mlp", "tcn", "gcn", "diffusion", "transformer"}) {
    for (const char* tokens : {"joints", "parts"}) {
      other.type = type;
      other.transformer_tokens = tokens;
      const LearningRateSchedule d = DefaultLearningRateSchedule(other, 50);
      EXPECT_EQ(d.learning_rate, defaults.learning_rate) << type << " " << tokens;
      EXPECT_EQ(d.lr_schedule, defaults.lr_schedule) << type << " " << tokens;
      EXPECT_EQ(d.lr_warmup_epochs, defaults.lr_warmup_epochs) << type << " " << tokens;
    }
  }
}

TEST(TrainLifter, TcnLearnsFromTemporalWindows) {
  testing::TempDir dir;
  const double baseline = MeanPoseBaselineMm(Data().train, Data().val);
  TrainOptions tcn = SmallMlp(dir / "tcn");
  tcn.model.type = "tcn";
  tcn.model.tcn_receptive_field = 9;
  tcn.model.tcn_channels = 64;
  tcn.epochs = 8;
  const TrainSummary t = TrainLifter(tcn, Data().train, Data().val);
  EXPECT_LT(t.final_val_mpjpe_mm, 0.7 * baseline) << "baseline " << baseline << " mm";
}

// The bounds are ratios to figures of the same run, not a number tuned to one compiler: the
// held-out error after eight epochs against the same model's after its first (measured with gcc:
// 515 -> 197 mm, 0.38; a limit of 0.5), and below always predicting the mean pose (251.5 mm;
// gcc 0.78 of it, clang with sanitizers 0.80).
TEST(TrainLifter, GcnLearnsOverTheSkeletonGraph) {
  testing::TempDir dir;
  const double baseline = MeanPoseBaselineMm(Data().train, Data().val);
  TrainOptions gcn = SmallMlp(dir / "gcn");
  gcn.model.type = "gcn";
  gcn.model.gcn_hidden = 32;
  gcn.epochs = 8;
  gcn.loss.bone_symmetry_weight = 0.1;
  const TrainSummary g = TrainLifter(gcn, Data().train, Data().val);
  ASSERT_EQ(g.history.size(), 8u);
  const double first = g.history.front().val_mpjpe_mm;
  std::printf("gcn: epoch 1 %.1f mm, epoch 8 %.1f mm (mean pose %.1f mm)\n", first, g.final_val_mpjpe_mm, baseline);
  EXPECT_LT(g.final_val_mpjpe_mm, 0.5 * first);
  EXPECT_LT(g.final_val_mpjpe_mm, baseline);
  // The gcn carries the skeleton's normalised adjacency as a buffer.
  const auto w = Weights(dir / "gcn");
  ASSERT_TRUE(w.count("adjacency"));
  EXPECT_EQ(w.at("adjacency").shape, (std::vector<int64_t>{17, 17}));
  EXPECT_EQ(w.at("blocks.1.conv2.modulation").shape, (std::vector<int64_t>{17, 32}));
}

// Labels known only up to scale (every sample scaled by a random factor, as two-view labels
// without a metric scale are): the scale-normalised loss still learns the pose structure.
TEST(TrainLifter, ScaleNormalisedLossLearnsFromUpToScaleLabels) {
  testing::TempDir dir;
  LabelDataset scaled = Data().train;
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> factor(0.5, 2.0);
  for (int s = 0; s < scaled.num_samples(); ++s) {
    const double f = factor(rng);
    scaled.root_cam[s] *= f;
    for (int k = 0; k < 17; ++k) scaled.points3d_cam[scaled.Index(s, k)] *= f;
  }
  const double baseline = MeanPoseBaselineMm(Data().train, Data().val);
  TrainOptions n_mpjpe = SmallMlp(dir / "n");
  n_mpjpe.loss.mpjpe_weight = 0.0;
  n_mpjpe.loss.n_mpjpe_weight = 1.0;
  n_mpjpe.epochs = 8;
  TrainLifter(n_mpjpe, scaled, LabelDataset{});
  TrainOptions mpjpe = SmallMlp(dir / "m");
  mpjpe.epochs = 8;
  TrainLifter(mpjpe, scaled, LabelDataset{});
  const BodyPoseMetrics with_n = EvaluateLifter(dir / "n", Data().val).metrics;
  const BodyPoseMetrics with_plain = EvaluateLifter(dir / "m", Data().val).metrics;
  std::printf("N-MPJPE: n-mpjpe loss %.1f mm, mpjpe loss %.1f mm (baseline %.1f mm)\n", with_n.n_mpjpe * 1e3,
              with_plain.n_mpjpe * 1e3, baseline);
  EXPECT_LT(with_n.n_mpjpe * 1e3, 0.6 * baseline);
  EXPECT_LT(with_n.n_mpjpe, with_plain.n_mpjpe);
}

TEST(CountParameters, MatchesTheArchitectures) {
  LifterModelOptions mlp;  // Martinez: 1024 wide, 2 blocks
  const int64_t h = 1024, j = 17;
  const int64_t expected_mlp = (2 * j * h + h) + 2 * h + 2 * (2 * (h * h + h) + 2 * 2 * h) + (h * 3 * j + 3 * j);
  EXPECT_EQ(CountParameters(mlp, 17), expected_mlp);
  LifterModelOptions tcn;
  tcn.type = "tcn";
  tcn.tcn_receptive_field = 27;
  tcn.tcn_channels = 1024;
  const int64_t c = 1024;
  // expand (2J*C*3) + bn, then 2 blocks of (C*C*3 + C*C) + 2 bn, then shrink.
  const int64_t expected_tcn = 2 * j * c * 3 + 2 * c + 2 * (c * c * 3 + c * c + 4 * c) + (c * 3 * j + 3 * j);
  EXPECT_EQ(CountParameters(tcn, 17), expected_tcn);
  tcn.tcn_receptive_field = 30;
  EXPECT_THROW(CountParameters(tcn, 17), InputError);
  LifterModelOptions bad;
  bad.type = "lstm";
  EXPECT_THROW(CountParameters(bad, 17), InputError);
}

TEST(LiftPoses, MatchesDatasetPredictionsAndMarksEmptyFrames) {
  testing::TempDir dir;
  TrainOptions options = SmallMlp(dir / "run");
  options.epochs = 1;
  TrainLifter(options, Data().train, Data().val);
  // One camera of the validation sequence as a 2D track.
  std::vector<int> rows;
  for (int s = 0; s < Data().val.num_samples(); ++s)
    if (Data().val.camera[s] == 1 && Data().val.sequence[s] == 0) rows.push_back(s);
  const LabelDataset cam1 = SelectSamples(Data().val, rows);
  Track2d track;
  track.width = cam1.image_size[0].x();
  track.height = cam1.image_size[0].y();
  track.num_joints = 17;
  track.keypoints = cam1.keypoints2d;
  for (int k = 0; k < 17; ++k) track.keypoints[cam1.Index(5, k)] = Eigen::Vector3d::Zero();  // frame 5: nothing seen
  const Points3d lifted = LiftPoses(dir / "run", track);
  const Points3d expected = PredictDataset(dir / "run", cam1);
  ASSERT_EQ(lifted.num_frames(), cam1.num_samples());
  for (int f = 0; f < lifted.num_frames(); ++f) {
    for (int k = 0; k < 17; ++k) {
      if (f == 5) {
        EXPECT_FALSE(lifted.IsValid(f, k));
      } else {
        EXPECT_LT((lifted.at(f, k) - expected.at(f, k)).norm(), 1e-6);
      }
    }
  }
  track.num_joints = 18;
  EXPECT_THROW(LiftPoses(dir / "run", track), InputError);
  EXPECT_THROW(LiftPoses(dir / "no_run", Track2d{}), InputError);
}

// A numpy forward pass (eval mode) of each model, written from the PyTorch modules that
// docs/training.md gives, run on the exported weights.npz: prints the largest difference to
// the predictions of the C++ model.
constexpr const char* kNumpyForward = R"(import numpy as np, sys
w = np.load(sys.argv[1] + '/weights.npz')
io = np.load(sys.argv[2])
model = sys.argv[3]
relu = lambda x: np.maximum(x, 0)
def linear(x, p): return x @ w[p + '.weight'].T + w[p + '.bias']
def bn(x, p, axis=-1):
    shape = [1] * x.ndim; shape[axis] = -1
    g = lambda s: w[p + '.' + s].reshape(shape)
    return (x - g('running_mean')) / np.sqrt(g('running_var') + 1e-5) * g('weight') + g('bias')
x = io['x'].astype(np.float32)  # [B, T, J, 2]
b, t, j = x.shape[:3]
if model == 'mlp':
    y = relu(bn(linear(x.reshape(b, -1), 'w1'), 'batch_norm1'))
    i = 0
    while 'linear_stages.%d.w1.weight' % i in w.files:
        s = 'linear_stages.%d.' % i
        z = relu(bn(linear(y, s + 'w1'), s + 'batch_norm1'))
        y = y + relu(bn(linear(z, s + 'w2'), s + 'batch_norm2'))
        i += 1
    out = linear(y, 'w2').reshape(b, j, 3)
elif model == 'tcn':
    def conv(x, p):  # Conv1d with stride = kernel width
        k = w[p + '.weight']
        width = k.shape[2]
        xr = x.reshape(x.shape[0], x.shape[1], x.shape[2] // width, width)
        y = np.einsum('oik,bitk->bot', k, xr)
        return y + w[p + '.bias'][None, :, None] if p + '.bias' in w.files else y
    y = x.reshape(b, t, -1).transpose(0, 2, 1)
    y = relu(bn(conv(y, 'expand_conv'), 'expand_bn', axis=1))
    i = 0
    while 'layers_conv.%d.weight' % (2 * i) in w.files:
        res = y[:, :, 1::3]
        y = relu(bn(conv(y, 'layers_conv.%d' % (2 * i)), 'layers_bn.%d' % (2 * i), axis=1))
        y = res + relu(bn(conv(y, 'layers_conv.%d' % (2 * i + 1)), 'layers_bn.%d' % (2 * i + 1), axis=1))
        i += 1
    out = conv(y, 'shrink').transpose(0, 2, 1).reshape(b, j, 3)
else:
    a = w['adjacency']
    d = np.diag(a)
    nb = a - np.diag(d)
    def gconv(x, p):
        hs, hn, hg = (x @ w[p + '.' + n] for n in ('self_weight', 'neighbour_weight', 'global_weight'))
        y = hs * d[None, :, None] + np.einsum('jk,bko->bjo', nb, hn) + hg.mean(axis=1, keepdims=True)
        return y * w[p + '.modulation'] + w[p + '.bias']
    y = relu(bn(gconv(x[:, t // 2], 'input_conv'), 'input_bn'))
    i = 0
    while 'blocks.%d.conv1.self_weight' % i in w.files:
        s = 'blocks.%d.' % i
        z = relu(bn(gconv(y, s + 'conv1'), s + 'bn1'))
        y = y + relu(bn(gconv(z, s + 'conv2'), s + 'bn2'))
        i += 1
    out = gconv(y, 'output_conv')
err = np.abs(out - io['y']).max()
assert err < 1e-4, err
print('forward-ok', err)
)";

// Trains `options` for one epoch, then checks the numpy forward pass on a few samples.
void ExpectNumpyReproduces(TrainOptions options, const testing::TempDir& dir) {
  options.epochs = 1;
  options.max_samples_per_epoch = 512;
  TrainLifter(options, Data().train, Data().val);
  const LabelDataset few = SelectSamples(Data().val, {0, 1, 2, 3, 4, 15, 16});
  const Points3d pred = PredictDataset(options.run_dir, few);
  const Batch batch = MakeBatch(PrepareLifterData(few), {0, 1, 2, 3, 4, 5, 6}, options.model.WindowLength(),
                                AugmentOptions{}, nullptr);
  std::vector<double> inputs(batch.input.begin(), batch.input.end()), outputs;
  for (int s = 0; s < few.num_samples(); ++s)
    for (int k = 0; k < 17; ++k)
      for (int c = 0; c < 3; ++c) outputs.push_back(pred.at(s, k)(c));
  NpzWriter w(dir / "io.npz");
  w.Add("x", NpyArray::FromVector(inputs, {batch.size, batch.window, 17, 2}));
  w.Add("y", NpyArray::FromVector(outputs, {few.num_samples(), 17, 3}));
  w.Close();
  std::ofstream(dir / "forward.py") << kNumpyForward;
  const auto r = testing::Run(testing::PythonWithNumpy() + " " + (dir / "forward.py") + " " + options.run_dir + " " +
                              (dir / "io.npz") + " " + options.model.type);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("forward-ok"), std::string::npos) << r.output;
}

// The exported weights load in numpy with PyTorch's state_dict names and reproduce the model.
TEST(WeightExport, MlpLoadsInNumpyWithStateDictNames) {
  testing::TempDir dir;
  TrainOptions options = SmallMlp(dir / "run");
  options.model.mlp_hidden = 64;
  ExpectNumpyReproduces(options, dir);
  const auto w = ReadNpz(dir / "run/weights.npz");
  std::set<std::string> names;
  for (const auto& [name, array] : w) names.insert(name);
  std::set<std::string> expected = {"w1.weight", "w1.bias", "w2.weight", "w2.bias"};
  for (const std::string s : {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"}) {
    expected.insert("batch_norm1." + s);
    for (int i = 0; i < 2; ++i) {
      expected.insert("linear_stages." + std::to_string(i) + ".batch_norm1." + s);
      expected.insert("linear_stages." + std::to_string(i) + ".batch_norm2." + s);
    }
  }
  for (int i = 0; i < 2; ++i)
    for (const std::string l : {"w1", "w2"})
      for (const std::string s : {"weight", "bias"}) expected.insert("linear_stages." + std::to_string(i) + "." + l + "." + s);
  EXPECT_EQ(names, expected);
  EXPECT_EQ(w.at("w1.weight").shape, (std::vector<int64_t>{64, 34}));
  EXPECT_EQ(w.at("w1.weight").descr, "<f4");
  EXPECT_EQ(w.at("w2.weight").shape, (std::vector<int64_t>{51, 64}));
  EXPECT_EQ(w.at("batch_norm1.num_batches_tracked").descr, "<i8");
}

TEST(WeightExport, TcnUsesVideoPose3DNames) {
  testing::TempDir dir;
  TrainOptions options = SmallMlp(dir / "run");
  options.model.type = "tcn";
  options.model.tcn_receptive_field = 27;
  options.model.tcn_channels = 32;
  ExpectNumpyReproduces(options, dir);
  ExportWeightsNpz(dir / "run", dir / "copy.npz");
  const auto w = ReadNpz(dir / "copy.npz");
  EXPECT_EQ(w.at("expand_conv.weight").shape, (std::vector<int64_t>{32, 34, 3}));
  EXPECT_EQ(w.at("layers_conv.0.weight").shape, (std::vector<int64_t>{32, 32, 3}));
  EXPECT_EQ(w.at("layers_conv.1.weight").shape, (std::vector<int64_t>{32, 32, 1}));
  EXPECT_EQ(w.at("layers_conv.3.weight").shape, (std::vector<int64_t>{32, 32, 1}));
  EXPECT_EQ(w.count("layers_conv.4.weight"), 0u);
  EXPECT_EQ(w.at("layers_bn.3.running_var").shape, (std::vector<int64_t>{32}));
  EXPECT_EQ(w.at("shrink.weight").shape, (std::vector<int64_t>{51, 32, 1}));
  EXPECT_EQ(w.at("shrink.bias").shape, (std::vector<int64_t>{51}));
  EXPECT_EQ(w.count("expand_conv.bias"), 0u);  // VideoPose3D's convolutions have no bias
}

TEST(WeightExport, GcnForwardIsTheDocumentedOne) {
  testing::TempDir dir;
  TrainOptions options = SmallMlp(dir / "run");
  options.model.type = "gcn";
  options.model.gcn_hidden = 16;
  ExpectNumpyReproduces(options, dir);
}

TEST(TrainLifter, RejectsUnusableInput) {
  testing::TempDir dir;
  LabelDataset unlabelled = SelectSamples(Data().val, {0, 1, 2});
  std::fill(unlabelled.valid.begin(), unlabelled.valid.end(), 0);
  EXPECT_THROW(TrainLifter(SmallMlp(dir / "a"), unlabelled, LabelDataset{}), InputError);
  LabelDataset unknown = Data().val;
  unknown.skeleton.clear();
  unknown.joint_names[0] = "snout";  // no skeleton has these joints: flipping is impossible
  EXPECT_THROW(TrainLifter(SmallMlp(dir / "b"), unknown, LabelDataset{}), InputError);
  TrainOptions bad = SmallMlp(dir / "c");
  bad.batch_size = 1;
  EXPECT_THROW(TrainLifter(bad, Data().train, Data().val), InputError);
}

// The InputError key of a call that must fail.
template <typename F>
std::string ErrorKey(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.where();
  }
  return "(no error)";
}

TEST(UncertaintyHead, PredictsASigmaOfTheOrderOfTheError) {
  testing::TempDir dir;
  TrainOptions options = SmallMlp(dir / "run");
  options.model.uncertainty_head = true;
  TrainLifter(options, Data().train, Data().val);
  // The head: Linear(5J, 128), ReLU, Linear(128, J) beside the unchanged mlp.
  TrainOptions plain = SmallMlp(dir / "plain");
  EXPECT_EQ(CountParameters(options.model, 17) - CountParameters(plain.model, 17), 5 * 17 * 128 + 128 + 128 * 17 + 17);
  const auto weights = Weights(dir / "run");
  EXPECT_TRUE(weights.count("sigma_head.2.bias"));
  // The head learns from the detached error: the lifter's weights are the plain run's.
  TrainLifter(plain, Data().train, Data().val);
  const auto plain_weights = Weights(dir / "plain");
  for (const auto& [name, array] : plain_weights) {
    ASSERT_TRUE(weights.count("backbone." + name)) << name;
    EXPECT_EQ(weights.at("backbone." + name).data, array.data) << name;
  }
  EXPECT_TRUE(ReadRunInfo(dir / "run").model.uncertainty_head);

  FrameJointArray<double> sigma;
  const Points3d predicted = PredictDataset(dir / "run", Data().val, InferenceOptions{}, &sigma);
  double sigma_sum = 0.0, error_sum = 0.0;
  const LabelDataset& val = Data().val;
  for (int s = 0; s < val.num_samples(); ++s)
    for (int k = 0; k < 17; ++k) {
      ASSERT_GT(sigma.at(s, k), 0.0);
      sigma_sum += sigma.at(s, k);
      error_sum += (predicted.at(s, k) - (val.points3d_cam[val.Index(s, k)] - val.root_cam[s])).norm();
    }
  // The Laplace loss's sigma estimates the expected joint error (held-out data: within 3x).
  EXPECT_GT(sigma_sum, error_sum / 3.0);
  EXPECT_LT(sigma_sum, error_sum * 3.0);
  const double baseline = MeanPoseBaselineMm(Data().train, Data().val);
  const double plain_error = EvaluateLifter(dir / "run", val).metrics.mpjpe * 1e3;
  EXPECT_LT(plain_error, 0.6 * baseline);

  // The test-time refinement on the 2D (the dataset's K and root) lowers the error.
  InferenceOptions refine;
  refine.refine = true;
  EXPECT_LT(EvaluateLifter(dir / "run", val, refine).metrics.mpjpe * 1e3, plain_error);
  refine.refine_steps = 0;
  EXPECT_EQ(ErrorKey([&] { EvaluateLifter(dir / "run", val, refine); }), "refine_steps");
  TrainOptions diffusion = options;
  diffusion.model.type = "diffusion";
  EXPECT_EQ(ErrorKey([&] { diffusion.Check(); }), "uncertainty");
}

TEST(Perspective, TrainsInRotatedCamerasAndPredictsInTheOriginalOne) {
  testing::TempDir dir;
  TrainOptions options = SmallMlp(dir / "run");
  options.model.perspective = true;
  const TrainSummary summary = TrainLifter(options, Data().train, Data().val);
  const double baseline = MeanPoseBaselineMm(Data().train, Data().val);
  EXPECT_LT(summary.final_val_mpjpe_mm, 0.6 * baseline) << "baseline " << baseline << " mm";
  // Evaluation rotates back as validation does, with and without the test-time flip.
  EXPECT_NEAR(EvaluateLifter(dir / "run", Data().val).metrics.mpjpe * 1e3, summary.final_val_mpjpe_mm, 1e-3);
  InferenceOptions tta;
  tta.test_time_flip = true;
  EXPECT_LT(EvaluateLifter(dir / "run", Data().val, tta).metrics.mpjpe * 1e3, 0.6 * baseline);
  EXPECT_TRUE(ReadRunInfo(dir / "run").model.perspective);
  // Lifting needs the intrinsics.
  Track2d track;
  track.width = 1280;
  track.height = 720;
  track.num_joints = 17;
  track.keypoints.assign(17, Eigen::Vector3d(600, 300, 1));
  EXPECT_EQ(ErrorKey([&] { LiftPoses(dir / "run", track); }), "intrinsics");
}

TEST(PerspectiveEncoding, EveryModelTakesTheRaysAsTwoMoreInputChannels) {
  const int64_t j = 17;
  auto with_rays = [](LifterModelOptions o) {
    o.perspective_encoding = true;
    return o;
  };
  // The first layer of each model grows by exactly the two channels per joint (and frame).
  LifterModelOptions mlp;
  mlp.mlp_hidden = 64;
  EXPECT_EQ(CountParameters(with_rays(mlp), j) - CountParameters(mlp, j), 2 * j * 64);
  LifterModelOptions tcn;
  tcn.type = "tcn";
  tcn.tcn_channels = 32;
  EXPECT_EQ(CountParameters(with_rays(tcn), j) - CountParameters(tcn, j), 2 * j * 32 * 3);
  LifterModelOptions gcn;
  gcn.type = "gcn";
  gcn.gcn_hidden = 16;
  EXPECT_EQ(CountParameters(with_rays(gcn), j) - CountParameters(gcn, j), 3 * 2 * 16);  // self, neighbour, global
  LifterModelOptions transformer;
  transformer.type = "transformer";
  transformer.transformer_window = 5;
  transformer.transformer_dim = 16;
  transformer.transformer_heads = 2;
  EXPECT_EQ(CountParameters(with_rays(transformer), j) - CountParameters(transformer, j), 2 * 16);
  LifterModelOptions diffusion;
  diffusion.type = "diffusion";
  diffusion.diffusion_window = 3;
  diffusion.diffusion_hidden = 32;
  EXPECT_EQ(CountParameters(with_rays(diffusion), j) - CountParameters(diffusion, j), 3 * j * 2 * 32);
  // And every one of them trains and predicts with them (a few batches each).
  for (const LifterModelOptions& m : {tcn, gcn, transformer, diffusion}) {
    testing::TempDir dir;
    TrainOptions options = SmallMlp(dir / "run");
    options.model = with_rays(m);
    options.epochs = 1;
    options.max_samples_per_epoch = 128;
    const TrainSummary summary = TrainLifter(options, Data().train, Data().val);
    EXPECT_TRUE(std::isfinite(summary.final_val_mpjpe_mm)) << m.type;
    EXPECT_NEAR(EvaluateLifter(dir / "run", Data().val).metrics.mpjpe * 1e3, summary.final_val_mpjpe_mm, 1e-3) << m.type;
  }
}

TEST(PerspectiveEncoding, LearnsAndNeedsTheIntrinsicsToLift) {
  testing::TempDir dir;
  TrainOptions options = SmallMlp(dir / "run");
  options.model.perspective_encoding = true;
  options.model.perspective = true;
  const TrainSummary summary = TrainLifter(options, Data().train, Data().val);
  const double baseline = MeanPoseBaselineMm(Data().train, Data().val);
  EXPECT_LT(summary.final_val_mpjpe_mm, 0.6 * baseline) << "baseline " << baseline << " mm";
  InferenceOptions tta;
  tta.test_time_flip = true;
  EXPECT_LT(EvaluateLifter(dir / "run", Data().val, tta).metrics.mpjpe * 1e3, 0.6 * baseline);
  const RunInfo info = ReadRunInfo(dir / "run");
  EXPECT_TRUE(info.model.perspective_encoding);
  EXPECT_EQ(info.num_parameters, CountParameters(options.model, 17));
  // The rays depend on K: the same 2D under another focal length predicts another pose.
  LabelDataset zoomed = Data().val;
  for (auto& K : zoomed.K) K(0, 0) *= 1.5, K(1, 1) *= 1.5;
  InferenceOptions plain;
  const Points3d p = PredictDataset(dir / "run", Data().val, plain);
  const Points3d q = PredictDataset(dir / "run", zoomed, plain);
  double change = 0.0;
  for (int s = 0; s < p.num_frames(); ++s)
    for (int k = 0; k < p.num_joints(); ++k) change += (p.at(s, k) - q.at(s, k)).norm();
  EXPECT_GT(change / (p.num_frames() * p.num_joints()), 1e-4);
  Track2d track;
  track.width = 1280;
  track.height = 720;
  track.num_joints = 17;
  track.keypoints.assign(17, Eigen::Vector3d(600, 300, 1));
  EXPECT_EQ(ErrorKey([&] { LiftPoses(dir / "run", track); }), "intrinsics");
}

TEST(MaskedPretraining, PretrainsOnEverySampleThenFineTunesOnTheLabelled) {
  testing::TempDir dir;
  // A tenth of the samples keep their labels.
  LabelDataset few = Data().train;
  int labelled = 0;
  for (int s = 0; s < few.num_samples(); ++s) {
    const bool keep = s % 10 == 0;
    labelled += keep ? 1 : 0;
    for (int k = 0; k < few.num_joints(); ++k) few.valid[few.Index(s, k)] = keep ? few.valid[few.Index(s, k)] : 0;
  }
  TrainOptions options = SmallMlp(dir / "run");
  options.epochs = 4;
  options.pretrain = "masked";
  options.pretrain_epochs = 2;
  const TrainSummary summary = TrainLifter(options, few, Data().val);
  ASSERT_EQ(summary.history.size(), 4u);
  const int64_t batch = options.batch_size;
  auto drawn = [batch](int64_t n) { return n % batch == 1 ? n - 1 : n; };  // a last batch of one is dropped
  EXPECT_EQ(summary.history[0].samples, drawn(few.num_samples()));
  EXPECT_EQ(summary.history[1].samples, drawn(few.num_samples()));
  EXPECT_EQ(summary.history[2].samples, drawn(labelled));
  EXPECT_EQ(summary.history[3].samples, drawn(labelled));
  EXPECT_TRUE(std::isfinite(summary.final_val_mpjpe_mm));
  // The option errors name their keys.
  TrainOptions bad = options;
  bad.pretrain = "contrastive";
  EXPECT_EQ(ErrorKey([&] { bad.Check(); }), "pretrain");
  bad = options;
  bad.pretrain_epochs = 4;
  EXPECT_EQ(ErrorKey([&] { bad.Check(); }), "pretrain_epochs");
  bad = options;
  bad.mask_joint_rate = 1.0;
  EXPECT_EQ(ErrorKey([&] { bad.Check(); }), "mask_joints");
  bad = options;
  bad.pretrain.clear();
  EXPECT_EQ(ErrorKey([&] { bad.Check(); }), "pretrain_epochs");
}

TEST(MaskedPretraining, MaskedPoseCompletionAddsItsLossAndLeavesTheModelAsItIs) {
  testing::TempDir dir;
  LabelDataset few = Data().train;
  for (int s = 0; s < few.num_samples(); ++s)
    for (int k = 0; k < few.num_joints(); ++k) few.valid[few.Index(s, k)] = s % 5 == 0 ? few.valid[few.Index(s, k)] : 0;
  TrainOptions options = SmallMlp(dir / "plain");
  options.epochs = 6;
  options.pretrain = "masked";
  options.pretrain_epochs = 2;
  const TrainSummary plain = TrainLifter(options, few, Data().val);
  options.pretrain_3d_weight = 1.0;
  options.run_dir = dir / "with3d";
  const TrainSummary with3d = TrainLifter(options, few, Data().val);
  // The pre-training epochs carry the completion's loss (a 3D error of decimetres to metres at
  // first), the same samples are drawn per epoch, and the fine-tuned model still learns.
  EXPECT_GT(with3d.history[0].train_loss, plain.history[0].train_loss + 0.05);
  for (int e = 0; e < 6; ++e) EXPECT_EQ(with3d.history[e].samples, plain.history[e].samples);
  // The completion is learnt: its loss falls over the pre-training steps.
  EXPECT_LT(with3d.history[1].train_loss, with3d.history[0].train_loss);
  const double baseline = MeanPoseBaselineMm(Data().train, Data().val);
  EXPECT_LT(with3d.final_val_mpjpe_mm, 0.8 * baseline) << "baseline " << baseline << " mm";
  // The stem is not part of the run: the same parameters and weight names as without it.
  EXPECT_EQ(with3d.num_parameters, plain.num_parameters);
  std::set<std::string> names_plain, names_3d;
  for (const auto& [name, array] : Weights(dir / "plain")) names_plain.insert(name);
  for (const auto& [name, array] : Weights(dir / "with3d")) names_3d.insert(name);
  EXPECT_EQ(names_3d, names_plain);
  // Reproducible for a seed.
  options.run_dir = dir / "again";
  const TrainSummary again = TrainLifter(options, few, Data().val);
  EXPECT_EQ(again.final_val_mpjpe_mm, with3d.final_val_mpjpe_mm);
  // Errors name the key.
  TrainOptions bad = options;
  bad.pretrain_3d_weight = -1.0;
  EXPECT_EQ(ErrorKey([&] { bad.Check(); }), "pretrain_3d_weight");
  bad = options;
  bad.pretrain.clear();
  bad.pretrain_epochs = 0;
  EXPECT_EQ(ErrorKey([&] { bad.Check(); }), "pretrain_3d_weight");
}

TEST(MaskedPretraining, MotionCaptureJoinsTheMaskedPoseCompletion) {
  testing::TempDir dir;
  const char* env = std::getenv("EPILABEL_DATA_DIR");
  const std::string motions = std::string(env != nullptr ? env : "data") + "/mocap_pretrain";
  // Two labelled samples: the 3D pretext draws almost only motion capture.
  LabelDataset few = Data().train;
  for (int s = 0; s < few.num_samples(); ++s)
    for (int k = 0; k < few.num_joints(); ++k) few.valid[few.Index(s, k)] = s % 40 == 0 ? few.valid[few.Index(s, k)] : 0;
  TrainOptions options = SmallMlp(dir / "labels");
  options.epochs = 5;
  options.pretrain = "masked";
  options.pretrain_epochs = 4;
  options.pretrain_2d_weight = 0.0;
  options.pretrain_3d_weight = 1.0;
  const TrainSummary labels_only = TrainLifter(options, few, Data().val);
  options.pretrain_motions = motions;
  options.run_dir = dir / "mocap";
  const TrainSummary mocap = TrainLifter(options, few, Data().val);
  // The completion now sees other poses (the loss differs from the first step), and learns them:
  // the pre-training loss falls from epoch to epoch.
  EXPECT_GT(std::abs(mocap.history[0].train_loss - labels_only.history[0].train_loss), 1e-3);
  for (int e = 1; e < 4; ++e) EXPECT_LT(mocap.history[e].train_loss, mocap.history[e - 1].train_loss) << e;
  EXPECT_LT(mocap.history[3].train_loss, 0.8 * mocap.history[0].train_loss);
  // The run records the folder; the model is the same size; reproducible for a seed.
  std::ifstream run_json(dir / "mocap/run.json");
  const std::string text((std::istreambuf_iterator<char>(run_json)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("mocap_pretrain"), std::string::npos);
  EXPECT_EQ(mocap.num_parameters, labels_only.num_parameters);
  options.run_dir = dir / "again";
  const TrainSummary again = TrainLifter(options, few, Data().val);
  EXPECT_EQ(again.final_val_mpjpe_mm, mocap.final_val_mpjpe_mm);
  EXPECT_EQ(again.history[0].train_loss, mocap.history[0].train_loss);
  // A bad folder is an InputError naming it; options without the 3D pretext name the key.
  TrainOptions bad = options;
  bad.overwrite = true;
  bad.pretrain_motions = dir / "no_such_folder";
  try {
    TrainLifter(bad, few, Data().val);
    ADD_FAILURE() << "no error for a missing folder";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where(), dir / "no_such_folder");
  }
  bad = options;
  bad.pretrain_3d_weight = 0.0;
  EXPECT_EQ(ErrorKey([&] { bad.Check(); }), "pretrain_motions");
  bad = options;
  bad.pretrain_motion_fps = 0.0;
  EXPECT_EQ(ErrorKey([&] { bad.Check(); }), "pretrain_motion_fps");
}

}  // namespace
}  // namespace epilabel
