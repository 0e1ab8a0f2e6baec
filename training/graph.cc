#include "training/graph.h"

#include <stdexcept>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/connected_components.hpp>

namespace epilabel {

namespace {
using Graph = boost::adjacency_list<boost::setS, boost::vecS, boost::undirectedS>;
}

SkeletonGraph BuildSkeletonGraph(int num_joints, const std::vector<Bone>& bones) {
  if (num_joints < 1) throw std::invalid_argument("BuildSkeletonGraph: no joints");
  Graph g(static_cast<size_t>(num_joints));
  for (const Bone& b : bones) {
    if (b.parent < 0 || b.child < 0 || b.parent >= num_joints || b.child >= num_joints) {
      throw std::invalid_argument("BuildSkeletonGraph: bone joint index out of range");
    }
    if (b.parent != b.child) boost::add_edge(static_cast<size_t>(b.parent), static_cast<size_t>(b.child), g);
  }
  SkeletonGraph out;
  out.num_joints = num_joints;
  for (auto [it, end] = boost::edges(g); it != end; ++it) {
    out.edges.push_back({static_cast<joint_t>(boost::source(*it, g)), static_cast<joint_t>(boost::target(*it, g))});
  }
  out.component.resize(num_joints);
  out.num_components = static_cast<int>(boost::connected_components(g, out.component.data()));
  out.hops.assign(num_joints, std::vector<int>(num_joints, -1));
  for (int s = 0; s < num_joints; ++s) {
    std::vector<int> distance(num_joints, -1);
    distance[s] = 0;
    auto recorder = boost::make_bfs_visitor(boost::record_distances(distance.data(), boost::on_tree_edge()));
    boost::breadth_first_search(g, static_cast<size_t>(s), boost::visitor(recorder));
    // record_distances adds 1 to the parent's value; unreached vertices keep -1.
    for (int t = 0; t < num_joints; ++t) {
      out.hops[s][t] = (t == s) ? 0 : (out.component[t] == out.component[s] ? distance[t] : -1);
    }
  }
  return out;
}

Eigen::MatrixXd NormalizedAdjacency(const SkeletonGraph& graph) {
  const int n = graph.num_joints;
  Eigen::MatrixXd a = Eigen::MatrixXd::Identity(n, n);
  for (const Bone& e : graph.edges) {
    a(e.parent, e.child) = 1.0;
    a(e.child, e.parent) = 1.0;
  }
  const Eigen::VectorXd inv_sqrt_degree = a.rowwise().sum().cwiseSqrt().cwiseInverse();
  return inv_sqrt_degree.asDiagonal() * a * inv_sqrt_degree.asDiagonal();
}

}  // namespace epilabel
