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

}  // namespace epilabel
