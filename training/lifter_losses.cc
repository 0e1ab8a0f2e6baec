#include "training/lifter_losses.h"

#include <vector>

#include "detection/skeleton.h"

namespace epilabel {
namespace lifter {

torch::Tensor JointDistances(const torch::Tensor& a, const torch::Tensor& b) {
  // The small epsilon keeps the gradient finite at zero distance.
  return (a - b).pow(2).sum(-1).add(1e-12).sqrt();
}

torch::Tensor WeightedMpjpe(const torch::Tensor& pred, const torch::Tensor& target, const torch::Tensor& weight) {
  return (JointDistances(pred, target) * weight).sum() / weight.sum().clamp_min(1e-6);
}

// Each prediction scaled by its least-squares factor onto the target (Rhodin et al. 2018).
torch::Tensor WeightedNMpjpe(const torch::Tensor& pred, const torch::Tensor& target, const torch::Tensor& weight) {
  const torch::Tensor w = weight.unsqueeze(-1);
  const torch::Tensor dot = (w * pred * target).sum({1, 2}, /*keepdim=*/true);
  const torch::Tensor norm2 = (w * pred * pred).sum({1, 2}, /*keepdim=*/true).clamp_min(1e-9);
  return WeightedMpjpe(pred * (dot / norm2), target, weight);
}

torch::Tensor WeightedLaplaceNll(const torch::Tensor& pred, const torch::Tensor& target, const torch::Tensor& log_sigma,
                                 const torch::Tensor& weight) {
  const torch::Tensor nll = JointDistances(pred, target) * torch::exp(-log_sigma) + log_sigma;
  return (nll * weight).sum() / weight.sum().clamp_min(1e-6);
}

torch::Tensor Reconstruction2dError(const torch::Tensor& pred, const torch::Tensor& uv, const torch::Tensor& mask) {
  const torch::Tensor m = mask.unsqueeze(-1);
  const torch::Tensor count = m.sum(1, /*keepdim=*/true).clamp_min(1.0);
  const torch::Tensor p = pred.narrow(-1, 0, 2);
  const torch::Tensor pc = p - (m * p).sum(1, /*keepdim=*/true) / count;
  const torch::Tensor tc = uv - (m * uv).sum(1, /*keepdim=*/true) / count;
  const torch::Tensor scale = (m * pc * tc).sum({1, 2}, /*keepdim=*/true) /
                              (m * pc * pc).sum({1, 2}, /*keepdim=*/true).clamp_min(1e-9);
  const torch::Tensor error = (scale * pc - tc).pow(2).sum(-1).add(1e-12).sqrt();
  return (error * mask).sum() / mask.sum().clamp_min(1e-6);
}

BonePairs MirrorBonePairs(const Skeleton* skeleton) {
  BonePairs pairs;
  if (skeleton == nullptr) return pairs;
  const std::vector<joint_t> perm = skeleton->FlipPermutation();
  std::vector<int64_t> a, b, ma, mb;
  const auto& bones = skeleton->bones;
  for (size_t i = 0; i < bones.size(); ++i) {
    const joint_t p = perm[bones[i].parent], c = perm[bones[i].child];
    for (size_t k = i + 1; k < bones.size(); ++k) {
      const bool same = (bones[k].parent == p && bones[k].child == c) || (bones[k].parent == c && bones[k].child == p);
      if (same) {
        a.push_back(bones[i].parent);
        b.push_back(bones[i].child);
        ma.push_back(bones[k].parent);
        mb.push_back(bones[k].child);
      }
    }
  }
  auto tensor = [](const std::vector<int64_t>& v) { return torch::tensor(v, torch::kInt64); };
  if (!a.empty()) {
    pairs.a = tensor(a);
    pairs.b = tensor(b);
    pairs.mirror_a = tensor(ma);
    pairs.mirror_b = tensor(mb);
  }
  return pairs;
}

torch::Tensor BoneSymmetryLoss(const torch::Tensor& pred, const BonePairs& pairs) {
  const torch::Tensor left = JointDistances(pred.index_select(1, pairs.a), pred.index_select(1, pairs.b));
  const torch::Tensor right = JointDistances(pred.index_select(1, pairs.mirror_a), pred.index_select(1, pairs.mirror_b));
  return (left - right).abs().mean();
}

}  // namespace lifter
}  // namespace epilabel
