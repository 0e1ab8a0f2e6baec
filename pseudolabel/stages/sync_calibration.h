// Stage: calibration of unsynchronised cameras (`calibrate --sync`), in memory. Coarse offsets
// first, then the offsets refined with the cameras (by default a search per camera; or jointly
// with them in a bundle adjustment, SyncStageOptions::fine).
//
// From the keypoints (CalibrateUnsynchronised with a KeypointInput): people cannot be associated
// across cameras by frame number while the offsets are unknown (a bystander or a second person
// plus a few frames of shift break the grouping), so
//   1. coarse offsets from the people's motion (EstimateOffsetsFromMotion) on the tracks of an
//      association with frames matched by number; a camera whose estimate there is not confident
//      (< min_confidence) takes the estimate on the single-person selection (the most confident
//      figure of every camera and frame) when that one is more confident;
//   2. each camera at the reference's frame rate has its frame numbers shifted by the whole
//      frames of that offset and the people are associated again; the shift is kept only when
//      more detections end in tracks seen by three cameras than before (a wrong shift makes the
//      2D tracks of different cameras agree less on their two-view geometry;
//      DetectionsInConfirmedTracks), or as many and it is 2 frames or more
//      (the motion estimates are biased by up to about a frame on short real captures); all
//      cameras together first, else one at a time; steps 1-2 repeat (up to three rounds) on
//      the shifted frame numbers while they propose and keep another shift. With one person in
//      every view (association "single") nothing is shifted;
//   3. then as from tracks (below), on the new tracks: what is left is under a frame, and the
//      offsets reported are the whole-frame shifts plus those residuals.
// From tracks (CalibrateUnsynchronised with tracks):
//   1. offsets from motion; a camera whose estimate is not confident (< min_confidence), or (with
//      several tracks and a fallback) differs by more than half a frame from the estimate on the
//      single-person selection, keeps offset 0 (with a note); every track resampled onto the
//      reference timeline;
//   2. the cameras self-calibrated on the resampled tracks (CalibrateFromTracks);
//   3. the offsets refined with those cameras, on the tracks of the people the cameras came
//      from (the single-person selection when CalibrateFromTracks kept it): with
//      SyncStageOptions::fine "adjust" jointly with the cameras in one bundle adjustment, every
//      offset a continuous parameter and the 2-D tracks interpolated in time
//      (AdjustOffsetsWithCalibration, sync_adjustment.h); with "search" one camera at a time
//      (RefineOffsetsWithCalibration: reprojection consistency as a function of each offset);
//      with "auto" the search taking every minimum and the adjustment, combined camera by
//      camera by their standard errors (CombineByStandardErrors; CameraOffset::choice says
//      which was taken and why; see SyncStageOptions::fine);
//   4. the cameras calibrated once more on the refined resampling. "search" keeps it; "adjust"
//      and "auto" keep it unless it fails, has a worse verdict than that of step 2 or a
//      leave-one-camera-out rotation over twice as large plus a degree (then the offsets of
//      step 1 and the cameras of step 2, a note on each camera).
// A refusal of step 1 (too little motion) leaves the tracks as given and is reported in `sync`;
// a failed step 2 stops after it.
#pragma once

#include <cstdint>
#include <vector>

#include "pseudolabel/keypoint_input.h"
#include "pseudolabel/stages/association.h"
#include "pseudolabel/stages/calibrate.h"
#include "pseudolabel/stages/sync.h"

namespace epilabel {

struct SyncCalibrationResult {
  SyncResult sync;                   // offsets (seconds) of every keypoint camera, method "calibrated"
                                     // after step 3, "motion" when the calibration failed
  CalibrateStageResult calibration;  // the cameras; rig[c].time_offset = sync offset (seconds)
  std::vector<PersonTrack> tracks;   // the tracks on the reference timeline
  PersonTrack used;                  // the track the cameras came from (CalibrateFromTracks)
  // From keypoints: the association on the shifted frame numbers, and the whole frames each
  // camera's frame numbers were shifted by before it (0: not shifted).
  Association association;
  std::vector<int64_t> shift_frames;
  double sync_seconds = 0.0;         // time in the offset estimates
};

// Offsets estimated with the cameras that are not sure of every camera (SyncResult::Verdict not
// "ok": a camera not estimated or below the verdict's confidence, or the offsets refused): the
// cameras may have been adjusted on a timeline wrong by frames, so a good `report` becomes check,
// the offsets' brief report among its reasons. Sure offsets leave it as it is.
void JudgeTimeOffsets(const SyncResult& sync, CalibrationReport* report);

// `intrinsics`: the keypoint cameras (ResolveIntrinsics); `tracks`: people with frames matched
// as given; `fallback`: the single-person selection for CalibrateFromTracks (may be empty: the
// pooled tracks only). Throws InputError for bad sync options (SyncStageOptions::Check).
SyncCalibrationResult CalibrateUnsynchronised(const Rig& intrinsics, const std::vector<PersonTrack>& tracks,
                                              const CalibrateStageOptions& calibrate,
                                              const SyncStageOptions& sync,
                                              const std::function<PersonTrack()>& fallback = {});

// From the keypoints as read (see the header comment): association, coarse offsets, whole-frame
// shifts, association again, then as from tracks.
SyncCalibrationResult CalibrateUnsynchronised(const Rig& intrinsics, const KeypointInput& input,
                                              const AssociationOptions& association,
                                              const CalibrateStageOptions& calibrate,
                                              const SyncStageOptions& sync);

// The people of one recording on the reference camera's timeline for known offsets
// (`sync.known_offsets_s`): the tracks CalibrateUnsynchronised with those offsets calibrates from
// (every camera put on the reference's rate first when several people are in view and the rates
// differ; each offset's whole frames shifted before the people are associated, the rest
// resampled), without calibrating. Throws InputError for bad sync options (wrong number of
// offsets) and std::invalid_argument when no offsets are given.
struct TracksAtOffsets {
  std::vector<PersonTrack> tracks;   // on the reference timeline (as SyncCalibrationResult::tracks)
  Association association;           // the people on the shifted frame numbers
  std::vector<int64_t> shift_frames; // whole frames each camera's frame numbers were shifted by
};
TracksAtOffsets TracksAtKnownOffsets(const Rig& intrinsics, const KeypointInput& input,
                                     const AssociationOptions& association, const SyncStageOptions& sync);

// Several takes of one rig recorded without synchronisation (an input of takes, LoadTakes): the
// cameras are started anew for every take, so each take has offsets of its own. Each take is
// synchronised and calibrated alone (CalibrateUnsynchronised on TakeInput; with the subject height,
// not track_heights_m, whose ids count over every take), its tracks end on its reference camera's
// timeline (frame numbers in the pooled numbering, the ids numbered on over the takes as
// AssociatePeople numbers them); then the cameras are calibrated once more from every take's
// tracks pooled (CalibrateFromTracks, no fallback). With sync.refine each take's offsets are then
// refined with those cameras (RefineOffsetsOfPeople), its tracks made again on them
// (TracksAtKnownOffsets, no calibration of the take) and the cameras calibrated once more from
// every take's, kept unless worse. The rig carries no time offsets: they belong to the takes.
struct TakesSyncCalibrationResult {
  std::vector<SyncResult> takes;     // each take's offsets, in take order
  CalibrateStageResult calibration;  // from every take's tracks
  std::vector<PersonTrack> tracks;   // every take's tracks on its reference timeline
  PersonTrack used;                  // the pooled track the cameras came from
  Association association;           // the takes' associations on the shifted frames, tracks numbered on
  double sync_seconds = 0.0;         // time in the takes' synchronisation and their own calibrations
};

// Throws InputError for bad sync options, or naming `sync.known_offsets_s` when offsets are given
// (they would be one recording's), and std::invalid_argument for an input without takes.
TakesSyncCalibrationResult CalibrateUnsynchronisedTakes(const Rig& intrinsics, const KeypointInput& input,
                                                        const AssociationOptions& association,
                                                        const CalibrateStageOptions& calibrate,
                                                        const SyncStageOptions& sync);

// The detections (camera and frame) of `people`'s tracks that at least three cameras see (every
// track's when there are fewer cameras): the measure the whole-frame shifts are judged by. Two
// cameras alone have no third view to confirm their pairing, and an uncalibrated pairing takes
// more partners the worse its cameras' tracks agree (the inlier threshold adapts to the measured
// noise, which a wrong shift raises): on the Pose2Sim balancing trial shifted by 0, -6.3, 11, 0.6
// frames, a bystander's pairing of two cameras (129 detections) holds while one camera is 6
// frames off and breaks once it is right, so all detections in tracks rated the right shift worse.
int64_t DetectionsInConfirmedTracks(const Association& people);

// The keypoints with camera c's frame numbers increased by shift_frames[c] (one per camera).
KeypointInput ShiftFrameNumbers(const KeypointInput& input, const std::vector<int64_t>& shift_frames);

// `sync --calib` with several people in view: every camera put on the reference's frame rate
// (OnReferenceRate), `motion` (EstimateTimeOffsetsOfPeople) gives every camera a whole-frame
// shift, the people are associated with the calibration `rig` on the shifted frame numbers
// (nearly simultaneous now), and the residual offsets are refined by reprojection on those
// tracks (RefineOffsetsWithCalibration); the result is the shifts plus the residuals.
SyncResult RefineOffsetsOfPeople(const KeypointInput& input, const Rig& rig, const SyncResult& motion,
                                 const AssociationOptions& association, const SyncStageOptions& sync);

}  // namespace epilabel
