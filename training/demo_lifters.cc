#include "training/demo_lifters.h"

#include <chrono>
#include <filesystem>

#include "detection/skeleton.h"
#include "foundation/error.h"

namespace fs = std::filesystem;

namespace epilabel {

namespace {

// The first clip start in (60 %, 90 %) of the frames, else 75 %: the test clips are unseen.
int SplitFrame(const SyntheticScene& scene) {
  const int frames = scene.points3d.num_frames();
  for (int start : scene.clip_start_frames)
    if (start > 0.6 * frames && start < 0.9 * frames) return start;
  return static_cast<int>(0.75 * frames);
}

LabelDataset FramesIn(const LabelDataset& d, int lo, int hi) { return SelectSamples(d, SamplesInFrames(d, lo, hi)); }

LabelDataset GroundTruthLabels(const SyntheticScene& scene) {
  const Skeleton& skeleton = GetSkeleton("coco17");
  GroundTruthDatasetOptions go;
  go.sequence_name = "studio";
  go.skeleton = skeleton.name;
  go.joint_names = skeleton.joint_names;
  go.root_joints = skeleton.root;
  return MakeGroundTruthDataset(scene.rig, scene.points3d, scene.frame_numbers, &scene.observations, go);
}

enum class DemoModel { kMlp, kTransformer, kDiffusion };

// The model and its epochs: the MLP at the demo's width, the transformer with frame tokens
// (width 128, depth 1, a 9-frame window: `train --model transformer --tokens frames --dim 128
// --depth 1 --window 9`), the diffusion lifter.
void SetModel(const DemoLifterOptions& o, DemoModel model, TrainOptions* t) {
  switch (model) {
    case DemoModel::kMlp:
      t->model.type = "mlp";
      t->model.mlp_hidden = o.hidden;
      t->epochs = o.epochs;
      break;
    case DemoModel::kTransformer:
      t->model.type = "transformer";
      t->model.transformer_tokens = "frames";
      t->model.transformer_dim = 128;
      t->model.transformer_depth = 1;
      t->model.transformer_heads = 2;
      t->model.transformer_window = 9;
      t->epochs = o.transformer_epochs;
      break;
    case DemoModel::kDiffusion:
      t->model.type = "diffusion";
      t->epochs = o.diffusion_epochs;
      break;
  }
}

std::string ModelName(const DemoLifterOptions& o, DemoModel model) {
  switch (model) {
    case DemoModel::kMlp: return "mlp";
    case DemoModel::kTransformer: return "transformer (frame tokens)";
    case DemoModel::kDiffusion: return "diffusion (H = " + std::to_string(o.hypotheses) + ", JPMA)";
  }
  return "";
}

DemoLifterRow TrainAndEvaluate(const DemoLifterOptions& o, const std::string& name, const std::string& dir,
                               const LabelDataset& train, const LabelDataset& test, DemoModel model) {
  TrainOptions t;
  SetModel(o, model, &t);
  t.seed = o.seed;
  t.num_threads = 1;
  t.run_dir = (fs::path(o.out_dir) / dir).string();
  t.overwrite = true;
  TrainLifter(t, train, LabelDataset{}, o.progress);
  BodyPoseMetricsOptions mo;
  mo.root_joints = GetSkeleton("coco17").root;
  mo.pss_num_clusters = {};
  InferenceOptions io;
  if (model == DemoModel::kDiffusion) io.hypotheses = o.hypotheses;
  io.seed = o.seed;
  DemoLifterRow row;
  row.name = name;
  row.model = ModelName(o, model);
  row.samples = train.num_samples();
  row.metrics = EvaluateLifter(t.run_dir, test, io, mo).metrics;
  return row;
}

}  // namespace

void DemoLifterOptions::Check() const {
  if (epochs < 1) throw InputError("epochs", "must be >= 1, got " + std::to_string(epochs));
  if (transformer && transformer_epochs < 1)
    throw InputError("transformer_epochs", "must be >= 1, got " + std::to_string(transformer_epochs));
  if (diffusion && diffusion_epochs < 1)
    throw InputError("diffusion_epochs", "must be >= 1, got " + std::to_string(diffusion_epochs));
  if (hidden < 1) throw InputError("hidden", "must be >= 1, got " + std::to_string(hidden));
  if (hypotheses < 1) throw InputError("hypotheses", "must be >= 1, got " + std::to_string(hypotheses));
  if (out_dir.empty()) throw InputError("out_dir", "no output folder given");
}

DemoLifterResult RunDemoLifters(const DemoRunResult& demo, const DemoLifterOptions& options) {
  options.Check();
  const auto t0 = std::chrono::steady_clock::now();
  DemoLifterResult r;
  r.frames = demo.scene.points3d.num_frames();
  r.split_frame = SplitFrame(demo.scene);
  const LabelDataset gt = GroundTruthLabels(demo.scene);
  const LabelDataset test = FramesIn(gt, r.split_frame, r.frames);
  r.test_samples = test.num_samples();
  const LabelDataset pseudo = FramesIn(demo.labels, 0, r.split_frame);
  const DemoModel mlp = DemoModel::kMlp;
  r.rows.push_back(
      TrainAndEvaluate(options, "ground-truth 3D", "lifter_gt", FramesIn(gt, 0, r.split_frame), test, mlp));
  r.rows.push_back(TrainAndEvaluate(options, "pseudo-labels, multi-view", "lifter_pseudo", pseudo, test, mlp));
  r.rows.push_back(TrainAndEvaluate(options, "pseudo-labels, two-view", "lifter_two_view",
                                    FramesIn(demo.labels_two_view, 0, r.split_frame), test, mlp));
  if (options.transformer)
    r.rows.push_back(TrainAndEvaluate(options, "pseudo-labels, multi-view", "lifter_pseudo_transformer", pseudo, test,
                                      DemoModel::kTransformer));
  if (options.diffusion)
    r.rows.push_back(TrainAndEvaluate(options, "pseudo-labels, multi-view", "lifter_pseudo_diffusion", pseudo, test,
                                      DemoModel::kDiffusion));
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace epilabel
