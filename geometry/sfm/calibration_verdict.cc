#include "geometry/sfm/calibration_verdict.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace epilabel {

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

// The leave-one-out limits grow with the median reprojection error of the final triangulation
// over the registered cameras (see CalibrationThresholds).
void SetLeaveOneOutLimits(const CalibrationThresholds& th, CalibrationReport* rep) {
  std::vector<double> errors;
  for (size_t c = 0; c < rep->cameras.size(); ++c)
    if (rep->cameras[c].registered) errors.push_back(rep->triangulation.cameras[c].median_error_px);
  const double e = MedianOf(errors);
  rep->loo_limit_deg = std::max(th.max_loo_rotation_deg, std::isfinite(e) ? th.loo_rotation_deg_per_px * e : 0.0);
  rep->loo_limit_center_m =
      rep->rig_size_m * std::max(th.max_loo_center_rel, std::isfinite(e) ? th.loo_center_rel_per_px * e : 0.0);
}

// A registered camera's figures from the bundle adjustment and the final triangulation.
void CameraFigures(const CalibrationReport& rep, camera_t c, CameraCalibrationReport* cr) {
  const BundleAdjustmentSummary& ba = rep.self.ba;
  cr->rms_px = ba.camera_rms_px[c];
  cr->observations = ba.camera_observations[c];
  if (c < static_cast<int>(ba.uncertainty.size())) {
    cr->rotation_sigma_deg = ba.uncertainty[c].rotation_sigma_deg;
    cr->center_sigma_m = ba.uncertainty[c].center_sigma * rep.world.world_from_reconstruction.scale;
    cr->focal_sigma_px = ba.uncertainty[c].focal_sigma_px;
  }
  if (c < static_cast<int>(rep.self.focal_jackknife_sigma_px.size()))
    cr->focal_jackknife_px = rep.self.focal_jackknife_sigma_px[c];
  if (std::isfinite(cr->focal_sigma_px) || std::isfinite(cr->focal_jackknife_px))
    cr->focal_uncertainty_px = std::max(std::isfinite(cr->focal_sigma_px) ? cr->focal_sigma_px : 0.0,
                                        std::isfinite(cr->focal_jackknife_px) ? cr->focal_jackknife_px : 0.0);
  if (c < static_cast<int>(rep.self.given_focal_pull_rel.size())) {
    cr->given_focal_pull_rel = rep.self.given_focal_pull_rel[c];
    cr->given_focal_sigma_rel = rep.self.given_focal_sigma_rel[c];
  }
  const CameraTriangulationStats& tc = rep.triangulation.cameras[c];
  cr->median_error_px = tc.median_error_px;
  cr->share_used = tc.observed > 0 ? static_cast<double>(tc.used) / static_cast<double>(tc.observed) : kNaN;
}

// Why a registered camera needs checking (empty: it does not).
std::vector<std::string> CheckReasons(const CalibrationThresholds& th, const CalibrationReport& rep, double median_rms,
                                      const Rig& rig, camera_t c, const CameraCalibrationReport& cr) {
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
  if (rep.self.focal_estimated && cr.focal_uncertainty_px > th.max_focal_sigma_rel * cr.focal_px) {
    char buf[120];
    std::snprintf(buf, sizeof(buf), "focal length uncertain (%.0f px, %.1f %%)", cr.focal_uncertainty_px,
                  100.0 * cr.focal_uncertainty_px / cr.focal_px);
    why.push_back(buf);
  }
  if (cr.loo_rotation_deg > rep.loo_limit_deg || (rep.rig_size_m > 0 && cr.loo_center_m > rep.loo_limit_center_m)) {
    char buf[200];
    std::snprintf(buf, sizeof(buf),
                  "resected on the other cameras' joints alone it moves %.2f deg and %.0f mm: weakly held by them "
                  "or inconsistent with them",
                  cr.loo_rotation_deg, 1000.0 * cr.loo_center_m);
    why.push_back(buf);
  }
  if (const std::string lens = LensPlausibility(rig[c], th); !lens.empty()) why.push_back(lens);
  if (cr.share_used < th.min_share_used)
    why.push_back("only " + std::to_string(static_cast<int>(100 * cr.share_used)) + "% of its joints agree with the others");
  return why;
}

// A registered camera that moves so far in the leave-one-out check that it cannot share the
// other cameras' geometry (see CalibrationThresholds::failed_loo_rotation_deg).
bool FailsLeaveOneOut(const CalibrationThresholds& th, const CalibrationReport& rep,
                      const CameraCalibrationReport& cr) {
  const double limit = std::max(th.failed_loo_rotation_deg, th.failed_loo_factor * rep.loo_limit_deg);
  return std::isfinite(cr.loo_rotation_deg) && cr.loo_rotation_deg > limit;
}

// Per-camera figures and verdicts; returns the worst camera verdict.
Verdict JudgeCameras(const CalibrationThresholds& th, const Rig& rig, CalibrationReport* rep) {
  std::vector<double> rms;
  for (size_t c = 0; c < rep->cameras.size(); ++c)
    if (c < rep->self.ba.camera_rms_px.size()) rms.push_back(rep->self.ba.camera_rms_px[c]);
  const double median_rms = MedianOf(rms);
  Verdict global = Verdict::kGood;
  for (camera_t c = 0; c < static_cast<camera_t>(rep->cameras.size()); ++c) {
    CameraCalibrationReport& cr = rep->cameras[c];
    cr.focal_px = rig[c].MeanFocal();
    if (!cr.registered) {
      cr.verdict = Verdict::kFailed;
      cr.reason = rep->self.camera_notes[c].empty() ? "not registered" : rep->self.camera_notes[c];
      Demote(&global, Verdict::kFailed);
      rep->reasons.push_back("camera " + cr.name + " failed: " + cr.reason);
      continue;
    }
    CameraFigures(*rep, c, &cr);
    const std::vector<std::string> why = CheckReasons(th, *rep, median_rms, rig, c, cr);
    if (why.empty()) continue;
    cr.verdict = FailsLeaveOneOut(th, *rep, cr) ? Verdict::kFailed : Verdict::kCheck;
    for (size_t k = 0; k < why.size(); ++k) cr.reason += (k ? "; " : "") + why[k];
    Demote(&global, cr.verdict);
    rep->reasons.push_back("camera " + cr.name + (cr.verdict == Verdict::kFailed ? " failed: " : ": ") + cr.reason);
  }
  return global;
}

// The camera whose figure stands out: the largest finite figure when it exceeds `ratio` times
// the median of the other cameras' finite figures (two or more); {-1, NaN} otherwise, and then
// `largest_ratio` still gets the largest figure's multiple of that median (NaN if none).
int StandsOut(const std::vector<double>& figure, double ratio, double* largest_ratio) {
  *largest_ratio = kNaN;
  int top = -1;
  for (size_t c = 0; c < figure.size(); ++c)
    if (std::isfinite(figure[c]) && (top < 0 || figure[c] > figure[top])) top = static_cast<int>(c);
  if (top < 0) return -1;
  std::vector<double> others;
  for (size_t c = 0; c < figure.size(); ++c)
    if (static_cast<int>(c) != top && std::isfinite(figure[c])) others.push_back(figure[c]);
  const double median = MedianOf(others);
  if (others.size() < 2 || !(median > 0)) return -1;
  *largest_ratio = figure[top] / median;
  return *largest_ratio > ratio ? top : -1;
}

// Per camera the leave-one-out shift against its limits, the larger of rotation and centre
// (1: at the limit); NaN where the check did not run.
std::vector<double> LeaveOneOutBadness(const CalibrationReport& rep) {
  std::vector<double> badness(rep.cameras.size(), kNaN);
  for (size_t c = 0; c < rep.cameras.size(); ++c) {
    const CameraCalibrationReport& cr = rep.cameras[c];
    if (!cr.registered || !std::isfinite(cr.loo_rotation_deg)) continue;
    badness[c] = cr.loo_rotation_deg / rep.loo_limit_deg;
    if (rep.rig_size_m > 0 && std::isfinite(cr.loo_center_m))
      badness[c] = std::max(badness[c], cr.loo_center_m / rep.loo_limit_center_m);
  }
  return badness;
}

// Per camera the adjustment's rotation sigma (deg) scaled by its reprojection RMS over the median
// camera's; NaN for the gauge camera (sigma 0: relative to itself) and unregistered cameras.
std::vector<double> ScaledUncertainty(const CalibrationReport& rep) {
  std::vector<double> rms;
  for (const auto& cr : rep.cameras)
    if (cr.registered) rms.push_back(cr.rms_px);
  const double median_rms = MedianOf(rms);
  std::vector<double> u(rep.cameras.size(), kNaN);
  for (size_t c = 0; c < rep.cameras.size(); ++c) {
    const CameraCalibrationReport& cr = rep.cameras[c];
    if (!cr.registered || !(cr.rotation_sigma_deg > 0)) continue;
    const double scale = median_rms > 0 && std::isfinite(cr.rms_px) ? cr.rms_px / median_rms : 1.0;
    u[c] = cr.rotation_sigma_deg * scale;
  }
  return u;
}

// Registered cameras whose given focal length the people pull significantly
// (WeakestCameraOptions), largest |pull| first.
std::vector<int> FocalDisagreements(const CalibrationReport& rep, const WeakestCameraOptions& options) {
  std::vector<int> cameras;
  for (size_t c = 0; c < rep.cameras.size(); ++c) {
    const CameraCalibrationReport& cr = rep.cameras[c];
    const double pull = std::abs(cr.given_focal_pull_rel);
    if (cr.registered && pull > options.min_focal_pull_rel && pull > options.focal_pull_sigmas * cr.given_focal_sigma_rel)
      cameras.push_back(static_cast<int>(c));
  }
  std::sort(cameras.begin(), cameras.end(), [&rep](int a, int b) {
    return std::abs(rep.cameras[a].given_focal_pull_rel) > std::abs(rep.cameras[b].given_focal_pull_rel);
  });
  return cameras;
}

// Per camera |pull| on its given focal length (NaN where not measured).
std::vector<double> FocalPulls(const CalibrationReport& rep) {
  std::vector<double> pulls(rep.cameras.size(), kNaN);
  for (size_t c = 0; c < rep.cameras.size(); ++c)
    if (rep.cameras[c].registered) pulls[c] = std::abs(rep.cameras[c].given_focal_pull_rel);
  return pulls;
}

// "the people put it 3.8 % +- 0.6 % shorter" for a camera with a measured pull.
std::string FocalPullPhrase(const CameraCalibrationReport& cr) {
  char buf[200];
  std::snprintf(buf, sizeof(buf), "freed alone, the people put it %.1f %% +- %.1f %% %s",
                100.0 * std::abs(cr.given_focal_pull_rel), 100.0 * cr.given_focal_sigma_rel,
                cr.given_focal_pull_rel < 0 ? "shorter" : "longer");
  return buf;
}

// The note on a camera whose given focal length the people disagree with.
std::string FocalDisagreementText(const CalibrationReport& rep, const CameraCalibrationReport& cr) {
  char buf[600];
  std::snprintf(buf, sizeof(buf),
                "%s's given focal length (%.0f px) disagrees with the people: %s (jackknife over %d frame blocks and %d "
                "joint groups). Its pose absorbs such an error (the camera slides along its axis) and no other figure "
                "shows it: check its intrinsics (another resolution or zoom, an EXIF focal, a failed board "
                "calibration)",
                cr.name.c_str(), cr.focal_px, FocalPullPhrase(cr).c_str(), rep.self.given_focal_blocks,
                rep.self.given_focal_joint_groups);
  return buf;
}

// The weakest camera named by its given focal length (`ratio`: its |pull| over the others' median).
std::string FocalWeakestText(const CameraCalibrationReport& cr, double ratio) {
  char buf[400];
  std::snprintf(buf, sizeof(buf),
                "weakest camera: %s (its given focal length disagrees with the people: %s, %.1f x the other cameras' "
                "median pull)",
                cr.name.c_str(), FocalPullPhrase(cr).c_str(), ratio);
  return buf;
}

// The weakest camera named by its leave-one-out shift (`ratio`: its badness over the others' median).
std::string LeaveOneOutWeakestText(const CalibrationReport& rep, const std::vector<double>& badness, int camera,
                                   double ratio) {
  int exceeding = 0;
  for (double b : badness) exceeding += b > 1.0 ? 1 : 0;
  const CameraCalibrationReport& cr = rep.cameras[camera];
  char buf[400];
  std::snprintf(buf, sizeof(buf),
                "weakest camera: %s (resected without its own joints it moves %.2f deg and %.0f mm, %.1f x the other "
                "cameras' median against the limits of %.1f deg or %.0f mm; %d of the cameras move more)",
                cr.name.c_str(), cr.loo_rotation_deg, 1000.0 * cr.loo_center_m, ratio, rep.loo_limit_deg,
                1000.0 * rep.loo_limit_center_m, exceeding);
  return buf;
}

// The weakest camera named by its pose uncertainty (`ratio`: over the others' median).
std::string UncertaintyWeakestText(const CameraCalibrationReport& cr, double ratio) {
  char buf[400];
  std::snprintf(buf, sizeof(buf),
                "weakest camera: %s (its pose is %.1f x as uncertain as the other cameras' median: rotation sigma "
                "%.3f deg at %.2f px reprojection RMS, %d observations; it sees the person in few frames, few "
                "joints or from a poor angle)",
                cr.name.c_str(), ratio, cr.rotation_sigma_deg, cr.rms_px, cr.observations);
  return buf;
}

// No camera stands out: the two largest ratios measured (either may be NaN, not both).
std::string NoWeakestText(const WeakestCamera& w, double standout_ratio) {
  std::string text = "no camera stands out as the weakest:";
  char buf[200];
  if (std::isfinite(w.loo_ratio)) {
    std::snprintf(buf, sizeof(buf), " the largest leave-one-out shift is %.1f x the other cameras' median%s",
                  w.loo_ratio, w.loo_ratio > standout_ratio ? " but within its limits" : "");
    text += buf;
  }
  if (std::isfinite(w.uncertainty_ratio)) {
    std::snprintf(buf, sizeof(buf), "%s the largest pose uncertainty %.1f x", std::isfinite(w.loo_ratio) ? "," : "",
                  w.uncertainty_ratio);
    text += buf;
  }
  std::snprintf(buf, sizeof(buf), " (a camera is named above %.1f x)", standout_ratio);
  return text + buf;
}

// Says what FindWeakestCamera found: first among the reasons when the verdict is not "good"
// and a camera is named, otherwise among the notes.
void StateWeakestCamera(const WeakestCamera& weakest, CalibrationReport* rep) {
  if (weakest.text.empty()) return;
  if (weakest.camera >= 0 && rep->verdict != Verdict::kGood) rep->reasons.insert(rep->reasons.begin(), weakest.text);
  else rep->notes.push_back(weakest.text);
}

// Estimated intrinsics: a principal-point offset d and a camera rotation of d / f radians look
// nearly the same on a person near the image centre, so the assumption cannot be checked from
// the data.
void NoteEstimatedIntrinsics(CalibrationReport* rep) {
  double focal = 0.0;
  int n = 0;
  for (const auto& cr : rep->cameras)
    if (cr.registered && std::isfinite(cr.focal_px)) focal += cr.focal_px, ++n;
  focal = n > 0 ? focal / n : kNaN;
  char buf[400];
  std::snprintf(buf, sizeof(buf),
                "intrinsics estimated with the principal points at the image centres: a real offset of d px "
                "turns a camera by about d / f (%.2f deg per 10 px at f = %.0f px) and moves it with that; the "
                "triangulated poses keep their shape. Give intrinsics when you have them",
                std::isfinite(focal) ? 10.0 / focal * 180.0 / M_PI : kNaN, focal);
  rep->notes.push_back(buf);
}

// Estimated focal lengths with the scale from a camera baseline and a measured subject height: the
// height the person measures at the baseline's scale against the given one. A common focal error
// moves the cameras out (too long) or in with it while the person keeps its angular size, so the
// person comes out shorter or taller than stated; unlike the jackknife this sees an error that
// every stretch of the frames shares (Pose2Sim's balancing trial: -4.6 % with focal lengths
// +5 %, the stature model's own error there about -1.6 %). A note: the stature model and the two
// measurements have errors of their own.
void NoteStatureAgainstBaseline(CalibrationReport* rep) {
  const WorldFrameResult& w = rep->world;
  if (!rep->height_given || w.scale_method != "camera baseline" || !w.people.empty()) return;
  if (!std::isfinite(w.measured_height_m) || !(w.stated_height_m > 0)) return;
  const double mismatch = w.measured_height_m / w.stated_height_m - 1.0;
  char buf[500];
  std::snprintf(buf, sizeof(buf),
                "at the baseline's scale the subject measures %.3f m against the given %.3f m (%+.1f %%): estimated "
                "focal lengths move the cameras with them, so a mismatch well beyond the stature model's ~2 %% says "
                "they are likely too %s by about as much (check the height and the baseline first)",
                w.measured_height_m, w.stated_height_m, 100.0 * mismatch, mismatch < 0 ? "long" : "short");
  rep->notes.push_back(buf);
}

// Estimated focal lengths: the largest relative uncertainty, and when it exceeds the limit a
// rig-wide reason that says what to do (the per-camera reasons only give the figure).
void JudgeFocalUncertainty(const CalibrationThresholds& th, CalibrationReport* rep, Verdict* global) {
  if (!rep->self.focal_estimated) return;
  double worst = kNaN, worst_cov = 0.0;
  for (const auto& cr : rep->cameras) {
    if (!cr.registered || !(cr.focal_px > 0) || !std::isfinite(cr.focal_uncertainty_px)) continue;
    const double rel = cr.focal_uncertainty_px / cr.focal_px;
    if (!(rel <= worst)) worst = rel;
    if (std::isfinite(cr.focal_sigma_px)) worst_cov = std::max(worst_cov, cr.focal_sigma_px / cr.focal_px);
  }
  rep->focal_uncertainty_rel = worst;
  if (!(worst > th.max_focal_sigma_rel)) return;
  Demote(global, Verdict::kCheck);
  char buf[400];
  std::snprintf(buf, sizeof(buf),
                "focal length not determined by the data: uncertain by ~%.1f %% (jackknife over %d frame blocks "
                "and %d joint groups; the adjustment's covariance alone says %.1f %%), and the metric scale with it: "
                "give intrinsics or more motion in depth",
                100.0 * worst, rep->self.focal_jackknife_blocks, rep->self.focal_jackknife_joint_groups,
                100.0 * worst_cov);
  rep->reasons.push_back(buf);
}

// Rig-wide reasons for "check": two cameras, few frames, little motion, no floor; then the world
// frame's notes.
void JudgeRig(const CalibrationThresholds& th, CalibrationReport* rep, Verdict* global) {
  int registered = 0;
  for (const auto& cr : rep->cameras) registered += cr.registered ? 1 : 0;
  if (registered == 2) {
    Demote(global, Verdict::kCheck);
    rep->reasons.push_back("only two cameras: no redundancy to detect errors");
    if (rep->self.focal_estimated)
      rep->reasons.push_back("focal lengths from a single camera pair are weakly determined");
  }
  if (rep->self.num_frames_used < th.min_frames) {
    Demote(global, Verdict::kCheck);
    rep->reasons.push_back("few usable frames (" + std::to_string(rep->self.num_frames_used) + ")");
  }
  if (std::isfinite(rep->motion_extent_m) && rep->motion_extent_m < th.min_motion_extent_m) {
    Demote(global, Verdict::kCheck);
    rep->reasons.push_back("the person barely moves (root spread " + std::to_string(rep->motion_extent_m) +
                           " m): poses are weakly constrained away from the person");
  }
  if (!rep->world.floor_from_feet) {
    Demote(global, Verdict::kCheck);
    rep->reasons.push_back("no floor plane from the feet; up is the mean body axis");
  }
  for (const auto& note : rep->world.notes) rep->reasons.push_back(note);
}

}  // namespace

std::string LensPlausibility(const Camera& cam, const CalibrationThresholds& th) {
  if (!(cam.fx > 0) || cam.width <= 0 || cam.height <= 0) return "";
  const bool fisheye = cam.lens == LensModel::kFisheye;
  char buf[240];
  const double half_width = 0.5 * cam.width / cam.fx;
  const double fov_deg = (fisheye ? 2.0 * half_width : 2.0 * std::atan(half_width)) * 180.0 / M_PI;
  if (fov_deg < th.min_fov_deg || fov_deg > (fisheye ? 180.0 : th.max_fov_deg)) {
    std::snprintf(buf, sizeof(buf), "implausible lens: %.0f deg across the image (focal %.0f px for %d px)", fov_deg,
                  cam.fx, cam.width);
    return buf;
  }
  const double dx = std::abs(cam.cx - 0.5 * (cam.width - 1)), dy = std::abs(cam.cy - 0.5 * (cam.height - 1));
  if (dx > th.max_principal_offset_rel * cam.width || dy > th.max_principal_offset_rel * cam.height) {
    std::snprintf(buf, sizeof(buf), "implausible lens: principal point %.0f, %.0f px off the image centre", dx, dy);
    return buf;
  }
  // Distorted radius of the farthest corner, normalised; walk the undistorted radius out to it.
  const double corner_x = std::max(cam.cx, cam.width - 1 - cam.cx) / cam.fx;
  const double corner_y = std::max(cam.cy, cam.height - 1 - cam.cy) / cam.fy;
  const double corner = std::hypot(corner_x, corner_y);
  const Distortion& d = cam.distortion;
  const int steps = 2000;
  const double r_end = fisheye ? 0.5 * M_PI : 4.0 * corner;  // fisheye: r is the angle theta
  for (int i = 1; i <= steps; ++i) {
    const double r = r_end * i / steps, r2 = r * r;
    const double factor = fisheye ? 1 + r2 * (d[0] + r2 * (d[1] + r2 * (d[2] + r2 * d[3])))
                                  : 1 + r2 * (d[0] + r2 * (d[1] + r2 * d[4]));
    const double slope = fisheye ? 1 + r2 * (3 * d[0] + r2 * (5 * d[1] + r2 * (7 * d[2] + r2 * 9 * d[3])))
                                 : 1 + r2 * (3 * d[0] + r2 * (5 * d[1] + r2 * 7 * d[4]));
    if (!(slope > 0)) {
      std::snprintf(buf, sizeof(buf), "implausible lens: the distortion folds back inside the image (k1 %.3g, k2 %.3g)",
                    d[0], d[1]);
      return buf;
    }
    if (r * factor >= corner) {
      if (!fisheye && std::abs(factor - 1.0) > th.max_corner_distortion) {
        std::snprintf(buf, sizeof(buf), "implausible lens: distortion %+.0f %% at the image corner (k1 %.3g, k2 %.3g)",
                      100.0 * (factor - 1.0), d[0], d[1]);
        return buf;
      }
      return "";
    }
  }
  if (fisheye) return "";  // increasing up to 90 degrees; the corners lie outside the image circle
  std::snprintf(buf, sizeof(buf), "implausible lens: the distortion does not reach the image corner (k1 %.3g, k2 %.3g)",
                d[0], d[1]);
  return buf;
}

WeakestCamera FindWeakestCamera(const CalibrationReport& rep, const WeakestCameraOptions& options) {
  WeakestCamera w;
  w.focal_disagrees = FocalDisagreements(rep, options);
  const std::vector<double> badness = LeaveOneOutBadness(rep);
  int loo_weak = StandsOut(badness, options.standout_ratio, &w.loo_ratio);
  if (loo_weak >= 0 && !(badness[loo_weak] > 1.0)) loo_weak = -1;
  const int u_weak = StandsOut(ScaledUncertainty(rep), options.standout_ratio, &w.uncertainty_ratio);
  const auto name = [&w](int camera, const char* evidence, double ratio, std::string text) {
    w.camera = camera;
    w.evidence = evidence;
    w.ratio = ratio;
    w.text = std::move(text);
    return w;
  };
  if (loo_weak >= 0)
    return name(loo_weak, "leave-one-out", w.loo_ratio, LeaveOneOutWeakestText(rep, badness, loo_weak, w.loo_ratio));
  if (!w.focal_disagrees.empty()) {
    double ratio = kNaN;
    const std::vector<double> pulls = FocalPulls(rep);
    const int top = StandsOut(pulls, options.standout_ratio, &ratio);
    if (top == w.focal_disagrees.front()) return name(top, "intrinsics", ratio, FocalWeakestText(rep.cameras[top], ratio));
  }
  if (u_weak >= 0)
    return name(u_weak, "uncertainty", w.uncertainty_ratio, UncertaintyWeakestText(rep.cameras[u_weak], w.uncertainty_ratio));
  if (std::isfinite(w.loo_ratio) || std::isfinite(w.uncertainty_ratio)) w.text = NoWeakestText(w, options.standout_ratio);
  return w;
}

void JudgeCalibration(const CalibrationThresholds& thresholds, const Rig& rig, CalibrationReport* report) {
  SetLeaveOneOutLimits(thresholds, report);
  Verdict global = JudgeCameras(thresholds, rig, report);
  if (report->self.focal_estimated) NoteEstimatedIntrinsics(report);
  if (report->self.focal_estimated) NoteStatureAgainstBaseline(report);
  JudgeRig(thresholds, report, &global);
  JudgeFocalUncertainty(thresholds, report, &global);
  report->verdict = global;
  const WeakestCamera weakest = FindWeakestCamera(*report);
  for (int c : weakest.focal_disagrees) report->notes.push_back(FocalDisagreementText(*report, report->cameras[c]));
  StateWeakestCamera(weakest, report);
}

}  // namespace epilabel
