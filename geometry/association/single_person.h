// The single-person case: one track made of the most confident detection of every camera and
// frame (what the pipeline did before association existed).
#pragma once

#include "geometry/association/detections.h"

namespace epilabel {

// One track (id 0) holding, per camera and frame, the detection with the highest total
// confidence (the first one on ties; frames without detections stay empty): exactly the
// kMostConfident selection of detection/keypoints.h. Every other detection is unmatched.
// Always returns one track, also when there is no detection at all.
AssociationResult AssociateSinglePerson(const MultiDetections& detections);

}  // namespace epilabel
