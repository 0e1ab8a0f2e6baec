#include "training/data.h"

#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "detection/skeleton.h"
#include "foundation/error.h"
#include "tests/pseudolabel/toy_scene.h"
#include "training/graph.h"

namespace epilabel {
namespace {

TEST(ScreenNormalisation, FollowsVideoPose3D) {
  const int w = 1000, h = 600;
  EXPECT_LT((NormalizeScreen({0.0, 0.0}, w, h) - Eigen::Vector2d(-1.0, -0.6)).norm(), 1e-12);
  EXPECT_LT((NormalizeScreen({1000.0, 300.0}, w, h) - Eigen::Vector2d(1.0, 0.0)).norm(), 1e-12);
  const Eigen::Vector2d p(123.5, 456.25);
  EXPECT_LT((UnnormalizeScreen(NormalizeScreen(p, w, h), w, h) - p).norm(), 1e-9);
}

TEST(LifterData, TargetsAreRootRelativeAndWeightsFollowUncertainty) {
  LabelDataset d = testing::ToyDataset(2, 10, 1, "s");
  d.uncertainty[d.Index(3, 4)] = 0.02;  // = the weight scale: weight 1/2
  d.valid[d.Index(3, 5)] = 0;
  const LifterData data = PrepareLifterData(d);
  ASSERT_EQ(data.num_samples(), d.num_samples());
  for (int k = 0; k < 17; ++k) {
    if (k == 5) continue;
    EXPECT_LT((data.target[d.Index(3, k)] - (d.points3d_cam[d.Index(3, k)] - d.root_cam[3])).norm(), 1e-12);
  }
  EXPECT_FLOAT_EQ(data.weight[d.Index(3, 4)], 0.5f);
  EXPECT_FLOAT_EQ(data.weight[d.Index(3, 6)], 1.0f);
  EXPECT_EQ(data.weight[d.Index(3, 5)], 0.0f);
  EXPECT_EQ(data.target[d.Index(3, 5)], Eigen::Vector3d::Zero());
  LabelWeightOptions plain;
  plain.use_uncertainty = false;
  EXPECT_FLOAT_EQ(PrepareLifterData(d, plain).weight[d.Index(3, 4)], 1.0f);
}

TEST(LifterData, TemporalWindowsFollowFramesAndRepeatTheEnds) {
  LabelDataset d = testing::ToyDataset(2, 6, 2, "s");
  // Reverse the rows: the windows must still follow the frame numbers.
  std::vector<int> rows(d.num_samples());
  for (int i = 0; i < d.num_samples(); ++i) rows[i] = d.num_samples() - 1 - i;
  d = SelectSamples(d, rows);
  const LifterData data = PrepareLifterData(d);
  EXPECT_EQ(data.tracks.size(), 2u);
  for (int s = 0; s < d.num_samples(); ++s) {
    const std::vector<int> w = TemporalWindow(data, s, 5);
    ASSERT_EQ(w.size(), 5u);
    EXPECT_EQ(w[2], s);
    for (int t = 0; t < 5; ++t) {
      EXPECT_EQ(d.camera[w[t]], d.camera[s]);
      EXPECT_EQ(d.frame[w[t]], std::clamp<int64_t>(d.frame[s] - 2 + t, 0, 5));
    }
  }
  EXPECT_THROW(TemporalWindow(data, 0, 4), std::invalid_argument);
}

TEST(SplitBySequence, KeepsSequencesWhole) {
  std::vector<LabelDataset> parts;
  for (int i = 0; i < 5; ++i) parts.push_back(testing::ToyDataset(2, 4, i, "seq" + std::to_string(i)));
  const LabelDataset d = MergeDatasets(parts);
  const DataSplit split = SplitBySequence(d, 0.4);
  EXPECT_EQ(split.validation_sequences.size(), 2u);
  EXPECT_EQ(split.train.size() + split.validation.size(), static_cast<size_t>(d.num_samples()));
  std::set<int32_t> train_seq, val_seq;
  for (int s : split.train) train_seq.insert(d.sequence[s]);
  for (int s : split.validation) val_seq.insert(d.sequence[s]);
  EXPECT_EQ(train_seq.size(), 3u);
  EXPECT_EQ(val_seq.size(), 2u);
  for (int32_t s : val_seq) EXPECT_EQ(train_seq.count(s), 0u);
  // Named sequences.
  const DataSplit named = SplitBySequence(d, 0.2, {"seq1"});
  for (int s : named.validation) EXPECT_EQ(d.sequence_names[d.sequence[s]], "seq1");
  EXPECT_EQ(named.validation.size(), static_cast<size_t>(parts[1].num_samples()));
  EXPECT_THROW(SplitBySequence(d, 0.2, {"nope"}), InputError);
}

TEST(SplitBySequence, SplitsASingleSequenceInTime) {
  const LabelDataset d = testing::ToyDataset(2, 10, 3, "only");
  const DataSplit split = SplitBySequence(d, 0.2);
  EXPECT_TRUE(split.split_in_time);
  int64_t last_train = -1, first_val = 1 << 30;
  for (int s : split.train) last_train = std::max(last_train, d.frame[s]);
  for (int s : split.validation) first_val = std::min(first_val, d.frame[s]);
  EXPECT_EQ(last_train, 7);
  EXPECT_EQ(first_val, 8);
}

// Pixel of a normalised input of a batch.
Eigen::Vector2d InputPixel(const Batch& b, int sample, int frame, int joint) {
  const size_t i = ((static_cast<size_t>(sample) * b.window + frame) * b.num_joints + joint) * 2;
  return UnnormalizeScreen({b.input[i], b.input[i + 1]}, b.image_size[sample].x(), b.image_size[sample].y());
}
Eigen::Vector3d Target(const Batch& b, int sample, int joint) {
  const size_t i = (static_cast<size_t>(sample) * b.num_joints + joint) * 3;
  return Eigen::Vector3d(b.target[i], b.target[i + 1], b.target[i + 2]);
}

TEST(FlipAugmentation, MirrorsTheImageAndSwapsLeftAndRight) {
  const LabelDataset d = testing::ToyDataset(3, 8, 4, "s");  // exact 2D projections
  const LifterData data = PrepareLifterData(d);
  const Skeleton& skeleton = GetSkeleton("coco17");
  const std::vector<joint_t> perm = skeleton.FlipPermutation();
  std::vector<int> samples(d.num_samples());
  for (int i = 0; i < d.num_samples(); ++i) samples[i] = i;
  AugmentOptions always;
  always.flip_probability = 1.0;
  std::mt19937_64 rng(1);
  const Batch plain = MakeBatch(data, samples, 1, AugmentOptions{}, nullptr);
  const Batch flipped = MakeBatch(data, samples, 1, always, &rng, perm);
  const joint_t lw = skeleton.JointIndex("left_wrist"), rw = skeleton.JointIndex("right_wrist");
  for (int s = 0; s < plain.size; ++s) {
    ASSERT_EQ(flipped.flipped[s], 1);
    const double cx = plain.K[s](0, 2);
    for (int k = 0; k < 17; ++k) {
      // 2D: mirrored about the principal point, taken from the partner joint.
      const Eigen::Vector2d a = InputPixel(plain, s, 0, perm[k]);
      const Eigen::Vector2d b = InputPixel(flipped, s, 0, k);
      EXPECT_NEAR(b.x(), 2.0 * cx - a.x(), 1e-3);
      EXPECT_NEAR(b.y(), a.y(), 1e-3);
      // 3D: x negated, partner joint.
      const Eigen::Vector3d ta = Target(plain, s, perm[k]), tb = Target(flipped, s, k);
      EXPECT_NEAR(tb.x(), -ta.x(), 1e-6);
      EXPECT_NEAR(tb.y(), ta.y(), 1e-6);
      EXPECT_NEAR(tb.z(), ta.z(), 1e-6);
      // The flipped pair is still consistent: its 2D is the projection of its 3D.
      const Eigen::Vector3d h = flipped.K[s] * (tb + flipped.root_cam[s]);
      EXPECT_LT((h.hnormalized() - b).norm(), 1e-2) << "sample " << s << " joint " << k;
    }
    EXPECT_NEAR(Target(flipped, s, lw).x(), -Target(plain, s, rw).x(), 1e-6);
  }
  // Probability 0 or no generator: nothing flips.
  AugmentOptions never;
  never.flip_probability = 0.0;
  std::mt19937_64 rng2(1);
  const Batch unflipped = MakeBatch(data, samples, 1, never, &rng2, perm);
  EXPECT_EQ(unflipped.input, plain.input);
  // Half of the samples flip with probability 0.5.
  std::mt19937_64 rng3(5);
  const Batch half = MakeBatch(data, samples, 1, AugmentOptions{}, &rng3, perm);
  const int count = std::count(half.flipped.begin(), half.flipped.end(), 1);
  EXPECT_GT(count, plain.size / 4);
  EXPECT_LT(count, 3 * plain.size / 4);
}

TEST(VirtualCameras, RenderRotatedLabelsConsistently) {
  const LabelDataset d = testing::ToyDataset(2, 8, 5, "s");
  const LifterData data = PrepareLifterData(d);
  std::vector<int> samples(d.num_samples());
  for (int i = 0; i < d.num_samples(); ++i) samples[i] = i;
  AugmentOptions options;
  options.flip_probability = 0.0;
  options.virtual_camera_rate = 1.0;
  std::mt19937_64 rng(9);
  const Batch plain = MakeBatch(data, samples, 3, AugmentOptions{}, nullptr);
  const Batch virt = MakeBatch(data, samples, 3, options, &rng);
  for (int s = 0; s < virt.size; ++s) {
    ASSERT_EQ(virt.virtual_camera[s], 1);
    const double depth = virt.root_cam[s].z();
    EXPECT_GE(depth, options.virtual_min_distance - 1e-9);
    EXPECT_LE(depth, options.virtual_max_distance + 1e-9);
    // A rotation: distances between joints are kept, and the pose has changed.
    double change = 0.0;
    for (int a = 0; a < 17; ++a) {
      for (int b = a + 1; b < 17; ++b) {
        EXPECT_NEAR((Target(virt, s, a) - Target(virt, s, b)).norm(), (Target(plain, s, a) - Target(plain, s, b)).norm(),
                    1e-5);
      }
      change += (Target(virt, s, a) - Target(plain, s, a)).norm();
    }
    EXPECT_GT(change, 1e-3);
    // The centre frame's 2D is the projection of the new 3D through the virtual camera.
    for (int k = 0; k < 17; ++k) {
      const Eigen::Vector3d h = virt.K[s] * (Target(virt, s, k) + virt.root_cam[s]);
      EXPECT_LT((h.hnormalized() - InputPixel(virt, s, 1, k)).norm(), 1e-2);
    }
  }
  // Global position alignment puts the root where the reference poses have theirs.
  GpaReference ref;
  ref.root_and_size = {Eigen::Vector3d(0.25, 0.2, 0.05)};
  options.global_position_alignment = true;
  std::mt19937_64 rng2(3);
  const Batch gpa = MakeBatch(data, samples, 1, options, &rng2, {}, &ref);
  for (int s = 0; s < gpa.size; ++s) {
    const Eigen::Vector3d root_px = gpa.K[s] * gpa.root_cam[s];
    EXPECT_NEAR(root_px.x() / root_px.z(), 0.25 * gpa.image_size[s].x(), 1e-6);
    EXPECT_NEAR(root_px.y() / root_px.z(), 0.2 * gpa.image_size[s].x(), 1e-6);
  }
  EXPECT_THROW(MakeBatch(data, samples, 1, options, &rng2, {}, nullptr), std::invalid_argument);
}

// The sequence-to-sequence targets: every frame of the window, augmented as the centre frame's.
TEST(WindowTargets, FollowTheWindowAndItsAugmentations) {
  const LabelDataset d = testing::ToyDataset(2, 8, 5, "s");
  const LifterData data = PrepareLifterData(d);
  const std::vector<joint_t> perm = GetSkeleton("coco17").FlipPermutation();
  std::vector<int> samples(d.num_samples());
  for (int i = 0; i < d.num_samples(); ++i) samples[i] = i;
  auto frame_target = [](const Batch& b, int s, int f, int k) {
    const size_t i = ((static_cast<size_t>(s) * b.window + f) * b.num_joints + k) * 3;
    return Eigen::Vector3d(b.window_target[i], b.window_target[i + 1], b.window_target[i + 2]);
  };
  // Without augmentation: each frame's own label; not filled unless asked.
  EXPECT_TRUE(MakeBatch(data, samples, 3, AugmentOptions{}, nullptr).window_target.empty());
  const Batch plain = MakeBatch(data, samples, 3, AugmentOptions{}, nullptr, {}, nullptr, true);
  for (int s = 0; s < plain.size; ++s) {
    const std::vector<int> frames = TemporalWindow(data, s, 3);
    for (int f = 0; f < 3; ++f)
      for (int k = 0; k < 17; ++k) {
        EXPECT_LT((frame_target(plain, s, f, k) - data.target[frames[f] * 17 + k]).norm(), 1e-6);
        EXPECT_EQ(plain.window_weight[(s * 3 + f) * 17 + k], data.weight[frames[f] * 17 + k]);
      }
  }
  // Flip, virtual cameras and the perspective rotation: the centre frame is the target, every
  // frame the same rigid motion (x mirrored with the partner joint under a flip) of its label.
  AugmentOptions all;
  all.flip_probability = 0.5;
  all.virtual_camera_rate = 0.5;
  std::mt19937_64 rng(4);
  Batch augmented = MakeBatch(data, samples, 3, all, &rng, perm, nullptr, true);
  PerspectiveNormalize(&augmented, GetSkeleton("coco17").root);
  int flipped = 0;
  for (int s = 0; s < augmented.size; ++s) {
    flipped += augmented.flipped[s];
    for (int k = 0; k < 17; ++k) EXPECT_LT((frame_target(augmented, s, 1, k) - Target(augmented, s, k)).norm(), 1e-6);
    const std::vector<int> frames = TemporalWindow(data, s, 3);
    for (int f = 0; f < 3; ++f)
      for (int a = 0; a < 17; ++a) {
        const int src = augmented.flipped[s] ? perm[a] : a;
        EXPECT_NEAR(frame_target(augmented, s, f, a).norm(), data.target[frames[f] * 17 + src].norm(), 1e-5);
        EXPECT_NEAR((frame_target(augmented, s, f, a) - frame_target(augmented, s, f, 0)).norm(),
                    (data.target[frames[f] * 17 + src] - data.target[frames[f] * 17 + (augmented.flipped[s] ? perm[0] : 0)]).norm(),
                    1e-5);
      }
  }
  EXPECT_GT(flipped, 0);
  EXPECT_LT(flipped, augmented.size);
}

TEST(Batches, AreDeterministicForASeed) {
  const LabelDataset d = testing::ToyDataset(2, 8, 6, "s");
  const LifterData data = PrepareLifterData(d);
  const std::vector<joint_t> perm = GetSkeleton("coco17").FlipPermutation();
  AugmentOptions options;
  options.virtual_camera_rate = 0.5;
  std::vector<int> samples = {0, 3, 5, 7, 2};
  std::mt19937_64 a(11), b(11), c(12);
  EXPECT_EQ(MakeBatch(data, samples, 3, options, &a, perm).input, MakeBatch(data, samples, 3, options, &b, perm).input);
  EXPECT_NE(MakeBatch(data, samples, 3, options, &a, perm).input, MakeBatch(data, samples, 3, options, &c, perm).input);
  std::vector<int> order = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::vector<int> order2 = order;
  std::mt19937_64 r1(4), r2(4);
  Shuffle(&order, r1);
  Shuffle(&order2, r2);
  EXPECT_EQ(order, order2);
  EXPECT_TRUE(std::is_permutation(order.begin(), order.end(), std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}.begin()));
}

TEST(SkeletonGraph, AdjacencyComesFromTheBones) {
  const Skeleton& coco = GetSkeleton("coco17");
  const SkeletonGraph g = BuildSkeletonGraph(coco.num_joints(), coco.bones);
  EXPECT_EQ(g.edges.size(), coco.bones.size());
  // COCO-17's face (nose, eyes, ears) is not linked to the body by any bone.
  EXPECT_EQ(g.num_components, 2);
  EXPECT_NE(g.component[coco.JointIndex("nose")], g.component[coco.JointIndex("left_hip")]);
  EXPECT_EQ(g.hops[coco.JointIndex("left_ankle")][coco.JointIndex("right_ankle")], 5);
  EXPECT_EQ(g.hops[coco.JointIndex("nose")][coco.JointIndex("left_hip")], -1);
  const Eigen::MatrixXd a = NormalizedAdjacency(g);
  EXPECT_LT((a - a.transpose()).norm(), 1e-12);
  std::set<std::pair<int, int>> bones;
  for (const Bone& b : coco.bones) {
    bones.insert({b.parent, b.child});
    bones.insert({b.child, b.parent});
  }
  for (int i = 0; i < 17; ++i) {
    for (int k = 0; k < 17; ++k) {
      const bool expected = i == k || bones.count({i, k}) > 0;
      EXPECT_EQ(a(i, k) != 0.0, expected) << i << "," << k;
    }
  }
  // D^-1/2 (A + I) D^-1/2: entry (i, k) is 1 / sqrt(d_i d_k) with degrees counting the self-loop.
  const joint_t lk = coco.JointIndex("left_knee"), lh = coco.JointIndex("left_hip");
  EXPECT_NEAR(a(lk, lh), 1.0 / std::sqrt(3.0 * 4.0), 1e-12);  // knee: hip, ankle; hip: knee, other hip, shoulder
  const Skeleton& h36m = GetSkeleton("h36m17");
  EXPECT_EQ(BuildSkeletonGraph(h36m.num_joints(), h36m.bones).num_components, 1);
  EXPECT_THROW(BuildSkeletonGraph(3, {{0, 5}}), std::invalid_argument);
}

// A batch of one sample: the 3D pose `points` (camera frame, metres) projected by K into a
// 1280x720 image, repeated over a window of 3 frames; root = points[0].
Batch ProjectedBatch(const std::vector<Eigen::Vector3d>& points, const Eigen::Matrix3d& K) {
  Batch b;
  b.size = 1;
  b.window = 3;
  b.num_joints = static_cast<int>(points.size());
  b.K = {K};
  b.image_size = {Eigen::Vector2i(1280, 720)};
  b.root_cam = {points[0]};
  b.flipped = b.virtual_camera = {0};
  for (int f = 0; f < b.window; ++f)
    for (const Eigen::Vector3d& p : points) {
      const Eigen::Vector2d n = NormalizeScreen((K * p).hnormalized(), 1280, 720);
      b.input.push_back(static_cast<float>(n.x()));
      b.input.push_back(static_cast<float>(n.y()));
    }
  for (const Eigen::Vector3d& p : points)
    for (int c = 0; c < 3; ++c) b.target.push_back(static_cast<float>((p - points[0])[c]));
  b.weight.assign(points.size(), 1.0f);
  return b;
}

TEST(PerspectiveNormalize, PutsTheRootOnTheOpticalAxisAndStaysAProjection) {
  Eigen::Matrix3d K;
  K << 1000, 0, 640, 0, 1000, 360, 0, 0, 1;
  const std::vector<Eigen::Vector3d> points = {{1.2, 0.4, 4.0}, {1.4, -0.1, 4.2}, {0.9, 0.8, 3.9}, {1.3, 0.3, 4.1}};
  Batch b = ProjectedBatch(points, K);
  b.input[2 * 3] = b.input[2 * 3 + 1] = 0.0f;  // joint 3 of frame 0 missing
  const std::vector<Eigen::Matrix3d> R = PerspectiveNormalize(&b, {0});
  ASSERT_EQ(R.size(), 1u);
  EXPECT_LT((R[0] * points[0].normalized() - Eigen::Vector3d::UnitZ()).norm(), 1e-12);
  EXPECT_LT((b.root_cam[0] - R[0] * points[0]).norm(), 1e-12);
  // The root (joint 0) is at the principal point of every frame; every input is the projection
  // of the rotated point with the same K, every target the rotated one.
  for (int f = 0; f < 3; ++f)
    for (size_t k = 0; k < points.size(); ++k) {
      const float* uv = b.input.data() + (f * points.size() + k) * 2;
      if (f == 0 && k == 3) {
        EXPECT_EQ(uv[0], 0.0f);
        EXPECT_EQ(uv[1], 0.0f);
        continue;
      }
      const Eigen::Vector2d expected = NormalizeScreen((K * R[0] * points[k]).hnormalized(), 1280, 720);
      EXPECT_NEAR(uv[0], expected.x(), 1e-6) << f << " " << k;
      EXPECT_NEAR(uv[1], expected.y(), 1e-6) << f << " " << k;
    }
  const Eigen::Vector2d centre = NormalizeScreen(Eigen::Vector2d(640, 360), 1280, 720);
  EXPECT_NEAR(b.input[0], centre.x(), 1e-6);
  EXPECT_NEAR(b.input[1], centre.y(), 1e-6);
  const Eigen::Vector3d target2(b.target[6], b.target[7], b.target[8]);
  EXPECT_LT((target2 - R[0] * (points[2] - points[0])).norm(), 1e-6);
  // Without intrinsics it names the key.
  Batch unknown = ProjectedBatch(points, K);
  unknown.K[0] = Eigen::Matrix3d::Zero();
  try {
    PerspectiveNormalize(&unknown, {0});
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.where(), "intrinsics");
  }
}

TEST(PerspectiveEncoding, IsTheRayOfEveryDetectedPixel) {
  Eigen::Matrix3d K;
  K << 1100, 0, 600, 0, 1000, 380, 0, 0, 1;
  const std::vector<Eigen::Vector3d> points = {{1.2, 0.4, 4.0}, {1.4, -0.1, 4.2}, {0.9, 0.8, 3.9}, {-1.3, 0.3, 4.1}};
  Batch b = ProjectedBatch(points, K);
  b.input[2 * 5] = b.input[2 * 5 + 1] = 0.0f;  // joint 1 of frame 1 missing
  const std::vector<float> rays = PerspectiveEncoding(b);
  ASSERT_EQ(rays.size(), b.input.size());
  for (int f = 0; f < 3; ++f)
    for (size_t k = 0; k < points.size(); ++k) {
      const size_t i = (f * points.size() + k) * 2;
      const bool missing = f == 1 && k == 1;
      // X / Z and Y / Z of the point, up to the float rounding of the normalised pixel.
      EXPECT_NEAR(rays[i], missing ? 0.0 : points[k].x() / points[k].z(), 1e-6) << f << " " << k;
      EXPECT_NEAR(rays[i + 1], missing ? 0.0 : points[k].y() / points[k].z(), 1e-6) << f << " " << k;
    }
  // After the perspective rotation the root's ray is the optical axis.
  Batch rotated = ProjectedBatch(points, K);
  PerspectiveNormalize(&rotated, {0});
  const std::vector<float> rotated_rays = PerspectiveEncoding(rotated);
  EXPECT_NEAR(rotated_rays[0], 0.0, 1e-6);
  EXPECT_NEAR(rotated_rays[1], 0.0, 1e-6);
  // Without intrinsics it names the key.
  Batch unknown = ProjectedBatch(points, K);
  unknown.K[0](0, 0) = 0.0;
  try {
    PerspectiveEncoding(unknown);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.where(), "intrinsics");
  }
}

TEST(MakeMaskedPoseBatch, MasksTheInputWindowAndKeepsTheFullTarget) {
  LabelDataset dataset = testing::ToyDataset(1, 12, 4, "walk", 1.0);
  const int j_count = dataset.num_joints();
  for (int s = 0; s < dataset.num_samples(); ++s) dataset.valid[dataset.Index(s, 7)] = 0;  // joint 7 never labelled
  const LifterData data = PrepareLifterData(dataset);
  const std::vector<int> samples = {0, 5, 11};
  auto input_at = [&](const PoseBatch3d& p, int b, int f, int k) {
    const float* x = p.input.data() + ((static_cast<size_t>(b) * p.window + f) * j_count + k) * 3;
    return Eigen::Vector3d(x[0], x[1], x[2]);
  };
  // No masks: every frame is its sample's root-relative label, unlabelled joints 0.
  std::mt19937_64 rng(3);
  const PoseBatch3d plain = MakeMaskedPoseBatch(data, samples, 3, 0.0, 0.0, rng);
  ASSERT_EQ(plain.input.size(), samples.size() * 3 * j_count * 3);
  for (int b = 0; b < 3; ++b) {
    const std::vector<int> frames = TemporalWindow(data, samples[b], 3);
    for (int f = 0; f < 3; ++f)
      for (int k = 0; k < j_count; ++k) {
        const Eigen::Vector3d expected = k == 7 ? Eigen::Vector3d::Zero() : data.target[frames[f] * j_count + k];
        EXPECT_LT((input_at(plain, b, f, k) - expected).norm(), 1e-6) << b << " " << f << " " << k;
      }
    EXPECT_EQ(plain.weight[b * j_count + 7], 0.0f);
    EXPECT_GT(plain.weight[b * j_count + 0], 0.0f);
  }
  // Masks: about the rate of the joints go (the centre frame never as a whole), the target stays.
  int zeros = 0, centre_frames_lost = 0;
  for (int seed = 0; seed < 20; ++seed) {
    std::mt19937_64 r(seed);
    const PoseBatch3d m = MakeMaskedPoseBatch(data, samples, 3, 0.25, 0.5, r);
    EXPECT_EQ(m.target, plain.target);
    EXPECT_EQ(m.weight, plain.weight);
    for (int b = 0; b < 3; ++b) {
      int centre_zeros = 0;
      for (int k = 0; k < j_count; ++k) {
        if (k == 7) continue;
        const bool zero = input_at(m, b, 1, k).isZero();
        zeros += zero ? 1 : 0;
        centre_zeros += zero ? 1 : 0;
      }
      centre_frames_lost += centre_zeros == j_count - 1 ? 1 : 0;
    }
  }
  const int centre_joints = 20 * 3 * (j_count - 1);
  EXPECT_GT(zeros, 0.15 * centre_joints);
  EXPECT_LT(zeros, 0.35 * centre_joints);
  EXPECT_EQ(centre_frames_lost, 0);
  // The same for a seed.
  std::mt19937_64 r1(8), r2(8);
  EXPECT_EQ(MakeMaskedPoseBatch(data, samples, 3, 0.3, 0.3, r1).input,
            MakeMaskedPoseBatch(data, samples, 3, 0.3, 0.3, r2).input);
}

TEST(MaskBatchInput, MasksJointsAndFramesButNeverTheWholeCentreFrame) {
  Eigen::Matrix3d K;
  K << 1000, 0, 640, 0, 1000, 360, 0, 0, 1;
  std::vector<Eigen::Vector3d> points;
  for (int k = 0; k < 17; ++k) points.emplace_back(0.05 * k - 0.4, 0.03 * k - 0.2, 4.0);
  Batch b = ProjectedBatch(points, K);
  const Batch original = b;
  std::mt19937_64 rng(5);
  MaskBatchInput(&b, 0.0, 0.0, rng);
  EXPECT_EQ(b.input, original.input);
  // Frames only: the outer frames of many samples go, the centre frame never.
  int masked_outer = 0;
  for (int seed = 0; seed < 50; ++seed) {
    Batch m = original;
    std::mt19937_64 r(seed);
    MaskBatchInput(&m, 0.0, 0.5, r);
    for (int i = 17 * 2; i < 34 * 2; ++i) ASSERT_EQ(m.input[i], original.input[i]);
    masked_outer += m.input[0] == 0.0f ? 1 : 0;
  }
  EXPECT_GT(masked_outer, 10);
  EXPECT_LT(masked_outer, 40);
  // Joints: about the rate, the same for a seed.
  Batch j1 = original, j2 = original;
  std::mt19937_64 r1(9), r2(9);
  MaskBatchInput(&j1, 0.3, 0.0, r1);
  MaskBatchInput(&j2, 0.3, 0.0, r2);
  EXPECT_EQ(j1.input, j2.input);
  int zeros = 0;
  for (size_t i = 0; i < j1.input.size(); i += 2) zeros += j1.input[i] == 0.0f && j1.input[i + 1] == 0.0f ? 1 : 0;
  EXPECT_GT(zeros, 5);
  EXPECT_LT(zeros, 30);
}

}  // namespace
}  // namespace epilabel
