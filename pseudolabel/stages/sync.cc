#include "pseudolabel/stages/sync.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <vector>

#include "detection/keypoint_timing.h"
#include "foundation/error.h"
#include "geometry/association/uncalibrated.h"

namespace epilabel {

namespace {

std::string Number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

}  // namespace

void SyncStageOptions::Check(const std::vector<std::string>& camera_names) const {
  const size_t n = camera_names.size();
  if (!fps.empty() && fps.size() != n) {
    throw InputError("fps", "needs one frame rate for every camera (" + std::to_string(n) + "), got " +
                                std::to_string(fps.size()));
  }
  for (double rate : fps) {
    if (!(rate > 0.0 && rate <= 10000.0)) throw InputError("fps", "frame rates must be in (0, 10000], got " + Number(rate));
  }
  if (!(default_fps > 0.0 && default_fps <= 10000.0)) {
    throw InputError("fps", "the frame rate must be in (0, 10000], got " + Number(default_fps));
  }
  if (fine != "adjust" && fine != "search" && fine != "auto")
    throw InputError("fine", "must be auto, adjust or search, got '" + fine + "'");
  if (!(disagreement_se > 0.0 && std::isfinite(disagreement_se)))
    throw InputError("disagreement_se", "must be a positive number, got " + Number(disagreement_se));
  if (!known_offsets_s.empty() && known_offsets_s.size() != n) {
    throw InputError("known_offsets_s", "needs one offset for every camera (" + std::to_string(n) + "), got " +
                                            std::to_string(known_offsets_s.size()));
  }
  for (double v : known_offsets_s) {
    if (!std::isfinite(v)) throw InputError("known_offsets_s", "offsets must be finite, got " + Number(v));
  }
  (void)ReferenceIndex(camera_names);
}

std::vector<double> SyncStageOptions::CameraFps(int num_cameras) const {
  return fps.empty() ? std::vector<double>(num_cameras, default_fps) : fps;
}

int SyncStageOptions::ReferenceIndex(const std::vector<std::string>& camera_names) const {
  if (reference.empty()) return 0;
  for (size_t c = 0; c < camera_names.size(); ++c) {
    if (camera_names[c] == reference) return static_cast<int>(c);
  }
  std::string names;
  for (const std::string& name : camera_names) names += (names.empty() ? "" : ", ") + name;
  throw InputError("reference", "no camera named '" + reference + "' (cameras: " + names + ")");
}

std::vector<double> CameraFpsWithTimestamps(const SyncStageOptions& options, const KeypointInput& input) {
  std::vector<double> fps = options.CameraFps(input.num_cameras());
  const std::vector<double> measured = input.MeasuredFps();
  for (size_t c = 0; c < fps.size() && c < measured.size(); ++c) {
    if (measured[c] > 0.0) fps[c] = measured[c];
  }
  return fps;
}

SyncInput MakeSyncInput(const std::vector<PersonTrack>& tracks, const std::vector<double>& fps, int reference) {
  SyncInput input;
  input.fps = fps;
  input.reference = reference;
  for (const PersonTrack& track : tracks) {
    if (track.num_frames() > 0) input.tracks.push_back(track.observations);
  }
  return input;
}

SyncResult EstimateTimeOffsets(const std::vector<PersonTrack>& tracks, const SyncStageOptions& options,
                               const Rig* rig) {
  if (tracks.empty()) return SyncResult{};
  const std::vector<std::string>& names = tracks.front().camera_names;
  options.Check(names);
  const SyncInput input = MakeSyncInput(tracks, options.CameraFps(static_cast<int>(names.size())),
                                        options.ReferenceIndex(names));
  SyncResult result = EstimateOffsetsFromMotion(input, options.motion);
  bool calibrated = rig != nullptr && options.refine && rig->size() == names.size();
  for (size_t c = 0; calibrated && c < rig->size(); ++c) calibrated = (*rig)[c].has_extrinsics;
  if (result.success && calibrated) result = RefineOffsetsWithCalibration(*rig, input, result, options.calibrated);
  return result;
}

namespace {

// Camera c's 2D tracks as single-camera observations over the input's frames.
std::vector<std::vector<Observations2d>> CameraViews(const MultiDetections& detections,
                                                     const std::vector<UncalibratedAssociationDetails::Tracklet2d>& tracks) {
  std::vector<std::vector<Observations2d>> views(detections.num_cameras());
  for (const auto& t : tracks) {
    Observations2d track(1, detections.num_frames(), detections.num_joints());
    for (const auto& [f, d] : t.items) {
      const Eigen::Vector3d* joints = detections.Joints(t.camera, f, d);
      for (int j = 0; j < detections.num_joints(); ++j) track.at(0, f, j) = joints[j];
    }
    views[t.camera].push_back(std::move(track));
  }
  return views;
}

}  // namespace

SyncResult EstimateTimeOffsetsOfPeople(const KeypointInput& input, const SyncStageOptions& options,
                                       const UncalibratedAssociationOptions& tracking) {
  options.Check(input.camera_names);
  const MultiDetections detections = ToMultiDetections(input.keypoints, input.keypoints.AllFrameNumbers());
  UnassociatedSyncInput sync;
  sync.views = CameraViews(detections, TrackPeopleInEachCamera(detections, tracking));
  sync.fps = options.CameraFps(input.num_cameras());
  sync.reference = options.ReferenceIndex(input.camera_names);
  return EstimateOffsetsFromUnassociatedMotion(sync, options.motion);
}

KeypointInput OnReferenceRate(const KeypointInput& input, const SyncStageOptions& options,
                              const UncalibratedAssociationOptions& tracking) {
  options.Check(input.camera_names);
  const std::vector<double> fps = options.CameraFps(input.num_cameras());
  const double reference_fps = fps[options.ReferenceIndex(input.camera_names)];
  if (std::all_of(fps.begin(), fps.end(), [&](double rate) { return rate == reference_fps; })) return input;
  const std::vector<int64_t> numbers = input.keypoints.AllFrameNumbers();
  const MultiDetections detections = ToMultiDetections(input.keypoints, numbers);
  const auto tracks = TrackPeopleInEachCamera(detections, tracking);
  // Each detection's 2D track: [camera][frame number] -> track per detection (-1: none).
  std::vector<std::map<int64_t, std::vector<int>>> track_of(input.num_cameras());
  for (size_t k = 0; k < tracks.size(); ++k) {
    for (const auto& [f, d] : tracks[k].items) {
      std::vector<int>& ids = track_of[tracks[k].camera][numbers[f]];
      if (ids.size() <= static_cast<size_t>(d)) ids.resize(d + 1, -1);
      ids[d] = static_cast<int>(k);
    }
  }
  KeypointInput out = input;
  for (int c = 0; c < input.num_cameras(); ++c) {
    if (fps[c] == reference_fps) continue;
    CameraKeypoints camera = input.keypoints.cameras[c];
    const bool timed = !camera.timestamps_s.empty();
    for (size_t i = 0; i < camera.frame_numbers.size(); ++i) {
      const auto found = track_of[c].find(camera.frame_numbers[i]);
      for (size_t p = 0; p < camera.people[i].size(); ++p) {
        camera.people[i][p].track_id =
            found != track_of[c].end() && p < found->second.size() ? found->second[p] : -1;
      }
      if (!timed) {
        const auto at = std::lower_bound(numbers.begin(), numbers.end(), camera.frame_numbers[i]);
        camera.timestamps_s.push_back(static_cast<double>(at - numbers.begin()) / fps[c]);
      }
    }
    out.keypoints.cameras[c] = OnEvenlySpacedFrames(camera, reference_fps);
  }
  return out;
}

bool NeedsResampling(const std::vector<double>& offsets_s, const std::vector<double>& fps, int reference) {
  for (size_t c = 0; c < offsets_s.size(); ++c) {
    if (offsets_s[c] != 0.0 || fps[c] != fps[reference]) return true;
  }
  return false;
}

void ResampleTracks(const std::vector<double>& offsets_s, const std::vector<double>& fps, int reference,
                    std::vector<PersonTrack>* tracks) {
  if (!NeedsResampling(offsets_s, fps, reference)) return;
  std::vector<double> relative = offsets_s;
  for (double& offset : relative) offset -= offsets_s[reference];
  for (PersonTrack& track : *tracks) {
    track.observations = ResampleToReference(track.observations, relative, fps, fps[reference], track.num_frames());
  }
}

SyncResult GivenOffsets(const std::vector<double>& offsets_s, const std::vector<double>& fps, int reference,
                        const std::vector<double>& confidence) {
  SyncResult out;
  out.success = true;
  out.method = "given";
  out.reference = reference;
  out.reference_fps = fps[reference];
  out.cameras.resize(offsets_s.size());
  for (size_t c = 0; c < offsets_s.size(); ++c) {
    CameraOffset& o = out.cameras[c];
    o.offset_s = offsets_s[c] - offsets_s[reference];
    o.offset_frames = o.offset_s * out.reference_fps;
    o.estimated = static_cast<int>(c) != reference;
    o.confidence = confidence.empty() ? 1.0 : confidence[c];
  }
  return out;
}

}  // namespace epilabel
