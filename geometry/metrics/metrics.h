// Error metrics for 3D human pose estimation, computed over a set of poses.
//
// A set of poses is a Points3d with one "frame" per pose: predicted.at(n, j) and truth.at(n, j)
// are joint j of pose n, in metres, both in the same frame (usually a camera frame). An
// optional mask valid.at(n, j) (1 = evaluate, 0 = ignore) says which joints of the truth are
// labelled; a joint whose truth or prediction is not finite is never evaluated. Every error
// is in metres unless its name says mm.
//
// Definitions (per evaluated joint, averaged over all evaluated (pose, joint) pairs):
//  - MPJPE: Euclidean distance between predicted and true joint after centring both poses on
//    their own root (the mean of `root_joints`; Human3.6M protocol 1).
//  - P-MPJPE: distance after aligning each predicted pose to its truth with the
//    least-squares similarity (rotation, translation, scale; Procrustes/Umeyama) over its
//    evaluated joints (protocol 2).
//  - N-MPJPE: distance after centring on the root and scaling the predicted pose by the
//    least-squares factor s = <pred, truth> / <pred, pred> over its evaluated joints (Rhodin
//    et al., "Unsupervised geometry-aware representation for 3D human pose estimation",
//    ECCV 2018).
//  - PCK3D: share of evaluated joints whose root-relative error is at most a threshold
//    (150 mm); AUC: the mean PCK3D over evenly spaced thresholds from 0 to 150 mm (31
//    thresholds, Mehta et al. 3DV 2017).
//  - Pose Structure Score (Kocabas et al., EpipolarPose, CVPR 2019): the true poses, each
//    centred on its root and divided by its Frobenius norm, are clustered with k-means
//    (seeded k-means++, Lloyd iterations); a prediction, normalised the same way, scores 1
//    when its nearest cluster centre is the nearest centre of its truth. PSS is the mean score
//    over the poses whose every joint is evaluated (other poses are left out; a joint that is
//    evaluated in no pose at all is dropped from the pose vectors instead).
//  - Per-joint MPJPE: MPJPE of each joint separately (NaN for a joint never evaluated).
// A pose takes part only when its root joints are finite in both poses and evaluated in the
// mask (with no root joints, poses are taken as already root-relative).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "geometry/core/observations.h"
#include "geometry/core/types.h"

namespace epilabel {

struct BodyPoseMetricsOptions {
  // Joints whose mean is the root (e.g. both hips for COCO-17, the pelvis for H36M-17).
  // Empty: the poses are already root-relative and are compared as given.
  std::vector<joint_t> root_joints;
  // PCK3D threshold, metres.
  double pck_threshold = 0.150;
  // AUC: PCK3D averaged over `auc_num_thresholds` thresholds evenly spaced in [0, auc_max_threshold].
  double auc_max_threshold = 0.150;
  int auc_num_thresholds = 31;
  // Pose Structure Score: one score per cluster count (k is reduced to the number of distinct
  // true poses when there are fewer).
  std::vector<int> pss_num_clusters = {50, 100};
  uint64_t pss_seed = 0;
  int pss_max_iterations = 100;

  // Throws std::invalid_argument when an option is out of range.
  void Check() const;
};

struct PssResult {
  int num_clusters_requested = 0;
  int num_clusters = 0;  // clusters actually used
  int num_poses = 0;     // poses scored (every joint evaluated)
  double score = kNaN;   // in [0, 1]
};

struct BodyPoseMetrics {
  int num_poses = 0;       // poses with at least one evaluated joint
  int64_t num_joints = 0;  // evaluated (pose, joint) pairs
  double mpjpe = kNaN;     // metres
  double p_mpjpe = kNaN;   // metres
  double n_mpjpe = kNaN;   // metres
  double pck = kNaN;       // in [0, 1], at options.pck_threshold
  double auc = kNaN;       // in [0, 1]
  std::vector<double> per_joint_mpjpe;  // [joints], metres, NaN where never evaluated
  std::vector<PssResult> pss;           // one per options.pss_num_clusters entry

  // Score of the PSS entry with that requested k, NaN when absent.
  double Pss(int num_clusters) const;
  // One line: "MPJPE 52.1 mm, P-MPJPE 38.0 mm, ...".
  std::string BriefReport() const;
};

// How each predicted pose is aligned to its truth before measuring joint errors.
enum class PoseAlignment {
  kRoot,        // both centred on their root (MPJPE)
  kScale,       // root-centred, prediction scaled by the least-squares factor (N-MPJPE)
  kProcrustes,  // least-squares similarity (P-MPJPE)
};

// Every metric above. `valid` may be nullptr (every finite joint is evaluated); otherwise it
// has the poses' shape. Throws std::invalid_argument when the shapes differ or a root joint
// index is out of range. Deterministic (single-threaded, seeded).
BodyPoseMetrics EvaluateBodyPoses(const Points3d& predicted, const Points3d& truth, const FrameJointArray<uint8_t>* valid,
                          const BodyPoseMetricsOptions& options = {});

// Per-joint errors [pose][joint] in metres after `alignment`; NaN where not evaluated.
FrameJointArray<double> JointErrors(const Points3d& predicted, const Points3d& truth,
                                    const FrameJointArray<uint8_t>* valid, PoseAlignment alignment,
                                    const std::vector<joint_t>& root_joints);

// Mean of the finite entries (NaN when there is none).
double MeanJointError(const FrameJointArray<double>& errors);
// Mean of the finite entries of each joint (column).
std::vector<double> PerJointMeanError(const FrameJointArray<double>& errors);
// Share of finite entries <= `threshold` (NaN when there is none).
double Pck(const FrameJointArray<double>& errors, double threshold);
// Mean PCK over `num_thresholds` thresholds evenly spaced in [0, max_threshold].
double PckAuc(const FrameJointArray<double>& errors, double max_threshold, int num_thresholds);

// k-means result: centres (k x D) and the index of the nearest centre of every point.
struct KMeansResult {
  Eigen::MatrixXd centres;
  std::vector<int> assignment;
  int iterations = 0;
  bool converged = false;  // assignments stopped changing before max_iterations
};

// k-means on the rows of `points` (N x D): k-means++ seeding from a generator seeded with
// `seed`, then Lloyd iterations until the assignment is stable or `max_iterations`. A cluster
// that empties is re-seeded with the point farthest from its centre. When the points have
// fewer than k distinct values, fewer centres are returned. Deterministic for a seed.
KMeansResult KMeans(const Eigen::MatrixXd& points, int k, uint64_t seed, int max_iterations = 100);

// Index of the nearest row of `centres` for every row of `points`.
std::vector<int> NearestCentres(const Eigen::MatrixXd& points, const Eigen::MatrixXd& centres);

// The PSS normalisation of one pose: centred on the root (mean of `root_joints`; none = as
// given), flattened to 3J values and divided by its norm. Zero vector for a zero pose.
Eigen::VectorXd NormalizePoseForPss(const Eigen::Vector3d* joints, int num_joints,
                                    const std::vector<joint_t>& root_joints);

// The Pose Structure Score alone (see the header comment).
PssResult PoseStructureScore(const Points3d& predicted, const Points3d& truth, const FrameJointArray<uint8_t>* valid,
                             int num_clusters, const std::vector<joint_t>& root_joints, uint64_t seed,
                             int max_iterations = 100);

}  // namespace epilabel
