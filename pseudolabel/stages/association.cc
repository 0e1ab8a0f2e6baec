#include "pseudolabel/stages/association.h"

#include <algorithm>
#include <map>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include "foundation/error.h"
#include "geometry/association/calibrated.h"
#include "geometry/association/detections.h"

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
Association SinglePersonTracks(const KeypointInput& input, PeopleSummary summary) {
  Association a;
  a.summary = std::move(summary);
  a.summary.method = "single";
  ObservationTable table = ToObservations(input.keypoints, PersonSelection::kMostConfident);
  PersonTrack track;
  track.id = 0;
  track.skeleton = input.skeleton;
  track.camera_names = input.camera_names;
  track.frame_numbers = std::move(table.frame_numbers);
  track.observations = std::move(table.observations);
  a.summary.assigned = 0;
  for (const CameraKeypoints& cam : input.keypoints.cameras)
    for (const std::vector<Person2d>& people : cam.people)
      if (!people.empty()) ++a.summary.assigned;
  a.summary.unmatched = a.summary.detections - a.summary.assigned;
  a.tracks.push_back(std::move(track));
  a.summary.num_tracks = 1;
  return a;
}

}  // namespace

MultiDetections ToMultiDetections(const KeypointSequence& keypoints, const std::vector<int64_t>& frame_numbers) {
  std::unordered_map<int64_t, frame_t> index_of;
  for (size_t i = 0; i < frame_numbers.size(); ++i) index_of[frame_numbers[i]] = static_cast<frame_t>(i);
  const int nj = keypoints.num_joints;
  std::vector<std::vector<std::vector<PersonJoints>>> people(
      keypoints.cameras.size(), std::vector<std::vector<PersonJoints>>(frame_numbers.size()));
  for (size_t c = 0; c < keypoints.cameras.size(); ++c) {
    const CameraKeypoints& cam = keypoints.cameras[c];
    for (size_t i = 0; i < cam.frame_numbers.size(); ++i) {
      auto& slot = people[c][static_cast<size_t>(index_of.at(cam.frame_numbers[i]))];
      for (const Person2d& person : cam.people[i]) {
        PersonJoints joints(static_cast<size_t>(nj), Eigen::Vector3d::Zero());
        for (int j = 0; j < nj && j < static_cast<int>(person.joints.size()); ++j)
          if (person.joints[j].allFinite() && person.joints[j].z() > 0.0) joints[j] = person.joints[j];
        slot.push_back(std::move(joints));
      }
    }
  }
  return MultiDetections(people, nj);
}

namespace {

bool HasIntrinsics(const Rig& rig) {
  return std::all_of(rig.begin(), rig.end(), [](const Camera& c) { return c.fx > 0 && c.fy > 0; });
}
bool HasExtrinsics(const Rig& rig) {
  return HasIntrinsics(rig) && std::all_of(rig.begin(), rig.end(), [](const Camera& c) { return c.has_extrinsics; });
}

// Cameras known by their image size only get a focal length of the larger image side and the
// principal point at the centre: enough to tell people apart by two-view geometry.
Rig GuessMissingIntrinsics(Rig rig) {
  for (Camera& c : rig) {
    if (c.fx > 0 && c.fy > 0) continue;
    c.fx = c.fy = std::max(c.width, c.height);
    c.cx = 0.5 * (c.width - 1);
    c.cy = 0.5 * (c.height - 1);
  }
  return rig;
}

std::string ChooseMethod(const AssociationOptions& options, const PeopleSummary& s, const Rig* rig,
                         std::vector<std::string>* notes) {
  if (options.method != "auto") return options.method;
  if (s.views_with_several == 0) return "single";
  if (rig != nullptr && HasExtrinsics(*rig)) return "calibrated";
  if (rig != nullptr && std::all_of(rig->begin(), rig->end(), [](const Camera& c) { return c.width > 0 && c.height > 0; }))
    return "uncalibrated";
  notes->push_back("several people are in view but the cameras are unknown: the most confident person of each view is "
                   "used");
  return "single";
}

// The geometry's tracks as pipeline tracks, leaving out those with too few detections.
Association ToPipelineTracks(const KeypointInput& input, const std::vector<int64_t>& frame_numbers,
                             const AssociationResult& result, const AssociationOptions& options, PeopleSummary summary) {
  Association a;
  a.summary = std::move(summary);
  for (const Track& t : result.tracks) {
    const int64_t views = t.NumAssigned();
    if (views < options.min_track_views) continue;
    PersonTrack track;
    track.id = t.id;
    track.skeleton = input.skeleton;
    track.camera_names = input.camera_names;
    track.frame_numbers = frame_numbers;
    track.observations = t.observations;
    a.summary.assigned += views;
    a.tracks.push_back(std::move(track));
  }
  a.summary.unmatched = a.summary.detections - a.summary.assigned;
  a.summary.num_tracks = static_cast<int>(a.tracks.size());
  a.summary.uncertain_frames = result.summary.num_uncertain_frames;
  a.summary.births = result.summary.num_births;
  a.summary.deaths = result.summary.num_deaths;
  a.summary.reidentifications = result.summary.num_reidentifications;
  return a;
}

// A note per camera whose people agree with the calibration much less than the others' do.
void NoteOutlyingCameras(const std::vector<std::string>& camera_names, const AssociationSummary& s,
                         std::vector<std::string>* notes) {
  for (const OutlyingCamera& c : OutlyingCameras(s.pair_epipolar_px, static_cast<int>(camera_names.size()))) {
    std::ostringstream ss;
    ss.precision(3);
    ss << camera_names[c.camera] << " disagrees with the calibration: its detections lie " << c.own_px
       << " px from the epipolar lines of the other cameras' (median), the other pairs " << c.others_px
       << " px; check that camera's calibration";
    notes->push_back(ss.str());
  }
}

// Several takes (KeypointInput::takes): each take's people associated alone, so that no track
// joins people of two takes; the tracks renumbered to follow the previous takes' ids, the
// summaries added up, each take's notes prefixed by its path.
Association AssociateTakes(const KeypointInput& input, const AssociationOptions& options, const Rig* rig) {
  Association all;
  int next_id = 0;
  for (size_t k = 0; k < input.takes.size(); ++k) {
    Association a = AssociatePeople(TakeInput(input, k), options, rig);
    int max_id = -1;
    for (PersonTrack& t : a.tracks) {
      if (t.num_frames() == 0) continue;
      max_id = std::max(max_id, t.id);
      t.id += next_id;
      all.tracks.push_back(std::move(t));
    }
    next_id += max_id + 1;
    AddTakeSummary(a.summary, input.takes[k].path, &all.summary);
  }
  if (all.tracks.empty()) all.tracks.emplace_back();
  return all;
}

}  // namespace

void AddTakeSummary(const PeopleSummary& take, const std::string& take_path, PeopleSummary* all) {
  bool known_method = false;
  for (size_t start = 0; start <= all->method.size() && !all->method.empty();) {
    const size_t end = std::min(all->method.find('+', start), all->method.size());
    known_method = known_method || all->method.compare(start, end - start, take.method) == 0;
    start = end + 1;
  }
  if (!known_method) all->method += (all->method.empty() ? "" : "+") + take.method;
  all->num_tracks += take.num_tracks;
  all->detections += take.detections;
  all->assigned += take.assigned;
  all->unmatched += take.unmatched;
  all->views_with_several += take.views_with_several;
  all->max_people_in_view = std::max(all->max_people_in_view, take.max_people_in_view);
  all->uncertain_frames += take.uncertain_frames;
  all->births += take.births;
  all->deaths += take.deaths;
  all->reidentifications += take.reidentifications;
  for (const std::string& note : take.notes) all->notes.push_back("take " + take_path + ": " + note);
}

void AssociationOptions::Check() const {
  if (method != "auto" && method != "single" && method != "calibrated" && method != "uncalibrated")
    throw InputError("association.method", "unknown method '" + method + "' (auto, single, calibrated, uncalibrated)");
  if (min_track_views < 0) throw InputError("association.min_track_views", "must be >= 0");
}

std::string PeopleSummary::BriefReport() const {
  std::ostringstream ss;
  ss << num_tracks << (num_tracks == 1 ? " track" : " tracks") << " (" << method << "), " << assigned << " of "
     << detections << " detections used";
  if (unmatched > 0) ss << ", " << unmatched << " unmatched";
  if (views_with_several > 0)
    ss << "; " << views_with_several << " views show several people (up to " << max_people_in_view << ")";
  if (uncertain_frames > 0) ss << "; " << uncertain_frames << " uncertain frames";
  for (const std::string& note : notes) ss << "; " << note;
  return ss.str();
}

Association AssociatePeople(const KeypointInput& input, const AssociationOptions& options, const Rig* rig) {
  options.Check();
  if (input.takes.size() > 1) return AssociateTakes(input, options, rig);
  PeopleSummary summary;
  CountDetections(input.keypoints, &summary);
  const std::string method = ChooseMethod(options, summary, rig, &summary.notes);
  if (method == "single") return SinglePersonTracks(input, std::move(summary));
  summary.method = method;
  const std::vector<int64_t> frame_numbers = input.keypoints.AllFrameNumbers();
  const MultiDetections detections = ToMultiDetections(input.keypoints, frame_numbers);
  AssociationResult result;
  try {
    if (method == "calibrated") {
      if (rig == nullptr || !HasExtrinsics(*rig)) throw std::invalid_argument("the calibration has no extrinsics");
      result = AssociateWithCalibration(*rig, detections, options.calibrated);
    } else {
      if (rig == nullptr) throw std::invalid_argument("no cameras are known");
      result = AssociateWithoutCalibration(GuessMissingIntrinsics(*rig), detections, options.uncalibrated);
    }
  } catch (const std::invalid_argument& e) {
    summary.notes.push_back(std::string("association '") + method + "' impossible (" + e.what() +
                            "): the most confident person of each view is used");
    return SinglePersonTracks(input, std::move(summary));
  }
  Association a = ToPipelineTracks(input, frame_numbers, result, options, std::move(summary));
  NoteOutlyingCameras(input.camera_names, result.summary, &a.summary.notes);
  if (a.tracks.empty()) {
    a.summary.notes.push_back("no person could be followed across cameras: the most confident person of each view is used");
    return SinglePersonTracks(input, std::move(a.summary));
  }
  return a;
}

std::string TakeSummary::BriefReport() const {
  std::ostringstream ss;
  ss << path << ": " << frames << " frames, " << cameras << " cameras, " << people << (people == 1 ? " person" : " people")
     << ", " << used_frames << " person-frames used";
  return ss.str();
}

std::vector<TakeSummary> SummariseTakes(const KeypointInput& input, const Association& association,
                                        const PersonTrack& used) {
  std::vector<TakeSummary> takes;
  for (const Take& t : input.takes) {
    TakeSummary s;
    s.path = t.path;
    s.frames = t.num_frames;
    s.cameras = t.num_cameras;
    takes.push_back(s);
  }
  if (takes.empty()) return takes;
  // Each track's take: the one holding most of its frames (a track resampled onto its take's
  // reference timeline, `calibrate --sync`, can reach a few frames into the neighbouring take).
  std::map<int, int> take_of_track;
  for (const PersonTrack& track : association.tracks) {
    std::vector<int> frames_in(takes.size(), 0);
    for (int64_t frame : track.frame_numbers) {
      const int k = TakeOfFrame(input, frame);
      if (k >= 0) ++frames_in[k];
    }
    const auto most = std::max_element(frames_in.begin(), frames_in.end());
    if (*most == 0) continue;
    take_of_track[track.id] = static_cast<int>(most - frames_in.begin());
    ++takes[take_of_track[track.id]].people;
  }
  for (size_t i = 0; i < used.frame_numbers.size(); ++i) {
    int k = TakeOfFrame(input, used.frame_numbers[i]);
    if (i < used.frame_track_ids.size() && take_of_track.count(used.frame_track_ids[i]))
      k = take_of_track[used.frame_track_ids[i]];
    if (k >= 0) ++takes[k].used_frames;
  }
  return takes;
}

Rig WithoutExtrinsics(Rig rig) {
  for (Camera& c : rig) {
    c.has_extrinsics = false;
    c.cam_from_world = Rigid3d();
  }
  return rig;
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
    pooled.frame_track_ids.push_back(t.id);
    for (camera_t c = 0; c < nc; ++c)
      for (joint_t j = 0; j < nj; ++j)
        pooled.observations.at(c, static_cast<frame_t>(r), j) = t.observations.at(c, rows[r].second, j);
  }
  return pooled;
}

PersonTrack SinglePersonTrack(const KeypointInput& input, const Association& association) {
  if (association.tracks.empty()) return {};
  AssociationOptions single;
  single.method = "single";
  const Association selected = AssociatePeople(input, single, nullptr);
  // Several takes: one selection per take, pooled.
  return selected.tracks.size() == 1 ? selected.tracks.front() : PoolTracks(selected.tracks);
}

}  // namespace epilabel
