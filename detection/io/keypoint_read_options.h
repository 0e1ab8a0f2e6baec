// Options shared by every keypoint reader (see keypoint_io.h).
#pragma once

#include <string>
#include <vector>

#include "foundation/progress.h"

namespace epilabel {

struct KeypointReadOptions {
  // Skeleton name; empty = guess from the joint count (see GuessSkeleton).
  std::string skeleton;
  // Only these camera folders (empty = all sub-folders, sorted by name).
  std::vector<std::string> cameras;
  ProgressCallback progress;
};

}  // namespace epilabel
