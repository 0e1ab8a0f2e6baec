#include "geometry/sync/calibrated_sync.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <stdexcept>

#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include <fmt/format.h>

#include "geometry/estimators/point_triangulation.h"

namespace epilabel {

namespace {

// A triangulated joint projected into the camera under test.
struct Target {
  int track = 0;
  int joint = 0;
  double t_s = 0.0;            // reference time
  Eigen::Vector2d pixel;       // projection into the camera under test
  double view_error_px = 0.0;  // the largest reprojection error of the views it was triangulated from
};

double MedianOf(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

// The joints of the sampled reference frames, triangulated from every camera but `camera`.
std::vector<Target> Targets(const Rig& rig, const SyncInput& input, const std::vector<double>& offsets_s, int camera,
                            const CalibratedSyncOptions& options) {
  const double reference_fps = input.fps[input.reference];
  std::vector<Target> targets;
  for (size_t k = 0; k < input.tracks.size(); ++k) {
    const Observations2d& track = input.tracks[k];
    const int frames = track.num_frames();
    const int step = std::max(1, (frames + options.max_frames - 1) / options.max_frames);
    const int samples = (frames + step - 1) / step;
    std::vector<std::vector<Target>> slots(samples);
    tbb::parallel_for(0, samples, [&](int s) {
      const double t_s = s * step / reference_fps;
      PointView views[kMaxTriangulationViews];
      for (int j = 0; j < track.num_joints(); ++j) {
        int n = 0;
        for (int d = 0; d < input.num_cameras() && n < kMaxTriangulationViews; ++d) {
          if (d == camera) continue;
          const auto kp = InterpolateKeypoint(track, d, CameraFrameAt(t_s, offsets_s[d], input.fps[d]), j);
          if (!kp) continue;
          PointView& v = views[n++];
          v.rotation = rig[d].cam_from_world.RotationMatrix();
          v.translation = rig[d].cam_from_world.translation;
          v.normalized = rig[d].NormalizedFromImage(kp->head<2>());
          v.focal_px = rig[d].MeanFocal();
          v.weight = kp->z();
        }
        if (n < 2) continue;
        const auto point = TriangulateLinear(views, n);
        if (!point) continue;
        double view_error = 0.0;
        for (int i = 0; i < n; ++i) view_error = std::max(view_error, ReprojectionErrorPx(views[i], *point));
        const auto pixel = rig[camera].ImageFromWorld(*point);
        if (pixel) slots[s].push_back({static_cast<int>(k), j, t_s, *pixel, view_error});
      }
    });
    for (auto& slot : slots) targets.insert(targets.end(), slot.begin(), slot.end());
  }
  // Points whose views disagree (a wrong match, an outlier) are left out: beyond twice the
  // threshold or three times the median disagreement, whichever is larger (a calibration that
  // fits the detections loosely still keeps most points).
  std::vector<double> errors;
  for (const Target& target : targets) errors.push_back(target.view_error_px);
  const double cutoff = std::max(2.0 * options.threshold_px, 3.0 * MedianOf(errors));
  std::vector<Target> kept;
  for (const Target& target : targets) {
    if (target.view_error_px < cutoff) kept.push_back(target);
  }
  return kept;
}

// The truncation threshold for one camera: options.threshold_px, or three times the median error
// at the start offset when the calibration fits its detections more loosely than that.
double Threshold(const SyncInput& input, const std::vector<Target>& targets, int camera, double start_s,
                 double threshold_px) {
  std::vector<double> errors;
  for (const Target& target : targets) {
    const double frame = CameraFrameAt(target.t_s, start_s, input.fps[camera]);
    const auto kp = InterpolateKeypoint(input.tracks[target.track], camera, frame, target.joint);
    if (kp) errors.push_back((kp->head<2>() - target.pixel).norm());
  }
  return std::max(threshold_px, 3.0 * MedianOf(errors));
}

// Mean truncated squared error of the camera's keypoints at `offset_s` against the targets;
// infinity with fewer than 10 points.
double Cost(const SyncInput& input, const std::vector<Target>& targets, int camera, double offset_s,
            double threshold_px) {
  double sum = 0.0;
  int n = 0;
  for (const Target& target : targets) {
    const double frame = CameraFrameAt(target.t_s, offset_s, input.fps[camera]);
    const auto kp = InterpolateKeypoint(input.tracks[target.track], camera, frame, target.joint);
    if (!kp) continue;
    sum += std::min((kp->head<2>() - target.pixel).squaredNorm(), threshold_px * threshold_px);
    ++n;
  }
  return n >= 10 ? sum / n : std::numeric_limits<double>::infinity();
}

// The standard error of the minimum `offset_s` (reference frames): with the cost C(d) the mean
// of n points' truncated squared errors, a minimum d* moves by C'(d*) / C''(d*) when the points
// are redrawn, and C'(d*) is the mean of the points' slopes g_i, so SE = sd(sum g_i) / (n C'').
// The slopes are summed over blocks of `block_frames` reference frames first (the joints of a
// frame share the body's motion and the smoothing correlates neighbouring frames), and the
// block sums are treated as independent. Slopes and curvature are central differences at
// +/- a quarter frame, over the points interpolable at all three offsets. Infinity when the
// curvature is not positive or fewer than 3 blocks remain.
double StandardErrorFrames(const SyncInput& input, const std::vector<Target>& targets, int camera, double offset_s,
                           double threshold_px, double block_frames) {
  const double reference_fps = input.fps[input.reference];
  const double h = 0.25 / reference_fps;
  const double cap = threshold_px * threshold_px;
  std::map<long, double> blocks;  // block index -> sum of slopes (per second)
  double sum_minus = 0.0, sum_zero = 0.0, sum_plus = 0.0;
  int n = 0;
  for (const Target& target : targets) {
    double e[3];
    bool ok = true;
    for (int k = 0; k < 3 && ok; ++k) {
      const double frame = CameraFrameAt(target.t_s, offset_s + (k - 1) * h, input.fps[camera]);
      const auto kp = InterpolateKeypoint(input.tracks[target.track], camera, frame, target.joint);
      if (!kp) ok = false;
      else e[k] = std::min((kp->head<2>() - target.pixel).squaredNorm(), cap);
    }
    if (!ok) continue;
    sum_minus += e[0];
    sum_zero += e[1];
    sum_plus += e[2];
    ++n;
    const long block = static_cast<long>(std::floor(target.t_s * reference_fps / block_frames)) * 1000 + target.track;
    blocks[block] += (e[2] - e[0]) / (2.0 * h);
  }
  const double curvature = (sum_plus - 2.0 * sum_zero + sum_minus) / (h * h * std::max(n, 1));
  if (n < 10 || blocks.size() < 3 || !(curvature > 0.0)) return std::numeric_limits<double>::infinity();
  double mean = 0.0;
  for (const auto& [block, g] : blocks) mean += g;
  mean /= blocks.size();
  double var = 0.0;
  for (const auto& [block, g] : blocks) var += (g - mean) * (g - mean);
  var *= static_cast<double>(blocks.size()) / (blocks.size() - 1);
  return std::sqrt(var) / (n * curvature) * reference_fps;
}

// Scan, then golden-section search of the cost around `start` (seconds).
void MinimiseCost(const SyncInput& input, const std::vector<Target>& targets, int camera, double start,
                  const CalibratedSyncOptions& options, CameraOffset* out) {
  const double frame_s = 1.0 / input.fps[input.reference];
  const double threshold = Threshold(input, targets, camera, start, options.threshold_px);
  const auto cost = [&](double offset) { return Cost(input, targets, camera, offset, threshold); };
  const int steps = static_cast<int>(std::ceil(options.search_frames / 0.25));
  std::vector<double> scan;
  int best = 0;
  for (int i = -steps; i <= steps; ++i) {
    scan.push_back(cost(start + i * 0.25 * frame_s));
    if (scan.back() < scan[best]) best = static_cast<int>(scan.size()) - 1;
  }
  if (!std::isfinite(scan[best])) {
    out->note = "too few points seen by this camera and two others";
    return;
  }
  const double golden = 0.5 * (std::sqrt(5.0) - 1.0);
  double a = start + (best - steps - 1) * 0.25 * frame_s, b = start + (best - steps + 1) * 0.25 * frame_s;
  double x1 = b - golden * (b - a), x2 = a + golden * (b - a);
  double f1 = cost(x1), f2 = cost(x2);
  while (b - a > options.tolerance_frames * frame_s) {
    if (f1 < f2) {
      b = x2;
      x2 = x1;
      f2 = f1;
      x1 = b - golden * (b - a);
      f1 = cost(x1);
    } else {
      a = x1;
      x1 = x2;
      f1 = f2;
      x2 = a + golden * (b - a);
      f2 = cost(x2);
    }
  }
  double offset = 0.5 * (a + b);
  double minimum = cost(offset);
  if (!(minimum <= scan[best])) {
    offset = start + (best - steps) * 0.25 * frame_s;
    minimum = scan[best];
  }
  std::vector<double> finite;
  for (double v : scan) finite.push_back(std::isfinite(v) ? v : threshold * threshold);
  std::nth_element(finite.begin(), finite.begin() + finite.size() / 2, finite.end());
  const double median = finite[finite.size() / 2];
  out->offset_s = offset;
  out->cost_px = std::sqrt(minimum);
  out->confidence = median > 0.0 ? std::clamp(1.0 - minimum / median, 0.0, 1.0) : 0.0;
  out->signals = static_cast<int>(targets.size());
  out->standard_error_frames = StandardErrorFrames(input, targets, camera, offset, threshold,
                                                   std::max(1.0, 6.0 * options.smoothing_frames));
  out->estimated = true;
  if (best == 0 || best + 1 == static_cast<int>(scan.size())) {
    out->note = "the minimum is at the end of the searched interval (the start may be far off)";
  }
}

// The tracks smoothed in time (SmoothedInTime: `sigma` frames).
SyncInput Smoothed(const SyncInput& input, double sigma) {
  SyncInput out = input;
  for (size_t k = 0; k < input.tracks.size(); ++k) {
    const Observations2d& in = input.tracks[k];
    for (int c = 0; c < in.num_cameras(); ++c) {
      const Observations2d smooth = SmoothedInTime(in, c, sigma);
      for (int f = 0; f < in.num_frames(); ++f)
        for (int j = 0; j < in.num_joints(); ++j)
          if (in.IsObserved(c, f, j)) out.tracks[k].at(c, f, j).head<2>() = smooth.at(0, f, j).head<2>();
    }
  }
  return out;
}

// Whether a camera's calibrated minimum is sure (see the header): its confidence, and a note
// when not sure.
struct Judgement {
  bool sure = false;
  bool contradicted = false;  // a clear minimum (convex, precise) that the check contradicts
  double confidence = 0.0;
  std::string why;  // the check's comparison, or why there is none
};

bool Checkable(const EpipolarOffset& check) {
  return check.estimated && std::isfinite(check.standard_error_frames) && check.standard_error_frames > 0.0;
}

Judgement Judge(const CameraOffset& refined, const EpipolarOffset& check, double reference_fps,
                const CalibratedSyncOptions& options) {
  Judgement out;
  if (!Checkable(check)) {
    out.confidence = refined.confidence;
    out.sure = refined.confidence >= options.min_confidence && refined.note.empty();
    if (options.check.radius_frames > 0.0)
      out.why = "no independent check: " + (!check.note.empty() ? check.note
                                            : check.estimated ? std::string("no standard error")
                                                              : std::string("the start is not estimated"));
    return out;
  }
  const double minimum = refined.offset_s * reference_fps, se = refined.standard_error_frames;
  // (the golden-section search's tolerance too: noise-free keypoints have standard errors near 0)
  const double combined = std::sqrt((std::isfinite(se) ? se * se : 0.0) + check.standard_error_frames *
                                    check.standard_error_frames + options.tolerance_frames * options.tolerance_frames);
  const double z = std::abs(minimum - check.offset_frames) / combined;
  const std::string both = fmt::format("calibrated {:+.3f} +/- {:.3f}, epipolar {:+.3f} +/- {:.3f} frames", minimum,
                                       se, check.offset_frames, check.standard_error_frames);
  out.confidence = refined.confidence;  // not sure for want of a clear valley: its depth
  if (!refined.note.empty() || !std::isfinite(se)) {
    out.why = both + "; " + (refined.note.empty() ? "the calibrated cost is not convex at its minimum" : refined.note);
  } else if (se > options.max_standard_error_frames) {
    out.why = fmt::format("{}; the calibrated standard error is over {:g} frame", both,
                          options.max_standard_error_frames);
  } else if (z > options.disagreement_se) {
    out.why = fmt::format("{}; {:.1f} combined standard errors apart (over {:g})", both, z, options.disagreement_se);
    out.contradicted = true;
    out.confidence = 0.0;
  } else {
    out.sure = true;
    out.confidence = std::clamp(1.0 - z / (2.0 * options.disagreement_se), 0.0, 1.0);
    out.why = fmt::format("{}; agree ({:.1f} combined standard errors apart)", both, z);
  }
  return out;
}

// The rounds over the cameras from `start` (see the header), `input` smoothed; *unconfirmed: the
// cameras whose minimum the check contradicts in the last round (start kept, confidence 0).
SyncResult Passes(const Rig& rig, const SyncInput& input, const SyncResult& start,
                  const std::vector<EpipolarOffset>& checks, const CalibratedSyncOptions& options, int* unconfirmed) {
  SyncResult result = start;
  result.method = "calibrated";
  result.reference = input.reference;
  result.reference_fps = input.fps[input.reference];
  result.success = true;
  result.reason.clear();
  std::vector<double> offsets = start.OffsetsSeconds();
  offsets[input.reference] = 0.0;
  std::vector<bool> refined_any(input.num_cameras(), false);  // cameras the refinement moved
  std::vector<bool> contradicted(input.num_cameras(), false);
  for (int pass = 0; pass < options.passes; ++pass) {
    for (int c = 0; c < input.num_cameras(); ++c) {
      if (c == input.reference) continue;
      CameraOffset refined;
      MinimiseCost(input, Targets(rig, input, offsets, c, options), c, offsets[c], options, &refined);
      if (!refined.estimated) {
        result.cameras[c].note = refined.note;
        continue;
      }
      const Judgement judgement = Judge(refined, checks[c], input.fps[input.reference], options);
      if (judgement.contradicted || (!options.keep_unsure && !judgement.sure)) {
        // No clear valley (a calibration that fits the detections loosely, too little motion
        // between frames), or a minimum the check contradicts (also with keep_unsure): the start
        // is kept.
        result.cameras[c].note = fmt::format("calibrated refinement not sure (confidence {:.2f}, minimum at {:+.3f} +/- {:.3f} frames{}{}); start kept",
                                             judgement.confidence, refined.offset_s * input.fps[input.reference],
                                             refined.standard_error_frames, judgement.why.empty() ? "" : "; ", judgement.why);
        if (judgement.contradicted) result.cameras[c].confidence = 0.0;
        result.cameras[c].contradicted = contradicted[c] = judgement.contradicted;
        continue;
      }
      refined.confidence = judgement.confidence;
      if (judgement.sure && Checkable(checks[c])) refined.choice = "checked: " + judgement.why;
      if (!judgement.sure)
        refined.note = fmt::format("calibrated refinement not sure (confidence {:.2f}{}{}); taken", refined.confidence,
                                   judgement.why.empty() ? "" : "; ", judgement.why);
      refined.peak_correlation = start.cameras[c].peak_correlation;
      result.cameras[c] = refined;
      contradicted[c] = false;
      offsets[c] = refined.offset_s;
      refined_any[c] = true;
    }
    // A shift common to every other camera is the slow mode of the round above (the reference
    // is one view among many): measure the reference against the others and take it out.
    CameraOffset common;
    MinimiseCost(input, Targets(rig, input, offsets, input.reference, options), input.reference, 0.0, options, &common);
    if (!common.estimated || common.confidence < options.min_confidence || !common.note.empty()) continue;
    for (int c = 0; c < input.num_cameras(); ++c) {
      if (c == input.reference || !refined_any[c]) continue;
      offsets[c] -= common.offset_s;
      result.cameras[c].offset_s = offsets[c];
    }
  }
  *unconfirmed = static_cast<int>(std::count(contradicted.begin(), contradicted.end(), true));
  for (CameraOffset& camera : result.cameras) camera.offset_frames = camera.offset_s * result.reference_fps;
  return result;
}

}  // namespace

void CalibratedSyncOptions::Check() const {
  if (!(smoothing_frames >= 0.0 && search_frames > 0.0 && tolerance_frames > 0.0 && threshold_px > 0.0 && max_frames > 0 &&
        passes > 0 && disagreement_se > 0.0 && max_standard_error_frames > 0.0)) {
    throw std::invalid_argument("CalibratedSyncOptions: values must be positive");
  }
  check.Check();
}

double CalibratedSyncScore(const Rig& rig, const SyncInput& raw_input, const std::vector<double>& offsets_s,
                           const CalibratedSyncOptions& options) {
  raw_input.Check();
  options.Check();
  if (static_cast<int>(rig.size()) != raw_input.num_cameras() || offsets_s.size() != rig.size())
    throw std::invalid_argument("CalibratedSyncScore: one camera and one offset per camera expected");
  std::unique_ptr<tbb::global_control> threads;
  if (options.num_threads > 0)
    threads = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism, options.num_threads);
  const SyncInput input = options.smoothing_frames > 0.0 ? Smoothed(raw_input, options.smoothing_frames) : raw_input;
  double sum = 0.0;
  for (int c = 0; c < input.num_cameras(); ++c)
    sum += Cost(input, Targets(rig, input, offsets_s, c, options), c, offsets_s[c], options.threshold_px);
  return sum / input.num_cameras();
}

std::vector<double> CalibratedSyncCost(const Rig& rig, const SyncInput& input, const std::vector<double>& offsets_s_all,
                                       int camera, const std::vector<double>& offsets_s,
                                       const CalibratedSyncOptions& options) {
  const std::vector<Target> targets = Targets(rig, input, offsets_s_all, camera, options);
  std::vector<double> out;
  for (double offset : offsets_s) out.push_back(Cost(input, targets, camera, offset, options.threshold_px));
  return out;
}

SyncResult RefineOffsetsWithCalibration(const Rig& rig, const SyncInput& raw_input, const SyncResult& start,
                                        const CalibratedSyncOptions& options) {
  raw_input.Check();
  options.Check();
  if (static_cast<int>(rig.size()) != raw_input.num_cameras() || start.cameras.size() != rig.size()) {
    throw std::invalid_argument("RefineOffsetsWithCalibration: one camera and one start per camera expected");
  }
  std::unique_ptr<tbb::global_control> threads;
  if (options.num_threads > 0) {
    threads = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism, options.num_threads);
  }
  const SyncInput smoothed = options.smoothing_frames > 0.0 ? Smoothed(raw_input, options.smoothing_frames) : raw_input;
  std::vector<double> offsets = start.OffsetsSeconds();
  offsets[raw_input.reference] = 0.0;
  const double reference_fps = raw_input.fps[raw_input.reference];
  // The independent check of every camera (against the reference alone, from the start).
  std::vector<EpipolarOffset> checks(raw_input.num_cameras());
  for (int c = 0; c < raw_input.num_cameras() && options.check.radius_frames > 0.0; ++c) {
    if (c != raw_input.reference && start.cameras[c].estimated)
      checks[c] = RefineOffsetByEpipolarGeometry(raw_input, c, offsets[c] * raw_input.fps[raw_input.reference], options.check);
  }
  int unconfirmed = 0;
  SyncResult result = Passes(rig, smoothed, start, checks, options, &unconfirmed);
  if (unconfirmed == 0) return result;
  // Minima the checks contradict: the start (or the other cameras' offsets it triangulates from)
  // may be wrong. Once more from the checks' own estimates; kept when it confirms more cameras.
  SyncResult from_checks = start;
  for (int c = 0; c < raw_input.num_cameras(); ++c) {
    if (c == raw_input.reference || !Checkable(checks[c])) continue;
    from_checks.cameras[c].offset_frames = checks[c].offset_frames;
    from_checks.cameras[c].offset_s = checks[c].offset_frames / reference_fps;
    from_checks.cameras[c].confidence = 0.0;  // sure only once the calibrated minimum confirms it
  }
  int unconfirmed_again = 0;
  SyncResult again = Passes(rig, smoothed, from_checks, checks, options, &unconfirmed_again);
  if (unconfirmed_again >= unconfirmed) return result;
  for (int c = 0; c < raw_input.num_cameras(); ++c) {
    if (c == raw_input.reference) continue;
    std::string& said = again.cameras[c].choice.empty() ? again.cameras[c].note : again.cameras[c].choice;
    said = fmt::format("started from the epipolar estimates ({} of the cameras' minima contradicted the given start){}{}",
                       unconfirmed, said.empty() ? "" : "; ", said);
  }
  return again;
}

}  // namespace epilabel
