#include "geometry/sync/time_offsets.h"

#include <cmath>
#include <limits>
#include <random>

#include <gtest/gtest.h>

namespace epilabel {
namespace {

// One camera, one joint moving along x = 10 * frame.
Observations2d Ramp(int frames) {
  Observations2d obs(1, frames, 1);
  for (int f = 0; f < frames; ++f) obs.at(0, f, 0) = Eigen::Vector3d(10.0 * f, 5.0, 0.5 + 0.01 * f);
  return obs;
}

TEST(InterpolateKeypoint, LinearBetweenNeighbours) {
  const Observations2d obs = Ramp(5);
  const auto k = InterpolateKeypoint(obs, 0, 1.25, 0);
  ASSERT_TRUE(k.has_value());
  EXPECT_NEAR(k->x(), 12.5, 1e-12);
  EXPECT_NEAR(k->z(), 0.5125, 1e-12);
  EXPECT_FALSE(InterpolateKeypoint(obs, 0, -0.1, 0).has_value());
  EXPECT_FALSE(InterpolateKeypoint(obs, 0, 4.01, 0).has_value());
  EXPECT_TRUE(InterpolateKeypoint(obs, 0, 4.0, 0).has_value());
}

TEST(InterpolateKeypoint, CubicWithFourNeighboursExactForQuadraticMotion) {
  Observations2d obs(1, 5, 1);
  for (int f = 0; f < 5; ++f) obs.at(0, f, 0) = Eigen::Vector3d(f * f, 2.0 * f, 1.0);
  const auto k = InterpolateKeypoint(obs, 0, 1.5, 0);  // frames 0-3 observed: cubic
  ASSERT_TRUE(k.has_value());
  EXPECT_NEAR(k->x(), 2.25, 1e-12);                    // linear would give 2.5
  EXPECT_NEAR(k->y(), 3.0, 1e-12);
  const auto edge = InterpolateKeypoint(obs, 0, 0.5, 0);  // no frame before 0: linear
  ASSERT_TRUE(edge.has_value());
  EXPECT_NEAR(edge->x(), 0.5, 1e-12);
  obs.at(0, 3, 0).z() = 0.0;                           // the frame after is missing: linear
  EXPECT_NEAR(InterpolateKeypoint(obs, 0, 1.5, 0)->x(), 2.5, 1e-12);
}

TEST(InterpolateKeypoint, MissingNeighbourStaysMissing) {
  Observations2d obs = Ramp(5);
  obs.at(0, 2, 0).z() = 0.0;
  EXPECT_FALSE(InterpolateKeypoint(obs, 0, 1.5, 0).has_value());
  EXPECT_FALSE(InterpolateKeypoint(obs, 0, 2.5, 0).has_value());
  EXPECT_FALSE(InterpolateKeypoint(obs, 0, 2.0, 0).has_value());
  EXPECT_TRUE(InterpolateKeypoint(obs, 0, 1.0, 0).has_value());
  EXPECT_TRUE(InterpolateKeypoint(obs, 0, 3.0, 0).has_value());
}

// One camera, a person of 6 joints 100 px apart on a diagonal moving smoothly.
Observations2d Walker(int frames) {
  Observations2d obs(1, frames, 6);
  for (int f = 0; f < frames; ++f)
    for (int j = 0; j < 6; ++j) obs.at(0, f, j) = Eigen::Vector3d(100.0 * j + 3.0 * f + 0.2 * f * f, 100.0 * j, 0.9);
  return obs;
}

TEST(WithoutTemporalOutliers, DropsAOneFrameOutlierAndKeepsSmoothMotion) {
  Observations2d obs = Walker(12);
  obs.at(0, 6, 2).x() += 100.0;  // 14 % of the person's size (bounding-box diagonal ~710 px)
  const Observations2d out = WithoutTemporalOutliers(obs, 0.08);
  EXPECT_EQ(out.at(0, 6, 2).z(), 0.0);
  for (int f = 0; f < 12; ++f)
    for (int j = 0; j < 6; ++j) {
      if (f == 6 && j == 2) continue;
      EXPECT_EQ(out.at(0, f, j), obs.at(0, f, j)) << f << " " << j;  // neighbours of the outlier too
    }
  EXPECT_EQ(WithoutTemporalOutliers(obs, 0.0).at(0, 6, 2), obs.at(0, 6, 2));
}

TEST(ResampleToReference, FractionalFramesSkipTemporalOutliersWholeFramesKeepThem) {
  Observations2d obs = Walker(12);
  obs.at(0, 6, 2).x() += 100.0;
  // Half a frame: output 6 is camera frame 5.5, interpolated from the four frames around it
  // without the outlier (cubic needs frames 4-7: frame 6 missing, so the joint is missing).
  const Observations2d half = ResampleToReference(obs, {0.5 / 30.0}, {30.0}, 30.0, 12);
  EXPECT_EQ(half.at(0, 6, 2).z(), 0.0);
  EXPECT_NEAR(half.at(0, 4, 2).x(), 200.0 + 3.0 * 3.5 + 0.2 * 3.5 * 3.5, 1e-9);  // exact: quadratic
  const Observations2d whole = ResampleToReference(obs, {1.0 / 30.0}, {30.0}, 30.0, 12);
  EXPECT_EQ(whole.at(0, 7, 2), obs.at(0, 6, 2));  // a shift by whole frames copies, outlier included
}

TEST(ResampleToReference, ZeroOffsetsGiveTheInput) {
  const Observations2d obs = Ramp(6);
  const Observations2d out = ResampleToReference(obs, {0.0}, {30.0}, 30.0, 6);
  for (int f = 0; f < 6; ++f) EXPECT_EQ(out.at(0, f, 0), obs.at(0, f, 0));
}

TEST(ResampleToReference, ShiftsByTheOffsetWithTheSignConvention) {
  // Camera frame N shows reference frame N + 2.5: reference frame g is camera frame g - 2.5.
  const Observations2d out = ResampleToReference(Ramp(10), {2.5 / 30.0}, {30.0}, 30.0, 10);
  EXPECT_EQ(out.at(0, 0, 0).z(), 0.0);
  EXPECT_EQ(out.at(0, 2, 0).z(), 0.0);
  EXPECT_NEAR(out.at(0, 3, 0).x(), 5.0, 1e-9);
  EXPECT_NEAR(out.at(0, 9, 0).x(), 65.0, 1e-9);
}

TEST(ResampleToReference, OtherFrameRate) {
  // A 60 fps camera onto a 30 fps timeline: reference frame g is camera frame 2 g (offset 0).
  const Observations2d out = ResampleToReference(Ramp(20), {0.0}, {60.0}, 30.0, 10);
  for (int g = 0; g < 10; ++g) EXPECT_NEAR(out.at(0, g, 0).x(), 20.0 * g, 1e-9);
}

TEST(SyncResult, VerdictAndOffsets) {
  SyncResult r;
  r.success = true;
  r.cameras.resize(2);
  r.cameras[1].estimated = true;
  r.cameras[1].confidence = 0.9;
  r.cameras[1].offset_s = 0.1;
  EXPECT_EQ(r.Verdict(), "ok");
  EXPECT_EQ(r.OffsetsSeconds()[1], 0.1);
  r.cameras[1].confidence = 0.1;
  EXPECT_EQ(r.Verdict(), "uncertain");
  r.success = false;
  EXPECT_EQ(r.Verdict(), "refused");
}

// A result of three cameras at 30 fps (camera 0 the reference): offsets (frames) and standard
// errors of cameras 1 and 2.
SyncResult Estimates(double d1, double se1, double d2, double se2) {
  SyncResult r;
  r.success = true;
  r.reference_fps = 30.0;
  r.cameras.resize(3);
  const double d[3] = {0.0, d1, d2}, se[3] = {0.0, se1, se2};
  for (int c = 1; c < 3; ++c) {
    CameraOffset& o = r.cameras[c];
    o.offset_frames = d[c];
    o.offset_s = d[c] / 30.0;
    o.estimated = true;
    o.confidence = 0.1 * c;
    o.standard_error_frames = se[c];
  }
  return r;
}

// Agreeing estimates are averaged by inverse variance (camera 1: 1.0 +/- 0.1 and 1.1 +/- 0.2,
// 0.1 apart, within 2 x 0.224: 1.02 +/- 0.089); disagreeing ones give the one with the smaller
// standard error (camera 2: 1.0 +/- 0.05 and 1.5 +/- 0.1, 0.5 apart, over 2 x 0.112).
TEST(CombineByStandardErrors, MeanWhenTheyAgreeSmallerErrorWhenNot) {
  const SyncResult a = Estimates(1.0, 0.1, 1.0, 0.05), b = Estimates(1.1, 0.2, 1.5, 0.1);
  const SyncResult start = Estimates(0.0, 0.0, 0.0, 0.0);
  const SyncResult r = CombineByStandardErrors(a, "search", b, "adjustment", start, 2.0);
  ASSERT_TRUE(r.success);
  EXPECT_EQ(r.cameras[0].offset_frames, 0.0);
  EXPECT_NEAR(r.cameras[1].offset_frames, (1.0 / 0.01 + 1.1 / 0.04) / (1.0 / 0.01 + 1.0 / 0.04), 1e-12);
  EXPECT_NEAR(r.cameras[1].offset_frames, 1.02, 1e-12);
  EXPECT_NEAR(r.cameras[1].offset_s, 1.02 / 30.0, 1e-12);
  EXPECT_NEAR(r.cameras[1].standard_error_frames, 1.0 / std::sqrt(125.0), 1e-12);
  EXPECT_NE(r.cameras[1].choice.find("inverse-variance mean"), std::string::npos) << r.cameras[1].choice;
  EXPECT_EQ(r.cameras[2].offset_frames, 1.0);
  EXPECT_EQ(r.cameras[2].standard_error_frames, 0.05);
  EXPECT_NE(r.cameras[2].choice.find("the search taken"), std::string::npos) << r.cameras[2].choice;
  // The same pair the other way round: the adjustment has the smaller error now.
  const SyncResult swapped = CombineByStandardErrors(b, "search", a, "adjustment", start, 2.0);
  EXPECT_EQ(swapped.cameras[2].offset_frames, 1.0);
  EXPECT_NE(swapped.cameras[2].choice.find("the adjustment taken"), std::string::npos);
  // A stricter agreement (half a combined standard error) splits camera 1 too.
  EXPECT_EQ(CombineByStandardErrors(a, "search", b, "adjustment", start, 0.4).cameras[1].offset_frames, 1.0);
}

// An estimate without a usable standard error (infinite, 0, or not estimated) is not combined:
// the other is taken alone, or with neither the fallback's camera.
TEST(CombineByStandardErrors, WithoutAStandardErrorTheOtherOrTheFallback) {
  const double inf = std::numeric_limits<double>::infinity();
  SyncResult a = Estimates(1.0, inf, 2.0, 0.0);
  const SyncResult b = Estimates(1.3, 0.2, 2.5, inf);
  const SyncResult start = Estimates(0.7, 0.0, 1.7, 0.0);
  const SyncResult r = CombineByStandardErrors(a, "search", b, "adjustment", start, 2.0);
  EXPECT_EQ(r.cameras[1].offset_frames, 1.3);
  EXPECT_NE(r.cameras[1].choice.find("only the adjustment"), std::string::npos) << r.cameras[1].choice;
  EXPECT_EQ(r.cameras[2].offset_frames, 1.7);
  EXPECT_NE(r.cameras[2].choice.find("start kept"), std::string::npos) << r.cameras[2].choice;
  a.cameras[1].standard_error_frames = 0.1;
  a.cameras[1].estimated = false;
  EXPECT_EQ(CombineByStandardErrors(a, "search", b, "adjustment", start, 2.0).cameras[1].offset_frames, 1.3);
  EXPECT_THROW(CombineByStandardErrors(a, "search", b, "adjustment", start, 0.0), std::invalid_argument);
  SyncResult two = b;
  two.cameras.resize(2);
  EXPECT_THROW(CombineByStandardErrors(a, "search", two, "adjustment", start, 2.0), std::invalid_argument);
}


// Independent values: the sum's deviation is sqrt(n) x theirs; the same values repeated over runs
// of 8 frames (correlated neighbours): sqrt(8) times more, which the blocking finds.
TEST(BlockedSumDeviation, FindsTheCorrelationLength) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> normal(0.0, 1.0);
  const int n = 4096;
  std::vector<double> independent(n), runs(n), frames(n);
  const std::vector<int> groups(n, 0);
  double current = 0.0;
  for (int i = 0; i < n; ++i) {
    independent[i] = normal(rng);
    if (i % 8 == 0) current = normal(rng);
    runs[i] = current;
    frames[i] = i;
  }
  EXPECT_NEAR(BlockedSumDeviation(independent, groups, frames), std::sqrt(n), 0.35 * std::sqrt(n));
  EXPECT_NEAR(BlockedSumDeviation(runs, groups, frames), std::sqrt(8.0 * n), 0.35 * std::sqrt(8.0 * n));
  EXPECT_GT(BlockedSumDeviation(runs, groups, frames), 2.0 * BlockedSumDeviation(independent, groups, frames));
  EXPECT_TRUE(std::isinf(BlockedSumDeviation({1.0, 2.0}, {0, 0}, {0.0, 1.0})));
  EXPECT_THROW(BlockedSumDeviation({1.0}, {0, 0}, {0.0}), std::invalid_argument);
  EXPECT_THROW(BlockedSumDeviation({1.0, 2.0}, {0, 0}, {0.0, std::nan("")}), std::invalid_argument);
}

// As many groups (tracks) as min_blocks or more: the blocks never drop below min_blocks however
// long, so the lengths must stop by themselves (before, the loop never ended: `sync --calib
// --start` on a three-person ring8 scene whose bad start split the people into many tracks).
// Once the blocks are whole groups the estimate is that of the groups' sums.
TEST(BlockedSumDeviation, EndsWithManyGroups) {
  std::vector<double> values, frames;
  std::vector<int> groups;
  const int num_groups = 20, per_group = 50;
  for (int g = 0; g < num_groups; ++g)
    for (int i = 0; i < per_group; ++i) {
      values.push_back(g % 2 == 0 ? 1.0 : -1.0);  // each group's sum: +-50
      groups.push_back(g);
      frames.push_back(100.0 * g + i);
    }
  const double deviation = BlockedSumDeviation(values, groups, frames);
  // The whole groups' sums (+-50, mean 0): sqrt(20 x 50^2 x 20 / 19); a shorter length splits a
  // group's sum into parts whose squares add up to less, over more blocks.
  EXPECT_NEAR(deviation, std::sqrt(num_groups * 2500.0 * num_groups / (num_groups - 1)), 1e-9);
  // Negative frames too (a group each side of frame 0 is two blocks for every longer length).
  for (double& f : frames) f -= 1000.0;
  EXPECT_TRUE(std::isfinite(BlockedSumDeviation(values, groups, frames)));
}

}  // namespace
}  // namespace epilabel
