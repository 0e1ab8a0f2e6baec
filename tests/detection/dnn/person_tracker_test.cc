#include "detection/dnn/person_tracker.h"

#include <vector>

#include <gtest/gtest.h>

#include "foundation/error.h"

namespace epilabel {
namespace {

// A stick figure of 17 joints, 100 px tall, its top-left joint at (x, y).
std::vector<Eigen::Vector3d> Figure(double x, double y, double score = 0.9) {
  std::vector<Eigen::Vector3d> joints;
  for (int j = 0; j < 17; ++j) joints.emplace_back(x + 10.0 * (j % 3), y + 6.0 * j, score);
  return joints;
}

TEST(PersonTracker, KeepsIdsWhenTheOrderOfPeopleChanges) {
  PersonTracker tracker;
  EXPECT_EQ(tracker.Update({Figure(100, 100), Figure(400, 120)}), (std::vector<int>{0, 1}));
  // Next frame: listed the other way round, both moved by a few pixels.
  EXPECT_EQ(tracker.Update({Figure(405, 118), Figure(103, 101)}), (std::vector<int>{1, 0}));
  EXPECT_EQ(tracker.tracks_started(), 2);
}

TEST(PersonTracker, StartsANewTrackForSomeoneFarFromEveryTrack) {
  PersonTracker tracker;
  tracker.Update({Figure(100, 100)});
  // 300 px away from a 100 px figure: beyond the gate (0.5 of its box diagonal).
  EXPECT_EQ(tracker.Update({Figure(400, 100)}), (std::vector<int>{1}));
  // The first person comes back after a gap of one frame and gets its id again.
  EXPECT_EQ(tracker.Update({Figure(102, 100), Figure(401, 100)}), (std::vector<int>{0, 1}));
}

TEST(PersonTracker, ForgetsTracksUnseenForLongerThanTheGap) {
  PersonTrackerOptions options;
  options.max_gap_frames = 2;
  PersonTracker tracker(options);
  tracker.Update({Figure(100, 100)});
  tracker.Update({});
  tracker.Update({});
  tracker.Update({});  // three frames without it: forgotten
  EXPECT_EQ(tracker.Update({Figure(100, 100)}), (std::vector<int>{1}));
}

TEST(PersonTracker, IgnoresJointsBelowTheScoreThreshold) {
  PersonTracker tracker;
  tracker.Update({Figure(100, 100)});
  // The same person with every joint unsure: too few common joints, a new track.
  EXPECT_EQ(tracker.Update({Figure(100, 100, 0.1)}), (std::vector<int>{1}));
}

TEST(PersonTracker, RejectsInvalidOptions) {
  PersonTrackerOptions options;
  options.max_distance = 0.0;
  EXPECT_THROW(PersonTracker{options}, InputError);
}

}  // namespace
}  // namespace epilabel
