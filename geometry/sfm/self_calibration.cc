#include "geometry/sfm/self_calibration.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include <tbb/parallel_for.h>

#include "geometry/estimators/triangulation.h"
#include "geometry/sfm/view_graph.h"

namespace epilabel {

void SelfCalibrationOptions::Check() const {
  if (!(min_confidence >= 0)) throw std::invalid_argument("min_confidence must be >= 0");
  if (max_correspondences_per_pair < 20) throw std::invalid_argument("max_correspondences_per_pair must be >= 20");
  if (min_pair_inliers < 8) throw std::invalid_argument("min_pair_inliers must be >= 8");
  if (max_ba_frames < 10) throw std::invalid_argument("max_ba_frames must be >= 10");
  if (!(focal_min_rel > 0 && focal_max_rel > focal_min_rel)) throw std::invalid_argument("bad focal search range");
  two_view.Check();
  resection.Check();
}

std::string SelfCalibrationSummary::BriefReport() const {
  std::ostringstream os;
  if (!success) {
    os << "self-calibration failed: " << failure_reason;
    return os.str();
  }
  int n = 0;
  for (bool r : registered) n += r ? 1 : 0;
  os << "self-calibration registered " << n << "/" << registered.size() << " cameras from " << num_frames_used
     << " frames (" << num_points << " joints); " << ba.BriefReport();
  return os.str();
}

namespace {

bool Usable(const Eigen::Vector3d& o, double min_conf) { return o.z() >= min_conf && o.z() > 0 && o.allFinite(); }

// Normalised coordinates of a pixel under the current intrinsics.
Eigen::Vector2d Normalize(const Camera& cam, const Eigen::Vector2d& px) { return cam.NormalizedFromImage(px); }

struct Correspondences {
  std::vector<std::pair<frame_t, joint_t>> ids;
};

// All (frame, joint) seen by both cameras, sampled down to `max_count` with spread in time and
// in camera a's image: round robin over buckets of (time slice, image cell), deterministic.
Correspondences PairCorrespondences(const Observations2d& obs, const Rig& rig, camera_t a, camera_t b, double min_conf,
                                    int max_count) {
  Correspondences all;
  for (frame_t f = 0; f < obs.num_frames(); ++f)
    for (joint_t j = 0; j < obs.num_joints(); ++j)
      if (Usable(obs.at(a, f, j), min_conf) && Usable(obs.at(b, f, j), min_conf)) all.ids.emplace_back(f, j);
  if (static_cast<int>(all.ids.size()) <= max_count) return all;
  constexpr int kTimeBins = 16, kGrid = 6;
  const double w = std::max(1, rig[a].width), h = std::max(1, rig[a].height);
  std::map<int, std::vector<size_t>> buckets;
  for (size_t i = 0; i < all.ids.size(); ++i) {
    const auto [f, j] = all.ids[i];
    const Eigen::Vector3d& o = obs.at(a, f, j);
    const int tb = std::min(kTimeBins - 1, f * kTimeBins / std::max(1, obs.num_frames()));
    const int gx = std::clamp(static_cast<int>(o.x() / w * kGrid), 0, kGrid - 1);
    const int gy = std::clamp(static_cast<int>(o.y() / h * kGrid), 0, kGrid - 1);
    buckets[(tb * kGrid + gx) * kGrid + gy].push_back(i);
  }
  // Within a bucket, take evenly spaced members first.
  std::vector<std::vector<size_t>> lists;
  for (auto& [key, v] : buckets) {
    std::vector<size_t> spread;
    spread.reserve(v.size());
    // Bit-reversal-like order: stride halves each pass.
    std::vector<bool> taken(v.size(), false);
    for (size_t stride = v.size(); stride >= 1; stride /= 2) {
      for (size_t k = 0; k < v.size(); k += stride)
        if (!taken[k]) {
          taken[k] = true;
          spread.push_back(v[k]);
        }
      if (stride == 1) break;
    }
    lists.push_back(std::move(spread));
  }
  Correspondences out;
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
  for (size_t i : chosen) out.ids.push_back(all.ids[i]);
  return out;
}

// Triangulates `obs` using only the registered cameras.
TriangulationResult TriangulateRegistered(const Rig& rig, const Observations2d& obs, const std::vector<bool>& registered,
                                          const SelfCalibrationOptions& options) {
  Observations2d masked = obs;
  for (camera_t c = 0; c < obs.num_cameras(); ++c) {
    if (registered[c]) continue;
    for (frame_t f = 0; f < obs.num_frames(); ++f)
      for (joint_t j = 0; j < obs.num_joints(); ++j) masked.at(c, f, j).setZero();
  }
  // Unregistered cameras get a harmless pose (their observations are all zero).
  TriangulationOptions topt;
  topt.min_confidence = options.min_confidence;
  topt.ransac.reprojection_threshold_px = options.triangulation_threshold_px;
  topt.symmetric_pairs = options.symmetric_pairs;
  return TriangulateSequence(rig, masked, topt);
}

// Bundle-adjustment data from a triangulation of the subset frames.
BAProblemData MakeBAData(const TriangulationResult& tri, const std::vector<Bone>& bones,
                         std::vector<std::pair<frame_t, joint_t>>* point_ids) {
  BAProblemData data;
  const int nf = tri.points.num_frames(), nj = tri.points.num_joints();
  std::vector<int> index(static_cast<size_t>(nf) * nj, -1);
  point_ids->clear();
  for (frame_t f = 0; f < nf; ++f)
    for (joint_t j = 0; j < nj; ++j) {
      if (!tri.points.IsValid(f, j)) continue;
      index[static_cast<size_t>(f) * nj + j] = static_cast<int>(data.points.size());
      data.points.push_back(tri.points.at(f, j));
      point_ids->emplace_back(f, j);
      const uint64_t mask = tri.view_mask.at(f, j);
      for (camera_t c = 0; c < tri.repaired.num_cameras(); ++c) {
        if (!(mask & (uint64_t{1} << c))) continue;
        const Eigen::Vector3d& o = tri.repaired.at(c, f, j);
        BAObservation bo;
        bo.camera = c;
        bo.point = index[static_cast<size_t>(f) * nj + j];
        bo.pixel = o.head<2>();
        bo.weight = o.z();
        data.observations.push_back(bo);
      }
    }
  data.bone_lengths.assign(bones.size(), kNaN);
  std::vector<std::vector<double>> lengths(bones.size());
  for (size_t b = 0; b < bones.size(); ++b) {
    for (frame_t f = 0; f < nf; ++f) {
      const int pa = index[static_cast<size_t>(f) * nj + bones[b].parent];
      const int pb = index[static_cast<size_t>(f) * nj + bones[b].child];
      if (pa < 0 || pb < 0) continue;
      data.bone_terms.push_back({pa, pb, static_cast<int>(b)});
      lengths[b].push_back((data.points[pa] - data.points[pb]).norm());
    }
    if (!lengths[b].empty()) {
      auto& v = lengths[b];
      std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
      data.bone_lengths[b] = v[v.size() / 2];
    }
  }
  return data;
}

// Spread of the bone lengths of a reconstruction: the median over bones of (interquartile
// range / median) of each bone's length over frames. A projectively distorted reconstruction
// (wrong focal lengths) stretches bones differently across the capture volume; the right
// focal lengths make every bone as constant as the noise allows.
double BoneLengthSpread(const Points3d& points, const std::vector<Bone>& bones) {
  std::vector<double> spreads;
  std::vector<double> lengths;
  for (const Bone& b : bones) {
    lengths.clear();
    for (frame_t f = 0; f < points.num_frames(); ++f)
      if (points.IsValid(f, b.parent) && points.IsValid(f, b.child))
        lengths.push_back((points.at(f, b.parent) - points.at(f, b.child)).norm());
    if (lengths.size() < 20) continue;
    std::sort(lengths.begin(), lengths.end());
    const double q1 = lengths[lengths.size() / 4], q2 = lengths[lengths.size() / 2], q3 = lengths[3 * lengths.size() / 4];
    if (q2 > 0) spreads.push_back((q3 - q1) / q2);
  }
  if (spreads.empty()) return std::numeric_limits<double>::infinity();
  std::nth_element(spreads.begin(), spreads.begin() + static_cast<std::ptrdiff_t>(spreads.size() / 2), spreads.end());
  return spreads[spreads.size() / 2];
}

}  // namespace

SelfCalibrationResult SelfCalibrate(const Rig& input_rig, const Observations2d& obs,
                                    const SelfCalibrationOptions& options) {
  options.Check();
  SelfCalibrationResult result;
  result.rig = input_rig;
  SelfCalibrationSummary& s = result.summary;
  const int num_cameras = obs.num_cameras();
  s.registered.assign(num_cameras, false);
  s.camera_notes.assign(num_cameras, "");
  if (static_cast<int>(input_rig.size()) != num_cameras) throw std::invalid_argument("SelfCalibrate: rig/observation mismatch");
  if (num_cameras < 2) {
    s.failure_reason = "self-calibration needs at least two cameras (got " + std::to_string(num_cameras) + ")";
    return result;
  }
  Rig& rig = result.rig;
  auto stage_start = std::chrono::steady_clock::now();
  auto lap = [&](const std::string& stage) {
    const auto now = std::chrono::steady_clock::now();
    s.timings_s.emplace_back(stage, std::chrono::duration<double>(now - stage_start).count());
    stage_start = now;
  };
  auto report = [&](const std::string& stage, size_t done, size_t total) {
    if (options.progress) options.progress(stage, done, total);
  };

  // Intrinsics: known, or to be estimated with the principal point at the image centre.
  for (Camera& cam : rig) {
    if (cam.fx > 0 && cam.fy > 0) continue;
    if (cam.width <= 0 || cam.height <= 0) {
      s.failure_reason = "camera '" + cam.name + "' has neither intrinsics nor an image size";
      return result;
    }
    s.focal_estimated = true;
    cam.cx = (cam.width - 1) / 2.0;
    cam.cy = (cam.height - 1) / 2.0;
    cam.distortion = Distortion{};
  }
  for (Camera& cam : rig) {
    cam.cam_from_world = Rigid3d();
    cam.has_extrinsics = false;
  }

  // 1. Correspondences of every pair.
  std::vector<std::pair<camera_t, camera_t>> pair_list;
  for (camera_t a = 0; a < num_cameras; ++a)
    for (camera_t b = a + 1; b < num_cameras; ++b) pair_list.emplace_back(a, b);
  std::vector<Correspondences> corr(pair_list.size());
  tbb::parallel_for(size_t{0}, pair_list.size(), [&](size_t p) {
    corr[p] = PairCorrespondences(obs, rig, pair_list[p].first, pair_list[p].second, options.min_confidence,
                                  options.max_correspondences_per_pair);
  });

  // 2. Unknown focal lengths: fundamental matrices, then the focal search.
  if (s.focal_estimated) {
    std::vector<FundamentalPair> fpairs(pair_list.size());
    std::vector<bool> fok(pair_list.size(), false);
    tbb::parallel_for(size_t{0}, pair_list.size(), [&](size_t p) {
      const auto [a, b] = pair_list[p];
      std::vector<Eigen::Vector2d> pa, pb;
      for (const auto& [f, j] : corr[p].ids) {
        pa.push_back(obs.at(a, f, j).head<2>());
        pb.push_back(obs.at(b, f, j).head<2>());
      }
      TwoViewOptions o = options.two_view;
      o.seed = options.seed + p;
      const FundamentalEstimate fe = EstimateFundamental(pa, pb, o);
      if (fe.success && fe.num_inliers >= options.min_pair_inliers &&
          fe.num_inliers >= options.min_inlier_ratio * static_cast<double>(pa.size())) {
        fpairs[p] = {a, b, fe.fundamental, static_cast<double>(fe.num_inliers)};
        fok[p] = true;
      }
    });
    std::vector<FundamentalPair> good;
    for (size_t p = 0; p < pair_list.size(); ++p)
      if (fok[p]) good.push_back(fpairs[p]);
    std::vector<Eigen::Vector2d> pp(num_cameras);
    std::vector<double> init(num_cameras);
    double min_f = 1e9, max_f = 0;
    for (camera_t c = 0; c < num_cameras; ++c) {
      pp[c] = Eigen::Vector2d(rig[c].cx, rig[c].cy);
      const double side = std::max(rig[c].width, rig[c].height);
      init[c] = rig[c].fx > 0 ? rig[c].fx : side;
      min_f = std::min(min_f, options.focal_min_rel * side);
      max_f = std::max(max_f, options.focal_max_rel * side);
    }
    const std::vector<double> focal = FocalFromFundamentals(num_cameras, pp, good, init, min_f, max_f);
    s.focal_initial = focal;
    for (camera_t c = 0; c < num_cameras; ++c) {
      if (rig[c].fx > 0 && rig[c].fy > 0) continue;
      rig[c].fx = rig[c].fy = focal[c];
    }
  }
  report("pairwise geometry", 0, pair_list.size());

  lap("correspondences and focal search");
  // 3. Relative pose of every pair.
  std::vector<TwoViewGeometry> geo(pair_list.size());
  std::atomic<size_t> pairs_done{0};
  tbb::parallel_for(size_t{0}, pair_list.size(), [&](size_t p) {
    const auto [a, b] = pair_list[p];
    std::vector<Eigen::Vector2d> na, nb;
    na.reserve(corr[p].ids.size());
    nb.reserve(corr[p].ids.size());
    for (const auto& [f, j] : corr[p].ids) {
      na.push_back(Normalize(rig[a], obs.at(a, f, j).head<2>()));
      nb.push_back(Normalize(rig[b], obs.at(b, f, j).head<2>()));
    }
    TwoViewOptions o = options.two_view;
    o.seed = options.seed + 1000 + p;
    geo[p] = EstimateRelativePose(na, nb, rig[a].MeanFocal(), rig[b].MeanFocal(), o);
    report("pairwise geometry", pairs_done.fetch_add(1) + 1, pair_list.size());
  });

  std::vector<ViewGraphEdge> edges;
  for (size_t p = 0; p < pair_list.size(); ++p) {
    PairReport pr;
    pr.a = pair_list[p].first;
    pr.b = pair_list[p].second;
    pr.correspondences = static_cast<int>(corr[p].ids.size());
    pr.inliers = geo[p].num_inliers;
    pr.median_angle_deg = geo[p].median_angle_deg;
    pr.quality = geo[p].quality;
    if (pr.correspondences < options.min_pair_inliers) {
      pr.reason = "too few shared joints (" + std::to_string(pr.correspondences) + ")";
    } else if (!geo[p].success || pr.inliers < options.min_pair_inliers) {
      pr.reason = "too few inliers (" + std::to_string(pr.inliers) + ")";
    } else if (pr.inliers < options.min_inlier_ratio * pr.correspondences) {
      pr.reason = "inlier ratio too low (" + std::to_string(pr.inliers) + "/" + std::to_string(pr.correspondences) + ")";
    } else {
      pr.edge = true;
      edges.push_back({pr.a, pr.b, pr.quality});
    }
    s.pairs.push_back(pr);
  }

  lap("pairwise geometry");
  // 4. View graph: connectivity and the initial pair.
  const ViewGraph graph(num_cameras, edges);
  const std::vector<camera_t> component = graph.LargestComponent();
  if (component.size() < 2) {
    s.failure_reason = "no camera pair has a reliable relative pose (see the pair table)";
    for (camera_t c = 0; c < num_cameras; ++c) s.camera_notes[c] = "no reliable pair";
    return result;
  }
  for (camera_t c = 0; c < num_cameras; ++c) {
    if (graph.components()[c] == 0) continue;
    // Name the best pair this camera had, to say why it is not connected.
    std::string best;
    int best_inliers = -1;
    for (const PairReport& pr : s.pairs) {
      if (pr.a != c && pr.b != c) continue;
      if (pr.inliers > best_inliers) {
        best_inliers = pr.inliers;
        best = rig[pr.a == c ? pr.b : pr.a].name + ": " + (pr.reason.empty() ? "edge to another group" : pr.reason);
      }
    }
    s.camera_notes[c] = "not connected to the main group of cameras (best pair " + best + ")";
  }
  size_t best_edge = edges.size();
  for (size_t e = 0; e < edges.size(); ++e) {
    if (graph.components()[edges[e].a] != 0) continue;
    const PairReport* pr = nullptr;
    for (const auto& p : s.pairs)
      if (p.a == edges[e].a && p.b == edges[e].b) pr = &p;
    const bool enough_angle = pr->median_angle_deg >= options.min_initial_angle_deg;
    if (best_edge == edges.size()) {
      best_edge = e;
      continue;
    }
    const PairReport* cur = nullptr;
    for (const auto& p : s.pairs)
      if (p.a == edges[best_edge].a && p.b == edges[best_edge].b) cur = &p;
    const bool cur_angle = cur->median_angle_deg >= options.min_initial_angle_deg;
    if ((enough_angle && !cur_angle) || (enough_angle == cur_angle && edges[e].weight > edges[best_edge].weight))
      best_edge = e;
  }
  const camera_t ia = edges[best_edge].a, ib = edges[best_edge].b;
  s.initial_a = ia;
  s.initial_b = ib;
  size_t initial_pair_index = 0;
  for (size_t p = 0; p < pair_list.size(); ++p)
    if (pair_list[p].first == ia && pair_list[p].second == ib) initial_pair_index = p;

  // 5. Frames of the bundle adjustment: evenly spread among frames seen well by >= 2 cameras.
  std::vector<frame_t> good_frames;
  for (frame_t f = 0; f < obs.num_frames(); ++f) {
    int cams = 0;
    for (camera_t c = 0; c < num_cameras; ++c) {
      int joints = 0;
      for (joint_t j = 0; j < obs.num_joints(); ++j) joints += Usable(obs.at(c, f, j), options.min_confidence) ? 1 : 0;
      if (joints * 2 >= obs.num_joints()) ++cams;
    }
    if (cams >= 2) good_frames.push_back(f);
  }
  std::vector<frame_t> ba_frames;
  if (static_cast<int>(good_frames.size()) <= options.max_ba_frames) {
    ba_frames = good_frames;
  } else {
    for (int k = 0; k < options.max_ba_frames; ++k)
      ba_frames.push_back(good_frames[static_cast<size_t>(k) * good_frames.size() / options.max_ba_frames]);
  }
  if (ba_frames.size() < 5) {
    s.failure_reason = "too few frames where two or more cameras see the person (" + std::to_string(ba_frames.size()) + ")";
    return result;
  }
  Observations2d sub(num_cameras, static_cast<int>(ba_frames.size()), obs.num_joints());
  for (camera_t c = 0; c < num_cameras; ++c)
    for (size_t k = 0; k < ba_frames.size(); ++k)
      for (joint_t j = 0; j < obs.num_joints(); ++j) sub.at(c, static_cast<frame_t>(k), j) = obs.at(c, ba_frames[k], j);
  s.num_frames_used = static_cast<int>(ba_frames.size());

  // The quick adjustments while registering use every k-th frame of the BA subset.
  const int quick_stride = std::max(1, static_cast<int>(ba_frames.size()) / options.max_registration_frames);
  Observations2d quick_sub(num_cameras, (sub.num_frames() + quick_stride - 1) / quick_stride, obs.num_joints());
  for (camera_t c = 0; c < num_cameras; ++c)
    for (frame_t f = 0; f < quick_sub.num_frames(); ++f)
      for (joint_t j = 0; j < obs.num_joints(); ++j) quick_sub.at(c, f, j) = sub.at(c, f * quick_stride, j);

  auto quick_sub_frames = [&]() { return quick_sub.num_frames(); };
  // 6. Initial pair. With unknown focal lengths, search the focal scale of the pair that makes
  // the bones of the two-view reconstruction most constant (a human-body cue that stays
  // informative when every camera looks at the same spot, where fundamental matrices alone
  // cannot tell the focal lengths).
  if (s.focal_estimated && !options.bones.empty()) {
    const size_t p = initial_pair_index;
    auto evaluate = [&](double log_m, TwoViewGeometry* geometry_out) {
      const double m = std::exp(log_m);
      Rig pair_rig = {rig[ia], rig[ib]};
      for (Camera& cam : pair_rig) cam.fx = cam.fy = m * std::max(cam.width, cam.height);
      std::vector<Eigen::Vector2d> na, nb;
      for (const auto& [f, j] : corr[p].ids) {
        na.push_back(Normalize(pair_rig[0], obs.at(ia, f, j).head<2>()));
        nb.push_back(Normalize(pair_rig[1], obs.at(ib, f, j).head<2>()));
      }
      TwoViewOptions o = options.two_view;
      o.seed = options.seed + 1000 + p;
      TwoViewGeometry g = EstimateRelativePose(na, nb, pair_rig[0].MeanFocal(), pair_rig[1].MeanFocal(), o);
      if (!g.success) return std::numeric_limits<double>::infinity();
      pair_rig[0].cam_from_world = Rigid3d();
      pair_rig[1].cam_from_world = g.cam2_from_cam1;
      Observations2d two(2, quick_sub_frames(), obs.num_joints());
      for (frame_t f = 0; f < two.num_frames(); ++f)
        for (joint_t j = 0; j < obs.num_joints(); ++j) {
          two.at(0, f, j) = sub.at(ia, f * quick_stride, j);
          two.at(1, f, j) = sub.at(ib, f * quick_stride, j);
        }
      TriangulationOptions topt;
      topt.min_confidence = options.min_confidence;
      topt.ransac.reprojection_threshold_px = options.triangulation_threshold_px;
      const TriangulationResult tri = TriangulateSequence(pair_rig, two, topt);
      if (geometry_out) *geometry_out = g;
      return BoneLengthSpread(tri.points, options.bones);
    };
    double lo = std::log(options.focal_min_rel), hi = std::log(options.focal_max_rel);
    constexpr int kGrid = 16;
    double best_x = 0.0, best = std::numeric_limits<double>::infinity();
    for (int k = 0; k <= kGrid; ++k) {
      const double x = lo + (hi - lo) * k / kGrid;
      const double v = evaluate(x, nullptr);
      if (v < best) {
        best = v;
        best_x = x;
      }
    }
    // Golden-section refinement around the best grid point.
    double a = best_x - (hi - lo) / kGrid, b = best_x + (hi - lo) / kGrid;
    const double g = (std::sqrt(5.0) - 1.0) / 2.0;
    double x1 = b - g * (b - a), x2 = a + g * (b - a);
    double f1 = evaluate(x1, nullptr), f2 = evaluate(x2, nullptr);
    for (int it = 0; it < 10; ++it) {
      if (f1 < f2) {
        b = x2, x2 = x1, f2 = f1, x1 = b - g * (b - a), f1 = evaluate(x1, nullptr);
      } else {
        a = x1, x1 = x2, f1 = f2, x2 = a + g * (b - a), f2 = evaluate(x2, nullptr);
      }
    }
    const double x_best = f1 < f2 ? x1 : x2;
    TwoViewGeometry pair_geometry;
    if (std::isfinite(evaluate(x_best, &pair_geometry))) {
      const double m = std::exp(x_best);
      rig[ia].fx = rig[ia].fy = m * std::max(rig[ia].width, rig[ia].height);
      rig[ib].fx = rig[ib].fy = m * std::max(rig[ib].width, rig[ib].height);
      geo[p] = pair_geometry;
    }
  }
  rig[ia].cam_from_world = Rigid3d();
  rig[ib].cam_from_world = geo[initial_pair_index].cam2_from_cam1;
  s.registered[ia] = s.registered[ib] = true;
  s.registration_order = {ia, ib};

  BundleAdjustmentOptions quick_ba = options.ba;
  quick_ba.fixed_camera = ia;
  quick_ba.scale_camera = ib;
  quick_ba.outlier_rounds = 0;
  quick_ba.max_iterations = 8;
  quick_ba.compute_covariance = false;
  quick_ba.num_threads = options.num_threads;
  quick_ba.refine_focal = s.focal_estimated;
  quick_ba.refine_k1 = s.focal_estimated;
  quick_ba.focal_prior_sigma_rel = s.focal_estimated ? options.focal_prior_sigma_rel : 0.0;

  auto adjust = [&](const BundleAdjustmentOptions& ba_options, bool final_pass, bool with_bones) {
    const TriangulationResult tri = TriangulateRegistered(rig, final_pass ? sub : quick_sub, s.registered, options);
    std::vector<std::pair<frame_t, joint_t>> ids;
    BAProblemData data = MakeBAData(tri, with_bones ? options.bones : std::vector<Bone>{}, &ids);
    s.num_points = static_cast<int>(data.points.size());
    Rig registered_rig = rig;
    const BundleAdjustmentSummary summary = BundleAdjust(&registered_rig, &data, ba_options);
    if (summary.success) rig = registered_rig;
    return summary;
  };
  adjust(quick_ba, false, false);
  lap("initial pair");

  // 7. Register the other cameras of the component, best-connected first.
  std::vector<bool> failed(num_cameras, false);
  const size_t to_register = component.size();
  report("registering cameras", 2, to_register);
  while (true) {
    const TriangulationResult tri = TriangulateRegistered(rig, quick_sub, s.registered, options);
    camera_t next = kInvalidCameraId;
    int next_matches = 0;
    for (camera_t c : component) {
      if (s.registered[c] || failed[c]) continue;
      int matches = 0;
      for (frame_t f = 0; f < quick_sub.num_frames(); ++f)
        for (joint_t j = 0; j < quick_sub.num_joints(); ++j)
          if (tri.points.IsValid(f, j) && Usable(quick_sub.at(c, f, j), options.min_confidence)) ++matches;
      if (matches > next_matches) {
        next_matches = matches;
        next = c;
      }
    }
    if (next == kInvalidCameraId) {
      for (camera_t c : component)
        if (!s.registered[c] && !failed[c]) {
          failed[c] = true;
          s.camera_notes[c] = "sees no triangulated joint of the registered cameras";
        }
      break;
    }
    std::vector<Eigen::Vector3d> x3;
    std::vector<Eigen::Vector2d> x2;
    for (frame_t f = 0; f < quick_sub.num_frames(); ++f)
      for (joint_t j = 0; j < quick_sub.num_joints(); ++j)
        if (tri.points.IsValid(f, j) && Usable(quick_sub.at(next, f, j), options.min_confidence)) {
          x3.push_back(tri.points.at(f, j));
          x2.push_back(quick_sub.at(next, f, j).head<2>());
        }
    ResectionOptions ro = options.resection;
    ro.seed = options.seed + 7 * static_cast<uint64_t>(next);
    // Unknown intrinsics: lens distortion is not modelled yet, so allow larger residuals.
    if (s.focal_estimated) ro.threshold_px *= options.unknown_intrinsics_threshold_factor;
    std::vector<Eigen::Vector2d> xn;
    if (!s.focal_estimated) {
      xn.reserve(x2.size());
      for (const auto& p : x2) xn.push_back(Normalize(rig[next], p));
    }
    // Noisy detectors (and the noisier joints of two-view triangulations): when too few matches
    // agree within the threshold, widen it (x2, x4) before giving up on the camera.
    ResectionResult rr;
    bool ok = false;
    for (int attempt = 0; attempt <= options.max_resection_threshold_doublings && !ok; ++attempt) {
      if (attempt > 0) ro.threshold_px *= 2.0;
      rr = s.focal_estimated ? EstimateResectionUnknownFocal(x3, x2, Eigen::Vector2d(rig[next].cx, rig[next].cy), ro)
                             : EstimateResection(x3, xn, rig[next].MeanFocal(), ro);
      ok = rr.success && rr.num_inliers >= options.min_resection_inliers &&
           rr.num_inliers >= 0.3 * static_cast<double>(x3.size());
    }
    if (!ok) {
      failed[next] = true;
      std::ostringstream why;
      why << "registration failed: " << rr.num_inliers << " inliers of " << x3.size() << " 2D-3D matches";
      s.camera_notes[next] = why.str();
      continue;
    }
    rig[next].cam_from_world = rr.cam_from_world;
    // The resection's focal length: the pairwise (fundamental-matrix) estimates are unreliable
    // when the cameras look at a common point, the usual studio set-up.
    if (s.focal_estimated) rig[next].fx = rig[next].fy = rr.focal_px;
    s.registered[next] = true;
    s.registration_order.push_back(next);
    report("registering cameras", s.registration_order.size(), to_register);
    adjust(quick_ba, false, false);
  }

  lap("registration");
  // 8. Final bundle adjustment with bone lengths and covariance.
  BundleAdjustmentOptions final_ba = options.ba;
  final_ba.bone_sigma_rel = options.bone_sigma_rel;
  final_ba.fixed_camera = ia;
  final_ba.scale_camera = ib;
  final_ba.num_threads = options.num_threads;
  final_ba.refine_focal = options.ba.refine_focal || s.focal_estimated;
  // Unknown intrinsics: the lens distortion is unknown too; estimate the radial terms.
  final_ba.refine_k1 = options.ba.refine_k1 || s.focal_estimated;
  final_ba.refine_k2 = options.ba.refine_k2 || (s.focal_estimated && options.estimate_k2);
  if (s.focal_estimated && options.principal_point_prior_rel > 0) {
    final_ba.refine_principal_point = true;
    double side = 0;
    for (const Camera& cam : rig) side = std::max(side, static_cast<double>(std::max(cam.width, cam.height)));
    final_ba.principal_point_prior_px = options.principal_point_prior_rel * side;
  }
  final_ba.focal_prior_sigma_rel =
      s.focal_estimated ? options.focal_prior_sigma_rel : options.ba.focal_prior_sigma_rel;
  // Reprojection terms with outlier removal (a Schur solve on the cameras), then, when asked,
  // a second stage with the bone-length terms from the refined cameras (they couple the joints
  // of a frame, which makes each iteration dearer, but few are needed from there).
  const bool bones_in_ba = options.bone_constancy_in_ba && !options.bones.empty();
  report("bundle adjustment", 0, 2);
  BundleAdjustmentOptions stage1 = final_ba;
  stage1.compute_covariance = !bones_in_ba;
  s.ba = adjust(stage1, true, false);
  report("bundle adjustment", 1, 2);
  if (bones_in_ba) {
    BundleAdjustmentOptions stage2 = final_ba;
    stage2.compute_covariance = true;
    stage2.outlier_rounds = 0;
    stage2.max_iterations = 30;
    s.ba = adjust(stage2, true, true);
  }
  report("bundle adjustment", 2, 2);
  lap("final bundle adjustment");
  for (camera_t c = 0; c < num_cameras; ++c) rig[c].has_extrinsics = s.registered[c];
  s.success = s.ba.success;
  if (!s.success) s.failure_reason = "bundle adjustment failed: " + s.ba.termination;
  return result;
}

}  // namespace epilabel
