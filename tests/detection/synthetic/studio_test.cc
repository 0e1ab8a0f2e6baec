#include "detection/synthetic/studio.h"

#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <tbb/global_control.h>

#include "detection/io/calibration_io.h"
#include "foundation/file_util.h"
#include "detection/io/keypoint_io.h"
#include "foundation/npz.h"
#include "detection/skeleton.h"
#include "detection/synthetic/rigs.h"
#include "foundation/error.h"
#include "tests/detection/synthetic/synthetic_testing.h"

namespace fs = std::filesystem;

namespace epilabel {
namespace {

using testing::SmallStudio;

StudioOptions Clean(const std::string& rig, int frames) {
  StudioOptions o = SmallStudio(rig, frames);
  o.noise_px = 0.0;
  o.outlier_rate = o.swap_rate = o.missing_rate = 0.0;
  return o;
}

nlohmann::json ReadJson(const std::string& path) { return nlohmann::json::parse(ReadFileToString(path)); }

// The Done-when check of issue 2, through the files: every visible 2D point of the OpenPose
// JSON equals the OpenCV projection of gt.npz through calibration.toml to 1e-6 px.
TEST(Studio, WithoutNoiseTheWrittenKeypointsAreTheProjectionOfTheTruth) {
  for (const std::string rig : {"ring8", "ceiling6"}) {
    testing::TempDir dir;
    const std::string out = dir / "scene";
    const SyntheticScene scene = Synthesize(Clean(rig, 100));
    WriteSyntheticScene(scene, out);
    for (const char* file : {"calibration.toml", "intrinsics.toml", "keypoints2d.npz", "gt.npz", "scene.json"}) {
      EXPECT_TRUE(fs::is_regular_file(fs::path(out) / file)) << file;
    }
    const Rig calibration = ReadCalibrationToml(out + "/calibration.toml");
    KeypointReadOptions read_options;
    read_options.skeleton = "coco17";
    const KeypointSequence keypoints = ReadOpenPoseFolder(out + "/pose", read_options);
    const GroundTruth gt = ReadGroundTruth(out + "/gt.npz");
    ASSERT_EQ(calibration.size(), scene.rig.size());
    ASSERT_EQ(keypoints.cameras.size(), scene.rig.size());
    ASSERT_EQ(gt.num_cameras, static_cast<int>(scene.rig.size()));
    ASSERT_EQ(gt.points3d.num_frames(), 100);
    int64_t checked = 0, invisible = 0;
    for (const CameraKeypoints& cam : keypoints.cameras) {
      int c = -1;
      for (size_t i = 0; i < calibration.size(); ++i) {
        if (calibration[i].name == cam.name) c = static_cast<int>(i);
      }
      ASSERT_GE(c, 0) << cam.name;
      for (size_t i = 0; i < cam.frame_numbers.size(); ++i) {
        const int f = static_cast<int>(cam.frame_numbers[i]);
        ASSERT_LT(f, gt.points3d.num_frames());
        ASSERT_LE(cam.people[i].size(), 1u);
        if (cam.people[i].empty()) continue;
        const Person2d& person = cam.people[i][0];
        const std::vector<Eigen::Vector3d> joints(gt.points3d.Row(f), gt.points3d.Row(f) + 17);
        const auto projected = testing::ProjectWithOpenCv(calibration[c], joints);
        for (int j = 0; j < 17; ++j) {
          const bool is_invisible = gt.invisible_mask[scene.MaskIndex(c, f, j)] != 0;
          if (is_invisible) {
            EXPECT_EQ(person.joints[j], Eigen::Vector3d::Zero());
            ++invisible;
            continue;
          }
          ASSERT_GT(person.joints[j].z(), 0.0);
          ASSERT_NEAR((person.joints[j].head<2>() - projected[j]).norm(), 0.0, 1e-6)
              << rig << " " << cam.name << " frame " << f << " joint " << j;
          ++checked;
        }
      }
    }
    const nlohmann::json info = ReadJson(out + "/scene.json");
    EXPECT_EQ(checked, info["statistics"]["visible"].get<int64_t>());
    EXPECT_GT(checked, static_cast<int64_t>(scene.rig.size()) * 100 * 17 / 2);
    // Intrinsics-only file: same intrinsics, no extrinsics.
    const Rig intrinsics = ReadCalibrationToml(out + "/intrinsics.toml");
    ASSERT_EQ(intrinsics.size(), scene.rig.size());
    EXPECT_FALSE(intrinsics[0].has_extrinsics);
    EXPECT_EQ(intrinsics[0].fx, scene.rig[0].fx);
  }
}

// synth --lens fisheye: every camera an equidistant fisheye of 150 degrees across the image,
// written with fisheye = true, and the noise-free keypoints are cv::fisheye::projectPoints of the
// truth through the calibration file read back.
TEST(Studio, FisheyeLensesAreWrittenAndProjectAsOpenCvFisheye) {
  testing::TempDir dir;
  const std::string out = dir / "scene";
  StudioOptions o = Clean("h36m4", 40);
  o.lens = "fisheye";
  const SyntheticScene scene = Synthesize(o);
  WriteSyntheticScene(scene, out);
  const Rig calibration = ReadCalibrationToml(out + "/calibration.toml");
  ASSERT_EQ(calibration.size(), 4u);
  for (const Camera& cam : calibration) {
    EXPECT_EQ(cam.lens, LensModel::kFisheye);
    EXPECT_NEAR(cam.fx, 0.5 * cam.width / (75.0 * M_PI / 180.0), 1e-9);
  }
  EXPECT_EQ(ReadJson(out + "/scene.json")["options"]["lens"], "fisheye");
  int64_t checked = 0;
  for (int c = 0; c < 4; ++c) {
    const Camera& cam = calibration[c];
    const Eigen::Vector3d r = RodriguesFromRotation(cam.cam_from_world.RotationMatrix());
    const Eigen::Vector3d& t = cam.cam_from_world.translation;
    const cv::Matx33d k(cam.fx, 0, cam.cx, 0, cam.fy, cam.cy, 0, 0, 1);
    const cv::Vec4d d(cam.distortion[0], cam.distortion[1], cam.distortion[2], cam.distortion[3]);
    for (int f = 0; f < 40; ++f) {
      std::vector<cv::Point3d> object;
      for (int j = 0; j < 17; ++j) object.emplace_back(scene.points3d.at(f, j).x(), scene.points3d.at(f, j).y(),
                                                       scene.points3d.at(f, j).z());
      std::vector<cv::Point2d> image;
      cv::fisheye::projectPoints(object, image, cv::Vec3d(r.x(), r.y(), r.z()), cv::Vec3d(t.x(), t.y(), t.z()), k, d);
      for (int j = 0; j < 17; ++j) {
        if (scene.invisible_mask[scene.MaskIndex(c, f, j)] != 0) continue;
        const Eigen::Vector3d o2 = scene.observations.at(c, f, j);
        ASSERT_NEAR(o2.x(), image[j].x, 1e-6) << c << " " << f << " " << j;
        ASSERT_NEAR(o2.y(), image[j].y, 1e-6) << c << " " << f << " " << j;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 4 * 40 * 17 / 2);
  StudioOptions bad = o;
  bad.fisheye_fov_deg = 190.0;
  try {
    bad.Check();
    FAIL() << "a 190 degree fisheye accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where(), "fisheye_fov");
  }
  bad = o;
  bad.lens = "omni";
  EXPECT_THROW(bad.Check(), InputError);
}

TEST(Studio, BoneLengthsInGtAreConstantAcrossClipChanges) {
  testing::TempDir dir;
  StudioOptions o = SmallStudio("stereo2", 900);  // 30 s: several clips
  o.seed = 9;
  const SyntheticScene scene = Synthesize(o);
  EXPECT_GE(scene.clip_names.size(), 3u);
  WriteSyntheticScene(scene, dir / "scene");
  const GroundTruth gt = ReadGroundTruth(dir / "scene/gt.npz");
  const auto& bones = GetSkeleton("coco17").bones;
  ASSERT_EQ(gt.bone_lengths.size(), bones.size());
  EXPECT_NEAR(gt.subject_height, scene.subject_height, 0.0);
  EXPECT_GT(gt.subject_height, 1.4);
  double worst = 0.0;
  for (int f = 0; f < gt.points3d.num_frames(); ++f) {
    for (size_t b = 0; b < bones.size(); ++b) {
      const double length = (gt.points3d.at(f, bones[b].child) - gt.points3d.at(f, bones[b].parent)).norm();
      worst = std::max(worst, std::abs(length - gt.bone_lengths[b]));
    }
  }
  EXPECT_LT(worst, 1e-9);
}

TEST(Studio, PersonStaysInTheAreaAndMostCamerasSeeIt) {
  for (const auto& rig_name : StudioRigNames()) {
    const StudioRig rig = MakeStudioRig(rig_name);
    const SyntheticScene scene = Synthesize(Clean(rig_name, 600));
    const int num_cameras = static_cast<int>(scene.rig.size());
    int64_t frames_seen_by_most = 0, views_fully_visible = 0;
    for (int f = 0; f < scene.points3d.num_frames(); ++f) {
      for (int j = 0; j < 17; ++j) {
        const Eigen::Vector2d d = scene.points3d.at(f, j).head<2>() - rig.area_center;
        ASSERT_LE(std::abs(d.x()), rig.area_half_extents.x() + 1e-9);
        ASSERT_LE(std::abs(d.y()), rig.area_half_extents.y() + 1e-9);
      }
      int seeing = 0;
      for (int c = 0; c < num_cameras; ++c) {
        int visible = 0;
        for (int j = 0; j < 17; ++j) visible += scene.invisible_mask[scene.MaskIndex(c, f, j)] == 0;
        seeing += visible >= 13;
        views_fully_visible += visible == 17;
      }
      frames_seen_by_most += 2 * seeing > num_cameras || (num_cameras == 2 && seeing == 2);
    }
    const double frames = scene.points3d.num_frames();
    EXPECT_GT(frames_seen_by_most / frames, 0.95) << rig_name;
    EXPECT_GT(views_fully_visible / (frames * num_cameras), 0.8) << rig_name;
  }
}

TEST(Studio, SameSeedGivesTheSameSceneWithAnyThreadCount) {
  StudioOptions o = SmallStudio("h36m4", 120);
  o.outlier_rate = 0.05;
  o.swap_rate = 0.05;
  o.seed = 1234;
  SyntheticScene one, two;
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 1);
    one = Synthesize(o);
  }
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 2);
    two = Synthesize(o);
  }
  EXPECT_EQ(one.points3d.data(), two.points3d.data());
  EXPECT_EQ(one.observations.data(), two.observations.data());
  EXPECT_EQ(one.outlier_mask, two.outlier_mask);
  EXPECT_EQ(one.swap_mask, two.swap_mask);
  EXPECT_EQ(one.missing_mask, two.missing_mask);
  EXPECT_EQ(one.invisible_mask, two.invisible_mask);
  EXPECT_EQ(one.clip_names, two.clip_names);
  // And the written files hold the same content (zip members carry a time stamp, so the
  // archives are compared array by array).
  testing::TempDir dir;
  WriteSyntheticScene(one, dir / "a");
  WriteSyntheticScene(two, dir / "b");
  for (const char* file : {"calibration.toml", "scene.json"}) {
    EXPECT_TRUE(ReadFileToString(dir / (std::string("a/") + file)) == ReadFileToString(dir / (std::string("b/") + file)))
        << file;
  }
  for (const char* file : {"gt.npz", "keypoints2d.npz"}) {
    const auto a = ReadNpz(dir / (std::string("a/") + file));
    const auto b = ReadNpz(dir / (std::string("b/") + file));
    ASSERT_EQ(a.size(), b.size()) << file;
    for (const auto& [name, array] : a) {
      ASSERT_TRUE(b.count(name)) << file << " " << name;
      EXPECT_EQ(array.shape, b.at(name).shape) << file << " " << name;
      EXPECT_TRUE(array.data == b.at(name).data) << file << " " << name;
    }
  }
  o.seed = 1235;
  const SyntheticScene other = Synthesize(o);
  EXPECT_NE(one.points3d.data(), other.points3d.data());
  EXPECT_NE(one.observations.data(), other.observations.data());
}

TEST(Studio, NoiseStatisticsFollowTheOptions) {
  StudioOptions o = SmallStudio("ring8", 400);
  o.noise_px = 3.0;
  o.outlier_rate = 0.08;
  o.swap_rate = 0.04;
  o.missing_rate = 0.06;
  const SyntheticScene scene = Synthesize(o);
  EXPECT_NEAR(scene.statistics.outlier_rate(), 0.08, 0.01);
  EXPECT_NEAR(scene.statistics.swap_rate(), 0.04, 0.01);
  EXPECT_NEAR(scene.statistics.missing_rate(), 0.06, 0.01);
  int64_t outliers = 0;
  for (uint8_t m : scene.outlier_mask) outliers += m;
  EXPECT_EQ(outliers, scene.statistics.outliers);
}

TEST(Studio, BadOptionsAreInputErrorsNamingTheOption) {
  struct Case {
    std::string expected;
    std::function<void(StudioOptions&)> change;
  };
  const std::vector<Case> cases = {
      {"rig: ", [](StudioOptions& o) { o.rig = "dome12"; }},
      {"frames: ", [](StudioOptions& o) { o.num_frames = 0; }},
      {"fps: ", [](StudioOptions& o) { o.fps = 0.0; }},
      {"fps: ", [](StudioOptions& o) { o.fps = std::nan(""); }},
      {"noise_px: ", [](StudioOptions& o) { o.noise_px = -1.0; }},
      {"outlier_rate: ", [](StudioOptions& o) { o.outlier_rate = 1.5; }},
      {"swap_rate: ", [](StudioOptions& o) { o.swap_rate = -0.5; }},
      {"missing_rate: ", [](StudioOptions& o) { o.missing_rate = 2.0; }},
      {"people: ", [](StudioOptions& o) { o.num_people = 9; }},
      {"people: ", [](StudioOptions& o) { o.num_people = 0; }},
      {"enter_leave: ", [](StudioOptions& o) { o.enter_leave = true; }},
      {"min_distance: ", [](StudioOptions& o) { o.min_distance_m = -0.5; }},
      {"heights: ", [](StudioOptions& o) { o.min_height_m = 2.0; }},
      {"false_positive_rate: ", [](StudioOptions& o) { o.false_positive_rate = 2.0; }},
      {"motion", [](StudioOptions& o) { o.data_dir.clear(); }},
      {"motion folder not found", [](StudioOptions& o) { o.data_dir = "/nonexistent/data"; }},
      {"nope.bvh", [](StudioOptions& o) { o.motion_files = {"/nonexistent/nope.bvh"}; }},
  };
  for (const auto& c : cases) {
    StudioOptions o = SmallStudio("h36m4", 10);
    c.change(o);
    try {
      Synthesize(o);
      ADD_FAILURE() << "no error for " << c.expected;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(c.expected), std::string::npos) << e.what();
    }
  }
  // A BVH that is not a CMU skeleton.
  testing::TempDir dir;
  const std::string tiny = dir / "tiny.bvh";
  std::ofstream(tiny) << "HIERARCHY\nROOT Hips\n{\nOFFSET 0 0 0\nCHANNELS 6 Xposition Yposition Zposition Zrotation "
                         "Yrotation Xrotation\nEnd Site\n{\nOFFSET 0 1 0\n}\n}\nMOTION\nFrames: 1\nFrame Time: 0.01\n"
                         "0 0 0 0 0 0\n";
  StudioOptions o = SmallStudio("h36m4", 10);
  o.motion_files = {tiny};
  EXPECT_THROW(Synthesize(o), InputError);
}

TEST(Studio, NumpyReadsTheGroundTruth) {
  testing::TempDir dir;
  const SyntheticScene scene = Synthesize(SmallStudio("stereo2", 40));
  WriteSyntheticScene(scene, dir / "scene");
  const std::string script = dir / "check.py";
  std::ofstream(script) << "import numpy as np, sys\n"
                           "z = np.load(sys.argv[1])\n"
                           "assert z['points3d'].shape == (40, 17, 3) and z['points3d'].dtype == np.float64\n"
                           "assert z['K'].shape == (2, 3, 3) and z['dist'].shape == (2, 5)\n"
                           "assert z['R'].shape == (2, 3, 3) and z['t'].shape == (2, 3)\n"
                           "assert z['image_size'].tolist() == [[1920, 1080], [1920, 1080]]\n"
                           "assert list(z['camera_names']) == ['cam_01', 'cam_02']\n"
                           "assert len(z['joint_names']) == 17 and z['joint_names'][0] == 'nose'\n"
                           "for m in ['outlier_mask', 'swap_mask', 'missing_mask', 'invisible_mask']:\n"
                           "    assert z[m].shape == (2, 40, 17) and z[m].dtype == np.uint8, m\n"
                           "assert z['bone_lengths'].shape == (16,)\n"
                           "assert z['subject_height'].shape == () and 1.4 < float(z['subject_height']) < 1.9\n"
                           "R = z['R'][0]\n"
                           "assert abs(np.linalg.det(R) - 1) < 1e-9 and np.allclose(R @ R.T, np.eye(3))\n"
                           "b = z['bones']\n"
                           "l = np.linalg.norm(z['points3d'][:, b[:, 0]] - z['points3d'][:, b[:, 1]], axis=2)\n"
                           "assert np.abs(l - z['bone_lengths'][None]).max() < 1e-9\n"
                           "print('ok')\n";
  const auto r = testing::Run(testing::PythonWithNumpy() + " " + script + " " + (dir / "scene/gt.npz"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("ok"), std::string::npos) << r.output;
}

TEST(Studio, SceneJsonHoldsTheOptionsStatisticsAndClips) {
  testing::TempDir dir;
  StudioOptions o = SmallStudio("ceiling6", 120);
  o.seed = 77;
  o.noise_px = 2.5;
  const SyntheticScene scene = Synthesize(o);
  WriteSyntheticScene(scene, dir / "scene");
  const nlohmann::json j = ReadJson(dir / "scene/scene.json");
  EXPECT_EQ(j["options"]["rig"], "ceiling6");
  EXPECT_EQ(j["options"]["frames"], 120);
  EXPECT_EQ(j["options"]["seed"], 77);
  EXPECT_EQ(j["options"]["noise_px"], 2.5);
  EXPECT_EQ(j["options"]["hip_offset_px"], 3.75);
  EXPECT_EQ(j["statistics"]["visible"], scene.statistics.visible);
  EXPECT_EQ(j["statistics"]["outliers"], scene.statistics.outliers);
  EXPECT_EQ(j["statistics"]["swapped_pairs"], scene.statistics.swapped_pairs);
  EXPECT_EQ(j["statistics"]["missing"], scene.statistics.missing);
  EXPECT_EQ(j["statistics"]["invisible"], scene.statistics.invisible());
  ASSERT_EQ(j["clips"].size(), scene.clip_names.size());
  int frames = 0;
  for (const auto& clip : j["clips"]) frames += clip["frames"].get<int>();
  EXPECT_EQ(frames, 120);
  EXPECT_EQ(j["rig"]["cameras"].size(), 6u);
  EXPECT_NEAR(j["subject_height_m"].get<double>(), scene.subject_height, 1e-12);
}

TEST(Studio, KeypointFilesMirrorTheObservations) {
  testing::TempDir dir;
  const SyntheticScene scene = Synthesize(SmallStudio("h36m4", 60));
  const KeypointSequence seq = scene.ToKeypointSequence();
  EXPECT_EQ(seq.skeleton, "coco17");
  ASSERT_EQ(seq.cameras.size(), 4u);
  EXPECT_EQ(seq.cameras[0].name, "cam_01");
  EXPECT_EQ(seq.cameras[0].width, 1000);
  EXPECT_EQ(seq.cameras[0].frame_numbers.size(), 60u);
  WriteSyntheticScene(scene, dir / "scene");
  const KeypointSequence npz = ReadKeypointsNpz(dir / "scene/keypoints2d.npz");
  const ObservationTable table = ToObservations(npz);
  ASSERT_EQ(table.observations.num_cameras(), 4);
  ASSERT_EQ(table.observations.num_frames(), 60);
  for (int c = 0; c < 4; ++c) {
    for (int f = 0; f < 60; ++f) {
      for (int j = 0; j < 17; ++j) {
        ASSERT_EQ(table.observations.at(c, f, j), scene.observations.at(c, f, j)) << c << " " << f << " " << j;
      }
    }
  }
}

TEST(Studio, WritingReplacesAnOldSceneButNeverAnUnrelatedFolder) {
  testing::TempDir dir;
  const SyntheticScene scene = Synthesize(SmallStudio("stereo2", 20));
  const std::string unrelated = dir / "photos";
  fs::create_directories(unrelated);
  std::ofstream(unrelated + "/holiday.jpg") << "x";
  EXPECT_THROW(WriteSyntheticScene(scene, unrelated), InputError);
  EXPECT_TRUE(fs::exists(unrelated + "/holiday.jpg"));
  std::ofstream(dir / "file") << "x";
  EXPECT_THROW(WriteSyntheticScene(scene, dir / "file"), InputError);

  WriteSyntheticScene(scene, dir / "scene");
  std::ofstream(dir / "scene/stale.txt") << "old";
  WriteSyntheticScene(scene, dir / "scene/");  // trailing slash: the same folder
  EXPECT_FALSE(fs::exists(dir / "scene/stale.txt"));
  EXPECT_TRUE(fs::exists(dir / "scene/gt.npz"));
  // No temporary folders left behind.
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir.path())) entries += e.path().filename().string()[0] == '.';
  EXPECT_EQ(entries, 0);
}

TEST(Studio, ReadGroundTruthRejectsMalformedFiles) {
  testing::TempDir dir;
  EXPECT_THROW(ReadGroundTruth(dir / "missing.npz"), InputError);
  std::ofstream(dir / "text.npz") << "not a zip";
  EXPECT_THROW(ReadGroundTruth(dir / "text.npz"), InputError);
  {
    NpzWriter w(dir / "nopoints.npz");
    w.Add("K", NpyArray::FromVector(std::vector<double>(9, 1.0), {1, 3, 3}));
    w.Close();
  }
  EXPECT_THROW(ReadGroundTruth(dir / "nopoints.npz"), InputError);
  {
    NpzWriter w(dir / "badmask.npz");
    w.Add("points3d", NpyArray::FromVector(std::vector<double>(2 * 17 * 3, 0.0), {2, 17, 3}));
    w.Add("outlier_mask", NpyArray::FromVector(std::vector<uint8_t>(3 * 17, 0), {1, 3, 17}));
    w.Close();
  }
  try {
    ReadGroundTruth(dir / "badmask.npz");
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("outlier_mask"), std::string::npos) << e.what();
  }
  {
    NpzWriter w(dir / "badshape.npz");
    w.Add("points3d", NpyArray::FromVector(std::vector<double>(2 * 17 * 2, 0.0), {2, 17, 2}));
    w.Close();
  }
  EXPECT_THROW(ReadGroundTruth(dir / "badshape.npz"), InputError);
}

// ---------------------------------------------------------------------------------------------
// Several people

StudioOptions People(const std::string& rig, int frames, int people) {
  StudioOptions o = SmallStudio(rig, frames);
  o.num_people = people;
  return o;
}

TEST(Studio, OnePersonSceneListsThatPersonOnce) {
  const SyntheticScene scene = Synthesize(SmallStudio("stereo2", 50));
  ASSERT_EQ(scene.people.size(), 1u);
  EXPECT_EQ(scene.people[0].points3d.data(), scene.points3d.data());
  EXPECT_EQ(scene.people[0].height, scene.subject_height);
  EXPECT_TRUE(scene.people[0].occluded_mask.empty());
  ASSERT_EQ(scene.num_slots, 1);
  const KeypointSequence seq = scene.ToKeypointSequence();
  for (int c = 0; c < 2; ++c) {
    for (int f = 0; f < 50; ++f) {
      EXPECT_EQ(scene.detection_person[scene.SlotIndex(c, f, 0)], seq.cameras[c].people[f].empty() ? -1 : 0);
    }
  }
}

TEST(Studio, SeveralPeopleHaveTheirOwnBodiesAndKeepTheirDistance) {
  const StudioRig rig = MakeStudioRig("h36m4");
  const SyntheticScene scene = Synthesize(People("h36m4", 600, 3));
  ASSERT_EQ(scene.people.size(), 3u);
  const auto& bones = GetSkeleton("coco17").bones;
  std::set<double> heights;
  for (const PersonTruth& person : scene.people) {
    EXPECT_GE(person.height, 1.55);
    EXPECT_LE(person.height, 1.95);
    heights.insert(person.height);
    ASSERT_EQ(person.bone_lengths.size(), bones.size());
    // The body is scaled as a whole: every bone by height / (height of person 0).
    for (size_t b = 0; b < bones.size(); ++b) {
      EXPECT_NEAR(person.bone_lengths[b] / scene.people[0].bone_lengths[b], person.height / scene.people[0].height,
                  1e-9);
    }
    double worst = 0.0;
    for (int f = 0; f < 600; ++f) {
      ASSERT_TRUE(person.present[f]);
      for (size_t b = 0; b < bones.size(); ++b) {
        const double length = (person.points3d.at(f, bones[b].child) - person.points3d.at(f, bones[b].parent)).norm();
        worst = std::max(worst, std::abs(length - person.bone_lengths[b]));
      }
      for (int j = 0; j < 17; ++j) {
        const Eigen::Vector2d d = person.points3d.at(f, j).head<2>() - rig.area_center;
        ASSERT_LE(std::abs(d.x()), rig.area_half_extents.x() + 1e-9);
        ASSERT_LE(std::abs(d.y()), rig.area_half_extents.y() + 1e-9);
      }
    }
    EXPECT_LT(worst, 1e-9);
  }
  EXPECT_EQ(heights.size(), 3u);
  EXPECT_NE(scene.people[0].clip_start_frames, scene.people[1].clip_start_frames);
  double nearest = 1e9;
  for (int f = 0; f < 600; ++f) {
    for (int a = 0; a < 3; ++a) {
      for (int b = a + 1; b < 3; ++b) {
        const auto hip = [&](int p) {
          const Points3d& x = scene.people[p].points3d;
          return Eigen::Vector2d(0.5 * (x.at(f, 11) + x.at(f, 12)).head<2>());
        };
        nearest = std::min(nearest, (hip(a) - hip(b)).norm());
      }
    }
  }
  EXPECT_GE(nearest, 0.8);
  EXPECT_NEAR(scene.min_person_distance, nearest, 1e-12);
  EXPECT_EQ(scene.crowded_frames, 0);
  // The single-person fields are person 0.
  EXPECT_EQ(scene.points3d.data(), scene.people[0].points3d.data());
  EXPECT_EQ(scene.observations.data(), scene.people[0].observations.data());
}

// With several people nobody teleports: every stretch starts where the last one ended, except
// at the few counted jumps (seed 1: none on ring8, one on h36m4 with four people coming and going).
TEST(Studio, SeveralPeopleMoveWithoutJumps) {
  for (const auto& [rig, people, enter_leave, most_jumps] :
       {std::make_tuple("ring8", 3, false, 0), std::make_tuple("h36m4", 4, true, 1)}) {
    StudioOptions o = People(rig, 600, people);
    o.enter_leave = enter_leave;
    o.bystander = true;
    const SyntheticScene scene = Synthesize(o);
    int jumps = 0;
    for (const PersonTruth& person : scene.people) {
      jumps += static_cast<int>(person.jump_frames.size());
      const std::set<int> jump_frames(person.jump_frames.begin(), person.jump_frames.end());
      EXPECT_GE(person.clip_start_frames.size(), 2u) << rig << " " << person.id;
      const Points3d& x = person.points3d;
      double hip_step = 0.0, joint_step = 0.0;
      for (int f = 1; f < 600; ++f) {
        if (!person.present[f] || !person.present[f - 1] || jump_frames.count(f) != 0) continue;
        const auto hip = [&](int g) { return Eigen::Vector2d(0.5 * (x.at(g, 11) + x.at(g, 12)).head<2>()); };
        hip_step = std::max(hip_step, (hip(f) - hip(f - 1)).norm());
        for (int j = 0; j < 17; ++j) joint_step = std::max(joint_step, (x.at(f, j) - x.at(f - 1, j)).norm());
      }
      EXPECT_LT(hip_step, 0.15) << rig << " " << person.id;
      EXPECT_LT(joint_step * o.fps, 10.5) << rig << " " << person.id;
      for (int f : person.jump_frames) {
        EXPECT_TRUE(person.present[f] && person.present[f - 1]) << f;
      }
    }
    EXPECT_EQ(scene.jumps, jumps);
    EXPECT_LE(jumps, most_jumps) << rig;
    EXPECT_GE(scene.min_person_distance, 0.8) << rig;
  }
}

// Association can be scored exactly: with the noise off, each written detection is the
// projection of the person detection_person names, read back from the files.
TEST(Studio, WithoutNoiseEveryDetectionIsTheProjectionOfItsPerson) {
  testing::TempDir dir;
  StudioOptions o = People("ring8", 120, 3);
  o.noise_px = 0.0;
  o.outlier_rate = o.swap_rate = o.missing_rate = 0.0;
  o.false_positive_rate = 0.05;
  const SyntheticScene scene = Synthesize(o);
  WriteSyntheticScene(scene, dir / "scene");
  const Rig calibration = ReadCalibrationToml(dir / "scene/calibration.toml");
  KeypointReadOptions read_options;
  read_options.skeleton = "coco17";
  const KeypointSequence keypoints = ReadOpenPoseFolder(dir / "scene/pose", read_options);
  const GroundTruth gt = ReadGroundTruth(dir / "scene/gt.npz");
  ASSERT_EQ(gt.people.size(), 3u);
  ASSERT_EQ(gt.num_slots, scene.num_slots);
  ASSERT_EQ(gt.num_cameras, 8);
  ASSERT_EQ(keypoints.cameras.size(), 8u);
  int64_t checked = 0, ghosts = 0, occluded_kept = 0;
  for (int c = 0; c < 8; ++c) {
    const CameraKeypoints& cam = keypoints.cameras[c];
    ASSERT_EQ(cam.name, calibration[c].name);
    ASSERT_EQ(cam.frame_numbers.size(), 120u);
    for (int f = 0; f < 120; ++f) {
      const std::vector<Person2d>& found = cam.people[f];
      ASSERT_LE(static_cast<int>(found.size()), gt.num_slots);
      std::vector<int> times_seen(3, 0);
      for (int s = 0; s < gt.num_slots; ++s) {
        const int person = gt.detection_person[(static_cast<size_t>(c) * 120 + f) * gt.num_slots + s];
        if (s >= static_cast<int>(found.size())) {
          EXPECT_EQ(person, -1);
          continue;
        }
        if (person < 0) {
          ++ghosts;
          continue;
        }
        ASSERT_LT(person, 3);
        ++times_seen[person];
        const PersonGroundTruth& truth = gt.people[person];
        const std::vector<Eigen::Vector3d> joints(truth.points3d.Row(f), truth.points3d.Row(f) + 17);
        const auto projected = testing::ProjectWithOpenCv(calibration[c], joints);
        for (int j = 0; j < 17; ++j) {
          const size_t m = (static_cast<size_t>(c) * 120 + f) * 17 + j;
          const Eigen::Vector3d& k = found[s].joints[j];
          if (truth.invisible_mask[m] || k.z() == 0.0) {
            EXPECT_TRUE(truth.invisible_mask[m] || truth.occluded_mask[m]) << "dropped only when hidden";
            continue;
          }
          ASSERT_NEAR((k.head<2>() - projected[j]).norm(), 0.0, 1e-6) << c << " " << f << " " << person << " " << j;
          occluded_kept += truth.occluded_mask[m];
          ++checked;
        }
      }
      // Every person in view is written exactly once.
      for (int p = 0; p < 3; ++p) {
        const PersonTruth& person = scene.people[p];
        bool any = false;
        for (int j = 0; j < 17; ++j) any = any || person.observations.at(c, f, j).z() > 0.0;
        EXPECT_EQ(times_seen[p], any ? 1 : 0) << c << " " << f << " " << p;
      }
    }
  }
  EXPECT_EQ(ghosts, scene.false_positives);
  EXPECT_GT(ghosts, 0);
  EXPECT_GT(checked, 8 * 120 * 3 * 17 / 2);
  EXPECT_GT(occluded_kept, 0);
}

TEST(Studio, PeopleEnterAndLeaveAndABystanderStandsAside) {
  const StudioRig rig = MakeStudioRig("h36m4");
  StudioOptions o = People("h36m4", 300, 4);
  o.bystander = true;
  o.enter_leave = true;
  const SyntheticScene scene = Synthesize(o);
  ASSERT_EQ(scene.people.size(), 5u);
  int partly_present = 0;
  for (const PersonTruth& person : scene.people) {
    int present = 0;
    for (int f = 0; f < 300; ++f) {
      present += person.present[f];
      ASSERT_EQ(person.points3d.at(f, 0).allFinite(), person.present[f] != 0);
    }
    EXPECT_GT(present, 0) << person.id;
    if (person.id == 0 || person.bystander) {
      EXPECT_EQ(present, 300) << person.id;
    }
    partly_present += present < 300;
  }
  EXPECT_GE(partly_present, 1);
  // Nobody absent is detected.
  for (int c = 0; c < 4; ++c) {
    for (int f = 0; f < 300; ++f) {
      for (int s = 0; s < scene.num_slots; ++s) {
        const int p = scene.detection_person[scene.SlotIndex(c, f, s)];
        if (p >= 0) {
          ASSERT_TRUE(scene.people[p].present[f]) << c << " " << f << " " << p;
        }
      }
    }
  }
  // The bystander: outside the capture area, seen by one or two cameras.
  const PersonTruth& bystander = scene.people.back();
  EXPECT_TRUE(bystander.bystander);
  EXPECT_EQ(bystander.id, 4);
  for (int f = 0; f < 300; ++f) {
    const Eigen::Vector3d hip = 0.5 * (bystander.points3d.at(f, 11) + bystander.points3d.at(f, 12));
    const Eigen::Vector2d d = hip.head<2>() - rig.area_center;
    ASSERT_TRUE(std::abs(d.x()) > rig.area_half_extents.x() || std::abs(d.y()) > rig.area_half_extents.y()) << f;
  }
  int seeing = 0;
  for (int c = 0; c < 4; ++c) {
    int visible = 0;
    for (int f = 0; f < 300; ++f) {
      for (int j = 0; j < 17; ++j) visible += bystander.invisible_mask[scene.MaskIndex(c, f, j)] == 0;
    }
    seeing += visible > 300;
  }
  EXPECT_GE(seeing, 1);
  EXPECT_LE(seeing, 2);
}

TEST(Studio, SeveralPeopleAreTheSameWithAnyThreadCount) {
  StudioOptions o = People("ring8", 90, 3);
  o.bystander = true;
  o.seed = 21;
  SyntheticScene one, two;
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 1);
    one = Synthesize(o);
  }
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 2);
    two = Synthesize(o);
  }
  ASSERT_EQ(one.people.size(), two.people.size());
  for (size_t p = 0; p < one.people.size(); ++p) {
    EXPECT_EQ(one.people[p].points3d.data(), two.people[p].points3d.data());
    EXPECT_EQ(one.people[p].observations.data(), two.people[p].observations.data());
    EXPECT_EQ(one.people[p].occluded_mask, two.people[p].occluded_mask);
    EXPECT_EQ(one.people[p].jump_frames, two.people[p].jump_frames);
  }
  EXPECT_EQ(one.detection_person, two.detection_person);
  testing::TempDir dir;
  WriteSyntheticScene(one, dir / "a");
  WriteSyntheticScene(two, dir / "b");
  EXPECT_TRUE(ReadFileToString(dir / "a/scene.json") == ReadFileToString(dir / "b/scene.json"));
  for (const char* file : {"gt.npz", "keypoints2d.npz"}) {
    const auto a = ReadNpz(dir / (std::string("a/") + file));
    const auto b = ReadNpz(dir / (std::string("b/") + file));
    for (const auto& [name, array] : a) EXPECT_TRUE(array.data == b.at(name).data) << file << " " << name;
  }
}

TEST(Studio, NumpyReadsTheMultiPersonFiles) {
  testing::TempDir dir;
  StudioOptions o = People("h36m4", 60, 3);
  o.enter_leave = true;
  o.bystander = true;
  const SyntheticScene scene = Synthesize(o);
  WriteSyntheticScene(scene, dir / "scene");
  const std::string script = dir / "check.py";
  std::ofstream(script)
      << "import numpy as np, sys\n"
         "z = np.load(sys.argv[1] + '/gt.npz')\n"
         "k = np.load(sys.argv[1] + '/keypoints2d.npz')\n"
         "P, S = 4, " << scene.num_slots << "\n"
         "assert z['points3d'].shape == (60, P, 17, 3) and z['points3d'].dtype == np.float64\n"
         "assert z['person_ids'].tolist() == [0, 1, 2, 3] and z['person_ids'].dtype == np.int32\n"
         "assert z['bystander'].tolist() == [0, 0, 0, 1]\n"
         "pr = z['present']\n"
         "assert pr.shape == (60, P) and pr.dtype == np.uint8\n"
         "assert np.array_equal(np.isfinite(z['points3d']).all(axis=(2, 3)), pr == 1)\n"
         "assert z['heights'].shape == (P,) and z['bone_lengths'].shape == (P, 16)\n"
         "for m in ['outlier_mask', 'swap_mask', 'missing_mask', 'invisible_mask', 'occluded_mask']:\n"
         "    assert z[m].shape == (4, 60, P, 17) and z[m].dtype == np.uint8, m\n"
         "assert (z['invisible_mask'][:, pr == 0] == 1).all()\n"
         "dp = z['detection_person']\n"
         "assert dp.shape == (4, 60, S) and dp.dtype == np.int32 and dp.min() >= -1 and dp.max() < P\n"
         "kp = k['keypoints2d']\n"
         "assert kp.shape == (4, 60, S, 17, 3) and kp.dtype == np.float64\n"
         "assert list(k['camera_names']) == ['cam_01', 'cam_02', 'cam_03', 'cam_04']\n"
         "written = (kp[..., 2] > 0).any(axis=3)\n"
         "assert (written[dp >= 0]).all()\n"
         "b = z['bones']\n"
         "p3 = z['points3d'][:, 0]\n"
         "l = np.linalg.norm(p3[:, b[:, 0]] - p3[:, b[:, 1]], axis=2)\n"
         "assert np.abs(l - z['bone_lengths'][0][None]).max() < 1e-9\n"
         "print('ok')\n";
  const auto r = testing::Run(testing::PythonWithNumpy() + " " + script + " " + (dir / "scene"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("ok"), std::string::npos) << r.output;
  // And ReadGroundTruth reads the same layout back.
  const GroundTruth gt = ReadGroundTruth(dir / "scene/gt.npz");
  ASSERT_EQ(gt.people.size(), 4u);
  for (size_t p = 0; p < 4; ++p) {
    EXPECT_EQ(gt.people[p].present, scene.people[p].present);
    EXPECT_EQ(gt.people[p].height, scene.people[p].height);
    EXPECT_EQ(gt.people[p].bone_lengths, scene.people[p].bone_lengths);
    EXPECT_EQ(gt.people[p].occluded_mask, scene.people[p].occluded_mask);
    EXPECT_EQ(gt.people[p].invisible_mask, scene.people[p].invisible_mask);
    EXPECT_EQ(gt.people[p].bystander, scene.people[p].bystander);
  }
  EXPECT_EQ(gt.detection_person, scene.detection_person);
  EXPECT_EQ(gt.outlier_mask, scene.outlier_mask);
  EXPECT_EQ(gt.subject_height, scene.subject_height);
  // scene.json lists each person's jumps.
  const nlohmann::json j = ReadJson(dir / "scene/scene.json");
  ASSERT_EQ(j["people"].size(), 4u);
  for (size_t p = 0; p < 4; ++p) {
    EXPECT_EQ(j["people"][p]["jumps"].get<size_t>(), scene.people[p].jump_frames.size());
    EXPECT_EQ(j["people"][p]["jump_frames"].get<std::vector<int>>(), scene.people[p].jump_frames);
  }
  EXPECT_EQ(j["group_statistics"]["jumps"].get<int>(), scene.jumps);
}

}  // namespace
}  // namespace epilabel

namespace epilabel {
namespace {

TEST(Studio, RealisticDetectorAndVariedMotionAreSeededAndKeepTheBody) {
  StudioOptions o = testing::SmallStudio("h36m4", 300);
  o.detector = "realistic";
  o.motion_variation = true;
  o.seed = 4;
  const SyntheticScene a = Synthesize(o);
  const SyntheticScene b = Synthesize(o);
  EXPECT_EQ(a.observations.data(), b.observations.data());
  EXPECT_EQ(a.points3d.data(), b.points3d.data());
  EXPECT_GE(a.subject_height, o.min_height_m - 1e-9);
  EXPECT_LE(a.subject_height, o.max_height_m + 1e-9);
  EXPECT_TRUE(a.people[0].jump_frames.empty());
  const std::vector<std::array<int, 2>> bones = {{5, 7}, {7, 9}, {11, 13}, {13, 15}, {5, 6}, {11, 12}};
  for (int f = 1; f < a.points3d.num_frames(); ++f) {
    for (const auto& bone : bones) {
      EXPECT_NEAR((a.points3d.at(f, bone[0]) - a.points3d.at(f, bone[1])).norm(),
                  (a.points3d.at(0, bone[0]) - a.points3d.at(0, bone[1])).norm(), 1e-9);
    }
    const Eigen::Vector3d step = 0.5 * (a.points3d.at(f, 11) + a.points3d.at(f, 12) - a.points3d.at(f - 1, 11) -
                                        a.points3d.at(f - 1, 12));
    EXPECT_LT(step.head<2>().norm(), 0.2) << "frame " << f;  // no jump: walking at <= 1.3x the clips
  }
  StudioOptions plain = o;
  plain.motion_variation = false;
  plain.detector = "gaussian";
  const SyntheticScene c = Synthesize(plain);
  EXPECT_NE(a.points3d.data(), c.points3d.data());
}

TEST(Studio, DetectorOptionIsChecked) {
  StudioOptions o = testing::SmallStudio("h36m4", 10);
  o.detector = "perfect";
  EXPECT_THROW(o.Check(), InputError);
  o.detector = "realistic";
  o.num_people = 2;
  EXPECT_NO_THROW(o.Check());  // several people: each with its own realistic errors
  o.detector = "gaussian";
  o.motion_variation = true;
  EXPECT_THROW(o.Check(), InputError);
  o.num_people = 1;
  EXPECT_NO_THROW(o.Check());
  o.detector = "realistic";
  o.realistic.student_dof = 1.0;
  EXPECT_THROW(o.Check(), InputError);
}

TEST(Studio, TimeOffsetsShiftWhatEachCameraSees) {
  StudioOptions o = testing::SmallStudio("h36m4", 90);
  o.noise_px = 0.0;
  o.outlier_rate = o.swap_rate = o.missing_rate = 0.0;
  o.hip_offset_px = 0.0;
  const SyntheticScene plain = Synthesize(o);
  o.time_offsets = {0.0, 3.0, -2.0, 0.5};
  const SyntheticScene shifted = Synthesize(o);
  EXPECT_NEAR(shifted.rig[1].time_offset, 0.1, 1e-15);
  EXPECT_NEAR(shifted.rig[2].time_offset, -2.0 / 30, 1e-15);
  // Camera 1's frame f shows the truth at frame f + 3, camera 2's at f - 2.
  int compared = 0;
  for (int f = 5; f < 80; ++f) {
    for (int j = 0; j < 17; ++j) {
      const auto p1 = shifted.rig[1].ImageFromWorld(shifted.points3d.at(f + 3, j));
      const auto p2 = shifted.rig[2].ImageFromWorld(shifted.points3d.at(f - 2, j));
      if (shifted.observations.at(1, f, j).z() > 0 && p1) {
        EXPECT_NEAR((shifted.observations.at(1, f, j).head<2>() - *p1).norm(), 0.0, 1e-6);
        ++compared;
      }
      if (shifted.observations.at(2, f, j).z() > 0 && p2) {
        EXPECT_NEAR((shifted.observations.at(2, f, j).head<2>() - *p2).norm(), 0.0, 1e-6);
      }
      // Camera 3 half a frame later: between the projections of frames f and f + 1.
      const auto a = shifted.rig[3].ImageFromWorld(shifted.points3d.at(f, j));
      const auto b = shifted.rig[3].ImageFromWorld(shifted.points3d.at(f + 1, j));
      if (shifted.observations.at(3, f, j).z() > 0 && a && b) {
        EXPECT_LT((shifted.observations.at(3, f, j).head<2>() - 0.5 * (*a + *b)).norm(), 2.0);
      }
    }
  }
  EXPECT_GT(compared, 500);
  // Without offsets the scene is unchanged; with them the truth is not cut from another motion.
  EXPECT_EQ(plain.rig[1].time_offset, 0.0);
  o.time_offsets = {0.0, 0.0, 0.0, 0.0};
  const SyntheticScene zero = Synthesize(o);
  EXPECT_EQ(zero.observations.data(), plain.observations.data());
}

TEST(Studio, RealisticDetectorTakesOffsetsAndRatesForSeveralPeople) {
  StudioOptions o = Clean("h36m4", 90);
  o.detector = "realistic";
  o.num_people = 2;
  o.false_positive_rate = 0.0;
  RealisticDetectorOptions& r = o.realistic;  // no error at all: each detection is a projection
  r.noise_px = 0.0;
  r.missing_rate = r.outlier_rate = r.wrong_limb_rate = r.swap_rate_frontal = r.swap_rate_profile = 0.0;
  r.hip_raise_m = r.hip_outward_m = r.shoulder_outward_m = 0.0;
  r.nose_profile_shift_px = r.eye_profile_shift_px = r.ear_profile_shift_px = 0.0;
  o.time_offsets = {0.0, 3.0, -2.0, 0.0};
  o.camera_fps = {30.0, 30.0, 30.0, 60.0};
  const SyntheticScene scene = Synthesize(o);
  ASSERT_EQ(scene.people.size(), 2u);
  // Camera 1's frame f shows frame f + 3, camera 2's f - 2, camera 3 (60 fps) f / 2.
  const auto scene_frame = [](int c, int f) { return c == 1 ? f + 3 : c == 2 ? f - 2 : c == 3 ? f / 2 : f; };
  for (size_t p = 0; p < scene.people.size(); ++p) {
    const PersonTruth& person = scene.people[p];
    int compared = 0;
    for (int c = 0; c < 4; ++c) {
      for (int f = 4; f < 80; f += 2) {
        for (int j = 0; j < 17; ++j) {
          const Eigen::Vector3d& d = person.observations.at(c, f, j);
          const Eigen::Vector3d& x = person.points3d.at(scene_frame(c, f), j);
          const auto projected = x.allFinite() ? scene.rig[c].ImageFromWorld(x) : std::nullopt;
          if (!(d.z() > 0) || !projected) continue;
          EXPECT_NEAR((d.head<2>() - *projected).norm(), 0.0, 1e-6) << "person " << p << " camera " << c;
          ++compared;
        }
      }
    }
    EXPECT_GT(compared, 1000) << "person " << p;
  }
}

TEST(Studio, TimeOffsetsGoIntoCalibrationTomlAndGt) {
  testing::TempDir dir;
  StudioOptions o = testing::SmallStudio("stereo2", 40);
  o.time_offsets = {0.0, -7.2};
  WriteSyntheticScene(Synthesize(o), dir / "scene");
  const Rig truth = ReadCalibrationToml(dir / "scene/calibration.toml");
  EXPECT_NEAR(truth[1].time_offset, -7.2 / 30, 1e-15);
  EXPECT_EQ(ReadCalibrationToml(dir / "scene/intrinsics.toml")[1].time_offset, 0.0);
  const auto npz = ReadNpz(dir / "scene/gt.npz");
  ASSERT_TRUE(npz.count("time_offsets"));
  EXPECT_NEAR(npz.at("time_offsets").ToDoubles()[1], -7.2 / 30, 1e-15);
  o.time_offsets = {1.0};
  EXPECT_THROW(Synthesize(o), InputError);
}

TEST(Studio, PerCameraRatesSampleTheSceneAtEachCamerasOwnTimes) {
  testing::TempDir dir;
  StudioOptions o = testing::SmallStudio("stereo2", 60);
  o.noise_px = 0.0;
  o.outlier_rate = o.swap_rate = o.missing_rate = 0.0;
  o.hip_offset_px = 0.0;
  o.camera_fps = {30.0, 60.0};
  o.time_offsets = {0.0, 2.0};
  const SyntheticScene scene = Synthesize(o);
  // Camera 1 (60 fps) frame f shows the scene at frame f / 2 + 2; camera 0 frame f at f.
  int compared = 0;
  for (int f = 0; f < 60; f += 2) {
    for (int j = 0; j < 17; ++j) {
      const auto p0 = scene.rig[0].ImageFromWorld(scene.points3d.at(f, j));
      const auto p1 = scene.rig[1].ImageFromWorld(scene.points3d.at(f / 2 + 2, j));
      if (scene.observations.at(0, f, j).z() > 0 && p0) {
        EXPECT_NEAR((scene.observations.at(0, f, j).head<2>() - *p0).norm(), 0.0, 1e-6);
      }
      if (scene.observations.at(1, f, j).z() > 0 && p1) {
        EXPECT_NEAR((scene.observations.at(1, f, j).head<2>() - *p1).norm(), 0.0, 1e-6);
        ++compared;
      }
    }
  }
  EXPECT_GT(compared, 300);
  // The rates are the keypoints' timestamps and go into gt.npz.
  const KeypointSequence keypoints = scene.ToKeypointSequence();
  EXPECT_DOUBLE_EQ(keypoints.cameras[1].timestamps_s[7], 7.0 / 60);
  EXPECT_DOUBLE_EQ(keypoints.cameras[0].timestamps_s[7], 7.0 / 30);
  WriteSyntheticScene(scene, dir / "scene");
  const auto npz = ReadNpz(dir / "scene/gt.npz");
  ASSERT_TRUE(npz.count("camera_fps"));
  EXPECT_EQ(npz.at("camera_fps").ToDoubles(), (std::vector<double>{30.0, 60.0}));
  EXPECT_EQ(ReadKeypoints(dir / "scene/keypoints2d.npz").cameras[1].timestamps_s, keypoints.cameras[1].timestamps_s);
  o.camera_fps = {30.0};
  EXPECT_THROW(Synthesize(o), InputError);
  o.camera_fps = {30.0, 0.0};
  EXPECT_THROW(Synthesize(o), InputError);
}

}  // namespace
}  // namespace epilabel

namespace epilabel {
namespace {

TEST(Studio, TheOracleInputDropsExactlyTheGrossErrorsAndSwaps) {
  StudioOptions o = Clean("h36m4", 200);
  o.noise_px = 2.0;
  o.outlier_rate = 0.05;
  o.swap_rate = 0.05;
  const SyntheticScene scene = Synthesize(o);
  const Observations2d masked = ObservationsWithoutGrossErrors(scene);
  int64_t removed = 0, kept = 0;
  for (camera_t c = 0; c < masked.num_cameras(); ++c)
    for (frame_t f = 0; f < masked.num_frames(); ++f)
      for (joint_t j = 0; j < masked.num_joints(); ++j) {
        const size_t k = scene.MaskIndex(c, f, j);
        if (scene.outlier_mask[k] || scene.swap_mask[k]) {
          EXPECT_EQ(masked.at(c, f, j), Eigen::Vector3d::Zero().eval());
          ++removed;
        } else {
          EXPECT_EQ(masked.at(c, f, j), scene.observations.at(c, f, j));
          ++kept;
        }
      }
  EXPECT_GT(removed, 100);
  EXPECT_GT(kept, 5 * removed);
}

}  // namespace
}  // namespace epilabel
