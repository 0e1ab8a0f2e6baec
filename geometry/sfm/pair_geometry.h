// The pairwise steps of the self-calibration (internal to geometry/sfm): joint correspondences
// of every camera pair, focal lengths from fundamental matrices when the intrinsics are unknown,
// the relative pose of every pair, and which pairs become edges of the view graph.
#pragma once

#include <utility>
#include <vector>

#include "geometry/estimators/two_view.h"
#include "geometry/sfm/self_calibration.h"
#include "geometry/sfm/view_graph.h"

namespace epilabel {

struct CameraPair {
  camera_t a = kInvalidCameraId, b = kInvalidCameraId;  // a < b
  std::vector<std::pair<frame_t, joint_t>> ids;          // joints both cameras see
  TwoViewGeometry geometry;                              // relative pose, cam b from cam a
};

// Every pair (a < b, in lexicographic order) with its correspondences: the (frame, joint) seen
// by both cameras, sampled down to options.max_correspondences_per_pair with spread in time and
// in camera a's image (deterministic). Pairs run in parallel.
std::vector<CameraPair> PairCorrespondences(const Rig& rig, const Observations2d& obs,
                                            const SelfCalibrationOptions& options);

// Unknown intrinsics: a fundamental matrix per pair, then the focal lengths that agree best with
// the good ones (FocalFromFundamentals). Sets the focal length of the cameras that have none and
// returns the search result per camera.
std::vector<double> FocalLengthsFromPairs(const Observations2d& obs, const std::vector<CameraPair>& pairs,
                                          const SelfCalibrationOptions& options, Rig* rig);

// The relative pose of every pair from the normalised correspondences (in parallel; progress
// "pairwise geometry").
void EstimatePairPoses(const Rig& rig, const Observations2d& obs, const SelfCalibrationOptions& options,
                       std::vector<CameraPair>* pairs);

// The relative pose of `pair` (pair `index` of the list) seen by cameras `a` and `b`, whose
// intrinsics normalise the correspondences.
TwoViewGeometry EstimatePairPose(const Camera& a, const Camera& b, const Observations2d& obs, const CameraPair& pair,
                                 size_t index, const SelfCalibrationOptions& options);

// A report per pair (why it is not an edge, when it is not) and the edges of the view graph.
std::vector<ViewGraphEdge> JudgePairs(const std::vector<CameraPair>& pairs, const SelfCalibrationOptions& options,
                                      std::vector<PairReport>* reports);

}  // namespace epilabel
