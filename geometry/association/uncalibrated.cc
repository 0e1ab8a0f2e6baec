#include "geometry/association/uncalibrated.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>
#include <string>

#include <Eigen/Eigenvalues>
#include <tbb/parallel_for.h>

#include "geometry/association/assignment.h"

namespace epilabel {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// A 2D track in one camera: its detections in increasing frames.
struct Tracklet {
  camera_t camera = kInvalidCameraId;
  std::vector<std::pair<frame_t, detection_t>> items;
  int gaps_bridged = 0;  // continuations after one or more missed frames
  frame_t first() const { return items.front().first; }
  frame_t last() const { return items.back().first; }
};

// The motion state of an open 2D track.
struct Motion {
  int tracklet = -1;
  std::vector<Eigen::Vector2d> position;  // per joint, at last_frame
  std::vector<char> valid;
  Eigen::Vector2d velocity = Eigen::Vector2d::Zero();  // centroid, pixels per frame
  bool has_velocity = false;
  frame_t last_frame = kInvalidFrameId;
};

bool UsableJoint(const Eigen::Vector3d& j, double min_confidence) {
  return j.allFinite() && j.z() > 0.0 && j.z() >= min_confidence;
}

// Median joint distance (pixels) between a track's prediction and a detection (robust to a
// few wrong joints); infinity with too few common joints.
double PredictionDistance(const Motion& m, frame_t f, const Eigen::Vector3d* joints, int num_joints,
                          const UncalibratedAssociationOptions& options) {
  const Eigen::Vector2d shift = m.velocity * static_cast<double>(f - m.last_frame);
  std::vector<double> d;
  d.reserve(num_joints);
  for (joint_t j = 0; j < num_joints; ++j) {
    if (!m.valid[j] || !UsableJoint(joints[j], options.min_confidence)) continue;
    d.push_back((m.position[j] + shift - joints[j].head<2>()).norm());
  }
  if (static_cast<int>(d.size()) < options.min_common_joints) return kInf;
  std::nth_element(d.begin(), d.begin() + d.size() / 2, d.end());
  return d[d.size() / 2];
}

void UpdateMotion(Motion& m, frame_t f, const Eigen::Vector3d* joints, int num_joints, double smoothing,
                  double min_confidence) {
  Eigen::Vector2d shift = Eigen::Vector2d::Zero();
  int common = 0;
  for (joint_t j = 0; j < num_joints; ++j) {
    if (!UsableJoint(joints[j], min_confidence)) continue;
    if (m.valid[j]) {
      shift += joints[j].head<2>() - m.position[j];
      ++common;
    }
    m.position[j] = joints[j].head<2>();
    m.valid[j] = 1;
  }
  if (common > 0 && m.last_frame != kInvalidFrameId) {
    const Eigen::Vector2d v = shift / common / static_cast<double>(f - m.last_frame);
    m.velocity = m.has_velocity ? smoothing * m.velocity + (1.0 - smoothing) * v : v;
    m.has_velocity = true;
  }
  m.last_frame = f;
}

// Rows (tracks) and columns (detections) whose best candidate within the gate has a
// competitor nearly as close.
void MarkAmbiguous(const Eigen::MatrixXd& cost, const UncalibratedAssociationOptions& options,
                   std::vector<char>* row_ambiguous, std::vector<char>* col_ambiguous) {
  auto band = [&](double best) { return std::max(options.ambiguity_ratio * best, best + options.ambiguity_margin_px); };
  auto scan = [&](const Eigen::MatrixXd& m, std::vector<char>* line_flag, std::vector<char>* other_flag) {
    for (int i = 0; i < m.rows(); ++i) {
      double best = kInf;
      for (int j = 0; j < m.cols(); ++j) best = std::min(best, m(i, j));
      if (!std::isfinite(best)) continue;
      int within = 0;
      for (int j = 0; j < m.cols(); ++j) within += m(i, j) < band(best) ? 1 : 0;
      if (within < 2) continue;
      (*line_flag)[i] = 1;
      for (int j = 0; j < m.cols(); ++j)
        if (m(i, j) < band(best)) (*other_flag)[j] = 1;
    }
  };
  row_ambiguous->assign(cost.rows(), 0);
  col_ambiguous->assign(cost.cols(), 0);
  scan(cost, row_ambiguous, col_ambiguous);
  const Eigen::MatrixXd transposed = cost.transpose();
  scan(transposed, col_ambiguous, row_ambiguous);
}

// Step 1 for one camera. Marks frames with a split in `split_frames`.
std::vector<Tracklet> TrackCamera(const MultiDetections& detections, camera_t c,
                                  const UncalibratedAssociationOptions& options, std::vector<char>* split_frames) {
  const int joints = detections.num_joints();
  std::vector<Tracklet> tracklets;
  std::vector<Motion> open;
  auto start = [&](frame_t f, detection_t d) {
    tracklets.push_back({c, {{f, d}}, 0});
    Motion m;
    m.tracklet = static_cast<int>(tracklets.size()) - 1;
    m.position.assign(joints, Eigen::Vector2d::Zero());
    m.valid.assign(joints, 0);
    UpdateMotion(m, f, detections.Joints(c, f, d), joints, options.velocity_smoothing, options.min_confidence);
    open.push_back(std::move(m));
  };
  for (frame_t f = 0; f < detections.num_frames(); ++f) {
    open.erase(std::remove_if(open.begin(), open.end(),
                              [&](const Motion& m) { return f - m.last_frame > options.max_gap_frames + 1; }),
               open.end());
    std::vector<detection_t> dets;
    for (detection_t d = 0; d < detections.NumDetections(c, f); ++d)
      if (detections.HasObservedJoint(c, f, d)) dets.push_back(d);
    Eigen::MatrixXd cost(open.size(), dets.size());
    for (size_t i = 0; i < open.size(); ++i) {
      const double gate = options.gate_px + options.gate_growth_px * (f - open[i].last_frame - 1);
      for (size_t k = 0; k < dets.size(); ++k) {
        const double d = PredictionDistance(open[i], f, detections.Joints(c, f, dets[k]), joints, options);
        cost(i, k) = d <= gate ? d : kInf;
      }
    }
    std::vector<char> row_ambiguous, col_ambiguous;
    MarkAmbiguous(cost, options, &row_ambiguous, &col_ambiguous);
    for (size_t i = 0; i < open.size(); ++i)
      for (size_t k = 0; k < dets.size(); ++k)
        if (row_ambiguous[i] || col_ambiguous[k]) cost(i, k) = kInf;
    const std::vector<int> match = SolveAssignment(cost);
    std::vector<char> taken(dets.size(), 0);
    for (size_t i = 0; i < open.size(); ++i) {
      if (match[i] < 0) continue;
      const detection_t d = dets[match[i]];
      Tracklet& t = tracklets[open[i].tracklet];
      t.gaps_bridged += f - open[i].last_frame > 1 ? 1 : 0;
      t.items.emplace_back(f, d);
      UpdateMotion(open[i], f, detections.Joints(c, f, d), joints, options.velocity_smoothing, options.min_confidence);
      taken[match[i]] = 1;
    }
    bool split = false;
    for (size_t i = 0; i < open.size(); ++i) split = split || row_ambiguous[i];
    for (size_t i = open.size(); i-- > 0;)
      if (row_ambiguous[i]) open.erase(open.begin() + static_cast<std::ptrdiff_t>(i));
    for (size_t k = 0; k < dets.size(); ++k)
      if (!taken[k]) start(f, dets[k]);
    if (split) (*split_frames)[f] = 1;
  }
  return tracklets;
}

// Normalised (undistorted) joints of a tracklet, [item * joints + joint]; NaN where unusable.
std::vector<Eigen::Vector2d> NormalizedJoints(const Camera& cam, const MultiDetections& detections, const Tracklet& t,
                                              double min_confidence) {
  const int joints = detections.num_joints();
  std::vector<Eigen::Vector2d> out;
  out.reserve(t.items.size() * joints);
  for (const auto& [f, d] : t.items) {
    const Eigen::Vector3d* row = detections.Joints(t.camera, f, d);
    for (joint_t j = 0; j < joints; ++j)
      out.push_back(UsableJoint(row[j], min_confidence) ? cam.NormalizedFromImage(row[j].head<2>())
                                                        : Eigen::Vector2d::Constant(kNaN));
  }
  return out;
}

struct Correspondences {
  std::vector<Eigen::Vector2d> first, second;  // normalised, in the two cameras
};

// At most `max_count` of the correspondences, evenly spread over them (all when fewer).
Correspondences EvenlySpread(const Correspondences& all, int max_count) {
  const size_t n = all.first.size();
  if (n <= static_cast<size_t>(max_count)) return all;
  Correspondences kept;
  for (int m = 0; m < max_count; ++m) {
    const size_t idx = static_cast<size_t>(m) * n / max_count;
    kept.first.push_back(all.first[idx]);
    kept.second.push_back(all.second[idx]);
  }
  return kept;
}

Correspondences CoVisibleJoints(const Tracklet& s, const std::vector<Eigen::Vector2d>& ns, const Tracklet& u,
                                const std::vector<Eigen::Vector2d>& nu, int joints, int max_count) {
  Correspondences all;
  size_t i = 0, k = 0;
  while (i < s.items.size() && k < u.items.size()) {
    if (s.items[i].first < u.items[k].first) {
      ++i;
    } else if (u.items[k].first < s.items[i].first) {
      ++k;
    } else {
      for (joint_t j = 0; j < joints; ++j) {
        const Eigen::Vector2d& a = ns[i * joints + j];
        const Eigen::Vector2d& b = nu[k * joints + j];
        if (!a.allFinite() || !b.allFinite()) continue;
        all.first.push_back(a);
        all.second.push_back(b);
      }
      ++i;
      ++k;
    }
  }
  return EvenlySpread(all, max_count);
}

// Squared Sampson distance (normalised units) of a correspondence to E; infinity when undefined.
double SquaredSampson(const Eigen::Matrix3d& e, const Eigen::Vector2d& first, const Eigen::Vector2d& second) {
  const Eigen::Vector3d x1 = first.homogeneous(), x2 = second.homogeneous();
  const Eigen::Vector3d ex1 = e * x1, etx2 = e.transpose() * x2;
  const double r = x2.dot(ex1);
  const double den = ex1.head<2>().squaredNorm() + etx2.head<2>().squaredNorm();
  return den > 0.0 ? r * r / den : kInf;
}

// Number of correspondences whose Sampson distance to E (scaled to pixels) is below the threshold.
int CountInliers(const Eigen::Matrix3d& e, const Correspondences& c, double threshold_normalized) {
  int n = 0;
  const double t2 = threshold_normalized * threshold_normalized;
  for (size_t i = 0; i < c.first.size(); ++i) n += SquaredSampson(e, c.first[i], c.second[i]) < t2 ? 1 : 0;
  return n;
}

// Robust sigma of the Sampson distances of `c` under E: 1.4826 x their median (normalised units).
double RobustSampsonSigma(const Eigen::Matrix3d& e, const Correspondences& c) {
  std::vector<double> d2(c.first.size());
  for (size_t i = 0; i < c.first.size(); ++i) d2[i] = SquaredSampson(e, c.first[i], c.second[i]);
  if (d2.empty()) return kNaN;
  std::nth_element(d2.begin(), d2.begin() + d2.size() / 2, d2.end());
  return 1.4826 * std::sqrt(d2[d2.size() / 2]);
}

// Smallest eigenvalue of A^T A per correspondence, A the linear (8-point) system of an
// essential matrix: near zero when one matrix explains every correspondence. Orders the
// candidate pairs so that right pairings propose first.
double LinearEssentialResidual(const Correspondences& c) {
  Eigen::Matrix<double, 9, 9> ata = Eigen::Matrix<double, 9, 9>::Zero();
  for (size_t i = 0; i < c.first.size(); ++i) {
    const Eigen::Vector3d x1 = c.first[i].homogeneous(), x2 = c.second[i].homogeneous();
    Eigen::Matrix<double, 9, 1> row;
    for (int r = 0; r < 3; ++r) row.segment<3>(3 * r) = x2(r) * x1;
    ata.selfadjointView<Eigen::Lower>().rankUpdate(row);
  }
  const Eigen::SelfAdjointEigenSolver<Eigen::Matrix<double, 9, 9>> eig(ata.selfadjointView<Eigen::Lower>(),
                                                                        Eigen::EigenvaluesOnly);
  return eig.eigenvalues()(0) / static_cast<double>(std::max<size_t>(1, c.first.size() - std::min<size_t>(c.first.size(), 8)));
}

// One candidate pairing of two cameras' tracklets and its score.
struct PairScore {
  int s = -1, u = -1;  // global tracklet indices
  double ratio = kNaN;
};

// Whether every tracklet of one of the two cameras (among those in candidate pairs) is in a
// pair that fits: then the proposal explains everyone that camera sees.
bool OneCameraFullyFits(const std::vector<PairScore>& pairs, const std::vector<double>& fit, double min_ratio) {
  std::vector<int> all_a, all_b, fit_a, fit_b;
  for (size_t p = 0; p < pairs.size(); ++p) {
    all_a.push_back(pairs[p].s);
    all_b.push_back(pairs[p].u);
    if (fit[p] >= min_ratio) {
      fit_a.push_back(pairs[p].s);
      fit_b.push_back(pairs[p].u);
    }
  }
  for (auto* v : {&all_a, &all_b, &fit_a, &fit_b}) {
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
  }
  return all_a == fit_a || all_b == fit_b;
}

int CountFitting(const std::vector<double>& fit, double min_ratio) {
  int n = 0;
  for (double r : fit) n += r >= min_ratio ? 1 : 0;
  return n;
}

// The correspondences of the pairs with fit >= min_ratio and of pair `extra` (-1: none), at
// most `max_count` of them (evenly spread).
Correspondences Pool(const std::vector<Correspondences>& corr, const std::vector<double>& fit, int extra,
                     double min_ratio, int max_count) {
  Correspondences all;
  for (size_t p = 0; p < corr.size(); ++p) {
    if (fit[p] < min_ratio && static_cast<int>(p) != extra) continue;
    all.first.insert(all.first.end(), corr[p].first.begin(), corr[p].first.end());
    all.second.insert(all.second.end(), corr[p].second.begin(), corr[p].second.end());
  }
  return EvenlySpread(all, max_count);
}

// Every pair's score under the essential matrix estimated from `pool`: its inlier share over
// the pool's (what noise allows), at most 1. Empty when the estimate fails.
std::vector<double> ScoreUnderPool(const Correspondences& pool, const std::vector<Correspondences>& corr, double focal_a,
                                   double focal_b, double threshold, const UncalibratedAssociationOptions& options) {
  const TwoViewGeometry g = EstimateRelativeCameraPose(pool.first, pool.second, focal_a, focal_b, options.two_view);
  if (!g.success) return {};
  const double reference = static_cast<double>(CountInliers(g.essential, pool, threshold)) / pool.first.size();
  if (!(reference > 0.0)) return {};
  std::vector<double> fit(corr.size());
  for (size_t p = 0; p < corr.size(); ++p)
    fit[p] = std::min(1.0, static_cast<double>(CountInliers(g.essential, corr[p], threshold)) / corr[p].first.size() /
                               reference);
  return fit;
}

// An essential matrix from one pair of 2D tracks fits well only where that person walked (and
// one from two people may fit only them): the camera pair's matrix grows from the proposal's
// fitting pairs. First it is estimated again from all their correspondences (spread over more
// of both images), while more pairs fit; then each pair that does not fit, in `order`, is
// tried with them: it joins when one matrix estimated from the pool and that pair makes more
// pairs fit, that one included (a wrong pairing cannot share the matrix of right ones); pairs
// that contradict a fitting pair are not tried. Stops after max_proposals failed trials in a row. `fit` holds each pair's score under the
// proposal and receives the final scores.
// Whether pairing h contradicts a fitting pair: one of its 2D tracks already fits another 2D
// track of the other camera that overlaps its partner in time (one person is not two 2D tracks
// of one camera at once).
bool ContradictsFittingPair(size_t h, const std::vector<std::pair<int, int>>& pairs,
                            const std::vector<Tracklet>& tracklets, const std::vector<double>& fit, double min_ratio) {
  auto overlap = [&](int x, int y) {
    return !(tracklets[x].last() < tracklets[y].first() || tracklets[y].last() < tracklets[x].first());
  };
  const auto [s, u] = pairs[h];
  for (size_t q = 0; q < pairs.size(); ++q) {
    if (fit[q] < min_ratio) continue;
    const auto [s2, u2] = pairs[q];
    if ((s2 == s && u2 != u && overlap(u, u2)) || (u2 == u && s2 != s && overlap(s, s2))) return true;
  }
  return false;
}

void GrowFittingPairs(double focal_a, double focal_b, const std::vector<Correspondences>& corr,
                      const std::vector<std::pair<int, int>>& pairs, const std::vector<Tracklet>& tracklets,
                      const std::vector<size_t>& order, double threshold,
                      const UncalibratedAssociationOptions& options, std::vector<double>* fit) {
  const double min_ratio = options.min_inlier_ratio;
  const int max_pool = 4 * options.max_correspondences;
  for (int round = 0; round < options.refinement_rounds; ++round) {
    std::vector<double> refined =
        ScoreUnderPool(Pool(corr, *fit, -1, min_ratio, max_pool), corr, focal_a, focal_b, threshold, options);
    if (refined.empty()) return;
    const int before = CountFitting(*fit, min_ratio), after = CountFitting(refined, min_ratio);
    if (after < before) break;
    *fit = std::move(refined);
    if (after == before) break;
  }
  if (options.refinement_rounds == 0) return;
  int failures = 0;
  for (size_t h : order) {
    if ((*fit)[h] >= min_ratio || ContradictsFittingPair(h, pairs, tracklets, *fit, min_ratio)) continue;
    if (failures >= options.max_proposals) break;
    std::vector<double> joined = ScoreUnderPool(Pool(corr, *fit, static_cast<int>(h), min_ratio, max_pool), corr,
                                                focal_a, focal_b, threshold, options);
    if (!joined.empty() && joined[h] >= min_ratio &&
        CountFitting(joined, min_ratio) > CountFitting(*fit, min_ratio)) {
      *fit = std::move(joined);
      failures = 0;
    } else {
      ++failures;
    }
  }
}

using CameraPairNoise = UncalibratedAssociationDetails::CameraPairThreshold;

// The camera pair's noise scale (pixels at the mean focal length): the smallest robust sigma of
// a pair's correspondences under its own essential matrix, over the first
// noise_scale_proposals pairs in `order` whose estimate succeeds; NaN when none does.
double CameraPairNoisePx(const std::vector<Correspondences>& corr, const std::vector<size_t>& order, double focal_a,
                         double focal_b, const UncalibratedAssociationOptions& options) {
  double sigma = kInf;
  int tried = 0;
  for (size_t h : order) {
    if (tried >= options.noise_scale_proposals) break;
    const TwoViewGeometry g = EstimateRelativeCameraPose(corr[h].first, corr[h].second, focal_a, focal_b, options.two_view);
    if (!g.success) continue;
    ++tried;
    const double s = RobustSampsonSigma(g.essential, corr[h]);
    if (std::isfinite(s)) sigma = std::min(sigma, s);
  }
  return std::isfinite(sigma) ? sigma * 0.5 * (focal_a + focal_b) : kNaN;
}

// noise_threshold_sigmas x the noise scale within [inlier_threshold_px, max_inlier_threshold_px];
// the fixed threshold when the noise is not measured.
double AdaptedThresholdPx(double noise_px, const UncalibratedAssociationOptions& options) {
  if (!std::isfinite(noise_px)) return options.inlier_threshold_px;
  return std::clamp(options.noise_threshold_sigmas * noise_px, options.inlier_threshold_px,
                    options.max_inlier_threshold_px);
}

// The options with the camera pair's threshold for the essential matrices' estimates.
UncalibratedAssociationOptions WithThreshold(const UncalibratedAssociationOptions& options, double threshold_px) {
  UncalibratedAssociationOptions adapted = options;
  adapted.two_view.threshold_px = std::max(options.two_view.threshold_px, threshold_px);
  return adapted;
}

// Step 2 for cameras a < b: every candidate track pair, its correspondences, and the
// candidate decisions about which of them fit.
struct CameraPairState {
  std::vector<PairScore> pairs;  // ratio: the chosen score
  std::vector<Correspondences> corr;
  std::vector<size_t> order;  // proposal order (linear residual)
  double focal_a = 0.0, focal_b = 0.0;
  double threshold = 0.0;  // normalised
  UncalibratedAssociationOptions adapted;
  // Every proposal's scores (one per pair) before growth: the alternatives of the cycle check.
  std::vector<std::vector<double>> proposals;
  std::vector<double> fit;  // the chosen scores (grown)
};

// Grows `fit` (a proposal's scores) into the camera pair's final scores (GrowFittingPairs).
void GrowCameraPair(const std::vector<Tracklet>& tracklets, std::vector<double>* fit, const CameraPairState& st) {
  std::vector<std::pair<int, int>> members;
  for (const PairScore& p : st.pairs) members.emplace_back(p.s, p.u);
  GrowFittingPairs(st.focal_a, st.focal_b, st.corr, members, tracklets, st.order, st.threshold, st.adapted, fit);
}

// Step 2 for cameras a < b: the inlier share of every candidate track pair under the camera
// pair's best essential matrix.
CameraPairState ScoreCameraPair(const Rig& rig, const MultiDetections& detections,
                                const std::vector<Tracklet>& tracklets,
                                const std::vector<std::vector<Eigen::Vector2d>>& normalized,
                                const std::vector<int>& in_a, const std::vector<int>& in_b,
                                const UncalibratedAssociationOptions& options, CameraPairNoise* noise) {
  const camera_t a = tracklets[in_a.front()].camera, b = tracklets[in_b.front()].camera;
  const double focal = 0.5 * (rig[a].MeanFocal() + rig[b].MeanFocal());
  CameraPairState state;
  state.focal_a = rig[a].MeanFocal();
  state.focal_b = rig[b].MeanFocal();
  std::vector<PairScore>& pairs = state.pairs;
  std::vector<Correspondences>& corr = state.corr;
  for (int s : in_a)
    for (int u : in_b) {
      Correspondences c = CoVisibleJoints(tracklets[s], normalized[s], tracklets[u], normalized[u],
                                          detections.num_joints(), options.max_correspondences);
      if (static_cast<int>(c.first.size()) < options.min_correspondences) continue;
      pairs.push_back({s, u, kNaN});
      corr.push_back(std::move(c));
    }
  // Pairs propose essential matrices, most linear-consistent first; the proposal explaining
  // most well-fitting pairs wins. The search stops once one camera's tracklets all fit.
  std::vector<double> residual(pairs.size());
  for (size_t p = 0; p < pairs.size(); ++p) residual[p] = LinearEssentialResidual(corr[p]);
  std::vector<size_t>& order = state.order;
  order.resize(pairs.size());
  for (size_t p = 0; p < pairs.size(); ++p) order[p] = p;
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return residual[x] < residual[y]; });
  *noise = {a, b, CameraPairNoisePx(corr, order, state.focal_a, state.focal_b, options), 0.0};
  noise->threshold_px = AdaptedThresholdPx(noise->noise_px, options);
  state.adapted = WithThreshold(options, noise->threshold_px);
  state.threshold = noise->threshold_px / focal;
  int best_score = -1, proposals = 0;
  std::vector<double> best_fit;  // per pair: its inlier share over the proposing pair's, at most 1
  for (size_t h : order) {
    // A pair that fits the best proposal so far would propose much the same matrix.
    if (best_score >= 0 && best_fit[h] >= options.min_inlier_ratio) continue;
    if (proposals++ >= options.max_proposals) break;
    const TwoViewGeometry g = EstimateRelativeCameraPose(corr[h].first, corr[h].second, state.focal_a, state.focal_b,
                                                         state.adapted.two_view);
    if (!g.success) continue;
    std::vector<int> inliers(pairs.size());
    for (size_t p = 0; p < pairs.size(); ++p) inliers[p] = CountInliers(g.essential, corr[p], state.threshold);
    // The proposing pair's share is what noise allows: the others are measured against it.
    const double reference = static_cast<double>(inliers[h]) / corr[h].first.size();
    if (!(reference > 0.0)) continue;
    std::vector<double> fit(pairs.size());
    int score = 0;
    for (size_t p = 0; p < pairs.size(); ++p) {
      fit[p] = std::min(1.0, static_cast<double>(inliers[p]) / corr[p].first.size() / reference);
      if (fit[p] >= options.min_inlier_ratio) score += inliers[p];
    }
    state.proposals.push_back(fit);
    if (score > best_score) {
      best_score = score;
      best_fit = std::move(fit);
    }
    if (OneCameraFullyFits(pairs, best_fit, options.min_inlier_ratio)) break;
  }
  if (best_score < 0) return {};
  state.fit = std::move(best_fit);
  GrowCameraPair(tracklets, &state.fit, state);
  return state;
}

// The pairs of 2D tracks that fit, over every camera pair: as a set (smaller index first) and
// per 2D track, its fitting partners.
struct FittingGraph {
  std::set<std::pair<int, int>> pairs;
  std::map<int, std::vector<int>> partners;
  bool Fits(int x, int y) const { return pairs.count({std::min(x, y), std::max(x, y)}) > 0; }
};

FittingGraph FittingPairs(const std::vector<CameraPairState>& states, double min_ratio) {
  FittingGraph g;
  for (const CameraPairState& st : states)
    for (size_t p = 0; p < st.fit.size(); ++p) {
      if (st.fit[p] < min_ratio) continue;
      const int s = st.pairs[p].s, u = st.pairs[p].u;
      g.pairs.emplace(std::min(s, u), std::max(s, u));
      g.partners[s].push_back(u);
      g.partners[u].push_back(s);
    }
  return g;
}

// Cycle-confirmed support of one camera pair's decision `fit`, in correspondences: plus those
// of each fitting pair (s, u) for which a 2D track t of a third camera fits both s and u in
// `fitting` (the cycle s-u-t closes: the three pairwise pairings compose), minus those of each
// fitting pair that contradicts another fitting pair of the decision (s fits two 2D tracks of
// the other camera at once: ContradictsFittingPair), whether confirmed or not.
int64_t ConfirmedSupport(const CameraPairState& st, const std::vector<double>& fit, const FittingGraph& fitting,
                         const std::vector<Tracklet>& tracklets, double min_ratio) {
  std::vector<std::pair<int, int>> members;
  for (const PairScore& p : st.pairs) members.emplace_back(p.s, p.u);
  int64_t support = 0;
  for (size_t p = 0; p < fit.size(); ++p) {
    if (fit[p] < min_ratio) continue;
    const int64_t weight = static_cast<int64_t>(st.corr[p].first.size());
    if (ContradictsFittingPair(p, members, tracklets, fit, min_ratio)) {
      support -= weight;
      continue;
    }
    const int s = st.pairs[p].s, u = st.pairs[p].u;
    const camera_t ca = tracklets[s].camera, cb = tracklets[u].camera;
    bool closed = false;
    const auto it = fitting.partners.find(s);
    if (it != fitting.partners.end())
      for (int t : it->second)
        closed = closed || (tracklets[t].camera != ca && tracklets[t].camera != cb && fitting.Fits(t, u));
    if (closed) support += weight;
  }
  return support;
}

// The decision the other camera pairs imply for this one: the pairs (s, u) that a 2D track t
// of a third camera fits on both sides (s-t and t-u compose to s-u), scored under the essential
// matrix estimated from their correspondences. Empty when they imply nothing the chosen
// decision lacks, or the estimate fails.
std::vector<double> ComposedDecision(const CameraPairState& st, const FittingGraph& fitting,
                                     const std::vector<Tracklet>& tracklets, double min_ratio) {
  std::vector<double> implied(st.pairs.size(), 0.0);
  bool news = false;
  for (size_t p = 0; p < st.pairs.size(); ++p) {
    const int s = st.pairs[p].s, u = st.pairs[p].u;
    const camera_t ca = tracklets[s].camera, cb = tracklets[u].camera;
    const auto it = fitting.partners.find(s);
    if (it == fitting.partners.end()) continue;
    for (int t : it->second)
      if (tracklets[t].camera != ca && tracklets[t].camera != cb && fitting.Fits(t, u)) implied[p] = 1.0;
    news = news || (implied[p] >= min_ratio && st.fit[p] < min_ratio);
  }
  if (!news) return {};
  const int max_pool = 4 * st.adapted.max_correspondences;
  return ScoreUnderPool(Pool(st.corr, implied, -1, min_ratio, max_pool), st.corr, st.focal_a, st.focal_b, st.threshold,
                        st.adapted);
}

// Step 2b: the global choice. Per camera pair, the alternatives to its most-inliers decision
// are every proposal's decision and the decision the other camera pairs imply
// (ComposedDecision); the camera pair switches to the alternative whose fitting pairs close
// the most cycles with the other camera pairs' decisions (ConfirmedSupport), grown as the first
// choice was, when it closes more than the chosen one. An essential matrix with its epipole on
// a 2D track that barely moves (a bystander) makes that track fit every partner of the other
// camera and can gather the most inliers of one camera pair, but its pairings close no cycle
// through a third camera. Rounds until nothing changes (cycle_rounds); each round compares with
// the previous round's decisions, so the result does not depend on the order of camera pairs
// or the thread count.
void ChooseCycleConsistent(const std::vector<Tracklet>& tracklets, const UncalibratedAssociationOptions& options,
                           std::vector<CameraPairState>* states, std::vector<char>* switched) {
  const double r = options.min_inlier_ratio;
  for (int round = 0; round < options.cycle_rounds; ++round) {
    const FittingGraph fitting = FittingPairs(*states, r);
    std::vector<char> changed(states->size(), 0);
    tbb::parallel_for(0, static_cast<int>(states->size()), [&](int i) {
      CameraPairState& st = (*states)[i];
      if (st.fit.empty()) return;
      std::vector<std::vector<double>> alternatives = st.proposals;
      std::vector<double> composed = ComposedDecision(st, fitting, tracklets, r);
      if (!composed.empty()) alternatives.push_back(std::move(composed));
      const int64_t current = ConfirmedSupport(st, st.fit, fitting, tracklets, r);
      int64_t best = current;
      int best_alt = -1;
      for (size_t k = 0; k < alternatives.size(); ++k) {
        const int64_t s = ConfirmedSupport(st, alternatives[k], fitting, tracklets, r);
        if (s > best) best = s, best_alt = static_cast<int>(k);
      }
      if (best_alt < 0) return;
      std::vector<double> grown = std::move(alternatives[best_alt]);
      GrowCameraPair(tracklets, &grown, st);
      if (ConfirmedSupport(st, grown, fitting, tracklets, r) <= current) return;
      st.fit = std::move(grown);
      changed[i] = 1;
    });
    bool any = false;
    for (size_t i = 0; i < changed.size(); ++i) {
      (*switched)[i] = (*switched)[i] || changed[i];
      any = any || changed[i];
    }
    if (!any) break;
  }
}

// Step 3: groups of tracklets (indices), each with tracklets of at least min_cameras cameras.
std::vector<std::vector<int>> GroupTracklets(const std::vector<Tracklet>& tracklets, const std::vector<int>& candidates,
                                             const std::vector<PairScore>& scores,
                                             const UncalibratedAssociationOptions& options) {
  const int n = static_cast<int>(candidates.size());
  std::vector<int> node_of(tracklets.size(), -1);
  for (int i = 0; i < n; ++i) node_of[candidates[i]] = i;
  Eigen::MatrixXd affinity = Eigen::MatrixXd::Constant(n, n, kNaN);
  Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic> compatible(n, n);
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < n; ++k) {
      const Tracklet &s = tracklets[candidates[i]], &u = tracklets[candidates[k]];
      compatible(i, k) = s.camera != u.camera || s.last() < u.first() || u.last() < s.first();
    }
  for (const PairScore& p : scores) affinity(node_of[p.s], node_of[p.u]) = affinity(node_of[p.u], node_of[p.s]) = p.ratio;
  const std::vector<int> label = ClusterByAffinity(affinity, compatible, options.min_inlier_ratio);
  std::vector<std::vector<int>> groups(n == 0 ? 0 : *std::max_element(label.begin(), label.end()) + 1);
  for (int i = 0; i < n; ++i) groups[label[i]].push_back(candidates[i]);
  std::vector<std::vector<int>> kept;
  for (auto& g : groups) {
    std::vector<camera_t> cams;
    for (int t : g) cams.push_back(tracklets[t].camera);
    std::sort(cams.begin(), cams.end());
    if (std::unique(cams.begin(), cams.end()) - cams.begin() >= options.min_cameras) kept.push_back(std::move(g));
  }
  return kept;
}

void CheckIntrinsics(const Rig& rig, const MultiDetections& detections) {
  if (static_cast<int>(rig.size()) != detections.num_cameras())
    throw std::invalid_argument("AssociateWithoutCalibration: the rig has " + std::to_string(rig.size()) +
                                " cameras, the detections " + std::to_string(detections.num_cameras()));
  for (const Camera& cam : rig)
    if (!(cam.fx > 0.0) || !(cam.fy > 0.0))
      throw std::invalid_argument("AssociateWithoutCalibration: camera '" + cam.name + "' has no focal length");
}

AssociationResult MakeTracks(const MultiDetections& detections, const std::vector<Tracklet>& tracklets,
                             std::vector<std::vector<int>> groups) {
  auto first = [&](const std::vector<int>& g) {
    frame_t f = std::numeric_limits<frame_t>::max();
    for (int t : g) f = std::min(f, tracklets[t].first());
    return std::make_pair(f, *std::min_element(g.begin(), g.end()));
  };
  std::sort(groups.begin(), groups.end(), [&](const auto& x, const auto& y) { return first(x) < first(y); });
  AssociationResult result;
  for (const auto& g : groups) {
    Track track(static_cast<int>(result.tracks.size()), detections.num_cameras(), detections.num_frames(),
                detections.num_joints());
    for (int t : g) {
      for (const auto& [f, d] : tracklets[t].items) track.Assign(detections, tracklets[t].camera, f, d);
      result.summary.num_reidentifications += tracklets[t].gaps_bridged;
    }
    result.tracks.push_back(std::move(track));
  }
  return result;
}

void FillDetails(const std::vector<Tracklet>& tracklets, const std::vector<PairScore>& scores,
                 const AssociationResult& result, UncalibratedAssociationDetails* details) {
  details->tracklets.clear();
  details->track_of.assign(tracklets.size(), -1);
  for (const Tracklet& t : tracklets) details->tracklets.push_back({t.camera, t.items});
  details->pair_scores.clear();
  for (const PairScore& p : scores) details->pair_scores.push_back({p.s, p.u, p.ratio});
  for (size_t i = 0; i < tracklets.size(); ++i) {
    const auto& [f, d] = tracklets[i].items.front();
    for (const Track& t : result.tracks)
      if (t.DetectionAt(tracklets[i].camera, f) == d) details->track_of[i] = t.id;
  }
}

}  // namespace

void UncalibratedAssociationOptions::Check() const {
  auto fail = [](const std::string& what) { throw std::invalid_argument("UncalibratedAssociationOptions: " + what); };
  if (!(min_confidence >= 0.0)) fail("min_confidence must be >= 0");
  if (min_common_joints < 1) fail("min_common_joints must be >= 1");
  if (!(gate_px > 0.0) || !(gate_growth_px >= 0.0)) fail("gate_px must be > 0 and gate_growth_px >= 0");
  if (!(ambiguity_ratio >= 1.0) || !(ambiguity_margin_px >= 0.0)) fail("ambiguity_ratio must be >= 1, ambiguity_margin_px >= 0");
  if (max_gap_frames < 0) fail("max_gap_frames must be >= 0");
  if (!(velocity_smoothing >= 0.0 && velocity_smoothing < 1.0)) fail("velocity_smoothing must be in [0, 1)");
  if (min_track_frames < 1) fail("min_track_frames must be >= 1");
  if (min_correspondences < 5 || max_correspondences < min_correspondences)
    fail("min_correspondences must be >= 5 and <= max_correspondences");
  two_view.Check();
  if (max_proposals < 1) fail("max_proposals must be >= 1");
  if (!(inlier_threshold_px > 0.0)) fail("inlier_threshold_px must be > 0");
  if (noise_scale_proposals < 0) fail("noise_scale_proposals must be >= 0");
  if (!(noise_threshold_sigmas > 0.0)) fail("noise_threshold_sigmas must be > 0");
  if (!(max_inlier_threshold_px >= inlier_threshold_px))
    fail("max_inlier_threshold_px must be >= inlier_threshold_px");
  if (!(min_inlier_ratio > 0.0 && min_inlier_ratio <= 1.0)) fail("min_inlier_ratio must be in (0, 1]");
  if (refinement_rounds < 0) fail("refinement_rounds must be >= 0");
  if (cycle_rounds < 0) fail("cycle_rounds must be >= 0");
  if (min_cameras < 1) fail("min_cameras must be >= 1");
}

std::vector<UncalibratedAssociationDetails::Tracklet2d> TrackPeopleInEachCamera(
    const MultiDetections& detections, const UncalibratedAssociationOptions& options) {
  options.Check();
  const int num_cams = detections.num_cameras();
  std::vector<std::vector<Tracklet>> per_camera(num_cams);
  tbb::parallel_for(0, num_cams, [&](int c) {
    std::vector<char> splits(detections.num_frames(), 0);
    per_camera[c] = TrackCamera(detections, c, options, &splits);
  });
  std::vector<UncalibratedAssociationDetails::Tracklet2d> out;
  for (const std::vector<Tracklet>& tracklets : per_camera) {
    for (const Tracklet& t : tracklets) {
      if (static_cast<int>(t.items.size()) >= options.min_track_frames) out.push_back({t.camera, t.items});
    }
  }
  return out;
}

AssociationResult AssociateWithoutCalibration(const Rig& intrinsics_only, const MultiDetections& detections,
                                              const UncalibratedAssociationOptions& options,
                                              UncalibratedAssociationDetails* details) {
  options.Check();
  CheckIntrinsics(intrinsics_only, detections);
  const int num_cams = detections.num_cameras();
  // Step 1: 2D tracks per camera.
  std::vector<std::vector<Tracklet>> per_camera(num_cams);
  std::vector<std::vector<char>> splits(num_cams, std::vector<char>(detections.num_frames(), 0));
  tbb::parallel_for(0, num_cams, [&](int c) { per_camera[c] = TrackCamera(detections, c, options, &splits[c]); });
  std::vector<Tracklet> tracklets;
  std::vector<std::vector<int>> candidates_in(num_cams);
  std::vector<int> candidates;
  for (camera_t c = 0; c < num_cams; ++c)
    for (Tracklet& t : per_camera[c]) {
      if (static_cast<int>(t.items.size()) >= options.min_track_frames) {
        candidates_in[c].push_back(static_cast<int>(tracklets.size()));
        candidates.push_back(static_cast<int>(tracklets.size()));
      }
      tracklets.push_back(std::move(t));
    }
  std::vector<std::vector<Eigen::Vector2d>> normalized(tracklets.size());
  tbb::parallel_for(0, static_cast<int>(candidates.size()), [&](int i) {
    const Tracklet& t = tracklets[candidates[i]];
    normalized[candidates[i]] = NormalizedJoints(intrinsics_only[t.camera], detections, t, options.min_confidence);
  });
  // Step 2: scores of track pairs per camera pair.
  std::vector<std::pair<camera_t, camera_t>> camera_pairs;
  for (camera_t a = 0; a < num_cams; ++a)
    for (camera_t b = a + 1; b < num_cams; ++b)
      if (!candidates_in[a].empty() && !candidates_in[b].empty()) camera_pairs.emplace_back(a, b);
  std::vector<CameraPairState> states(camera_pairs.size());
  std::vector<CameraPairNoise> noise(camera_pairs.size());
  tbb::parallel_for(0, static_cast<int>(camera_pairs.size()), [&](int p) {
    states[p] = ScoreCameraPair(intrinsics_only, detections, tracklets, normalized,
                                     candidates_in[camera_pairs[p].first], candidates_in[camera_pairs[p].second], options,
                                     &noise[p]);
  });
  std::vector<char> switched(states.size(), 0);
  ChooseCycleConsistent(tracklets, options, &states, &switched);
  std::vector<PairScore> scores;
  for (size_t i = 0; i < states.size(); ++i) {
    CameraPairState& st = states[i];
    for (size_t p = 0; p < st.pairs.size(); ++p) st.pairs[p].ratio = st.fit[p];
    scores.insert(scores.end(), st.pairs.begin(), st.pairs.end());
    noise[i].chosen_by_cycles = switched[i] != 0;
  }
  // Step 3: people.
  AssociationResult result = MakeTracks(detections, tracklets, GroupTracklets(tracklets, candidates, scores, options));
  if (details != nullptr) {
    FillDetails(tracklets, scores, result, details);
    details->thresholds.clear();
    for (const CameraPairNoise& n : noise)
      if (n.first != kInvalidCameraId) details->thresholds.push_back(n);
  }
  const int reidentifications = result.summary.num_reidentifications;
  CountAssignments(detections, &result);
  result.summary.num_reidentifications = reidentifications;
  for (frame_t f = 0; f < detections.num_frames(); ++f) {
    bool split = false;
    for (camera_t c = 0; c < num_cams; ++c) split = split || splits[c][f];
    result.summary.num_uncertain_frames += split ? 1 : 0;
  }
  frame_t first_busy = detections.num_frames(), last_busy = -1;
  for (const Tracklet& t : tracklets) {
    first_busy = std::min(first_busy, t.first());
    last_busy = std::max(last_busy, t.last());
  }
  for (const Track& t : result.tracks) {
    result.summary.num_births += t.first_frame > first_busy ? 1 : 0;
    result.summary.num_deaths += t.last_frame < last_busy ? 1 : 0;
  }
  return result;
}

}  // namespace epilabel
