// points3d.npz of several people (tracks). With one track the file is exactly the single-person
// layout of points_io.h; with more:
//   points3d        [frames, people, joints, 3] float64, world metres, NaN where unknown
//   reproj_error_px [frames, people, joints] float64 (NaN where unknown)
//   n_views         [frames, people, joints] int32
//   uncertainty_m   [frames, people, joints] float64 (when every track has it)
//   track_ids       [people] int32, the association's stable track ids
//   joint_names     [joints], frame_numbers [frames] int64 (shared by every track)
// The reader accepts both layouts (one person read from the 3-D layout gets track id 0).
#pragma once

#include <string>
#include <vector>

#include "detection/io/points_io.h"

namespace epilabel {

struct PeoplePoints {
  std::vector<int> track_ids;       // one per person
  std::vector<PointsFile> people;   // same frames, frame numbers and joint names for every person
};

// Throws std::invalid_argument when the people disagree in frames or joints.
void WritePeoplePointsNpz(const PeoplePoints& points, const std::string& path);
// Throws InputError naming the file for missing arrays or inconsistent shapes.
PeoplePoints ReadPeoplePointsNpz(const std::string& path);

}  // namespace epilabel
