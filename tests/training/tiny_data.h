// Small toy datasets for the lifter tests (COCO-17 toy motion seen by a ring of cameras).
#pragma once

#include <string>
#include <vector>

#include "pseudolabel/dataset.h"
#include "tests/pseudolabel/toy_scene.h"

namespace epilabel::testing {

// `sequences` toy sequences of `frames` frames seen by 3 cameras, 1 px 2D noise.
inline LabelDataset ToySequences(int sequences, int frames, uint64_t first_seed, const std::string& prefix) {
  std::vector<LabelDataset> parts;
  for (int i = 0; i < sequences; ++i)
    parts.push_back(ToyDataset(3, frames, first_seed + i, prefix + std::to_string(i), 1.0));
  return MergeDatasets(parts);
}

// MPJPE (mm) of always predicting the mean root-relative pose of `train` on `test`.
inline double MeanPoseBaselineMm(const LabelDataset& train, const LabelDataset& test) {
  const int j = train.num_joints();
  std::vector<Eigen::Vector3d> mean(j, Eigen::Vector3d::Zero());
  for (int s = 0; s < train.num_samples(); ++s)
    for (int k = 0; k < j; ++k) mean[k] += train.points3d_cam[train.Index(s, k)] - train.root_cam[s];
  for (auto& m : mean) m /= train.num_samples();
  double sum = 0.0;
  for (int s = 0; s < test.num_samples(); ++s)
    for (int k = 0; k < j; ++k) sum += (test.points3d_cam[test.Index(s, k)] - test.root_cam[s] - mean[k]).norm();
  return 1e3 * sum / (test.num_samples() * j);
}

}  // namespace epilabel::testing
