// The view graph: cameras are nodes, camera pairs with a reliable relative pose are edges
// weighted by quality (Boost.Graph).
#pragma once

#include <string>
#include <vector>

#include "geometry/core/types.h"

namespace epilabel {

struct ViewGraphEdge {
  camera_t a = kInvalidCameraId, b = kInvalidCameraId;
  double weight = 0.0;  // quality: inliers times a parallax factor
};

class ViewGraph {
 public:
  ViewGraph(int num_cameras, std::vector<ViewGraphEdge> edges);

  int num_cameras() const { return num_cameras_; }
  const std::vector<ViewGraphEdge>& edges() const { return edges_; }
  // Connected components: component id per camera, components numbered by decreasing size
  // (0 = largest; ties by lowest camera index).
  const std::vector<int>& components() const { return component_; }
  int num_components() const { return num_components_; }
  // Cameras of the largest component, in increasing order.
  std::vector<camera_t> LargestComponent() const;
  // Edges of a maximum-weight spanning forest (Kruskal on the weights).
  std::vector<ViewGraphEdge> MaximumSpanningForest() const;
  // Neighbours of a camera with the edge weights.
  std::vector<std::pair<camera_t, double>> Neighbours(camera_t c) const;

 private:
  int num_cameras_ = 0;
  std::vector<ViewGraphEdge> edges_;
  std::vector<int> component_;
  int num_components_ = 0;
};

}  // namespace epilabel
