// Test helper of the stage tests: a studio scene as the keypoint input stage would read it.
#pragma once

#include "detection/skeleton.h"
#include "detection/synthetic/studio.h"
#include "pseudolabel/keypoint_input.h"

namespace epilabel {
namespace testing {

// Every detection of a studio as read from disk (every person of every view), COCO-17.
inline KeypointInput AsRead(const SyntheticScene& scene) {
  KeypointInput input;
  input.path = "studio";
  input.keypoints = scene.ToKeypointSequence();
  input.skeleton = &GetSkeleton("coco17");
  for (const CameraKeypoints& camera : input.keypoints.cameras) input.camera_names.push_back(camera.name);
  return input;
}

}  // namespace testing
}  // namespace epilabel
