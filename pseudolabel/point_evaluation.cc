#include "pseudolabel/point_evaluation.h"

#include <map>

#include "foundation/error.h"
#include "foundation/npz.h"
#include "geometry/metrics/metrics.h"

namespace epilabel {

TruthPoints ReadTruthPoints(const std::string& path) {
  const auto npz = ReadNpz(path);
  const NpyArray& p = RequireArray(npz, "points3d", 3, path);
  if (p.shape[2] != 3) throw InputError(path, "points3d must be [frames, joints, 3]");
  const std::vector<double> v = p.ToDoubles();
  TruthPoints t;
  t.points = Points3d(static_cast<int>(p.shape[0]), static_cast<int>(p.shape[1]));
  for (int f = 0; f < t.points.num_frames(); ++f)
    for (int j = 0; j < t.points.num_joints(); ++j) {
      const size_t k = (static_cast<size_t>(f) * t.points.num_joints() + j) * 3;
      t.points.at(f, j) = Eigen::Vector3d(v[k], v[k + 1], v[k + 2]);
    }
  if (auto it = npz.find("frame_numbers"); it != npz.end()) t.frame_numbers = it->second.ToInt64();
  if (t.frame_numbers.empty())
    for (int f = 0; f < t.points.num_frames(); ++f) t.frame_numbers.push_back(f);
  if (static_cast<int>(t.frame_numbers.size()) != t.points.num_frames())
    throw InputError(path, "frame_numbers has " + std::to_string(t.frame_numbers.size()) + " entries for " +
                               std::to_string(t.points.num_frames()) + " frames");
  return t;
}

namespace {

// The prediction on the truth's frames (NaN where it has no such frame); counts the matches.
Points3d PairFrames(const TruthPoints& truth, const PointsFile& prediction, int* matched) {
  std::map<int64_t, int> index;
  for (size_t i = 0; i < prediction.frame_numbers.size(); ++i) index[prediction.frame_numbers[i]] = static_cast<int>(i);
  Points3d p(truth.points.num_frames(), truth.points.num_joints());
  *matched = 0;
  for (int f = 0; f < truth.points.num_frames(); ++f) {
    const auto it = index.find(truth.frame_numbers[f]);
    if (it == index.end()) continue;
    ++*matched;
    for (int j = 0; j < truth.points.num_joints(); ++j) p.at(f, j) = prediction.points.at(it->second, j);
  }
  return p;
}

}  // namespace

PointEvaluation EvaluatePoints(const TruthPoints& truth, const PointsFile& prediction, const Skeleton& skeleton,
                               const std::string& prediction_name) {
  const Points3d& t = truth.points;
  const int nj = t.num_joints();
  if (prediction.points.num_joints() != nj)
    throw InputError(prediction_name, "has " + std::to_string(prediction.points.num_joints()) + " joints, the truth " +
                                          std::to_string(nj));
  PointEvaluation e;
  e.frames = t.num_frames();
  e.joints = nj;
  const Points3d p = PairFrames(truth, prediction, &e.matched_frames);
  if (e.matched_frames == 0) throw InputError(prediction_name, "no frame number in common with the truth");
  int64_t true_points = 0, found = 0;
  double sum = 0;
  std::vector<double> joint_sum(nj, 0.0);
  std::vector<int64_t> joint_count(nj, 0);
  for (int f = 0; f < t.num_frames(); ++f)
    for (int j = 0; j < nj; ++j) {
      if (!t.IsValid(f, j)) continue;
      ++true_points;
      if (!p.IsValid(f, j)) continue;
      ++found;
      const double d = (p.at(f, j) - t.at(f, j)).norm();
      sum += d;
      joint_sum[j] += d;
      ++joint_count[j];
    }
  if (found == 0)
    throw InputError(prediction_name, "no joint of the prediction is known where the truth is: nothing to evaluate");
  BodyPoseMetricsOptions mo;
  mo.root_joints = skeleton.root;
  mo.pss_num_clusters = {};
  const BodyPoseMetrics m = EvaluateBodyPoses(p, t, nullptr, mo);
  e.share_triangulated = true_points ? static_cast<double>(found) / true_points : kNaN;
  e.mpjpe_world_m = found ? sum / found : kNaN;
  e.mpjpe_m = m.mpjpe;
  e.p_mpjpe_m = m.p_mpjpe;
  e.pck150 = m.pck;
  e.auc = m.auc;
  for (int j = 0; j < nj; ++j) e.per_joint_world_m.push_back(joint_count[j] ? joint_sum[j] / joint_count[j] : kNaN);
  return e;
}

}  // namespace epilabel
