// Minimum-cost assignment (Hungarian method) and greedy multi-way clustering: the two
// combinatorial steps of association, on plain matrices.
#pragma once

#include <vector>

#include <Eigen/Core>

namespace epilabel {

// Minimum-cost one-to-one assignment of rows to columns (Kuhn-Munkres with potentials,
// O(n^2 m) for n <= m). Entries that are +infinity (or NaN) are forbidden. The assignment
// first maximises the number of allowed pairs, then minimises their total cost. Returns for
// each row its column, or -1 when the row is left unassigned.
std::vector<int> SolveAssignment(const Eigen::MatrixXd& cost);

// Greedy agglomerative clustering with average linkage under cannot-link constraints.
// `affinity` (n x n, symmetric) holds pairwise affinities, NaN where a pair is unknown;
// `compatible` (n x n) is false for two nodes that may not share a cluster. Starting from
// singletons, the two clusters with the highest linkage (mean of their known cross
// affinities; undefined without any) are merged while it is at least `min_linkage` and every
// cross pair is compatible. Ties go to the lowest node indices, so the result is
// deterministic. Returns a cluster label per node, 0.. in the order of each cluster's
// smallest node.
std::vector<int> ClusterByAffinity(const Eigen::MatrixXd& affinity,
                                   const Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic>& compatible,
                                   double min_linkage);

}  // namespace epilabel
