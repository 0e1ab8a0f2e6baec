#include "geometry/sync/motion_sync.h"

#include <algorithm>
#include <cstdint>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <Eigen/LU>
#include <fmt/format.h>
#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

namespace epilabel {

namespace {

// One joint signal on the grid: value 0 where invalid, mask 1 where valid.
struct Signal {
  std::vector<float> value, mask;
  std::vector<float> vx, vy;  // the velocity (sizes per second), 0 where invalid
  int valid = 0;
  std::vector<double> autocorrelation;  // rho(0..K) over the valid samples (SignalAutocorrelation)
};

// Positions of camera c, track k on the reference grid (rate `grid_fps`), NaN where unseen.
std::vector<Eigen::Vector2d> GridPositions(const Observations2d& track, int camera, double fps, double grid_fps,
                                           int joint, int grid_frames) {
  std::vector<Eigen::Vector2d> out(grid_frames, Eigen::Vector2d::Constant(std::numeric_limits<double>::quiet_NaN()));
  for (int g = 0; g < grid_frames; ++g) {
    const double frame = fps == grid_fps ? g : g / grid_fps * fps;
    if (auto k = InterpolateKeypoint(track, camera, frame, joint)) out[g] = k->head<2>();
  }
  return out;
}

int GridFrames(const Observations2d& track, double fps, double grid_fps) {
  if (track.num_frames() < 1) return 0;
  return static_cast<int>(std::floor((track.num_frames() - 1) / fps * grid_fps + 1e-9)) + 1;
}

// How long camera c recorded, in frames of the grid (rate grid_fps): from its first frame (at
// input.fps[c]) through the last one where it sees any joint of any track; 0 when it sees none.
// Each camera's frames count at its own rate: a 60-fps camera's 150 frames are 75 frames of a
// 30-fps grid.
int RecordedGridFrames(const SyncInput& input, int camera, double grid_fps) {
  int last = -1;
  for (const Observations2d& track : input.tracks) {
    for (int f = track.num_frames() - 1; f > last; --f) {
      bool seen = false;
      for (int j = 0; j < track.num_joints() && !seen; ++j) seen = track.IsObserved(camera, f, j);
      if (seen) {
        last = f;
        break;
      }
    }
  }
  return last < 0 ? 0 : static_cast<int>(std::floor(last / input.fps[camera] * grid_fps + 1e-9)) + 1;
}

// The person's image size in camera c: median over frames (with 5+ joints) of the diagonal of
// the joints' bounding box, pixels; 0 when never seen so.
double PersonSizePx(const Observations2d& track, int camera) {
  std::vector<double> sizes;
  for (int f = 0; f < track.num_frames(); ++f) {
    Eigen::Vector2d lo = Eigen::Vector2d::Constant(1e300), hi = -lo;
    int seen = 0;
    for (int j = 0; j < track.num_joints(); ++j) {
      if (!track.IsObserved(camera, f, j)) continue;
      lo = lo.cwiseMin(track.at(camera, f, j).head<2>());
      hi = hi.cwiseMax(track.at(camera, f, j).head<2>());
      ++seen;
    }
    if (seen >= 5) sizes.push_back((hi - lo).norm());
  }
  if (sizes.empty()) return 0.0;
  std::nth_element(sizes.begin(), sizes.begin() + sizes.size() / 2, sizes.end());
  return sizes[sizes.size() / 2];
}

// Gaussian smoothing with missing samples (normalised convolution); NaN stays NaN.
std::vector<Eigen::Vector2d> Smooth(const std::vector<Eigen::Vector2d>& x, double sigma) {
  if (sigma < 0.3) return x;
  const int radius = static_cast<int>(std::ceil(3.0 * sigma));
  std::vector<double> kernel(2 * radius + 1);
  for (int i = -radius; i <= radius; ++i) kernel[i + radius] = std::exp(-0.5 * i * i / (sigma * sigma));
  std::vector<Eigen::Vector2d> out = x;
  const int n = static_cast<int>(x.size());
  for (int g = 0; g < n; ++g) {
    if (!x[g].allFinite()) continue;
    Eigen::Vector2d sum = Eigen::Vector2d::Zero();
    double weight = 0.0;
    for (int i = std::max(0, g - radius); i <= std::min(n - 1, g + radius); ++i) {
      if (!x[i].allFinite()) continue;
      sum += kernel[i - g + radius] * x[i];
      weight += kernel[i - g + radius];
    }
    out[g] = sum / weight;
  }
  return out;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

// The autocorrelation rho(k) of a zero-mean signal over its valid samples (mask 1), k = 0, 1, ...
// up to the end of its initial positive sequence (Geyer: the first pair rho(2m) + rho(2m + 1) <= 0),
// a quarter of the valid samples or `max_lags` (the searched lags: at most the cost of the lag
// search itself): beyond that it is noise, and CrossCorrelationTime sums no further. Empty
// without variance.
std::vector<double> SignalAutocorrelation(const std::vector<float>& value, const std::vector<float>& mask,
                                          int max_lags) {
  const int n = static_cast<int>(value.size());
  const auto at = [&](int k) {
    double sum = 0.0, pairs = 0.0;
    for (int g = 0; g + k < n; ++g) {
      sum += static_cast<double>(value[g]) * value[g + k];
      pairs += mask[g] * mask[g + k];
    }
    return pairs > 0.0 ? sum / pairs : 0.0;
  };
  const double variance = at(0);
  double valid = 0.0;
  for (float m : mask) valid += m;
  if (!(variance > 0.0)) return {};
  std::vector<double> rho{1.0};
  const int max_k = std::max(1, std::min(max_lags, static_cast<int>(valid / 4.0)));
  for (int k = 1; k <= max_k; k += 2) {
    const double odd = at(k) / variance;
    const double even = k + 1 <= max_k ? at(k + 1) / variance : 0.0;
    if (rho.back() + odd <= 0.0) break;  // the pair (rho(k - 1), rho(k)) ends the sequence
    rho.push_back(odd);
    if (k + 1 > max_k) break;
    rho.push_back(even);
  }
  return rho;
}

// Speed of a smoothed joint (sizes per second), robustly standardised (median, MAD, clamped to
// [-3, 5]) and made zero-mean over its valid samples; its autocorrelation up to `max_lags`.
Signal SpeedSignal(const std::vector<Eigen::Vector2d>& x, double grid_fps, double size_px, int max_lags) {
  const int n = static_cast<int>(x.size());
  Signal s;
  s.value.assign(n, 0.0f);
  s.mask.assign(n, 0.0f);
  std::vector<double> speed(n, 0.0), valid;
  for (int g = 1; g + 1 < n; ++g) {
    if (!x[g - 1].allFinite() || !x[g + 1].allFinite()) continue;
    speed[g] = (x[g + 1] - x[g - 1]).norm() * grid_fps / 2.0 / size_px;
    s.mask[g] = 1.0f;
    valid.push_back(speed[g]);
  }
  if (valid.size() < 10) return Signal{std::vector<float>(n, 0.0f), std::vector<float>(n, 0.0f), {}, {}, 0, {}};
  const double median = Median(valid);
  std::vector<double> deviation;
  for (double v : valid) deviation.push_back(std::abs(v - median));
  const double scale = 1.4826 * Median(deviation) + 1e-9;
  double mean = 0.0;
  for (int g = 0; g < n; ++g) {
    if (s.mask[g] == 0.0f) continue;
    speed[g] = std::clamp((speed[g] - median) / scale, -3.0, 5.0);
    mean += speed[g];
  }
  mean /= valid.size();
  for (int g = 0; g < n; ++g) {
    if (s.mask[g] != 0.0f) s.value[g] = static_cast<float>(speed[g] - mean);
  }
  s.valid = static_cast<int>(valid.size());
  s.autocorrelation = SignalAutocorrelation(s.value, s.mask, max_lags);
  return s;
}

// The velocity of a smoothed joint where its speed signal is valid.
void AddVelocity(const std::vector<Eigen::Vector2d>& x, double grid_fps, double size_px, Signal* s) {
  const int n = static_cast<int>(x.size());
  s->vx.assign(n, 0.0f);
  s->vy.assign(n, 0.0f);
  if (s->valid == 0) return;
  for (int g = 1; g + 1 < n; ++g) {
    if (s->mask[g] == 0.0f) continue;
    const Eigen::Vector2d v = (x[g + 1] - x[g - 1]) * grid_fps / 2.0 / size_px;
    s->vx[g] = static_cast<float>(v.x());
    s->vy[g] = static_cast<float>(v.y());
  }
}

// The first canonical correlation of two 2D velocity samples' covariance (sums over n samples).
double TopCanonicalCorrelation(const Eigen::Vector4d& sum, const Eigen::Matrix4d& products, int n) {
  const Eigen::Vector4d mean = sum / n;
  const Eigen::Matrix4d cov = Eigen::Matrix4d(products.selfadjointView<Eigen::Lower>()) / n - mean * mean.transpose();
  const Eigen::Matrix2d caa = cov.topLeftCorner<2, 2>(), cbb = cov.bottomRightCorner<2, 2>();
  const Eigen::Matrix2d cab = cov.topRightCorner<2, 2>();
  if (caa.determinant() <= 1e-18 || cbb.determinant() <= 1e-18) return std::numeric_limits<double>::quiet_NaN();
  const Eigen::Matrix2d m = caa.inverse() * cab * cbb.inverse() * cab.transpose();
  const double trace = m.trace(), det = m.determinant();
  const double top = 0.5 * (trace + std::sqrt(std::max(0.0, trace * trace - 4.0 * det)));
  return std::sqrt(std::clamp(top, 0.0, 1.0));
}

// The first canonical correlation of b's 2D velocity with a's at t + lag (fractional: a's
// velocity by Catmull-Rom), over their common valid samples in windows of `window` samples,
// averaged over the windows (weighted by their samples). Both velocities are linear images of the
// same 3D velocity while the person stays in one place (locally, affine cameras), so at the right
// lag some combination of one view's components predicts one of the other's, whatever the views
// (2 + 2 > 3 dimensions); the windows keep the person's place nearly fixed. NaN when they overlap
// less than min_overlap samples.
double CanonicalCorrelation(const Signal& a, const Signal& b, double lag, int min_overlap, int window) {
  const int na = static_cast<int>(a.value.size()), nb = static_cast<int>(b.value.size());
  const int whole = static_cast<int>(std::floor(lag));
  const double w = lag - whole, w2 = w * w, w3 = w2 * w;
  // Catmull-Rom weights of a's samples whole - 1 .. whole + 2 (relative to g); only the middle
  // one for a whole lag.
  const double k[4] = {0.5 * (-w3 + 2.0 * w2 - w), 0.5 * (3.0 * w3 - 5.0 * w2 + 2.0),
                       0.5 * (-3.0 * w3 + 4.0 * w2 + w), 0.5 * (w3 - w2)};
  const int lo = w == 0.0 ? 0 : -1, hi = w == 0.0 ? 0 : 2;
  const int begin = std::max(0, -whole - lo), end = std::min(nb, na - whole - hi);
  if (end - begin < min_overlap) return std::numeric_limits<double>::quiet_NaN();
  Eigen::Vector4d sum = Eigen::Vector4d::Zero();
  Eigen::Matrix4d products = Eigen::Matrix4d::Zero();
  int n = 0, total = 0;
  double weighted = 0.0;
  int used = 0;
  const auto close_window = [&]() {
    if (n >= 10) {
      const double r = TopCanonicalCorrelation(sum, products, n);
      if (!std::isnan(r)) {
        weighted += r * n;
        used += n;
      }
    }
    total += n;
    sum.setZero();
    products.setZero();
    n = 0;
  };
  for (int g = begin; g < end; ++g) {
    if ((g - begin) % window == 0 && g > begin) close_window();
    if (b.mask[g] == 0.0f) continue;
    Eigen::Vector4d v(0.0, 0.0, b.vx[g], b.vy[g]);
    bool valid = true;
    if (w == 0.0) {
      valid = a.mask[g + whole] != 0.0f;
      v.x() = a.vx[g + whole];
      v.y() = a.vy[g + whole];
    } else {
      for (int i = -1; i <= 2 && valid; ++i) {
        valid = a.mask[g + whole + i] != 0.0f;
        v.x() += k[i + 1] * a.vx[g + whole + i];
        v.y() += k[i + 1] * a.vy[g + whole + i];
      }
    }
    if (!valid) continue;
    sum += v;
    products.selfadjointView<Eigen::Lower>().rankUpdate(v);
    ++n;
  }
  close_window();
  if (total < min_overlap || used == 0) return std::numeric_limits<double>::quiet_NaN();
  return weighted / used;
}

// The mean canonical correlation over the joint signals at one (fractional) lag; NaN without any.
double MeanCanonicalCorrelation(const std::vector<Signal>& reference, const std::vector<Signal>& camera, double lag,
                                int min_overlap, int window) {
  double total = 0.0;
  int count = 0;
  for (size_t k = 0; k < reference.size(); ++k) {
    if (reference[k].valid == 0 || camera[k].valid == 0) continue;
    const double r = CanonicalCorrelation(reference[k], camera[k], lag, min_overlap, window);
    if (std::isnan(r)) continue;
    total += r;
    ++count;
  }
  return count > 0 ? total / count : std::numeric_limits<double>::quiet_NaN();
}

// The lag (fractional) of the best mean canonical correlation within `radius` of `centre`: whole
// lags, then tenths of a frame within one frame of the best; nullopt when the best is at the edge.
std::optional<double> CanonicalPeak(const std::vector<Signal>& reference, const std::vector<Signal>& camera,
                                    int centre, int radius, int min_overlap, int window) {
  const auto peak = [](const std::vector<double>& curve) {
    int best = -1;
    for (int i = 0; i < static_cast<int>(curve.size()); ++i) {
      if (!std::isnan(curve[i]) && (best < 0 || curve[i] > curve[best])) best = i;
    }
    return best;
  };
  std::vector<double> coarse(2 * radius + 1);
  tbb::parallel_for(0, 2 * radius + 1, [&](int i) {
    coarse[i] = MeanCanonicalCorrelation(reference, camera, centre - radius + i, min_overlap, window);
  });
  const int best = peak(coarse);
  if (best <= 0 || best + 1 >= static_cast<int>(coarse.size())) return std::nullopt;
  const double whole = centre - radius + best;
  std::vector<double> fine(21);
  tbb::parallel_for(0, 21, [&](int i) {
    fine[i] = MeanCanonicalCorrelation(reference, camera, whole + 0.1 * (i - 10), min_overlap, window);
  });
  const int f = peak(fine);
  if (f < 0) return std::nullopt;
  double delta = 0.0;
  if (f > 0 && f < 20 && !std::isnan(fine[f - 1]) && !std::isnan(fine[f + 1])) {
    const double denominator = fine[f - 1] - 2.0 * fine[f] + fine[f + 1];
    if (denominator < 0.0) delta = std::clamp(0.5 * (fine[f - 1] - fine[f + 1]) / denominator, -0.5, 0.5);
  }
  return whole + 0.1 * (f - 10 + delta);
}

// The 75th percentile over time of the median joint speed over a window (sizes per second).
double TrackMotion(const Observations2d& track, int camera, double fps, double window_s) {
  const double size = PersonSizePx(track, camera);
  const int half = std::max(1, static_cast<int>(std::round(0.5 * window_s * fps)));
  if (size <= 0.0 || track.num_frames() <= 2 * half) return 0.0;
  std::vector<double> per_frame;
  for (int f = half; f + half < track.num_frames(); ++f) {
    std::vector<double> speeds;
    for (int j = 0; j < track.num_joints(); ++j) {
      if (!track.IsObserved(camera, f - half, j) || !track.IsObserved(camera, f + half, j)) continue;
      speeds.push_back((track.at(camera, f + half, j) - track.at(camera, f - half, j)).head<2>().norm());
    }
    if (speeds.size() >= 5) per_frame.push_back(Median(speeds) * fps / (2.0 * half) / size);
  }
  if (per_frame.empty()) return 0.0;
  const size_t q = per_frame.size() * 3 / 4;
  std::nth_element(per_frame.begin(), per_frame.begin() + q, per_frame.end());
  return per_frame[q];
}

// The joint signals of one track in camera c (taken at `fps`) on the grid, appended to `signals`
// (one per joint; empty signals where unseen or when the person hardly moves in this view).
void AddTrackSignals(const Observations2d& track, int camera, double fps, double grid_fps,
                     const MotionSyncOptions& options, std::vector<Signal>* signals) {
  const int grid_frames = GridFrames(track, fps, grid_fps);
  const double size = PersonSizePx(track, camera);
  // A person who hardly moves in this view (a bystander) has no timing to give: only noise.
  const bool still = TrackMotion(track, camera, fps, options.motion_window_s) < options.min_motion;
  for (int j = 0; j < track.num_joints(); ++j) {
    if (size <= 0.0 || grid_frames < 3 || still) {
      signals->push_back({});
      continue;
    }
    const auto x = Smooth(GridPositions(track, camera, fps, grid_fps, j, grid_frames), options.smoothing_s * grid_fps);
    signals->push_back(SpeedSignal(x, grid_fps, size, static_cast<int>(std::ceil(options.max_offset_s * grid_fps))));
    AddVelocity(x, grid_fps, size, &signals->back());
  }
}

// Every joint signal of camera c (track-major, joint-minor; empty signals where unseen).
std::vector<Signal> CameraSignals(const SyncInput& input, int camera, double grid_fps,
                                  const MotionSyncOptions& options) {
  std::vector<Signal> signals;
  for (const Observations2d& track : input.tracks) {
    AddTrackSignals(track, camera, input.fps[camera], grid_fps, options, &signals);
  }
  return signals;
}

// Normalised cross-correlation of b(t) with a(t + lag) over their common valid samples (their
// number in *samples); NaN when they overlap less than min_overlap samples.
double Correlation(const Signal& a, const Signal& b, int lag, int min_overlap, double* samples) {
  const int na = static_cast<int>(a.value.size()), nb = static_cast<int>(b.value.size());
  const int begin = std::max(0, -lag), end = std::min(nb, na - lag);
  *samples = 0.0;
  if (end - begin < min_overlap) return std::numeric_limits<double>::quiet_NaN();
  float ab = 0, aa = 0, bb = 0, n = 0;
  const float* av = a.value.data() + lag;
  const float* am = a.mask.data() + lag;
  const float* bv = b.value.data();
  const float* bm = b.mask.data();
  for (int g = begin; g < end; ++g) {
    ab += av[g] * bv[g];
    aa += av[g] * av[g] * bm[g];
    bb += bv[g] * bv[g] * am[g];
    n += am[g] * bm[g];
  }
  if (n < min_overlap || aa <= 0 || bb <= 0) return std::numeric_limits<double>::quiet_NaN();
  *samples = n;
  return ab / std::sqrt(static_cast<double>(aa) * bb);
}

// The joint signals' correlation with the reference per lag, [-max_lag, max_lag]: `correlation`
// their mean normalised cross-correlation, `evidence` their mean CorrelationEvidence (NaN where
// no signal overlaps enough).
struct LagCurves {
  std::vector<double> correlation, evidence;
};

// The combined curves of camera c against the reference; *voters the most signals at any lag.
LagCurves CorrelationCurves(const std::vector<Signal>& reference, const std::vector<Signal>& camera, int max_lag,
                            int min_overlap, int* voters) {
  LagCurves curves;
  curves.correlation.assign(2 * max_lag + 1, std::numeric_limits<double>::quiet_NaN());
  curves.evidence = curves.correlation;
  // Each signal pair's correlation time (samples) is one number for every lag.
  std::vector<double> tau(reference.size(), 1.0);
  for (size_t i = 0; i < reference.size(); ++i) {
    if (reference[i].valid > 0 && camera[i].valid > 0)
      tau[i] = CrossCorrelationTime(reference[i].autocorrelation, camera[i].autocorrelation);
  }
  std::vector<int> counts(curves.correlation.size(), 0);
  tbb::parallel_for(tbb::blocked_range<int>(-max_lag, max_lag + 1), [&](const tbb::blocked_range<int>& range) {
    for (int lag = range.begin(); lag != range.end(); ++lag) {
      double sum = 0.0, evidence = 0.0;
      int count = 0;
      for (size_t i = 0; i < reference.size(); ++i) {
        if (reference[i].valid == 0 || camera[i].valid == 0) continue;
        double samples = 0.0;
        const double r = Correlation(reference[i], camera[i], lag, min_overlap, &samples);
        if (std::isnan(r)) continue;
        sum += r;
        evidence += CorrelationEvidence(r, samples, tau[i]);
        ++count;
      }
      if (count > 0) {
        curves.correlation[lag + max_lag] = sum / count;
        curves.evidence[lag + max_lag] = evidence / count;
      }
      counts[lag + max_lag] = count;
    }
  });
  *voters = *std::max_element(counts.begin(), counts.end());
  return curves;
}

// The peak of a curve (whole index, then a parabola through its neighbours) and the confidence;
// `correlation` (may be empty) gives CameraOffset::peak_correlation at the peak's whole lag.
void PeakOfCurve(const std::vector<double>& curve, const std::vector<double>& correlation, int max_lag, int exclusion,
                 double grid_fps, CameraOffset* out) {
  int best = -1;
  for (int i = 0; i < static_cast<int>(curve.size()); ++i) {
    if (!std::isnan(curve[i]) && (best < 0 || curve[i] > curve[best])) best = i;
  }
  if (best < 0) {
    out->note = "no overlap of the motion signals at any offset within the searched range";
    return;
  }
  double delta = 0.0;
  if (best > 0 && best + 1 < static_cast<int>(curve.size()) && !std::isnan(curve[best - 1]) &&
      !std::isnan(curve[best + 1])) {
    const double denominator = curve[best - 1] - 2.0 * curve[best] + curve[best + 1];
    if (denominator < 0.0) delta = std::clamp(0.5 * (curve[best - 1] - curve[best + 1]) / denominator, -0.5, 0.5);
  }
  double second = 0.0;
  for (int i = 0; i < static_cast<int>(curve.size()); ++i) {
    if (std::abs(i - best) > exclusion && !std::isnan(curve[i])) second = std::max(second, curve[i]);
  }
  const double peak = curve[best];
  out->peak_correlation = correlation.empty() ? peak : correlation[best];
  out->confidence = peak > 0.0 ? std::clamp(1.0 - second / peak, 0.0, 1.0) : 0.0;
  out->offset_s = (best - max_lag + delta) / grid_fps;
  out->estimated = true;
  if (best == 0 || best + 1 == static_cast<int>(curve.size())) {
    out->note = "the peak is at the end of the searched range (raise max_offset_s?)";
  }
}

// The thread limit of one call (options.num_threads; 0: none).
std::unique_ptr<tbb::global_control> LimitThreads(int num_threads) {
  if (num_threads <= 0) return nullptr;
  return std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism, num_threads);
}

// A motion result for every camera, the reference estimated at offset 0.
SyncResult StartMotionResult(const std::vector<double>& fps, int reference) {
  SyncResult result;
  result.method = "motion";
  result.reference = reference;
  result.reference_fps = fps[reference];
  result.cameras.resize(fps.size());
  result.cameras[reference].estimated = true;
  result.cameras[reference].confidence = 1.0;
  return result;
}

// "too little motion" + `where`, with the measure and its limit.
std::string TooLittleMotion(const std::string& where, double motion, const MotionSyncOptions& options) {
  return fmt::format("too little motion{} ({:.3f} body sizes per second; needs {:.3f})", where, motion,
                     options.min_motion);
}

}  // namespace

void MotionSyncOptions::Check() const {
  for (double v : {max_offset_s, min_overlap_s, motion_window_s, exclusion_s}) {
    if (!(v > 0.0 && std::isfinite(v))) throw std::invalid_argument("MotionSyncOptions: durations must be positive");
  }
  if (!(smoothing_s >= 0.0 && min_motion >= 0.0 && std::isfinite(min_correlation))) {
    throw std::invalid_argument("MotionSyncOptions: smoothing_s and min_motion must be >= 0");
  }
  epipolar.Check();
}

double CrossCorrelationTime(const std::vector<double>& rho_a, const std::vector<double>& rho_b) {
  const size_t n = std::min(rho_a.size(), rho_b.size());
  if (n == 0) return 1.0;
  // Geyer's initial positive sequence of the products: pairs (2m, 2m + 1) while their sum is positive.
  double sum = 0.0;
  for (size_t k = 0; k + 1 < n; k += 2) {
    const double pair = rho_a[k] * rho_b[k] + rho_a[k + 1] * rho_b[k + 1];
    if (pair <= 0.0) break;
    sum += pair;
  }
  return std::max(1.0, 2.0 * std::max(sum, 1.0) - 1.0);
}

double CorrelationEvidence(double r, double samples, double tau) {
  const double effective = samples / std::max(tau, 1.0) - 3.0;
  if (!(effective > 0.0) || std::isnan(r)) return 0.0;
  return std::atanh(std::clamp(r, -0.999, 0.999)) * std::sqrt(effective);
}

double MotionMeasure(const SyncInput& input, int camera, const MotionSyncOptions& options) {
  double motion = 0.0;
  for (const Observations2d& track : input.tracks) {
    motion = std::max(motion, TrackMotion(track, camera, input.fps[camera], options.motion_window_s));
  }
  return motion;
}

namespace {

// EstimateOffsetsFromMotion, with each camera's epipolar sub-frame refinement in *steps (one per
// camera; not estimated where it did not run).
SyncResult MotionOffsetsWithSteps(const SyncInput& input, const MotionSyncOptions& options,
                                  std::vector<EpipolarOffset>* steps) {
  input.Check();
  options.Check();
  const std::unique_ptr<tbb::global_control> threads = LimitThreads(options.num_threads);
  SyncResult result = StartMotionResult(input.fps, input.reference);
  steps->assign(input.num_cameras(), {});
  const double grid_fps = result.reference_fps;
  result.motion = MotionMeasure(input, input.reference, options);
  if (input.tracks.empty()) {
    result.reason = "no person to follow";
    return result;
  }
  if (result.motion < options.min_motion) {
    result.reason =
        TooLittleMotion(" to synchronise: the people hardly move in the reference camera", result.motion, options);
    return result;
  }
  const std::vector<Signal> reference = CameraSignals(input, input.reference, grid_fps, options);
  const int max_lag = static_cast<int>(std::ceil(options.max_offset_s * grid_fps));
  const int exclusion = static_cast<int>(std::ceil(options.exclusion_s * grid_fps));
  for (int c = 0; c < input.num_cameras(); ++c) {
    if (c == input.reference) continue;
    CameraOffset& out = result.cameras[c];
    const double motion = MotionMeasure(input, c, options);
    if (motion < options.min_motion) {
      out.note = TooLittleMotion(" in this camera", motion, options);
      continue;
    }
    // Half the shorter recording in grid frames: counted in the camera's own frames, a 60-fps
    // camera's 150 frames asked for its whole recording as overlap (75 of a 30-fps reference's
    // frames), so no lag qualified and short mixed-rate recordings lost their 60-fps cameras.
    const int shortest =
        std::min(RecordedGridFrames(input, input.reference, grid_fps), RecordedGridFrames(input, c, grid_fps));
    const int min_overlap =
        std::max(10, static_cast<int>(std::min(options.min_overlap_s * grid_fps, 0.5 * shortest)));
    const std::vector<Signal> signals = CameraSignals(input, c, grid_fps, options);
    const LagCurves curves = CorrelationCurves(reference, signals, max_lag, min_overlap, &out.signals);
    PeakOfCurve(curves.evidence, curves.correlation, max_lag, exclusion, grid_fps, &out);
    if (out.estimated && options.canonical_radius_s > 0.0) {
      // The speed peak can sit a frame or two off where the views foreshorten the motion
      // differently: the canonical correlation of the velocities near it does not depend on the view.
      const int centre = static_cast<int>(std::lround(out.offset_s * grid_fps));
      const int radius = std::max(2, static_cast<int>(std::ceil(options.canonical_radius_s * grid_fps)));
      const int window = std::max(20, static_cast<int>(std::lround(options.canonical_window_s * grid_fps)));
      if (const auto lag = CanonicalPeak(reference, signals, centre, radius, min_overlap, window)) {
        out.offset_s = *lag / grid_fps;
      }
    }
    if (out.estimated && options.epipolar.radius_frames > 0.0) {
      const EpipolarOffset& fine = (*steps)[c] =
          RefineOffsetByEpipolarGeometry(input, c, out.offset_s * grid_fps, options.epipolar);
      if (fine.estimated) out.offset_s = fine.offset_frames / grid_fps;
    }
    if (out.estimated && out.peak_correlation < options.min_correlation) {
      out.estimated = false;
      out.note = fmt::format("motion does not match the reference (peak correlation {:.2f} < {:.2f})",
                             out.peak_correlation, options.min_correlation);
    }
  }
  for (CameraOffset& camera : result.cameras) camera.offset_frames = camera.offset_s * grid_fps;
  result.success = true;
  return result;
}

}  // namespace

SyncResult EstimateOffsetsFromMotion(const SyncInput& input, const MotionSyncOptions& options) {
  std::vector<EpipolarOffset> steps;
  return MotionOffsetsWithSteps(input, options, &steps);
}

namespace {

// One camera's 2D track prepared for pairing: its joint signals on the reference grid and the
// grid frames where any of them is valid.
struct ViewTrack {
  std::vector<Signal> signals;  // one per joint
  std::vector<uint8_t> present;
  int frames = 0;               // grid frames present
};

ViewTrack MakeViewTrack(const Observations2d& track, double fps, double grid_fps, const MotionSyncOptions& options) {
  ViewTrack v;
  AddTrackSignals(track, 0, fps, grid_fps, options, &v.signals);
  size_t n = 0;
  for (const Signal& s : v.signals) n = std::max(n, s.mask.size());
  v.present.assign(n, 0);
  for (const Signal& s : v.signals)
    for (size_t g = 0; g < s.mask.size(); ++g) v.present[g] |= s.mask[g] != 0.0f ? 1 : 0;
  for (uint8_t p : v.present) v.frames += p;
  return v;
}

// Grid frames where `camera` has a signal at g and `reference` at g + lag: the frames over which
// Correlation(reference, camera, lag) correlates them (the lag's sign as there). It was counted
// the other way round (reference at g, camera at g + lag), the overlap of the opposite lag, which
// weighed a wrong lag by the true one's overlap whenever the two tracks differ in length (a 60-fps
// camera's 73 grid frames against the reference's 150).
int Overlap(const ViewTrack& camera, const ViewTrack& reference, int lag) {
  const int nr = static_cast<int>(reference.present.size()), nc = static_cast<int>(camera.present.size());
  int n = 0;
  for (int g = std::max(0, -lag); g < std::min(nc, nr - lag); ++g) n += reference.present[g + lag] & camera.present[g];
  return n;
}

// One pair (a track of the camera, a track of the reference): its correlation and overlap per lag.
struct PairCurve {
  int camera_track = -1, reference_track = -1;
  std::vector<double> correlation;  // NaN where they do not overlap enough
  std::vector<int> overlap;         // grid frames both present (Overlap)
};

// Which tracks of one view are seen in a common grid frame, [a * n + b].
std::vector<uint8_t> Concurrent(const std::vector<ViewTrack>& tracks) {
  const int n = static_cast<int>(tracks.size());
  std::vector<uint8_t> out(static_cast<size_t>(n) * n, 1);
  for (int a = 0; a < n; ++a)
    for (int b = a + 1; b < n; ++b) out[a * n + b] = out[b * n + a] = Overlap(tracks[a], tracks[b], 0) > 0;
  return out;
}

// The score of every lag: matched pairs' correlation x overlap over the camera's track frames
// (see EstimateOffsetsFromUnassociatedMotion); matches[lag] the pairs (indices into `pairs`).
// Greedy by correlation; a person's 2D track may be split in either view, so a track may match
// several tracks of the other view, but only tracks that are not seen at the same time.
std::vector<double> MatchedScores(const std::vector<PairCurve>& pairs, const std::vector<ViewTrack>& camera,
                                  const std::vector<ViewTrack>& reference, int num_lags, double camera_frames,
                                  std::vector<std::vector<int>>* matches) {
  const int nc = static_cast<int>(camera.size()), nr = static_cast<int>(reference.size());
  const std::vector<uint8_t> camera_concurrent = Concurrent(camera), reference_concurrent = Concurrent(reference);
  const auto conflict = [&](const PairCurve& x, const PairCurve& y) {
    return (x.camera_track == y.camera_track && reference_concurrent[x.reference_track * nr + y.reference_track]) ||
           (x.reference_track == y.reference_track && camera_concurrent[x.camera_track * nc + y.camera_track]);
  };
  std::vector<double> score(num_lags, std::numeric_limits<double>::quiet_NaN());
  matches->assign(num_lags, {});
  tbb::parallel_for(0, num_lags, [&](int i) {
    std::vector<int> order;
    for (int p = 0; p < static_cast<int>(pairs.size()); ++p) {
      const double r = pairs[p].correlation[i];
      if (!std::isnan(r) && r > 0.0) order.push_back(p);
    }
    if (order.empty()) return;
    std::stable_sort(order.begin(), order.end(),
                     [&](int x, int y) { return pairs[x].correlation[i] > pairs[y].correlation[i]; });
    double sum = 0.0;
    for (int p : order) {
      bool clash = false;
      for (int q : (*matches)[i]) clash = clash || conflict(pairs[p], pairs[q]);
      if (clash) continue;
      (*matches)[i].push_back(p);
      sum += pairs[p].correlation[i] * pairs[p].overlap[i];
    }
    score[i] = sum / camera_frames;
  });
  return score;
}

// The matched pairs as associated people of a two-camera input (the reference first): one person
// per matched reference track, with every camera track matched to it (not seen at the same time).
SyncInput MatchedPeople(const std::vector<Observations2d>& reference_tracks,
                        const std::vector<Observations2d>& camera_tracks, const std::vector<PairCurve>& pairs,
                        const std::vector<int>& matched, double reference_fps, double camera_fps) {
  SyncInput input;
  input.fps = {reference_fps, camera_fps};
  std::vector<int> people;  // reference tracks, in the order of their best match
  for (int p : matched) {
    if (std::find(people.begin(), people.end(), pairs[p].reference_track) == people.end()) {
      people.push_back(pairs[p].reference_track);
    }
  }
  for (int person : people) {
    const Observations2d& r = reference_tracks[person];
    int frames = r.num_frames();
    for (int p : matched)
      if (pairs[p].reference_track == person) frames = std::max(frames, camera_tracks[pairs[p].camera_track].num_frames());
    Observations2d both(2, frames, r.num_joints());
    for (int f = 0; f < r.num_frames(); ++f)
      for (int j = 0; j < r.num_joints(); ++j) both.at(0, f, j) = r.at(0, f, j);
    for (int p : matched) {
      if (pairs[p].reference_track != person) continue;
      const Observations2d& c = camera_tracks[pairs[p].camera_track];
      for (int f = 0; f < c.num_frames(); ++f)
        for (int j = 0; j < c.num_joints(); ++j)
          if (c.at(0, f, j).z() > 0.0) both.at(1, f, j) = c.at(0, f, j);
    }
    input.tracks.push_back(std::move(both));
  }
  return input;
}

// How many of the epipolar refinement's standard errors the sub-frame error reached where the
// truth is known (EstimateOffsetsFromUnassociatedMotion; bench/README.md): 2.4 on 150-frame studio
// scenes, 2.2 on the 100-frame Pose2Sim balancing copies, 5.1 on the two-person copies whose
// tracks are 45-90 frames (the standard error is measured over blocks of time, and a recording
// this short has few). An offset is sure only when this many standard errors stay within
// kSureWithinFrames.
constexpr double kErrorsPerStandardError = 5.0;
constexpr double kSureWithinFrames = 0.5;  // reference frames

// The sub-frame part of a camera's offset judged by the epipolar refinement that gave it (`fine`;
// `confirmed` false: the matched people's motion did not confirm the whole lag, so nothing was
// refined): not sure (confidence 0, with a note) unless the refinement found a minimum whose
// standard error x kErrorsPerStandardError is within kSureWithinFrames; its standard error goes
// into the offset.
void JudgeSubFrameOffset(const EpipolarOffset& fine, bool confirmed, CameraOffset* out) {
  const auto unsure = [&](const std::string& why) {
    out->confidence = 0.0;
    out->note += (out->note.empty() ? "" : "; ") + why + (why.empty() ? "" : ": ") + "not sure of the sub-frame offset";
  };
  if (!confirmed) return unsure("");  // the note already says "whole frames only"
  if (!fine.estimated) return unsure("the two views' geometry did not refine it (" + fine.note + ")");
  const double se = fine.standard_error_frames;
  if (std::isfinite(se) && se > 0.0) out->standard_error_frames = se;
  if (!(std::isfinite(se) && kErrorsPerStandardError * se <= kSureWithinFrames)) {
    unsure(fmt::format("the two views' geometry measures it to a standard error of {:.2f} frame (sure within {:.2f})",
                       se, kSureWithinFrames / kErrorsPerStandardError));
  }
}

// The pairs (a track of the camera, one of the reference) of tracks present at least `shortest`
// grid frames each; *camera_frames the camera's paired tracks' frames.
std::vector<PairCurve> EligiblePairs(const std::vector<ViewTrack>& camera, const std::vector<ViewTrack>& reference,
                                     int shortest, double* camera_frames) {
  std::vector<PairCurve> pairs;
  *camera_frames = 0.0;
  for (int a = 0; a < static_cast<int>(camera.size()); ++a) {
    if (camera[a].frames < shortest) continue;
    *camera_frames += camera[a].frames;
    for (int b = 0; b < static_cast<int>(reference.size()); ++b) {
      if (reference[b].frames >= shortest) pairs.push_back({a, b, {}, {}});
    }
  }
  return pairs;
}

// The shortest track that pairs on a recording too short for the usual limit (grid frames): half
// the shorter of the two views' longest tracks, at least 20.
int ShortRecordingEligible(const std::vector<ViewTrack>& camera, const std::vector<ViewTrack>& reference) {
  int longest_camera = 0, longest_reference = 0;
  for (const ViewTrack& t : camera) longest_camera = std::max(longest_camera, t.frames);
  for (const ViewTrack& t : reference) longest_reference = std::max(longest_reference, t.frames);
  return std::max(20, std::min(longest_camera, longest_reference) / 2);
}

double ViewMotion(const std::vector<Observations2d>& tracks, double fps, const MotionSyncOptions& options) {
  double motion = 0.0;
  for (const Observations2d& track : tracks) motion = std::max(motion, TrackMotion(track, 0, fps, options.motion_window_s));
  return motion;
}

// Peaks of the unassociated motion score checked against the chosen lag by the epipolar
// geometry (EstimateOffsetsFromUnassociatedMotion).
constexpr int kCheckedPeaks = 4;
// The epipolar check contradicts the motion's offset when the whole lag that fits best is farther
// than this from it (reference frames): not one of the two whole lags around it.
constexpr double kCheckReachFrames = 1.0;

// The local maxima of `score` (indices) other than within `apart` of `chosen`, highest first,
// at most `count`.
std::vector<int> RivalPeaks(const std::vector<double>& score, int chosen, int apart, int count) {
  std::vector<int> peaks;
  const int n = static_cast<int>(score.size());
  for (int i = 0; i < n; ++i) {
    if (std::isnan(score[i]) || !(score[i] > 0.0) || std::abs(i - chosen) <= apart) continue;
    const bool left = i == 0 || std::isnan(score[i - 1]) || score[i] >= score[i - 1];
    const bool right = i + 1 == n || std::isnan(score[i + 1]) || score[i] > score[i + 1];
    if (left && right) peaks.push_back(i);
  }
  std::stable_sort(peaks.begin(), peaks.end(), [&](int a, int b) { return score[a] > score[b]; });
  if (static_cast<int>(peaks.size()) > count) peaks.resize(count);
  return peaks;
}

// The smallest epipolar spread (EpipolarSpreadAtOffsets, pixels) of the camera (input camera 1)
// within a frame of `centre` (reference frames), half frames apart; NaN when none could be fitted.
double SpreadNear(const SyncInput& people, double centre, const EpipolarSyncOptions& options) {
  const std::vector<double> spread =
      EpipolarSpreadAtOffsets(people, 1, {centre - 1.0, centre - 0.5, centre, centre + 0.5, centre + 1.0}, options);
  double best = std::numeric_limits<double>::quiet_NaN();
  for (double v : spread)
    if (!std::isnan(v) && !(v >= best)) best = v;
  return best;
}

// The epipolar check of a camera's whole lag (EstimateOffsetsFromUnassociatedMotion). The
// motion score can be wrong by whole frames on a short recording: a chance or repeated movement
// peak over part of it (another peak of `score`), or the sub-frame steps carried a frame or more
// off (the Pose2Sim balancing trial's cam03: 2.1 frames, confidence 1). One fundamental matrix
// fits the matched joints at the right lag only (to the detector's noise), whatever the cameras,
// and it does not use the speeds: the spread of its fit (EpipolarSpreadAtOffsets) at every whole
// lag within the sub-frame steps' reach around the offset (on `people`, matched at the offset),
// and within a frame of the score's other highest peaks (on the people matched there,
// `people_at(lag index)`). When the best fit is farther than kCheckReachFrames from the
// offset, the two disagree: `out` gets the geometry's lag, refined by it, confidence 0
// and a note. `score` is indexed by lag + max_lag (grid frames).
template <typename PeopleAt>
void CheckLagByEpipolarGeometry(const SyncInput& people, const std::vector<double>& score, int max_lag,
                                const PeopleAt& people_at, double grid_fps, const MotionSyncOptions& options,
                                CameraOffset* out) {
  const double chosen = out->offset_s * grid_fps;
  const int centre = static_cast<int>(std::lround(chosen));
  const int radius = static_cast<int>(std::ceil(options.canonical_radius_s * grid_fps)) + 1;
  std::vector<double> lags;
  for (int k = -radius; k <= radius; ++k) lags.push_back(centre + k);
  lags.push_back(chosen);
  const std::vector<double> near = EpipolarSpreadAtOffsets(people, 1, lags, options.epipolar);
  const double chosen_spread = near.back();
  double fits_lag = std::numeric_limits<double>::quiet_NaN(), fits_spread = std::numeric_limits<double>::quiet_NaN();
  int fits_peak = -1;  // the rival peak (lag index) that fits best, -1: a lag near the offset
  for (size_t k = 0; k < near.size(); ++k)
    if (!std::isnan(near[k]) && !(near[k] >= fits_spread)) fits_lag = lags[k], fits_spread = near[k];
  for (int i : RivalPeaks(score, centre + max_lag, radius, kCheckedPeaks)) {
    const double spread = SpreadNear(people_at(i), i - max_lag, options.epipolar);
    if (!std::isnan(spread) && !(spread >= fits_spread)) fits_lag = i - max_lag, fits_spread = spread, fits_peak = i;
  }
  if (std::isnan(chosen_spread) || std::isnan(fits_lag) || std::abs(fits_lag - chosen) <= kCheckReachFrames) return;
  const EpipolarOffset refined =
      RefineOffsetByEpipolarGeometry(fits_peak < 0 ? people : people_at(fits_peak), 1, fits_lag, options.epipolar);
  out->note = fmt::format(
      "the epipolar geometry contradicts the motion: one fundamental matrix fits {:+.0f} frames best ({:.2f} px), "
      "the motion's {:+.2f} only to {:.2f} px; offset from the geometry, not sure",
      fits_lag, fits_spread, chosen, chosen_spread);
  out->offset_s = (refined.estimated ? refined.offset_frames : fits_lag) / grid_fps;
  out->confidence = 0.0;
}

}  // namespace

void UnassociatedSyncInput::Check() const {
  if (views.size() != fps.size() || fps.empty()) {
    throw std::invalid_argument("UnassociatedSyncInput: one list of tracks and one frame rate per camera expected");
  }
  if (reference < 0 || reference >= num_cameras()) throw std::invalid_argument("UnassociatedSyncInput: bad reference");
  int joints = -1;
  for (const std::vector<Observations2d>& tracks : views) {
    for (const Observations2d& track : tracks) {
      if (track.num_cameras() != 1) throw std::invalid_argument("UnassociatedSyncInput: a track has one camera");
      if (joints >= 0 && track.num_joints() != joints) {
        throw std::invalid_argument("UnassociatedSyncInput: every track must have the same joints");
      }
      joints = track.num_joints();
    }
  }
  for (double rate : fps) {
    if (!(rate > 0.0) || !std::isfinite(rate)) throw std::invalid_argument("UnassociatedSyncInput: fps must be positive");
  }
}

SyncResult EstimateOffsetsFromUnassociatedMotion(const UnassociatedSyncInput& input, const MotionSyncOptions& options) {
  input.Check();
  options.Check();
  const std::unique_ptr<tbb::global_control> threads = LimitThreads(options.num_threads);
  SyncResult result = StartMotionResult(input.fps, input.reference);
  const double grid_fps = result.reference_fps;
  const std::vector<Observations2d>& reference_tracks = input.views[input.reference];
  result.motion = ViewMotion(reference_tracks, grid_fps, options);
  if (reference_tracks.empty()) {
    result.reason = "no person to follow in the reference camera";
    return result;
  }
  if (result.motion < options.min_motion) {
    result.reason =
        TooLittleMotion(" to synchronise: the people hardly move in the reference camera", result.motion, options);
    return result;
  }
  const int max_lag = static_cast<int>(std::ceil(options.max_offset_s * grid_fps));
  const int num_lags = 2 * max_lag + 1;
  const int exclusion = static_cast<int>(std::ceil(options.exclusion_s * grid_fps));
  const double min_overlap_frames = options.min_overlap_s * grid_fps;
  // Tracks shorter than half the overlap asked for do not pair, unless that leaves a camera no pair
  // (a short recording: ShortRecordingEligible; its offsets are then judged by the one-frame check
  // and JudgeSubFrameOffset, without which they were confident whole-frame errors on Pose2Sim).
  const int shortest_eligible = std::max(20, static_cast<int>(0.5 * min_overlap_frames));
  const auto prepare = [&](const std::vector<Observations2d>& tracks, double fps) {
    std::vector<ViewTrack> out(tracks.size());
    tbb::parallel_for(0, static_cast<int>(tracks.size()),
                      [&](int k) { out[k] = MakeViewTrack(tracks[k], fps, grid_fps, options); });
    return out;
  };
  const std::vector<ViewTrack> reference = prepare(reference_tracks, grid_fps);
  for (int c = 0; c < input.num_cameras(); ++c) {
    if (c == input.reference) continue;
    CameraOffset& out = result.cameras[c];
    const double motion = ViewMotion(input.views[c], input.fps[c], options);
    if (motion < options.min_motion) {
      out.note = TooLittleMotion(" in this camera", motion, options);
      continue;
    }
    const std::vector<ViewTrack> camera = prepare(input.views[c], input.fps[c]);
    double camera_frames = 0.0;
    std::vector<PairCurve> pairs = EligiblePairs(camera, reference, shortest_eligible, &camera_frames);
    const int short_eligible = ShortRecordingEligible(camera, reference);
    bool short_recording = false;
    if (pairs.empty() && short_eligible < shortest_eligible) {
      pairs = EligiblePairs(camera, reference, short_eligible, &camera_frames);
      short_recording = !pairs.empty();
    }
    if (pairs.empty()) {
      out.note = "no moving person followed long enough in this camera and the reference";
      continue;
    }
    tbb::parallel_for(0, static_cast<int>(pairs.size()), [&](int p) {
      PairCurve& pc = pairs[p];
      const ViewTrack& a = camera[pc.camera_track];
      const ViewTrack& b = reference[pc.reference_track];
      const int min_overlap =
          std::max(10, static_cast<int>(std::min(min_overlap_frames, 0.5 * std::min(a.frames, b.frames))));
      int voters = 0;
      pc.correlation = CorrelationCurves(b.signals, a.signals, max_lag, min_overlap, &voters).correlation;
      pc.overlap.resize(num_lags);
      for (int i = 0; i < num_lags; ++i) pc.overlap[i] = Overlap(a, b, i - max_lag);
    });
    std::vector<std::vector<int>> matches;
    const std::vector<double> score = MatchedScores(pairs, camera, reference, num_lags, camera_frames, &matches);
    PeakOfCurve(score, {}, max_lag, exclusion, grid_fps, &out);
    if (!out.estimated) continue;
    const int best = static_cast<int>(std::lround(out.offset_s * grid_fps)) + max_lag;
    const double coarse_frames = out.offset_s * grid_fps;
    const double coarse_confidence = out.confidence;
    double weighted = 0.0, overlap = 0.0;  // the matched pairs' mean correlation at the peak
    for (int p : matches[best]) {
      weighted += pairs[p].correlation[best] * pairs[p].overlap[best];
      overlap += pairs[p].overlap[best];
    }
    out.peak_correlation = overlap > 0.0 ? weighted / overlap : 0.0;
    // The matched people, now associated, for the sub-frame estimate.
    MotionSyncOptions fine = options;
    fine.num_threads = 0;  // within this call's limit
    const SyncInput people =
        MatchedPeople(reference_tracks, input.views[c], pairs, matches[best], grid_fps, input.fps[c]);
    std::vector<EpipolarOffset> steps;
    const SyncResult refined = MotionOffsetsWithSteps(people, fine, &steps);
    const CameraOffset& r = refined.success ? refined.cameras[1] : CameraOffset{};
    const bool confirmed = r.estimated && std::abs(r.offset_s * grid_fps - coarse_frames) <= 1.5;
    if (confirmed) {
      out.offset_s = r.offset_s;
      out.confidence = std::min(coarse_confidence, r.confidence);
      out.peak_correlation = r.peak_correlation;
      out.signals = r.signals;
    } else {
      out.signals = static_cast<int>(matches[best].size());
      out.note = "the matched people's joint signals do not confirm the offset: whole frames only";
    }
    if (short_recording) {
      out.note += fmt::format("{}short recording: tracks of {} frames or more paired (asked: {})",
                              out.note.empty() ? "" : "; ", short_eligible, shortest_eligible);
    }
    if (out.peak_correlation < options.min_correlation) {
      out.estimated = false;
      out.note = fmt::format("motion does not match the reference (peak correlation {:.2f} < {:.2f})",
                             out.peak_correlation, options.min_correlation);
      continue;
    }
    if (options.epipolar.radius_frames <= 0.0) continue;  // the epipolar steps off
    JudgeSubFrameOffset(confirmed ? steps[1] : EpipolarOffset{}, confirmed, &out);
    const auto people_at = [&](int lag_index) {
      return MatchedPeople(reference_tracks, input.views[c], pairs, matches[lag_index], grid_fps, input.fps[c]);
    };
    CheckLagByEpipolarGeometry(people, score, max_lag, people_at, grid_fps, options, &out);
  }
  for (CameraOffset& camera : result.cameras) camera.offset_frames = camera.offset_s * grid_fps;
  result.success = true;
  return result;
}

}  // namespace epilabel
