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
