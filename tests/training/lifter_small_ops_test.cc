// The transformer's batched kernels equal the straightforward torch expressions they replace.
#include <gtest/gtest.h>

#include <cmath>

#include "training/lifter_small_ops.h"

namespace epilabel {
namespace lifter {
namespace {

// softmax(q k^T / sqrt(d)) v with torch's batched matrix products, qkv [G, N, 3, H, d] -> [G, N, H, d].
torch::Tensor ReferenceAttention(const torch::Tensor& qkv) {
  const torch::Tensor t = qkv.permute({2, 0, 3, 1, 4});  // [3, G, H, N, d]
  const torch::Tensor scores = torch::softmax(t[0].matmul(t[1].transpose(-2, -1)) / std::sqrt(double(qkv.size(4))), -1);
  return scores.matmul(t[2]).permute({0, 2, 1, 3});
}

// The temporal k-NN graph as a dense adjacency with 1/k at the k nearest other frames.
torch::Tensor ReferenceNearestMean(const torch::Tensor& x, int64_t k) {
  torch::Tensor adjacency;
  {
    torch::NoGradGuard no_grad;
    const int64_t t = x.size(-2);
    const torch::Tensor sq = x.pow(2).sum(-1, true);
    torch::Tensor dist = sq + sq.transpose(-2, -1) - 2.0 * x.matmul(x.transpose(-2, -1));
    dist = dist + torch::eye(t, x.options()) * 1e9;
    const torch::Tensor nearest = std::get<1>(dist.topk(k, -1, /*largest=*/false));
    adjacency = torch::zeros_like(dist).scatter_(-1, nearest, 1.0 / static_cast<double>(k));
  }
  return adjacency.matmul(x);
}

double MaxAbs(const torch::Tensor& a) { return a.abs().max().item<double>(); }

TEST(SmallSelfAttention, EqualsBatchedMatrixProductsForwardAndBackward) {
  torch::manual_seed(3);
  for (const auto& shape : {std::vector<int64_t>{5, 7, 3, 2, 4}, std::vector<int64_t>{3, 17, 3, 1, 8}}) {
    const torch::Tensor x = torch::randn(shape);
    const torch::Tensor a = x.clone().requires_grad_(), b = x.clone().requires_grad_();
    const torch::Tensor expected = ReferenceAttention(a), got = SmallSelfAttention(b);
    ASSERT_EQ(got.sizes(), expected.sizes());
    EXPECT_LT(MaxAbs(got - expected), 1e-5);
    const torch::Tensor weights = torch::randn(expected.sizes());
    (expected * weights).sum().backward();
    (got * weights).sum().backward();
    EXPECT_GT(MaxAbs(a.grad()), 0.1);  // the gradient is not trivially zero
    EXPECT_LT(MaxAbs(b.grad() - a.grad()), 1e-5);
  }
}

// A token attending over identical keys averages the values: an exact case.
TEST(SmallSelfAttention, EqualKeysAverageTheValues) {
  torch::Tensor qkv = torch::zeros({1, 3, 3, 1, 2});
  qkv.select(2, 0).fill_(1.0);  // queries; keys stay zero
  qkv.select(2, 2).select(3, 0).select(2, 0).copy_(torch::tensor({1.0f, 2.0f, 6.0f}));  // values, channel 0
  const torch::Tensor y = SmallSelfAttention(qkv);
  for (int i = 0; i < 3; ++i) {
    EXPECT_FLOAT_EQ(y[0][i][0][0].item<float>(), 3.0f);
    EXPECT_FLOAT_EQ(y[0][i][0][1].item<float>(), 0.0f);
  }
}

TEST(SmallSelfAttention, DoesNotDependOnTheThreadCount) {
  torch::manual_seed(4);
  const torch::Tensor x = torch::randn({300, 9, 3, 2, 8});
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  const torch::Tensor one = SmallSelfAttention(x);
  at::set_num_threads(2);
  const torch::Tensor two = SmallSelfAttention(x);
  at::set_num_threads(threads);
  EXPECT_TRUE(torch::equal(one, two));
}

TEST(MixTokens, EqualsTheMatrixProductForwardAndBackward) {
  torch::manual_seed(6);
  const torch::Tensor a0 = torch::randn({5, 5}), x0 = torch::randn({3, 300, 5, 4});
  const torch::Tensor a = a0.clone().requires_grad_(), x = x0.clone().requires_grad_();
  const torch::Tensor b = a0.clone().requires_grad_(), y = x0.clone().requires_grad_();
  const torch::Tensor expected = a.matmul(x), got = MixTokens(b, y);
  ASSERT_EQ(got.sizes(), expected.sizes());
  EXPECT_LT(MaxAbs(got - expected), 1e-5);
  const torch::Tensor weights = torch::randn(expected.sizes());
  (expected * weights).sum().backward();
  (got * weights).sum().backward();
  EXPECT_LT(MaxAbs(y.grad() - x.grad()), 1e-5);
  EXPECT_LT(MaxAbs(b.grad() - a.grad()) / MaxAbs(a.grad()), 1e-5);
}

// The matrix's gradient sums over all groups: in the same order for one and two threads.
TEST(MixTokens, GradientDoesNotDependOnTheThreadCount) {
  torch::manual_seed(7);
  const torch::Tensor a0 = torch::randn({9, 9}), x = torch::randn({2000, 9, 16});
  const int threads = at::get_num_threads();
  std::vector<torch::Tensor> grads;
  for (int n : {1, 2}) {
    at::set_num_threads(n);
    const torch::Tensor a = a0.clone().requires_grad_();
    MixTokens(a, x).pow(2).sum().backward();
    grads.push_back(a.grad());
  }
  at::set_num_threads(threads);
  EXPECT_TRUE(torch::equal(grads[0], grads[1]));
}

TEST(NearestFrames, EqualsTopkOfTheDenseDistances) {
  torch::manual_seed(8);
  const torch::Tensor x = torch::randn({4, 6, 9, 16});
  torch::Tensor dist = (x.unsqueeze(-2) - x.unsqueeze(-3)).pow(2).sum(-1);
  dist = dist + torch::eye(9) * 1e9;
  for (int64_t k : {1, 2, 4}) {
    const torch::Tensor expected = std::get<1>(dist.topk(k, -1, /*largest=*/false, /*sorted=*/true));
    EXPECT_TRUE(torch::equal(NearestFrames(x, k), expected)) << "k = " << k;
  }
}

TEST(NearestFramesMean, EqualsTheDenseKnnGraphForwardAndBackward) {
  torch::manual_seed(5);
  for (int64_t k : {1, 2, 3}) {
    const torch::Tensor x = torch::randn({2, 3, 9, 4});
    const torch::Tensor a = x.clone().requires_grad_(), b = x.clone().requires_grad_();
    const torch::Tensor expected = ReferenceNearestMean(a, k), got = NearestFramesMean(b, k);
    ASSERT_EQ(got.sizes(), expected.sizes());
    EXPECT_LT(MaxAbs(got - expected), 1e-5) << "k = " << k;
    const torch::Tensor weights = torch::randn(expected.sizes());
    (expected * weights).sum().backward();
    (got * weights).sum().backward();
    EXPECT_LT(MaxAbs(b.grad() - a.grad()), 1e-5) << "k = " << k;
  }
}

// Frames on a line at 0, 1, 3, 7: the nearest other frames are known.
TEST(NearestFramesMean, AveragesTheNearestOtherFrames) {
  const torch::Tensor x = torch::tensor({0.0f, 1.0f, 3.0f, 7.0f}).view({1, 4, 1});
  EXPECT_TRUE(torch::equal(NearestFramesMean(x, 1), torch::tensor({1.0f, 0.0f, 1.0f, 3.0f}).view({1, 4, 1})));
  // k = 2: 0 -> (1, 3), 1 -> (0, 3), 3 -> (1, 0), 7 -> (3, 1).
  EXPECT_TRUE(torch::equal(NearestFramesMean(x, 2), torch::tensor({2.0f, 1.5f, 0.5f, 2.0f}).view({1, 4, 1})));
}

}  // namespace
}  // namespace lifter
}  // namespace epilabel
