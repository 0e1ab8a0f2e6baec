// The diffusion lifter ("diffusion"): a D3DP-style denoiser (Shan et al., ICCV 2023) at a CPU
// size. Training noises the (scaled) root-relative 3D pose of the centre frame to a random
// step t of a cosine schedule and learns to predict the clean pose from the noisy one, t and
// the 2D window; inference starts H hypotheses from Gaussian noise and runs K DDIM steps.
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "training/lifter_models.h"

namespace epilabel {
namespace lifter {
namespace {

// The pose is scaled to about unit variance before noising (root-relative joints spread ~0.3 m).
constexpr double kPoseScale = 3.0;
constexpr int kTimeFeatures = 16;

// A residual MLP block with layer norm.
class DenoiserBlockImpl : public torch::nn::Module {
 public:
  explicit DenoiserBlockImpl(int hidden) {
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({hidden})));
    fc1 = register_module("fc1", torch::nn::Linear(hidden, hidden));
    fc2 = register_module("fc2", torch::nn::Linear(hidden, hidden));
  }
  torch::Tensor forward(const torch::Tensor& x) { return x + fc2(torch::gelu(fc1(norm(x)))); }
  torch::nn::LayerNorm norm{nullptr};
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(DenoiserBlock);

class DiffusionNet : public LifterNetImpl {
 public:
  DiffusionNet(const LifterModelOptions& o, int num_joints) : num_joints_(num_joints), timesteps_(o.diffusion_timesteps) {
    const int h = o.diffusion_hidden;
    alphas_cumprod_ = register_buffer("alphas_cumprod", CosineSchedule(timesteps_));
    condition = register_module("condition", torch::nn::Linear(o.diffusion_window * num_joints * o.InputChannels(), h));
    pose_in = register_module("pose_in", torch::nn::Linear(3 * num_joints, h));
    time_in = register_module("time_in", torch::nn::Linear(2 * kTimeFeatures, h));
    blocks_list = register_module("blocks", torch::nn::ModuleList());
    for (int i = 0; i < o.diffusion_blocks; ++i) {
      blocks.push_back(DenoiserBlock(h));
      blocks_list->push_back(blocks.back());
    }
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({h})));
    pose_out = register_module("pose_out", torch::nn::Linear(h, 3 * num_joints));
  }

  torch::Tensor forward(const torch::Tensor& x) override { return Hypotheses(x, 1, 5, 1).select(0, 0); }

  // A random step per sample; returns the predicted clean pose [b, J, 3], metres.
  torch::Tensor TrainingForward(const torch::Tensor& x, const torch::Tensor& target) override {
    const int64_t b = x.size(0);
    const torch::Tensor t = torch::randint(timesteps_, {b}, torch::kInt64);
    const torch::Tensor noise = torch::randn({b, 3 * num_joints_});
    const torch::Tensor ab = alphas_cumprod_.index_select(0, t).unsqueeze(1);
    const torch::Tensor x_t = ab.sqrt() * (target.reshape({b, -1}) * kPoseScale) + (1.0 - ab).sqrt() * noise;
    return (Denoise(x_t, t, condition(x.reshape({b, -1}))) / kPoseScale).reshape({b, num_joints_, 3});
  }

  // H hypotheses [H, b, J, 3] by K DDIM steps (deterministic, eta = 0) from noise drawn with `seed`.
  torch::Tensor Hypotheses(const torch::Tensor& x, int hypotheses, int steps, uint64_t seed) override {
    const int64_t b = x.size(0), n = hypotheses * b;
    const torch::Tensor cond = condition(x.reshape({b, -1})).repeat({hypotheses, 1});
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
    torch::Tensor x_t = torch::randn({n, 3 * num_joints_}, generator, torch::TensorOptions(torch::kFloat32));
    torch::Tensor x0;
    for (int i = 0; i < steps; ++i) {
      const int64_t t = StepTime(i, steps), t_next = StepTime(i + 1, steps);
      x0 = Denoise(x_t, torch::full({n}, t, torch::kInt64), cond);
      if (i + 1 == steps) break;
      const double ab = alphas_cumprod_[t].item<double>();
      const double ab_next = t_next >= 0 ? alphas_cumprod_[t_next].item<double>() : 1.0;
      const torch::Tensor eps = (x_t - std::sqrt(ab) * x0) / std::sqrt(1.0 - ab);
      x_t = std::sqrt(ab_next) * x0 + std::sqrt(1.0 - ab_next) * eps;
    }
    return (x0 / kPoseScale).reshape({hypotheses, b, num_joints_, 3});
  }

 private:
  // Nichol and Dhariwal's cosine schedule: alpha_bar(t) for t = 0 .. T - 1.
  static torch::Tensor CosineSchedule(int timesteps) {
    torch::Tensor a = torch::empty({timesteps});
    auto f = [&](double t) { return std::pow(std::cos((t / timesteps + 0.008) / 1.008 * M_PI / 2.0), 2.0); };
    for (int t = 0; t < timesteps; ++t) a[t] = std::max(1e-4, f(t + 1) / f(0));
    return a;
  }
  // The step of DDIM iteration i of `steps`: from T - 1 down to 0; -1 after the last.
  int64_t StepTime(int i, int steps) const {
    if (i >= steps) return -1;
    return static_cast<int64_t>(std::lround((timesteps_ - 1) * (1.0 - static_cast<double>(i) / steps)));
  }
  torch::Tensor Denoise(const torch::Tensor& x_t, const torch::Tensor& t, const torch::Tensor& cond) {
    const torch::Tensor freqs = torch::exp(torch::arange(kTimeFeatures, torch::kFloat32) * (-std::log(1000.0) / kTimeFeatures));
    const torch::Tensor angle = t.to(torch::kFloat32).unsqueeze(1) * freqs.unsqueeze(0);
    torch::Tensor h = pose_in(x_t) + cond + time_in(torch::cat({angle.sin(), angle.cos()}, 1));
    for (auto& block : blocks) h = block(h);
    return pose_out(norm(h));
  }

  int num_joints_, timesteps_;
  torch::Tensor alphas_cumprod_;
  torch::nn::Linear condition{nullptr}, pose_in{nullptr}, time_in{nullptr}, pose_out{nullptr};
  torch::nn::ModuleList blocks_list{nullptr};
  std::vector<DenoiserBlock> blocks;
  torch::nn::LayerNorm norm{nullptr};
};

}  // namespace

std::shared_ptr<LifterNetImpl> MakeDiffusion(const LifterModelOptions& o, int num_joints, const Skeleton* /*skeleton*/) {
  return std::make_shared<DiffusionNet>(o, num_joints);
}

}  // namespace lifter
}  // namespace epilabel
