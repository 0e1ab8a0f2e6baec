// Per-camera uncertainty after a bundle adjustment (internal to geometry/optim): the camera
// covariance by the Schur complement of the points, from the reprojection terms and the
// single-block priors (gauge, focal, principal point). Bone terms are left out, so the figures
// are conservative. Scaled by the a-posteriori variance of unit weight.
#pragma once

#include "geometry/optim/bundle_adjustment.h"
#include "geometry/optim/bundle_adjustment_problem.h"

namespace epilabel {

// Fills summary->uncertainty (rotation and centre sigma per camera, focal sigma when refined;
// zero for the fixed camera; NaN when the camera system is singular) and summary->sigma0_px.
// `data` and `blocks` are the parameter blocks of `round` (evaluated, not changed).
void EstimateCameraUncertainty(const BundleAdjustmentOptions& options, bool intrinsics_free, BAProblemData* data,
                               BACameraBlocks* blocks, BARoundProblem* round, BundleAdjustmentSummary* summary);

// Fills summary->time_offset_sigma_frames (options.refine_time_offsets with
// time_offset_block_frames > 0; see there): the camera columns of EstimateCameraUncertainty plus
// every used camera's offset but the time reference's, the points eliminated, the gradient's
// spread summed over blocks of frames (a sandwich estimator, robust to the residuals' size and
// their correlation within a block). Priors count in the information, not in the spread.
void EstimateTimeOffsetUncertainty(const BundleAdjustmentOptions& options, bool intrinsics_free, BAProblemData* data,
                                   BACameraBlocks* blocks, BARoundProblem* round, BundleAdjustmentSummary* summary);

}  // namespace epilabel
