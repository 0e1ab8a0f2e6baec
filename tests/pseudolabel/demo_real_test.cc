#include "pseudolabel/demo_real.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "foundation/error.h"
#include "tests/testing.h"

namespace fs = std::filesystem;

namespace epilabel {
namespace {

// The shipped trial (data/real/pose2sim_balancing: OpenPose detections, videos, Qualisys).
RealTrial ShippedTrial() { return ReadRealTrial(testing::SourceDir() + "/data/real/pose2sim_balancing"); }

TEST(ReadRealTrial, ReadsTheShippedTrialAndNamesABadFactsFile) {
  const RealTrial trial = ShippedTrial();
  EXPECT_DOUBLE_EQ(trial.subject_height_m, 1.72);
  EXPECT_DOUBLE_EQ(trial.fps, 60.0);
  EXPECT_TRUE(fs::is_regular_file(trial.reference_path));
  testing::TempDir dir;
  const auto read_error = [&]() -> std::string {
    try {
      ReadRealTrial(dir.path().string());
    } catch (const InputError& e) {
      EXPECT_NE(e.where().find("trial.toml"), std::string::npos) << e.what();
      return e.what();
    }
    return "(no error)";
  };
  const auto error_with = [&](const std::string& text) {
    std::ofstream(dir / "trial.toml") << text;
    return read_error();
  };
  EXPECT_NE(read_error().find("missing"), std::string::npos);
  EXPECT_EQ(error_with("subject_height_m = 1.8\nfps = 30\n"), "(no error)");
  EXPECT_NE(error_with("subject_height_m = 180\nfps = 30\n").find("height in metres"), std::string::npos);
  EXPECT_NE(error_with("subject_height_m = 1.8\n").find("fps"), std::string::npos);
  EXPECT_NE(error_with("subject_height_m = [\n").find("trial.toml:"), std::string::npos);
}

// The three parts on the real trial, each against Qualisys' calibration of the same cameras, with
// tolerances a broken stage misses by far (a camera confused with another is tens of degrees off,
// a wrong sign of an offset 6-14 frames).
TEST(RunRealCapture, CalibratesSynchronisesAndDetectsTheShippedTrial) {
  testing::TempDir dir;
  DemoRealOptions o;
  o.out_dir = dir / "demo";
  o.models_dir = testing::SourceDir() + "/models";  // scripts/setup-models.sh (both README commands run it)
  const DemoReal d = RunRealCapture(ShippedTrial(), o);
  // 1. Four cameras, 100 frames, calibrated from the subject within a degree or two of Qualisys
  // (0.69 deg at this writing), the scale from the given height within a few per cent, the joints
  // within centimetres of those triangulated with Qualisys' cameras (24.6 mm median).
  EXPECT_EQ(d.cameras, 4);
  EXPECT_EQ(d.frames, 100);
  EXPECT_DOUBLE_EQ(d.subject_height_m, 1.72);
  ASSERT_TRUE(d.calibration.success) << d.calibration.reason;
  ASSERT_EQ(d.calibration.cameras.size(), 4u);
  EXPECT_LT(d.calibration.max_rotation_error_deg, 1.5);
  EXPECT_LT(d.max_rotation_by_centres_deg, 1.5);
  EXPECT_LT(std::abs(d.calibration.scale_error_pct), 4.0);
  EXPECT_FALSE(d.furthest_off.empty());
  EXPECT_GT(d.points_median_mm, 0.0);
  EXPECT_LT(d.points_median_mm, 40.0);
  EXPECT_TRUE(fs::is_regular_file(dir / "demo/real/calibration.toml"));
  // 2. cam_02 and cam_04 shifted by 3 and 7 frames: `calibrate --sync` finds the shifts within a
  // fraction of a frame (0.15 at this writing) and calibrates as well as unshifted.
  ASSERT_TRUE(d.sync_run);
  EXPECT_EQ(d.true_offsets_frames, (std::vector<double>{0, 3, 0, 7}));
  ASSERT_EQ(d.offsets_frames.size(), 4u);
  EXPECT_LT(d.max_offset_error_frames, 0.5);
  ASSERT_TRUE(d.sync_calibration.success) << d.sync_calibration.reason;
  EXPECT_LT(d.sync_calibration.max_rotation_error_deg, 1.5);
  // 3. The videos through our detector, then calibrated: every frame detected, the 1080 px wide
  // videos of cam01/cam02 noticed against the 1088 px calibration, the cameras within a couple
  // of degrees of Qualisys (1.06 deg at this writing).
  ASSERT_TRUE(d.detect_run) << d.detect_skipped;
  EXPECT_EQ(d.detected_frames, 400);
  EXPECT_EQ(d.detect_warnings.size(), 2u);
  EXPECT_TRUE(fs::is_regular_file(dir / "demo/real/detections/cam01/image_size.csv"));
  ASSERT_TRUE(d.detect_calibration.success) << d.detect_calibration.reason;
  EXPECT_LT(d.detect_calibration.max_rotation_error_deg, 2.5);
  EXPECT_LT(std::abs(d.detect_calibration.scale_error_pct), 5.0);
}

// Without the detector's model the third part is skipped and says how to install it; without
// offsets the second part is skipped; the first still runs.
TEST(RunRealCapture, WithoutModelsTheDetectionSaysWhatToInstall) {
  testing::TempDir dir;
  DemoRealOptions o;
  o.out_dir = dir / "demo";
  o.offsets.clear();
  o.models_dir = dir / "no_models";
  const DemoReal d = RunRealCapture(ShippedTrial(), o);
  EXPECT_TRUE(d.calibration.success) << d.calibration.reason;
  EXPECT_FALSE(d.sync_run);
  EXPECT_FALSE(d.detect_run);
  EXPECT_NE(d.detect_skipped.find("setup-models.sh"), std::string::npos) << d.detect_skipped;
}

}  // namespace
}  // namespace epilabel
