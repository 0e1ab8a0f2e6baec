// Inference with a lifter model (libtorch; internal to the module): batched predictions with
// the optional test-time flip, and the validation MPJPE of the training loop.
#pragma once

#include <string>
#include <vector>

#include <Eigen/Core>

#include "training/data.h"
#include "training/lifter.h"
#include "training/lifter_models.h"

namespace epilabel {
namespace lifter {

// The batch's normalised 2D as a tensor [size, window, J, 2] viewing batch.input (no copy).
torch::Tensor InputTensor(Batch& batch);

// Root-relative predictions [N * J] for the given samples (no augmentation; optional
// test-time flip with `flip_permutation`, which mirrors the diffusion model's first hypothesis
// only). The diffusion model's H hypotheses are aggregated by JPMA (the samples' K and
// root_cam; a root fitted to the 2D where root_cam is not finite) or averaged; `spread` (when
// given) receives their per-joint spread [N * J], metres.
std::vector<Eigen::Vector3d> Predict(LifterNetImpl& model, const LifterData& data, const std::vector<int>& samples,
                                     int window, const InferenceOptions& options,
                                     const std::vector<joint_t>& flip_permutation, std::vector<double>* spread);

// The skeleton's flip permutation; empty without a skeleton.
std::vector<joint_t> FlipPermutationOf(const Skeleton* skeleton);

// Throws InputError(where, ...) when the dataset's joints differ from the run's.
void CheckJoints(const std::vector<std::string>& run_joints, const LabelDataset& dataset, const std::string& where);

// [N * J] -> Points3d with one frame per sample.
Points3d ToPoints(const std::vector<Eigen::Vector3d>& flat, int num_joints);
std::vector<int> AllSamples(int n);

// MPJPE (mm, root-relative, masked) of the model on `val`; NaN without samples.
double ValidationMpjpeMm(LifterNetImpl& model, const LifterData& val, int window, const std::vector<joint_t>& root);

}  // namespace lifter
}  // namespace epilabel
