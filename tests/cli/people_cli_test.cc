// Several people through the commands, as a user runs them on the multi-person studio:
// triangulate follows every person (points3d.npz [frames, people, joints, 3] with track ids,
// CSV per track) and smooths every track, label labels each person, calibrate uses everyone's
// joints.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "detection/io/calibration_io.h"
#include "detection/io/people_points_io.h"
#include "detection/synthetic/studio.h"
#include "geometry/sfm/rig_comparison.h"
#include "pseudolabel/dataset.h"
#include "tests/testing.h"

namespace fs = std::filesystem;

namespace epilabel {
namespace {

using testing::Epilabel;

struct ThreePeople {
  static constexpr const char* kSynth = "--rig ring8 --people 3 --frames 240 --seed 5";
};
using People = testing::StudioSuite<ThreePeople>;

// Each true person is followed by one track whose points lie within a few centimetres of it.
TEST_F(People, TriangulateFollowsEveryPerson) {
  testing::TempDir dir;
  const auto r = Epilabel("triangulate --keypoints " + Studio("pose") + " --calib " + Studio("calibration.toml") +
                          " --format npz,csv --out " + (dir / "tri"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("(calibrated)"), std::string::npos) << r.output;
  const PeoplePoints points = ReadPeoplePointsNpz(dir / "tri/points3d.npz");
  ASSERT_GE(points.people.size(), 3u);
  for (int id : points.track_ids) EXPECT_TRUE(fs::exists(dir / ("tri/points3d_track" + std::to_string(id) + ".csv")));
  const GroundTruth truth = ReadGroundTruth(Studio("gt.npz"));
  ASSERT_EQ(truth.people.size(), 3u);
  for (const auto& person : truth.people) {
    // The track nearest to this person over the frames where both are known.
    double best = 1e9;
    for (const PointsFile& track : points.people) {
      double sum = 0;
      int n = 0;
      for (int f = 0; f < track.points.num_frames(); ++f)
        for (int j = 0; j < track.points.num_joints(); ++j)
          if (track.points.IsValid(f, j) && person.points3d.IsValid(f, j)) {
            sum += (track.points.at(f, j) - person.points3d.at(f, j)).norm();
            ++n;
          }
      if (n > 1000) best = std::min(best, sum / n);
    }
    EXPECT_LT(best, 0.05) << "no track follows a person";
  }
}

// Four people on four cameras: they hide each other, so joints are missing per frame.
struct FourPeopleFourCameras {
  static constexpr const char* kSynth = "--rig h36m4 --people 4 --frames 240 --seed 5";
};
using Occluded = testing::StudioSuite<FourPeopleFourCameras>;

// --smooth smooths every track, not only the first: each track's report counts its filled gaps
// and single-view points, and its points are at least the per-frame ones.
TEST_F(Occluded, TriangulateSmoothsEveryTrack) {
  testing::TempDir dir;
  const auto r = Epilabel("triangulate --smooth --keypoints " + Studio("pose") + " --calib " +
                          Studio("calibration.toml") + " --out " + (dir / "tri"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const PeoplePoints points = ReadPeoplePointsNpz(dir / "tri/points3d.npz");
  ASSERT_GE(points.people.size(), 3u);
  std::ifstream in(dir / "tri/report.json");
  const nlohmann::json report = nlohmann::json::parse(in);
  const nlohmann::json& tracks = report["people"]["tracks"];
  ASSERT_EQ(tracks.size(), points.people.size());
  int64_t filled = 0, single_view = 0;
  for (size_t q = 0; q < tracks.size(); ++q) {
    const int id = tracks[q]["track_id"].get<int>();
    EXPECT_NE(r.output.find("track " + std::to_string(id) + " smoothing:"), std::string::npos) << r.output;
    ASSERT_TRUE(tracks[q].contains("gaps_filled")) << tracks[q].dump();
    ASSERT_TRUE(tracks[q].contains("points_single_view")) << tracks[q].dump();
    filled += tracks[q]["gaps_filled"].get<int64_t>();
    single_view += tracks[q]["points_single_view"].get<int64_t>();
    EXPECT_LE(tracks[q]["points_single_view"].get<int64_t>(), tracks[q]["gaps_filled"].get<int64_t>());
    int64_t valid = 0;
    const Points3d& p = points.people[q].points;
    for (int f = 0; f < p.num_frames(); ++f)
      for (int j = 0; j < p.num_joints(); ++j) valid += p.IsValid(f, j);
    EXPECT_GE(valid, tracks[q]["points_triangulated"].get<int64_t>()) << "track " << id;
  }
  EXPECT_GT(filled, 100);  // 302 on this scene
  EXPECT_GT(single_view, 50);  // 175: filled along the ray of the one camera that sees them
}

// Labels of every person, told apart by `person`; the calibration from everyone's joints.
TEST_F(People, LabelAndCalibrateUseEveryPerson) {
  testing::TempDir dir;
  const auto l = Epilabel("-q label --keypoints " + Studio("pose") + " --calib " + Studio("calibration.toml") + " --out " +
                          (dir / "ds"));
  ASSERT_EQ(l.exit_code, 0) << l.output;
  const LabelDataset d = ReadDatasetNpz(dir / "ds/dataset.npz");
  std::set<int32_t> people(d.person.begin(), d.person.end());
  EXPECT_GE(people.size(), 3u);
  std::ifstream in(dir / "ds/report.json");
  const nlohmann::json report = nlohmann::json::parse(in);
  EXPECT_GE(report["people"]["tracks"].size(), 3u);

  const auto c = Epilabel("-q calibrate --keypoints " + Studio("pose") + " --intrinsics " + Studio("intrinsics.toml") +
                          " --out " + (dir / "calib/calibration.toml"));
  ASSERT_EQ(c.exit_code, 0) << c.output;
  // Associated without cameras, calibrated, associated again with that calibration (kept).
  EXPECT_NE(c.output.find("associated again with the first calibration"), std::string::npos) << c.output;
  const RigComparison cmp =
      CompareRigs(ReadCalibrationToml(Studio("calibration.toml")), ReadCalibrationToml(dir / "calib/calibration.toml"));
  EXPECT_LT(cmp.max_rotation_error_deg, 0.2);
  EXPECT_LT(cmp.max_center_error_rel, 0.01);
}

// Pose2Sim's balancing trial (a bystander in two cameras) with its Qualisys calibration, whose
// cam_03 is some 30 px off this trial's OpenPose detections (principal point or orientation;
// measured against the other three cameras): every camera's people are followed, the
// subject's track uses cam_03's detections, and the camera is named as disagreeing.
TEST(PeopleCommand, RealTrialWithACameraOffItsCalibration) {
  testing::TempDir dir;
  const std::string data = testing::SourceDir() + "/tests/data/pose2sim_balancing";
  const auto r = Epilabel("triangulate --keypoints " + data + "/pose --calib " + data + "/Calib_qualisys.toml --out " +
                          (dir / "tri"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("cam03_json disagrees with the calibration"), std::string::npos) << r.output;
  std::ifstream in(dir / "tri/report.json");
  const nlohmann::json report = nlohmann::json::parse(in);
  const std::string association = report["people"]["association"].get<std::string>();
  EXPECT_NE(association.find("cam03_json disagrees"), std::string::npos) << association;
  for (const auto& cam : report["cameras"]) {
    SCOPED_TRACE(cam["name"].get<std::string>());
    EXPECT_GT(cam["used"].get<double>(), 0.75 * cam["observed"].get<double>());  // cam_03: none before
  }
}

}  // namespace
}  // namespace epilabel
