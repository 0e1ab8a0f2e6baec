#include "geometry/association/single_person.h"

namespace epilabel {

AssociationResult AssociateSinglePerson(const MultiDetections& detections) {
  AssociationResult result;
  Track track(0, detections.num_cameras(), detections.num_frames(), detections.num_joints());
  for (camera_t c = 0; c < detections.num_cameras(); ++c)
    for (frame_t f = 0; f < detections.num_frames(); ++f) {
      const int n = detections.NumDetections(c, f);
      if (n == 0) continue;
      detection_t best = 0;
      double best_confidence = -1.0;
      for (detection_t d = 0; d < n; ++d) {
        const double confidence = detections.TotalConfidence(c, f, d);
        if (confidence > best_confidence) {
          best_confidence = confidence;
          best = d;
        }
      }
      track.Assign(detections, c, f, best);
    }
  result.tracks.push_back(std::move(track));
  CountAssignments(detections, &result);
  return result;
}

}  // namespace epilabel
