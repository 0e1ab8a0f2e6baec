#include "geometry/sfm/pair_geometry.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <string>

#include <tbb/parallel_for.h>

#include "geometry/sfm/self_calibration_steps.h"

namespace epilabel {

namespace {

using JointIds = std::vector<std::pair<frame_t, joint_t>>;

// Indices into `ids` grouped by (time slice, cell of camera a's image), in key order.
std::vector<std::vector<size_t>> SpreadBuckets(const Observations2d& obs, const Camera& cam_a, camera_t a,
                                               const JointIds& ids) {
  constexpr int kTimeBins = 16, kGrid = 6;
  const double w = std::max(1, cam_a.width), h = std::max(1, cam_a.height);
  std::map<int, std::vector<size_t>> buckets;
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto [f, j] = ids[i];
    const Eigen::Vector3d& o = obs.at(a, f, j);
    const int tb = std::min(kTimeBins - 1, f * kTimeBins / std::max(1, obs.num_frames()));
    const int gx = std::clamp(static_cast<int>(o.x() / w * kGrid), 0, kGrid - 1);
    const int gy = std::clamp(static_cast<int>(o.y() / h * kGrid), 0, kGrid - 1);
    buckets[(tb * kGrid + gx) * kGrid + gy].push_back(i);
  }
  std::vector<std::vector<size_t>> out;
  for (auto& [key, v] : buckets) out.push_back(std::move(v));
  return out;
}

// The members of a bucket, evenly spaced ones first: a bit-reversal-like order where the stride
// halves each pass.
std::vector<size_t> SpreadOrder(const std::vector<size_t>& v) {
  std::vector<size_t> spread;
  spread.reserve(v.size());
  std::vector<bool> taken(v.size(), false);
  for (size_t stride = v.size(); stride >= 1; stride /= 2) {
    for (size_t k = 0; k < v.size(); k += stride)
      if (!taken[k]) {
        taken[k] = true;
        spread.push_back(v[k]);
      }
    if (stride == 1) break;
  }
  return spread;
}

// All (frame, joint) both cameras see, sampled down to `max_count`: round robin over the
// buckets, deterministic, returned in the original order.
JointIds SampleCorrespondences(const Observations2d& obs, const Rig& rig, camera_t a, camera_t b, double min_conf,
                               int max_count) {
  JointIds all;
  for (frame_t f = 0; f < obs.num_frames(); ++f)
    for (joint_t j = 0; j < obs.num_joints(); ++j)
      if (Usable(obs.at(a, f, j), min_conf) && Usable(obs.at(b, f, j), min_conf)) all.emplace_back(f, j);
  if (static_cast<int>(all.size()) <= max_count) return all;
  std::vector<std::vector<size_t>> lists;
  for (const auto& bucket : SpreadBuckets(obs, rig[a], a, all)) lists.push_back(SpreadOrder(bucket));
  std::vector<size_t> chosen;
  for (size_t round = 0; static_cast<int>(chosen.size()) < max_count; ++round) {
    bool any = false;
    for (const auto& l : lists) {
      if (round < l.size()) {
        chosen.push_back(l[round]);
        any = true;
        if (static_cast<int>(chosen.size()) >= max_count) break;
      }
    }
    if (!any) break;
  }
  std::sort(chosen.begin(), chosen.end());
  JointIds out;
  for (size_t i : chosen) out.push_back(all[i]);
  return out;
}

// The fundamental matrix of a pair, when it has enough inliers to count.
bool PairFundamental(const Observations2d& obs, const CameraPair& pair, size_t index,
                     const SelfCalibrationOptions& options, FundamentalPair* out) {
  std::vector<Eigen::Vector2d> pa, pb;
  for (const auto& [f, j] : pair.ids) {
    pa.push_back(obs.at(pair.a, f, j).head<2>());
    pb.push_back(obs.at(pair.b, f, j).head<2>());
  }
  TwoViewOptions o = options.two_view;
  o.seed = options.seed + index;
  const FundamentalEstimate fe = EstimateFundamental(pa, pb, o);
  if (!(fe.success && fe.num_inliers >= options.min_pair_inliers &&
        fe.num_inliers >= options.min_inlier_ratio * static_cast<double>(pa.size())))
    return false;
  *out = {pair.a, pair.b, fe.fundamental, static_cast<double>(fe.num_inliers)};
  return true;
}

}  // namespace

std::vector<CameraPair> PairCorrespondences(const Rig& rig, const Observations2d& obs,
                                            const SelfCalibrationOptions& options) {
  std::vector<CameraPair> pairs;
  for (camera_t a = 0; a < obs.num_cameras(); ++a)
    for (camera_t b = a + 1; b < obs.num_cameras(); ++b) {
      pairs.emplace_back();
      pairs.back().a = a;
      pairs.back().b = b;
    }
  tbb::parallel_for(size_t{0}, pairs.size(), [&](size_t p) {
    pairs[p].ids = SampleCorrespondences(obs, rig, pairs[p].a, pairs[p].b, options.min_confidence,
                                         options.max_correspondences_per_pair);
  });
  return pairs;
}

std::vector<double> FocalLengthsFromPairs(const Observations2d& obs, const std::vector<CameraPair>& pairs,
                                          const SelfCalibrationOptions& options, Rig* rig) {
  std::vector<FundamentalPair> fpairs(pairs.size());
  std::vector<uint8_t> fok(pairs.size(), 0);
  tbb::parallel_for(size_t{0}, pairs.size(),
                    [&](size_t p) { fok[p] = PairFundamental(obs, pairs[p], p, options, &fpairs[p]) ? 1 : 0; });
  std::vector<FundamentalPair> good;
  for (size_t p = 0; p < pairs.size(); ++p)
    if (fok[p]) good.push_back(fpairs[p]);
  const int num_cameras = static_cast<int>(rig->size());
  std::vector<Eigen::Vector2d> pp(num_cameras);
  std::vector<double> init(num_cameras);
  double min_f = 1e9, max_f = 0;
  for (camera_t c = 0; c < num_cameras; ++c) {
    const Camera& cam = (*rig)[c];
    pp[c] = Eigen::Vector2d(cam.cx, cam.cy);
    const double side = std::max(cam.width, cam.height);
    init[c] = cam.fx > 0 ? cam.fx : side;
    min_f = std::min(min_f, options.focal_min_rel * side);
    max_f = std::max(max_f, options.focal_max_rel * side);
  }
  const std::vector<double> focal = FocalFromFundamentals(num_cameras, pp, good, init, min_f, max_f);
  for (camera_t c = 0; c < num_cameras; ++c) {
    Camera& cam = (*rig)[c];
    if (cam.fx > 0 && cam.fy > 0) continue;
    cam.fx = cam.fy = focal[c];
  }
  return focal;
}

TwoViewGeometry EstimatePairPose(const Camera& a, const Camera& b, const Observations2d& obs, const CameraPair& pair,
                                 size_t index, const SelfCalibrationOptions& options) {
  std::vector<Eigen::Vector2d> na, nb;
  na.reserve(pair.ids.size());
  nb.reserve(pair.ids.size());
  for (const auto& [f, j] : pair.ids) {
    na.push_back(a.NormalizedFromImage(obs.at(pair.a, f, j).head<2>()));
    nb.push_back(b.NormalizedFromImage(obs.at(pair.b, f, j).head<2>()));
  }
  TwoViewOptions o = options.two_view;
  o.seed = options.seed + 1000 + index;
  return EstimateRelativeCameraPose(na, nb, a.MeanFocal(), b.MeanFocal(), o);
}

void EstimatePairPoses(const Rig& rig, const Observations2d& obs, const SelfCalibrationOptions& options,
                       std::vector<CameraPair>* pairs) {
  std::atomic<size_t> pairs_done{0};
  tbb::parallel_for(size_t{0}, pairs->size(), [&](size_t p) {
    CameraPair& pair = (*pairs)[p];
    pair.geometry = EstimatePairPose(rig[pair.a], rig[pair.b], obs, pair, p, options);
    ReportProgress(options, "pairwise geometry", pairs_done.fetch_add(1) + 1, pairs->size());
  });
}

std::vector<ViewGraphEdge> JudgePairs(const std::vector<CameraPair>& pairs, const SelfCalibrationOptions& options,
                                      std::vector<PairReport>* reports) {
  std::vector<ViewGraphEdge> edges;
  for (const CameraPair& pair : pairs) {
    PairReport pr;
    pr.a = pair.a;
    pr.b = pair.b;
    pr.correspondences = static_cast<int>(pair.ids.size());
    pr.inliers = pair.geometry.num_inliers;
    pr.median_angle_deg = pair.geometry.median_angle_deg;
    pr.quality = pair.geometry.quality;
    if (pr.correspondences < options.min_pair_inliers) {
      pr.reason = "too few shared joints (" + std::to_string(pr.correspondences) + ")";
    } else if (!pair.geometry.success || pr.inliers < options.min_pair_inliers) {
      pr.reason = "too few inliers (" + std::to_string(pr.inliers) + ")";
    } else if (pr.inliers < options.min_inlier_ratio * pr.correspondences) {
      pr.reason = "inlier ratio too low (" + std::to_string(pr.inliers) + "/" + std::to_string(pr.correspondences) + ")";
    } else {
      pr.edge = true;
      edges.push_back({pr.a, pr.b, pr.quality});
    }
    reports->push_back(pr);
  }
  return edges;
}

}  // namespace epilabel
