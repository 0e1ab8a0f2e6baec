// Stage: unsynchronised cameras. Estimates each camera's time offset from the people's tracks
// (geometry/sync/: from motion, then refined with a calibration when there is one) and applies
// offsets by resampling every track onto the reference camera's timeline, so that the later
// stages (calibration, triangulation, labels) see synchronised cameras.
//
// Frames: a track's frame index f of camera c is taken at time f / fps[c] (frames consecutive
// from the first). Offsets in seconds, the convention of geometry/sync/time_offsets.h.
#pragma once

#include <string>
#include <vector>

#include "geometry/core/camera.h"
#include "geometry/sync/calibrated_sync.h"
#include "geometry/sync/motion_sync.h"
#include "pseudolabel/stages/association.h"
#include "pseudolabel/stages/sync_adjustment.h"

namespace epilabel {

struct SyncStageOptions {
  std::vector<double> fps;      // frames per second of each keypoint camera; empty: default_fps for all
  double default_fps = 30.0;
  std::string reference;        // camera name; empty: the first camera
  bool refine = true;           // refine with the calibration when the rig has extrinsics
  // calibrate --sync (sync_calibration.h): a motion estimate less sure than this leaves the
  // camera at offset 0 (and unshifted before association)
  double min_confidence = 0.2;
  // calibrate --sync: how the offsets are refined once there are cameras: "search" (a 1-D search
  // per camera, RefineOffsetsWithCalibration; a camera whose cost valley is shallow keeps its
  // start), "adjust" (jointly with the cameras in a bundle adjustment, sync_adjustment.h) or
  // "auto" (default): the search taking every minimum but one the epipolar check contradicts
  // (keep_unsure, twice the interval; a contradicted camera gets confidence 0) and the
  // adjustment, combined camera by camera by their standard errors (CombineByStandardErrors:
  // the inverse-variance mean when they agree within disagreement_se combined standard errors,
  // else the one with the smaller standard error; CameraOffset::choice says which), then one
  // calibration on the combined offsets, kept unless it is worse than the start's.
  std::string fine = "auto";
  // auto: two estimates further apart than this many combined standard errors are not averaged
  // (one is biased): the one with the smaller standard error is taken. Two unbiased estimates are
  // further apart than 2 combined standard errors 5 % of the time, than 1 a third of the time.
  double disagreement_se = 2.0;
  // calibrate --sync with known offsets (seconds, one per keypoint camera, the reference's 0;
  // empty: estimated): nothing is estimated, the cameras are calibrated on the tracks shifted
  // and resampled by these offsets (an oracle for measuring what the estimate costs).
  std::vector<double> known_offsets_s;
  MotionSyncOptions motion;
  CalibratedSyncOptions calibrated;
  SyncAdjustmentOptions adjustment;

  // Throws InputError naming `fps` for a rate that is not positive or a wrong count of rates
  // (num_cameras), `reference` for a name not among camera_names, `fine` for an unknown method,
  // `disagreement_se` for a value that is not positive,
  // `known_offsets_s` for a wrong count or a value that is not finite.
  void Check(const std::vector<std::string>& camera_names) const;
  std::vector<double> CameraFps(int num_cameras) const;
  int ReferenceIndex(const std::vector<std::string>& camera_names) const;
};

// The frame rate of every keypoint camera: options.CameraFps, except that a camera with
// timestamps (KeypointInput::timing) takes the rate measured from them (its timestamps decide
// when its frames were taken; a rate given for it is not used).
std::vector<double> CameraFpsWithTimestamps(const SyncStageOptions& options, const KeypointInput& input);

// Known offsets (seconds, any origin: made relative to the reference) as a result, method
// "given": every camera but the reference estimated, with `confidence` per camera (empty: 1).
SyncResult GivenOffsets(const std::vector<double>& offsets_s, const std::vector<double>& fps, int reference,
                        const std::vector<double>& confidence = {});

// The tracks as geometry/sync input.
SyncInput MakeSyncInput(const std::vector<PersonTrack>& tracks, const std::vector<double>& fps, int reference);

// Offsets of every camera from the tracks; `rig` (keypoint cameras in order, may be null) with
// extrinsics refines them. Refusals are values (SyncResult::success false).
SyncResult EstimateTimeOffsets(const std::vector<PersonTrack>& tracks, const SyncStageOptions& options,
                               const Rig* rig = nullptr);

// Offsets from motion when several people are in view and cannot be associated across cameras
// yet (frames matched by number pair the wrong figures once the cameras are offset): every
// camera's people followed in 2D (TrackPeopleInEachCamera, `tracking`'s options), then
// EstimateOffsetsFromUnassociatedMotion, which pairs the people of each camera with the
// reference's by their motion. The keypoint cameras' frame rates from options.fps (see
// CameraFpsWithTimestamps). Refusals are values.
SyncResult EstimateTimeOffsetsOfPeople(const KeypointInput& input, const SyncStageOptions& options,
                                       const UncalibratedAssociationOptions& tracking);

// Every camera on the reference's frame rate: a camera at another rate (options.fps) is put on
// evenly spaced frames at fps[reference] from its time 0 (OnEvenlySpacedFrames; its frame i at
// time i / fps[c] unless its keypoints carry timestamps), each person interpolated along their
// 2D track in that camera (TrackPeopleInEachCamera, `tracking`'s options). The times stay, so
// offsets in seconds mean the same before and after; cameras at the reference's rate are kept
// as they are. Used before several people are associated by frame number.
KeypointInput OnReferenceRate(const KeypointInput& input, const SyncStageOptions& options,
                              const UncalibratedAssociationOptions& tracking);

// True when applying the offsets changes anything (an offset not 0, or a frame rate not the
// reference's).
bool NeedsResampling(const std::vector<double>& offsets_s, const std::vector<double>& fps, int reference);

// Every track resampled onto the reference camera's timeline (ResampleToReference): frame g of
// the result is reference time g / fps[reference]; the frame numbers stay. Unchanged when
// !NeedsResampling.
void ResampleTracks(const std::vector<double>& offsets_s, const std::vector<double>& fps, int reference,
                    std::vector<PersonTrack>* tracks);

}  // namespace epilabel
