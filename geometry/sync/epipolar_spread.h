// How well one fundamental matrix fits two views' joints at a few candidate time offsets: the
// uncalibrated epipolar consistency as a judge of whole-frame lags far apart (implemented in
// epipolar_sync.cc with the fit of RefineOffsetByEpipolarGeometry).
#pragma once

#include <vector>

#include "geometry/sync/epipolar_sync.h"

namespace epilabel {

// For each of `offsets_frames` (reference frames; e.g. the peaks of a motion correlation, far
// apart): `camera`'s joints paired with the reference's at that offset (interpolated in time,
// both smoothed by options.smoothing_frames), the eight-point fit reweighted with a Cauchy loss
// whose scale (options.cauchy_scale x the residuals' robust spread) is re-measured every
// iteration (options.iterations), and the robust spread of the last fit's Sampson residuals
// (1.4826 x their median magnitude, pixels). At the right offset it is the detector's noise;
// at a wrong one a moving joint misses its epipolar line by about its image speed x the error,
// whatever the (unknown) cameras. Each offset on its own pairs (the overlap differs); NaN where
// fewer than options.min_pairs pairs overlap. Deterministic and independent of the thread count.
std::vector<double> EpipolarSpreadAtOffsets(const SyncInput& input, int camera, const std::vector<double>& offsets_frames,
                                            const EpipolarSyncOptions& options = {});

}  // namespace epilabel
