// The training losses of the lifters (libtorch; internal to the module). pred, target
// [b, J, 3] in metres; weight [b, J] (0 where a joint has no label). See docs/training.md.
#pragma once

#include <torch/types.h>

namespace epilabel {

struct Skeleton;

namespace lifter {

// |a - b| per joint, [b, J]; finite gradient at zero distance.
torch::Tensor JointDistances(const torch::Tensor& a, const torch::Tensor& b);

// sum w |p - g| / sum w.
torch::Tensor WeightedMpjpe(const torch::Tensor& pred, const torch::Tensor& target, const torch::Tensor& weight);

// Each prediction scaled by its least-squares factor onto the target (Rhodin et al. 2018).
torch::Tensor WeightedNMpjpe(const torch::Tensor& pred, const torch::Tensor& target, const torch::Tensor& weight);

// The Laplace negative log-likelihood of the joint distances e with per-joint scale
// sigma = exp(log_sigma) [b, J]: sum w (e / sigma + log sigma) / sum w (UAO's uncertainty loss;
// its minimum over sigma is at sigma = e, so sigma learns the expected joint error).
torch::Tensor WeightedLaplaceNll(const torch::Tensor& pred, const torch::Tensor& target, const torch::Tensor& log_sigma,
                                 const torch::Tensor& weight);

// MPM's 2D reconstruction error: the prediction's x, y [b, J] and the 2D `uv` [b, J, 2] (normalised
// image units), both centred on the mean of the joints with mask > 0, the prediction scaled by
// its least-squares factor; sum mask |s p - uv| / sum mask.
torch::Tensor Reconstruction2dError(const torch::Tensor& pred, const torch::Tensor& uv, const torch::Tensor& mask);

// Pairs of mirror-image bones (left/right) as index tensors.
struct BonePairs {
  torch::Tensor a, b, mirror_a, mirror_b;  // int64 [P]
  bool empty() const { return !a.defined() || a.numel() == 0; }
};
BonePairs MirrorBonePairs(const Skeleton* skeleton);

// mean |len(left bone) - len(right bone)| over the pairs.
torch::Tensor BoneSymmetryLoss(const torch::Tensor& pred, const BonePairs& pairs);

}  // namespace lifter
}  // namespace epilabel
