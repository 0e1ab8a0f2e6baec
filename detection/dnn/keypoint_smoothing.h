// Confidence-weighted temporal smoothing of detected keypoints, per camera and person.
#pragma once

#include "detection/keypoints.h"

namespace epilabel {

// Replaces each joint position by the weighted mean of the same person's joint over the frames
// within 2 x sigma_frames (frame numbers, not positions in the list), weights = joint score x
// exp(-dt^2 / (2 sigma^2)). A person is followed by its track_id; people without one (-1) are
// followed only where a frame holds one of them. Joints with score <= 0 (missing) neither move
// nor contribute; scores are unchanged. sigma_frames <= 0 leaves the keypoints as they are.
void SmoothKeypoints(double sigma_frames, CameraKeypoints* camera);

}  // namespace epilabel
