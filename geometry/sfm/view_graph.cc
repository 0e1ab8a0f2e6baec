#include "geometry/sfm/view_graph.h"

#include <algorithm>
#include <map>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/connected_components.hpp>
#include <boost/graph/kruskal_min_spanning_tree.hpp>

namespace epilabel {

namespace {
using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS, boost::no_property,
                                    boost::property<boost::edge_weight_t, double>>;
using Edge = boost::graph_traits<Graph>::edge_descriptor;

Graph BuildGraph(int n, const std::vector<ViewGraphEdge>& edges, bool negate) {
  Graph g(static_cast<size_t>(n));
  for (const auto& e : edges) boost::add_edge(e.a, e.b, negate ? -e.weight : e.weight, g);
  return g;
}
}  // namespace

ViewGraph::ViewGraph(int num_cameras, std::vector<ViewGraphEdge> edges)
    : num_cameras_(num_cameras), edges_(std::move(edges)) {
  const Graph g = BuildGraph(num_cameras_, edges_, false);
  std::vector<int> raw(static_cast<size_t>(num_cameras_));
  const int n = num_cameras_ == 0 ? 0 : static_cast<int>(boost::connected_components(g, raw.data()));
  // Renumber by decreasing size, ties by the lowest member.
  std::vector<std::pair<int, int>> order;  // (-size, lowest camera) per raw id
  std::vector<int> size(n, 0), lowest(n, num_cameras_);
  for (int c = 0; c < num_cameras_; ++c) {
    ++size[raw[c]];
    lowest[raw[c]] = std::min(lowest[raw[c]], c);
  }
  std::vector<int> ids(n);
  for (int i = 0; i < n; ++i) ids[i] = i;
  std::sort(ids.begin(), ids.end(), [&](int a, int b) {
    return size[a] != size[b] ? size[a] > size[b] : lowest[a] < lowest[b];
  });
  std::vector<int> rank(n);
  for (int i = 0; i < n; ++i) rank[ids[i]] = i;
  component_.resize(num_cameras_);
  for (int c = 0; c < num_cameras_; ++c) component_[c] = rank[raw[c]];
  num_components_ = n;
}

std::vector<camera_t> ViewGraph::LargestComponent() const {
  std::vector<camera_t> out;
  for (int c = 0; c < num_cameras_; ++c)
    if (component_[c] == 0) out.push_back(c);
  return out;
}

std::vector<ViewGraphEdge> ViewGraph::MaximumSpanningForest() const {
  const Graph g = BuildGraph(num_cameras_, edges_, true);
  std::vector<Edge> tree;
  boost::kruskal_minimum_spanning_tree(g, std::back_inserter(tree));
  std::vector<ViewGraphEdge> out;
  for (const Edge& e : tree) {
    const camera_t a = static_cast<camera_t>(boost::source(e, g)), b = static_cast<camera_t>(boost::target(e, g));
    out.push_back({std::min(a, b), std::max(a, b), -boost::get(boost::edge_weight, g, e)});
  }
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.a != y.a ? x.a < y.a : x.b < y.b; });
  return out;
}

std::vector<std::pair<camera_t, double>> ViewGraph::Neighbours(camera_t c) const {
  std::vector<std::pair<camera_t, double>> out;
  for (const auto& e : edges_) {
    if (e.a == c) out.emplace_back(e.b, e.weight);
    if (e.b == c) out.emplace_back(e.a, e.weight);
  }
  return out;
}

}  // namespace epilabel
