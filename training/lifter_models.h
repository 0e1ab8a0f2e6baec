// The lifter models (libtorch; internal to the module epilabel_lifter_torch, see
// training/lifter.h for what each model is). Input [batch, window, joints, C] of normalised 2D
// (training/data.h), C = 2, or 4 with the perspective encoding's rays (LifterModelOptions::
// InputChannels); output [batch, joints, 3]: the root-relative 3D pose of the centre frame
// in the camera frame, metres. Module and parameter names follow the PyTorch models they
// mirror, so the exported state_dict loads there.
#pragma once

#include <torch/nn.h>

#include <memory>

#include <Eigen/Core>

#include "training/lifter.h"

namespace epilabel {

struct Skeleton;

namespace lifter {

class LifterNetImpl : public torch::nn::Module {
 public:
  // The prediction at inference (eval mode).
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
  // The prediction the training loss compares with `target` [b, J, 3]: forward(x) for the
  // regression models; the diffusion model denoises a noised target.
  virtual torch::Tensor TrainingForward(const torch::Tensor& x, const torch::Tensor& /*target*/) { return forward(x); }
  // Every frame's prediction [b, T, J, 3] (the unpruned transformer's sequence-to-sequence
  // output); undefined for the models that predict the centre frame only.
  virtual torch::Tensor ForwardAllFrames(const torch::Tensor& /*x*/) { return {}; }
  // H hypotheses [H, b, J, 3] from K sampling steps with noise drawn from `seed` (the diffusion
  // model); the regression models return their one prediction.
  virtual torch::Tensor Hypotheses(const torch::Tensor& x, int /*hypotheses*/, int /*steps*/, uint64_t /*seed*/) {
    return forward(x).unsqueeze(0);
  }
  // The per-joint log sigma [b, J] (log metres) of a model with an uncertainty head, from the
  // input and its prediction `pred` [b, J, 3] (detached inside); undefined without a head.
  virtual torch::Tensor LogSigma(const torch::Tensor& /*x*/, const torch::Tensor& /*pred*/) { return {}; }
};

// y_i = m_i * (a_ii x_i W_self + sum_{k != i} a_ik x_k W_neighbour + mean_k(x_k) W_global) + b:
// the normalised bone adjacency a mixes neighbours, the mean over all joints adds global
// context, and a learnt per-joint modulation m_i (Modulated GCN, Zou and Tang, ICCV 2021) lets
// the shared weights act differently on each joint.
class GraphConvImpl : public torch::nn::Module {
 public:
  GraphConvImpl(int num_joints, int in, int out);
  // x [..., J, in]; self_coeff [J] and neighbours [J, J] split the normalised adjacency.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& self_coeff, const torch::Tensor& neighbours);
  torch::Tensor self_weight, neighbour_weight, global_weight, modulation, bias;

 private:
  int out_;
};
TORCH_MODULE(GraphConv);

// Batch norm over the feature channel of [b, J, F].
torch::Tensor JointBatchNorm(torch::nn::BatchNorm1d& bn, const torch::Tensor& x);

// The normalised adjacency D^-1/2 (A + I) D^-1/2 of the skeleton's bones as a float tensor
// [J, J]; identity when no skeleton is known.
torch::Tensor SkeletonAdjacency(int num_joints, const Skeleton* skeleton);

// The model of `o.type` for `num_joints` joints; `skeleton` (may be null) gives the graphs. With
// o.uncertainty_head the model is wrapped: its parameters become "backbone.*", the head's
// "sigma_head.*" (a two-layer MLP from the centre frame's 2D and the prediction to log sigma).
std::shared_ptr<LifterNetImpl> MakeModel(const LifterModelOptions& o, int num_joints, const Skeleton* skeleton);
// The models of their own files.
std::shared_ptr<LifterNetImpl> MakeTransformer(const LifterModelOptions& o, int num_joints, const Skeleton* skeleton);
std::shared_ptr<LifterNetImpl> MakeDiffusion(const LifterModelOptions& o, int num_joints, const Skeleton* skeleton);

int64_t NumParameters(const torch::nn::Module& model);

}  // namespace lifter
}  // namespace epilabel
