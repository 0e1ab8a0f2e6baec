#include "geometry/estimators/ransac.h"

#include <random>
#include <stdexcept>

#include <Eigen/Core>
#include <gtest/gtest.h>

namespace epilabel {
namespace {

struct Line {
  double slope = 0.0, intercept = 0.0;
};

// y = slope x + intercept through two points; residual |y - line(x)|; refit by least squares.
// Records the samples it is given.
class LineEstimator {
 public:
  using Model = Line;
  static constexpr int kSampleSize = 2;
  explicit LineEstimator(std::vector<Eigen::Vector2d> points) : points_(std::move(points)) {}
  int NumData() const { return static_cast<int>(points_.size()); }
  bool Fit(const std::array<int, 2>& s, Line* line) const {
    samples_.push_back(s);
    const Eigen::Vector2d& a = points_[s[0]];
    const Eigen::Vector2d& b = points_[s[1]];
    if (std::abs(b.x() - a.x()) < 1e-12) return false;
    line->slope = (b.y() - a.y()) / (b.x() - a.x());
    line->intercept = a.y() - line->slope * a.x();
    return true;
  }
  double Residual(const Line& line, int i) const {
    return std::abs(points_[i].y() - (line.slope * points_[i].x() + line.intercept));
  }
  bool Refit(const std::vector<uint8_t>& inliers, Line* line) const {
    double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (size_t i = 0; i < points_.size(); ++i) {
      if (!inliers[i]) continue;
      const Eigen::Vector2d& p = points_[i];
      n += 1;
      sx += p.x();
      sy += p.y();
      sxx += p.x() * p.x();
      sxy += p.x() * p.y();
    }
    const double det = n * sxx - sx * sx;
    if (n < 2 || std::abs(det) < 1e-12) return false;
    line->slope = (n * sxy - sx * sy) / det;
    line->intercept = (sy - line->slope * sx) / n;
    return true;
  }
  mutable std::vector<std::array<int, 2>> samples_;

 private:
  std::vector<Eigen::Vector2d> points_;
};

// 70 points on y = 0.5 x + 2 (noise 0.01) at x = 0..69, and 30 far off it; planted[i] = 1 for
// the points on the line.
std::vector<Eigen::Vector2d> LineWithOutliers(std::vector<uint8_t>* planted, double noise = 0.01) {
  std::mt19937 rng(5);
  std::normal_distribution<double> n(0.0, noise);
  std::uniform_real_distribution<double> u(-50.0, 50.0);
  std::vector<Eigen::Vector2d> points;
  planted->clear();
  for (int i = 0; i < 100; ++i) {
    const double x = i;
    const bool inlier = i % 10 < 7;
    const double off = (u(rng) > 0 ? 1.0 : -1.0) * (5.0 + std::abs(u(rng)) * 0.1);  // 5 to 10 off the line
    const double y = 0.5 * x + 2.0 + (inlier ? n(rng) : off);
    points.emplace_back(x, y);
    planted->push_back(inlier ? 1 : 0);
  }
  return points;
}

// Fits y = x whatever the sample; points 0, 1, 2 lie on it, point 3 far off.
struct Fixed {
  using Model = Line;
  static constexpr int kSampleSize = 2;
  int NumData() const { return 4; }
  bool Fit(const std::array<int, 2>&, Line* l) const {
    l->slope = 1.0;
    l->intercept = 0.0;
    return true;
  }
  double Residual(const Line& l, int i) const {
    const double x = i, y = i == 3 ? 10.0 : i;
    return std::abs(y - (l.slope * x + l.intercept));
  }
};

// Constant models with per-datum thresholds and weights; datum 3 has no residual.
struct Weighted {
  using Model = double;  // a constant
  static constexpr int kSampleSize = 1;
  std::vector<double> y = {1.0, 1.2, 3.0, 1.05};
  int NumData() const { return 4; }
  bool Fit(const std::array<int, 1>& s, double* m) const {
    *m = y[s[0]];
    return true;
  }
  double Residual(const double& m, int i) const { return i == 3 ? std::numeric_limits<double>::infinity() : std::abs(y[i] - m); }
  double Threshold(int i) const { return i == 1 ? 0.5 : 0.1; }
  double Weight(int i) const { return 1.0 + i; }
};

RansacOptions LineOptions() {
  RansacOptions o;
  o.threshold = 0.1;
  o.max_iterations = 500;
  o.seed = 3;
  return o;
}

TEST(Ransac, FindsTheLineAndExactlyThePlantedInliers) {
  std::vector<uint8_t> planted;
  const LineEstimator estimator(LineWithOutliers(&planted));
  RansacOptions options = LineOptions();
  options.adaptive_stopping = false;
  options.max_iterations = 200;
  UniformSampler<2> sampler(estimator.NumData(), options.seed);
  const auto result = Ransac(estimator, sampler, options);
  ASSERT_TRUE(result.success);
  EXPECT_NEAR(result.model.slope, 0.5, 2e-3);
  EXPECT_NEAR(result.model.intercept, 2.0, 0.1);
  EXPECT_EQ(result.inlier_mask, planted);
  EXPECT_EQ(result.summary.num_inliers, 70);
  EXPECT_DOUBLE_EQ(result.summary.best_cost, -70.0);
  EXPECT_EQ(result.summary.iterations, 200);
}

TEST(Ransac, AdaptiveStoppingEndsAfterOneSampleOnCleanData) {
  std::vector<Eigen::Vector2d> points;
  for (int i = 0; i < 50; ++i) points.emplace_back(i, 3.0 - 0.25 * i);
  const LineEstimator estimator(points);
  RansacOptions options = LineOptions();
  UniformSampler<2> sampler(estimator.NumData(), options.seed);
  auto result = Ransac(estimator, sampler, options);
  ASSERT_TRUE(result.success);
  EXPECT_EQ(result.summary.iterations, 1);
  EXPECT_EQ(result.summary.num_inliers, 50);
  // Without adaptive stopping every sample is drawn.
  options.adaptive_stopping = false;
  UniformSampler<2> sampler2(estimator.NumData(), options.seed);
  result = Ransac(estimator, sampler2, options);
  EXPECT_EQ(result.summary.iterations, 500);
}

TEST(Ransac, StoppingMarginAddsIterations) {
  // Clean data needs no further sample: the cap becomes max(1, 0 + margin).
  std::vector<Eigen::Vector2d> clean;
  for (int i = 0; i < 20; ++i) clean.emplace_back(i, 1.0 + i);
  const LineEstimator clean_estimator(clean);
  RansacOptions options = LineOptions();
  options.stopping_margin = 3;
  UniformSampler<2> s1(clean_estimator.NumData(), 1);
  EXPECT_EQ(Ransac(clean_estimator, s1, options).summary.iterations, 3);
}

TEST(Ransac, SameSeedSameResultOtherSeedOtherSamples) {
  std::vector<uint8_t> planted;
  const auto points = LineWithOutliers(&planted, 0.03);
  RansacOptions options = LineOptions();
  options.adaptive_stopping = false;
  options.max_iterations = 40;
  const LineEstimator a(points), b(points), c(points);
  UniformSampler<2> sa(100, 9), sb(100, 9), sc(100, 10);
  const auto ra = Ransac(a, sa, options);
  const auto rb = Ransac(b, sb, options);
  Ransac(c, sc, options);
  EXPECT_EQ(a.samples_, b.samples_);
  EXPECT_NE(a.samples_, c.samples_);
  EXPECT_EQ(ra.model.slope, rb.model.slope);
  EXPECT_EQ(ra.model.intercept, rb.model.intercept);
  EXPECT_EQ(ra.inlier_mask, rb.inlier_mask);
  // Samples hold distinct indices.
  for (const auto& s : a.samples_) EXPECT_NE(s[0], s[1]);
}

TEST(Ransac, OrderedSamplerEnumeratesInOrderUntilExhausted) {
  std::vector<uint8_t> planted;
  const LineEstimator estimator(LineWithOutliers(&planted));
  const std::vector<std::array<int, 2>> list = {{7, 3}, {0, 1}, {5, 5}, {12, 40}, {99, 2}};
  OrderedSampler<2> sampler(list.data(), static_cast<int>(list.size()));
  RansacOptions options = LineOptions();
  options.adaptive_stopping = false;
  const auto result = Ransac(estimator, sampler, options);
  EXPECT_EQ(estimator.samples_, list);  // in order, each once, also the degenerate {5, 5}
  EXPECT_EQ(result.summary.iterations, 5);
}

TEST(Ransac, MaxIterationsCapsTheOrderedSampler) {
  std::vector<uint8_t> planted;
  const LineEstimator estimator(LineWithOutliers(&planted));
  const std::vector<std::array<int, 2>> list = {{7, 3}, {0, 1}, {12, 40}, {99, 2}};
  OrderedSampler<2> sampler(list.data(), static_cast<int>(list.size()));
  RansacOptions options = LineOptions();
  options.adaptive_stopping = false;
  options.max_iterations = 2;
  const auto result = Ransac(estimator, sampler, options);
  EXPECT_EQ(result.summary.iterations, 2);
  ASSERT_EQ(estimator.samples_.size(), 2u);
  EXPECT_EQ(estimator.samples_[1], list[1]);
}

TEST(Ransac, SampleMustBeInliersRejectsAModelThatMissesItsOwnSample) {
  // A sample holding point 3 gives a model that misses its own sample.
  const std::vector<std::array<int, 2>> list = {{3, 0}, {0, 1}};
  RansacOptions options = LineOptions();
  options.adaptive_stopping = false;
  options.sample_must_be_inliers = true;
  OrderedSampler<2> first_only(list.data(), 1);
  EXPECT_FALSE(Ransac(Fixed{}, first_only, options).success);
  OrderedSampler<2> both(list.data(), 2);
  const auto result = Ransac(Fixed{}, both, options);
  ASSERT_TRUE(result.success);
  EXPECT_EQ(result.summary.num_inliers, 3);
}

TEST(Ransac, MsacCostIsTheWeightedTruncatedLossWithPerDatumThresholds) {
  const std::vector<std::array<int, 1>> list = {{0}};
  OrderedSampler<1> sampler(list.data(), 1);
  RansacOptions options;
  options.scoring = RansacScoring::kMsac;
  const auto result = Ransac(Weighted{}, sampler, options);
  ASSERT_TRUE(result.success);
  // Residuals 0, 0.2 (threshold 0.5), 2 (0.1), infinity (0.1) with weights 1, 2, 3, 4.
  EXPECT_NEAR(result.summary.best_cost, 1 * 0.0 + 2 * 0.2 + 3 * 0.1 + 4 * 0.1, 1e-12);
  EXPECT_EQ(result.inlier_mask, (std::vector<uint8_t>{1, 1, 0, 0}));
}

TEST(Ransac, LocalOptimisationReturnsTheLeastSquaresFitOfItsConsensus) {
  std::vector<uint8_t> planted;
  const LineEstimator estimator(LineWithOutliers(&planted, 0.03));
  RansacOptions options = LineOptions();
  options.local_optimization_rounds = 3;
  UniformSampler<2> sampler(estimator.NumData(), options.seed);
  const auto result = Ransac(estimator, sampler, options);
  ASSERT_TRUE(result.success);
  EXPECT_GE(result.summary.num_refits, 1);
  EXPECT_FALSE(result.summary.refit_failed);
  Line ls;
  ASSERT_TRUE(estimator.Refit(result.inlier_mask, &ls));
  EXPECT_EQ(result.model.slope, ls.slope);
  EXPECT_EQ(result.model.intercept, ls.intercept);
  EXPECT_EQ(result.inlier_mask, planted);
  EXPECT_NEAR(result.model.slope, 0.5, 5e-4);
}

TEST(Ransac, InitialModelCompetesAndMinConsensusDecidesSuccess) {
  std::vector<uint8_t> planted;
  const LineEstimator estimator(LineWithOutliers(&planted));
  // Only samples through outliers: the exact initial line stays the best.
  const std::vector<std::array<int, 2>> list = {{7, 8}, {17, 29}};
  OrderedSampler<2> sampler(list.data(), 2);
  RansacOptions options = LineOptions();
  options.min_consensus = 71;
  const Line truth{0.5, 2.0};
  const auto result = Ransac(estimator, sampler, options, &truth);
  EXPECT_FALSE(result.success);  // 70 inliers < 71
  EXPECT_EQ(result.model.slope, 0.5);
  EXPECT_EQ(result.summary.num_inliers, 70);
  EXPECT_EQ(result.summary.iterations, 2);
}

TEST(RansacOptions, CheckRejectsNonsense) {
  RansacOptions o;
  EXPECT_NO_THROW(o.Check());
  o.threshold = 0;
  EXPECT_THROW(o.Check(), std::invalid_argument);
  o = RansacOptions();
  o.confidence = 1.0;
  EXPECT_THROW(o.Check(), std::invalid_argument);
  o = RansacOptions();
  o.max_iterations = 0;
  EXPECT_THROW(o.Check(), std::invalid_argument);
}

}  // namespace
}  // namespace epilabel
