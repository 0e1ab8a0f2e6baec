// The completion of joints one camera sees (single_view_completion.h) on a small exact scene: four
// cameras around a three-joint chain (0 - 1 - 2) that moves along a straight line, so that the
// per-frame points, bone lengths and temporal predictions are exact.
#include "geometry/estimators/single_view_completion.h"

#include <stdexcept>

#include <gtest/gtest.h>

#include <Eigen/Geometry>

namespace epilabel {
namespace {

constexpr int kFrames = 30, kJoints = 3, kCameras = 4;

// A camera `radius` metres from the origin at angle `deg` around the vertical (y down),
// looking at the origin.
Camera RingCamera(double deg, double radius) {
  Camera cam;
  cam.name = "c" + std::to_string(static_cast<int>(deg));
  cam.width = 1000;
  cam.height = 1000;
  cam.fx = cam.fy = 1000;
  cam.cx = cam.cy = 500;
  const double a = deg * M_PI / 180.0;
  const Eigen::Vector3d center(radius * std::sin(a), 0.0, -radius * std::cos(a));
  const Eigen::Vector3d z = (-center).normalized();
  const Eigen::Vector3d y(0, 1, 0);
  const Eigen::Vector3d x = y.cross(z);
  Eigen::Matrix3d r;
  r.row(0) = x.transpose();
  r.row(1) = y.transpose();
  r.row(2) = z.transpose();
  cam.cam_from_world = Rigid3d(Eigen::Quaterniond(r), -r * center);
  return cam;
}

struct Scene {
  Rig rig;
  Points3d truth{kFrames, kJoints};
  Observations2d observations{kCameras, kFrames, kJoints};
  Points3d points{kFrames, kJoints};  // the per-frame result: the truth where two views or more
  FrameJointArray<int32_t> num_views{kFrames, kJoints, 0};
  FrameJointArray<double> uncertainty{kFrames, kJoints, 0.005};
  std::vector<Bone> bones{{0, 1}, {1, 2}};
};

// The chain: shoulder (0), elbow (1, 0.3 m below and in front), wrist (2, bent forward), moving
// 1 cm per frame along x. Every camera sees every joint.
Scene MakeScene() {
  Scene s;
  for (int c = 0; c < kCameras; ++c) s.rig.push_back(RingCamera(90.0 * c + 20.0, 4.0));
  for (frame_t f = 0; f < kFrames; ++f) {
    const Eigen::Vector3d shift(0.01 * f, 0.0, 0.0);
    s.truth.at(f, 0) = shift + Eigen::Vector3d(0.0, -0.3, 0.0);
    s.truth.at(f, 1) = shift + Eigen::Vector3d(0.1, 0.0, 0.05);
    s.truth.at(f, 2) = shift + Eigen::Vector3d(0.35, 0.05, 0.15);
    for (joint_t j = 0; j < kJoints; ++j) {
      s.points.at(f, j) = s.truth.at(f, j);
      s.num_views.at(f, j) = kCameras;
      for (camera_t c = 0; c < kCameras; ++c) {
        const auto px = s.rig[c].ImageFromWorld(s.truth.at(f, j));
        s.observations.at(c, f, j) = Eigen::Vector3d(px->x(), px->y(), 1.0);
      }
    }
  }
  return s;
}

// Joint j in frame f seen by camera `seeing` alone: not triangulated per frame.
void SeenByOne(Scene* s, frame_t f, joint_t j, camera_t seeing) {
  for (camera_t c = 0; c < kCameras; ++c)
    if (c != seeing) s->observations.at(c, f, j).setZero();
  s->points.at(f, j).setConstant(kNaN);
  s->num_views.at(f, j) = 0;
}

SingleViewCompletion Complete(const Scene& s, const SingleViewCompletionOptions& options = {}) {
  return CompleteSingleViewJoints(s.rig, s.observations, s.points, s.num_views, s.uncertainty, s.bones, 0.2, 3.0,
                                  options);
}

TEST(SingleViewCompletion, PutsTheJointOnItsRayAtTheBoneLength) {
  Scene s = MakeScene();
  SeenByOne(&s, 12, 2, 1);
  const SingleViewCompletion r = Complete(s);
  ASSERT_EQ(r.joints.size(), 1u);
  EXPECT_EQ(r.summary.candidates, 1);
  EXPECT_EQ(r.summary.completed, 1);
  EXPECT_EQ(r.summary.from_bone, 1);
  const CompletedJoint& cj = r.joints[0];
  EXPECT_EQ(cj.frame, 12);
  EXPECT_EQ(cj.joint, 2);
  EXPECT_EQ(cj.camera, 1);
  EXPECT_TRUE(cj.from_bone);
  EXPECT_LT((cj.point_in_world - s.truth.at(12, 2)).norm(), 1e-6);
  EXPECT_LT(cj.reproj_error_px, 1e-6);
  // Exact bone lengths (no spread): the depth's sigma is the elbow's 5 mm over the cosine between
  // ray and bone, the lateral one 3 px at 4 m; at least the elbow's own uncertainty, at most a bone.
  EXPECT_GT(cj.uncertainty_m, 0.005);
  EXPECT_LT(cj.uncertainty_m, 0.3);
}

TEST(SingleViewCompletion, WithoutATriangulatedNeighbourFollowsTheMotion) {
  Scene s = MakeScene();
  SeenByOne(&s, 12, 2, 3);
  SeenByOne(&s, 12, 1, -1);  // the elbow is seen by none
  const SingleViewCompletion r = Complete(s);
  ASSERT_EQ(r.joints.size(), 1u);
  EXPECT_FALSE(r.joints[0].from_bone);
  // Linear motion: frames 11 and 13 predict frame 12 exactly, and the ray passes through it.
  EXPECT_LT((r.joints[0].point_in_world - s.truth.at(12, 2)).norm(), 1e-6);
  EXPECT_NEAR(r.joints[0].uncertainty_m, 0.075, 0.01);  // max_prediction_distance_m / 2, and 3 px at 4 m
}

TEST(SingleViewCompletion, WithNeitherNeighbourNorMotionTheJointStaysMissing) {
  Scene s = MakeScene();
  // The wrist seen by one camera in frames 5-25 and the elbow by none: nothing within five frames
  // of frame 15 supports the wrist, and completed points never support each other.
  for (frame_t f = 5; f <= 25; ++f) {
    SeenByOne(&s, f, 2, 0);
    SeenByOne(&s, f, 1, -1);
  }
  const SingleViewCompletion r = Complete(s);
  EXPECT_EQ(r.summary.candidates, 21);
  EXPECT_EQ(r.summary.refused_no_support, 11);  // frames 10-20
  for (const CompletedJoint& cj : r.joints) {
    EXPECT_TRUE(cj.frame < 10 || cj.frame > 20) << cj.frame;
    // Predicted from one side (frame 4 or 26): off by the motion since then, 1 cm per frame.
    EXPECT_LT((cj.point_in_world - s.truth.at(cj.frame, 2)).norm(), 0.055) << cj.frame;
  }
  EXPECT_EQ(r.joints.size(), 10u);
}

TEST(SingleViewCompletion, TwoRootsWithNothingToChooseAreRefused) {
  Scene s = MakeScene();
  SeenByOne(&s, 12, 2, 1);
  SingleViewCompletionOptions o;
  o.window_frames = 0;  // no motion: the ray meets the elbow's sphere twice
  const SingleViewCompletion r = Complete(s, o);
  EXPECT_TRUE(r.joints.empty());
  EXPECT_EQ(r.summary.refused_ambiguous, 1);
}

TEST(SingleViewCompletion, AnObservationFarFromTheBodyIsRefused) {
  Scene s = MakeScene();
  SeenByOne(&s, 12, 2, 1);
  s.observations.at(1, 12, 2).x() += 300.0;  // e.g. another person's wrist: 0.3 m+ off at 4 m
  const SingleViewCompletion r = Complete(s);
  EXPECT_TRUE(r.joints.empty());
  EXPECT_EQ(r.summary.refused_bone + r.summary.refused_far, 1);
}

// Two cameras see the wrist but disagree (one shows something 0.3 m+ away, as another person's
// wrist): the per-frame fit left it out; the view that fits the motion and the bone places it.
TEST(SingleViewCompletion, OfTwoDisagreeingViewsTheOneThatFitsTheMotionPlacesTheJoint) {
  Scene s = MakeScene();
  SeenByOne(&s, 12, 2, 1);
  const auto px = s.rig[2].ImageFromWorld(s.truth.at(12, 2));
  s.observations.at(2, 12, 2) = Eigen::Vector3d(px->x() + 300.0, px->y(), 1.0);
  const SingleViewCompletion r = Complete(s);
  ASSERT_EQ(r.joints.size(), 1u);
  EXPECT_EQ(r.summary.several_views, 1);
  EXPECT_EQ(r.summary.completed_from_several, 1);
  EXPECT_EQ(r.joints[0].camera, 1);
  EXPECT_LT((r.joints[0].point_in_world - s.truth.at(12, 2)).norm(), 1e-6);
  SingleViewCompletionOptions o;
  o.disagreeing_views = false;
  EXPECT_TRUE(Complete(s, o).joints.empty());
}

TEST(SingleViewCompletion, DisabledCompletesNothing) {
  Scene s = MakeScene();
  SeenByOne(&s, 12, 2, 1);
  SingleViewCompletionOptions o;
  o.enabled = false;
  EXPECT_TRUE(Complete(s, o).joints.empty());
}

TEST(SingleViewCompletion, OptionsOutOfRangeThrow) {
  EXPECT_NO_THROW(SingleViewCompletionOptions{}.Check());
  SingleViewCompletionOptions o;
  o.window_frames = -1;
  EXPECT_THROW(o.Check(), std::invalid_argument);
  o = {};
  o.max_prediction_distance_m = 0;
  EXPECT_THROW(o.Check(), std::invalid_argument);
  o = {};
  o.bone_tolerance = 1.0;
  EXPECT_THROW(o.Check(), std::invalid_argument);
  o = {};
  o.min_bone_frames = 0;
  EXPECT_THROW(o.Check(), std::invalid_argument);
  Scene s = MakeScene();
  o = {};
  o.window_frames = -2;
  EXPECT_THROW(Complete(s, o), std::invalid_argument);
}

}  // namespace
}  // namespace epilabel
