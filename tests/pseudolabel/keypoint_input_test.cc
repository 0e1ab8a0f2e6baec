// The keypoint-input stage where it meets a calibration: image sizes and keypoint extents.
#include "pseudolabel/keypoint_input.h"

#include <gtest/gtest.h>

#include "foundation/error.h"

namespace epilabel {
namespace {

// Two cameras whose keypoints carry the sizes given and one person with joints at `corner`
// (and at 10, 10) in every camera.
KeypointInput Input(int width, int height, const Eigen::Vector2d& corner) {
  KeypointInput in;
  in.path = "keypoints2d.npz";
  in.skeleton = &GetSkeleton("coco17");
  for (const char* name : {"cam_01", "cam_02"}) {
    CameraKeypoints cam;
    cam.name = name;
    cam.width = width;
    cam.height = height;
    cam.frame_numbers = {0};
    Person2d p;
    p.joints.assign(17, Eigen::Vector3d::Zero());
    p.joints[0] = Eigen::Vector3d(corner.x(), corner.y(), 0.9);
    p.joints[1] = Eigen::Vector3d(10.0, 10.0, 0.8);
    p.joints[2] = Eigen::Vector3d(-5000.0, 9000.0, 0.0);  // no confidence: not a detection
    cam.people = {{p}};
    in.keypoints.cameras.push_back(cam);
    in.camera_names.push_back(name);
  }
  return in;
}

Rig Calibration(int width, int height) {
  Rig rig(2);
  for (int c = 0; c < 2; ++c) {
    rig[c].name = "cam_0" + std::to_string(c + 1);
    rig[c].width = width;
    rig[c].height = height;
    rig[c].fx = rig[c].fy = 1000.0;
  }
  return rig;
}

TEST(CheckImageSizes, SameSizesAndKeypointsInsideGiveNothing) {
  const KeypointInput in = Input(1088, 1920, Eigen::Vector2d(1080.0, 1900.0));
  EXPECT_TRUE(CheckImageSizes(Calibration(1088, 1920), "calib.toml", in).empty());
  // Keypoints without sizes (OpenPose folders) are checked by their extent only.
  EXPECT_TRUE(CheckImageSizes(Calibration(1088, 1920), "calib.toml", Input(0, 0, {1080.0, 1900.0})).empty());
}

// pose2sim_balancing: cam01's video is 1080 px wide, the calibration says 1088.
TEST(CheckImageSizes, DifferentSizesWarnPerCamera) {
  const KeypointInput in = Input(1080, 1920, Eigen::Vector2d(1070.0, 1900.0));
  std::vector<std::string> warnings;
  const Rig rig = MatchCalibration(Calibration(1088, 1920), "calib.toml", in, CalibrationNeed::kIntrinsics, &warnings);
  ASSERT_EQ(rig.size(), 2u);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("camera 'cam_01': the keypoints come from 1080x1920 images, calib.toml is for 1088x1920"),
            std::string::npos)
      << warnings[0];
  EXPECT_NE(warnings[1].find("cam_02"), std::string::npos);
}

// Within 10 % of the side beyond the border is accepted (detectors extrapolate joints); beyond
// it the keypoints cannot come from images of the calibrated size.
TEST(CheckImageSizes, KeypointsFarOutsideTheImageAreAnInputError) {
  const Rig rig = Calibration(640, 480);
  EXPECT_NO_THROW(CheckImageSizes(rig, "calib.toml", Input(0, 0, {703.0, 527.0})));
  EXPECT_NO_THROW(CheckImageSizes(rig, "calib.toml", Input(0, 0, {-63.0, -47.0})));
  for (const Eigen::Vector2d& corner : {Eigen::Vector2d(1910.0, 300.0), Eigen::Vector2d(300.0, 1070.0),
                                        Eigen::Vector2d(-70.0, 20.0)}) {
    try {
      CheckImageSizes(rig, "calib.toml", Input(0, 0, corner));
      FAIL() << corner.transpose() << " accepted";
    } catch (const InputError& e) {
      EXPECT_EQ(e.where(), "keypoints2d.npz");
      const std::string what = e.what();
      EXPECT_NE(what.find("camera 'cam_01': the keypoints reach"), std::string::npos) << what;
      EXPECT_NE(what.find("far outside the 640x480 image of calib.toml"), std::string::npos) << what;
    }
  }
}

}  // namespace
}  // namespace epilabel
