// The intrinsics stage: from a file (matched by camera name), one image size, or the sizes the
// keypoints carry; and the image-size parser shared by the command line and the manifest.
#include "pseudolabel/stages/intrinsics.h"

#include <gtest/gtest.h>

#include "foundation/error.h"

namespace epilabel {
namespace {

KeypointInput Input(bool with_sizes) {
  KeypointInput in;
  in.path = "keypoints2d.npz";
  in.skeleton = &GetSkeleton("coco17");
  for (const char* name : {"cam01_json", "cam02_json"}) {
    CameraKeypoints cam;
    cam.name = name;
    if (with_sizes) {
      cam.width = 640;
      cam.height = 480;
    }
    in.keypoints.cameras.push_back(cam);
    in.camera_names.push_back(name);
  }
  return in;
}

TEST(ParseImageSize, AcceptsWidthByHeightOnly) {
  int w = 0, h = 0;
  ParseImageSize("1920x1080", &w, &h);
  EXPECT_EQ(w, 1920);
  EXPECT_EQ(h, 1080);
  for (const char* bad : {"1920", "1920x", "x1080", "19a0x1080", "1920x1080px", "0x10", "-5x10"}) {
    try {
      ParseImageSize(bad, &w, &h);
      FAIL() << bad << " accepted";
    } catch (const InputError& e) {
      EXPECT_EQ(e.where(), "image_size") << bad;
    }
  }
}

TEST(ResolveIntrinsics, FileCamerasAreMatchedByTheNumberInTheName) {
  IntrinsicsSource s;
  Rig file(2);
  file[0].name = "cam_02";
  file[0].fx = file[0].fy = 1000;
  file[0].width = 800;
  file[0].height = 600;
  file[1].name = "cam_01";
  file[1].width = 1000;
  file[1].height = 1000;  // size only: focal estimated later
  s.file = file;
  s.file_path = "intrinsics.toml";
  const Rig rig = ResolveIntrinsics(s, Input(false));
  ASSERT_EQ(rig.size(), 2u);
  EXPECT_EQ(rig[0].name, "cam_01");
  EXPECT_EQ(rig[0].fx, 0.0);
  EXPECT_EQ(rig[1].name, "cam_02");
  EXPECT_EQ(rig[1].fx, 1000.0);
}

TEST(ResolveIntrinsics, OneImageSizeForEveryCamera) {
  IntrinsicsSource s;
  s.image_width = 1280;
  s.image_height = 720;
  const Rig rig = ResolveIntrinsics(s, Input(false));
  ASSERT_EQ(rig.size(), 2u);
  EXPECT_EQ(rig[1].name, "cam02_json");
  EXPECT_EQ(rig[1].width, 1280);
  EXPECT_EQ(rig[1].height, 720);
  EXPECT_FALSE(rig[1].fx > 0);
}

TEST(ResolveIntrinsics, SizesFromTheKeypointsOrAClearError) {
  const Rig rig = ResolveIntrinsics(IntrinsicsSource{}, Input(true));
  EXPECT_EQ(rig[0].width, 640);
  try {
    ResolveIntrinsics(IntrinsicsSource{}, Input(false));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.where(), "keypoints2d.npz");
    EXPECT_NE(std::string(e.what()).find("cam01_json"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace epilabel
