// The keypoint-input stage where it meets a calibration: image sizes and keypoint extents.
#include "pseudolabel/keypoint_input.h"

#include <gtest/gtest.h>

#include "detection/io/keypoints_npz.h"
#include "foundation/error.h"
#include "tests/testing.h"

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

// Two cameras over 0.3 s: cam_01 evenly at 10 fps, cam_02 at uneven times; one joint moving
// linearly (x = 100 + 200 t px).
TEST(CheckRigUnits, WarnsOfARigInMillimetresReadAsMetresAndSaysHowToConvert) {
  Rig rig = Calibration(1920, 1080);
  for (int c = 0; c < 2; ++c) {
    rig[c].has_extrinsics = true;
    rig[c].cam_from_world.translation = Eigen::Vector3d(2.5 * c, 0.0, 3.0);  // a 2.5 m baseline
  }
  EXPECT_FALSE(CheckRigUnits(rig, "calib.toml").has_value());
  for (Camera& cam : rig) cam.cam_from_world.translation *= 1000.0;  // the same rig in millimetres
  const std::optional<std::string> warning = CheckRigUnits(rig, "calib.toml");
  ASSERT_TRUE(warning.has_value());
  EXPECT_NE(warning->find("calib.toml: the cameras are a median 2500 m apart"), std::string::npos) << *warning;
  EXPECT_NE(warning->find("--units mm"), std::string::npos) << *warning;
  // Given through MatchCalibration when the run needs the extrinsics, not for intrinsics only.
  const KeypointInput in = Input(1920, 1080, Eigen::Vector2d(100.0, 200.0));
  std::vector<std::string> warnings;
  MatchCalibration(rig, "calib.toml", in, CalibrationNeed::kIntrinsicsAndExtrinsics, &warnings);
  EXPECT_EQ(warnings, std::vector<std::string>{*warning});
  warnings.clear();
  MatchCalibration(rig, "calib.toml", in, CalibrationNeed::kIntrinsics, &warnings);
  EXPECT_TRUE(warnings.empty());
}

TEST(KeypointInputFromMemory, KeepsTheKeypointsAndNamesTheirSkeletonAndCameras) {
  KeypointInput read = Input(1920, 1080, Eigen::Vector2d(100.0, 200.0));
  read.keypoints.skeleton = "coco17";
  const KeypointInput in = KeypointInputFromMemory(read.keypoints, "studio");
  EXPECT_EQ(in.path, "studio");
  ASSERT_NE(in.skeleton, nullptr);
  EXPECT_EQ(in.skeleton->name, "coco17");
  EXPECT_EQ(in.camera_names, (std::vector<std::string>{"cam_01", "cam_02"}));
  ASSERT_EQ(in.keypoints.cameras.size(), 2u);
  EXPECT_EQ(in.keypoints.cameras[1].people[0][0].joints[0], Eigen::Vector3d(100.0, 200.0, 0.9));
  EXPECT_TRUE(in.timing.empty());

  read.keypoints.skeleton = "no_such_skeleton";
  EXPECT_THROW(KeypointInputFromMemory(read.keypoints, "studio"), InputError);
}

TEST(LoadKeypointInput, AVariableRateCameraIsPutOnEvenlySpacedFramesTheOthersStayAsRead) {
  testing::TempDir dir;
  KeypointSequence seq;
  seq.skeleton = "coco17";
  seq.num_joints = 17;
  const std::vector<std::vector<double>> times = {{0.0, 0.1, 0.2, 0.3}, {0.0, 0.07, 0.2, 0.3}};
  for (int c = 0; c < 2; ++c) {
    CameraKeypoints cam;
    cam.name = "cam_0" + std::to_string(c + 1);
    for (size_t i = 0; i < 4; ++i) {
      Person2d p;
      p.joints.assign(17, Eigen::Vector3d::Zero());
      for (int j = 0; j < 17; ++j) p.joints[j] = Eigen::Vector3d(100.0 + 200.0 * times[c][i] + j, 50.0, 0.9);
      cam.frame_numbers.push_back(static_cast<int64_t>(i));
      cam.timestamps_s.push_back(times[c][i]);
      cam.people.push_back({p});
    }
    seq.cameras.push_back(cam);
  }
  WriteKeypointsNpz(seq, dir / "k.npz");
  const KeypointInput in = LoadKeypointInput(dir / "k.npz", "", 2);
  ASSERT_EQ(in.timing.size(), 2u);
  EXPECT_FALSE(in.timing[0].variable);
  EXPECT_TRUE(in.timing[1].variable);
  EXPECT_EQ(in.MeasuredFps(), (std::vector<double>{in.timing[0].fps, in.timing[1].fps}));
  EXPECT_NEAR(in.timing[1].fps, 10.0, 1e-9);
  // cam_01 exactly as read; cam_02's frame 1 now at 0.1 s: x = 120 (linear motion, any scheme).
  EXPECT_EQ(in.keypoints.cameras[0].people[1][0].joints[0], seq.cameras[0].people[1][0].joints[0]);
  EXPECT_EQ(in.keypoints.cameras[0].timestamps_s, times[0]);
  EXPECT_NEAR(in.keypoints.cameras[1].people[1][0].joints[0].x(), 120.0, 1e-9);
  EXPECT_NEAR(in.keypoints.cameras[1].timestamps_s[1], 0.1, 1e-12);
  // Without timestamps nothing is measured.
  for (CameraKeypoints& cam : seq.cameras) cam.timestamps_s.clear();
  WriteKeypointsNpz(seq, dir / "plain.npz");
  const KeypointInput plain = LoadKeypointInput(dir / "plain.npz", "", 2);
  EXPECT_FALSE(plain.timing[1].known());
  EXPECT_EQ(plain.keypoints.cameras[1].people[1][0].joints[0], seq.cameras[1].people[1][0].joints[0]);
}

// A take on disk: cameras `names` (each with the image size given, 0 = none), frames
// first..first+count-1, one person per view at x = 100 + frame.
std::string WriteTake(const std::string& path, const std::vector<std::string>& names, int64_t first, int count,
                      int width = 0, int height = 0) {
  KeypointSequence seq;
  seq.skeleton = "coco17";
  seq.num_joints = 17;
  for (const std::string& name : names) {
    CameraKeypoints cam;
    cam.name = name;
    cam.width = width;
    cam.height = height;
    for (int i = 0; i < count; ++i) {
      Person2d p;
      p.joints.assign(17, Eigen::Vector3d(100.0 + first + i, 50.0, 0.9));
      cam.frame_numbers.push_back(first + i);
      cam.people.push_back({p});
    }
    seq.cameras.push_back(cam);
  }
  WriteKeypointsNpz(seq, path);
  return path;
}

// Two takes of one rig: the second's frames follow the first's, its cameras are matched by name
// (cam02 is cam_02 by its number), a camera only one take has is kept, and each take's own input
// holds its frames only.
TEST(LoadTakes, TheTakesFramesFollowEachOtherAndTheirCamerasAreMatchedByName) {
  testing::TempDir dir;
  const std::string a = WriteTake(dir / "a.npz", {"cam_01", "cam_02"}, 0, 3);
  const std::string b = WriteTake(dir / "b.npz", {"cam02", "cam_03"}, 10, 2);
  const KeypointInput in = LoadTakes({a, b}, "", 2);
  EXPECT_EQ(in.camera_names, (std::vector<std::string>{"cam_01", "cam_02", "cam_03"}));
  ASSERT_EQ(in.takes.size(), 2u);
  EXPECT_EQ(in.takes[0].path, a);
  EXPECT_EQ(in.takes[1].frame_shift, -7);
  EXPECT_EQ(in.takes[1].first_frame, 3);
  EXPECT_EQ(in.takes[1].end_frame, 5);
  EXPECT_EQ(in.takes[1].num_frames, 2);
  EXPECT_EQ(in.takes[1].num_cameras, 2);
  EXPECT_EQ(in.keypoints.cameras[0].frame_numbers, (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(in.keypoints.cameras[1].frame_numbers, (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(in.keypoints.cameras[2].frame_numbers, (std::vector<int64_t>{3, 4}));
  // Take b's frame 11 is pooled frame 4 and keeps its keypoints.
  EXPECT_DOUBLE_EQ(in.keypoints.cameras[1].people[4][0].joints[0].x(), 111.0);
  EXPECT_EQ(TakeOfFrame(in, 2), 0);
  EXPECT_EQ(TakeOfFrame(in, 3), 1);
  EXPECT_EQ(TakeOfFrame(in, 5), -1);
  const KeypointInput second = TakeInput(in, 1);
  EXPECT_TRUE(second.takes.empty());
  EXPECT_EQ(second.path, b);
  EXPECT_EQ(second.camera_names, in.camera_names);
  EXPECT_TRUE(second.keypoints.cameras[0].frame_numbers.empty());  // cam_01 is not in take b
  EXPECT_EQ(second.keypoints.AllFrameNumbers(), (std::vector<int64_t>{3, 4}));
  EXPECT_TRUE(RepeatedTakeNotes(in).empty());  // take b's people stand elsewhere (x = 100 + its own frame)
  // The same recording given twice is noted, naming both takes.
  const std::vector<std::string> twice = RepeatedTakeNotes(LoadTakes({a, a}, "", 2));
  ASSERT_EQ(twice.size(), 1u);
  EXPECT_NE(twice[0].find("repeats 100 %"), std::string::npos) << twice[0];
  // One take is read as before: no takes.
  const KeypointInput one = LoadTakes({a}, "", 2);
  EXPECT_TRUE(one.takes.empty());
  EXPECT_EQ(one.path, a);
  EXPECT_EQ(one.keypoints.cameras.size(), 2u);
}

// Bad takes are refused with the take's path in the message.
TEST(LoadTakes, ErrorsNameTheTake) {
  testing::TempDir dir;
  const std::string a = WriteTake(dir / "a.npz", {"cam_01", "cam_02"}, 0, 3, 1088, 1920);
  const std::string resized = WriteTake(dir / "resized.npz", {"cam_01", "cam_02"}, 0, 3, 1080, 1920);
  const auto message = [](const std::vector<std::string>& paths) {
    try {
      LoadTakes(paths, "", 2);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string size = message({a, resized});
  EXPECT_NE(size.find(resized), std::string::npos) << size;
  EXPECT_NE(size.find("1080x1920"), std::string::npos) << size;
  EXPECT_NE(size.find(a), std::string::npos) << size;  // where the other size came from
  const std::string missing = message({a, dir / "no_such_take"});
  EXPECT_NE(missing.find("no_such_take"), std::string::npos) << missing;
  const std::string lonely = message({a, WriteTake(dir / "one_camera.npz", {"cam_01"}, 0, 3)});
  EXPECT_NE(lonely.find("one_camera.npz"), std::string::npos) << lonely;
}

// The stature model takes the skeleton's soles (BlazePose: heel and toe tip under each ankle chain)
// and the height of those joints; skeletons without soles keep the ankle constant alone.
TEST(WorldFrameOptionsFor, GivesTheStatureModelTheSkeletonsSoles) {
  const Skeleton& blazepose = GetSkeleton("blazepose33");
  const WorldFrameOptions o = WorldFrameOptionsFor(blazepose);
  EXPECT_EQ(o.stature_model.soles, blazepose.height_soles);
  EXPECT_EQ(o.stature_model.soles.size(), o.stature_model.legs.size());
  EXPECT_DOUBLE_EQ(o.stature_model.sole_height_m, blazepose.foot_height);
  EXPECT_TRUE(WorldFrameOptionsFor(GetSkeleton("coco17")).stature_model.soles.empty());
}

}  // namespace
}  // namespace epilabel
