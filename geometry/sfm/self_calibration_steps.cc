#include "geometry/sfm/self_calibration_steps.h"

#include <algorithm>
#include <bitset>
#include <cmath>
#include <sstream>

namespace epilabel {

namespace {

// The frames where two cameras or more see at least half the joints.
std::vector<frame_t> WellSeenFrames(const Observations2d& obs, double min_confidence) {
  std::vector<frame_t> good_frames;
  for (frame_t f = 0; f < obs.num_frames(); ++f) {
    int cams = 0;
    for (camera_t c = 0; c < obs.num_cameras(); ++c) {
      int joints = 0;
      for (joint_t j = 0; j < obs.num_joints(); ++j) joints += Usable(obs.at(c, f, j), min_confidence) ? 1 : 0;
      if (joints * 2 >= obs.num_joints()) ++cams;
    }
    if (cams >= 2) good_frames.push_back(f);
  }
  return good_frames;
}

// The points (one per triangulated joint), the observations of the views that made them (their
// group: the joint type, or camera and joint type, by options.joint_weighting; their segment: the
// camera and block of options.segment_frames frames), and when `bones` are given one bone term
// per frame and bone with its median length.
BAProblemData MakeBAData(const TriangulationResult& tri, const std::vector<Bone>& bones,
                         const SelfCalibrationOptions& options, std::vector<BAPointLabel>* labels) {
  BAProblemData data;
  const int nf = tri.points.num_frames(), nj = tri.points.num_joints();
  const int joint_weighting = options.joint_weighting, block = options.segment_frames;
  const int num_blocks = block > 0 ? (nf + block - 1) / block : 0;
  std::vector<int> index(static_cast<size_t>(nf) * nj, -1);
  for (frame_t f = 0; f < nf; ++f)
    for (joint_t j = 0; j < nj; ++j) {
      if (!tri.points.IsValid(f, j)) continue;
      index[static_cast<size_t>(f) * nj + j] = static_cast<int>(data.points.size());
      data.points.push_back(tri.points.at(f, j));
      labels->push_back({f, j});
      const uint64_t mask = tri.view_mask.at(f, j);
      for (camera_t c = 0; c < tri.repaired.num_cameras(); ++c) {
        if (!(mask & (uint64_t{1} << c))) continue;
        const Eigen::Vector3d& o = tri.repaired.at(c, f, j);
        BAObservation bo;
        bo.camera = c;
        bo.point = index[static_cast<size_t>(f) * nj + j];
        bo.pixel = o.head<2>();
        bo.weight = o.z();
        bo.group = joint_weighting == 1 ? j : joint_weighting == 2 ? c * nj + j : -1;
        const int cls = options.segments_per_joint ? c * nj + j : c;
        bo.segment = block > 0 ? cls * num_blocks + f / block : -1;
        data.observations.push_back(bo);
      }
    }
  if (block > 0 && options.segments_per_joint) {
    data.segment_classes.resize(static_cast<size_t>(tri.repaired.num_cameras()) * nj * num_blocks);
    for (size_t s = 0; s < data.segment_classes.size(); ++s) data.segment_classes[s] = static_cast<int>(s) / num_blocks;
  }
  data.bone_lengths.assign(bones.size(), kNaN);
  for (size_t b = 0; b < bones.size(); ++b) {
    std::vector<double> lengths;
    for (frame_t f = 0; f < nf; ++f) {
      const int pa = index[static_cast<size_t>(f) * nj + bones[b].parent];
      const int pb = index[static_cast<size_t>(f) * nj + bones[b].child];
      if (pa < 0 || pb < 0) continue;
      data.bone_terms.push_back({pa, pb, static_cast<int>(b)});
      lengths.push_back((data.points[pa] - data.points[pb]).norm());
    }
    if (!lengths.empty()) {
      std::nth_element(lengths.begin(), lengths.begin() + static_cast<std::ptrdiff_t>(lengths.size() / 2),
                       lengths.end());
      data.bone_lengths[b] = lengths[lengths.size() / 2];
    }
  }
  return data;
}

// How far a pass moved the registered cameras, in degrees and in the standard deviations of
// the pass's covariance (`summary.uncertainty`, NaN entries ignored).
FinalPassReport MeasurePass(const Rig& before, const Rig& after, const std::vector<bool>& registered,
                            const BundleAdjustmentSummary& summary) {
  FinalPassReport r;
  r.observations = summary.num_observations;
  r.sigma0_px = summary.sigma0_px;
  r.rotation_change_deg = 0.0;
  for (size_t c = 0; c < before.size(); ++c) {
    if (!registered[c]) continue;
    const double rot_deg = RotationAngleDeg(after[c].cam_from_world.rotation *
                                            before[c].cam_from_world.rotation.inverse());
    const double centre = (after[c].CenterInWorld() - before[c].CenterInWorld()).norm();
    r.rotation_change_deg = std::max(r.rotation_change_deg, rot_deg);
    if (c >= summary.uncertainty.size()) continue;
    const CameraUncertainty& u = summary.uncertainty[c];
    if (u.rotation_sigma_deg > 0)
      r.rotation_change_sigmas = std::isnan(r.rotation_change_sigmas) ? rot_deg / u.rotation_sigma_deg
                                                                      : std::max(r.rotation_change_sigmas, rot_deg / u.rotation_sigma_deg);
    if (u.center_sigma > 0)
      r.center_change_sigmas = std::isnan(r.center_change_sigmas) ? centre / u.center_sigma
                                                                  : std::max(r.center_change_sigmas, centre / u.center_sigma);
  }
  return r;
}

// Whether the adaptive final adjustment runs another pass after `pass`; else `why` says why not.
bool AnotherPass(const FinalPassReport& pass, int passes_run, const SelfCalibrationOptions& options, std::string* why) {
  std::ostringstream os;
  const double moved = std::max(std::isnan(pass.rotation_change_sigmas) ? 0.0 : pass.rotation_change_sigmas,
                                std::isnan(pass.center_change_sigmas) ? 0.0 : pass.center_change_sigmas);
  if (std::isnan(pass.rotation_change_sigmas) && std::isnan(pass.center_change_sigmas)) {
    os << "no covariance to measure the pass's change by";
  } else if (moved <= options.final_pass_sigmas) {
    os << "the rig moved " << moved << " sigma (<= " << options.final_pass_sigmas << ")";
  } else if (!(pass.view_change > options.final_pass_view_change)) {
    os << "the views kept changed by " << 100 * pass.view_change << " % (<= " << 100 * options.final_pass_view_change
       << " %)";
  } else if (passes_run >= options.max_final_passes) {
    os << "the cap of " << options.max_final_passes << " passes (the last moved the rig " << moved
       << " sigma, views kept changed by " << 100 * pass.view_change << " %)";
  } else {
    return true;
  }
  *why = os.str();
  return false;
}

}  // namespace

CalibrationFrames SelectCalibrationFrames(const Observations2d& obs, const SelfCalibrationOptions& options) {
  const std::vector<frame_t> good_frames = WellSeenFrames(obs, options.min_confidence);
  std::vector<frame_t> ba_frames;
  if (static_cast<int>(good_frames.size()) <= options.max_ba_frames) {
    ba_frames = good_frames;
  } else {
    for (int k = 0; k < options.max_ba_frames; ++k)
      ba_frames.push_back(good_frames[static_cast<size_t>(k) * good_frames.size() / options.max_ba_frames]);
  }
  const int num_cameras = obs.num_cameras(), nj = obs.num_joints();
  CalibrationFrames out;
  out.ba = Observations2d(num_cameras, static_cast<int>(ba_frames.size()), nj);
  for (camera_t c = 0; c < num_cameras; ++c)
    for (size_t k = 0; k < ba_frames.size(); ++k)
      for (joint_t j = 0; j < nj; ++j) out.ba.at(c, static_cast<frame_t>(k), j) = obs.at(c, ba_frames[k], j);
  out.quick_stride = std::max(1, static_cast<int>(ba_frames.size()) / options.max_registration_frames);
  out.quick = Observations2d(num_cameras, (out.ba.num_frames() + out.quick_stride - 1) / out.quick_stride, nj);
  for (camera_t c = 0; c < num_cameras; ++c)
    for (frame_t f = 0; f < out.quick.num_frames(); ++f)
      for (joint_t j = 0; j < nj; ++j) out.quick.at(c, f, j) = out.ba.at(c, f * out.quick_stride, j);
  if (!options.frame_person.empty())
    for (frame_t f = 0; f < out.quick.num_frames(); ++f)
      out.quick_person.push_back(options.frame_person[ba_frames[f * out.quick_stride]]);
  return out;
}

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

// The cameras a triangulation used for any joint (the registered cameras that see the people).
long CamerasUsed(const TriangulationResult& tri) {
  uint64_t used = 0;
  for (uint64_t mask : tri.view_mask.data()) used |= mask;
  return std::bitset<64>(used).count();
}

BundleAdjustmentSummary AdjustRegistered(const Observations2d& frames, const std::vector<bool>& registered,
                                         const SelfCalibrationOptions& options,
                                         const BundleAdjustmentOptions& ba_options, bool with_bones, Rig* rig,
                                         int* num_points, int view_bias_rounds,
                                         std::vector<double>* view_bias_rms_px) {
  return AdjustTriangulated(TriangulateRegistered(*rig, frames, registered, options), options, ba_options, with_bones,
                            rig, num_points, view_bias_rounds, view_bias_rms_px);
}

BundleAdjustmentSummary AdjustTriangulated(const TriangulationResult& tri, const SelfCalibrationOptions& options,
                                           const BundleAdjustmentOptions& ba_options, bool with_bones, Rig* rig,
                                           int* num_points, int view_bias_rounds,
                                           std::vector<double>* view_bias_rms_px) {
  std::vector<BAPointLabel> labels;
  BAProblemData data = MakeBAData(tri, with_bones ? options.bones : std::vector<Bone>{}, options, &labels);
  *num_points = static_cast<int>(data.points.size());
  if (view_bias_rms_px) view_bias_rms_px->clear();
  Rig adjusted = *rig;
  bool torso = true;
  const int nf = tri.points.num_frames(), nj = tri.points.num_joints();
  for (joint_t j : options.view_bias.torso_joints) torso = torso && j >= 0 && j < nj;
  // Two cameras barely tell a view-dependent offset from their relative pose (studio stereo2,
  // realistic detector, seed 1: 0.29 deg and 1.69x the true cameras' MPJPE with 2 rounds).
  const long num_registered = CamerasUsed(tri);
  if (!torso || num_registered < 3) view_bias_rounds = 0;
  BundleAdjustmentOptions first = ba_options;
  first.compute_covariance = ba_options.compute_covariance && view_bias_rounds == 0;
  BundleAdjustmentSummary summary = BundleAdjust(&adjusted, &data, first);
  if (!summary.success) return summary;
  std::vector<Eigen::Vector2d> pixels;
  for (const BAObservation& o : data.observations) pixels.push_back(o.pixel);
  bool covariance_done = false;
  for (int round = 0; round < view_bias_rounds; ++round) {
    const ViewBiasModel model = FitViewBias(adjusted, data, pixels, labels, nf, nj, options.view_bias);
    if (!model.fitted) break;
    if (std::none_of(model.joint_applied.begin(), model.joint_applied.end(), [](bool a) { return a; })) {
      // No joint's offsets passed the gate: the adjustment stands as it is.
      if (view_bias_rms_px) *view_bias_rms_px = model.joint_rms_px;
      break;
    }
    BAProblemData corrected = data;
    CorrectViewBias(adjusted, model, pixels, labels, nf, options.view_bias, &corrected);
    for (BAObservation& o : corrected.observations) o.inlier = true;  // the outliers chosen again
    BundleAdjustmentOptions next = ba_options;
    next.compute_covariance = ba_options.compute_covariance && round + 1 == view_bias_rounds;
    Rig trial = adjusted;
    const BundleAdjustmentSummary s = BundleAdjust(&trial, &corrected, next);
    if (!s.success) break;
    adjusted = trial;
    data = std::move(corrected);
    summary = s;
    if (view_bias_rms_px) *view_bias_rms_px = model.joint_rms_px;
    if (next.compute_covariance) covariance_done = true;
  }
  if (ba_options.compute_covariance && !covariance_done && view_bias_rounds > 0) {
    // A round stopped early: the covariance of where it stopped.
    BundleAdjustmentOptions last = ba_options;
    last.outlier_rounds = 0;
    const BundleAdjustmentSummary s = BundleAdjust(&adjusted, &data, last);
    if (s.success) summary = s;
  }
  *rig = adjusted;
  return summary;
}

BundleAdjustmentSummary AdjustInPasses(const Observations2d& frames, const std::vector<bool>& registered,
                                       const SelfCalibrationOptions& options,
                                       const BundleAdjustmentOptions& ba_options, Rig* rig, int* num_points,
                                       std::vector<FinalPassReport>* passes, std::string* stop,
                                       std::vector<double>* view_bias_rms_px) {
  const bool adaptive = options.final_passes == 0;
  const int max_passes = adaptive ? options.max_final_passes : options.final_passes;
  BundleAdjustmentSummary summary;
  passes->clear();
  stop->clear();
  TriangulationResult tri = TriangulateRegistered(*rig, frames, registered, options);
  for (int pass = 1;; ++pass) {
    const Rig before = *rig;
    const int points_before = *num_points;
    const BundleAdjustmentSummary pass_summary = AdjustTriangulated(tri, options, ba_options, false, rig, num_points,
                                                                    options.view_bias_rounds, view_bias_rms_px);
    FinalPassReport report = MeasurePass(before, *rig, registered, pass_summary);
    if (!pass_summary.success) {  // a later pass that fails leaves the rig and summary of the one before
      passes->push_back(report);
      *stop = "the adjustment failed";
      if (pass == 1) summary = pass_summary;
      else *num_points = points_before;
      break;
    }
    summary = pass_summary;
    report.rig = *rig;
    const bool last_fixed = !adaptive && pass >= max_passes;
    if (!last_fixed) {
      TriangulationResult next = TriangulateRegistered(*rig, frames, registered, options);
      report.view_change = ViewChange(tri, next);
      tri = std::move(next);
    }
    passes->push_back(report);
    if (last_fixed) {
      *stop = "a fixed count of " + std::to_string(max_passes);
      break;
    }
    if (adaptive && !AnotherPass(report, pass, options, stop)) break;
  }
  return summary;
}

double ViewChange(const TriangulationResult& before, const TriangulationResult& after) {
  const auto kept = [](const TriangulationResult& t, frame_t f, joint_t j) {
    return t.points.IsValid(f, j) ? t.view_mask.at(f, j) : uint64_t{0};
  };
  int64_t changed = 0, total = 0;
  for (frame_t f = 0; f < before.points.num_frames(); ++f)
    for (joint_t j = 0; j < before.points.num_joints(); ++j) {
      const uint64_t a = kept(before, f, j), b = kept(after, f, j);
      total += __builtin_popcountll(a);
      changed += __builtin_popcountll(a ^ b);
    }
  return total > 0 ? static_cast<double>(changed) / static_cast<double>(total) : 0.0;
}

}  // namespace epilabel
