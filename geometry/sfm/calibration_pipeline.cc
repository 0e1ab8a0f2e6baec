#include "geometry/sfm/calibration_pipeline.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>

#include <Eigen/Eigenvalues>
#include <tbb/parallel_for.h>

#include "geometry/estimators/resection.h"

namespace epilabel {

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kGood: return "good";
    case Verdict::kCheck: return "check";
    case Verdict::kFailed: return "failed";
  }
  return "failed";
}

std::string CalibrationReport::BriefReport() const {
  std::ostringstream os;
  os << "verdict " << VerdictName(verdict);
  for (const auto& r : reasons) os << "; " << r;
  return os.str();
}

namespace {

double MedianOf(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  if (v.empty()) return kNaN;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

void Demote(Verdict* v, Verdict to) {
  if (static_cast<int>(to) > static_cast<int>(*v)) *v = to;
}

// Resects camera `c` on the joints the other cameras triangulate without it (at most
// `max_frames` evenly spread frames) and stores how far that pose lies from the calibrated one.
void LeaveOneCameraOut(const Rig& rig, const Observations2d& obs, camera_t c, const std::vector<uint8_t>& registered,
                       const TriangulationOptions& tri_options, int max_frames, CameraCalibrationReport* report) {
  const int nf = obs.num_frames(), nj = obs.num_joints();
  const int step = std::max(1, (nf + std::max(1, max_frames) - 1) / std::max(1, max_frames));
  std::vector<frame_t> frames;
  for (frame_t f = 0; f < nf; f += step) frames.push_back(f);
  Observations2d others(obs.num_cameras(), static_cast<int>(frames.size()), nj);
  for (camera_t k = 0; k < obs.num_cameras(); ++k) {
    if (k == c || !registered[k]) continue;
    for (size_t i = 0; i < frames.size(); ++i)
      for (joint_t j = 0; j < nj; ++j) others.at(k, static_cast<frame_t>(i), j) = obs.at(k, frames[i], j);
  }
  TriangulationOptions topt = tri_options;
  topt.keep_covariance = false;
  const TriangulationResult tri = TriangulateSequence(rig, others, topt);
  std::vector<Eigen::Vector3d> points;
  std::vector<Eigen::Vector2d> normalized;
  for (size_t i = 0; i < frames.size(); ++i)
    for (joint_t j = 0; j < nj; ++j) {
      const Eigen::Vector3d& o = obs.at(c, frames[i], j);
      if (!(o.z() >= tri_options.min_confidence) || !tri.points.IsValid(static_cast<frame_t>(i), j)) continue;
      points.push_back(tri.points.at(static_cast<frame_t>(i), j));
      normalized.push_back(rig[c].NormalizedFromImage(o.head<2>()));
    }
  if (points.size() < 30) return;
  ResectionOptions ropt;
  ropt.threshold_px = 8.0;
  const ResectionResult r = EstimateResection(points, normalized, rig[c].MeanFocal(), ropt);
  if (!r.success) return;
  const Eigen::Quaterniond delta = r.cam_from_world.rotation * rig[c].cam_from_world.rotation.conjugate();
  report->loo_rotation_deg = Eigen::AngleAxisd(delta.normalized()).angle() * 180.0 / M_PI;
  const Eigen::Vector3d center = -(r.cam_from_world.rotation.conjugate() * r.cam_from_world.translation);
  report->loo_center_m = (center - rig[c].CenterInWorld()).norm();
}

}  // namespace

CalibrationOutput CalibrateFromPoses(const Rig& input, const Observations2d& obs,
                                     const CalibrationPipelineOptions& options) {
  CalibrationOutput out;
  CalibrationReport& rep = out.report;
  const int num_cameras = obs.num_cameras();

  SelfCalibrationResult self = SelfCalibrate(input, obs, options.self);
  rep.self = self.summary;
  rep.cameras.resize(num_cameras);
  for (int c = 0; c < num_cameras; ++c) {
    rep.cameras[c].name = input[c].name;
    rep.cameras[c].registered = c < static_cast<int>(self.summary.registered.size()) && self.summary.registered[c];
  }
  if (!self.summary.success) {
    rep.verdict = Verdict::kFailed;
    rep.reasons.push_back(self.summary.failure_reason);
    for (int c = 0; c < num_cameras; ++c) {
      rep.cameras[c].verdict = Verdict::kFailed;
      rep.cameras[c].reason = self.summary.camera_notes.empty() ? "" : self.summary.camera_notes[c];
    }
    out.rig = self.rig;
    return out;
  }

  // Triangulate every frame in reconstruction units, then find the metric world frame.
  TriangulationOptions tri_options = options.triangulation;
  tri_options.symmetric_pairs = options.self.symmetric_pairs;
  if (tri_options.bones.empty()) tri_options.bones = options.self.bones;
  Observations2d registered_obs = obs;
  for (int c = 0; c < num_cameras; ++c) {
    if (rep.cameras[c].registered) continue;
    for (frame_t f = 0; f < obs.num_frames(); ++f)
      for (joint_t j = 0; j < obs.num_joints(); ++j) registered_obs.at(c, f, j).setZero();
  }
  const TriangulationResult recon = TriangulateSequence(self.rig, registered_obs, tri_options);
  rep.world = EstimateWorldFrame(self.rig, recon.points, options.world);
  if (!rep.world.success) {
    rep.verdict = Verdict::kFailed;
    rep.reasons.push_back("world frame: " + rep.world.failure_reason);
    for (auto& cr : rep.cameras) {
      cr.verdict = Verdict::kFailed;
      cr.reason = "no metric world frame";
    }
    out.rig = self.rig;
    return out;
  }
  const Sim3d& world_from_recon = rep.world.world_from_reconstruction;
  out.rig = TransformRig(self.rig, world_from_recon);
  for (Camera& cam : out.rig) cam.has_extrinsics = true;
  for (int c = 0; c < num_cameras; ++c) out.rig[c].has_extrinsics = rep.cameras[c].registered;
  out.points = recon;
  out.points.points = TransformPoints(recon.points, world_from_recon);
  for (double& u : out.points.uncertainty_m.data()) u *= world_from_recon.scale;
  rep.triangulation = recon.summary;

  // Rig size and motion extent.
  rep.rig_size_m = 0;
  for (int a = 0; a < num_cameras; ++a)
    for (int b = a + 1; b < num_cameras; ++b)
      if (rep.cameras[a].registered && rep.cameras[b].registered)
        rep.rig_size_m = std::max(rep.rig_size_m, (out.rig[a].CenterInWorld() - out.rig[b].CenterInWorld()).norm());
  {
    std::vector<Eigen::Vector3d> roots;
    for (frame_t f = 0; f < out.points.points.num_frames(); ++f) {
      Eigen::Vector3d sum = Eigen::Vector3d::Zero();
      int n = 0;
      for (joint_t j : options.world.root_joints)
        if (out.points.points.IsValid(f, j)) {
          sum += out.points.points.at(f, j);
          ++n;
        }
      if (n > 0) roots.push_back(sum / n);
    }
    if (roots.size() >= 2) {
      Eigen::Vector3d mean = Eigen::Vector3d::Zero();
      for (const auto& p : roots) mean += p;
      mean /= static_cast<double>(roots.size());
      Eigen::Matrix3d cov = Eigen::Matrix3d::Zero();
      for (const auto& p : roots) cov += (p - mean) * (p - mean).transpose();
      cov /= static_cast<double>(roots.size());
      rep.motion_extent_m = 2.0 * std::sqrt(std::max(0.0, Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d>(cov).eigenvalues()(2)));
    }
  }

  // Leave-one-camera-out check (metric world rig, registered cameras only).
  {
    std::vector<uint8_t> registered(num_cameras, 0);
    int n = 0;
    for (int c = 0; c < num_cameras; ++c) {
      registered[c] = rep.cameras[c].registered ? 1 : 0;
      n += registered[c];
    }
    if (options.leave_one_out && n >= 3) {
      const auto start = std::chrono::steady_clock::now();
      tbb::parallel_for(0, num_cameras, [&](int c) {
        if (registered[c])
          LeaveOneCameraOut(out.rig, registered_obs, c, registered, tri_options, options.leave_one_out_frames,
                            &rep.cameras[c]);
      });
      rep.self.timings_s.emplace_back("leave-one-camera-out check",
                                      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
  }

  // Per-camera figures and verdicts.
  const CalibrationThresholds& th = options.thresholds;
  std::vector<double> rms;
  for (int c = 0; c < num_cameras; ++c)
    if (c < static_cast<int>(rep.self.ba.camera_rms_px.size())) rms.push_back(rep.self.ba.camera_rms_px[c]);
  const double median_rms = MedianOf(rms);
  {
    std::vector<double> errors;
    for (int c = 0; c < num_cameras; ++c)
      if (rep.cameras[c].registered) errors.push_back(recon.summary.cameras[c].median_error_px);
    const double e = MedianOf(errors);
    rep.loo_limit_deg = std::max(th.max_loo_rotation_deg, std::isfinite(e) ? th.loo_rotation_deg_per_px * e : 0.0);
    rep.loo_limit_center_m =
        rep.rig_size_m * std::max(th.max_loo_center_rel, std::isfinite(e) ? th.loo_center_rel_per_px * e : 0.0);
  }
  Verdict global = Verdict::kGood;
  for (int c = 0; c < num_cameras; ++c) {
    CameraCalibrationReport& cr = rep.cameras[c];
    cr.focal_px = out.rig[c].MeanFocal();
    if (!cr.registered) {
      cr.verdict = Verdict::kFailed;
      cr.reason = rep.self.camera_notes[c].empty() ? "not registered" : rep.self.camera_notes[c];
      Demote(&global, Verdict::kFailed);
      rep.reasons.push_back("camera " + cr.name + " failed: " + cr.reason);
      continue;
    }
    const auto& ba = rep.self.ba;
    cr.rms_px = ba.camera_rms_px[c];
    cr.observations = ba.camera_observations[c];
    if (c < static_cast<int>(ba.uncertainty.size())) {
      cr.rotation_sigma_deg = ba.uncertainty[c].rotation_sigma_deg;
      cr.center_sigma_m = ba.uncertainty[c].center_sigma * world_from_recon.scale;
      cr.focal_sigma_px = ba.uncertainty[c].focal_sigma_px;
    }
    const auto& tc = recon.summary.cameras[c];
    cr.median_error_px = tc.median_error_px;
    cr.share_used = tc.observed > 0 ? static_cast<double>(tc.used) / static_cast<double>(tc.observed) : kNaN;
    std::vector<std::string> why;
    if (cr.rms_px > th.max_rms_px) why.push_back("reprojection RMS " + std::to_string(cr.rms_px) + " px");
    else if (median_rms > 0 && cr.rms_px > th.max_rms_ratio * median_rms)
      why.push_back("reprojection RMS " + std::to_string(cr.rms_px) + " px, far above the other cameras");
    if (cr.observations < th.min_observations)
      why.push_back("few observations in the adjustment (" + std::to_string(cr.observations) + ")");
    if (cr.rotation_sigma_deg > th.max_rotation_sigma_deg)
      why.push_back("rotation uncertain (" + std::to_string(cr.rotation_sigma_deg) + " deg)");
    if (rep.rig_size_m > 0 && cr.center_sigma_m > th.max_center_sigma_rel * rep.rig_size_m)
      why.push_back("position uncertain (" + std::to_string(cr.center_sigma_m) + " m)");
    if (rep.self.focal_estimated && cr.focal_sigma_px > th.max_focal_sigma_rel * cr.focal_px)
      why.push_back("focal length uncertain (" + std::to_string(cr.focal_sigma_px) + " px)");
    if (cr.loo_rotation_deg > rep.loo_limit_deg || (rep.rig_size_m > 0 && cr.loo_center_m > rep.loo_limit_center_m)) {
      char buf[200];
      std::snprintf(buf, sizeof(buf),
                    "resected on the other cameras' joints alone it moves %.2f deg and %.0f mm: weakly held by them "
                    "or inconsistent with them",
                    cr.loo_rotation_deg, 1000.0 * cr.loo_center_m);
      why.push_back(buf);
    }
    if (cr.share_used < th.min_share_used)
      why.push_back("only " + std::to_string(static_cast<int>(100 * cr.share_used)) + "% of its joints agree with the others");
    if (!why.empty()) {
      cr.verdict = Verdict::kCheck;
      for (size_t k = 0; k < why.size(); ++k) cr.reason += (k ? "; " : "") + why[k];
      Demote(&global, Verdict::kCheck);
      rep.reasons.push_back("camera " + cr.name + ": " + cr.reason);
    }
  }
  // Name the camera the leave-one-out check finds weakest when any camera fails it.
  {
    int weakest = -1, failing = 0;
    double worst = 0.0;
    for (int c = 0; c < num_cameras; ++c) {
      const CameraCalibrationReport& cr = rep.cameras[c];
      if (!std::isfinite(cr.loo_rotation_deg)) continue;
      double badness = cr.loo_rotation_deg / rep.loo_limit_deg;
      if (rep.rig_size_m > 0) badness = std::max(badness, cr.loo_center_m / rep.loo_limit_center_m);
      failing += badness > 1.0 ? 1 : 0;
      if (badness > worst) {
        worst = badness;
        weakest = c;
      }
    }
    if (failing > 0 && weakest >= 0) {
      char buf[240];
      std::snprintf(buf, sizeof(buf),
                    "weakest camera: %s (resected without its own joints it moves %.2f deg and %.0f mm; %d of the "
                    "cameras move more than %.1f deg or %.0f mm)",
                    rep.cameras[weakest].name.c_str(), rep.cameras[weakest].loo_rotation_deg,
                    1000.0 * rep.cameras[weakest].loo_center_m, failing, rep.loo_limit_deg,
                    1000.0 * rep.loo_limit_center_m);
      rep.reasons.insert(rep.reasons.begin(), buf);
    }
  }
  if (rep.self.focal_estimated) {
    // A principal-point offset d and a camera rotation of d / f radians look nearly the same on
    // a person near the image centre, so the assumption cannot be checked from the data.
    double focal = 0.0;
    int n = 0;
    for (const auto& cr : rep.cameras)
      if (cr.registered && std::isfinite(cr.focal_px)) focal += cr.focal_px, ++n;
    focal = n > 0 ? focal / n : kNaN;
    char buf[400];
    std::snprintf(buf, sizeof(buf),
                  "intrinsics estimated with the principal points at the image centres: a real offset of d px "
                  "turns a camera by about d / f (%.2f deg per 10 px at f = %.0f px) and moves it with that; the "
                  "triangulated poses keep their shape. Give intrinsics when you have them",
                  std::isfinite(focal) ? 10.0 / focal * 180.0 / M_PI : kNaN, focal);
    rep.notes.push_back(buf);
  }
  int registered = 0;
  for (const auto& cr : rep.cameras) registered += cr.registered ? 1 : 0;
  if (registered == 2) {
    Demote(&global, Verdict::kCheck);
    rep.reasons.push_back("only two cameras: no redundancy to detect errors");
    if (rep.self.focal_estimated)
      rep.reasons.push_back("focal lengths from a single camera pair are weakly determined");
  }
  if (rep.self.num_frames_used < th.min_frames) {
    Demote(&global, Verdict::kCheck);
    rep.reasons.push_back("few usable frames (" + std::to_string(rep.self.num_frames_used) + ")");
  }
  if (std::isfinite(rep.motion_extent_m) && rep.motion_extent_m < th.min_motion_extent_m) {
    Demote(&global, Verdict::kCheck);
    rep.reasons.push_back("the person barely moves (root spread " + std::to_string(rep.motion_extent_m) +
                          " m): poses are weakly constrained away from the person");
  }
  if (!rep.world.floor_from_feet) {
    Demote(&global, Verdict::kCheck);
    rep.reasons.push_back("no floor plane from the feet; up is the mean body axis");
  }
  for (const auto& note : rep.world.notes) rep.reasons.push_back(note);
  rep.verdict = global;
  out.success = global != Verdict::kFailed;
  return out;
}

}  // namespace epilabel
