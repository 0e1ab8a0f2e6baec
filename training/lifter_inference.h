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
// The model's input [size, window, J, C]: InputTensor, with `perspective_encoding` followed by
// the rays of PerspectiveEncoding (C = 4, a new tensor), else C = 2 (the view).
torch::Tensor ModelInput(Batch& batch, bool perspective_encoding);

// How a model is run on a dataset (beyond InferenceOptions).
struct PredictSetup {
  int window = 1;                          // frames per input window
  bool perspective = false;                // PersPose normalisation (the model was trained with it)
  std::vector<joint_t> root_joints;        // the skeleton's root joints (perspective)
  std::vector<joint_t> flip_permutation;   // for the test-time flip; empty = no flip
  bool perspective_encoding = false;       // rays beside the 2D (the model was trained with them)
};

// Root-relative predictions [N * J] for the given samples, camera frame (no augmentation;
// optional test-time flip, which mirrors the diffusion model's first hypothesis only). The
// diffusion model's H hypotheses are aggregated by JPMA (the samples' K and root_cam; a root
// fitted to the 2D where root_cam is not finite) or averaged; with options.refine the pose is
// refined against its 2D (RefineByReprojection, same root). `uncertainty` (when given)
// receives the per-joint uncertainty [N * J], metres: the sigma of a model with an uncertainty
// head, else the hypotheses' spread.
std::vector<Eigen::Vector3d> Predict(LifterNetImpl& model, const LifterData& data, const std::vector<int>& samples,
                                     const PredictSetup& setup, const InferenceOptions& options,
                                     std::vector<double>* uncertainty);

// Sets libtorch's intra-op threads (at::set_num_threads) and, when the process's BLAS is
// OpenBLAS (Debian's libblas.so.3 alternative), pins OpenBLAS's own thread pool to one thread:
// libtorch calls the BLAS from its own threads, and OpenBLAS would otherwise start as many
// threads as the machine has cores, whatever `num_threads` says (results then depending on the
// machine, and more busy threads than asked for). The pin is process-wide and stays after the
// call. OpenBLAS's OpenMP build ignores it and follows libtorch's OpenMP thread count (also a
// function of `num_threads` alone). With ATLAS or the reference BLAS, which have no thread
// pool, only libtorch's threads are set. docs/training.md, "OpenBLAS on a machine, checked".
void SetComputeThreads(int num_threads);

// The skeleton's flip permutation; empty without a skeleton.
std::vector<joint_t> FlipPermutationOf(const Skeleton* skeleton);

// Throws InputError(where, ...) when the dataset's joints differ from the run's.
void CheckJoints(const std::vector<std::string>& run_joints, const LabelDataset& dataset, const std::string& where);

// [N * J] -> Points3d with one frame per sample.
Points3d ToPoints(const std::vector<Eigen::Vector3d>& flat, int num_joints);
std::vector<int> AllSamples(int n);

// MPJPE (mm, root-relative, masked) of the model on `val`; NaN without samples.
double ValidationMpjpeMm(LifterNetImpl& model, const LifterData& val, const PredictSetup& setup);

}  // namespace lifter
}  // namespace epilabel
