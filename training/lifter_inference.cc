#include "training/lifter_inference.h"

#include <algorithm>
#include <optional>

#include "detection/skeleton.h"
#include "foundation/error.h"
#include "training/hypotheses.h"

namespace epilabel {
namespace lifter {

torch::Tensor InputTensor(Batch& batch) {
  return torch::from_blob(batch.input.data(), {batch.size, batch.window, batch.num_joints, 2}, torch::kFloat32);
}

// Root-relative predictions [N * J] for the given samples (no augmentation; optional
// test-time flip).
namespace {

// One sample's hypotheses from the contiguous [H, n, J, 3] predictions of a batch.
std::vector<std::vector<Eigen::Vector3d>> SampleHypotheses(const float* p, int hypotheses, size_t n, size_t i,
                                                           int j_count) {
  std::vector<std::vector<Eigen::Vector3d>> out(hypotheses, std::vector<Eigen::Vector3d>(j_count));
  for (int h = 0; h < hypotheses; ++h)
    for (int k = 0; k < j_count; ++k) {
      const size_t src = ((h * n + i) * j_count + k) * 3;
      out[h][k] = Eigen::Vector3d(p[src], p[src + 1], p[src + 2]);
    }
  return out;
}

// The pose of sample s from its hypotheses: the one hypothesis, JPMA, or their mean.
std::vector<Eigen::Vector3d> Aggregate(const std::vector<std::vector<Eigen::Vector3d>>& hypotheses,
                                       const LifterData& data, int s, const InferenceOptions& options) {
  if (hypotheses.size() == 1) return hypotheses[0];
  std::vector<Eigen::Vector3d> mean = MeanHypothesis(hypotheses);
  if (!options.jpma) return mean;
  const Eigen::Matrix3d& K = data.K[s];
  if (!(K(0, 0) > 0.0 && K(1, 1) > 0.0 && K(2, 2) == 1.0)) {
    throw InputError("intrinsics", "JPMA (several hypotheses) needs the camera intrinsics");
  }
  const std::vector<Eigen::Vector3d> keypoints(data.keypoints.begin() + static_cast<size_t>(s) * data.num_joints,
                                               data.keypoints.begin() + static_cast<size_t>(s + 1) * data.num_joints);
  std::optional<Eigen::Vector3d> root = data.root_cam[s];
  if (!root->allFinite() || !(root->z() > 0.0)) root = EstimateRoot(mean, keypoints, K);
  if (!root || !(root->z() > 0.0)) return mean;
  return SelectJointsByReprojection(hypotheses, keypoints, K, *root);
}

}  // namespace

std::vector<Eigen::Vector3d> Predict(LifterNetImpl& model, const LifterData& data, const std::vector<int>& samples,
                                     int window, const InferenceOptions& options,
                                     const std::vector<joint_t>& flip_permutation, std::vector<double>* spread) {
  options.Check();
  torch::NoGradGuard no_grad;
  model.eval();
  const int j_count = data.num_joints;
  std::vector<Eigen::Vector3d> out(samples.size() * j_count, Eigen::Vector3d::Zero());
  if (spread != nullptr) spread->assign(samples.size() * j_count, 0.0);
  const int batch_size = std::max(1, options.batch_size);
  AugmentOptions flip_all;
  flip_all.flip_probability = 1.0;
  for (size_t begin = 0; begin < samples.size(); begin += batch_size) {
    const size_t end = std::min(samples.size(), begin + batch_size);
    const std::vector<int> chunk(samples.begin() + begin, samples.begin() + end);
    Batch batch = MakeBatch(data, chunk, window, AugmentOptions{}, nullptr);
    const torch::Tensor pred =
        model.Hypotheses(InputTensor(batch), options.hypotheses, options.steps, options.seed + begin).contiguous();
    const int hypotheses = static_cast<int>(pred.size(0));
    torch::Tensor pred_flipped;
    const float* pf = nullptr;
    if (options.test_time_flip && !flip_permutation.empty()) {
      std::mt19937_64 unused(0);
      Batch flipped = MakeBatch(data, chunk, window, flip_all, &unused, flip_permutation);
      pred_flipped = model.forward(InputTensor(flipped)).contiguous();
      pf = pred_flipped.data_ptr<float>();
    }
    for (size_t i = 0; i < chunk.size(); ++i) {
      const auto h = SampleHypotheses(pred.data_ptr<float>(), hypotheses, chunk.size(), i, j_count);
      const std::vector<Eigen::Vector3d> pose = Aggregate(h, data, chunk[i], options);
      const std::vector<double> joint_spread = HypothesisSpread(h);
      for (int k = 0; k < j_count; ++k) {
        Eigen::Vector3d v = pose[k];
        if (pf != nullptr) {
          // The mirrored input predicts the mirrored pose: joint k is the mirror of its partner.
          const size_t m = (i * j_count + flip_permutation[k]) * 3;
          v = 0.5 * (v + Eigen::Vector3d(-pf[m], pf[m + 1], pf[m + 2]));
        }
        out[(begin + i) * j_count + k] = v;
        if (spread != nullptr) (*spread)[(begin + i) * j_count + k] = joint_spread[k];
      }
    }
  }
  return out;
}

std::vector<joint_t> FlipPermutationOf(const Skeleton* skeleton) {
  return skeleton != nullptr ? skeleton->FlipPermutation() : std::vector<joint_t>{};
}

void CheckJoints(const std::vector<std::string>& run_joints, const LabelDataset& dataset, const std::string& where) {
  if (run_joints != dataset.joint_names) {
    throw InputError(where, "the dataset's joints (" + std::to_string(dataset.num_joints()) +
                                ") differ from the model's (" + std::to_string(run_joints.size()) + ", skeleton order)");
  }
}

Points3d ToPoints(const std::vector<Eigen::Vector3d>& flat, int num_joints) {
  const int n = num_joints > 0 ? static_cast<int>(flat.size()) / num_joints : 0;
  Points3d points(n, num_joints);
  for (int s = 0; s < n; ++s)
    for (int k = 0; k < num_joints; ++k) points.at(s, k) = flat[static_cast<size_t>(s) * num_joints + k];
  return points;
}

std::vector<int> AllSamples(int n) {
  std::vector<int> s(n);
  for (int i = 0; i < n; ++i) s[i] = i;
  return s;
}

double ValidationMpjpeMm(LifterNetImpl& model, const LifterData& val, int window, const std::vector<joint_t>& root) {
  if (val.num_samples() == 0) return kNaN;
  InferenceOptions options;
  options.batch_size = 1024;
  const std::vector<Eigen::Vector3d> pred = Predict(model, val, AllSamples(val.num_samples()), window, options, {}, nullptr);
  const Points3d predicted = ToPoints(pred, val.num_joints);
  const Points3d truth = ToPoints(val.target, val.num_joints);
  FrameJointArray<uint8_t> valid(val.num_samples(), val.num_joints);
  valid.data() = val.valid;
  return 1e3 * MeanJointError(JointErrors(predicted, truth, &valid, PoseAlignment::kRoot, root));
}

}  // namespace lifter
}  // namespace epilabel
