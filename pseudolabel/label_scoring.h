// Scores against a known truth (the synthetic studio's): pseudo-labels in camera frames and
// triangulated world points. Used by `epilabel demo` and the benchmarks.
#pragma once

#include <string>
#include <vector>

#include "geometry/core/camera.h"
#include "geometry/core/observations.h"
#include "pseudolabel/dataset.h"

namespace epilabel {

// Labels against the truth, each sample in its camera's frame (true camera, true points).
struct LabelScore {
  int samples = 0;
  double abs_mm = kNaN;      // mean distance of the valid joints, no alignment (camera frame)
  double mpjpe_mm = kNaN;    // root-relative
  double n_mpjpe_mm = kNaN;  // root-relative after a scale fit
  double share_valid = kNaN; // valid joints / all joints of all samples
};

// `true_rig` and `true_points` [frame][joint] (world metres) are the truth; samples are matched
// to cameras by name and to frames by frame number == frame index. Throws InputError naming the
// dataset camera that the rig lacks.
LabelScore ScoreLabels(const LabelDataset& labels, const Rig& true_rig, const Points3d& true_points,
                       const std::vector<joint_t>& root_joints);

// Mean distance (metres) between two point sequences over the points both know; NaN if none.
double MeanPointDistance(const Points3d& a, const Points3d& b);

// Indices of the samples whose frame lies in [first, last).
std::vector<int> SamplesInFrames(const LabelDataset& labels, int64_t first, int64_t last);

}  // namespace epilabel
