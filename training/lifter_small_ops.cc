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


// Groups per chunk of the gradient of MixTokens' matrix: fixed, so the sum's order is too.
constexpr int64_t kMixChunk = 256;

class MixTokensFunction : public torch::autograd::Function<MixTokensFunction> {
 public:
  // a [N, N], x [G, N, c] contiguous.
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& a_in,
                               const torch::Tensor& x_in) {
    const torch::Tensor a = a_in.contiguous(), x = x_in.contiguous();
    const int64_t g = x.size(0), n = x.size(1), c = x.size(2);
    torch::Tensor y = torch::zeros_like(x);
    const float* pa = a.data_ptr<float>();
    const float* px = x.data_ptr<float>();
    float* py = y.data_ptr<float>();
    at::parallel_for(0, g, kGrain, [&](int64_t begin, int64_t end) {
      for (int64_t b = begin; b < end; ++b)
        for (int64_t i = 0; i < n; ++i) {
          float* yi = py + (b * n + i) * c;
          for (int64_t j = 0; j < n; ++j) {
            const float aij = pa[i * n + j];
            const float* xj = px + (b * n + j) * c;
            for (int64_t e = 0; e < c; ++e) yi[e] += aij * xj[e];
          }
        }
    });
    ctx->save_for_backward({a, x});
    return y;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &a = saved[0], &x = saved[1];
    const torch::Tensor gy = grad_outputs[0].contiguous();
    const int64_t g = x.size(0), n = x.size(1), c = x.size(2);
    const int64_t chunks = (g + kMixChunk - 1) / kMixChunk;
    torch::Tensor gx = torch::zeros_like(x);
    torch::Tensor partial = torch::zeros({chunks, n, n}, a.options());
    const float* pa = a.data_ptr<float>();
    const float* px = x.data_ptr<float>();
    const float* pg = gy.data_ptr<float>();
    float* pgx = gx.data_ptr<float>();
    float* pp = partial.data_ptr<float>();
    // gx[j] = sum_i a[i, j] gy[i]; ga[i, j] = sum over groups and channels of gy[i] x[j].
    at::parallel_for(0, chunks, 1, [&](int64_t chunk_begin, int64_t chunk_end) {
      for (int64_t chunk = chunk_begin; chunk < chunk_end; ++chunk) {
        float* ga = pp + chunk * n * n;
        for (int64_t b = chunk * kMixChunk; b < std::min(g, (chunk + 1) * kMixChunk); ++b)
          for (int64_t i = 0; i < n; ++i) {
            const float* gi = pg + (b * n + i) * c;
            for (int64_t j = 0; j < n; ++j) {
              const float aij = pa[i * n + j];
              const float* xj = px + (b * n + j) * c;
              float* gxj = pgx + (b * n + j) * c;
              float dot = 0.0f;
              for (int64_t e = 0; e < c; ++e) {
                gxj[e] += aij * gi[e];
                dot += gi[e] * xj[e];
              }
              ga[i * n + j] += dot;
            }
          }
      }
    });
    return {partial.sum(0), gx};
  }
};

}  // namespace

torch::Tensor SmallSelfAttention(const torch::Tensor& qkv) {
  TORCH_CHECK(qkv.dim() == 5 && qkv.size(2) == 3 && qkv.scalar_type() == torch::kFloat32,
              "SmallSelfAttention: qkv [G, N, 3, H, d] float32");
  return SmallSelfAttentionFunction::apply(qkv);
}

torch::Tensor MixTokens(const torch::Tensor& a, const torch::Tensor& x) {
  TORCH_CHECK(a.dim() == 2 && x.dim() >= 2 && a.size(0) == x.size(-2) && a.size(1) == x.size(-2) &&
                  x.scalar_type() == torch::kFloat32 && a.scalar_type() == torch::kFloat32,
              "MixTokens: a [N, N], x [..., N, c] float32");
  const torch::Tensor y = MixTokensFunction::apply(a, x.reshape({-1, x.size(-2), x.size(-1)}));
  return y.view(x.sizes());
}

torch::Tensor NearestFrames(const torch::Tensor& x_in, int64_t k) {
  torch::NoGradGuard no_grad;
  const torch::Tensor x = x_in.detach().contiguous().to(torch::kFloat32);
  const int64_t t = x.size(-2), c = x.size(-1), g = x.numel() / std::max<int64_t>(1, t * c);
  TORCH_CHECK(k >= 1 && k < t, "NearestFrames: 1 <= k < T");
  std::vector<int64_t> shape = x.sizes().vec();
  shape.back() = k;
  torch::Tensor nearest = torch::empty(shape, x.options().dtype(torch::kInt64));
  const float* px = x.data_ptr<float>();
  int64_t* out = nearest.data_ptr<int64_t>();
  at::parallel_for(0, g, kGrain, [&](int64_t begin, int64_t end) {
    std::vector<float> best(k);
    for (int64_t b = begin; b < end; ++b)
      for (int64_t i = 0; i < t; ++i) {
        int64_t* idx = out + (b * t + i) * k;
        int64_t found = 0;
        for (int64_t j = 0; j < t; ++j) {
          if (j == i) continue;
          float d = 0.0f;
          for (int64_t e = 0; e < c; ++e) {
            const float diff = px[(b * t + i) * c + e] - px[(b * t + j) * c + e];
            d += diff * diff;
          }
          // Insert into the sorted list of the k nearest (strictly nearer moves ahead).
          int64_t at = found < k ? found++ : k;
          while (at > 0 && d < best[at - 1]) {
            if (at < k) best[at] = best[at - 1], idx[at] = idx[at - 1];
            --at;
          }
          if (at < k) best[at] = d, idx[at] = j;
        }
      }
  });
  return nearest;
}

torch::Tensor NearestFramesMean(const torch::Tensor& x, int64_t k) {
  const int64_t t = x.size(-2), c = x.size(-1);
  const torch::Tensor nearest = NearestFrames(x, k);  // a selection, not differentiated
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
