// 3D joints against a ground truth (`epilabel eval3d`): frames paired by frame number, the
// absolute world error (no alignment), root-relative and Procrustes-aligned errors, PCK and
// per-joint errors.
#pragma once

#include <string>
#include <vector>

#include "detection/io/points_io.h"
#include "detection/skeleton.h"
#include "geometry/core/observations.h"

namespace epilabel {

// The truth: points3d [frames, joints, 3] (world metres) of a gt.npz or a points3d.npz, with its
// frame numbers (0.. when the file has none). Throws InputError naming the file.
struct TruthPoints {
  Points3d points;
  std::vector<int64_t> frame_numbers;
};
TruthPoints ReadTruthPoints(const std::string& path);

struct PointEvaluation {
  int frames = 0, matched_frames = 0, joints = 0;
  double share_triangulated = kNaN;      // of the true joints, found in the prediction
  double mpjpe_world_m = kNaN;           // no alignment
  double mpjpe_m = kNaN, p_mpjpe_m = kNaN, pck150 = kNaN, auc = kNaN;
  std::vector<double> per_joint_world_m; // per joint, no alignment
};

// Throws InputError naming `prediction_name` when the joint counts differ or no frame number is
// shared.
PointEvaluation EvaluatePoints(const TruthPoints& truth, const PointsFile& prediction, const Skeleton& skeleton,
                               const std::string& prediction_name);

}  // namespace epilabel
