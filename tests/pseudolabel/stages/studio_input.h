// Test helper of the stage tests: a studio scene as the keypoint input stage would read it.
#pragma once

#include "detection/synthetic/studio.h"
#include "pseudolabel/keypoint_input.h"

namespace epilabel {
namespace testing {

// Every detection of a studio as read from disk (every person of every view), COCO-17.
inline KeypointInput AsRead(const SyntheticScene& scene) {
  return KeypointInputFromMemory(scene.ToKeypointSequence(), "studio");
}

}  // namespace testing
}  // namespace epilabel
