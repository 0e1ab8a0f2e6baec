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

// Two people on paths that cross (an X): A from (100, 100) right and down, B from (490, 295)
// left and up, 20 px and 10 px per frame; they meet at (295, 197.5) between frames 9 and 10. At
// frame 10 each is nearer the other's frame-9 pose (11.2 px against 22.4 px): matching last
// poses swaps the ids there, the constant-velocity prediction does not.
TEST(PersonTracker, KeepsIdsOfTwoPeopleWhosePathsCross) {
  PersonTracker tracker;
  for (int k = 0; k < 20; ++k) {
    const std::vector<int> ids = tracker.Update({Figure(100 + 20.0 * k, 100 + 10.0 * k),
                                                 Figure(490 - 20.0 * k, 295 - 10.0 * k)});
    EXPECT_EQ(ids, (std::vector<int>{0, 1})) << "frame " << k;
  }
  EXPECT_EQ(tracker.tracks_started(), 2);
}

// A person walking at 25 px per frame is missed for three frames: 100 px from where they were
// last seen (beyond the gate of half the 100 px figure's box diagonal), at their predicted place.
TEST(PersonTracker, FindsAPersonMissedForSomeFramesWhereTheyWent) {
  PersonTracker tracker;
  for (int k = 0; k < 5; ++k) EXPECT_EQ(tracker.Update({Figure(100 + 25.0 * k, 100)}), (std::vector<int>{0}));
  for (int k = 5; k < 8; ++k) EXPECT_TRUE(tracker.Update({}).empty());
  EXPECT_EQ(tracker.Update({Figure(100 + 25.0 * 8, 100)}), (std::vector<int>{0}));
  EXPECT_EQ(tracker.tracks_started(), 1);
}

TEST(PersonTracker, RejectsInvalidOptions) {
  PersonTrackerOptions options;
  options.max_distance = 0.0;
  EXPECT_THROW(PersonTracker{options}, InputError);
}

}  // namespace
}  // namespace epilabel
