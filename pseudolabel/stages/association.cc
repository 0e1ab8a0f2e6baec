#include "pseudolabel/stages/association.h"

#include <algorithm>
#include <sstream>

#include "foundation/error.h"

namespace epilabel {

namespace {

void CountDetections(const KeypointSequence& keypoints, PeopleSummary* s) {
  for (const CameraKeypoints& cam : keypoints.cameras)
    for (const std::vector<Person2d>& people : cam.people) {
      s->detections += static_cast<int64_t>(people.size());
      if (people.size() > 1) ++s->views_with_several;
      s->max_people_in_view = std::max(s->max_people_in_view, static_cast<int>(people.size()));
    }
}

// The most confident person of every camera and frame: one track.
Association SinglePersonTracks(const KeypointInput& input) {
  Association a;
  a.summary.method = "single";
  CountDetections(input.keypoints, &a.summary);
  ObservationTable table = ToObservations(input.keypoints, PersonSelection::kMostConfident);
  PersonTrack track;
  track.id = 0;
  track.skeleton = input.skeleton;
  track.camera_names = input.camera_names;
  track.frame_numbers = std::move(table.frame_numbers);
  track.observations = std::move(table.observations);
  for (const CameraKeypoints& cam : input.keypoints.cameras)
    for (const std::vector<Person2d>& people : cam.people)
      if (!people.empty()) ++a.summary.assigned;
  a.summary.unmatched = a.summary.detections - a.summary.assigned;
  a.tracks.push_back(std::move(track));
  a.summary.num_tracks = 1;
  return a;
}

}  // namespace

void AssociationOptions::Check() const {
  if (method != "single") throw InputError("association.method", "unknown method '" + method + "' (single)");
}

std::string PeopleSummary::BriefReport() const {
  std::ostringstream ss;
  ss << num_tracks << (num_tracks == 1 ? " track" : " tracks") << " (" << method << "), " << assigned << " of "
     << detections << " detections used";
  if (unmatched > 0) ss << ", " << unmatched << " unmatched";
  if (views_with_several > 0)
    ss << "; " << views_with_several << " views show several people (up to " << max_people_in_view << ")";
  return ss.str();
}

PersonTrack PoolTracks(const std::vector<PersonTrack>& tracks) {
  PersonTrack pooled;
  if (tracks.empty()) return pooled;
  const PersonTrack& first = tracks.front();
  pooled.id = first.id;
  pooled.skeleton = first.skeleton;
  pooled.camera_names = first.camera_names;
  // The (track, frame) pairs with at least one detection.
  std::vector<std::pair<size_t, frame_t>> rows;
  for (size_t t = 0; t < tracks.size(); ++t)
    for (frame_t f = 0; f < tracks[t].num_frames(); ++f) {
      bool seen = false;
      for (camera_t c = 0; c < tracks[t].num_cameras() && !seen; ++c)
        for (joint_t j = 0; j < tracks[t].observations.num_joints() && !seen; ++j)
          seen = tracks[t].observations.IsObserved(c, f, j);
      if (seen) rows.emplace_back(t, f);
    }
  const int nc = first.num_cameras(), nj = first.observations.num_joints();
  pooled.observations = Observations2d(nc, static_cast<int>(rows.size()), nj);
  for (size_t r = 0; r < rows.size(); ++r) {
    const PersonTrack& t = tracks[rows[r].first];
    pooled.frame_numbers.push_back(t.frame_numbers[rows[r].second]);
    for (camera_t c = 0; c < nc; ++c)
      for (joint_t j = 0; j < nj; ++j)
        pooled.observations.at(c, static_cast<frame_t>(r), j) = t.observations.at(c, rows[r].second, j);
  }
  return pooled;
}

Association AssociatePeople(const KeypointInput& input, const AssociationOptions& options) {
  options.Check();
  return SinglePersonTracks(input);
}

}  // namespace epilabel
