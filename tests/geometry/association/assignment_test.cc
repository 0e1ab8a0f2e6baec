#include "geometry/association/assignment.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include <gtest/gtest.h>

namespace epilabel {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Exhaustive minimum over all injective assignments of rows (rows <= cols), allowed pairs first.
std::pair<int, double> BruteForce(const Eigen::MatrixXd& cost) {
  std::vector<int> cols(cost.cols());
  std::iota(cols.begin(), cols.end(), 0);
  std::pair<int, double> best{-1, kInf};
  do {
    int allowed = 0;
    double sum = 0.0;
    for (int i = 0; i < cost.rows(); ++i)
      if (std::isfinite(cost(i, cols[i]))) {
        ++allowed;
        sum += cost(i, cols[i]);
      }
    if (allowed > best.first || (allowed == best.first && sum < best.second)) best = {allowed, sum};
  } while (std::next_permutation(cols.begin(), cols.end()));
  return best;
}

TEST(SolveAssignment, MatchesBruteForceOnRandomMatrices) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(0.0, 10.0);
  for (int trial = 0; trial < 200; ++trial) {
    const int rows = 1 + trial % 5, cols = rows + (trial / 5) % 3;
    Eigen::MatrixXd cost(rows, cols);
    for (int i = 0; i < rows; ++i)
      for (int j = 0; j < cols; ++j) cost(i, j) = u(rng) < 2.0 ? kInf : u(rng);
    const std::vector<int> match = SolveAssignment(cost);
    int allowed = 0;
    double sum = 0.0;
    std::vector<int> used;
    for (int i = 0; i < rows; ++i) {
      if (match[i] < 0) continue;
      ASSERT_TRUE(std::isfinite(cost(i, match[i])));
      used.push_back(match[i]);
      ++allowed;
      sum += cost(i, match[i]);
    }
    std::sort(used.begin(), used.end());
    EXPECT_EQ(std::unique(used.begin(), used.end()), used.end());
    const auto best = BruteForce(cost);
    EXPECT_EQ(allowed, best.first) << "trial " << trial;
    EXPECT_NEAR(sum, best.second, 1e-9) << "trial " << trial;
  }
}

TEST(SolveAssignment, HandlesMoreRowsThanColumnsAndEmptyInput) {
  Eigen::MatrixXd cost(3, 2);
  cost << 5, 1, 1, 5, 3, 3;
  const std::vector<int> match = SolveAssignment(cost);
  EXPECT_EQ(match, (std::vector<int>{1, 0, -1}));
  EXPECT_TRUE(SolveAssignment(Eigen::MatrixXd(0, 3)).empty());
  EXPECT_EQ(SolveAssignment(Eigen::MatrixXd(2, 0)), (std::vector<int>{-1, -1}));
}

TEST(ClusterByAffinity, GroupsUnderCannotLinkConstraints) {
  // Nodes 0, 1 (camera A), 2, 3 (camera B), 4 (camera C). People: {0, 2, 4} and {1, 3}.
  const double n = std::numeric_limits<double>::quiet_NaN();
  Eigen::MatrixXd a(5, 5);
  a << n, n, 0.9, 0.2, 0.8,   //
      n, n, 0.3, 0.95, 0.1,   //
      0.9, 0.3, n, n, 0.85,   //
      0.2, 0.95, n, n, 0.6,   //
      0.8, 0.1, 0.85, 0.6, n;
  Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic> ok = Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic>::Constant(5, 5, true);
  ok(0, 1) = ok(1, 0) = ok(2, 3) = ok(3, 2) = false;
  EXPECT_EQ(ClusterByAffinity(a, ok, 0.5), (std::vector<int>{0, 1, 0, 1, 0}));
  // A high threshold keeps only the best pair.
  EXPECT_EQ(ClusterByAffinity(a, ok, 0.92), (std::vector<int>{0, 1, 2, 1, 3}));
  // Without constraints, average linkage still separates the people.
  Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic> all = Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic>::Constant(5, 5, true);
  EXPECT_EQ(ClusterByAffinity(a, all, 0.5), (std::vector<int>{0, 1, 0, 1, 0}));
}

TEST(ClusterByAffinity, CannotLinkBlocksATransitiveMerge) {
  // 0 and 2 are in the same camera; 1 fits both: it joins the better one, the other stays alone.
  const double n = std::numeric_limits<double>::quiet_NaN();
  Eigen::MatrixXd a(3, 3);
  a << n, 0.9, n, 0.9, n, 0.8, n, 0.8, n;
  Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic> ok = Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic>::Constant(3, 3, true);
  ok(0, 2) = ok(2, 0) = false;
  EXPECT_EQ(ClusterByAffinity(a, ok, 0.5), (std::vector<int>{0, 0, 1}));
}

}  // namespace
}  // namespace epilabel
