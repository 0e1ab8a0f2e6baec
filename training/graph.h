// The skeleton as a graph for graph-convolutional lifters: joints are vertices, bones are
// edges (a Boost.Graph adjacency list inside), and the normalised adjacency a graph
// convolution multiplies by.
#pragma once

#include <vector>

#include <Eigen/Core>

#include "geometry/core/types.h"

namespace epilabel {

struct SkeletonGraph {
  int num_joints = 0;
  std::vector<Bone> edges;            // the bones, duplicates and self-loops removed
  int num_components = 0;             // connected components (COCO-17's head is apart from the body)
  std::vector<int> component;         // [J] component of each joint
  std::vector<std::vector<int>> hops; // [J][J] bone hops between joints, -1 when unconnected
};

// Builds the graph of `num_joints` joints from the bones. Throws std::invalid_argument for a
// bone with a joint out of range.
SkeletonGraph BuildSkeletonGraph(int num_joints, const std::vector<Bone>& bones);

// Symmetrically normalised adjacency with self-loops, D^-1/2 (A + I) D^-1/2 (Kipf and
// Welling 2017): [J x J], symmetric, non-zero exactly on the diagonal and on the bones.
Eigen::MatrixXd NormalizedAdjacency(const SkeletonGraph& graph);

}  // namespace epilabel
