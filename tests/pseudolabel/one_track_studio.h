// One person on the four-camera studio (h36m4, 90 frames, seed 3, no outliers, swaps or missing
// joints), its own detections as one track: the scene the triangulate-stage and label tests
// hide joints in.
#pragma once

#include "detection/skeleton.h"
#include "detection/synthetic/studio.h"
#include "pseudolabel/stages/association.h"
#include "tests/testing.h"

namespace epilabel::testing {

struct OneTrack {
  SyntheticScene scene;
  PersonTrack track;
};

inline OneTrack OneTrackStudio() {
  StudioOptions o;
  o.rig = "h36m4";
  o.num_frames = 90;
  o.outlier_rate = 0;
  o.swap_rate = 0;
  o.missing_rate = 0;
  o.seed = 3;
  o.data_dir = SourceDir() + "/data";
  OneTrack t;
  t.scene = Synthesize(o);
  t.track.id = 0;
  t.track.skeleton = &GetSkeleton("coco17");
  for (const Camera& c : t.scene.rig) t.track.camera_names.push_back(c.name);
  t.track.frame_numbers = t.scene.frame_numbers;
  t.track.observations = t.scene.observations;
  return t;
}

}  // namespace epilabel::testing
