#include "pseudolabel/stages/sync_adjustment.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

#include "geometry/estimators/sequence_triangulation.h"

namespace epilabel {

void SyncAdjustmentOptions::Check() const {
  if (max_frames < 1) throw std::invalid_argument("sync adjustment max_frames must be >= 1");
  if (!(smoothing_frames >= 0.0)) throw std::invalid_argument("sync adjustment smoothing_frames must be >= 0");
  if (!(outlier_rel >= 0.0)) throw std::invalid_argument("sync adjustment outlier_rel must be >= 0");
  if (!(prior_frames > 0.0)) throw std::invalid_argument("sync adjustment prior_frames must be > 0");
  if (!(max_change_frames > 0.0)) throw std::invalid_argument("sync adjustment max_change_frames must be > 0");
  if (!(loss_scale_px > 0.0)) throw std::invalid_argument("sync adjustment loss_scale_px must be > 0");
  if (!(block_frames > 0.0)) throw std::invalid_argument("sync adjustment block_frames must be > 0");
}

namespace {

// The observations smoothed in time (Gaussian, `sigma` frames, over observed neighbours only;
// see the header for why), below-confidence keypoints dropped first.
Observations2d SmoothedTrack(const Observations2d& in, double sigma, double min_confidence) {
  Observations2d kept = in;
  for (int c = 0; c < kept.num_cameras(); ++c)
    for (int f = 0; f < kept.num_frames(); ++f)
      for (int j = 0; j < kept.num_joints(); ++j)
        if (kept.at(c, f, j).z() < min_confidence) kept.at(c, f, j).setZero();
  if (!(sigma > 0.0)) return kept;
  Observations2d out = kept;
  for (int c = 0; c < kept.num_cameras(); ++c) {
    const Observations2d smooth = SmoothedInTime(kept, c, sigma);
    for (int f = 0; f < kept.num_frames(); ++f)
      for (int j = 0; j < kept.num_joints(); ++j)
        if (kept.IsObserved(c, f, j)) out.at(c, f, j).head<2>() = smooth.at(0, f, j).head<2>();
  }
  return out;
}

// Camera c's window around reference frame g at offset d (frames); false when the samples
// bracketing the start position are not both observed (at a whole frame: the frame and one
// neighbour).
bool MakeWindow(const Observations2d& track, int c, int j, double g, double d, double rate, BATrackWindow* window,
                double* weight) {
  const double t0 = (g - d) * rate;
  const double base = std::floor(t0);
  window->frame = g;
  window->rate = rate;
  window->first_frame = base - 2.0;
  for (int i = 0; i < kBATrackWindowSize; ++i) {
    const double k = window->first_frame + i;
    window->samples[i].setZero();
    if (k >= 0 && k < track.num_frames() && track.IsObserved(c, static_cast<int>(k), j))
      window->samples[i] = track.at(c, static_cast<int>(k), j);
  }
  const double frac = t0 - base;
  const auto& s = window->samples;
  if (!(s[2].z() > 0)) return false;
  if (frac == 0.0) {
    *weight = s[2].z();
    return s[1].z() > 0 || s[3].z() > 0;
  }
  if (!(s[3].z() > 0)) return false;
  *weight = (1.0 - frac) * s[2].z() + frac * s[3].z();
  return true;
}

// Adds the joints of one track (triangulated on `frames` of its resampling) and their windows.
void AddTrack(const Rig& rig, const Observations2d& raw, const Observations2d& smoothed,
              const std::vector<double>& offsets_frames, const std::vector<double>& rates,
              const std::vector<int>& frames, const std::vector<double>& offsets_s, const SyncInput& input,
              const SyncAdjustmentOptions& options, BAProblemData* data) {
  const Observations2d resampled =
      ResampleToReference(raw, offsets_s, input.fps, input.fps[input.reference], raw.num_frames(), options.outlier_rel);
  Observations2d selected(raw.num_cameras(), static_cast<int>(frames.size()), raw.num_joints());
  for (int c = 0; c < raw.num_cameras(); ++c)
    for (size_t k = 0; k < frames.size(); ++k)
      for (int j = 0; j < raw.num_joints(); ++j) selected.at(c, static_cast<int>(k), j) = resampled.at(c, frames[k], j);
  TriangulationOptions topt;
  topt.min_confidence = options.min_confidence;
  const TriangulationResult tri = TriangulateSequence(rig, selected, topt);
  for (size_t k = 0; k < frames.size(); ++k)
    for (int j = 0; j < raw.num_joints(); ++j) {
      if (!tri.points.IsValid(static_cast<int>(k), j)) continue;
      const int point = static_cast<int>(data->points.size());
      int views = 0;
      for (int c = 0; c < raw.num_cameras(); ++c) {
        BATrackWindow window;
        double weight = 0.0;
        if (!MakeWindow(smoothed, c, j, frames[k], offsets_frames[c], rates[c], &window, &weight)) continue;
        BAObservation o;
        o.camera = c;
        o.point = point;
        o.weight = weight;
        data->observations.push_back(o);
        data->track_windows.push_back(window);
        ++views;
      }
      if (views == 0) continue;
      data->points.push_back(tri.points.at(static_cast<int>(k), j));
      if (views == 1) {  // a lone view determines nothing
        data->observations.pop_back();
        data->track_windows.pop_back();
        data->points.pop_back();
      }
    }
}

// Evenly spaced frames of each track, max_frames in all.
std::vector<std::vector<int>> SelectFrames(const SyncInput& input, int max_frames) {
  int64_t total = 0;
  for (const Observations2d& t : input.tracks) total += t.num_frames();
  const int stride = std::max<int64_t>(1, (total + max_frames - 1) / std::max(1, max_frames));
  std::vector<std::vector<int>> frames(input.tracks.size());
  for (size_t k = 0; k < input.tracks.size(); ++k)
    for (int f = stride / 2; f < input.tracks[k].num_frames(); f += stride) frames[k].push_back(f);
  return frames;
}

// The gauge's scale camera: the farthest from the reference.
camera_t FarthestFrom(const Rig& rig, int reference) {
  camera_t far = reference == 0 ? 1 : 0;
  double best = -1.0;
  for (size_t c = 0; c < rig.size(); ++c) {
    const double d = (rig[c].CenterInWorld() - rig[reference].CenterInWorld()).norm();
    if (static_cast<int>(c) != reference && d > best) best = d, far = static_cast<camera_t>(c);
  }
  return far;
}

// The offsets of the adjustment into `result` (cameras with too few observations, or moved
// beyond their windows, keep the start).
void TakeOffsets(const BAProblemData& data, const BundleAdjustmentSummary& ba, const std::vector<double>& start_frames,
                 const SyncAdjustmentOptions& options, SyncResult* result) {
  for (size_t c = 0; c < result->cameras.size(); ++c) {
    if (static_cast<int>(c) == result->reference) continue;
    CameraOffset& o = result->cameras[c];
    const double change = data.time_offsets[c] - start_frames[c];
    char text[160];
    if (ba.camera_observations[c] < options.min_observations || std::abs(change) > options.max_change_frames) {
      std::snprintf(text, sizeof(text), "bundle adjustment not sure (%d observations, %+.2f frames): start kept",
                    ba.camera_observations[c], change);
      o.note = text;
      continue;
    }
    o.offset_frames = data.time_offsets[c];
    o.offset_s = o.offset_frames / result->reference_fps;
    o.cost_px = ba.camera_rms_px[c];
    o.signals = ba.camera_observations[c];
    const double se = c < ba.time_offset_sigma_frames.size() ? ba.time_offset_sigma_frames[c] : kNaN;
    o.standard_error_frames = std::isfinite(se) ? se : std::numeric_limits<double>::infinity();
    if (!o.estimated) {
      o.estimated = true;
      o.note = "from the bundle adjustment alone";
    }
  }
}

}  // namespace

SyncAdjustmentResult AdjustOffsetsWithCalibration(const Rig& rig, const SyncInput& input, const SyncResult& start,
                                                  const SyncAdjustmentOptions& options) {
  input.Check();
  options.Check();
  const int num_cameras = input.num_cameras();
  if (static_cast<int>(rig.size()) != num_cameras || static_cast<int>(start.cameras.size()) != num_cameras)
    throw std::invalid_argument("AdjustOffsetsWithCalibration: one camera and one start per camera expected");
  SyncAdjustmentResult out;
  out.sync = start;
  out.rig = rig;
  const double reference_fps = input.fps[input.reference];
  std::vector<double> offsets_s = start.OffsetsSeconds();
  for (double& v : offsets_s) v -= offsets_s[input.reference];
  std::vector<double> offsets_frames(num_cameras), rates(num_cameras);
  for (int c = 0; c < num_cameras; ++c) {
    offsets_frames[c] = offsets_s[c] * reference_fps;
    rates[c] = input.fps[c] / reference_fps;
  }

  BAProblemData data;
  data.time_offsets = offsets_frames;
  const std::vector<std::vector<int>> frames = SelectFrames(input, options.max_frames);
  for (size_t k = 0; k < input.tracks.size(); ++k) {
    const Observations2d cleaned = WithoutTemporalOutliers(input.tracks[k], options.outlier_rel);
    AddTrack(rig, input.tracks[k], SmoothedTrack(cleaned, options.smoothing_frames, options.min_confidence),
             offsets_frames, rates, frames[k], offsets_s, input, options, &data);
  }
  out.num_points = static_cast<int>(data.points.size());

  BundleAdjustmentOptions ba;
  ba.refine_time_offsets = true;
  ba.time_reference = input.reference;
  ba.time_offset_prior_frames = options.prior_frames;
  ba.time_offset_block_frames = options.block_frames;
  ba.loss_scale_px = options.loss_scale_px;
  ba.fixed_camera = input.reference;
  ba.scale_camera = FarthestFrom(rig, input.reference);
  out.ba = BundleAdjust(&out.rig, &data, ba);
  out.sync.method = "calibrated";
  out.sync.reference = input.reference;
  out.sync.reference_fps = reference_fps;
  if (!out.ba.success) {
    out.sync.reason = "bundle adjustment of the offsets failed: " + out.ba.termination;
    out.rig = rig;
    return out;
  }
  TakeOffsets(data, out.ba, offsets_frames, options, &out.sync);
  return out;
}

}  // namespace epilabel
