// Report inputs built from memory: the rig a calibration page draws (a failed calibration
// shows the cameras registered before it failed), and the 3D bodies of a track.
#include "pseudolabel/stages/report_inputs.h"

#include <gtest/gtest.h>

namespace epilabel {
namespace {

CalibrationOutput ThreeCameras(bool success) {
  CalibrationOutput out;
  out.success = success;
  out.rig.resize(3);
  out.report.cameras.resize(3);
  for (int c = 0; c < 3; ++c) {
    out.rig[c].name = "cam" + std::to_string(c);
    out.rig[c].has_extrinsics = success;
    out.report.cameras[c].registered = c != 1;
  }
  return out;
}

TEST(ReportRig, AFailedCalibrationShowsTheRegisteredCamerasOnly) {
  const Rig rig = ReportRig(ThreeCameras(false));
  EXPECT_TRUE(rig[0].has_extrinsics);
  EXPECT_FALSE(rig[1].has_extrinsics);
  EXPECT_TRUE(rig[2].has_extrinsics);
}

TEST(ReportRig, ASuccessfulCalibrationKeepsItsCameras) {
  const Rig rig = ReportRig(ThreeCameras(true));
  for (const Camera& cam : rig) EXPECT_TRUE(cam.has_extrinsics);
}

TEST(MakePointsFile, CarriesTheTrackFramesAndJointNames) {
  PersonTrack track;
  track.skeleton = &GetSkeleton("coco17");
  track.frame_numbers = {4, 5};
  TriangulatedSequence seq;
  seq.points = Points3d(2, 17);
  seq.points.at(1, 3) = Eigen::Vector3d(1, 2, 3);
  seq.reproj_error_px = FrameJointArray<double>(2, 17, 0.5);
  seq.num_views = FrameJointArray<int32_t>(2, 17, 3);
  seq.uncertainty_m = FrameJointArray<double>(2, 17, 0.01);
  const PointsFile pf = MakePointsFile(seq, track);
  EXPECT_EQ(pf.frame_numbers, track.frame_numbers);
  EXPECT_EQ(pf.joint_names, track.skeleton->joint_names);
  EXPECT_EQ(pf.points.at(1, 3), Eigen::Vector3d(1, 2, 3));
  EXPECT_EQ(pf.n_views.at(0, 0), 3);
}

TEST(MakeReportInputs, EmbedsTheReportDocumentAndTheDetections) {
  KeypointSequence keypoints;
  keypoints.skeleton = "coco17";
  keypoints.num_joints = 17;
  nlohmann::json report = {{"kind", "calibration"}, {"verdict", {{"status", "failed"}}}};
  const ReportInputs in = MakeReportInputs("t", Rig(1), &keypoints, GetSkeleton("coco17"), std::nullopt, report,
                                           {{"poses", "pose/"}});
  EXPECT_EQ(nlohmann::json::parse(in.report_json), report);
  ASSERT_TRUE(in.poses.has_value());
  EXPECT_FALSE(in.points.has_value());
  EXPECT_EQ(in.skeleton, "coco17");
  const ReportInputs no_detections =
      MakeReportInputs("t", Rig(1), nullptr, GetSkeleton("coco17"), std::nullopt, report, {});
  EXPECT_FALSE(no_detections.poses.has_value());
}

}  // namespace
}  // namespace epilabel
