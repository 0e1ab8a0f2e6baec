// The benches' shared scene: the studio's ring8 rig (eight cameras around one person, the
// default CMU motion and Gaussian detector), synthesised once per frame count and kept for the
// process (a bench's iterations then measure the code, not the synthesis). Needs
// EPILABEL_DATA_DIR (the motion files), set by the bench's CMake target.
#pragma once

#include <map>

#include "detection/synthetic/studio.h"

namespace epilabel::bench {

inline const SyntheticScene& Ring8Scene(int frames) {
  static std::map<int, SyntheticScene> cache;
  auto it = cache.find(frames);
  if (it == cache.end()) {
    StudioOptions so;
    so.rig = "ring8";
    so.num_frames = frames;
    so.data_dir = EPILABEL_DATA_DIR;
    it = cache.emplace(frames, Synthesize(so)).first;
  }
  return it->second;
}

}  // namespace epilabel::bench
