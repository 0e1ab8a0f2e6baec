// The triangulation stage of one track: per frame, and with the sequence optimisation
// (`triangulate --smooth`), which completes the joints of a tracked person that fewer than two
// cameras see in a frame (people hiding each other) and marks them by their view count.
#include "pseudolabel/stages/triangulate.h"

#include <gtest/gtest.h>

#include "detection/skeleton.h"
#include "detection/synthetic/studio.h"
#include "tests/testing.h"

namespace epilabel {
namespace {

constexpr joint_t kLeftWrist = 9;  // COCO-17
constexpr frame_t kFirstHidden = 40, kLastHidden = 45;

// One person on the four-camera rig, its own detections as one track.
struct OneTrack {
  SyntheticScene scene;
  PersonTrack track;
};

OneTrack Studio() {
  StudioOptions o;
  o.rig = "h36m4";
  o.num_frames = 90;
  o.outlier_rate = 0;
  o.swap_rate = 0;
  o.missing_rate = 0;
  o.seed = 3;
  o.data_dir = testing::SourceDir() + "/data";
  OneTrack t;
  t.scene = Synthesize(o);
  t.track.id = 0;
  t.track.skeleton = &GetSkeleton("coco17");
  for (const Camera& c : t.scene.rig) t.track.camera_names.push_back(c.name);
  t.track.frame_numbers = t.scene.frame_numbers;
  t.track.observations = t.scene.observations;
  return t;
}

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

TEST(TriangulateTrack, PerFrameLeavesAJointSeenByOneCameraOut) {
  camera_t seeing = -1;
  const OneTrack t = WristSeenByOneCamera(&seeing);
  ASSERT_GE(seeing, 0);
  const TriangulatedSequence seq = TriangulateTrack(t.scene.rig, t.track, TriangulateStageOptions{});
  EXPECT_FALSE(seq.smoothed);
  for (frame_t f = kFirstHidden; f <= kLastHidden; ++f) {
    EXPECT_FALSE(seq.points.IsValid(f, kLeftWrist)) << "frame " << f;
    EXPECT_EQ(seq.num_views.at(f, kLeftWrist), 0);
  }
  EXPECT_TRUE(seq.points.IsValid(kFirstHidden - 1, kLeftWrist));
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
