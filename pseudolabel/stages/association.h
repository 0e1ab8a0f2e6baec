// Stage 2: people into tracks. The keypoint input keeps every detected person per camera and
// frame; this stage decides which detections belong to which person over the whole sequence
// and returns one track per person: dense observations [camera][frame][joint] on the union of
// the cameras' frame numbers, the form every later stage (calibration, triangulation, labels)
// works on.
//
// Methods (geometry/association/):
//  - "single": the most confident detection of every camera and frame makes one track, exactly
//    as the stages did before association existed (and as fast);
//  - "calibrated": with a calibration, detections are matched across cameras per frame on
//    epipolar geometry, triangulated, and tracked in 3D over time;
//  - "uncalibrated": with intrinsics only (self-calibration), people are tracked in 2D per
//    camera and the 2D tracks are grouped across cameras by two-view geometry;
//  - "auto" (default): "single" when no camera ever sees more than one person, else
//    "calibrated" when the rig has extrinsics, else "uncalibrated".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "detection/skeleton.h"
#include "geometry/association/calibrated.h"
#include "geometry/association/detections.h"
#include "geometry/association/uncalibrated.h"
#include "geometry/core/camera.h"
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
  // Tracks pooled into one (PoolTracks): the id of the track each frame comes from; empty for a
  // track of one person.
  std::vector<int> frame_track_ids;

  int num_frames() const { return observations.num_frames(); }
  int num_cameras() const { return observations.num_cameras(); }
};

struct AssociationOptions {
  std::string method = "auto";             // auto | single | calibrated | uncalibrated (see above)
  CalibratedAssociationOptions calibrated;
  UncalibratedAssociationOptions uncalibrated;
  // Tracks with fewer (camera, frame) detections than this are dropped (their detections
  // counted as unmatched): a few frames of a passer-by make no labels.
  int min_track_views = 30;

  // Throws InputError naming the key `association.method` for an unknown method.
  void Check() const;
};

struct PeopleSummary {
  std::string method;               // the method used
  int num_tracks = 0;
  int64_t detections = 0;           // detected people over all cameras and frames
  int64_t assigned = 0;             // of which used by a track
  int64_t unmatched = 0;            // detected but in no track (never hidden: reported)
  int64_t views_with_several = 0;   // (camera, frame) pairs with more than one detected person
  int max_people_in_view = 0;       // most people detected by one camera in one frame
  int64_t uncertain_frames = 0;     // frames where a detection fitted two people or was released
  int births = 0, deaths = 0, reidentifications = 0;
  std::vector<std::string> notes;   // e.g. why a method could not be used
  std::string BriefReport() const;
};

struct Association {
  std::vector<PersonTrack> tracks;  // at least one (possibly empty) track
  PeopleSummary summary;
};

// One take's people summary added to that of every take so far (`all`): the counts summed, the
// most people in one view the larger, the method added when new ("a+b"), the take's notes
// prefixed by its path.
void AddTakeSummary(const PeopleSummary& take, const std::string& take_path, PeopleSummary* all);

// Turns the keypoints into tracks. An input of several takes (KeypointInput::takes) is
// associated take by take (no track spans two takes) and the tracks numbered on: take k's ids
// follow take k-1's; the summary adds the takes' up (its method "a+b" when they differ). `rig` (the keypoint cameras in order, see MatchCalibration)
// may be null; with extrinsics it allows "calibrated", with intrinsics "uncalibrated" (cameras
// with a size only get a focal length guessed from the image for association's sake). Never
// throws for ordinary data.
Association AssociatePeople(const KeypointInput& input, const AssociationOptions& options = {},
                            const Rig* rig = nullptr);

// Every detection of `keypoints` on the frame numbers `frame_numbers` (which must hold every
// frame number of the input, e.g. AllFrameNumbers()), detection d of a camera and frame being
// the d-th person listed there; joints with a weight <= 0 or not finite are missing.
MultiDetections ToMultiDetections(const KeypointSequence& keypoints, const std::vector<int64_t>& frame_numbers);

// What each take of a pooled input (KeypointInput::takes) gave a run.
struct TakeSummary {
  std::string path;
  int frames = 0;          // distinct frame numbers read
  int cameras = 0;         // cameras with keypoints in the take
  int people = 0;          // tracks of the association in the take
  int used_frames = 0;     // frames of the track the cameras came from (pooled: one per person and frame)
  std::string BriefReport() const;  // "PATH: 100 frames, 4 cameras, 2 people, 180 person-frames used"
};

// One entry per take of `input` (none when it holds no takes): `association`'s tracks and
// `used`'s frames counted in the take whose frame numbers hold them.
std::vector<TakeSummary> SummariseTakes(const KeypointInput& input, const Association& association,
                                        const PersonTrack& used);

// The cameras without their extrinsics: what a self-calibration may know when it associates
// people (an intrinsics file may be a full calibration whose poses are not to be trusted).
Rig WithoutExtrinsics(Rig rig);

// Every track's frames one after the other (frames where the track has no detection left
// out): one sequence that holds the correspondences of every person, for the self-calibration
// (more people, more correspondences). Frame numbers are those of the tracks, so they repeat
// across people. `tracks` must share cameras and joints.
PersonTrack PoolTracks(const std::vector<PersonTrack>& tracks);

// The single-person selection of the input (method "single"), or an empty track when
// `association` holds no track. Several takes: each take's selection, pooled (PoolTracks).
PersonTrack SinglePersonTrack(const KeypointInput& input, const Association& association);

}  // namespace epilabel
