// Stage 2: people into tracks. The keypoint input keeps every detected person per camera and
// frame; this stage decides which detections belong to which person over the whole sequence
// and returns one track per person: dense observations [camera][frame][joint] on the union of
// the cameras' frame numbers, the form every later stage (calibration, triangulation, labels)
// works on. One person is the trivial case: the most confident detection of each camera and
// frame makes the single track, exactly as the stages before association did.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "detection/skeleton.h"
#include "geometry/core/observations.h"
#include "pseudolabel/keypoint_input.h"

namespace epilabel {

// One person over the sequence.
struct PersonTrack {
  int id = 0;                            // stable over the sequence; 0-based in order of appearance
  const Skeleton* skeleton = nullptr;
  std::vector<std::string> camera_names; // the keypoint cameras, in order
  std::vector<int64_t> frame_numbers;    // frame number of each frame index
  Observations2d observations;           // [camera][frame][joint] (x px, y px, confidence); weight 0 = none

  int num_frames() const { return observations.num_frames(); }
  int num_cameras() const { return observations.num_cameras(); }
};

struct AssociationOptions {
  // How people become tracks. "single": one track from the most confident detection of every
  // camera and frame (the behaviour of one-person captures).
  std::string method = "single";

  // Throws InputError naming the key `association.method` for an unknown method.
  void Check() const;
};

struct PeopleSummary {
  std::string method;
  int num_tracks = 0;
  int64_t detections = 0;           // detected people over all cameras and frames
  int64_t assigned = 0;             // of which used by a track
  int64_t unmatched = 0;            // detected but in no track (never hidden: reported)
  int64_t views_with_several = 0;   // (camera, frame) pairs with more than one detected person
  int max_people_in_view = 0;       // most people detected by one camera in one frame
  std::string BriefReport() const;
};

struct Association {
  std::vector<PersonTrack> tracks;
  PeopleSummary summary;
};

// Every track's frames one after the other (frames where the track has no detection left
// out): one sequence that holds the correspondences of every person, for the self-calibration
// (more people, more correspondences). Frame numbers are those of the tracks, so they repeat
// across people. `tracks` must share cameras and joints.
PersonTrack PoolTracks(const std::vector<PersonTrack>& tracks);

// Turns the keypoints into tracks. Never throws for ordinary data; an input without any
// detection gives one empty track (the later stages say what is missing).
Association AssociatePeople(const KeypointInput& input, const AssociationOptions& options = {});

}  // namespace epilabel
