#include "geometry/metrics/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <stdexcept>

#include "geometry/metrics/alignment.h"

namespace epilabel {

void BodyPoseMetricsOptions::Check() const {
  if (!(pck_threshold > 0.0)) throw std::invalid_argument("BodyPoseMetricsOptions: pck_threshold must be > 0");
  if (!(auc_max_threshold > 0.0)) throw std::invalid_argument("BodyPoseMetricsOptions: auc_max_threshold must be > 0");
  if (auc_num_thresholds < 2) throw std::invalid_argument("BodyPoseMetricsOptions: auc_num_thresholds must be >= 2");
  for (int k : pss_num_clusters) {
    if (k < 1) throw std::invalid_argument("BodyPoseMetricsOptions: PSS cluster counts must be >= 1");
  }
  if (pss_max_iterations < 1) throw std::invalid_argument("BodyPoseMetricsOptions: pss_max_iterations must be >= 1");
  for (joint_t j : root_joints) {
    if (j < 0) throw std::invalid_argument("BodyPoseMetricsOptions: negative root joint index");
  }
}

double BodyPoseMetrics::Pss(int num_clusters) const {
  for (const PssResult& r : pss) {
    if (r.num_clusters_requested == num_clusters) return r.score;
  }
  return kNaN;
}

std::string BodyPoseMetrics::BriefReport() const {
  char buf[256];
  std::snprintf(buf, sizeof(buf), "MPJPE %.1f mm, P-MPJPE %.1f mm, N-MPJPE %.1f mm, PCK3D %.3f, AUC %.3f", mpjpe * 1e3,
                p_mpjpe * 1e3, n_mpjpe * 1e3, pck, auc);
  std::string out = buf;
  for (const PssResult& r : pss) {
    std::snprintf(buf, sizeof(buf), ", PSS@%d %.3f", r.num_clusters_requested, r.score);
    out += buf;
  }
  return out;
}

namespace {

void CheckShapes(const Points3d& predicted, const Points3d& truth, const FrameJointArray<uint8_t>* valid,
                 const std::vector<joint_t>& root_joints) {
  if (predicted.num_frames() != truth.num_frames() || predicted.num_joints() != truth.num_joints()) {
    throw std::invalid_argument("pose metrics: predicted and true poses have different shapes");
  }
  if (valid != nullptr && (valid->num_frames() != truth.num_frames() || valid->num_joints() != truth.num_joints())) {
    throw std::invalid_argument("pose metrics: the validity mask does not have the poses' shape");
  }
  for (joint_t j : root_joints) {
    if (j < 0 || j >= truth.num_joints()) throw std::invalid_argument("pose metrics: root joint index out of range");
  }
}

bool Evaluated(const Points3d& predicted, const Points3d& truth, const FrameJointArray<uint8_t>* valid, int n,
               int j) {
  if (valid != nullptr && valid->at(n, j) == 0) return false;
  return predicted.IsValid(n, j) && truth.IsValid(n, j);
}

// Root of pose n (mean of the root joints), or nullopt-like false when a root joint is unusable.
bool PoseRoot(const Points3d& poses, const Points3d& other, const FrameJointArray<uint8_t>* valid,
              const std::vector<joint_t>& root_joints, int n, Eigen::Vector3d* root) {
  *root = Eigen::Vector3d::Zero();
  if (root_joints.empty()) return true;
  for (joint_t j : root_joints) {
    if (!Evaluated(poses, other, valid, n, j)) return false;
    *root += poses.at(n, j);
  }
  *root /= static_cast<double>(root_joints.size());
  return true;
}

}  // namespace

FrameJointArray<double> JointErrors(const Points3d& predicted, const Points3d& truth,
                                    const FrameJointArray<uint8_t>* valid, PoseAlignment alignment,
                                    const std::vector<joint_t>& root_joints) {
  CheckShapes(predicted, truth, valid, root_joints);
  const int num_poses = truth.num_frames();
  const int num_joints = truth.num_joints();
  FrameJointArray<double> errors(num_poses, num_joints, kNaN);
  std::vector<Eigen::Vector3d> pred(num_joints), gt(num_joints);
  std::vector<double> weights(num_joints);
  for (int n = 0; n < num_poses; ++n) {
    Eigen::Vector3d pred_root, gt_root;
    if (!PoseRoot(predicted, truth, valid, root_joints, n, &pred_root) ||
        !PoseRoot(truth, predicted, valid, root_joints, n, &gt_root)) {
      continue;
    }
    int num_evaluated = 0;
    for (int j = 0; j < num_joints; ++j) {
      const bool use = Evaluated(predicted, truth, valid, n, j);
      weights[j] = use ? 1.0 : 0.0;
      pred[j] = use ? Eigen::Vector3d(predicted.at(n, j) - pred_root) : Eigen::Vector3d::Zero();
      gt[j] = use ? Eigen::Vector3d(truth.at(n, j) - gt_root) : Eigen::Vector3d::Zero();
      num_evaluated += use ? 1 : 0;
    }
    if (num_evaluated == 0) continue;
    if (alignment == PoseAlignment::kScale) {
      double dot = 0.0, norm2 = 0.0;
      for (int j = 0; j < num_joints; ++j) {
        dot += weights[j] * pred[j].dot(gt[j]);
        norm2 += weights[j] * pred[j].squaredNorm();
      }
      const double scale = norm2 > 0.0 ? dot / norm2 : 1.0;
      for (Eigen::Vector3d& p : pred) p *= scale;
    } else if (alignment == PoseAlignment::kProcrustes) {
      const Sim3d gt_from_pred = AlignSimilarity(pred.data(), gt.data(), weights.data(), num_joints, true);
      for (Eigen::Vector3d& p : pred) p = gt_from_pred * p;
    }
    for (int j = 0; j < num_joints; ++j) {
      if (weights[j] > 0.0) errors.at(n, j) = (pred[j] - gt[j]).norm();
    }
  }
  return errors;
}

double MeanJointError(const FrameJointArray<double>& errors) {
  double sum = 0.0;
  int64_t count = 0;
  for (double e : errors.data()) {
    if (std::isfinite(e)) {
      sum += e;
      ++count;
    }
  }
  return count > 0 ? sum / static_cast<double>(count) : kNaN;
}

std::vector<double> PerJointMeanError(const FrameJointArray<double>& errors) {
  std::vector<double> sums(errors.num_joints(), 0.0);
  std::vector<int64_t> counts(errors.num_joints(), 0);
  for (int n = 0; n < errors.num_frames(); ++n) {
    for (int j = 0; j < errors.num_joints(); ++j) {
      const double e = errors.at(n, j);
      if (std::isfinite(e)) {
        sums[j] += e;
        ++counts[j];
      }
    }
  }
  for (size_t j = 0; j < sums.size(); ++j) sums[j] = counts[j] > 0 ? sums[j] / static_cast<double>(counts[j]) : kNaN;
  return sums;
}

double Pck(const FrameJointArray<double>& errors, double threshold) {
  int64_t below = 0, count = 0;
  for (double e : errors.data()) {
    if (!std::isfinite(e)) continue;
    ++count;
    if (e <= threshold) ++below;
  }
  return count > 0 ? static_cast<double>(below) / static_cast<double>(count) : kNaN;
}

double PckAuc(const FrameJointArray<double>& errors, double max_threshold, int num_thresholds) {
  if (num_thresholds < 2) throw std::invalid_argument("PckAuc: need at least two thresholds");
  // Sorting once makes every threshold a binary search.
  std::vector<double> sorted;
  sorted.reserve(errors.data().size());
  for (double e : errors.data()) {
    if (std::isfinite(e)) sorted.push_back(e);
  }
  if (sorted.empty()) return kNaN;
  std::sort(sorted.begin(), sorted.end());
  double sum = 0.0;
  for (int i = 0; i < num_thresholds; ++i) {
    const double t = max_threshold * static_cast<double>(i) / static_cast<double>(num_thresholds - 1);
    const auto below = std::upper_bound(sorted.begin(), sorted.end(), t) - sorted.begin();
    sum += static_cast<double>(below) / static_cast<double>(sorted.size());
  }
  return sum / static_cast<double>(num_thresholds);
}

namespace {

// Uniform double in [0, 1) from 53 random bits (portable, unlike std::uniform_real_distribution).
double Uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// Squared distances [N x k] between the rows of `points` and `centres`.
Eigen::MatrixXd SquaredDistances(const Eigen::MatrixXd& points, const Eigen::MatrixXd& centres) {
  const Eigen::VectorXd p2 = points.rowwise().squaredNorm();
  const Eigen::VectorXd c2 = centres.rowwise().squaredNorm();
  Eigen::MatrixXd d = -2.0 * points * centres.transpose();
  d.colwise() += p2;
  d.rowwise() += c2.transpose();
  return d.cwiseMax(0.0);
}

}  // namespace

std::vector<int> NearestCentres(const Eigen::MatrixXd& points, const Eigen::MatrixXd& centres) {
  std::vector<int> nearest(points.rows(), -1);
  if (centres.rows() == 0) return nearest;
  const Eigen::MatrixXd d = SquaredDistances(points, centres);
  for (Eigen::Index i = 0; i < d.rows(); ++i) {
    Eigen::Index best;
    d.row(i).minCoeff(&best);
    nearest[i] = static_cast<int>(best);
  }
  return nearest;
}

KMeansResult KMeans(const Eigen::MatrixXd& points, int k, uint64_t seed, int max_iterations) {
  KMeansResult result;
  const Eigen::Index n = points.rows();
  const Eigen::Index dims = points.cols();
  if (n == 0 || k < 1) {
    result.centres.resize(0, dims);
    result.converged = true;
    return result;
  }
  std::mt19937_64 rng(seed);

  // k-means++ seeding (Arthur and Vassilvitskii 2007).
  std::vector<Eigen::Index> chosen;
  chosen.push_back(static_cast<Eigen::Index>(rng() % static_cast<uint64_t>(n)));
  Eigen::VectorXd min_d2 = (points.rowwise() - points.row(chosen[0])).rowwise().squaredNorm();
  while (static_cast<int>(chosen.size()) < k) {
    const double total = min_d2.sum();
    if (!(total > 0.0)) break;  // every point coincides with a centre: fewer distinct points than k
    const double target = Uniform01(rng) * total;
    double cumulative = 0.0;
    Eigen::Index pick = -1;
    for (Eigen::Index i = 0; i < n; ++i) {
      cumulative += min_d2(i);
      if (min_d2(i) > 0.0 && cumulative > target) {
        pick = i;
        break;
      }
    }
    if (pick < 0) {  // rounding at the end of the sum: take the last point with positive weight
      for (Eigen::Index i = n - 1; i >= 0; --i) {
        if (min_d2(i) > 0.0) {
          pick = i;
          break;
        }
      }
    }
    chosen.push_back(pick);
    min_d2 = min_d2.cwiseMin((points.rowwise() - points.row(pick)).rowwise().squaredNorm());
  }
  const int num_centres = static_cast<int>(chosen.size());
  result.centres.resize(num_centres, dims);
  for (int c = 0; c < num_centres; ++c) result.centres.row(c) = points.row(chosen[c]);

  // Lloyd iterations.
  result.assignment.assign(n, -1);
  for (int it = 0; it < max_iterations; ++it) {
    const Eigen::MatrixXd d = SquaredDistances(points, result.centres);
    bool changed = false;
    for (Eigen::Index i = 0; i < n; ++i) {
      Eigen::Index best;
      d.row(i).minCoeff(&best);
      if (result.assignment[i] != best) {
        result.assignment[i] = static_cast<int>(best);
        changed = true;
      }
    }
    result.iterations = it + 1;
    if (!changed) {
      result.converged = true;
      break;
    }
    Eigen::MatrixXd sums = Eigen::MatrixXd::Zero(num_centres, dims);
    std::vector<int> counts(num_centres, 0);
    for (Eigen::Index i = 0; i < n; ++i) {
      sums.row(result.assignment[i]) += points.row(i);
      ++counts[result.assignment[i]];
    }
    for (int c = 0; c < num_centres; ++c) {
      if (counts[c] > 0) {
        result.centres.row(c) = sums.row(c) / counts[c];
      } else {
        // Empty cluster: move it to the point farthest from its own centre.
        Eigen::Index far = 0;
        double far_d2 = -1.0;
        for (Eigen::Index i = 0; i < n; ++i) {
          if (d(i, result.assignment[i]) > far_d2) {
            far_d2 = d(i, result.assignment[i]);
            far = i;
          }
        }
        result.centres.row(c) = points.row(far);
      }
    }
  }
  return result;
}

Eigen::VectorXd NormalizePoseForPss(const Eigen::Vector3d* joints, int num_joints,
                                    const std::vector<joint_t>& root_joints) {
  Eigen::Vector3d root = Eigen::Vector3d::Zero();
  for (joint_t j : root_joints) root += joints[j];
  if (!root_joints.empty()) root /= static_cast<double>(root_joints.size());
  Eigen::VectorXd v(3 * num_joints);
  for (int j = 0; j < num_joints; ++j) v.segment<3>(3 * j) = joints[j] - root;
  const double norm = v.norm();
  if (norm > 0.0) v /= norm;
  return v;
}

PssResult PoseStructureScore(const Points3d& predicted, const Points3d& truth, const FrameJointArray<uint8_t>* valid,
                             int num_clusters, const std::vector<joint_t>& root_joints, uint64_t seed,
                             int max_iterations) {
  CheckShapes(predicted, truth, valid, root_joints);
  PssResult result;
  result.num_clusters_requested = num_clusters;
  const int num_joints = truth.num_joints();
  // Joints evaluated in no pose at all (e.g. a joint the labels never have) are left out of the
  // pose vectors; a pose is scored when every other joint is evaluated.
  std::vector<joint_t> joints;
  for (int j = 0; j < num_joints; ++j) {
    for (int n = 0; n < truth.num_frames(); ++n) {
      if (Evaluated(predicted, truth, valid, n, j)) {
        joints.push_back(j);
        break;
      }
    }
  }
  std::vector<int> poses;
  for (int n = 0; n < truth.num_frames(); ++n) {
    bool complete = true;
    for (size_t i = 0; i < joints.size() && complete; ++i) complete = Evaluated(predicted, truth, valid, n, joints[i]);
    for (joint_t j : root_joints) complete = complete && Evaluated(predicted, truth, valid, n, j);
    if (complete && !joints.empty()) poses.push_back(n);
  }
  result.num_poses = static_cast<int>(poses.size());
  if (poses.empty()) return result;
  const int num_used = static_cast<int>(joints.size());
  Eigen::MatrixXd gt(poses.size(), 3 * num_used), pred(poses.size(), 3 * num_used);
  std::vector<Eigen::Vector3d> buffer(num_joints);
  auto normalized = [&](const Points3d& source, int n) {
    Eigen::Vector3d root = Eigen::Vector3d::Zero();
    for (joint_t j : root_joints) root += source.at(n, j);
    if (!root_joints.empty()) root /= static_cast<double>(root_joints.size());
    for (int i = 0; i < num_used; ++i) buffer[i] = source.at(n, joints[i]) - root;
    return NormalizePoseForPss(buffer.data(), num_used, {});
  };
  for (size_t i = 0; i < poses.size(); ++i) {
    gt.row(i) = normalized(truth, poses[i]).transpose();
    pred.row(i) = normalized(predicted, poses[i]).transpose();
  }
  const KMeansResult clusters = KMeans(gt, num_clusters, seed, max_iterations);
  result.num_clusters = static_cast<int>(clusters.centres.rows());
  const std::vector<int> gt_cluster = NearestCentres(gt, clusters.centres);
  const std::vector<int> pred_cluster = NearestCentres(pred, clusters.centres);
  int same = 0;
  for (size_t i = 0; i < poses.size(); ++i) same += gt_cluster[i] == pred_cluster[i] ? 1 : 0;
  result.score = static_cast<double>(same) / static_cast<double>(poses.size());
  return result;
}

BodyPoseMetrics EvaluateBodyPoses(const Points3d& predicted, const Points3d& truth, const FrameJointArray<uint8_t>* valid,
                          const BodyPoseMetricsOptions& options) {
  options.Check();
  CheckShapes(predicted, truth, valid, options.root_joints);
  BodyPoseMetrics m;
  const FrameJointArray<double> root_errors =
      JointErrors(predicted, truth, valid, PoseAlignment::kRoot, options.root_joints);
  for (int n = 0; n < root_errors.num_frames(); ++n) {
    bool any = false;
    for (int j = 0; j < root_errors.num_joints(); ++j) {
      if (std::isfinite(root_errors.at(n, j))) {
        any = true;
        ++m.num_joints;
      }
    }
    m.num_poses += any ? 1 : 0;
  }
  m.mpjpe = MeanJointError(root_errors);
  m.per_joint_mpjpe = PerJointMeanError(root_errors);
  m.pck = Pck(root_errors, options.pck_threshold);
  m.auc = PckAuc(root_errors, options.auc_max_threshold, options.auc_num_thresholds);
  m.p_mpjpe =
      MeanJointError(JointErrors(predicted, truth, valid, PoseAlignment::kProcrustes, options.root_joints));
  m.n_mpjpe = MeanJointError(JointErrors(predicted, truth, valid, PoseAlignment::kScale, options.root_joints));
  for (int k : options.pss_num_clusters) {
    m.pss.push_back(PoseStructureScore(predicted, truth, valid, k, options.root_joints, options.pss_seed,
                                       options.pss_max_iterations));
  }
  return m;
}

}  // namespace epilabel
