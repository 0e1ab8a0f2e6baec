// See training/lifter_small_ops.h.
#include "training/lifter_small_ops.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace epilabel {
namespace lifter {
namespace {

// The layout of qkv [G, N, 3, H, d]: a token's row holds q, k, v of every head.
struct AttentionShape {
  explicit AttentionShape(const torch::Tensor& qkv)
      : groups(qkv.size(0)), tokens(qkv.size(1)), heads(qkv.size(3)), dim(qkv.size(4)), row(3 * heads * dim),
        scale(1.0f / std::sqrt(static_cast<float>(dim))) {}
  int64_t groups, tokens, heads, dim, row;
  float scale;
};

// One group and head: p = softmax(q k^T * scale) into p [N, N], y = p v into y (token stride
// y_row). q, k, v point at the head's first channel of token 0 (token stride s.row).
void AttendForward(const AttentionShape& s, const float* q, const float* k, const float* v, float* p, float* y,
                   int64_t y_row) {
  const int64_t n = s.tokens, d = s.dim;
  for (int64_t i = 0; i < n; ++i) {
    float* pi = p + i * n;
    float largest = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < n; ++j) {
      float dot = 0.0f;
      for (int64_t c = 0; c < d; ++c) dot += q[i * s.row + c] * k[j * s.row + c];
      pi[j] = dot * s.scale;
      largest = std::max(largest, pi[j]);
    }
    float sum = 0.0f;
    for (int64_t j = 0; j < n; ++j) sum += (pi[j] = std::exp(pi[j] - largest));
    const float inverse = 1.0f / sum;
    float* yi = y + i * y_row;
    std::fill(yi, yi + d, 0.0f);
    for (int64_t j = 0; j < n; ++j) {
      pi[j] *= inverse;
      for (int64_t c = 0; c < d; ++c) yi[c] += pi[j] * v[j * s.row + c];
    }
  }
}

// The gradients of one group and head, accumulated into gq, gk, gv (zeroed by the caller):
// dv = p^T g, dp = g v^T, ds = p (dp - rowsum(p dp)) * scale, dq = ds k, dk = ds^T q. ds [N, N]
// is scratch.
void AttendBackward(const AttentionShape& s, const float* q, const float* k, const float* v, const float* p,
                    const float* g, int64_t g_row, float* gq, float* gk, float* gv, float* ds) {
  const int64_t n = s.tokens, d = s.dim;
  for (int64_t i = 0; i < n; ++i) {
    const float* gi = g + i * g_row;
    const float* pi = p + i * n;
    float weighted = 0.0f;
    for (int64_t j = 0; j < n; ++j) {
      float dp = 0.0f;
      for (int64_t c = 0; c < d; ++c) {
        dp += gi[c] * v[j * s.row + c];
        gv[j * s.row + c] += pi[j] * gi[c];
      }
      ds[i * n + j] = dp;
      weighted += dp * pi[j];
    }
    for (int64_t j = 0; j < n; ++j) ds[i * n + j] = pi[j] * (ds[i * n + j] - weighted) * s.scale;
  }
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      const float dij = ds[i * n + j];
      for (int64_t c = 0; c < d; ++c) {
        gq[i * s.row + c] += dij * k[j * s.row + c];
        gk[j * s.row + c] += dij * q[i * s.row + c];
      }
    }
}

// Groups per parallel task: each group writes only its own outputs, so any split gives the
// same result.
constexpr int64_t kGrain = 64;

class SmallSelfAttentionFunction : public torch::autograd::Function<SmallSelfAttentionFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& qkv_in) {
    const torch::Tensor qkv = qkv_in.contiguous();
    const AttentionShape s(qkv);
    torch::Tensor y = torch::empty({s.groups, s.tokens, s.heads, s.dim}, qkv.options());
    torch::Tensor p = torch::empty({s.groups, s.heads, s.tokens, s.tokens}, qkv.options());
    const float* x = qkv.data_ptr<float>();
    float* py = y.data_ptr<float>();
    float* pp = p.data_ptr<float>();
    at::parallel_for(0, s.groups, kGrain, [&](int64_t begin, int64_t end) {
      for (int64_t b = begin; b < end; ++b)
        for (int64_t e = 0; e < s.heads; ++e) {
          const float* q = x + b * s.tokens * s.row + e * s.dim;
          AttendForward(s, q, q + s.heads * s.dim, q + 2 * s.heads * s.dim, pp + (b * s.heads + e) * s.tokens * s.tokens,
                        py + (b * s.tokens * s.heads + e) * s.dim, s.heads * s.dim);
        }
    });
    ctx->save_for_backward({qkv, p});
    return y;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& qkv = saved[0];
    const torch::Tensor& p = saved[1];
    const torch::Tensor g = grad_outputs[0].contiguous();
    const AttentionShape s(qkv);
    torch::Tensor grad = torch::zeros_like(qkv);
    const float* x = qkv.data_ptr<float>();
    const float* pp = p.data_ptr<float>();
    const float* pg = g.data_ptr<float>();
    float* gx = grad.data_ptr<float>();
    at::parallel_for(0, s.groups, kGrain, [&](int64_t begin, int64_t end) {
      std::vector<float> ds(s.tokens * s.tokens);
      for (int64_t b = begin; b < end; ++b)
        for (int64_t e = 0; e < s.heads; ++e) {
          const int64_t offset = b * s.tokens * s.row + e * s.dim, hd = s.heads * s.dim;
          const float* q = x + offset;
          float* gq = gx + offset;
          AttendBackward(s, q, q + hd, q + 2 * hd, pp + (b * s.heads + e) * s.tokens * s.tokens,
                         pg + (b * s.tokens * s.heads + e) * s.dim, hd, gq, gq + hd, gq + 2 * hd, ds.data());
        }
    });
    return {grad};
  }
};

}  // namespace

torch::Tensor SmallSelfAttention(const torch::Tensor& qkv) {
  TORCH_CHECK(qkv.dim() == 5 && qkv.size(2) == 3 && qkv.scalar_type() == torch::kFloat32,
              "SmallSelfAttention: qkv [G, N, 3, H, d] float32");
  return SmallSelfAttentionFunction::apply(qkv);
}

torch::Tensor NearestFramesMean(const torch::Tensor& x, int64_t k) {
  const int64_t t = x.size(-2), c = x.size(-1);
  torch::Tensor nearest;
  {
    torch::NoGradGuard no_grad;  // the graph is a selection, not differentiated
    torch::Tensor dist = (x.unsqueeze(-2) - x.unsqueeze(-3)).pow(2).sum(-1);  // [..., T, T]
    dist.diagonal(0, -2, -1).fill_(std::numeric_limits<float>::infinity());  // no self-loop
    nearest = std::get<1>(dist.topk(k, -1, /*largest=*/false));  // [..., T, k]
  }
  std::vector<int64_t> index_shape = x.sizes().vec();
  index_shape[index_shape.size() - 2] = t * k;
  const torch::Tensor index = nearest.flatten(-2).unsqueeze(-1).expand(index_shape);
  std::vector<int64_t> grouped = x.sizes().vec();
  grouped.back() = k;
  grouped.push_back(c);
  return x.gather(-2, index).view(grouped).sum(-2) * (1.0 / static_cast<double>(k));
}

}  // namespace lifter
}  // namespace epilabel
