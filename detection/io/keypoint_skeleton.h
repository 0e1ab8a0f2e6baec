// The skeleton of a keypoint input (not a public API): the requested one, checked, or a guess.
#pragma once

#include <string>
#include <vector>

#include "detection/keypoints.h"

namespace epilabel::keypoint_skeleton {

// The skeleton of the input: `requested` when given (InputError naming `where` when its joint
// count differs from `num_joints`, or when `joint_names` are another skeleton's); else the
// skeleton whose names equal `joint_names`; else GuessSkeleton from the joint count and the most
// complete of `samples`, settled between skeletons of equal count by limb lengths (a layout
// whose median bone length / pose size is < 0.6x the default's wins). InputError when no
// skeleton fits ("pass --skeleton").
std::string ResolveSkeleton(const std::string& requested, int num_joints, const std::vector<const Person2d*>& samples,
                            const std::string& where, const std::vector<std::string>& joint_names = {});

// Every `stride`-th person of `frames` (in order), at most ~400.
std::vector<const Person2d*> SamplePeople(const std::vector<const std::vector<Person2d>*>& frames);

// The people lists of every camera and frame of `sequence`, camera by camera.
std::vector<const std::vector<Person2d>*> PeopleLists(const KeypointSequence& sequence);

}  // namespace epilabel::keypoint_skeleton
