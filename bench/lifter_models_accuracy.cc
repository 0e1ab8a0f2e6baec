// Every lifter on the demo's studio (h36m4, simulated detector, ground-truth 3D labels): trained
// on the frames before the last clips, scored on the held-out last clips (as `epilabel demo`
// splits), with training throughput and inference speed. See bench/training.cmake.
//   build/bench/lifter_models_accuracy [--frames 3000] [--epochs 4] [--threads 2]
//       [--models mlp,tcn,gcn,transformer,transformer-kpa-tpa,transformer-w27-prune,transformer-w27-d4,diffusion]
//       (transformer options in the name: -parts / -frames tokens, -wN window, -dN depth, -cN width,
//       -hN heads, e.g. transformer-frames-c128-d3)
//       [--samples-per-epoch N]   (a model may carry its own epochs: mlp:40)
//       [--hypotheses 5] [--steps 4] [--digest]
//       [--refine] [--label-fraction F] [--pretrain-epochs P] [--pretrain-motions DIR] [--lr-decay D]
//       [--lr R] [--lr-schedule exponential|cosine] [--lr-warmup EPOCHS]
//       [--train-labels DATASET.npz] [--seed S]
// A model name may carry options: NAME+unc (uncertainty head), NAME+persp (perspective inputs),
// NAME+pe (perspective encoding: the rays as more input channels), NAME+vc (virtual cameras for
// half the samples), NAME+mpm (masked pre-training for the first --pretrain-epochs epochs),
// NAME+mpm3d (the same plus the masked 3D pose completion), NAME+mpm3d+mocap (the 3D completion
// also on the motion capture of --pretrain-motions, default DATA_DIR/mocap_pretrain), NAME+mpm...+no2d
// (pre-training without the 2D reconstruction term), transformer...+seq (the loss over
// every frame of the window), e.g. mlp+unc:40, mlp+persp+pe:20.
// --digest prints a hash of each run's weights.npz (to check that a refactoring leaves the
// models' results unchanged). --refine adds rows with the test-time refinement (with the true
// root and with a root fitted to the 2D) and, for +unc, how the predicted sigma follows the
// error. --label-fraction keeps the 3D labels of that share of the training samples (seeded).
// --train-labels trains on another dataset of the same studio (e.g. `epilabel demo`'s labels/
// or labels_true_calibration/), restricted to the training frames; the test set stays the
// ground truth.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <random>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

#include "detection/skeleton.h"
#include "geometry/metrics/metrics.h"
#include "detection/synthetic/studio.h"
#include "pseudolabel/label_scoring.h"
#include "training/lifter.h"

using namespace epilabel;

namespace {

std::string DataDir() {
  if (const char* env = std::getenv("EPILABEL_DATA_DIR"); env != nullptr && *env != '\0') return env;
  return EPILABEL_DATA_DIR;
}

struct Split {
  LabelDataset train, test;
};

// The demo's studio and split: train on the frames before the clip that starts in (60%, 90%)
// of the frames, test on the rest.
Split StudioSplit(int frames) {
  StudioOptions so;
  so.num_frames = frames;
  so.data_dir = DataDir();
  const SyntheticScene scene = Synthesize(so);
  int split = static_cast<int>(0.75 * frames);
  for (int start : scene.clip_start_frames)
    if (start > 0.6 * frames && start < 0.9 * frames) {
      split = start;
      break;
    }
  const Skeleton& skeleton = GetSkeleton("coco17");
  GroundTruthDatasetOptions go;
  go.sequence_name = "studio";
  go.skeleton = skeleton.name;
  go.joint_names = skeleton.joint_names;
  go.root_joints = skeleton.root;
  const LabelDataset gt = MakeGroundTruthDataset(scene.rig, scene.points3d, scene.frame_numbers, &scene.observations, go);
  std::string train_clips, test_clips;  // the clips played before and after the split (no leakage into pre-training)
  for (size_t i = 0; i < scene.clip_names.size(); ++i) {
    std::string& list = scene.clip_start_frames[i] < split ? train_clips : test_clips;
    list += (list.empty() ? "" : " ") + scene.clip_names[i];
  }
  std::printf("training clips: %s; held-out clips: %s\n", train_clips.c_str(), test_clips.c_str());
  return {SelectSamples(gt, SamplesInFrames(gt, 0, split)), SelectSamples(gt, SamplesInFrames(gt, split, frames))};
}

// The configurations compared: small sizes that train in minutes on two cores.
bool Configure(std::string name, TrainOptions* options, int pretrain_epochs, const std::string& motions) {
  LifterModelOptions* m = &options->model;
  auto take = [&name](const std::string& suffix) {
    const size_t at = name.find(suffix);
    if (at == std::string::npos) return false;
    name.erase(at, suffix.size());
    return true;
  };
  m->uncertainty_head = take("+unc");
  m->perspective = take("+persp");
  m->perspective_encoding = take("+pe");
  m->transformer_sequence_loss = take("+seq");
  if (take("+vc")) options->augment.virtual_camera_rate = 0.5;
  if (take("+mocap")) options->pretrain_motions = motions;
  const bool no_2d = take("+no2d");
  const bool masked_3d = take("+mpm3d");
  if (masked_3d || take("+mpm")) {
    options->pretrain = "masked";
    options->pretrain_epochs = pretrain_epochs;
    options->pretrain_3d_weight = masked_3d ? 1.0 : 0.0;
    if (no_2d) options->pretrain_2d_weight = 0.0;
  }
  if (name == "mlp") {
    m->type = "mlp";
    m->mlp_hidden = 256;
  } else if (name == "tcn") {
    m->type = "tcn";
    m->tcn_receptive_field = 27;
    m->tcn_channels = 256;
  } else if (name == "gcn") {
    m->type = "gcn";
    m->gcn_hidden = 64;
  } else if (name.rfind("transformer", 0) == 0) {  // transformer[-parts|-frames][-posemlp][-wN][-dN][-cN][-hN][-kpa][-tpa][-prune]
    m->type = "transformer";
    // The number after "-X" (e.g. -w27 the window, -d4 the depth, -c64 the width, -h4 the heads).
    auto number = [&name](const std::string& key, int fallback) {
      for (size_t at = name.find(key); at != std::string::npos; at = name.find(key, at + 1)) {
        const size_t digits = at + key.size();
        if (digits < name.size() && std::isdigit(static_cast<unsigned char>(name[digits])))
          return std::atoi(name.c_str() + digits);
      }
      return fallback;
    };
    m->transformer_window = number("-w", 9);
    m->transformer_dim = number("-c", 32);
    m->transformer_depth = number("-d", 2);
    m->transformer_heads = number("-h", 2);
    if (name.find("-parts") != std::string::npos) m->transformer_tokens = "parts";
    if (name.find("-frames") != std::string::npos) m->transformer_tokens = "frames";
    m->transformer_pose_mlp = name.find("-posemlp") != std::string::npos;
    m->kpa = name.find("-kpa") != std::string::npos;
    m->tpa = name.find("-tpa") != std::string::npos;
    if (name.find("-prune") != std::string::npos) m->transformer_prune_tokens = m->transformer_window / 3;
  } else if (name == "diffusion") {
    m->type = "diffusion";
    m->diffusion_window = 9;
    m->diffusion_hidden = 256;
  } else {
    return false;
  }
  return true;
}

// Keeps the 3D labels of a seeded random share of the samples (the others become unlabelled).
LabelDataset KeepLabels(const LabelDataset& d, double fraction, uint64_t seed) {
  LabelDataset out = d;
  std::mt19937_64 rng(seed);
  for (int s = 0; s < d.num_samples(); ++s) {
    if (Uniform01(rng) < fraction) continue;
    for (int k = 0; k < d.num_joints(); ++k) out.valid[d.Index(s, k)] = 0;
  }
  return out;
}

// How the predicted per-joint sigma follows the true error: Pearson's r over all joints, and the
// mean error of the joints in the lowest and the highest quarter of sigma.
void PrintSigmaCorrelation(const std::string& label, const Points3d& predicted, const FrameJointArray<double>& sigma,
                           const LabelDataset& test) {
  std::vector<std::pair<double, double>> pairs;  // (sigma, error)
  for (int s = 0; s < test.num_samples(); ++s)
    for (int k = 0; k < test.num_joints(); ++k) {
      if (!test.valid[test.Index(s, k)] || !predicted.at(s, k).allFinite()) continue;
      const Eigen::Vector3d truth = test.points3d_cam[test.Index(s, k)] - test.root_cam[s];
      pairs.push_back({sigma.at(s, k), (predicted.at(s, k) - truth).norm()});
    }
  if (pairs.size() < 8) return;
  const double n = static_cast<double>(pairs.size());
  double ms = 0, me = 0;
  for (const auto& [a, b] : pairs) ms += a / n, me += b / n;
  double cov = 0, vs = 0, ve = 0;
  for (const auto& [a, b] : pairs) cov += (a - ms) * (b - me), vs += (a - ms) * (a - ms), ve += (b - me) * (b - me);
  std::sort(pairs.begin(), pairs.end());
  const size_t q = pairs.size() / 4;
  double low = 0, high = 0;
  for (size_t i = 0; i < q; ++i) low += pairs[i].second / q, high += pairs[pairs.size() - 1 - i].second / q;
  std::printf("  %s: sigma vs error r = %.3f; mean sigma %.1f mm, mean error %.1f mm; error of the lowest / highest "
              "sigma quarter %.1f / %.1f mm\n",
              label.c_str(), cov / std::sqrt(vs * ve), ms * 1e3, me * 1e3, low * 1e3, high * 1e3);
}

// Predictions with the test set's roots hidden (as `lift` sees a new clip: JPMA and the
// refinement fit the root to the 2D); the truth is the labels'.
BodyPoseMetrics EvaluateWithFittedRoot(const std::string& run_dir, const LabelDataset& test, const InferenceOptions& o) {
  LabelDataset hidden = test;
  for (auto& root : hidden.root_cam) root = Eigen::Vector3d::Constant(kNaN);
  const Points3d predicted = PredictDataset(run_dir, hidden, o);
  Points3d truth(test.num_samples(), test.num_joints());
  FrameJointArray<uint8_t> valid(test.num_samples(), test.num_joints());
  for (int s = 0; s < test.num_samples(); ++s)
    for (int k = 0; k < test.num_joints(); ++k) {
      truth.at(s, k) = test.points3d_cam[test.Index(s, k)] - test.root_cam[s];
      valid.at(s, k) = test.valid[test.Index(s, k)];
    }
  BodyPoseMetricsOptions m;
  m.root_joints = GetSkeleton("coco17").root;
  return EvaluateBodyPoses(predicted, truth, &valid, m);
}

uint64_t FileDigest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ULL;
  return h;
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(item);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int frames = 3000, epochs = 4, threads = 2, samples_per_epoch = 0, hypotheses = 5, steps = 4, pretrain_epochs = 2;
  bool digest = false, refine = false;
  uint64_t seed = 1;
  double label_fraction = 1.0;
  double lr_decay = 0.0;  // 0: TrainOptions' default
  double lr = 0.0;        // 0: TrainOptions' default
  double lr_warmup = 0.0;
  std::string lr_schedule = "exponential";
  std::string train_labels;
  std::string pretrain_motions = DataDir() + "/mocap_pretrain";
  std::string models = "mlp,tcn,gcn";
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--digest" || flag == "--refine") {
      (flag == "--digest" ? digest : refine) = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s needs a value\n", flag.c_str());
      return 2;
    }
    const char* value = argv[++i];
    if (flag == "--frames") frames = std::atoi(value);
    else if (flag == "--epochs") epochs = std::atoi(value);
    else if (flag == "--threads") threads = std::atoi(value);
    else if (flag == "--models") models = value;
    else if (flag == "--samples-per-epoch") samples_per_epoch = std::atoi(value);
    else if (flag == "--hypotheses") hypotheses = std::atoi(value);
    else if (flag == "--steps") steps = std::atoi(value);
    else if (flag == "--label-fraction") label_fraction = std::atof(value);
    else if (flag == "--pretrain-epochs") pretrain_epochs = std::atoi(value);
    else if (flag == "--train-labels") train_labels = value;
    else if (flag == "--pretrain-motions") pretrain_motions = value;
    else if (flag == "--lr-decay") lr_decay = std::atof(value);
    else if (flag == "--lr") lr = std::atof(value);
    else if (flag == "--lr-schedule") lr_schedule = value;
    else if (flag == "--lr-warmup") lr_warmup = std::atof(value);
    else if (flag == "--seed") seed = std::strtoull(value, nullptr, 10);
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  Split data = StudioSplit(frames);
  if (!train_labels.empty()) {
    // The same studio's other labels, on the training frames.
    int64_t last_train_frame = 0;
    for (int s = 0; s < data.train.num_samples(); ++s) last_train_frame = std::max(last_train_frame, data.train.frame[s]);
    const LabelDataset labels = ReadDatasetNpz(train_labels);
    data.train = SelectSamples(labels, SamplesInFrames(labels, 0, last_train_frame + 1));
    std::printf("training labels: %s\n", train_labels.c_str());
  }
  if (label_fraction < 1.0) data.train = KeepLabels(data.train, label_fraction, 7);
  std::printf("studio h36m4, %d frames: %d training / %d test samples (ground-truth 3D, detector 2D); %d epochs, "
              "%d threads\n",
              frames, data.train.num_samples(), data.test.num_samples(), epochs, threads);
  // "train cpu s": the process's CPU time while training (all threads; with --threads 1 the
  // measure least affected by other programs on the machine).
  std::printf("%-28s %10s %9s %9s %9s %11s %11s %8s %11s\n", "model", "params", "MPJPE mm", "P-MPJPE", "N-MPJPE",
              "train smp/s", "infer fr/s", "train s", "train cpu s");
  // One folder per process, so several benches can run side by side.
  const std::string run_dir =
      (std::filesystem::temp_directory_path() / ("epilabel_lifter_models_" + std::to_string(getpid()))).string();
  for (const std::string& item : SplitList(models)) {
    // NAME or NAME:EPOCHS (an equal CPU-time budget gives fast models more epochs).
    const size_t colon = item.find(':');
    const std::string name = item.substr(0, colon);
    TrainOptions options;
    if (!Configure(name, &options, pretrain_epochs, pretrain_motions)) {
      std::fprintf(stderr, "unknown model configuration %s\n", name.c_str());
      return 2;
    }
    options.epochs = colon == std::string::npos ? epochs : std::atoi(item.c_str() + colon + 1);
    options.num_threads = threads;
    options.max_samples_per_epoch = samples_per_epoch;
    options.run_dir = run_dir;
    options.overwrite = true;
    options.seed = seed;
    if (lr_decay > 0.0) options.lr_decay = lr_decay;
    if (lr > 0.0) options.learning_rate = lr;
    options.lr_schedule = lr_schedule;
    options.lr_warmup_epochs = lr_warmup;
    const auto start = std::chrono::steady_clock::now();
    const std::clock_t cpu_start = std::clock();
    const TrainSummary summary = TrainLifter(options, data.train, LabelDataset{});
    const double train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double train_cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    // The diffusion lifter: one hypothesis, then H hypotheses with JPMA and with their mean.
    std::vector<std::pair<std::string, InferenceOptions>> evaluations(1, {item, InferenceOptions{}});
    if (options.model.type == "diffusion") {
      evaluations[0].first = item + " H=1";
      InferenceOptions h;
      h.hypotheses = hypotheses;
      evaluations.push_back({item + " H=" + std::to_string(hypotheses) + " JPMA", h});
      h.jpma = false;
      evaluations.push_back({item + " H=" + std::to_string(hypotheses) + " mean", h});
    }
    for (auto& [label, inference] : evaluations) {
      inference.num_threads = threads;
      inference.steps = steps;
      const auto infer_start = std::chrono::steady_clock::now();
      const BodyPoseMetrics m = EvaluateLifter(run_dir, data.test, inference).metrics;
      const double infer_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - infer_start).count();
      std::printf("%-28s %10lld %9.3f %9.3f %9.3f %11.0f %11.0f %8.1f %11.1f\n", label.c_str(),
                  static_cast<long long>(summary.num_parameters), m.mpjpe * 1e3, m.p_mpjpe * 1e3, m.n_mpjpe * 1e3,
                  summary.samples_per_second, data.test.num_samples() / infer_seconds, train_seconds, train_cpu_seconds);
    }
    if (options.model.type == "diffusion") {
      InferenceOptions h;
      h.num_threads = threads;
      h.steps = steps;
      h.hypotheses = hypotheses;
      const BodyPoseMetrics m = EvaluateWithFittedRoot(run_dir, data.test, h);
      std::printf("%-28s %10lld %9.3f %9.3f %9.3f\n", (item + " H=" + std::to_string(hypotheses) + " JPMA fit root").c_str(),
                  static_cast<long long>(summary.num_parameters), m.mpjpe * 1e3, m.p_mpjpe * 1e3, m.n_mpjpe * 1e3);
    }
    if (refine) {
      InferenceOptions r;
      r.num_threads = threads;
      r.refine = true;
      std::printf("%-28s %10s %9.3f\n", (item + " refine, true root").c_str(), "",
                  EvaluateLifter(run_dir, data.test, r).metrics.mpjpe * 1e3);
      std::printf("%-28s %10s %9.3f\n", (item + " refine, fit root").c_str(), "",
                  EvaluateWithFittedRoot(run_dir, data.test, r).mpjpe * 1e3);
      if (options.model.uncertainty_head) {
        FrameJointArray<double> sigma;
        InferenceOptions plain;
        plain.num_threads = threads;
        const Points3d predicted = PredictDataset(run_dir, data.test, plain, &sigma);
        PrintSigmaCorrelation(item, predicted, sigma, data.test);
      }
    }
    if (digest) std::printf("  weights digest %016llx\n", static_cast<unsigned long long>(FileDigest(run_dir + "/weights.npz")));
    std::fflush(stdout);
  }
  std::filesystem::remove_all(run_dir);
  return 0;
}
