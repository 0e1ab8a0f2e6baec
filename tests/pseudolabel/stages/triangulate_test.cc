// The triangulation stage of one track: per frame with the single-view completion (the
// default), and with the sequence optimisation (`triangulate --smooth`); both complete the
// joints of a tracked person that one camera sees in a frame (people hiding each other) and mark
// them by their view count.
#include "pseudolabel/stages/triangulate.h"

#include <gtest/gtest.h>

#include "detection/skeleton.h"
#include "detection/synthetic/studio.h"
#include "tests/pseudolabel/one_track_studio.h"
#include "tests/testing.h"

namespace epilabel {
namespace {

constexpr joint_t kLeftWrist = 9;  // COCO-17
constexpr frame_t kFirstHidden = 40, kLastHidden = 45;

using testing::OneTrack;
OneTrack Studio() { return testing::OneTrackStudio(); }

// The camera that sees the joint in every frame of [first, last] (-1: none).
camera_t CameraSeeingThroughout(const Observations2d& obs, joint_t j, frame_t first, frame_t last) {
  for (camera_t c = 0; c < obs.num_cameras(); ++c) {
    bool all = true;
    for (frame_t f = first; f <= last; ++f) all = all && obs.at(c, f, j).z() >= 0.5;
    if (all) return c;
  }
  return -1;
}

// The left wrist hidden from every camera but one for six frames, as another person would.
OneTrack WristSeenByOneCamera(camera_t* seeing) {
  OneTrack t = Studio();
  *seeing = CameraSeeingThroughout(t.track.observations, kLeftWrist, kFirstHidden, kLastHidden);
  for (camera_t c = 0; c < t.track.num_cameras(); ++c)
    if (c != *seeing)
      for (frame_t f = kFirstHidden; f <= kLastHidden; ++f) t.track.observations.at(c, f, kLeftWrist).setZero();
  return t;
}

TEST(TriangulateTrack, WithoutTheCompletionPerFrameLeavesAJointSeenByOneCameraOut) {
  camera_t seeing = -1;
  const OneTrack t = WristSeenByOneCamera(&seeing);
  ASSERT_GE(seeing, 0);
  TriangulateStageOptions o;
  o.completion.enabled = false;
  const TriangulatedSequence seq = TriangulateTrack(t.scene.rig, t.track, o);
  EXPECT_FALSE(seq.smoothed);
  EXPECT_FALSE(seq.completed);
  for (frame_t f = kFirstHidden; f <= kLastHidden; ++f) {
    EXPECT_FALSE(seq.points.IsValid(f, kLeftWrist)) << "frame " << f;
    EXPECT_EQ(seq.num_views.at(f, kLeftWrist), 0);
  }
  EXPECT_TRUE(seq.points.IsValid(kFirstHidden - 1, kLeftWrist));
}

TEST(TriangulateTrack, PerFrameCompletesAJointSeenByOneCameraAndMarksItSingleView) {
  camera_t seeing = -1;
  const OneTrack t = WristSeenByOneCamera(&seeing);
  ASSERT_GE(seeing, 0);
  const TriangulatedSequence seq = TriangulateTrack(t.scene.rig, t.track, TriangulateStageOptions{});
  ASSERT_TRUE(seq.completed);
  EXPECT_FALSE(seq.smoothed);
  EXPECT_GE(seq.completion.completed, kLastHidden - kFirstHidden + 1);
  for (frame_t f = kFirstHidden; f <= kLastHidden; ++f) {
    EXPECT_FALSE(seq.triangulation.points.IsValid(f, kLeftWrist)) << "frame " << f;  // the per-frame fit
    ASSERT_TRUE(seq.points.IsValid(f, kLeftWrist)) << "frame " << f;
    EXPECT_EQ(seq.num_views.at(f, kLeftWrist), 1) << "frame " << f;
    // On the ray of the seeing camera at the forearm's length from the elbow: within 4 cm of
    // the truth (3 px noise; 10-25 mm measured, uncertainties 20-41 mm), and its uncertainty says so.
    const double error = (seq.points.at(f, kLeftWrist) - t.scene.points3d.at(f, kLeftWrist)).norm();
    EXPECT_LT(error, 0.04) << "frame " << f;
    EXPECT_LT(error, 3.0 * seq.uncertainty_m.at(f, kLeftWrist)) << "frame " << f;
    EXPECT_LT(seq.uncertainty_m.at(f, kLeftWrist), 0.1) << "frame " << f;
    EXPECT_LT(seq.reproj_error_px.at(f, kLeftWrist), 0.5) << "frame " << f;  // on the ray
  }
  // Every other point is the per-frame fit's.
  for (frame_t f = 0; f < seq.points.num_frames(); ++f)
    for (joint_t j = 0; j < seq.points.num_joints(); ++j)
      if (seq.triangulation.points.IsValid(f, j)) {
        EXPECT_EQ(seq.points.at(f, j), seq.triangulation.points.at(f, j));
        EXPECT_EQ(seq.num_views.at(f, j), seq.triangulation.num_views.at(f, j));
      }
}

// The left wrist seen by one camera and the elbow by none for 21 frames: the middle frames have
// neither a triangulated neighbour of the wrist nor its own positions within the window.
TEST(TriangulateTrack, PerFrameLeavesAJointWithoutNeighbourOrMotionOut) {
  constexpr joint_t kLeftElbow = 7;
  OneTrack t = Studio();
  // The first 21 frames that one camera sees throughout.
  frame_t first = 1;
  camera_t seeing = -1;
  for (; first + 20 < t.track.num_frames() - 1 && seeing < 0; ++first)
    seeing = CameraSeeingThroughout(t.track.observations, kLeftWrist, first, first + 20);
  ASSERT_GE(seeing, 0);
  --first;
  const frame_t last = first + 20;
  for (camera_t c = 0; c < t.track.num_cameras(); ++c)
    for (frame_t f = first; f <= last; ++f) {
      t.track.observations.at(c, f, kLeftElbow).setZero();
      if (c != seeing) t.track.observations.at(c, f, kLeftWrist).setZero();
    }
  const TriangulatedSequence seq = TriangulateTrack(t.scene.rig, t.track, TriangulateStageOptions{});
  const int window = TriangulateStageOptions{}.completion.window_frames;
  for (frame_t f = first + window; f <= last - window; ++f) {
    EXPECT_FALSE(seq.points.IsValid(f, kLeftWrist)) << "frame " << f;
    EXPECT_EQ(seq.num_views.at(f, kLeftWrist), 0);
  }
  EXPECT_GE(seq.completion.refused_no_support, last - first - 2 * window + 1);
  ASSERT_TRUE(seq.triangulation.points.IsValid(first - 1, kLeftWrist));
  EXPECT_TRUE(seq.points.IsValid(first, kLeftWrist));  // the frame before predicts it
  EXPECT_EQ(seq.num_views.at(first, kLeftWrist), 1);
}

TEST(TriangulateTrack, SmoothingCompletesAJointSeenByOneCameraAndMarksItSingleView) {
  camera_t seeing = -1;
  const OneTrack t = WristSeenByOneCamera(&seeing);
  ASSERT_GE(seeing, 0);
  TriangulateStageOptions o;
  o.smooth = true;
  const TriangulatedSequence seq = TriangulateTrack(t.scene.rig, t.track, o);
  ASSERT_TRUE(seq.smoothed);
  EXPECT_GE(seq.smoothing.num_points_filled, kLastHidden - kFirstHidden + 1);
  for (frame_t f = kFirstHidden; f <= kLastHidden; ++f) {
    ASSERT_TRUE(seq.points.IsValid(f, kLeftWrist)) << "frame " << f;
    // Within 3 cm of the truth (4-11 mm measured; 3 px noise).
    EXPECT_LT((seq.points.at(f, kLeftWrist) - t.scene.points3d.at(f, kLeftWrist)).norm(), 0.03) << "frame " << f;
    EXPECT_EQ(seq.num_views.at(f, kLeftWrist), 1) << "frame " << f;
    // On the seeing camera's ray: its reprojection error is that of a fitted view, not a guess.
    EXPECT_LT(seq.reproj_error_px.at(f, kLeftWrist), 10.0) << "frame " << f;
  }
}

// Mean distance to the truth of the left wrist over the hidden frames.
double GapError(const OneTrack& t, const TriangulatedSequence& seq) {
  double sum = 0;
  for (frame_t f = kFirstHidden; f <= kLastHidden; ++f)
    sum += (seq.points.at(f, kLeftWrist) - t.scene.points3d.at(f, kLeftWrist)).norm();
  return sum / (kLastHidden - kFirstHidden + 1);
}

TEST(TriangulateTrack, TheOneCameraPlacesTheJointBetterThanMotionAlone) {
  camera_t seeing = -1;
  const OneTrack one = WristSeenByOneCamera(&seeing);
  ASSERT_GE(seeing, 0);
  OneTrack none = Studio();
  for (camera_t c = 0; c < none.track.num_cameras(); ++c)
    for (frame_t f = kFirstHidden; f <= kLastHidden; ++f) none.track.observations.at(c, f, kLeftWrist).setZero();
  TriangulateStageOptions o;
  o.smooth = true;
  const TriangulatedSequence with_view = TriangulateTrack(one.scene.rig, one.track, o);
  const TriangulatedSequence without = TriangulateTrack(none.scene.rig, none.track, o);
  for (frame_t f = kFirstHidden; f <= kLastHidden; ++f) {
    ASSERT_TRUE(without.points.IsValid(f, kLeftWrist));
    EXPECT_EQ(without.num_views.at(f, kLeftWrist), 0);  // filled by motion and bones alone: no view
  }
  EXPECT_LT(GapError(one, with_view), 0.8 * GapError(none, without))  // measured 8.0 and 13.1 mm
      << GapError(one, with_view) << " m with one camera, " << GapError(none, without) << " m without";
}

TEST(TriangulateTrack, SmoothingLeavesAGapLongerThanItsLimitOpen) {
  camera_t seeing = -1;
  const OneTrack t = WristSeenByOneCamera(&seeing);
  ASSERT_GE(seeing, 0);
  TriangulateStageOptions o;
  o.smooth = true;
  o.smoothing.max_gap_frames = kLastHidden - kFirstHidden;  // one frame shorter than the gap
  const TriangulatedSequence seq = TriangulateTrack(t.scene.rig, t.track, o);
  for (frame_t f = kFirstHidden; f <= kLastHidden; ++f) EXPECT_FALSE(seq.points.IsValid(f, kLeftWrist)) << "frame " << f;
}

}  // namespace
}  // namespace epilabel
