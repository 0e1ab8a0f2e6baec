// Test-time augmentation of a single-person pose network: the same person detected on several
// crops (scaled about the tracked crop's centre, PoseModelOptions::test_scales), the estimates
// merged per joint.
//
// Coordinates: joints are (x, y, score) in pixels of the original image (any convention, the
// same for every estimate); scores >= 0.
#pragma once

#include <vector>

#include <Eigen/Core>

#include "detection/dnn/person_crop.h"

namespace epilabel {

// `box` scaled by `scale` about its centre (angle kept): scale > 1 shows more around the person.
ImageBox ScaleAboutCenter(const ImageBox& box, double scale);

// Per joint, the estimates of `estimates` (one vector of joints per augmented crop, all of the
// same length) merged: the anchor is the estimate with the smallest score-weighted sum of
// distances to the others (a weighted medoid, so one crop that jumped to another limb does not
// drag the rest); the result is the score-weighted mean of the estimates within
// `max_disagreement` px of the anchor, with score = the mean score of all estimates. An
// estimate with non-finite values is ignored. Throws std::invalid_argument when the estimates
// differ in length; returns an empty vector for no estimates.
std::vector<Eigen::Vector3d> MergePoseEstimates(const std::vector<std::vector<Eigen::Vector3d>>& estimates,
                                                double max_disagreement);

}  // namespace epilabel
