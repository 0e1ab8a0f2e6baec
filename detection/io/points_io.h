// 3D point outputs.
//
// points3d.npz: `points3d` [frames, joints, 3] float64, world metres, NaN where unknown;
// `reproj_error_px` [frames, joints] (NaN where unknown); `n_views` [frames, joints] int32;
// `joint_names` [joints]; `frame_numbers` [frames] int64; optional `uncertainty_m`
// [frames, joints].
// CSV in Anipose's layout: one row per frame, columns <joint>_x, <joint>_y, <joint>_z,
// <joint>_error, <joint>_ncams, <joint>_score, then fnum.
// TRC: OpenSim marker file (millimetres by default, Y up as OpenSim expects).
#pragma once

#include <string>
#include <vector>

#include "geometry/core/observations.h"

namespace epilabel {

struct PointsFile {
  Points3d points;                              // world metres
  FrameJointArray<double> reproj_error_px;      // NaN where unknown
  FrameJointArray<int32_t> n_views;             // 0 where unknown
  FrameJointArray<double> uncertainty_m;        // optional; empty when absent
  std::vector<std::string> joint_names;
  std::vector<int64_t> frame_numbers;
};

void WritePointsNpz(const PointsFile& points, const std::string& path);
// Throws InputError for missing arrays or inconsistent shapes.
PointsFile ReadPointsNpz(const std::string& path);

void WriteAniposeCsv(const PointsFile& points, const std::string& path);

struct TrcOptions {
  double fps = 30.0;
  bool millimetres = true;  // OpenSim's usual unit
  bool y_up = true;         // rotate our z-up world to OpenSim's y-up
};
void WriteTrc(const PointsFile& points, const std::string& path, const TrcOptions& options = {});

}  // namespace epilabel
