// Stage: calibration of unsynchronised cameras (`calibrate --sync`), in memory. The offsets and
// the cameras are estimated in turn, not jointly:
//   1. coarse offsets from the people's motion (EstimateOffsetsFromMotion), every track resampled
//      onto the reference camera's timeline (linear interpolation in time);
//   2. the cameras self-calibrated on the resampled tracks (CalibrateCameras);
//   3. the offsets refined with those cameras (RefineOffsetsWithCalibration: reprojection
//      consistency as a function of each offset), the original tracks resampled again;
//   4. the cameras calibrated once more on the refined resampling.
// A refusal of step 1 (too little motion) leaves the tracks as given (frames matched by number)
// and is reported in `sync`; a failed step 2 stops after it.
#pragma once

#include <vector>

#include "pseudolabel/stages/association.h"
#include "pseudolabel/stages/calibrate.h"
#include "pseudolabel/stages/sync.h"

namespace epilabel {

struct SyncCalibrationResult {
  SyncResult sync;                   // offsets (seconds) of every keypoint camera, method "calibrated"
                                     // after step 3, "motion" when the calibration failed
  CalibrateStageResult calibration;  // the cameras; rig[c].time_offset = sync offset (seconds)
  std::vector<PersonTrack> tracks;   // the tracks on the reference timeline (frame numbers kept)
  double sync_seconds = 0.0;         // time in steps 1 and 3
};

// `intrinsics`: the keypoint cameras (ResolveIntrinsics); `tracks`: the association's tracks,
// frames matched by number. Throws InputError for bad sync options (SyncStageOptions::Check).
SyncCalibrationResult CalibrateUnsynchronised(const Rig& intrinsics, const std::vector<PersonTrack>& tracks,
                                              const CalibrateStageOptions& calibrate,
                                              const SyncStageOptions& sync);

}  // namespace epilabel
