// Stage 5: 3D joints of every frame of one track with a calibration: the robust per-frame
// triangulation (adaptive thresholds, view-pair LO-RANSAC, swap repair, skeleton check), then
// either the completion of the joints one camera sees (on that camera's ray, at the depth of a
// bone to a triangulated neighbour or of the joint's motion; single_view_completion.h, the
// default) or, when asked, the sequence optimisation (temporal + bone-length priors, Ceres),
// which completes them itself. In memory.
#pragma once

#include "foundation/progress.h"
#include "geometry/core/camera.h"
#include "geometry/estimators/single_view_completion.h"
#include "geometry/estimators/triangulation.h"
#include "geometry/optim/sequence_smoothing.h"
#include "pseudolabel/stages/association.h"

namespace epilabel {

struct TriangulateStageOptions {
  TriangulationOptions triangulation;  // bones and symmetric pairs default to the skeleton's
  bool smooth = false;                 // run the sequence optimisation after the per-frame fit
  // Per frame (not with `smooth`): joints that exactly one camera sees are put on its ray
  // (num_views 1; labels keep them out). Ranges: SingleViewCompletionOptions::Check().
  SingleViewCompletionOptions completion;
  SequenceSmoothingOptions smoothing;  // bones default to the skeleton's
  double fps = 30.0;                   // frame rate of the sequence (smoothing)
  int num_threads = 1;                 // Ceres threads of the smoothing
  ProgressCallback progress;
};

// The final points of a track with per-point errors, view counts and uncertainties; after
// smoothing the errors and view counts are those of the smoothed points. A completed point
// (`completion`) has num_views 1, the error in the camera that sees it and the uncertainty of
// CompletedJoint.
struct TriangulatedSequence {
  TriangulationResult triangulation;     // per-frame robust result (repaired observations, masks)
  Points3d points;                       // final: smoothed when asked, else per-frame (world metres)
  FrameJointArray<double> reproj_error_px;
  FrameJointArray<int32_t> num_views;
  FrameJointArray<double> uncertainty_m;
  bool smoothed = false;
  SequenceSmoothingSummary smoothing;
  bool completed = false;                // the single-view completion ran (per frame)
  SingleViewCompletionSummary completion;
};

// `rig` holds the track's cameras in order, with intrinsics and extrinsics.
TriangulatedSequence TriangulateTrack(const Rig& rig, const PersonTrack& track, const TriangulateStageOptions& options);

}  // namespace epilabel
