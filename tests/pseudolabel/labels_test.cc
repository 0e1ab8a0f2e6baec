// The label stage of one track (labels.h): the points of the per-frame single-view completion
// (num_views 1) never become labels and change nothing else in them.
#include "pseudolabel/labels.h"

#include <gtest/gtest.h>

#include "detection/skeleton.h"
#include "detection/synthetic/studio.h"
#include "tests/pseudolabel/one_track_studio.h"
#include "tests/testing.h"

namespace epilabel {
namespace {

constexpr joint_t kLeftWrist = 9, kLeftHip = 11;  // COCO-17; the hips are the root
constexpr frame_t kFirstHidden = 40, kLastHidden = 45;

using testing::OneTrack;

// The studio's track with the left wrist and hip seen by one camera only in frames 40-45.
OneTrack WristAndHipSeenByOneCamera() {
  OneTrack t = testing::OneTrackStudio();
  for (joint_t j : {kLeftWrist, kLeftHip})
    for (frame_t f = kFirstHidden; f <= kLastHidden; ++f)
      for (camera_t c = 1; c < t.track.num_cameras(); ++c) t.track.observations.at(c, f, j).setZero();
  return t;
}

bool SameVector(const Eigen::Vector3d& a, const Eigen::Vector3d& b) {
  return (a.array().isNaN() == b.array().isNaN()).all() && (a.array().isNaN() || a.array() == b.array()).all();
}

TEST(LabelTrack, KeepsCompletedSingleViewPointsOutOfTheLabels) {
  const OneTrack t = WristAndHipSeenByOneCamera();
  TriangulateStageOptions off;
  off.completion.enabled = false;
  const TriangulatedSequence completed = TriangulateTrack(t.scene.rig, t.track, TriangulateStageOptions{});
  const TriangulatedSequence plain = TriangulateTrack(t.scene.rig, t.track, off);
  int64_t single_view = 0;
  for (frame_t f = kFirstHidden; f <= kLastHidden; ++f)
    for (joint_t j : {kLeftWrist, kLeftHip}) single_view += completed.num_views.at(f, j) == 1;
  ASSERT_GE(single_view, 10);  // the completion placed them
  LabelStageOptions lo;
  const LabelStageResult with = LabelTrack(t.scene.rig, t.track, completed, lo);
  const LabelStageResult without = LabelTrack(t.scene.rig, t.track, plain, lo);
  for (frame_t f = kFirstHidden; f <= kLastHidden; ++f) {
    EXPECT_EQ(with.valid.at(f, kLeftWrist), 0) << "frame " << f;
    EXPECT_EQ(with.valid.at(f, kLeftHip), 0) << "frame " << f;
  }
  // Everything else is as without the completion: gates, kept poses, points, roots.
  EXPECT_EQ(with.counts.valid_joints, without.counts.valid_joints);
  EXPECT_EQ(with.counts.poses_kept, without.counts.poses_kept);
  EXPECT_EQ(with.counts.failed_views, without.counts.failed_views);
  EXPECT_EQ(with.counts.failed_bone, without.counts.failed_bone);
  EXPECT_EQ(with.kept, without.kept);
  ASSERT_EQ(with.dataset.valid, without.dataset.valid);
  ASSERT_EQ(with.dataset.points3d_cam.size(), without.dataset.points3d_cam.size());
  for (size_t k = 0; k < with.dataset.points3d_cam.size(); ++k)
    ASSERT_TRUE(SameVector(with.dataset.points3d_cam[k], without.dataset.points3d_cam[k])) << k;
  ASSERT_EQ(with.dataset.root_cam.size(), without.dataset.root_cam.size());
  for (size_t k = 0; k < with.dataset.root_cam.size(); ++k)
    ASSERT_TRUE(SameVector(with.dataset.root_cam[k], without.dataset.root_cam[k])) << k;
}

}  // namespace
}  // namespace epilabel
