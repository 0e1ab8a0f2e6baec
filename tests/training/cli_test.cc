// The train, eval and lift commands end to end on a small toy dataset.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "detection/io/keypoint_io.h"
#include "detection/io/points_io.h"
#include "detection/keypoints.h"
#include "tests/pseudolabel/toy_scene.h"
#include "tests/testing.h"
#include "training/lifter.h"

namespace epilabel {
namespace {

std::string Epilabel() { return testing::Exe() + " -q -j 1 "; }

LabelDataset ToyParts(int sequences) {
  std::vector<LabelDataset> parts;
  for (int i = 0; i < sequences; ++i) parts.push_back(testing::ToyDataset(2, 12, 40 + i, "seq" + std::to_string(i), 1.0));
  return MergeDatasets(parts);
}

TEST(TrainCommand, TrainsResumesAndRefusesToOverwrite) {
  testing::TempDir dir;
  WriteDatasetNpz(ToyParts(5), dir / "ds/dataset.npz");
  const std::string base = Epilabel() + "train --data " + (dir / "ds") + " --hidden 64 --batch-size 32 --out " + (dir / "run");
  auto r = testing::Run(base + " --epochs 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("parameters"), std::string::npos) << r.output;
  EXPECT_TRUE(std::filesystem::exists(dir / "run/weights.npz"));
  EXPECT_EQ(ReadRunInfo(dir / "run").epochs_completed, 2);
  // The run exists: without --resume the command refuses (bad input, exit 2).
  r = testing::Run(base + " --epochs 3");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--resume"), std::string::npos) << r.output;
  // Resuming takes the model options from the run (no --hidden needed).
  r = testing::Run(Epilabel() + "train --data " + (dir / "ds") + " --batch-size 32 --out " + (dir / "run") +
                   " --epochs 3 --resume");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const RunInfo info = ReadRunInfo(dir / "run");
  EXPECT_EQ(info.epochs_completed, 3);
  EXPECT_EQ(info.model.mlp_hidden, 64);
  ASSERT_EQ(info.history.size(), 3u);
  EXPECT_TRUE(std::isfinite(info.history.back().val_mpjpe_mm));
  // Bad input.
  EXPECT_EQ(testing::Run(Epilabel() + "train --data " + (dir / "none") + " --out " + (dir / "r2")).exit_code, 2);
  EXPECT_EQ(testing::Run(base + "x --model lstm").exit_code, 2);
}

TEST(EvalCommand, PrintsEveryMetricAndWritesJson) {
  testing::TempDir dir;
  WriteDatasetNpz(ToyParts(4), dir / "ds.npz");
  ASSERT_EQ(testing::Run(Epilabel() + "train --data " + (dir / "ds.npz") + " --hidden 64 --epochs 1 --out " + (dir / "run")).exit_code, 0);
  const auto r = testing::Run(Epilabel() + "eval --run " + (dir / "run") + " --data " + (dir / "ds.npz") +
                              " --sequences seq1,seq2 --json " + (dir / "scores.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* label : {"MPJPE", "P-MPJPE", "N-MPJPE", "PCK3D", "AUC", "PSS @ k=50", "PSS @ k=100"}) {
    EXPECT_NE(r.output.find(label), std::string::npos) << label << "\n" << r.output;
  }
  const std::string script = dir / "check.py";
  std::ofstream(script) << R"(import json, sys
s = json.load(open(sys.argv[1]))
for k in ('mpjpe_mm', 'p_mpjpe_mm', 'n_mpjpe_mm', 'pck150', 'auc', 'pss50', 'pss100'):
    assert isinstance(s[k], float), (k, s[k])
assert s['p_mpjpe_mm'] <= s['mpjpe_mm'] and 0 <= s['pck150'] <= 1 and 0 <= s['auc'] <= 1
assert s['num_samples'] == 2 * 2 * 12, s['num_samples']
assert len(s['per_joint_mpjpe_mm']) == 17
print('ok')
)";
  const auto py = testing::Run(testing::PythonWithNumpy() + " " + script + " " + (dir / "scores.json"));
  EXPECT_EQ(py.exit_code, 0) << py.output;
  EXPECT_EQ(testing::Run(Epilabel() + "eval --run " + (dir / "nothing") + " --data " + (dir / "ds.npz")).exit_code, 2);
  EXPECT_EQ(testing::Run(Epilabel() + "eval --run " + (dir / "run") + " --data " + (dir / "ds.npz") + " --sequences x").exit_code, 2);
}

TEST(LiftCommand, LiftsEveryCameraOfAKeypointFile) {
  testing::TempDir dir;
  const LabelDataset data = ToyParts(3);
  WriteDatasetNpz(data, dir / "ds.npz");
  ASSERT_EQ(testing::Run(Epilabel() + "train --data " + (dir / "ds.npz") + " --hidden 64 --epochs 1 --out " + (dir / "run")).exit_code, 0);
  // The 2D of sequence 0 (2 cameras x 12 frames) as keypoints2d.npz.
  Observations2d obs(2, 12, 17);
  std::vector<int> rows;
  for (int s = 0; s < data.num_samples(); ++s) {
    if (data.sequence[s] != 0) continue;
    rows.push_back(s);
    for (int k = 0; k < 17; ++k) obs.at(data.camera[s], static_cast<int>(data.frame[s]), k) = data.keypoints2d[data.Index(s, k)];
  }
  std::vector<int64_t> frames(12);
  for (int f = 0; f < 12; ++f) frames[f] = f;
  KeypointSequence sequence = FromObservations(obs, frames, {"cam0", "cam1"}, "coco17");
  for (auto& cam : sequence.cameras) {
    cam.width = data.image_size[0].x();
    cam.height = data.image_size[0].y();
  }
  WriteKeypointsNpz(sequence, dir / "kp.npz");
  const auto r = testing::Run(Epilabel() + "lift --run " + (dir / "run") + " --poses " + (dir / "kp.npz") + " --out " +
                              (dir / "points3d.npz"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const LabelDataset seq0 = SelectSamples(data, rows);
  const Points3d expected = PredictDataset(dir / "run", seq0);
  for (int c = 0; c < 2; ++c) {
    const PointsFile file = ReadPointsNpz(dir / ("points3d_cam" + std::to_string(c) + ".npz"));
    ASSERT_EQ(file.points.num_frames(), 12);
    EXPECT_EQ(file.joint_names, data.joint_names);
    for (int i = 0; i < seq0.num_samples(); ++i) {
      if (seq0.camera[i] != c) continue;
      for (int k = 0; k < 17; ++k) {
        EXPECT_LT((file.points.at(static_cast<int>(seq0.frame[i]), k) - expected.at(i, k)).norm(), 1e-6);
      }
    }
  }
  // Without an image size the 2D cannot be normalised.
  for (auto& cam : sequence.cameras) cam.width = cam.height = 0;
  WriteKeypointsNpz(sequence, dir / "nosize.npz");
  const auto bad = testing::Run(Epilabel() + "lift --run " + (dir / "run") + " --poses " + (dir / "nosize.npz") +
                                " --camera cam1 --out " + (dir / "x.npz"));
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("--image-size"), std::string::npos) << bad.output;
  EXPECT_EQ(testing::Run(Epilabel() + "lift --run " + (dir / "run") + " --poses " + (dir / "nosize.npz") +
                         " --camera cam1 --image-size 1280x960 --out " + (dir / "x.npz")).exit_code, 0);
  EXPECT_TRUE(std::filesystem::exists(dir / "x.npz"));
}

// The transformer's and diffusion lifter's options on the command line: a bad window names its
// flag; several hypotheses need the intrinsics when lifting.
TEST(TrainCommand, TrainsTheDiffusionLifterAndChecksItsOptions) {
  testing::TempDir dir;
  WriteDatasetNpz(ToyParts(3), dir / "ds.npz");
  auto r = testing::Run(Epilabel() + "train --data " + (dir / "ds.npz") + " --model transformer --window 4 --out " +
                        (dir / "t"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--window"), std::string::npos) << r.output;
  r = testing::Run(Epilabel() + "train --data " + (dir / "ds.npz") +
                   " --model diffusion --window 3 --hidden 32 --blocks 1 --epochs 1 --out " + (dir / "d"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(ReadRunInfo(dir / "d").model.diffusion_window, 3);
  r = testing::Run(Epilabel() + "eval --run " + (dir / "d") + " --data " + (dir / "ds.npz") + " --hypotheses 3 --steps 2");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(testing::Run(Epilabel() + "eval --run " + (dir / "d") + " --data " + (dir / "ds.npz") + " --hypotheses 0").exit_code, 2);
  const LabelDataset data = ToyParts(1);
  Observations2d obs(2, 12, 17);
  for (int s = 0; s < data.num_samples(); ++s)
    for (int k = 0; k < 17; ++k) obs.at(data.camera[s], static_cast<int>(data.frame[s]), k) = data.keypoints2d[data.Index(s, k)];
  std::vector<int64_t> frames(12);
  for (int f = 0; f < 12; ++f) frames[f] = f;
  WriteKeypointsNpz(FromObservations(obs, frames, {"cam0", "cam1"}, "coco17"), dir / "kp.npz");
  r = testing::Run(Epilabel() + "lift --run " + (dir / "d") + " --poses " + (dir / "kp.npz") +
                   " --image-size 1280x960 --hypotheses 3 --out " + (dir / "p.npz"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--intrinsics"), std::string::npos) << r.output;
}

// The uncertainty head, the perspective inputs and the masked pre-training on the command
// line: the options reach the run, errors name their flags, refinement needs the intrinsics.
TEST(TrainCommand, TakesTheUncertaintyPerspectiveAndPretrainingOptions) {
  testing::TempDir dir;
  WriteDatasetNpz(ToyParts(3), dir / "ds.npz");
  auto r = testing::Run(Epilabel() + "train --data " + (dir / "ds.npz") +
                        " --hidden 32 --epochs 2 --batch-size 32 --uncertainty --perspective --pretrain masked "
                        "--pretrain-epochs 1 --out " + (dir / "u"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const RunInfo info = ReadRunInfo(dir / "u");
  EXPECT_TRUE(info.model.uncertainty_head);
  EXPECT_TRUE(info.model.perspective);
  r = testing::Run(Epilabel() + "train --data " + (dir / "ds.npz") + " --pretrain masked --pretrain-epochs 2 --epochs 2 "
                   "--out " + (dir / "bad"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--pretrain-epochs"), std::string::npos) << r.output;
  // The perspective encoding, the masked 3D pretext and the transformer's sequence loss.
  r = testing::Run(Epilabel() + "train --data " + (dir / "ds.npz") +
                   " --hidden 32 --epochs 2 --batch-size 32 --perspective-encoding --pretrain masked --pretrain-epochs 1 "
                   "--pretrain-3d-weight 0.5 --out " + (dir / "pe"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(ReadRunInfo(dir / "pe").model.perspective_encoding);
  r = testing::Run(Epilabel() + "train --data " + (dir / "ds.npz") + " --pretrain-3d-weight 1 --out " + (dir / "bad3d"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--pretrain-3d-weight"), std::string::npos) << r.output;
  r = testing::Run(Epilabel() + "train --data " + (dir / "ds.npz") + " --sequence-loss --out " + (dir / "badseq"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--sequence-loss"), std::string::npos) << r.output;
  r = testing::Run(Epilabel() + "train --data " + (dir / "ds.npz") +
                   " --model transformer --window 3 --width 8 --heads 1 --depth 1 --epochs 1 --batch-size 32 "
                   "--sequence-loss --out " + (dir / "seq"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(ReadRunInfo(dir / "seq").model.transformer_sequence_loss);
  const LabelDataset data = ToyParts(1);
  Observations2d obs(2, 12, 17);
  for (int s = 0; s < data.num_samples(); ++s)
    for (int k = 0; k < 17; ++k) obs.at(data.camera[s], static_cast<int>(data.frame[s]), k) = data.keypoints2d[data.Index(s, k)];
  std::vector<int64_t> frames(12);
  for (int f = 0; f < 12; ++f) frames[f] = f;
  WriteKeypointsNpz(FromObservations(obs, frames, {"cam0", "cam1"}, "coco17"), dir / "kp.npz");
  r = testing::Run(Epilabel() + "lift --run " + (dir / "u") + " --poses " + (dir / "kp.npz") +
                   " --image-size 1280x960 --refine --out " + (dir / "p.npz"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--intrinsics"), std::string::npos) << r.output;
}

// The transformer with frame tokens trains on the cosine schedule (2e-3, a warm-up) unless a rate
// option is given; the other models keep the 0.95-per-epoch decay. Epoch 2 starts at half the
// cosine (1e-3) against 1e-3 x 0.95 on the exponential schedule.
TEST(TrainCommand, FrameTokensTrainOnTheCosineScheduleByDefault) {
  testing::TempDir dir;
  WriteDatasetNpz(ToyParts(3), dir / "ds.npz");
  const std::string base = Epilabel() + "train --data " + (dir / "ds.npz") +
                           " --model transformer --window 3 --width 8 --heads 1 --depth 1 --epochs 2 --batch-size 32";
  auto second_epoch_rate = [&](const std::string& flags, const std::string& name) {
    const auto r = testing::Run(base + " " + flags + " --out " + (dir / name));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    const RunInfo info = ReadRunInfo(dir / name);
    return info.history.size() == 2u ? info.history[1].learning_rate : -1.0;
  };
  EXPECT_NEAR(second_epoch_rate("--tokens frames", "frames"), 1e-3, 1e-12);
  EXPECT_NEAR(second_epoch_rate("--tokens frames --lr 1e-3 --lr-schedule exponential --lr-warmup 0", "frames_exp"),
              0.95e-3, 1e-12);
  EXPECT_NEAR(second_epoch_rate("--tokens frames --lr-schedule exponential", "frames_exp_2e3"), 2e-3 * 0.95, 1e-12);
  EXPECT_NEAR(second_epoch_rate("--tokens joints", "joints"), 0.95e-3, 1e-12);
}

}  // namespace
}  // namespace epilabel
