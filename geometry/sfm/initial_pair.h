// The initial pair of the self-calibration (internal to geometry/sfm): which pair of the view
// graph starts the reconstruction, and, with unknown focal lengths, the focal scale of that pair
// that makes the bones of its two-view reconstruction most constant.
#pragma once

#include <vector>

#include "geometry/sfm/pair_geometry.h"
#include "geometry/sfm/self_calibration.h"
#include "geometry/sfm/view_graph.h"

namespace epilabel {

// Index into `pairs` of the initial pair: among the edges of the largest component, those with
// a median parallax of options.min_initial_angle_deg or more first, then the highest weight.
// The graph's largest component has two cameras or more.
size_t ChooseInitialPair(const ViewGraph& graph, const std::vector<CameraPair>& pairs,
                         const std::vector<PairReport>& reports, const SelfCalibrationOptions& options);

// Notes, per camera outside the largest component, the best pair it had and why that pair is no
// edge to the main group.
void NoteUnconnectedCameras(const ViewGraph& graph, const Rig& rig, const std::vector<PairReport>& reports,
                            std::vector<std::string>* camera_notes);

// Spread of the bone lengths of a reconstruction: the median over bones of (interquartile
// range / median) of each bone's length over frames (bones seen in 20 frames or more; infinity
// when none is). A projectively distorted reconstruction (wrong focal lengths) stretches bones
// differently across the capture volume; the right focal lengths make every bone as constant as
// the noise allows.
// Several people (`frame_person`: the person id of every frame of `points`, as
// SelfCalibrationOptions::frame_person): each bone's lengths are divided by their median over
// the same person's frames (people who show the bone in fewer than 20 frames left out of it),
// and the spread is that of the pooled ratios, so every frame counts alike and the people's
// different statures do not count as spread. Empty, or one id throughout: one person (the
// lengths as they are, the result bit for bit that of a single person).
double BoneLengthSpread(const Points3d& points, const std::vector<Bone>& bones,
                        const std::vector<int>& frame_person = {});

// Unknown focal lengths: searches the focal length (relative to the larger image side, the same
// for both cameras, between options.focal_min_rel and focal_max_rel) of the initial pair that
// minimises the bone-length spread of its two-view triangulation of `frames` (a grid, then a
// golden-section refinement), with `frame_person` the person of each of `frames` (see
// BoneLengthSpread; empty: one person). A human-body cue that stays informative when every
// camera looks at the same spot, where fundamental matrices alone cannot tell the focal
// lengths. On success sets the focal lengths of the pair's cameras in `rig` and the pair's
// relative pose and returns true; otherwise leaves both unchanged and returns false.
bool SearchInitialPairFocal(const Observations2d& obs, const Observations2d& frames,
                            const std::vector<int>& frame_person, size_t pair_index,
                            const SelfCalibrationOptions& options, Rig* rig, CameraPair* pair);

}  // namespace epilabel
