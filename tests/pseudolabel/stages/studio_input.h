// Test helper of the stage tests: a studio scene as the keypoint input stage would read it.
#pragma once

#include "detection/synthetic/studio.h"
#include "pseudolabel/keypoint_input.h"
#include "tests/testing.h"

namespace epilabel {
namespace testing {

// Every detection of a studio as read from disk (every person of every view), COCO-17.
inline KeypointInput AsRead(const SyntheticScene& scene) {
  return KeypointInputFromMemory(scene.ToKeypointSequence(), "studio");
}

// A studio of `num_people` people on `rig` ("h36m4", "ring8", ...), the shipped motion data,
// the studio's defaults otherwise (the caller sets heights, offsets, the detector).
inline StudioOptions PeopleStudio(const std::string& rig, int num_frames, int num_people, uint64_t seed) {
  StudioOptions o;
  o.rig = rig;
  o.num_frames = num_frames;
  o.num_people = num_people;
  o.seed = seed;
  o.data_dir = SourceDir() + "/data";
  return o;
}

}  // namespace testing
}  // namespace epilabel
