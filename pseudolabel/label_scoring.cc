#include "pseudolabel/label_scoring.h"

#include <map>

#include "foundation/error.h"
#include "geometry/metrics/metrics.h"

namespace epilabel {

LabelScore ScoreLabels(const LabelDataset& d, const Rig& true_rig, const Points3d& true_points,
                       const std::vector<joint_t>& root_joints) {
  LabelScore s;
  std::map<std::string, int> cam_index;
  for (size_t c = 0; c < true_rig.size(); ++c) cam_index[true_rig[c].name] = static_cast<int>(c);
  const int n = d.num_samples(), nj = d.num_joints();
  Points3d pred(n, nj), truth(n, nj);
  FrameJointArray<uint8_t> valid(n, nj, 0);
  double abs_sum = 0;
  int64_t valid_n = 0;
  for (int i = 0; i < n; ++i) {
    const auto cam = cam_index.find(d.camera_names[d.camera[i]]);
    if (cam == cam_index.end()) throw InputError("labels", "camera '" + d.camera_names[d.camera[i]] + "' is not in the truth");
    const frame_t f = static_cast<frame_t>(d.frame[i]);
    for (joint_t j = 0; j < nj; ++j) {
      truth.at(i, j) = true_rig[cam->second].cam_from_world * true_points.at(f, j);
      const size_t k = d.Index(i, j);
      if (!d.valid[k]) continue;
      pred.at(i, j) = d.points3d_cam[k];
      valid.at(i, j) = 1;
      abs_sum += (pred.at(i, j) - truth.at(i, j)).norm();
      ++valid_n;
    }
  }
  s.samples = n;
  if (n == 0) return s;
  BodyPoseMetricsOptions mo;
  mo.root_joints = root_joints;
  mo.pss_num_clusters = {};
  // Root-relative metrics need the root joints labelled; the validity mask covers the rest.
  const BodyPoseMetrics m = EvaluateBodyPoses(pred, truth, &valid, mo);
  s.abs_mm = valid_n ? 1000 * abs_sum / static_cast<double>(valid_n) : kNaN;
  s.mpjpe_mm = 1000 * m.mpjpe;
  s.n_mpjpe_mm = 1000 * m.n_mpjpe;
  s.share_valid = static_cast<double>(valid_n) / (static_cast<double>(n) * nj);
  return s;
}

double MeanPointDistance(const Points3d& a, const Points3d& b) {
  double sum = 0;
  int64_t n = 0;
  for (frame_t f = 0; f < a.num_frames(); ++f)
    for (joint_t j = 0; j < a.num_joints(); ++j)
      if (a.IsValid(f, j) && b.IsValid(f, j)) {
        sum += (a.at(f, j) - b.at(f, j)).norm();
        ++n;
      }
  return n ? sum / static_cast<double>(n) : kNaN;
}

std::vector<int> SamplesInFrames(const LabelDataset& labels, int64_t first, int64_t last) {
  std::vector<int> rows;
  for (int i = 0; i < labels.num_samples(); ++i)
    if (labels.frame[i] >= first && labels.frame[i] < last) rows.push_back(i);
  return rows;
}

}  // namespace epilabel
