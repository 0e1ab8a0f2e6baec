#include "geometry/association/assignment.h"

#include <cmath>
#include <limits>

namespace epilabel {
namespace {

// Hungarian method on a dense n x m matrix with n <= m and finite entries (e-maxx
// formulation, 1-based potentials). Returns the column of each row.
std::vector<int> HungarianRowsLeqCols(const Eigen::MatrixXd& a) {
  const int n = static_cast<int>(a.rows()), m = static_cast<int>(a.cols());
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> u(n + 1, 0.0), v(m + 1, 0.0);
  std::vector<int> p(m + 1, 0), way(m + 1, 0);
  std::vector<double> minv(m + 1);
  std::vector<char> used(m + 1);
  for (int i = 1; i <= n; ++i) {
    p[0] = i;
    int j0 = 0;
    std::fill(minv.begin(), minv.end(), inf);
    std::fill(used.begin(), used.end(), 0);
    do {
      used[j0] = 1;
      const int i0 = p[j0];
      double delta = inf;
      int j1 = 0;
      for (int j = 1; j <= m; ++j) {
        if (used[j]) continue;
        const double cur = a(i0 - 1, j - 1) - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (int j = 0; j <= m; ++j) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] != 0);
    do {
      const int j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  std::vector<int> column(n, -1);
  for (int j = 1; j <= m; ++j) {
    if (p[j] != 0) column[p[j] - 1] = j - 1;
  }
  return column;
}

}  // namespace

std::vector<int> SolveAssignment(const Eigen::MatrixXd& cost) {
  const int rows = static_cast<int>(cost.rows()), cols = static_cast<int>(cost.cols());
  std::vector<int> result(rows, -1);
  if (rows == 0 || cols == 0) return result;
  // Forbidden pairs get a cost above any sum of allowed ones.
  double allowed_sum = 1.0;
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j)
      if (std::isfinite(cost(i, j))) allowed_sum += std::abs(cost(i, j));
  const double forbidden = 2.0 * allowed_sum * (rows + cols);
  Eigen::MatrixXd a(rows, cols);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) a(i, j) = std::isfinite(cost(i, j)) ? cost(i, j) : forbidden;
  if (rows <= cols) {
    result = HungarianRowsLeqCols(a);
  } else {
    const std::vector<int> row_of_col = HungarianRowsLeqCols(a.transpose());
    for (int j = 0; j < cols; ++j) {
      if (row_of_col[j] >= 0) result[row_of_col[j]] = j;
    }
  }
  for (int i = 0; i < rows; ++i) {
    if (result[i] >= 0 && !std::isfinite(cost(i, result[i]))) result[i] = -1;
  }
  return result;
}

std::vector<int> ClusterByAffinity(const Eigen::MatrixXd& affinity,
                                   const Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic>& compatible,
                                   double min_linkage) {
  const int n = static_cast<int>(affinity.rows());
  // Cluster-level sums and counts of known affinities, and cannot-link flags; row k is
  // cluster k, represented by its smallest node.
  Eigen::MatrixXd sum = Eigen::MatrixXd::Zero(n, n);
  Eigen::MatrixXi count = Eigen::MatrixXi::Zero(n, n);
  Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic> blocked = !compatible;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      if (i != j && std::isfinite(affinity(i, j))) {
        sum(i, j) = affinity(i, j);
        count(i, j) = 1;
      }
  std::vector<int> parent(n);
  std::vector<char> alive(n, 1);
  for (int i = 0; i < n; ++i) parent[i] = i;
  while (true) {
    int best_a = -1, best_b = -1;
    double best = -std::numeric_limits<double>::infinity();
    for (int a = 0; a < n; ++a) {
      if (!alive[a]) continue;
      for (int b = a + 1; b < n; ++b) {
        if (!alive[b] || blocked(a, b) || count(a, b) == 0) continue;
        const double linkage = sum(a, b) / count(a, b);
        if (linkage > best) {
          best = linkage;
          best_a = a;
          best_b = b;
        }
      }
    }
    if (best_a < 0 || best < min_linkage) break;
    // Merge b into a (a < b keeps a cluster's row at its smallest node).
    sum.row(best_a) += sum.row(best_b);
    sum.col(best_a) += sum.col(best_b);
    count.row(best_a) += count.row(best_b);
    count.col(best_a) += count.col(best_b);
    blocked.row(best_a) = blocked.row(best_a) || blocked.row(best_b);
    blocked.col(best_a) = blocked.col(best_a) || blocked.col(best_b);
    alive[best_b] = 0;
    for (int i = 0; i < n; ++i) {
      if (parent[i] == best_b) parent[i] = best_a;
    }
  }
  std::vector<int> label(n, -1), label_of_root(n, -1);
  int next = 0;
  for (int i = 0; i < n; ++i) {
    if (label_of_root[parent[i]] < 0) label_of_root[parent[i]] = next++;
    label[i] = label_of_root[parent[i]];
  }
  return label;
}

}  // namespace epilabel
