#include "geometry/estimators/sequence_triangulation.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

namespace epilabel {

void TriangulationOptions::Check() const {
  if (!(min_confidence >= 0)) throw std::invalid_argument("min_confidence must be >= 0");
  if (!(prior_sigma_px > 0)) throw std::invalid_argument("prior_sigma_px must be > 0");
  if (!(bone_tolerance > 0)) throw std::invalid_argument("bone_tolerance must be > 0");
  if (!(bone_tolerance_sigmas >= 0)) throw std::invalid_argument("bone_tolerance_sigmas must be >= 0");
  if (!(min_bone_tolerance > 0)) throw std::invalid_argument("min_bone_tolerance must be > 0");
  ransac.Check();
}

std::string TriangulationSummary::BriefReport() const {
  std::ostringstream os;
  os.precision(3);
  os << "triangulated " << num_triangulated << "/" << num_points << " points ("
     << (num_points ? 100.0 * num_triangulated / num_points : 0.0) << "%), mean reprojection error " << mean_error_px
     << " px (median " << median_error_px << "), outliers dropped " << num_outliers_dropped << ", swaps fixed "
     << num_swaps_fixed << ", re-fit to the skeleton " << num_bone_fixed << " (dropped " << num_bone_dropped << ")";
  return os.str();
}

namespace {

constexpr int kMaxViews = kMaxTriangulationViews;
constexpr double kInf = std::numeric_limits<double>::infinity();

struct CameraCache {
  Eigen::Matrix3d rotation;
  Eigen::Vector3d translation;
  double focal = 1.0;
  double fx = 1.0, fy = 1.0, cx = 0.0, cy = 0.0;
  LensModel lens = LensModel::kPinhole;
  Distortion distortion{};
  bool distorted = false;
  // Pixel of a world point (OpenCV model, as Camera::ImageFromWorld); false behind the camera.
  bool Project(const Eigen::Vector3d& point, Eigen::Vector2d* pixel) const {
    const Eigen::Vector3d p = rotation * point + translation;
    if (!(p.z() > 0.0)) return false;
    const double inv_z = 1.0 / p.z();
    double x = p.x() * inv_z, y = p.y() * inv_z;
    if (distorted) {
      double xd, yd;
      DistortNormalized(lens, distortion.data(), x, y, &xd, &yd);
      x = xd;
      y = yd;
    }
    *pixel = Eigen::Vector2d(fx * x + cx, fy * y + cy);
    return true;
  }
  // Pixel distance between the projection of `point` and an observation (infinity behind).
  double PixelError(const Eigen::Vector3d& point, const Eigen::Vector3d& obs) const {
    Eigen::Vector2d px;
    if (!Project(point, &px)) return kInf;
    return (px - obs.head<2>()).norm();
  }
};

// Everything the per-frame worker needs, shared read-only between threads.
struct SequenceContext {
  const Rig* rig = nullptr;
  const TriangulationOptions* options = nullptr;
  std::vector<CameraCache> cameras;
  std::vector<double> thresholds_px;  // per camera and joint [c * joints + j]; empty: the options' threshold
  std::vector<double> bone_lengths;   // per bone of options->bones; NaN: not checked
  std::vector<double> bone_tolerances;  // per bone, relative
  int num_joints = 0;
  // Undistorted normalised coordinates of every observation (x/z, y/z, unused), computed once;
  // kept in step with the repaired observations (swaps are applied to both).
  Observations2d* normalized = nullptr;
};

// Builds the views of joint j in frame f from `obs` (which may be a repaired copy).
int BuildViews(const SequenceContext& ctx, const Observations2d& obs, frame_t f, joint_t j, PointView* views,
               camera_t* cams) {
  int n = 0;
  for (camera_t c = 0; c < obs.num_cameras(); ++c) {
    const Eigen::Vector3d& o = obs.at(c, f, j);
    if (!(o.z() >= ctx.options->min_confidence) || !(o.z() > 0.0) || !o.allFinite()) continue;
    PointView& v = views[n];
    v.rotation = ctx.cameras[c].rotation;
    v.translation = ctx.cameras[c].translation;
    v.focal_px = ctx.cameras[c].focal;
    v.normalized = ctx.normalized->at(c, f, j).head<2>();
    v.weight = o.z();
    v.threshold_px = ctx.thresholds_px.empty() ? 0.0 : ctx.thresholds_px[static_cast<size_t>(c) * ctx.num_joints + j];
    cams[n] = c;
    ++n;
  }
  return n;
}

struct PointResult {
  bool success = false;
  Eigen::Vector3d point = Eigen::Vector3d::Constant(kNaN);
  uint64_t camera_mask = 0;
  int num_views = 0;
  int num_candidates = 0;
  bool robust_search = false;
  Eigen::Matrix3d normal_matrix = Eigen::Matrix3d::Zero();  // of the views used, at `point`
  double cost = kNaN;
  double weight_sum = 0.0;
};

PointResult TriangulateJoint(const SequenceContext& ctx, const Observations2d& obs, frame_t f, joint_t j,
                             std::array<PointView, kMaxViews>& views, std::array<camera_t, kMaxViews>& cams) {
  PointResult res;
  const int n = BuildViews(ctx, obs, f, j, views.data(), cams.data());
  res.num_candidates = n;
  if (n < 2) return res;
  const TriangulationOptions& opt = *ctx.options;
  uint64_t local_mask = 0;
  if (opt.robust) {
    const RobustTriangulation r = EstimateTriangulation(views.data(), n, opt.ransac);
    res.robust_search = r.pairs_tried > 0;
    if (!r.success) return res;
    res.point = r.point;
    res.normal_matrix = r.normal_matrix;
    res.cost = r.cost;
    res.weight_sum = r.weight_sum;
    local_mask = r.inlier_mask;
  } else {
    if (n < opt.ransac.min_views) return res;
    auto x = TriangulateLinear(views.data(), n);
    if (!x) return res;
    res.point = RefineTriangulation(views.data(), n, *x, opt.ransac.refine_iterations, &res.normal_matrix, &res.cost);
    for (int i = 0; i < n; ++i) res.weight_sum += views[i].weight;
    local_mask = n == 64 ? ~uint64_t{0} : ((uint64_t{1} << n) - 1);
  }
  res.success = true;
  for (int i = 0; i < n; ++i) {
    if (local_mask & (uint64_t{1} << i)) res.camera_mask |= uint64_t{1} << cams[i];
  }
  res.num_views = __builtin_popcountll(res.camera_mask);
  return res;
}


// An observation the estimators use: confident enough, positive and finite.
inline bool Usable(const Eigen::Vector3d& o, double min_confidence) {
  return o.z() >= min_confidence && o.z() > 0.0 && o.allFinite();
}

// --- Steps of TriangulateSequence -------------------------------------------------------------

void CheckInputs(const Rig& rig, const Observations2d& observations) {
  if (static_cast<int>(rig.size()) != observations.num_cameras())
    throw std::invalid_argument("TriangulateSequence: rig has " + std::to_string(rig.size()) +
                                " cameras, observations " + std::to_string(observations.num_cameras()));
  if (rig.size() > static_cast<size_t>(kMaxViews)) throw std::invalid_argument("TriangulateSequence: > 64 cameras");
}

std::vector<CameraCache> CacheCameras(const Rig& rig) {
  std::vector<CameraCache> cameras;
  for (const Camera& cam : rig) {
    if (!(cam.fx > 0 && cam.fy > 0)) throw std::invalid_argument("camera '" + cam.name + "' has no intrinsics");
    CameraCache cc;
    cc.rotation = cam.cam_from_world.RotationMatrix();
    cc.translation = cam.cam_from_world.translation;
    cc.focal = cam.MeanFocal();
    cc.fx = cam.fx;
    cc.fy = cam.fy;
    cc.cx = cam.cx;
    cc.cy = cam.cy;
    cc.lens = cam.lens;
    cc.distortion = cam.distortion;
    cc.distorted = cam.lens == LensModel::kFisheye || !IsZeroDistortion(cam.distortion);
    cameras.push_back(cc);
  }
  return cameras;
}

// Undistorted normalised coordinates of every usable observation (x/z, y/z, unused).
Observations2d NormalizeObservations(const Rig& rig, const Observations2d& observations, double min_confidence) {
  const int num_cameras = observations.num_cameras(), num_frames = observations.num_frames();
  const int num_joints = observations.num_joints();
  Observations2d normalized(num_cameras, num_frames, num_joints);
  tbb::parallel_for(tbb::blocked_range<int>(0, num_frames, 256), [&](const tbb::blocked_range<int>& range) {
    for (camera_t c = 0; c < num_cameras; ++c)
      for (frame_t f = range.begin(); f != range.end(); ++f)
        for (joint_t j = 0; j < num_joints; ++j) {
          const Eigen::Vector3d& o = observations.at(c, f, j);
          if (Usable(o, min_confidence)) normalized.at(c, f, j).head<2>() = rig[c].NormalizedFromImage(o.head<2>());
        }
  });
  return normalized;
}

// The first pass over evenly spread frames: the points seen by three views or more (two views
// always agree) and the pixel errors of their views, [(sample * cameras + c) * joints + j].
struct SamplePass {
  int num_samples = 0;
  Points3d points;
  std::vector<std::vector<double>> errors;
};

SamplePass TriangulateSampleFrames(const SequenceContext& ctx, const Observations2d& observations) {
  const int num_frames = observations.num_frames(), num_joints = observations.num_joints();
  const int num_cameras = observations.num_cameras();
  SamplePass pass;
  pass.num_samples = std::min(num_frames, std::max(1, ctx.options->threshold_frames));
  const int sample = pass.num_samples;
  pass.errors.resize(static_cast<size_t>(sample) * num_cameras * num_joints);
  pass.points = Points3d(sample, num_joints);
  tbb::parallel_for(0, sample, [&](int k) {
    const frame_t f = static_cast<frame_t>(static_cast<int64_t>(k) * num_frames / sample);
    std::array<PointView, kMaxViews> views;
    std::array<camera_t, kMaxViews> cams;
    for (joint_t j = 0; j < num_joints; ++j) {
      const PointResult pr = TriangulateJoint(ctx, observations, f, j, views, cams);
      if (!pr.success || pr.num_views < 3) continue;
      pass.points.at(k, j) = pr.point;
      for (camera_t c = 0; c < num_cameras; ++c)
        if (pr.camera_mask & (uint64_t{1} << c))
          pass.errors[(static_cast<size_t>(k) * num_cameras + c) * num_joints + j].push_back(
              ctx.cameras[c].PixelError(pr.point, observations.at(c, f, j)));
    }
  });
  return pass;
}

double MedianInPlace(std::vector<double>& v) {
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

// Median length of every bone over the sample and its tolerance (relative): bone_tolerance_sigmas
// x the robust spread of the sample's lengths (1.4826 x MAD / median), clamped to
// [min_bone_tolerance, bone_tolerance] (bone_tolerance when that is smaller); bone_tolerance_sigmas
// 0: bone_tolerance. NaN for bones
// seen in fewer than 20 frames: too few to trust, no check on them. Throws when a bone names a
// joint outside the skeleton.
void MedianBoneLengths(const SamplePass& pass, const TriangulationOptions& options, int num_joints,
                       std::vector<double>* bone_lengths, std::vector<double>* tolerances) {
  const std::vector<Bone>& bones = options.bones;
  bone_lengths->assign(bones.size(), kNaN);
  tolerances->assign(bones.size(), options.bone_tolerance);
  for (size_t b = 0; b < bones.size(); ++b) {
    const Bone& bone = bones[b];
    if (bone.parent < 0 || bone.child < 0 || bone.parent >= num_joints || bone.child >= num_joints)
      throw std::invalid_argument("TriangulateSequence: a bone names a joint outside the skeleton");
    std::vector<double> lengths;
    for (int k = 0; k < pass.num_samples; ++k)
      if (pass.points.IsValid(k, bone.parent) && pass.points.IsValid(k, bone.child))
        lengths.push_back((pass.points.at(k, bone.parent) - pass.points.at(k, bone.child)).norm());
    if (lengths.size() < 20) continue;
    const double median = MedianInPlace(lengths);
    (*bone_lengths)[b] = median;
    if (!(options.bone_tolerance_sigmas > 0) || !(median > 0)) continue;
    for (double& l : lengths) l = std::abs(l - median);
    const double sigma_rel = 1.4826 * MedianInPlace(lengths) / median;
    (*tolerances)[b] = std::clamp(options.bone_tolerance_sigmas * sigma_rel,
                                  std::min(options.min_bone_tolerance, options.bone_tolerance), options.bone_tolerance);
  }
}


// Per-camera, per-joint thresholds [c * joints + j] from the sample's errors: threshold_sigmas x
// the noise sigma implied by the median error, clamped; cameras with fewer than 30 errors keep
// `thresholds`' values, joints with fewer than 30 take the camera's median.
void AdaptThresholds(const SamplePass& pass, const TriangulationOptions& options, int num_cameras, int num_joints,
                     std::vector<double>* thresholds) {
  for (camera_t c = 0; c < num_cameras; ++c) {
    std::vector<double> all_joints;
    std::vector<std::vector<double>> per_joint(num_joints);
    for (int k = 0; k < pass.num_samples; ++k)
      for (joint_t j = 0; j < num_joints; ++j) {
        const auto& e = pass.errors[(static_cast<size_t>(k) * num_cameras + c) * num_joints + j];
        per_joint[j].insert(per_joint[j].end(), e.begin(), e.end());
        all_joints.insert(all_joints.end(), e.begin(), e.end());
      }
    if (all_joints.size() < 30) continue;
    const double camera_median = MedianInPlace(all_joints);
    for (joint_t j = 0; j < num_joints; ++j) {
      const double m = per_joint[j].size() >= 30 ? MedianInPlace(per_joint[j]) : camera_median;
      // The median of a 2D Gaussian error's norm is 1.177 sigma.
      (*thresholds)[static_cast<size_t>(c) * num_joints + j] =
          std::clamp(options.threshold_sigmas * m / 1.177, options.min_threshold_px, options.max_threshold_px);
    }
  }
}

TriangulationResult EmptyResult(const Observations2d& observations, const TriangulationOptions& options) {
  const int num_frames = observations.num_frames(), num_joints = observations.num_joints();
  TriangulationResult result;
  result.points = Points3d(num_frames, num_joints);
  result.reproj_error_px = FrameJointArray<double>(num_frames, num_joints, kNaN);
  result.num_views = FrameJointArray<int32_t>(num_frames, num_joints, 0);
  result.view_mask = FrameJointArray<uint64_t>(num_frames, num_joints, 0);
  result.uncertainty_m = FrameJointArray<double>(num_frames, num_joints, kNaN);
  if (options.keep_covariance)
    result.covariance.assign(static_cast<size_t>(num_frames) * num_joints, Eigen::Matrix3d::Constant(kNaN));
  result.repaired = observations;
  return result;
}

// Per-frame counters, summed in frame order afterwards (deterministic).
struct FrameCounts {
  int32_t swaps = 0, robust = 0, bone_fixed = 0, bone_dropped = 0;
};

// What the per-frame steps share: read-only context, the result being filled (each frame
// writes only its own entries) and the per-observation errors of the final fits.
struct FrameOutputs {
  TriangulationResult* result = nullptr;
  std::vector<float>* used_error = nullptr;  // [(c * frames + f) * joints + j], NaN unless used
  std::vector<FrameCounts>* counts = nullptr;
};

// Per-thread scratch space of the frame worker.
struct FrameScratch {
  std::array<PointView, kMaxViews> views;
  std::array<camera_t, kMaxViews> cams;
  std::vector<PointResult> joints;
  std::vector<int8_t> suspect;
};

// Whether camera c's observations of a left/right pair are better explained swapped, given the
// pair's two points: both seen and each closer to the other's projection, or one seen that fits
// the other side far better than its own.
bool PairLooksSwapped(const CameraCache& cam, const Eigen::Vector3d& ol, const Eigen::Vector3d& orr, bool has_l,
                      bool has_r, const Eigen::Vector3d& left, const Eigen::Vector3d& right, double thr) {
  if (has_l && has_r) {
    // Each side's point projected once, compared with both detections.
    Eigen::Vector2d pl, pr;
    if (!cam.Project(left, &pl) || !cam.Project(right, &pr)) return false;
    const double keep = (pl - ol.head<2>()).norm() + (pr - orr.head<2>()).norm();
    const double swap = (pr - ol.head<2>()).norm() + (pl - orr.head<2>()).norm();
    return swap < 0.5 * keep && swap < 2.0 * thr && keep > 2.0 * thr;
  }
  if (has_l == has_r) return false;
  // One joint of the pair seen, labelled as the wrong side.
  const Eigen::Vector3d& o = has_l ? ol : orr;
  const Eigen::Vector3d& own = has_l ? left : right;
  const Eigen::Vector3d& other = has_l ? right : left;
  const double e_own = cam.PixelError(own, o), e_other = cam.PixelError(other, o);
  return e_own > thr && e_other < 0.5 * thr && e_other < 0.25 * e_own;
}

// Left/right swap repair of frame f: exchanges the observations (and their normalised copies)
// of every camera whose pair looks swapped, then re-triangulates the joints of every pair when
// anything changed. Returns the number of (camera, pair) swaps.
int RepairSwaps(const SequenceContext& ctx, frame_t f, Observations2d* repaired, FrameScratch* scratch) {
  const TriangulationOptions& options = *ctx.options;
  Observations2d& normalized = *ctx.normalized;
  int swaps = 0;
  for (const SymmetricPair& pair : options.symmetric_pairs) {
    const PointResult& rl = scratch->joints[pair.left];
    const PointResult& rr = scratch->joints[pair.right];
    if (!rl.success || !rr.success) continue;
    for (camera_t c = 0; c < repaired->num_cameras(); ++c) {
      Eigen::Vector3d& ol = repaired->at(c, f, pair.left);
      Eigen::Vector3d& orr = repaired->at(c, f, pair.right);
      const bool has_l = ol.z() >= options.min_confidence && ol.z() > 0;
      const bool has_r = orr.z() >= options.min_confidence && orr.z() > 0;
      const double thr = ctx.thresholds_px.empty()
                             ? options.ransac.reprojection_threshold_px
                             : 0.5 * (ctx.thresholds_px[static_cast<size_t>(c) * ctx.num_joints + pair.left] +
                                      ctx.thresholds_px[static_cast<size_t>(c) * ctx.num_joints + pair.right]);
      if (!PairLooksSwapped(ctx.cameras[c], ol, orr, has_l, has_r, rl.point, rr.point, thr)) continue;
      std::swap(ol, orr);
      std::swap(normalized.at(c, f, pair.left), normalized.at(c, f, pair.right));
      ++swaps;
    }
  }
  if (swaps > 0) {
    for (const SymmetricPair& pair : options.symmetric_pairs)
      for (joint_t j : {pair.left, pair.right})
        scratch->joints[j] = TriangulateJoint(ctx, *repaired, f, j, scratch->views, scratch->cams);
  }
  return swaps;
}

// How many checked bones of joint j the point x fits (within bone_tolerance); `checked` counts
// the bones to a neighbour that is itself well supported (three views or more).
int CountFittingBones(const SequenceContext& ctx, const std::vector<PointResult>& joints, joint_t j,
                      const Eigen::Vector3d& x, int* checked) {
  const TriangulationOptions& options = *ctx.options;
  int ok = 0;
  *checked = 0;
  for (size_t b = 0; b < options.bones.size(); ++b) {
    const Bone& bone = options.bones[b];
    if (!std::isfinite(ctx.bone_lengths[b]) || (bone.parent != j && bone.child != j)) continue;
    const joint_t other = bone.parent == j ? bone.child : bone.parent;
    const PointResult& o = joints[other];
    if (!o.success || o.num_views < 3) continue;
    ++*checked;
    if (std::abs((x - o.point).norm() - ctx.bone_lengths[b]) <= ctx.bone_tolerances[b] * ctx.bone_lengths[b]) ++ok;
  }
  return ok;
}

// Skeleton check of frame f: a joint is suspect when it misses every checked bone; suspects are
// decided in joint order against the neighbours' estimates before the check, then re-estimated
// from the view subsets that fit a bone, or dropped when none does and fewer than three views
// support them (with three or more the neighbour may be the wrong one).
void CheckSkeleton(const SequenceContext& ctx, frame_t f, const Observations2d& repaired, FrameScratch* scratch,
                   FrameCounts* counts) {
  std::vector<PointResult>& joints = scratch->joints;
  for (joint_t j = 0; j < ctx.num_joints; ++j) {
    scratch->suspect[j] = 0;
    if (!joints[j].success) continue;
    int checked = 0;
    const int ok = CountFittingBones(ctx, joints, j, joints[j].point, &checked);
    scratch->suspect[j] = checked > 0 && ok == 0;
  }
  for (joint_t j = 0; j < ctx.num_joints; ++j) {
    if (!scratch->suspect[j]) continue;
    const int n = BuildViews(ctx, repaired, f, j, scratch->views.data(), scratch->cams.data());
    auto fits_a_bone = [&](const Eigen::Vector3d& x) {
      int checked = 0;
      return CountFittingBones(ctx, joints, j, x, &checked) > 0;
    };
    RobustTriangulation alt;
    if (n >= 2) alt = EstimateTriangulationAccepted(scratch->views.data(), n, ctx.options->ransac, fits_a_bone);
    PointResult& pr = joints[j];
    if (!alt.success) {
      if (pr.num_views < 3) {
        pr = PointResult{};
        ++counts->bone_dropped;
      }
      continue;
    }
    pr.point = alt.point;
    pr.normal_matrix = alt.normal_matrix;
    pr.cost = alt.cost;
    pr.weight_sum = alt.weight_sum;
    pr.camera_mask = 0;
    for (int i = 0; i < n; ++i)
      if (alt.inlier_mask & (uint64_t{1} << i)) pr.camera_mask |= uint64_t{1} << scratch->cams[i];
    pr.num_views = __builtin_popcountll(pr.camera_mask);
    ++counts->bone_fixed;
  }
}

// Writes the joints of frame f to the result: point, views, error (in the distorted image) and
// covariance over the views used.
void StoreFrame(const SequenceContext& ctx, frame_t f, const std::vector<PointResult>& joints, FrameOutputs* out,
                FrameCounts* counts) {
  const TriangulationOptions& options = *ctx.options;
  TriangulationResult& result = *out->result;
  const int num_frames = result.points.num_frames();
  for (joint_t j = 0; j < ctx.num_joints; ++j) {
    const PointResult& pr = joints[j];
    counts->robust += pr.robust_search ? 1 : 0;
    if (!pr.success) continue;
    result.points.at(f, j) = pr.point;
    result.view_mask.at(f, j) = pr.camera_mask;
    result.num_views.at(f, j) = pr.num_views;
    double err_sum = 0.0;
    for (camera_t c = 0; c < static_cast<camera_t>(ctx.cameras.size()); ++c) {
      if (!(pr.camera_mask & (uint64_t{1} << c))) continue;
      const double e = ctx.cameras[c].PixelError(pr.point, result.repaired.at(c, f, j));
      (*out->used_error)[(static_cast<size_t>(c) * num_frames + f) * ctx.num_joints + j] = static_cast<float>(e);
      err_sum += e;
    }
    result.reproj_error_px.at(f, j) = err_sum / pr.num_views;
    const Eigen::Matrix3d cov = TriangulationCovarianceFromNormal(pr.normal_matrix, pr.cost, pr.weight_sum,
                                                                  pr.num_views, options.prior_sigma_px);
    result.uncertainty_m.at(f, j) = std::sqrt(cov.trace());
    if (options.keep_covariance) result.covariance[static_cast<size_t>(f) * ctx.num_joints + j] = cov;
  }
}

// One frame: every joint, swap repair, skeleton check, then the result.
void TriangulateFrame(const SequenceContext& ctx, frame_t f, FrameScratch* scratch, FrameOutputs* out) {
  const TriangulationOptions& options = *ctx.options;
  Observations2d& repaired = out->result->repaired;
  FrameCounts& counts = (*out->counts)[f];
  for (joint_t j = 0; j < ctx.num_joints; ++j)
    scratch->joints[j] = TriangulateJoint(ctx, repaired, f, j, scratch->views, scratch->cams);
  if (options.robust && options.repair_swaps && !options.symmetric_pairs.empty())
    counts.swaps += RepairSwaps(ctx, f, &repaired, scratch);
  if (options.robust && options.skeleton_check && !options.bones.empty()) CheckSkeleton(ctx, f, repaired, scratch, &counts);
  StoreFrame(ctx, f, scratch->joints, out, &counts);
}

// Counts, per-joint shares and the outliers dropped (serial: independent of the threads).
void SummarizePoints(const TriangulationResult& result, const std::vector<FrameCounts>& counts,
                     double min_confidence, TriangulationSummary* s) {
  const int num_frames = result.points.num_frames(), num_joints = result.points.num_joints();
  s->num_points = static_cast<int64_t>(num_frames) * num_joints;
  s->joint_triangulated_share.assign(num_joints, 0.0);
  int64_t used_total = 0, observed_of_triangulated = 0;
  for (frame_t f = 0; f < num_frames; ++f) {
    s->num_swaps_fixed += counts[f].swaps;
    s->num_robust_searches += counts[f].robust;
    s->num_bone_fixed += counts[f].bone_fixed;
    s->num_bone_dropped += counts[f].bone_dropped;
    for (joint_t j = 0; j < num_joints; ++j) {
      if (!result.points.IsValid(f, j)) continue;
      ++s->num_triangulated;
      s->joint_triangulated_share[j] += 1.0;
      // Observations of triangulated points that the robust fit did not use.
      for (camera_t c = 0; c < result.repaired.num_cameras(); ++c)
        if (Usable(result.repaired.at(c, f, j), min_confidence)) ++observed_of_triangulated;
      used_total += result.num_views.at(f, j);
    }
  }
  for (auto& share : s->joint_triangulated_share) share /= std::max(1, num_frames);
  s->num_outliers_dropped = observed_of_triangulated - used_total;
}

// Per-camera thresholds, observation counts and errors, and the errors over all cameras.
void SummarizeCameras(const TriangulationResult& result, const std::vector<float>& used_error,
                      const std::vector<double>& thresholds, double min_confidence, TriangulationSummary* s) {
  const int num_cameras = result.repaired.num_cameras(), num_frames = result.points.num_frames();
  const int num_joints = result.points.num_joints();
  s->cameras.assign(num_cameras, {});
  for (camera_t c = 0; c < num_cameras; ++c) {
    double sum = 0;
    for (joint_t j = 0; j < num_joints; ++j) sum += thresholds[static_cast<size_t>(c) * num_joints + j];
    s->cameras[c].threshold_px = num_joints ? sum / num_joints : kNaN;
  }
  std::vector<std::vector<double>> errors(num_cameras);
  tbb::parallel_for(0, num_cameras, [&](int c) {
    CameraTriangulationStats& cs = s->cameras[c];
    auto& errs = errors[c];
    for (frame_t f = 0; f < num_frames; ++f) {
      for (joint_t j = 0; j < num_joints; ++j) {
        if (!Usable(result.repaired.at(c, f, j), min_confidence)) continue;
        ++cs.observed;
        if (!(result.view_mask.at(f, j) & (uint64_t{1} << c))) continue;
        ++cs.used;
        errs.push_back(used_error[(static_cast<size_t>(c) * num_frames + f) * num_joints + j]);
      }
    }
    if (errs.empty()) return;
    cs.mean_error_px = std::accumulate(errs.begin(), errs.end(), 0.0) / static_cast<double>(errs.size());
    std::vector<double> tmp = errs;
    cs.median_error_px = MedianInPlace(tmp);
  });
  std::vector<double> all_errors;
  for (int c = 0; c < num_cameras; ++c) {
    s->num_observations += s->cameras[c].observed;
    all_errors.insert(all_errors.end(), errors[c].begin(), errors[c].end());
  }
  if (all_errors.empty()) return;
  s->mean_error_px = std::accumulate(all_errors.begin(), all_errors.end(), 0.0) / static_cast<double>(all_errors.size());
  s->median_error_px = MedianInPlace(all_errors);
}

}  // namespace

TriangulationResult TriangulateSequence(const Rig& rig, const Observations2d& observations,
                                        const TriangulationOptions& options) {
  options.Check();
  CheckInputs(rig, observations);
  const int num_frames = observations.num_frames(), num_joints = observations.num_joints();
  const int num_cameras = observations.num_cameras();

  SequenceContext ctx;
  ctx.rig = &rig;
  ctx.options = &options;
  ctx.cameras = CacheCameras(rig);
  ctx.num_joints = num_joints;
  Observations2d normalized = NormalizeObservations(rig, observations, options.min_confidence);
  ctx.normalized = &normalized;

  // Per-camera, per-joint thresholds and the bone lengths from a first pass over evenly spread
  // frames (detector noise differs between joints, e.g. wrists against shoulders, and grows with
  // the person's size in each camera).
  std::vector<double> thresholds(static_cast<size_t>(num_cameras) * num_joints, options.ransac.reprojection_threshold_px);
  const bool check_bones = options.robust && options.skeleton_check && !options.bones.empty();
  ctx.bone_lengths.assign(options.bones.size(), kNaN);
  ctx.bone_tolerances.assign(options.bones.size(), options.bone_tolerance);
  if (options.robust && (options.adaptive_threshold || check_bones) && num_frames > 0) {
    const SamplePass pass = TriangulateSampleFrames(ctx, observations);
    if (check_bones) MedianBoneLengths(pass, options, num_joints, &ctx.bone_lengths, &ctx.bone_tolerances);
    if (options.adaptive_threshold) {
      AdaptThresholds(pass, options, num_cameras, num_joints, &thresholds);
      ctx.thresholds_px = thresholds;
    }
  }

  TriangulationResult result = EmptyResult(observations, options);
  std::vector<float> used_error(static_cast<size_t>(num_cameras) * num_frames * num_joints,
                                std::numeric_limits<float>::quiet_NaN());
  std::vector<FrameCounts> counts(num_frames);
  FrameOutputs outputs{&result, &used_error, &counts};
  std::atomic<size_t> frames_done{0};
  const size_t progress_step = std::max<size_t>(1, static_cast<size_t>(num_frames) / 100);
  tbb::parallel_for(tbb::blocked_range<int>(0, num_frames, 64), [&](const tbb::blocked_range<int>& range) {
    FrameScratch scratch;
    scratch.joints.resize(num_joints);
    scratch.suspect.assign(num_joints, 0);
    for (frame_t f = range.begin(); f != range.end(); ++f) {
      TriangulateFrame(ctx, f, &scratch, &outputs);
      if (!options.progress) continue;
      const size_t done = frames_done.fetch_add(1) + 1;
      if (done % progress_step == 0 || done == static_cast<size_t>(num_frames))
        options.progress("triangulating", done, static_cast<size_t>(num_frames));
    }
  });

  SummarizePoints(result, counts, options.min_confidence, &result.summary);
  SummarizeCameras(result, used_error, thresholds, options.min_confidence, &result.summary);
  return result;
}

}  // namespace epilabel
