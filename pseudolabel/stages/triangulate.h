// Stage 5: 3D joints of every frame of one track with a calibration: the robust per-frame
// triangulation (adaptive thresholds, view-pair LO-RANSAC, swap repair, skeleton check) and,
// when asked, the sequence optimisation (temporal + bone-length priors, Ceres). In memory.
#pragma once

#include "foundation/progress.h"
#include "geometry/core/camera.h"
#include "geometry/estimators/triangulation.h"
#include "geometry/optim/sequence_smoothing.h"
#include "pseudolabel/stages/association.h"

namespace epilabel {

struct TriangulateStageOptions {
  TriangulationOptions triangulation;  // bones and symmetric pairs default to the skeleton's
  bool smooth = false;                 // run the sequence optimisation after the per-frame fit
  SequenceSmoothingOptions smoothing;  // bones default to the skeleton's
  double fps = 30.0;                   // frame rate of the sequence (smoothing)
  int num_threads = 1;                 // Ceres threads of the smoothing
  ProgressCallback progress;
};

// The final points of a track with per-point errors, view counts and uncertainties; after
// smoothing the errors and view counts are those of the smoothed points.
struct TriangulatedSequence {
  TriangulationResult triangulation;     // per-frame robust result (repaired observations, masks)
  Points3d points;                       // final: smoothed when asked, else per-frame (world metres)
  FrameJointArray<double> reproj_error_px;
  FrameJointArray<int32_t> num_views;
  FrameJointArray<double> uncertainty_m;
  bool smoothed = false;
  SequenceSmoothingSummary smoothing;
};

// `rig` holds the track's cameras in order, with intrinsics and extrinsics.
TriangulatedSequence TriangulateTrack(const Rig& rig, const PersonTrack& track, const TriangulateStageOptions& options);

}  // namespace epilabel
