#include "geometry/sfm/calibration_verdict.h"

#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/geometry/rig_fixture.h"

namespace epilabel {
namespace {

// Three registered cameras whose figures pass every threshold, and a fourth not registered.
struct VerdictScene {
  Rig rig = testing::RingRig(4);
  CalibrationReport report;

  VerdictScene() {
    report.rig_size_m = 8.0;
    report.motion_extent_m = 1.5;
    report.world.floor_from_feet = true;
    report.world.world_from_reconstruction.scale = 2.0;
    report.self.num_frames_used = 400;
    report.self.camera_notes.assign(4, "");
    report.self.camera_notes[3] = "not connected to the main group of cameras (best pair cam0: too few inliers (3))";
    report.self.ba.camera_rms_px = {2.0, 2.1, 1.9, kNaN};
    report.self.ba.camera_observations = {5000, 5000, 5000, 0};
    report.self.ba.uncertainty.assign(4, CameraUncertainty{0.02, 0.001, kNaN});
    report.triangulation.cameras.assign(4, CameraTriangulationStats{});
    for (int c = 0; c < 4; ++c) {
      report.cameras.emplace_back();
      report.cameras[c].name = "cam" + std::to_string(c);
      report.cameras[c].registered = c < 3;
      report.cameras[c].loo_rotation_deg = 0.3;
      report.cameras[c].loo_center_m = 0.02;
      report.triangulation.cameras[c].observed = 1000;
      report.triangulation.cameras[c].used = 950;
      report.triangulation.cameras[c].median_error_px = 2.0;
    }
  }
};

// The lens plausibility limits (CalibrationThresholds), case by case.
TEST(LensPlausibility, NamesFieldOfViewPrincipalPointAndDistortion) {
  const CalibrationThresholds th;
  Camera cam;
  cam.width = 1088;
  cam.height = 1920;
  cam.fx = cam.fy = 1600.0;
  cam.cx = 543.5;
  cam.cy = 959.5;
  cam.distortion = {-0.05, 0.02, 0.0, 0.0, 0.0};
  EXPECT_EQ(LensPlausibility(cam, th), "");
  Camera c = cam;
  c.fx = c.fy = 100.0;  // 159 deg across 1088 px
  EXPECT_NE(LensPlausibility(c, th).find("159 deg across the image"), std::string::npos) << LensPlausibility(c, th);
  c = cam;
  c.fx = c.fy = 5000.0;  // 12.4 deg
  EXPECT_NE(LensPlausibility(c, th).find("12 deg across"), std::string::npos);
  c = cam;
  c.cx += 120.0;  // 11 % of the width
  EXPECT_NE(LensPlausibility(c, th).find("principal point 120, 0 px off"), std::string::npos) << LensPlausibility(c, th);
  // The balancing trial's cam02 as estimated today: increasing, but +47 % at the corner.
  c = cam;
  c.distortion = {-1.68, 17.6, 0.0, 0.0, 0.0};
  EXPECT_NE(LensPlausibility(c, th).find("at the image corner"), std::string::npos) << LensPlausibility(c, th);
  // Strong barrel distortion that folds back before the corner.
  c = cam;
  c.distortion = {-0.9, 0.0, 0.0, 0.0, 0.0};
  EXPECT_NE(LensPlausibility(c, th).find("folds back inside the image"), std::string::npos) << LensPlausibility(c, th);
  // A 150 degree fisheye is plausible; one whose theta_d turns back is not.
  c = cam;
  c.lens = LensModel::kFisheye;
  c.fx = c.fy = 0.5 * 1088 / (75.0 * M_PI / 180.0);
  c.distortion = {0.03, -0.01, 0.002, -0.0004, 0.0};
  EXPECT_EQ(LensPlausibility(c, th), "");
  c.distortion = {-0.3, 0.0, 0.0, 0.0, 0.0};
  EXPECT_NE(LensPlausibility(c, th).find("folds back"), std::string::npos) << LensPlausibility(c, th);
}

TEST(CalibrationVerdict, UnregisteredCameraFailsWithItsNote) {
  VerdictScene s;
  JudgeCalibration(CalibrationThresholds{}, s.rig, &s.report);
  EXPECT_EQ(s.report.verdict, Verdict::kFailed);
  for (int c = 0; c < 3; ++c) EXPECT_EQ(s.report.cameras[c].verdict, Verdict::kGood) << s.report.cameras[c].reason;
  EXPECT_EQ(s.report.cameras[3].verdict, Verdict::kFailed);
  EXPECT_EQ(s.report.cameras[3].reason, s.report.self.camera_notes[3]);
  ASSERT_EQ(s.report.reasons.size(), 1u);
  EXPECT_EQ(s.report.reasons[0], "camera cam3 failed: " + s.report.self.camera_notes[3]);
  // Figures of the registered cameras: centre sigma in world units (x2), share used.
  EXPECT_DOUBLE_EQ(s.report.cameras[1].center_sigma_m, 0.002);
  EXPECT_DOUBLE_EQ(s.report.cameras[1].share_used, 0.95);
  // Leave-one-out limits: max(1 deg, 0.25 deg x 2 px) and max(3 %, 0.6 % x 2 px) of 8 m.
  EXPECT_DOUBLE_EQ(s.report.loo_limit_deg, 1.0);
  EXPECT_DOUBLE_EQ(s.report.loo_limit_center_m, 0.24);
}

TEST(CalibrationVerdict, LeaveOneOutOutlierIsCheckedAndNamedWeakestFirst) {
  VerdictScene s;
  s.report.cameras[3].registered = true;
  s.report.self.ba.camera_rms_px[3] = 2.0;
  s.report.self.ba.camera_observations[3] = 5000;
  s.report.cameras[2].loo_rotation_deg = 1.8;  // limit 1 deg
  s.report.cameras[1].loo_center_m = 0.3;      // limit 0.24 m, but relatively less bad
  JudgeCalibration(CalibrationThresholds{}, s.rig, &s.report);
  EXPECT_EQ(s.report.verdict, Verdict::kCheck);
  EXPECT_EQ(s.report.cameras[0].verdict, Verdict::kGood);
  EXPECT_EQ(s.report.cameras[1].verdict, Verdict::kCheck);
  EXPECT_EQ(s.report.cameras[2].verdict, Verdict::kCheck);
  ASSERT_EQ(s.report.reasons.size(), 3u);
  EXPECT_EQ(s.report.reasons[0].rfind("weakest camera: cam2 ", 0), 0u) << s.report.reasons[0];
  EXPECT_NE(s.report.reasons[0].find("2 of the cameras"), std::string::npos) << s.report.reasons[0];
}

// Four equal cameras: none stands out, and the report says so (a note: the verdict stays good).
TEST(CalibrationVerdict, EqualCamerasNameNoWeakestCamera) {
  VerdictScene s;
  s.report.cameras[3].registered = true;
  s.report.self.ba.camera_rms_px[3] = 2.0;
  s.report.self.ba.camera_observations[3] = 5000;
  s.report.cameras[1].loo_rotation_deg = 0.55;  // the largest shift, 1.8 x the others, within the limits
  s.report.self.ba.uncertainty[2].rotation_sigma_deg = 0.035;  // 1.75 x the others
  JudgeCalibration(CalibrationThresholds{}, s.rig, &s.report);
  EXPECT_EQ(s.report.verdict, Verdict::kGood);
  EXPECT_EQ(FindWeakestCamera(s.report).camera, -1);
  EXPECT_TRUE(s.report.reasons.empty());
  ASSERT_FALSE(s.report.notes.empty());
  EXPECT_EQ(s.report.notes.back().rfind("no camera stands out as the weakest: the largest leave-one-out shift is 1.8 x", 0),
            0u)
      << s.report.notes.back();
  // Every camera past the leave-one-out limits by about as much (caliscope-like): "check", but
  // none is named the weakest.
  VerdictScene all;
  all.report.cameras[3].registered = true;
  all.report.self.ba.camera_rms_px[3] = 2.0;
  all.report.self.ba.camera_observations[3] = 5000;
  for (int c = 0; c < 4; ++c) all.report.cameras[c].loo_rotation_deg = 1.5 + 0.2 * c;
  JudgeCalibration(CalibrationThresholds{}, all.rig, &all.report);
  EXPECT_EQ(all.report.verdict, Verdict::kCheck);
  EXPECT_EQ(FindWeakestCamera(all.report).camera, -1);
  for (const std::string& r : all.report.reasons) EXPECT_EQ(r.find("weakest camera"), std::string::npos) << r;
}

// Given intrinsics: a camera whose given focal length the people pull 3.8 % +- 0.6 % shorter,
// the others within a few tenths of a percent, is named the weakest by its intrinsics and in a
// note of its own (the verdict stays good: nothing else shows it). Pulls that are small, or not
// significant against their jackknife sigma, name none; every camera pulled alike (a rig-wide
// error of the intrinsics) is noted per camera, but none stands out as the weakest.
TEST(CalibrationVerdict, AGivenFocalLengthThePeopleDisagreeWithIsNamed) {
  const auto with_pulls = [](std::vector<double> pull, std::vector<double> sigma) {
    VerdictScene s;
    s.report.cameras[3].registered = true;
    s.report.self.ba.camera_rms_px[3] = 2.0;
    s.report.self.ba.camera_observations[3] = 5000;
    s.report.self.given_focal_blocks = s.report.self.given_focal_joint_groups = 4;
    s.report.self.given_focal_pull_rel = std::move(pull);
    s.report.self.given_focal_sigma_rel = std::move(sigma);
    JudgeCalibration(CalibrationThresholds{}, s.rig, &s.report);
    return s;
  };
  const VerdictScene wrong = with_pulls({0.002, -0.004, -0.038, 0.003}, {0.004, 0.005, 0.006, 0.004});
  EXPECT_EQ(wrong.report.verdict, Verdict::kGood);
  const WeakestCamera weakest = FindWeakestCamera(wrong.report);
  EXPECT_EQ(weakest.camera, 2);
  EXPECT_EQ(weakest.evidence, "intrinsics");
  EXPECT_NEAR(weakest.ratio, 0.038 / 0.003, 1e-9);
  EXPECT_EQ(weakest.focal_disagrees, std::vector<int>{2});
  EXPECT_DOUBLE_EQ(wrong.report.cameras[2].given_focal_pull_rel, -0.038);
  ASSERT_EQ(wrong.report.notes.size(), 2u);
  EXPECT_EQ(wrong.report.notes[0].rfind("cam2's given focal length", 0), 0u) << wrong.report.notes[0];
  EXPECT_NE(wrong.report.notes[0].find("disagrees with the people: freed alone, the people put it 3.8 % +- 0.6 % shorter"),
            std::string::npos)
      << wrong.report.notes[0];
  EXPECT_EQ(wrong.report.notes[1].rfind("weakest camera: cam2 (its given focal length disagrees", 0), 0u)
      << wrong.report.notes[1];

  // Small (1 %, under min_focal_pull_rel) or uncertain (3 % +- 1.5 %) pulls: none.
  for (const VerdictScene& none : {with_pulls({0.008, -0.006, 0.010, -0.009}, {0.002, 0.002, 0.002, 0.002}),
                                   with_pulls({0.002, -0.004, 0.030, 0.003}, {0.004, 0.005, 0.015, 0.004})}) {
    EXPECT_EQ(FindWeakestCamera(none.report).camera, -1);
    EXPECT_TRUE(FindWeakestCamera(none.report).focal_disagrees.empty());
    for (const std::string& n : none.report.notes) EXPECT_EQ(n.find("given focal length"), std::string::npos) << n;
  }
  // Every camera about 4 % off: each noted, none the weakest.
  const VerdictScene all = with_pulls({-0.040, -0.037, -0.042, -0.039}, {0.005, 0.005, 0.005, 0.005});
  EXPECT_EQ(FindWeakestCamera(all.report).camera, -1);
  EXPECT_EQ(FindWeakestCamera(all.report).focal_disagrees, (std::vector<int>{2, 0, 3, 1}));
  EXPECT_EQ(all.report.notes.size(), 5u);
}

// A camera much noisier than the others (reprojection RMS 2.5 x, under the RMS limit) or held by
// few frames (its rotation sigma 3 x) has the most uncertain pose: named the weakest, in the
// notes while the verdict is good. The adjustment's gauge camera (sigma 0) is not compared.
TEST(CalibrationVerdict, ACameraWithAnUncertainPoseIsNamedWeakest) {
  VerdictScene noisy;
  noisy.report.cameras[3].registered = true;
  noisy.report.self.ba.camera_rms_px = {2.0, 5.0, 1.9, 2.0};
  noisy.report.self.ba.camera_observations[3] = 5000;
  noisy.report.self.ba.uncertainty[0].rotation_sigma_deg = 0.0;  // the gauge
  JudgeCalibration(CalibrationThresholds{}, noisy.rig, &noisy.report);
  EXPECT_EQ(noisy.report.verdict, Verdict::kGood);
  const WeakestCamera weakest = FindWeakestCamera(noisy.report);
  EXPECT_EQ(weakest.camera, 1);
  EXPECT_EQ(weakest.evidence, "uncertainty");
  EXPECT_DOUBLE_EQ(weakest.ratio, 2.5);
  ASSERT_FALSE(noisy.report.notes.empty());
  EXPECT_EQ(noisy.report.notes.back().rfind("weakest camera: cam1 (its pose is 2.5 x as uncertain", 0), 0u)
      << noisy.report.notes.back();

  const auto few_frames = [] {
    VerdictScene few;
    few.report.cameras[3].registered = true;
    few.report.self.ba.camera_rms_px[3] = 2.0;
    few.report.self.ba.camera_observations = {5000, 5000, 5000, 900};
    few.report.self.ba.uncertainty[3].rotation_sigma_deg = 0.06;
    few.report.self.ba.uncertainty[2].rotation_sigma_deg = 0.0;  // the gauge
    return few;
  };
  VerdictScene few = few_frames();
  JudgeCalibration(CalibrationThresholds{}, few.rig, &few.report);
  EXPECT_EQ(FindWeakestCamera(few.report).camera, 3);
  // A "check" verdict (a rig-wide reason) puts it first among the reasons.
  VerdictScene check = few_frames();
  check.report.world.floor_from_feet = false;
  JudgeCalibration(CalibrationThresholds{}, check.rig, &check.report);
  EXPECT_EQ(check.report.verdict, Verdict::kCheck);
  ASSERT_FALSE(check.report.reasons.empty());
  EXPECT_EQ(check.report.reasons[0].rfind("weakest camera: cam3 ", 0), 0u) << check.report.reasons[0];
}

// A camera that moves tens of degrees when resected on the others' joints cannot share their
// geometry: "failed", and the whole calibration with it. The limit grows with the noise (5 x the
// adaptive leave-one-out limit): at 8 px median error (limit 2 deg) a 12 deg move is a weak
// camera ("check"), not a failed one; a 56 deg move (a camera calibrated on a bystander) fails.
TEST(CalibrationVerdict, ACameraThatMovesTensOfDegreesFails) {
  VerdictScene s;
  s.report.cameras[3].registered = true;
  s.report.self.ba.camera_rms_px[3] = 2.0;
  s.report.self.ba.camera_observations[3] = 5000;
  s.report.cameras[1].loo_rotation_deg = 12.0;
  s.report.cameras[3].loo_rotation_deg = 56.0;
  JudgeCalibration(CalibrationThresholds{}, s.rig, &s.report);
  EXPECT_EQ(s.report.verdict, Verdict::kFailed);
  EXPECT_EQ(s.report.cameras[1].verdict, Verdict::kCheck);
  EXPECT_EQ(s.report.cameras[3].verdict, Verdict::kFailed);
  EXPECT_EQ(s.report.reasons[0].rfind("weakest camera: cam3 ", 0), 0u) << s.report.reasons[0];
  bool named = false;
  for (const std::string& r : s.report.reasons) named |= r.rfind("camera cam3 failed: resected on the other", 0) == 0;
  EXPECT_TRUE(named);
  // Noisier detections (8 px: limit 2 deg, failure above 20 deg) keep 12 deg a "check" and
  // raise the failure limit with them at 24 px (limit 6 deg, failure above 30 deg).
  VerdictScene noisy;
  noisy.report.cameras[3].registered = true;
  noisy.report.self.ba.camera_rms_px = {7.0, 7.0, 7.0, 7.0};
  noisy.report.self.ba.camera_observations[3] = 5000;
  for (auto& t : noisy.report.triangulation.cameras) t.median_error_px = 24.0;
  noisy.report.cameras[3].loo_rotation_deg = 25.0;
  JudgeCalibration(CalibrationThresholds{}, noisy.rig, &noisy.report);
  EXPECT_DOUBLE_EQ(noisy.report.loo_limit_deg, 6.0);
  EXPECT_EQ(noisy.report.cameras[3].verdict, Verdict::kCheck) << noisy.report.cameras[3].reason;
  EXPECT_EQ(noisy.report.verdict, Verdict::kCheck);
}

TEST(CalibrationVerdict, RigWideReasonsDemoteToCheck) {
  VerdictScene s;
  s.report.cameras[3].registered = false;
  s.report.cameras[2].registered = false;
  s.report.self.num_frames_used = 12;
  s.report.motion_extent_m = 0.1;
  s.report.world.floor_from_feet = false;
  s.report.self.camera_notes[2] = "";
  JudgeCalibration(CalibrationThresholds{}, s.rig, &s.report);
  EXPECT_EQ(s.report.verdict, Verdict::kFailed);  // cameras 2 and 3 failed
  std::string all;
  for (const auto& r : s.report.reasons) all += r + "\n";
  EXPECT_NE(all.find("camera cam2 failed: not registered"), std::string::npos) << all;
  EXPECT_NE(all.find("only two cameras"), std::string::npos) << all;
  EXPECT_NE(all.find("few usable frames (12)"), std::string::npos) << all;
  EXPECT_NE(all.find("barely moves"), std::string::npos) << all;
  EXPECT_NE(all.find("no floor plane"), std::string::npos) << all;
}

// Estimated focal lengths: the verdict takes the larger of the adjustment's covariance and the
// jackknife (focal_uncertainty.h) per camera; above 2 % of the focal length the rig is "check"
// with a reason that gives the figure and the remedy, below it nothing is said.
TEST(CalibrationVerdict, FocalUncertaintyTakesTheLargerFigureAndSaysWhatToDo) {
  VerdictScene base;
  base.report.cameras[3].registered = true;  // all four registered
  base.report.self.camera_notes[3] = "";
  base.report.self.ba.camera_rms_px[3] = 2.0;
  base.report.self.ba.camera_observations[3] = 5000;
  base.report.self.focal_estimated = true;
  base.report.self.focal_jackknife_blocks = 4;
  base.report.self.focal_jackknife_joint_groups = 4;
  std::vector<double> f;  // per camera
  for (const Camera& cam : base.rig) f.push_back(cam.MeanFocal());
  const auto share = [&](double rel) {
    std::vector<double> sigma;
    for (double focal : f) sigma.push_back(rel * focal);
    return sigma;
  };
  for (int c = 0; c < 4; ++c) base.report.self.ba.uncertainty[c].focal_sigma_px = 0.005 * f[c];

  VerdictScene honest = base;  // jackknife 0.8 %: good, and the figure is reported
  honest.report.self.focal_jackknife_sigma_px = share(0.008);
  JudgeCalibration(CalibrationThresholds{}, honest.rig, &honest.report);
  EXPECT_EQ(honest.report.verdict, Verdict::kGood) << honest.report.BriefReport();
  EXPECT_NEAR(honest.report.focal_uncertainty_rel, 0.008, 1e-9);
  EXPECT_NEAR(honest.report.cameras[0].focal_uncertainty_px, 0.008 * f[0], 1e-9);
  EXPECT_NEAR(honest.report.cameras[0].focal_sigma_px, 0.005 * f[0], 1e-9);

  VerdictScene weak = base;  // jackknife 4 % on camera 1, the covariance still 0.5 %
  weak.report.self.focal_jackknife_sigma_px = share(0.008);
  weak.report.self.focal_jackknife_sigma_px[1] = 0.04 * f[1];
  JudgeCalibration(CalibrationThresholds{}, weak.rig, &weak.report);
  EXPECT_EQ(weak.report.verdict, Verdict::kCheck);
  EXPECT_NEAR(weak.report.focal_uncertainty_rel, 0.04, 1e-9);
  EXPECT_EQ(weak.report.cameras[0].verdict, Verdict::kGood);
  EXPECT_EQ(weak.report.cameras[1].verdict, Verdict::kCheck);
  std::string all;
  for (const auto& r : weak.report.reasons) all += r + "\n";
  EXPECT_NE(all.find("focal length not determined by the data: uncertain by ~4.0 % (jackknife over 4 frame blocks "
                     "and 4 joint groups; the adjustment's covariance alone says 0.5 %)"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("give intrinsics or more motion in depth"), std::string::npos) << all;

  VerdictScene no_jackknife = base;  // not run (too few frames): the covariance alone, 3 %
  no_jackknife.report.self.focal_jackknife_sigma_px.assign(4, kNaN);
  for (int c = 0; c < 4; ++c) no_jackknife.report.self.ba.uncertainty[c].focal_sigma_px = 0.03 * f[c];
  JudgeCalibration(CalibrationThresholds{}, no_jackknife.rig, &no_jackknife.report);
  EXPECT_EQ(no_jackknife.report.verdict, Verdict::kCheck);
  EXPECT_NEAR(no_jackknife.report.focal_uncertainty_rel, 0.03, 1e-9);

  VerdictScene given = base;  // intrinsics given: no focal figure, no reason
  given.report.self.focal_estimated = false;
  for (int c = 0; c < 4; ++c) given.report.self.ba.uncertainty[c].focal_sigma_px = kNaN;
  JudgeCalibration(CalibrationThresholds{}, given.rig, &given.report);
  EXPECT_EQ(given.report.verdict, Verdict::kGood) << given.report.BriefReport();
  EXPECT_TRUE(std::isnan(given.report.focal_uncertainty_rel));
}

// Estimated focal lengths, the scale from a baseline and a measured height: the height at the
// baseline's scale against the given one is a note (the verdict stays) with the figures and the
// direction of the focal error; without a given height or without a baseline nothing is said.
TEST(CalibrationVerdict, StatureAtTheBaselinesScaleIsComparedWithTheGivenHeight) {
  VerdictScene base;
  base.report.cameras[3].registered = true;
  base.report.self.camera_notes[3] = "";
  base.report.self.ba.camera_rms_px[3] = 2.0;
  base.report.self.ba.camera_observations[3] = 5000;
  base.report.self.focal_estimated = true;
  base.report.height_given = true;
  base.report.world.scale_method = "camera baseline";
  base.report.world.stated_height_m = 1.72;
  const auto notes = [](const CalibrationReport& rep) {
    std::string all;
    for (const auto& n : rep.notes) all += n + "\n";
    return all;
  };

  VerdictScene shorter = base;  // 1.640 m at the baseline's scale: the cameras too far out
  shorter.report.world.measured_height_m = 1.640;
  JudgeCalibration(CalibrationThresholds{}, shorter.rig, &shorter.report);
  EXPECT_EQ(shorter.report.verdict, Verdict::kGood) << shorter.report.BriefReport();
  EXPECT_NE(notes(shorter.report).find("the subject measures 1.640 m against the given 1.720 m (-4.7 %)"),
            std::string::npos)
      << notes(shorter.report);
  EXPECT_NE(notes(shorter.report).find("too long"), std::string::npos);

  VerdictScene taller = base;
  taller.report.world.measured_height_m = 1.80;
  JudgeCalibration(CalibrationThresholds{}, taller.rig, &taller.report);
  EXPECT_NE(notes(taller.report).find("(+4.7 %)"), std::string::npos) << notes(taller.report);
  EXPECT_NE(notes(taller.report).find("too short"), std::string::npos);

  VerdictScene default_height = base;  // the adult mean is no measurement
  default_height.report.height_given = false;
  default_height.report.world.measured_height_m = 1.640;
  JudgeCalibration(CalibrationThresholds{}, default_height.rig, &default_height.report);
  EXPECT_EQ(notes(default_height.report).find("measures"), std::string::npos) << notes(default_height.report);

  VerdictScene from_height = base;  // the scale came from the height itself
  from_height.report.world.scale_method = "subject height (segment stack)";
  from_height.report.world.measured_height_m = 1.640;
  JudgeCalibration(CalibrationThresholds{}, from_height.rig, &from_height.report);
  EXPECT_EQ(notes(from_height.report).find("measures"), std::string::npos) << notes(from_height.report);

  VerdictScene known = base;  // intrinsics given: the focal lengths are not the suspect
  known.report.self.focal_estimated = false;
  known.report.world.measured_height_m = 1.640;
  JudgeCalibration(CalibrationThresholds{}, known.rig, &known.report);
  EXPECT_EQ(notes(known.report).find("measures"), std::string::npos) << notes(known.report);
}

}  // namespace
}  // namespace epilabel
