// Generic (LO-)RANSAC over an estimator and a sampler (header-only templates; no virtual call
// in the inner loop).
//
// Contract of the loop (Ransac()):
//  1. An optional initial model (e.g. the least-squares fit on all data) is scored first; it
//     competes for the best hypothesis but does not shorten the search.
//  2. Up to `max_iterations` times: the sampler gives a minimal sample (the iteration counts even
//     when the fit turns out degenerate), the estimator fits a model to it, every datum is scored.
//     A hypothesis is ignored when it has fewer than `min_inliers` inliers or, with
//     `sample_must_be_inliers`, when one of its own sample is an outlier. It becomes the best when
//     its cost is strictly lower (the first one wins ties). A sampler that runs out ends the loop.
//  3. Adaptive stopping (optional): after every new best with inlier ratio w, the iteration cap
//     becomes max(1, ceil(log(1 - confidence) / log(1 - w^k)) + stopping_margin) when that is
//     below the current cap (k: minimal sample size).
//  4. success needs a best hypothesis with at least `min_consensus` inliers. Local optimisation
//     (optional) then refits on the consensus S_0: M_r = Refit(S_r), S_{r+1} = the inliers of M_r,
//     until S_{r+1} == S_r, |S_{r+1}| < min_consensus, a refit fails or the rounds run out. The
//     result is the last successful refit M_r with the consensus S_r it was fit on.
//
// Scoring: a datum i is an inlier when residual_i < threshold_i (strict). The cost of a model is
//  - kInlierCount: minus the number of inliers (more inliers is better);
//  - kMsac: sum over the data of weight_i * min(threshold_i, residual_i) (truncated loss; lower
//    is better). A residual of +infinity (undefined, e.g. behind a camera) costs the threshold.
// Residuals and thresholds are in the estimator's units: pass squared thresholds with squared
// errors.
//
// Estimator concept (a view of the caller's data, used for the duration of the call):
//   using Model = ...;                                 // copyable
//   static constexpr int kSampleSize = k;              // minimal sample size
//   int NumData() const;
//   bool Fit(const std::array<int, kSampleSize>& sample, Model* model) const;  // false: degenerate
//   double Residual(const Model& model, int i) const;   // >= 0, +infinity when undefined
//  optional:
//   double Threshold(int i) const;   // per-datum threshold (replaces options.threshold)
//   double Weight(int i) const;      // MSAC weight of datum i (default 1)
//   bool Refit(const std::vector<uint8_t>& inliers, Model* model) const;  // for local optimisation
//
// Sampler concept: bool Next(std::array<int, k>* sample), false when no sample is left.
// Samplers here: UniformSampler (seeded, distinct indices), UniformSamplerWithReplacement (seeded,
// independent indices) and OrderedSampler (a given list in order: deterministic, PROSAC-like
// when the list is sorted by quality).
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace epilabel {

enum class RansacScoring {
  kInlierCount,  // cost = -(number of inliers)
  kMsac,         // cost = sum of weight * min(threshold, residual)
};

struct RansacOptions {
  // Inlier threshold in the units of the estimator's residual; a datum is an inlier when its
  // residual is strictly below it. Estimators with a per-datum Threshold(i) replace it.
  double threshold = 1.0;
  RansacScoring scoring = RansacScoring::kInlierCount;
  // Samples drawn at most.
  int max_iterations = 1000;
  // Adaptive stopping: stop once an all-inlier sample has been drawn with this probability
  // (given the best inlier ratio so far), plus `stopping_margin` iterations.
  bool adaptive_stopping = true;
  double confidence = 0.999;
  int stopping_margin = 0;
  // Hypotheses with fewer inliers are ignored.
  int min_inliers = 1;
  // Hypotheses whose own sample is not all inliers are ignored (a model that does not explain
  // the data it came from is a numerical accident).
  bool sample_must_be_inliers = false;
  // Fewest inliers of the best hypothesis for success; also the fewest a local-optimisation
  // consensus must keep.
  int min_consensus = 0;
  // Rounds of local optimisation (refit on the consensus, re-score); 0: none. Needs an
  // estimator with Refit().
  int local_optimization_rounds = 0;
  // Seed of the random samplers (the caller constructs the sampler with it).
  uint64_t seed = 0;
  // Throws std::invalid_argument on nonsense values.
  void Check() const;
};

struct RansacSummary {
  int iterations = 0;   // samples drawn
  int num_inliers = 0;  // of the returned model (of the best hypothesis when success is false)
  double best_cost = std::numeric_limits<double>::infinity();  // of the best sampled or initial hypothesis
  int num_refits = 0;         // local-optimisation refits kept
  bool refit_failed = false;  // a local-optimisation refit was degenerate (the previous model stays)
  std::string BriefReport() const;
};

template <typename Model>
struct RansacResult {
  bool success = false;
  // The best hypothesis (after local optimisation); also filled when it misses min_consensus.
  Model model{};
  std::vector<uint8_t> inlier_mask;  // 1 for the inliers the model was fit on or scored with
  RansacSummary summary;
};

// Index samplers ------------------------------------------------------------------------------

// K distinct indices in [0, num_data): a partial Fisher-Yates shuffle of a permutation that
// persists between samples, with std::mt19937_64 seeded by `seed`. Needs num_data >= K.
template <int K>
class UniformSampler {
 public:
  UniformSampler(int num_data, uint64_t seed) : rng_(seed), permutation_(static_cast<size_t>(num_data)) {
    std::iota(permutation_.begin(), permutation_.end(), 0);
  }
  bool Next(std::array<int, K>* sample) {
    const int n = static_cast<int>(permutation_.size());
    if (n < K) return false;
    for (int k = 0; k < K; ++k) {
      std::uniform_int_distribution<int> pick(k, n - 1);
      std::swap(permutation_[k], permutation_[pick(rng_)]);
      (*sample)[k] = permutation_[k];
    }
    return true;
  }

 private:
  std::mt19937_64 rng_;
  std::vector<int> permutation_;
};

// K independent uniform indices in [0, num_data) (a sample may repeat an index: the estimator
// sees a degenerate sample), std::mt19937_64 seeded by `seed`.
template <int K>
class UniformSamplerWithReplacement {
 public:
  UniformSamplerWithReplacement(int num_data, uint64_t seed)
      : rng_(seed), pick_(0, static_cast<size_t>(std::max(num_data, 1) - 1)), empty_(num_data < 1) {}
  bool Next(std::array<int, K>* sample) {
    if (empty_) return false;
    for (int k = 0; k < K; ++k) (*sample)[k] = static_cast<int>(pick_(rng_));
    return true;
  }

 private:
  std::mt19937_64 rng_;
  std::uniform_int_distribution<size_t> pick_;
  bool empty_ = false;
};

// The given samples in order, each once (non-owning: `samples` must outlive the sampler).
template <int K>
class OrderedSampler {
 public:
  OrderedSampler(const std::array<int, K>* samples, int num_samples) : samples_(samples), num_samples_(num_samples) {}
  bool Next(std::array<int, K>* sample) {
    if (next_ >= num_samples_) return false;
    *sample = samples_[next_++];
    return true;
  }

 private:
  const std::array<int, K>* samples_ = nullptr;
  int num_samples_ = 0;
  int next_ = 0;
};

// The loop -------------------------------------------------------------------------------------

namespace ransac_internal {

template <typename E, typename = void>
struct HasThreshold : std::false_type {};
template <typename E>
struct HasThreshold<E, std::void_t<decltype(std::declval<const E&>().Threshold(0))>> : std::true_type {};

template <typename E, typename = void>
struct HasWeight : std::false_type {};
template <typename E>
struct HasWeight<E, std::void_t<decltype(std::declval<const E&>().Weight(0))>> : std::true_type {};

template <typename E, typename = void>
struct HasRefit : std::false_type {};
template <typename E>
struct HasRefit<E, std::void_t<decltype(std::declval<const E&>().Refit(std::declval<const std::vector<uint8_t>&>(),
                                                                     std::declval<typename E::Model*>()))>>
    : std::true_type {};

// w^k by repeated multiplication (w * w exactly for pairs).
inline double IntPow(double w, int k) {
  double p = 1.0;
  for (int i = 0; i < k; ++i) p *= w;
  return p;
}

// The iteration cap after a new best hypothesis with `num_inliers` of `num_data` inliers.
inline int AdaptiveIterations(const RansacOptions& options, int sample_size, int num_inliers, int num_data,
                              int max_iterations) {
  const double w = static_cast<double>(num_inliers) / num_data;
  const double denom = std::log(1.0 - IntPow(w, sample_size));
  if (!(denom < 0)) return max_iterations;  // w^k below rounding: no bound
  const double needed = std::log(1.0 - options.confidence) / denom;
  if (!(needed < max_iterations)) return max_iterations;
  return std::max(1, static_cast<int>(std::ceil(needed)) + options.stopping_margin);
}

}  // namespace ransac_internal

// Scores `model` on every datum (see the file comment): fills `inliers` (one flag per datum) and
// `num_inliers`, returns the cost (lower is better).
template <typename Estimator>
double ScoreRansacModel(const Estimator& estimator, const RansacOptions& options,
                        const typename Estimator::Model& model, std::vector<uint8_t>* inliers, int* num_inliers) {
  const int n = estimator.NumData();
  inliers->resize(static_cast<size_t>(n));
  const bool msac = options.scoring == RansacScoring::kMsac;
  double cost = 0.0;
  int count = 0;
  for (int i = 0; i < n; ++i) {
    double t = options.threshold;
    if constexpr (ransac_internal::HasThreshold<Estimator>::value) t = estimator.Threshold(i);
    const double r = estimator.Residual(model, i);
    const bool inlier = r < t;
    (*inliers)[static_cast<size_t>(i)] = inlier ? 1 : 0;
    count += inlier ? 1 : 0;
    if (msac) {
      // min(t, r) and not min(r, t): a NaN residual costs the threshold.
      if constexpr (ransac_internal::HasWeight<Estimator>::value)
        cost += estimator.Weight(i) * std::min(t, r);
      else
        cost += std::min(t, r);
    }
  }
  *num_inliers = count;
  return msac ? cost : -static_cast<double>(count);
}

// Local optimisation of a result whose inlier_mask holds the consensus S_0 (see the file
// comment, step 4).
template <typename Estimator>
void LocallyOptimize(const Estimator& estimator, const RansacOptions& options,
                     RansacResult<typename Estimator::Model>* result) {
  using Model = typename Estimator::Model;
  std::vector<uint8_t> consensus = result->inlier_mask, rescored;
  for (int round = 0; round < options.local_optimization_rounds; ++round) {
    Model refit;
    if (!estimator.Refit(consensus, &refit)) {
      result->summary.refit_failed = true;
      break;
    }
    result->model = refit;
    result->inlier_mask = consensus;
    ++result->summary.num_refits;
    if (round + 1 == options.local_optimization_rounds) break;  // the re-score would be unused
    int count = 0;
    ScoreRansacModel(estimator, options, refit, &rescored, &count);
    if (rescored == consensus || count < options.min_consensus) break;
    consensus.swap(rescored);
  }
  result->summary.num_inliers =
      static_cast<int>(std::count(result->inlier_mask.begin(), result->inlier_mask.end(), uint8_t{1}));
}

// Runs the loop of the file comment. `initial_model` may be null.
template <typename Estimator, typename Sampler>
RansacResult<typename Estimator::Model> Ransac(const Estimator& estimator, Sampler& sampler,
                                               const RansacOptions& options,
                                               const typename Estimator::Model* initial_model = nullptr) {
  using Model = typename Estimator::Model;
  constexpr int K = Estimator::kSampleSize;
  options.Check();
  RansacResult<Model> result;
  const int n = estimator.NumData();
  std::vector<uint8_t> current;
  double best_cost = std::numeric_limits<double>::infinity();
  int best_count = 0;
  bool have_best = false;
  // Makes `model` (scored into `current`) the best when it passes the filters and is better.
  auto consider = [&](const Model& model, int count, double cost) {
    if (count < options.min_inliers || !(cost < best_cost)) return false;
    best_cost = cost;
    best_count = count;
    have_best = true;
    result.model = model;
    result.inlier_mask.swap(current);
    return true;
  };
  if (initial_model) {
    int count = 0;
    const double cost = ScoreRansacModel(estimator, options, *initial_model, &current, &count);
    consider(*initial_model, count, cost);
  }
  int max_iterations = options.max_iterations;
  int iterations = 0;
  std::array<int, K> sample{};
  Model model{};
  while (iterations < max_iterations && sampler.Next(&sample)) {
    ++iterations;
    if (!estimator.Fit(sample, &model)) continue;
    int count = 0;
    const double cost = ScoreRansacModel(estimator, options, model, &current, &count);
    if (options.sample_must_be_inliers &&
        !std::all_of(sample.begin(), sample.end(), [&](int i) { return current[static_cast<size_t>(i)] != 0; }))
      continue;
    if (consider(model, count, cost) && options.adaptive_stopping)
      max_iterations = ransac_internal::AdaptiveIterations(options, K, count, n, max_iterations);
  }
  result.summary.iterations = iterations;
  result.summary.best_cost = best_cost;
  result.summary.num_inliers = best_count;
  if (!have_best || best_count < options.min_consensus) return result;
  if constexpr (ransac_internal::HasRefit<Estimator>::value) {
    if (options.local_optimization_rounds > 0) LocallyOptimize(estimator, options, &result);
  } else if (options.local_optimization_rounds > 0) {
    throw std::invalid_argument("ransac local_optimization_rounds > 0 needs an estimator with Refit()");
  }
  result.success = true;
  return result;
}

}  // namespace epilabel
