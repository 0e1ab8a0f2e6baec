// The registration of further cameras in the self-calibration (internal to geometry/sfm):
// after the initial pair, the unregistered camera of the main component that sees the most
// triangulated joints is resected (PnP RANSAC, or DLT with the focal length when the intrinsics
// are unknown) and the registered cameras are adjusted, until none is left.
#pragma once

#include <vector>

#include "geometry/sfm/self_calibration.h"
#include "geometry/sfm/self_calibration_steps.h"

namespace epilabel {

// Registers the cameras of `component` not yet registered, in `summary->registered` order of
// joining (`registration_order`); a camera that cannot be registered gets a note in
// `summary->camera_notes`. `quick_ba`: the adjustment after each registration, on
// `frames.quick`. Progress: "registering cameras".
void RegisterCameras(const std::vector<camera_t>& component, const CalibrationFrames& frames,
                     const SelfCalibrationOptions& options, const BundleAdjustmentOptions& quick_ba, Rig* rig,
                     SelfCalibrationSummary* summary);

}  // namespace epilabel
