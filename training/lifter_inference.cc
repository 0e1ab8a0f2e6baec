#include "training/lifter_inference.h"

#include <dlfcn.h>

#include <algorithm>
#include <optional>

#include "detection/skeleton.h"
#include "foundation/error.h"
#include "training/hypotheses.h"

namespace epilabel {
namespace lifter {

void SetComputeThreads(int num_threads) {
  at::set_num_threads(num_threads);
  // Looked up at run time: the BLAS is whatever libblas.so.3 the system's alternative names.
  using SetBlasThreads = void (*)(int);
  if (auto set = reinterpret_cast<SetBlasThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set(1);
}

torch::Tensor InputTensor(Batch& batch) {
  return torch::from_blob(batch.input.data(), {batch.size, batch.window, batch.num_joints, 2}, torch::kFloat32);
}

torch::Tensor ModelInput(Batch& batch, bool perspective_encoding) {
  const torch::Tensor uv = InputTensor(batch);
  if (!perspective_encoding) return uv;
  std::vector<float> rays = PerspectiveEncoding(batch);
  const torch::Tensor r = torch::from_blob(rays.data(), uv.sizes(), torch::kFloat32);
  return torch::cat({uv, r}, -1);
}

namespace {

// One sample's hypotheses from the contiguous [H, n, J, 3] predictions of a batch, rotated by
// `camera_from_model` (the inverse of the perspective normalisation; identity without).
std::vector<std::vector<Eigen::Vector3d>> SampleHypotheses(const float* p, int hypotheses, size_t n, size_t i,
                                                           int j_count, const Eigen::Matrix3d& camera_from_model) {
  std::vector<std::vector<Eigen::Vector3d>> out(hypotheses, std::vector<Eigen::Vector3d>(j_count));
  for (int h = 0; h < hypotheses; ++h)
    for (int k = 0; k < j_count; ++k) {
      const size_t src = ((h * n + i) * j_count + k) * 3;
      out[h][k] = camera_from_model * Eigen::Vector3d(p[src], p[src + 1], p[src + 2]);
    }
  return out;
}

bool KnownIntrinsics(const Eigen::Matrix3d& K) { return K(0, 0) > 0.0 && K(1, 1) > 0.0 && K(2, 2) == 1.0; }

std::vector<Eigen::Vector3d> SampleKeypoints(const LifterData& data, int s) {
  return std::vector<Eigen::Vector3d>(data.keypoints.begin() + static_cast<size_t>(s) * data.num_joints,
                                      data.keypoints.begin() + static_cast<size_t>(s + 1) * data.num_joints);
}

// The root of sample s: its root_cam when known, else fitted to the 2D from `pose`.
std::optional<Eigen::Vector3d> SampleRoot(const LifterData& data, int s, const std::vector<Eigen::Vector3d>& pose) {
  std::optional<Eigen::Vector3d> root = data.root_cam[s];
  if (!root->allFinite() || !(root->z() > 0.0)) root = EstimateRoot(pose, SampleKeypoints(data, s), data.K[s]);
  if (!root || !(root->z() > 0.0)) return std::nullopt;
  return root;
}

// The pose of sample s from its hypotheses: the one hypothesis, JPMA, or their mean.
std::vector<Eigen::Vector3d> Aggregate(const std::vector<std::vector<Eigen::Vector3d>>& hypotheses,
                                       const LifterData& data, int s, const InferenceOptions& options) {
  if (hypotheses.size() == 1) return hypotheses[0];
  std::vector<Eigen::Vector3d> mean = MeanHypothesis(hypotheses);
  if (!options.jpma) return mean;
  if (!KnownIntrinsics(data.K[s])) throw InputError("intrinsics", "JPMA (several hypotheses) needs the camera intrinsics");
  const std::optional<Eigen::Vector3d> root = SampleRoot(data, s, mean);
  if (!root) return mean;
  return SelectJointsByReprojection(hypotheses, SampleKeypoints(data, s), data.K[s], *root);
}

// UAO-style refinement of sample s's pose against its 2D (options.refine).
std::vector<Eigen::Vector3d> Refine(const std::vector<Eigen::Vector3d>& pose, const std::vector<double>& sigma,
                                    const LifterData& data, int s, const InferenceOptions& options) {
  if (!KnownIntrinsics(data.K[s])) throw InputError("intrinsics", "the test-time refinement needs the camera intrinsics");
  const std::optional<Eigen::Vector3d> root = SampleRoot(data, s, pose);
  if (!root) return pose;
  RefineOptions ro;
  ro.steps = options.refine_steps;
  ro.pixel_sigma = options.refine_pixel_sigma;
  ro.prior_sigma_m = options.refine_prior_sigma_m;
  return RefineByReprojection(pose, sigma, SampleKeypoints(data, s), data.K[s], *root, ro);
}

// One batch's network outputs: hypotheses [H, n, J, 3], the test-time flip's prediction [n, J, 3]
// (undefined without), the per-joint sigma [n, J] (undefined without a head), and the
// perspective rotations of the plain and the flipped batch.
struct BatchOutputs {
  torch::Tensor hypotheses, flipped, sigma;
  std::vector<Eigen::Matrix3d> rotations, flipped_rotations;
};

BatchOutputs RunBatch(LifterNetImpl& model, const LifterData& data, const std::vector<int>& chunk,
                      const PredictSetup& setup, const InferenceOptions& options, uint64_t seed) {
  BatchOutputs out;
  Batch batch = MakeBatch(data, chunk, setup.window, AugmentOptions{}, nullptr);
  out.rotations.assign(chunk.size(), Eigen::Matrix3d::Identity());
  if (setup.perspective) out.rotations = PerspectiveNormalize(&batch, setup.root_joints);
  const torch::Tensor input = ModelInput(batch, setup.perspective_encoding);
  out.hypotheses = model.Hypotheses(input, options.hypotheses, options.steps, seed).contiguous();
  const torch::Tensor log_sigma = model.LogSigma(input, out.hypotheses[0]);
  if (log_sigma.defined()) out.sigma = log_sigma.exp().contiguous();
  if (options.test_time_flip && !setup.flip_permutation.empty()) {
    AugmentOptions flip_all;
    flip_all.flip_probability = 1.0;
    std::mt19937_64 unused(0);
    Batch flipped = MakeBatch(data, chunk, setup.window, flip_all, &unused, setup.flip_permutation);
    out.flipped_rotations.assign(chunk.size(), Eigen::Matrix3d::Identity());
    if (setup.perspective) out.flipped_rotations = PerspectiveNormalize(&flipped, setup.root_joints);
    out.flipped = model.forward(ModelInput(flipped, setup.perspective_encoding)).contiguous();
  }
  return out;
}

}  // namespace

std::vector<Eigen::Vector3d> Predict(LifterNetImpl& model, const LifterData& data, const std::vector<int>& samples,
                                     const PredictSetup& setup, const InferenceOptions& options,
                                     std::vector<double>* uncertainty) {
  options.Check();
  torch::NoGradGuard no_grad;
  model.eval();
  const int j_count = data.num_joints;
  std::vector<Eigen::Vector3d> out(samples.size() * j_count, Eigen::Vector3d::Zero());
  if (uncertainty != nullptr) uncertainty->assign(samples.size() * j_count, 0.0);
  const int batch_size = std::max(1, options.batch_size);
  const std::vector<joint_t>& perm = setup.flip_permutation;
  for (size_t begin = 0; begin < samples.size(); begin += batch_size) {
    const size_t end = std::min(samples.size(), begin + batch_size);
    const std::vector<int> chunk(samples.begin() + begin, samples.begin() + end);
    const BatchOutputs o = RunBatch(model, data, chunk, setup, options, options.seed + begin);
    const int hypotheses = static_cast<int>(o.hypotheses.size(0));
    const float* pf = o.flipped.defined() ? o.flipped.data_ptr<float>() : nullptr;
    for (size_t i = 0; i < chunk.size(); ++i) {
      const auto h = SampleHypotheses(o.hypotheses.data_ptr<float>(), hypotheses, chunk.size(), i, j_count,
                                      o.rotations[i].transpose());
      std::vector<Eigen::Vector3d> pose = Aggregate(h, data, chunk[i], options);
      std::vector<double> sigma = HypothesisSpread(h);
      if (o.sigma.defined()) {
        for (int k = 0; k < j_count; ++k) sigma[k] = o.sigma.data_ptr<float>()[i * j_count + k];
      }
      for (int k = 0; pf != nullptr && k < j_count; ++k) {
        // The mirrored input predicts the mirrored pose: joint k is the mirror of its partner.
        const size_t m = (i * j_count + perm[k]) * 3;
        const Eigen::Vector3d v = o.flipped_rotations[i].transpose() * Eigen::Vector3d(pf[m], pf[m + 1], pf[m + 2]);
        pose[k] = 0.5 * (pose[k] + Eigen::Vector3d(-v.x(), v.y(), v.z()));
      }
      const bool has_sigma = o.sigma.defined() || hypotheses > 1;
      if (options.refine) pose = Refine(pose, has_sigma ? sigma : std::vector<double>{}, data, chunk[i], options);
      for (int k = 0; k < j_count; ++k) {
        out[(begin + i) * j_count + k] = pose[k];
        if (uncertainty != nullptr) (*uncertainty)[(begin + i) * j_count + k] = sigma[k];
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

double ValidationMpjpeMm(LifterNetImpl& model, const LifterData& val, const PredictSetup& setup) {
  if (val.num_samples() == 0) return kNaN;
  InferenceOptions options;
  options.batch_size = 1024;
  PredictSetup no_flip = setup;
  no_flip.flip_permutation.clear();
  const std::vector<Eigen::Vector3d> pred = Predict(model, val, AllSamples(val.num_samples()), no_flip, options, nullptr);
  const Points3d predicted = ToPoints(pred, val.num_joints);
  const Points3d truth = ToPoints(val.target, val.num_joints);
  FrameJointArray<uint8_t> valid(val.num_samples(), val.num_joints);
  valid.data() = val.valid;
  return 1e3 * MeanJointError(JointErrors(predicted, truth, &valid, PoseAlignment::kRoot, setup.root_joints));
}

}  // namespace lifter
}  // namespace epilabel
