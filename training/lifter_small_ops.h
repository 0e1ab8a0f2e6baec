// Batched kernels for the transformer lifter's many small per-token problems (internal to the
// module epilabel_lifter_torch). libtorch runs a batched product of small matrices as one BLAS
// call per matrix, which on CPU costs far more than the arithmetic (ATLAS: a workspace, a copy
// and a zero fill per call); these compute the same as the straightforward torch expressions
// (up to float rounding) in one pass over the batch. Results do not depend on the thread count.
#pragma once

#include <torch/torch.h>

namespace epilabel {
namespace lifter {

// Multi-head scaled dot-product self-attention over many independent groups of tokens:
// qkv [G, N, 3, H, d] (the query, key and value of every token and head, as a Linear of width
// 3 H d gives them) -> [G, N, H, d] with, per group and head,
// softmax(q k^T / sqrt(d)) v. Float32; differentiable (the backward pass is written out).
torch::Tensor SmallSelfAttention(const torch::Tensor& qkv);

// y = A x over the token axis: a [N, N], x [..., N, c] -> [..., N, c], y[..., i, :] =
// sum_j a[i, j] x[..., j, :] (KPA's and TPA's learnable graphs). Differentiable in a and x; the
// gradient of a is summed in a fixed order (chunks of groups), whatever the thread count.
torch::Tensor MixTokens(const torch::Tensor& a, const torch::Tensor& x);

// The indices [..., T, k] (int64) of each frame's k nearest other frames by squared Euclidean
// distance between the rows of x [..., T, c], the nearest first (ties: the earlier frame); k < T.
torch::Tensor NearestFrames(const torch::Tensor& x, int64_t k);

// The mean of each frame's k nearest other frames in feature space: x [..., T, c] -> [..., T, c],
// the neighbours by squared Euclidean distance between the rows of x, per leading index (a
// temporal k-NN graph per sample and joint); k < T. The selection is not differentiated, the
// mean is.
torch::Tensor NearestFramesMean(const torch::Tensor& x, int64_t k);

}  // namespace lifter
}  // namespace epilabel
