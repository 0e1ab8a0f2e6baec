// Decoding of pose-network outputs into keypoints, independent of any inference library:
//  - MoveNet single-pose heads (centre heatmap, keypoint heatmaps, regression, offsets), as
//    MoveNet's own post-processing does it (the part cut off the network for OpenCV's dnn);
//  - keypoint heatmaps of top-down models (argmax, then sub-pixel refinement);
//  - SimCC vectors (RTMPose): one 1-D classification per axis;
//  - BlazePose's landmark vector (MediaPipe's pose landmark model, 33 joints with the feet).
// Every decoder returns one (x, y, score) per joint.
#pragma once

#include <cstddef>
#include <vector>

#include <Eigen/Core>

namespace epilabel {

// A read-only view of a [channels, height, width] float tensor (one batch item of NCHW), row-major.
struct FeatureMap {
  const float* data = nullptr;
  int channels = 0;
  int height = 0;
  int width = 0;

  float at(int c, int y, int x) const {
    return data[(static_cast<size_t>(c) * height + y) * width + x];
  }
  const float* channel(int c) const { return data + static_cast<size_t>(c) * height * width; }
};

// The four heads of MoveNet SinglePose, all H x W (input size / 4):
//  center     [1, H, W]   person-centre heatmap, already multiplied by MoveNet's centre prior
//                         (the weight map that favours the image centre, kept in the network);
//  heatmaps   [K, H, W]   keypoint heatmaps after the sigmoid;
//  regression [2K, H, W]  per keypoint k, (dy, dx) from the centre cell to the keypoint, in cells
//                         (channel 2k = y, 2k + 1 = x);
//  offsets    [2K, H, W]  per keypoint k, (dy, dx) sub-cell offset of the keypoint at a cell
//                         (channel 2k = y, 2k + 1 = x).
struct MoveNetHeads {
  FeatureMap center, heatmaps, regression, offsets;
};

// Optional refinement of MoveNet's keypoint position beyond its own decoding.
struct MoveNetDecodingOptions {
  // 0: MoveNet's own decoding (the chosen cell + its offset). r > 0: every cell within r cells
  // (Chebyshev) of the chosen one votes with its own position (cell + its offset), weighted by its
  // heatmap value; votes further than max_vote_spread cells from the chosen cell's position are
  // left out (a neighbour whose offset points at another peak). Averages the offset head's
  // per-cell noise; the score stays the chosen cell's.
  int vote_radius = 0;
  double max_vote_spread = 1.0;  // cells
};

// MoveNet's single-pose decoding: the most likely centre cell; from it, each keypoint's regressed
// position; the keypoint heatmap divided by (distance to that position + 1.8) picks the keypoint
// cell; the cell's offset refines it (see MoveNetDecodingOptions for the vote among neighbours).
// Returns K (x, y, score) with x, y normalised to [0, 1] of the network input (x = column / W,
// continuous coordinates: 0 = left edge) and score = the keypoint heatmap value at the chosen
// cell. Throws std::invalid_argument on inconsistent sizes.
std::vector<Eigen::Vector3d> DecodeMoveNetSinglePose(const MoveNetHeads& heads,
                                                     const MoveNetDecodingOptions& options = {});

// The six heads of MoveNet MultiPose (CenterNet-style, all H x W = input size / 4), as written
// by scripts/tfjs_to_onnx.py: center [1] (after the sigmoid, no centre prior), heatmaps [K],
// regression [2K], offsets [2K] as for SinglePose, box_scale [2] (height, width of the person
// box in cells) and box_offset [2] (dy, dx from the centre cell to the box centre, cells).
struct MoveNetMultiPoseHeads {
  FeatureMap center, heatmaps, regression, offsets, box_scale, box_offset;
};

// The decoding that the MultiPose graph does after its heads (read off the TensorFlow.js graph).
struct MultiPoseDecodingOptions {
  int max_people = 6;                  // the graph's TopK
  int nms_window = 5;                  // centre cells that are the maximum of this window
  double gaussian_scale = 0.3;         // keypoint weight exp(-d^2 / (scale * min(H, W))), d in cells
  double min_keypoint_score = 0.127;   // keypoints below count as not seen in the person score
};

// One person of MultiPose: K (x, y, score) normalised as DecodeMoveNetSinglePose's, and the
// person score (centre score x mean score of the keypoints seen).
struct MultiPoseCandidate {
  std::vector<Eigen::Vector3d> keypoints;
  double score = 0.0;
};

// MoveNet MultiPose's decoding: centre cells that are local maxima (nms_window), the
// max_people best; per centre, the person box (box_offset, box_scale, clipped to the map) and
// per keypoint the cell inside the box that maximises heatmap x exp(-d^2 / (gaussian_scale *
// min(H, W))), d = distance to the regressed keypoint, refined by its offset. A keypoint with no
// cell in the box is placed at its regressed position with score 0. Sorted by decreasing
// centre score. Throws std::invalid_argument on inconsistent sizes.
std::vector<MultiPoseCandidate> DecodeMoveNetMultiPose(const MoveNetMultiPoseHeads& heads,
                                                       const MultiPoseDecodingOptions& options = {});

// MoveNet's weighting of a keypoint heatmap cell by its distance (in cells) to the regressed
// keypoint position.
constexpr double kMoveNetDistanceBias = 1.8;

enum class HeatmapRefinement {
  kNone,      // the integer argmax
  kParabola,  // per axis, the vertex of a parabola through log(h) at the argmax and its neighbours
              // (exact for a separable Gaussian peak)
  kTaylor,    // second-order Taylor expansion of log(h) in 2-D, one Newton step (DARK, Zhang et al.
              // CVPR 2020; exact for any Gaussian peak, including correlated ones), falling back
              // to kParabola where the Hessian is not negative definite
};

// Argmax of each heatmap channel, refined to sub-pixel accuracy. Returns (x, y, score) per
// channel with x, y in heatmap pixel coordinates (pixel centres at integers) and score = the
// maximum value. The refinement shift is clamped to half a pixel; it needs the peak's
// neighbours inside the map (no refinement on the border) and positive values (values are
// clamped to 1e-10 before the logarithm).
std::vector<Eigen::Vector3d> DecodeHeatmaps(const FeatureMap& heatmaps, HeatmapRefinement refinement);

// SimCC decoding (RTMPose, Li et al. ECCV 2022): `simcc_x` is [K, Lx] and `simcc_y` is [K, Ly]
// (row-major, one row per joint); x = argmax_x / split_ratio, y = argmax_y / split_ratio in
// network input pixels; score = the smaller of the two maxima (as MMPose's get_simcc_maximum).
std::vector<Eigen::Vector3d> DecodeSimcc(const float* simcc_x, int length_x, const float* simcc_y, int length_y,
                                         int num_joints, double split_ratio);

// BlazePose's pose landmark model (Bazarevsky et al., "BlazePose: On-device Real-time Body Pose
// tracking", CVPR Workshops 2020; MediaPipe Pose): `landmarks` holds 5 values per landmark,
// (x, y, z, visibility logit, presence logit), x and y in pixels of the network input
// (continuous coordinates), for 39 landmarks (the 33 of the body, then 6 the model uses for its
// own region of interest); `pose_flag` is the model's probability that a person is in the crop.
// Returns the first `num_joints` (33) landmarks as (x, y, score), score = sigmoid(visibility)
// x pose_flag. Throws std::invalid_argument when `count` < 5 x num_joints.
constexpr int kBlazePoseJoints = 33;
std::vector<Eigen::Vector3d> DecodeBlazePoseLandmarks(const float* landmarks, int count, double pose_flag,
                                                      int num_joints = kBlazePoseJoints);

}  // namespace epilabel
