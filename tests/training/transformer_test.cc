// The spatio-temporal transformer lifter (MotionAGFormer blocks, KTPFormer's KPA / TPA, joint / part / frame tokens).
#include <gtest/gtest.h>

#include "foundation/error.h"
#include "foundation/npz.h"
#include "tests/testing.h"
#include "tests/training/tiny_data.h"
#include "training/lifter.h"

namespace epilabel {
namespace {

TrainOptions SmallTransformer(const std::string& run_dir) {
  TrainOptions o;
  o.model.type = "transformer";
  o.model.transformer_window = 5;
  o.model.transformer_dim = 16;
  o.model.transformer_depth = 1;
  o.model.transformer_heads = 2;
  o.epochs = 40;
  o.batch_size = 16;
  o.learning_rate = 1e-2;
  o.lr_decay = 0.98;
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

// Trains `o` on the tiny set and checks that it learns it: the loss falls below 0.4 x its start
// and the MPJPE below half the mean-pose baseline's.
TrainSummary TrainAndCheckItLearns(const TrainOptions& o) {
  const TrainSummary s = TrainLifter(o, Tiny(), LabelDataset{});
  EXPECT_LT(s.history.back().train_loss, 0.4 * s.history.front().train_loss);
  const double baseline = testing::MeanPoseBaselineMm(Tiny(), Tiny());
  EXPECT_LT(EvaluateLifter(o.run_dir, Tiny()).metrics.mpjpe * 1e3, 0.5 * baseline) << "baseline " << baseline;
  return s;
}

TEST(Transformer, OverfitsATinyDataset) {
  testing::TempDir dir;
  const TrainSummary s = TrainLifter(SmallTransformer(dir / "run"), Tiny(), LabelDataset{});
  const double baseline = testing::MeanPoseBaselineMm(Tiny(), Tiny());
  const double mpjpe = EvaluateLifter(dir / "run", Tiny()).metrics.mpjpe * 1e3;
  EXPECT_LT(mpjpe, 0.4 * baseline) << "mean-pose baseline " << baseline << " mm";
  EXPECT_LT(s.history.back().train_loss, 0.4 * s.history.front().train_loss);
}

// MotionAGFormer's sequence-to-sequence loss: every frame of the window is supervised; the
// lifter still predicts the centre frame, and learns it.
TEST(Transformer, SequenceLossSupervisesEveryFrame) {
  testing::TempDir dir;
  TrainOptions options = SmallTransformer(dir / "run");
  options.model.transformer_sequence_loss = true;
  const TrainSummary s = TrainLifter(options, Tiny(), LabelDataset{});
  const double baseline = testing::MeanPoseBaselineMm(Tiny(), Tiny());
  EXPECT_LT(EvaluateLifter(dir / "run", Tiny()).metrics.mpjpe * 1e3, 0.4 * baseline) << "baseline " << baseline;
  EXPECT_LT(s.history.back().train_loss, 0.4 * s.history.front().train_loss);
  EXPECT_TRUE(ReadRunInfo(dir / "run").model.transformer_sequence_loss);
  // The same parameters as the centre-frame model; the loss differs from the first epoch on.
  EXPECT_EQ(s.num_parameters, CountParameters(SmallTransformer("unused").model, 17));
  testing::TempDir dir2;
  TrainOptions centre = SmallTransformer(dir2 / "run");
  centre.epochs = 1;
  options.epochs = 1;
  options.run_dir = dir2 / "seq";
  EXPECT_NE(TrainLifter(options, Tiny(), LabelDataset{}).history[0].train_loss,
            TrainLifter(centre, Tiny(), LabelDataset{}).history[0].train_loss);
  // Not with pruning, not for other models.
  LifterModelOptions bad = options.model;
  bad.transformer_depth = 2;
  bad.transformer_prune_tokens = 3;
  EXPECT_THROW(bad.Check(), InputError);
  try {
    bad.Check();
  } catch (const InputError& e) {
    EXPECT_EQ(e.where(), "sequence_loss");
  }
  bad = options.model;
  bad.type = "mlp";
  EXPECT_THROW(bad.Check(), InputError);
}

// KPA and TPA add, per block, a learnable adjacency (J x J over the skeleton, T x T over the
// frames) and a linear map of the stream's width before the attention's projections.
TEST(Transformer, PriorsAddLearnableGraphsBeforeTheAttention) {
  LifterModelOptions o = SmallTransformer("unused").model;
  o.transformer_depth = 2;
  const int64_t plain = CountParameters(o, 17);
  const int64_t h = o.transformer_dim / 2, t = o.transformer_window;
  o.kpa = true;
  EXPECT_EQ(CountParameters(o, 17) - plain, 2 * (17 * 17 + h * h + h));
  o.tpa = true;
  EXPECT_EQ(CountParameters(o, 17) - plain, 2 * (17 * 17 + t * t + 2 * (h * h + h)));

  testing::TempDir dir;
  TrainOptions train = SmallTransformer(dir / "run");
  train.model.kpa = train.model.tpa = true;
  train.epochs = 1;
  TrainLifter(train, Tiny(), LabelDataset{});
  const auto w = ReadNpz(dir / "run/weights.npz");
  ASSERT_TRUE(w.count("blocks.0.spatial_attention.prior.adjacency"));
  EXPECT_EQ(w.at("blocks.0.spatial_attention.prior.adjacency").shape, (std::vector<int64_t>{17, 17}));
  EXPECT_EQ(w.at("blocks.0.temporal_attention.prior.adjacency").shape, (std::vector<int64_t>{5, 5}));
  // The kinematic prior starts from the skeleton's adjacency (the gcn's buffer) and is learnt.
  const auto& a = w.at("adjacency").data;
  const auto& learnt = w.at("blocks.0.spatial_attention.prior.adjacency").data;
  EXPECT_NE(a, learnt);
  // One 3D pose per sample, root-relative.
  const Points3d pred = PredictDataset(dir / "run", Tiny());
  ASSERT_EQ(pred.num_frames(), Tiny().num_samples());
  ASSERT_EQ(pred.num_joints(), 17);
  for (int k = 0; k < 17; ++k) EXPECT_TRUE(pred.IsValid(0, k));
}

// HoT's pruning adds the recovery's learnt query, layer norm and projections; the kept frames
// go through the later blocks and the lifter still gives every sample's pose.
TEST(Transformer, TokenPruningRecoversTheCentreFrame) {
  LifterModelOptions o = SmallTransformer("unused").model;
  o.transformer_depth = 2;
  const int64_t plain = CountParameters(o, 17);
  o.transformer_prune_tokens = 3;
  const int64_t c = o.transformer_dim;
  EXPECT_EQ(CountParameters(o, 17) - plain, c + 2 * c + (c * c + c) + (2 * c * c + 2 * c) + (c * c + c));
  o.transformer_prune_tokens = 5;  // not fewer than the window's frames
  EXPECT_THROW(o.Check(), InputError);

  testing::TempDir dir;
  TrainOptions train = SmallTransformer(dir / "run");
  train.model.transformer_depth = 2;
  train.model.transformer_prune_tokens = 3;
  train.model.tpa = true;  // the later block's temporal prior chains the 3 kept frames
  train.epochs = 8;
  const TrainSummary s = TrainLifter(train, Tiny(), LabelDataset{});
  EXPECT_LT(s.history.back().train_loss, 0.6 * s.history.front().train_loss);
  const auto w = ReadNpz(dir / "run/weights.npz");
  EXPECT_EQ(w.at("blocks.0.temporal_attention.prior.adjacency").shape, (std::vector<int64_t>{5, 5}));
  EXPECT_EQ(w.at("blocks.1.temporal_attention.prior.adjacency").shape, (std::vector<int64_t>{3, 3}));
  const Points3d pred = PredictDataset(dir / "run", Tiny());
  ASSERT_EQ(pred.num_frames(), Tiny().num_samples());
  for (int k = 0; k < 17; ++k) EXPECT_TRUE(pred.IsValid(7, k));
}

// Tokens of body parts: COCO-17's joints grouped by name into head (5), two arms and two legs
// (3 each); each part embedded from its joints' 2D, the spatial graph over the 5 parts, the
// head mapping a frame's 5 tokens to the 17 joints.
TEST(Transformer, PartTokensGroupTheJointsByBodyPart) {
  testing::TempDir dir;
  TrainOptions o = SmallTransformer(dir / "run");
  o.model.transformer_tokens = "parts";
  const TrainSummary s = TrainAndCheckItLearns(o);
  EXPECT_EQ(s.num_parameters, CountParameters(o.model, 17, "coco17"));
  const auto w = ReadNpz(dir / "run/weights.npz");
  const int64_t c = o.model.transformer_dim;
  EXPECT_EQ(w.at("part_embed.0.weight").shape, (std::vector<int64_t>{c, 10}));  // head: 5 joints x 2
  for (int g = 1; g < 5; ++g)
    EXPECT_EQ(w.at("part_embed." + std::to_string(g) + ".weight").shape, (std::vector<int64_t>{c, 6}));
  EXPECT_EQ(w.count("part_embed.5.weight"), 0u);
  EXPECT_EQ(w.at("token_position").shape, (std::vector<int64_t>{5, c}));
  EXPECT_EQ(w.at("adjacency").shape, (std::vector<int64_t>{5, 5}));
  EXPECT_EQ(w.at("blocks.0.spatial_graph.modulation").shape[0], 5);
  EXPECT_EQ(w.at("head.weight").shape, (std::vector<int64_t>{3 * 17, 5 * c}));
  EXPECT_TRUE(ReadRunInfo(dir / "run").model.transformer_tokens == "parts");
  // The head part touches no other (no COCO bone joins the face to the body); an arm touches
  // the other arm (shoulders) and its leg (shoulder-hip).
  const std::vector<double> a = w.at("adjacency").ToDoubles();
  EXPECT_EQ(a[0 * 5 + 1], 0.0);
  EXPECT_GT(a[1 * 5 + 2], 0.0);
  EXPECT_GT(a[1 * 5 + 3], 0.0);
  EXPECT_EQ(a[1 * 5 + 4], 0.0);  // left arm, right leg
  const Points3d pred = PredictDataset(dir / "run", Tiny());
  ASSERT_EQ(pred.num_frames(), Tiny().num_samples());
  for (int k = 0; k < 17; ++k) EXPECT_TRUE(pred.IsValid(0, k));
}

// Tokens of whole frames: one token per frame, only the temporal half of each block (no spatial
// modules), fewer parameters and tokens than joint tokens; it learns the tiny set and trains with
// the sequence loss and with pruning.
TEST(Transformer, FrameTokensRunOnlyTheTemporalPart) {
  testing::TempDir dir;
  TrainOptions o = SmallTransformer(dir / "run");
  o.model.transformer_tokens = "frames";
  const TrainSummary s = TrainAndCheckItLearns(o);
  const auto w = ReadNpz(dir / "run/weights.npz");
  const int64_t c = o.model.transformer_dim;
  EXPECT_EQ(w.at("part_embed.0.weight").shape, (std::vector<int64_t>{c, 34}));
  EXPECT_EQ(w.at("head.weight").shape, (std::vector<int64_t>{3 * 17, c}));
  for (const auto& [name, array] : w) EXPECT_EQ(name.find("spatial"), std::string::npos) << name;
  EXPECT_EQ(s.num_parameters, CountParameters(o.model, 17));
  EXPECT_EQ(CountParameters(o.model, 17), CountParameters(o.model, 17, "coco17"));  // no parts to name

  testing::TempDir dir2;
  for (const bool sequence : {true, false}) {
    TrainOptions v = SmallTransformer(dir2 / (sequence ? "seq" : "prune"));
    v.model.transformer_tokens = "frames";
    v.model.transformer_depth = 2;
    v.model.transformer_sequence_loss = sequence;
    v.model.transformer_prune_tokens = sequence ? 0 : 3;
    v.epochs = 8;
    const TrainSummary sv = TrainLifter(v, Tiny(), LabelDataset{});
    EXPECT_LT(sv.history.back().train_loss, 0.6 * sv.history.front().train_loss) << (sequence ? "seq" : "prune");
    const Points3d pred = PredictDataset(v.run_dir, Tiny());
    ASSERT_EQ(pred.num_frames(), Tiny().num_samples());
  }
}

// --pose-mlp: a frame (or part) token's embedding is Linear, GELU, Linear over its joints;
// the run records it and the model still learns.
TEST(Transformer, PoseMlpEmbedsEachTokenWithTwoLayers) {
  testing::TempDir dir;
  TrainOptions o = SmallTransformer(dir / "run");
  o.model.transformer_tokens = "frames";
  o.model.transformer_pose_mlp = true;
  const TrainSummary s = TrainAndCheckItLearns(o);
  const auto w = ReadNpz(dir / "run/weights.npz");
  const int64_t c = o.model.transformer_dim;
  EXPECT_EQ(w.count("part_embed.0.weight"), 0u);
  EXPECT_EQ(w.at("part_embed.0.0.weight").shape, (std::vector<int64_t>{c, 34}));
  EXPECT_EQ(w.at("part_embed.0.2.weight").shape, (std::vector<int64_t>{c, c}));
  LifterModelOptions linear = o.model;
  linear.transformer_pose_mlp = false;
  EXPECT_EQ(s.num_parameters, CountParameters(linear, 17) + c * c + c);
  EXPECT_EQ(s.num_parameters, CountParameters(o.model, 17));
  EXPECT_TRUE(ReadRunInfo(o.run_dir).model.transformer_pose_mlp);
  // Parts: one MLP per part present, each adding a C x C layer.
  LifterModelOptions parts = o.model;
  parts.transformer_tokens = "parts";
  LifterModelOptions parts_linear = parts;
  parts_linear.transformer_pose_mlp = false;
  const int64_t num_parts = 5;  // COCO-17: head, two arms, two legs
  EXPECT_EQ(CountParameters(parts, 17, "coco17"), CountParameters(parts_linear, 17, "coco17") + num_parts * (c * c + c));
}

TEST(Transformer, IsReproducibleForASeedAndAThreadCount) {
  testing::TempDir dir;
  for (int threads : {1, 2}) {
    TrainOptions a = SmallTransformer(dir / ("a" + std::to_string(threads)));
    a.epochs = 1;
    a.max_samples_per_epoch = 48;
    a.model.tpa = true;
    a.num_threads = threads;
    for (const char* tokens : {"joints", "parts", "frames"}) {
      a.model.transformer_tokens = tokens;
      a.run_dir = dir / ("a" + std::to_string(threads) + tokens);
      TrainOptions b = a;
      b.run_dir = dir / ("b" + std::to_string(threads) + tokens);
      TrainLifter(a, Tiny(), LabelDataset{});
      TrainLifter(b, Tiny(), LabelDataset{});
      const auto wa = ReadNpz(a.run_dir + "/weights.npz"), wb = ReadNpz(b.run_dir + "/weights.npz");
      for (const auto& [name, array] : wa)
        EXPECT_EQ(array.data, wb.at(name).data) << name << ", " << threads << " threads, " << tokens;
    }
  }
}

// Bad sizes are refused with the option key in the error.
TEST(Transformer, RejectsBadOptionsNamingTheKey) {
  auto where = [](const LifterModelOptions& o) {
    try {
      o.Check();
    } catch (const InputError& e) {
      return e.where();
    }
    return std::string("accepted");
  };
  LifterModelOptions o = SmallTransformer("unused").model;
  EXPECT_EQ(where(o), "accepted");
  o.transformer_window = 4;
  EXPECT_EQ(where(o), "window");
  o.transformer_window = 0;
  EXPECT_EQ(where(o), "window");
  o = SmallTransformer("unused").model;
  o.transformer_dim = 15;
  EXPECT_EQ(where(o), "width");
  o.transformer_dim = 12;
  o.transformer_heads = 4;  // 6 channels per stream
  EXPECT_EQ(where(o), "heads");
  o = SmallTransformer("unused").model;
  o.transformer_depth = 0;
  EXPECT_EQ(where(o), "depth");
  o = SmallTransformer("unused").model;
  o.transformer_tokens = "words";
  EXPECT_EQ(where(o), "tokens");
  o.transformer_tokens = "frames";
  EXPECT_EQ(where(o), "accepted");
  o.kpa = true;  // no skeleton within a frame token
  EXPECT_EQ(where(o), "tokens");
  o.transformer_tokens = "parts";
  EXPECT_EQ(where(o), "accepted");
  o = SmallTransformer("unused").model;
  o.transformer_pose_mlp = true;  // joint tokens: one point per token
  EXPECT_EQ(where(o), "pose_mlp");
  o.transformer_tokens = "frames";
  EXPECT_EQ(where(o), "accepted");
  testing::TempDir dir;
  TrainOptions bad = SmallTransformer(dir / "run");
  bad.model.transformer_window = 6;
  EXPECT_THROW(TrainLifter(bad, Tiny(), LabelDataset{}), InputError);
  bad = SmallTransformer(dir / "run2");
  bad.model.transformer_tokens = "pixels";
  EXPECT_THROW(TrainLifter(bad, Tiny(), LabelDataset{}), InputError);
}

}  // namespace
}  // namespace epilabel
