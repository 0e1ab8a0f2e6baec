#include "pseudolabel/demo_run.h"

#include <cmath>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "foundation/error.h"
#include "tests/testing.h"

namespace fs = std::filesystem;

namespace epilabel {
namespace {

std::string DataDir() {
  if (const char* env = std::getenv("EPILABEL_DATA_DIR"); env != nullptr && *env != '\0') return env;
  return testing::SourceDir() + "/data";
}

// Every section of the demo on a short studio: each scored against its truth, with tolerances a
// broken stage would miss by far (a wrong camera is degrees off, a wrong offset frames off).
TEST(DemoRun, EverySectionRunsAndScoresAgainstTheTruth) {
  testing::TempDir dir;
  DemoRunOptions o;
  o.frames = 600;
  o.section_frames = 600;
  o.people = 2;
  o.out_dir = dir / "demo";
  o.data_dir = DataDir();
  o.real_offsets.clear();  // section 9's second and third parts: demo_real_test.cc
  o.real_detect = false;
  std::vector<int> sections;
  const DemoRunResult r = RunDemo(o, [&](int s, const DemoRunResult&) { sections.push_back(s); });
  EXPECT_EQ(sections, (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9}));
  // 2-3: the cameras from the person alone, the points with them.
  ASSERT_TRUE(r.calibration.success) << r.calibration.reason;
  EXPECT_EQ(r.calibration.cameras.size(), 4u);
  EXPECT_LT(r.calibration.max_rotation_error_deg, 0.3);
  EXPECT_LT(std::abs(r.calibration.scale_error_pct), 3.0);
  // One camera given a focal length 4 % long: the people pull it back by about that much, and the
  // verdict names that camera the weakest by its intrinsics.
  EXPECT_EQ(r.wrong_focal.named, r.wrong_focal.camera);
  EXPECT_EQ(r.wrong_focal.evidence, "intrinsics");
  EXPECT_NEAR(r.wrong_focal.pull_pct, -100 * 0.04 / 1.04, 1.0);
  EXPECT_GT(r.wrong_focal.sigma_pct, 0.0);
  EXPECT_LT(r.mpjpe_self_calibrated_mm, 1.5 * r.mpjpe_true_cameras_mm + 5);
  // 4: three label sets, the multi-view ones better than the two-view baseline.
  ASSERT_EQ(r.label_rows.size(), 3u);
  EXPECT_GT(r.label_rows[0].score.samples, 0);
  EXPECT_LT(r.label_rows[0].score.mpjpe_mm, r.label_rows[2].score.mpjpe_mm);
  EXPECT_TRUE(fs::exists(dir / "demo/labels/dataset.npz"));
  // 5: both people followed.
  ASSERT_TRUE(r.people_run);
  EXPECT_EQ(r.people_evaluation.ours.people.size(), 2u);
  // 6: the offsets recovered, the resampled triangulation far better than frames by number.
  ASSERT_TRUE(r.sync_run);
  ASSERT_EQ(r.sync.true_offsets_frames.size(), 4u);
  EXPECT_DOUBLE_EQ(r.sync.true_offsets_frames[1], 3.4);
  ASSERT_EQ(r.sync.calibrated_offsets_frames.size(), 4u);
  EXPECT_LT(r.sync.max_motion_error_frames, 0.15) << r.sync.max_motion_error_frames;
  EXPECT_EQ(r.sync.people, 2);  // the demo's people, paired across cameras by their motion
  ASSERT_EQ(r.sync.people_offsets_frames.size(), 4u) << r.sync.people_verdict;
  EXPECT_LT(r.sync.max_people_error_frames, 0.15) << r.sync.max_people_error_frames;
  EXPECT_LT(r.sync.max_calibrated_error_frames, 0.25);
  EXPECT_TRUE(r.sync.calibration.success) << r.sync.calibration.reason;
  EXPECT_LT(r.sync.mpjpe_resampled_mm, 0.5 * r.sync.mpjpe_by_frame_number_mm);
  // 7-8: the realistic detector near its oracle; a fisheye rig calibrated.
  ASSERT_TRUE(r.realistic_run);
  EXPECT_TRUE(r.realistic.calibration.success) << r.realistic.calibration.reason;
  EXPECT_LT(r.realistic.mpjpe_mm, 1.3 * r.realistic.oracle_mpjpe_mm);
  ASSERT_TRUE(r.fisheye_run);
  EXPECT_TRUE(r.fisheye.calibration.success) << r.fisheye.calibration.reason;
  EXPECT_LT(r.fisheye.calibration.max_rotation_error_deg, 0.3);
  // 9: the real trial (its parts are demo_real_test.cc's): here only the first, calibrated.
  ASSERT_TRUE(r.real_run);
  EXPECT_TRUE(r.real.calibration.success) << r.real.calibration.reason;
  EXPECT_FALSE(r.real.sync_run);
  EXPECT_FALSE(r.real.detect_run);
}

// A real trial whose facts file is missing is named, not a crash or a silent skip.
TEST(DemoRun, MissingRealTrialIsNamed) {
  testing::TempDir dir;
  fs::copy(DataDir(), dir / "data", fs::copy_options::recursive);
  fs::remove(dir / "data/real/pose2sim_balancing/trial.toml");
  DemoRunOptions o;
  o.out_dir = dir / "demo";
  o.data_dir = dir / "data";
  std::vector<int> sections;
  try {
    RunDemo(o, [&](int s, const DemoRunResult&) { sections.push_back(s); });
    FAIL() << "the demo ran without the trial's facts";
  } catch (const InputError& e) {
    EXPECT_NE(e.where().find("trial.toml"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(sections.empty());  // said before any section ran
}

TEST(DemoRun, BadOptionsNameTheirKey) {
  DemoRunOptions o;
  o.data_dir = DataDir();
  o.time_offsets = {1.0, 0.0, 0.0, 0.0};
  try {
    o.Check();
    FAIL() << "a reference offset of 1 frame passed";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where(), "time_offsets");
  }
  o.time_offsets.clear();
  o.people = 0;
  EXPECT_THROW(o.Check(), InputError);
  o.people = 3;
  o.real_offsets = {2, 0, 0, 0};
  try {
    o.Check();
    FAIL() << "a reference shift of 2 frames passed";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where(), "real_offsets");
  }
}

}  // namespace
}  // namespace epilabel
