// Lifter accuracy on held-out motion: the synthetic studio (h36m4, simulated detector with its
// default noise) plays each shipped motion clip as its own sequence; an mlp is trained on the
// ground-truth 3D labels of all clips but one (2D input: the simulated detections) and scored
// on the held-out clip with every metric, once per held-out clip. See bench/training.cmake.
//   build/bench/training_accuracy [--frames N] [--hidden H] [--epochs E] [--threads T]
//                                 [--model mlp|tcn|gcn] [--virtual-cameras R] [--folds K]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "detection/skeleton.h"
#include "detection/synthetic/studio.h"
#include "training/lifter.h"

using namespace epilabel;

namespace {

std::string DataDir() {
  if (const char* env = std::getenv("EPILABEL_DATA_DIR"); env != nullptr && *env != '\0') return env;
  return EPILABEL_DATA_DIR;
}

LabelDataset ClipDataset(const std::string& clip, int frames, uint64_t seed) {
  StudioOptions options;
  options.rig = "h36m4";
  options.num_frames = frames;
  options.seed = seed;
  options.motion_files = {DataDir() + "/motions/" + clip + ".bvh"};
  const SyntheticScene scene = Synthesize(options);
  const Skeleton& skeleton = GetSkeleton("coco17");
  GroundTruthDatasetOptions gt;
  gt.sequence_name = clip;
  gt.skeleton = skeleton.name;
  gt.joint_names = skeleton.joint_names;
  gt.root_joints = skeleton.root;
  return MakeGroundTruthDataset(scene.rig, scene.points3d, scene.frame_numbers, &scene.observations, gt);
}

}  // namespace

int main(int argc, char** argv) {
  int frames = 1000, epochs = 10, threads = 2, folds = 1;
  TrainOptions options;
  options.model.mlp_hidden = 1024;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--frames") frames = std::atoi(value);
    else if (flag == "--hidden") options.model.mlp_hidden = options.model.gcn_hidden = std::atoi(value);
    else if (flag == "--epochs") epochs = std::atoi(value);
    else if (flag == "--threads") threads = std::atoi(value);
    else if (flag == "--model") options.model.type = value;
    else if (flag == "--virtual-cameras") options.augment.virtual_camera_rate = std::atof(value);
    else if (flag == "--folds") folds = std::atoi(value);
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  const std::vector<std::string> clips = {"01_01", "02_01", "05_06", "131_03"};
  std::vector<LabelDataset> data;
  for (size_t i = 0; i < clips.size(); ++i) data.push_back(ClipDataset(clips[i], frames, 1 + i));
  options.epochs = epochs;
  options.num_threads = threads;
  options.run_dir = (std::filesystem::temp_directory_path() / "epilabel_training_accuracy").string();
  options.overwrite = true;
  std::printf("%s, hidden %d, %d epochs, %d threads, %d frames per clip, h36m4 (4 cameras)\n",
              options.model.type.c_str(), options.model.mlp_hidden, epochs, threads, frames);
  std::printf("%-8s %7s %7s %9s %9s %9s %6s %6s %6s %6s %8s\n", "held out", "train", "test", "MPJPE mm", "P-MPJPE",
              "N-MPJPE", "PCK", "AUC", "PSS50", "PSS100", "train s");
  for (int k = 0; k < std::min<int>(folds, static_cast<int>(clips.size())); ++k) {
    const int held = static_cast<int>(clips.size()) - 1 - k;
    std::vector<LabelDataset> parts;
    for (size_t i = 0; i < clips.size(); ++i) {
      if (static_cast<int>(i) != held) parts.push_back(data[i]);
    }
    const LabelDataset train = MergeDatasets(parts);
    const auto start = std::chrono::steady_clock::now();
    TrainLifter(options, train, LabelDataset{});
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    InferenceOptions inference;
    inference.num_threads = threads;
    const BodyPoseMetrics m = EvaluateLifter(options.run_dir, data[held], inference).metrics;
    std::printf("%-8s %7d %7d %9.1f %9.1f %9.1f %6.3f %6.3f %6.3f %6.3f %8.1f\n", clips[held].c_str(),
                train.num_samples(), data[held].num_samples(), m.mpjpe * 1e3, m.p_mpjpe * 1e3, m.n_mpjpe * 1e3, m.pck,
                m.auc, m.Pss(50), m.Pss(100), seconds);
    std::fflush(stdout);
  }
  std::filesystem::remove_all(options.run_dir);
  return 0;
}
