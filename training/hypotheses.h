// Aggregation of several 3D pose hypotheses of one person in one frame (the diffusion lifter's
// H samples) and the test-time refinement of a pose against its 2D input (no libtorch here). Poses are root-relative, camera frame, metres (x right, y down,
// z forward); keypoints are pixels with a confidence (0 = missing); K is the pinhole intrinsics.
#pragma once

#include <optional>
#include <vector>

#include <Eigen/Core>

namespace epilabel {

// The root translation t (camera frame, metres) that best places the root-relative `pose` [J]
// onto the observed `keypoints` [J] under K: least squares of the reprojection linearised in t,
// (x_j - cx) / fx * (Z_j + t_z) = X_j + t_x and the same in y, over the observed joints with a
// finite pose. nullopt with fewer than two such joints or a degenerate system.
std::optional<Eigen::Vector3d> EstimateRoot(const std::vector<Eigen::Vector3d>& pose,
                                            const std::vector<Eigen::Vector3d>& keypoints, const Eigen::Matrix3d& K);

// D3DP's joint-wise reprojection-based multi-hypothesis aggregation (JPMA, Shan et al., ICCV
// 2023): per joint j, the hypothesis h whose projection K (root + hypotheses[h][j]) is closest
// to keypoints[j]; joints without a keypoint (or behind the camera in every hypothesis) take the
// mean of the hypotheses. hypotheses [H][J], H >= 1.
std::vector<Eigen::Vector3d> SelectJointsByReprojection(const std::vector<std::vector<Eigen::Vector3d>>& hypotheses,
                                                        const std::vector<Eigen::Vector3d>& keypoints,
                                                        const Eigen::Matrix3d& K, const Eigen::Vector3d& root);

// The mean pose of the hypotheses [J].
std::vector<Eigen::Vector3d> MeanHypothesis(const std::vector<std::vector<Eigen::Vector3d>>& hypotheses);

// Per joint the spread of the hypotheses: the root-mean-square distance to their mean, metres [J].
std::vector<double> HypothesisSpread(const std::vector<std::vector<Eigen::Vector3d>>& hypotheses);

// The test-time optimisation of a lifted pose (after UAO, Wang et al. 2024, here on the 3D
// output): each joint X_j (root-relative) minimises
//   |proj(K (root + X_j)) - x_j|^2 / pixel_sigma^2 + |X_j - pose_j|^2 / sigma_j^2,
// the reprojection onto its keypoint x_j plus a Gaussian prior about the prediction whose sigma
// is the model's per-joint uncertainty (`sigma_m` [J], metres; empty = `prior_sigma_m` for
// every joint), by `steps` Gauss-Newton steps. Joints without a keypoint, with a non-finite pose
// or behind the camera stay as predicted. pose [J] root-relative, camera frame, metres.
struct RefineOptions {
  int steps = 3;
  double pixel_sigma = 5.0;     // pixels
  double prior_sigma_m = 0.05;  // metres, where no per-joint sigma is given
};
std::vector<Eigen::Vector3d> RefineByReprojection(const std::vector<Eigen::Vector3d>& pose,
                                                  const std::vector<double>& sigma_m,
                                                  const std::vector<Eigen::Vector3d>& keypoints,
                                                  const Eigen::Matrix3d& K, const Eigen::Vector3d& root,
                                                  const RefineOptions& options = {});

}  // namespace epilabel
