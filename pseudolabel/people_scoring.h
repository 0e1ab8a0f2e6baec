// Several people against a known truth (the synthetic studio's, or a benchmark's): per true
// person, which track follows it, PCP (percentage of correct parts, the Shelf/Campus measure: a
// limb is correct when the mean distance of its two ends to the truth is at most `pcp_alpha`
// times its true length), MPJPE, and identity switches (the track that follows a person
// changes). Used by `epilabel demo` and bench/people_accuracy.
#pragma once

#include <cstdint>
#include <vector>

#include "geometry/core/observations.h"
#include "geometry/core/types.h"

namespace epilabel {

struct PeopleScoringOptions {
  double pcp_alpha = 0.5;        // PCP threshold, a share of the true limb length
  double max_match_m = 0.5;      // a track follows a person in a frame when their mean joint
                                 // distance is below this (metres)
};

struct PersonScore {
  int truth_id = 0;
  int frames = 0;                // frames where the person is present (has true joints)
  int matched_frames = 0;        // of which some track follows it
  int main_track = -1;           // the track id that follows it most often (-1: none)
  double pcp = kNaN;             // over its present frames (an unmatched frame: every limb wrong)
  double mpjpe_m = kNaN;         // over the joints of its matched frames
  int identity_switches = 0;     // the following track changed from one matched frame to the next
};

struct PeopleScore {
  std::vector<PersonScore> people;
  double mean_pcp = kNaN;        // mean over the people
  double mpjpe_m = kNaN;         // over every matched joint
  int identity_switches = 0;     // over all people
};

// `tracks` [track][frame][joint] and `truth` [person][frame][joint] (world metres, NaN where
// unknown or absent) share frames and joints; `track_ids` names the tracks. Frames where a
// person jumps (`cuts[frame]` set, e.g. the studio's stretch boundaries) do not count switches.
PeopleScore ScorePeople(const std::vector<Points3d>& tracks, const std::vector<int>& track_ids,
                        const std::vector<Points3d>& truth, const std::vector<Bone>& bones,
                        const std::vector<uint8_t>& cuts = {}, const PeopleScoringOptions& options = {});

}  // namespace epilabel
