// Accuracy of self-calibration on the synthetic studio (the figures of the README).
//
// For each scenario: synthesise a scene, calibrate from its 2D joints alone (known intrinsics,
// or image sizes only), and compare with the truth: rotation and centre errors after a
// similarity alignment, scale error from the true subject height, focal errors, and the MPJPE
// of triangulating with the estimated cameras versus the true ones. Prints a table.
//
//   build/bench/calibration_accuracy [--frames N] [--quick] [--scenario NAME] [--pp-prior REL]
//                                    [--seed S] [--removal-tol T] [--detector gaussian|realistic]
//                                    [--motion-variation] [--lens pinhole|fisheye]
//                                    [--perturb-camera K --perturb focal|late] [--shared-focal]
//                                    [--joint-weighting 0|1|2] [--drop-joints J,J,...] [--joint-residuals]
//                                    [--ba-passes N]
//   (--pp-prior: principal-point prior of the unknown-intrinsics BA, share of the image side;
//    --scenario =NAME: that scenario only (without '=': every scenario whose name contains NAME);
//    --ba-passes N: SelfCalibrationOptions::final_passes (0 adaptive); after each scenario's row a
//    line gives each pass's change and its rig's errors against the truth;
//    --seed: the studio's seed; --removal-tol: BundleAdjustmentOptions::removal_function_tolerance
//    of every adjustment, e.g. 1e-6 to solve every outlier round as tightly as the last;
//    --detector realistic: realistic_detector.h, the scenarios with their own noise are skipped;
//    --motion-variation: StudioOptions::motion_variation;
//    --lens fisheye: every camera an equidistant fisheye of 150 degrees across the image width
//    (StudioOptions::lens), for the known-intrinsics scenarios only;
//    --shared-focal: unknown intrinsics, one focal length per image size
//    (SelfCalibrationOptions::shared_focal);
//    --perturb-camera K (1-based) --perturb focal: camera K's given focal length 3 % long;
//    --perturb late: camera K 2 frames late (Gaussian detector only); --perturb noise: camera K's
//    detections get Gaussian noise of 2 x noise_px per axis on top (about 2.2x the detector's
//    error with the Gaussian detector); --perturb few: camera K sees the person only in the
//    first 12 % of the frames; --perturb-size P: the focal error in % (default 3);
//    with EPILABEL_WEAK_DIAG=1 every camera's true errors and candidate weak-camera diagnostics
//    are printed, with EPILABEL_WEAK_DUMP=1 one machine-readable WEAK line per camera)
// The last column compares the verdict's weakest camera (calibration_verdict.h; "-" when no camera
// stands out) with the camera with the largest true rotation error, "=" if the same.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <tbb/global_control.h>

#include "detection/skeleton.h"
#include "detection/synthetic/studio.h"
#include "geometry/estimators/triangulation.h"
#include "geometry/metrics/alignment.h"
#include "geometry/sfm/calibration_pipeline.h"
#include "geometry/sfm/calibration_verdict.h"
#include "geometry/sfm/rig_comparison.h"
#include "pseudolabel/keypoint_input.h"
#include "pseudolabel/label_scoring.h"

using namespace epilabel;

namespace {

struct Scenario {
  std::string name;
  std::string rig;
  bool known_intrinsics = true;
  bool ideal_lenses = false;
  double noise_px = 3.0, outlier_rate = 0.02, swap_rate = 0.01, missing_rate = 0.02;
};

// Median height (pixels) of the person's 2D joints in camera c, over frames with 10+ joints.
double MedianPersonHeightPx(const Observations2d& obs, camera_t c) {
  std::vector<double> heights;
  for (frame_t f = 0; f < obs.num_frames(); ++f) {
    double lo = 1e30, hi = -1e30;
    int n = 0;
    for (joint_t j = 0; j < obs.num_joints(); ++j) {
      const Eigen::Vector3d& o = obs.at(c, f, j);
      if (!(o.z() > 0.2) || !o.allFinite()) continue;
      lo = std::min(lo, o.y());
      hi = std::max(hi, o.y());
      ++n;
    }
    if (n >= 10) heights.push_back(hi - lo);
  }
  if (heights.empty()) return kNaN;
  std::nth_element(heights.begin(), heights.begin() + heights.size() / 2, heights.end());
  return heights[heights.size() / 2];
}

// Per camera: the true errors and every candidate diagnostic of a weak camera (EPILABEL_WEAK_DIAG).
void PrintCameraDiagnostics(const SyntheticScene& scene, const CalibrationOutput& out, const RigComparison& cmp) {
  for (size_t c = 0; c < out.report.cameras.size() && c < cmp.cameras.size(); ++c) {
    const CameraCalibrationReport& cr = out.report.cameras[c];
    const double height = MedianPersonHeightPx(scene.observations, static_cast<camera_t>(c));
    std::printf("   cam %zu true rot %.3f deg ctr %.2f %% | loo %.3f deg %.2f m | ba rms %.2f px sigma %.3f deg | "
                "tri median %.2f px (%.4f of %.0f px person) share %.3f\n",
                c + 1, cmp.cameras[c].rotation_error_deg, 100 * cmp.cameras[c].center_error_rel, cr.loo_rotation_deg,
                cr.loo_center_m, cr.rms_px, cr.rotation_sigma_deg, cr.median_error_px, cr.median_error_px / height,
                height, cr.share_used);
  }
}

// One line per camera for offline analysis (EPILABEL_WEAK_DUMP): the true errors, the check's
// shifts and the adjustment's sigmas, the limits in force, the verdict's weakest camera, the pull
// on the given focal length and its sigma (relative), and the weakest camera's evidence.
void DumpCameraFigures(const std::string& scenario, uint64_t seed, const CalibrationOutput& out,
                       const RigComparison& cmp) {
  const CalibrationReport& rep = out.report;
  const WeakestCamera weakest = FindWeakestCamera(rep);
  const std::string named = weakest.camera < 0 ? "-" : rep.cameras[weakest.camera].name;
  for (size_t c = 0; c < rep.cameras.size() && c < cmp.cameras.size(); ++c) {
    const CameraCalibrationReport& cr = rep.cameras[c];
    std::printf("WEAK\t%s\t%llu\t%zu\t%s\t%.5f\t%.6f\t%.5f\t%.6f\t%.5f\t%.6f\t%.4f\t%.4f\t%.6f\t%.3f\t%.3f\t%d\t%s"
                "\t%.5f\t%.5f\t%s\n",
                scenario.c_str(), static_cast<unsigned long long>(seed), c + 1, cr.name.c_str(),
                cmp.cameras[c].rotation_error_deg, cmp.cameras[c].center_error_rel, cr.loo_rotation_deg,
                cr.loo_center_m, cr.rotation_sigma_deg, cr.center_sigma_m, rep.rig_size_m, rep.loo_limit_deg,
                rep.loo_limit_center_m, cr.rms_px, cr.median_error_px, cr.observations, named.c_str(),
                cr.given_focal_pull_rel, cr.given_focal_sigma_rel, weakest.evidence.c_str());
  }
}

}  // namespace

// Per COCO-17 joint: the robust scale (median error / 1.1774, px) of the detections against the
// projection of the points triangulated with the true cameras, the mean over cameras of the
// norm of each camera's mean signed residual (px, a view-dependent bias), and the final
// adjustment's weight of the joint type (when it has one per joint type).
void PrintJointResiduals(const SyntheticScene& scene, const TriangulationResult& tri, const std::vector<double>& weights) {
  const int nj = tri.points.num_joints();
  for (joint_t j = 0; j < nj; ++j) {
    std::vector<double> errors;
    double bias_sum = 0.0;
    int bias_cams = 0;
    for (camera_t c = 0; c < scene.observations.num_cameras(); ++c) {
      Eigen::Vector2d sum = Eigen::Vector2d::Zero();
      int n = 0;
      for (frame_t f = 0; f < tri.points.num_frames(); ++f) {
        const Eigen::Vector3d& o = scene.observations.at(c, f, j);
        if (!tri.points.IsValid(f, j) || !(o.z() > 0.3)) continue;
        const std::optional<Eigen::Vector2d> px = scene.rig[c].ImageFromWorld(tri.points.at(f, j));
        if (!px) continue;
        const Eigen::Vector2d r = o.head<2>() - *px;
        if (!r.allFinite() || r.norm() > 50) continue;  // gross errors apart
        errors.push_back(r.norm());
        sum += r;
        ++n;
      }
      if (n > 0) {
        bias_sum += (sum / n).norm();
        ++bias_cams;
      }
    }
    std::vector<double> e = errors;
    std::nth_element(e.begin(), e.begin() + static_cast<std::ptrdiff_t>(e.size() / 2), e.end());
    std::printf("  joint %2d: scale %.2f px, camera bias %.2f px, weight %.3f\n", j,
                e.empty() ? kNaN : e[e.size() / 2] / 1.1774, bias_cams ? bias_sum / bias_cams : kNaN,
                static_cast<size_t>(j) < weights.size() ? weights[j] : kNaN);
  }
}

// Per camera: the focal error against the truth and what the calibration says of its
// uncertainty (covariance, the two jackknifes), all relative to the true focal length, in %.
void PrintFocalDiagnostics(const SyntheticScene& scene, const CalibrationOutput& out) {
  const SelfCalibrationSummary& self = out.report.self;
  for (size_t c = 0; c < out.report.cameras.size() && c < scene.rig.size(); ++c) {
    const CameraCalibrationReport& r = out.report.cameras[c];
    const double f = scene.rig[c].fx;
    const auto rel = [&](const std::vector<double>& v) { return c < v.size() ? 100 * v[c] / f : kNaN; };
    std::printf("  focal %-8s err %+6.2f %%  cov %5.2f %%  frames %5.2f %%  joints %5.2f %%  used %5.2f %%\n",
                scene.rig[c].name.c_str(), 100 * (out.rig[c].fx / f - 1), 100 * r.focal_sigma_px / f,
                rel(self.focal_frames_sigma_px), rel(self.focal_joints_sigma_px), 100 * r.focal_uncertainty_px / f);
  }
}

int main(int argc, char** argv) {
  int frames = 2000;
  std::string only;
  int jackknife_blocks = 0;  // > 0: SelfCalibrationOptions::focal_jackknife_blocks
  double pp_prior = -1.0;  // < 0: the library default for SelfCalibrationOptions::principal_point_prior_rel
  double removal_tol = -1.0;  // < 0: the library default
  uint64_t seed = StudioOptions{}.seed;
  std::string detector = "gaussian";
  bool motion_variation = false;
  std::string lens = "pinhole";
  int perturb_camera = 0;          // 1-based; 0: none
  std::string perturb = "late";    // "late": 2 frames late; "focal": given focal 3 % long
  double perturb_size = 3.0;       // --perturb focal: the focal error, %
  bool shared_focal = false;
  int joint_weighting = SelfCalibrationOptions{}.joint_weighting;
  int ba_passes = SelfCalibrationOptions{}.final_passes;  // 0: adaptive
  int view_bias_rounds = SelfCalibrationOptions{}.view_bias_rounds;
  bool print_joints = false;  // per joint type: residuals with the true cameras, the BA's weights
  std::vector<int> drop_joints;  // oracle: these COCO-17 joints left out of the calibration
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--frames") && i + 1 < argc) frames = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--quick")) frames = 600;
    else if (!std::strcmp(argv[i], "--scenario") && i + 1 < argc) only = argv[++i];
    else if (!std::strcmp(argv[i], "--pp-prior") && i + 1 < argc) pp_prior = std::atof(argv[++i]);
    else if (!std::strcmp(argv[i], "--removal-tol") && i + 1 < argc) removal_tol = std::atof(argv[++i]);
    else if (!std::strcmp(argv[i], "--seed") && i + 1 < argc) seed = std::strtoull(argv[++i], nullptr, 10);
    else if (!std::strcmp(argv[i], "--detector") && i + 1 < argc) detector = argv[++i];
    else if (!std::strcmp(argv[i], "--motion-variation")) motion_variation = true;
    else if (!std::strcmp(argv[i], "--lens") && i + 1 < argc) lens = argv[++i];
    else if (!std::strcmp(argv[i], "--perturb-camera") && i + 1 < argc) perturb_camera = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--perturb") && i + 1 < argc) perturb = argv[++i];
    else if (!std::strcmp(argv[i], "--perturb-size") && i + 1 < argc) perturb_size = std::atof(argv[++i]);

    else if (!std::strcmp(argv[i], "--shared-focal")) shared_focal = true;
    else if (!std::strcmp(argv[i], "--jackknife-blocks") && i + 1 < argc) jackknife_blocks = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--joint-residuals")) print_joints = true;
    else if (!std::strcmp(argv[i], "--ba-passes") && i + 1 < argc) ba_passes = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--joint-weighting") && i + 1 < argc) joint_weighting = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--view-bias") && i + 1 < argc) view_bias_rounds = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--drop-joints") && i + 1 < argc) {
      for (char* t = std::strtok(argv[++i], ","); t; t = std::strtok(nullptr, ",")) drop_joints.push_back(std::atoi(t));
    }
    else {
      std::fprintf(stderr, "unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  const std::vector<Scenario> scenarios = {
      {"h36m4 known K", "h36m4", true},
      {"ring8 known K", "ring8", true},
      {"h36m4 unknown f", "h36m4", false},
      {"ring8 unknown f", "ring8", false},
      {"h36m4 unknown f ideal", "h36m4", false, true},
      {"ring8 unknown f ideal", "ring8", false, true},
      {"ceiling6 known K", "ceiling6", true},
      {"stereo2 known K", "stereo2", true},
      {"h36m4 8px 5% outliers", "h36m4", true, false, 8.0, 0.05},
      {"h36m4 12px 5% outliers", "h36m4", true, false, 12.0, 0.05},
  };
  const Skeleton& skeleton = GetSkeleton("coco17");
  std::printf("detector %s, motion variation %s, seed %llu\n", detector.c_str(), motion_variation ? "on" : "off",
              static_cast<unsigned long long>(seed));
  std::printf("%-22s %6s %9s %9s %9s %8s %9s %9s %9s %8s %8s %8s %8s %7s  %s\n", "scenario", "frames", "rot deg",
              "ctr %rad", "scale %", "focal %", "mpjpe est", "mpjpe gt", "ratio", "time s", "LOO deg", "LOO %rig",
              "verdict", "weakest", "reasons");
  for (const Scenario& sc : scenarios) {
    if (!only.empty() && (only[0] == '=' ? sc.name != only.substr(1) : sc.name.find(only) == std::string::npos)) continue;
    if (detector == "realistic" && sc.noise_px != Scenario{}.noise_px) continue;
    if (lens != "pinhole" && !sc.known_intrinsics) continue;  // self-calibration estimates pinhole lenses only
    StudioOptions so;
    so.rig = sc.rig;
    so.num_frames = frames;
    so.noise_px = sc.noise_px;
    so.outlier_rate = sc.outlier_rate;
    so.swap_rate = sc.swap_rate;
    so.missing_rate = sc.missing_rate;
    so.ideal_lenses = sc.ideal_lenses;
    so.lens = lens;
    so.seed = seed;
    so.detector = detector;
    so.motion_variation = motion_variation;
    so.data_dir = EPILABEL_DATA_DIR;
    if (perturb_camera > 0 && perturb == "late") {
      so.time_offsets.assign(sc.rig == "ring8" ? 8 : sc.rig == "ceiling6" ? 6 : sc.rig == "stereo2" ? 2 : 4, 0.0);
      if (perturb_camera <= static_cast<int>(so.time_offsets.size())) so.time_offsets[perturb_camera - 1] = 2.0;
    }
    SyntheticScene scene = Synthesize(so);
    const camera_t weak = static_cast<camera_t>(perturb_camera - 1);
    if (perturb_camera > 0 && weak < scene.observations.num_cameras() && (perturb == "noise" || perturb == "few")) {
      std::mt19937_64 rng(seed * 7919 + 13);
      std::normal_distribution<double> gauss(0.0, 2.0 * so.noise_px);
      const int keep = perturb == "few" ? scene.observations.num_frames() * 12 / 100 : scene.observations.num_frames();
      for (frame_t f = 0; f < scene.observations.num_frames(); ++f)
        for (joint_t j = 0; j < scene.observations.num_joints(); ++j) {
          Eigen::Vector3d& o = scene.observations.at(weak, f, j);
          if (f >= keep) o.setZero();
          else if (perturb == "noise" && o.z() > 0) o.head<2>() += Eigen::Vector2d(gauss(rng), gauss(rng));
        }
    }
    Rig input = scene.rig;
    if (perturb_camera > 0 && perturb == "focal" && perturb_camera <= static_cast<int>(input.size())) {
      input[perturb_camera - 1].fx *= 1.0 + perturb_size / 100.0;
      input[perturb_camera - 1].fy *= 1.0 + perturb_size / 100.0;
    }
    for (Camera& c : input) {
      c.cam_from_world = Rigid3d();
      c.has_extrinsics = false;
      if (!sc.known_intrinsics) {
        c.fx = c.fy = 0;
        c.distortion = Distortion{};
      }
    }
    CalibrationPipelineOptions po;
    po.self.bones = skeleton.bones;
    po.self.symmetric_pairs = skeleton.symmetric;
    po.self.num_threads = 2;
    if (pp_prior >= 0) po.self.principal_point_prior_rel = pp_prior;
    po.self.shared_focal = shared_focal;
    if (jackknife_blocks > 0) po.self.focal_jackknife_blocks = jackknife_blocks;
    po.self.joint_weighting = joint_weighting;
    po.self.final_passes = ba_passes;
    po.self.view_bias_rounds = view_bias_rounds;
    po.self.view_bias.torso_joints = TorsoJoints(skeleton);
    if (removal_tol > 0) po.self.ba.removal_function_tolerance = removal_tol;
    po.world = WorldFrameOptionsFor(skeleton);
    po.world.subject_height_m = scene.subject_height;
    po.world.subject_height_sigma_m = 0.01;
    po.height_given = true;
    const auto t0 = std::chrono::steady_clock::now();
    Observations2d calib_obs = scene.observations;
    for (camera_t c = 0; c < calib_obs.num_cameras(); ++c)
      for (frame_t f = 0; f < calib_obs.num_frames(); ++f)
        for (int j : drop_joints) calib_obs.at(c, f, j).setZero();
    const CalibrationOutput out = CalibrateFromPoses(input, calib_obs, po);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!out.success && out.rig.empty()) {
      std::printf("%-22s failed: %s\n", sc.name.c_str(), out.report.BriefReport().c_str());
      continue;
    }
    bool all_registered = true;
    for (const auto& c : out.report.cameras) all_registered = all_registered && c.registered;
    if (getenv("EPILABEL_DEBUG")) {
      for (size_t c = 0; c < out.report.self.focal_initial.size(); ++c)
        std::printf("  focal init %s %.1f true %.1f final %.1f\n", scene.rig[c].name.c_str(), out.report.self.focal_initial[c],
                    scene.rig[c].fx, out.rig[c].fx);
      for (const auto& [stage, sec] : out.report.self.timings_s) std::printf("  %-60.200s %.2f s\n", stage.c_str(), sec);
      std::printf("  final: %s\n", out.report.self.ba.BriefReport().c_str());
      for (const auto& p : out.report.self.pairs)
        std::printf("  pair %d-%d %d/%d angle %.1f %s\n", p.a, p.b, p.inliers, p.correspondences, p.median_angle_deg, p.reason.c_str());
    }
    if (!all_registered) {
      std::printf("%-22s not all cameras registered: %s\n", sc.name.c_str(), out.report.BriefReport().c_str());
      continue;
    }
    // With unknown intrinsics the truth is compared on what was estimable: distortion is
    // then part of the simulation error.
    const RigComparison cmp = CompareRigs(scene.rig, out.rig);
    TriangulationOptions to;
    to.symmetric_pairs = skeleton.symmetric;
    to.bones = skeleton.bones;
    const TriangulationResult with_truth = TriangulateSequence(scene.rig, scene.observations, to);
    const TriangulationResult with_est = TriangulateSequence(out.rig, scene.observations, to);
    // One similarity alignment of the estimated world onto the true one (from the cameras).
    Points3d aligned(with_est.points.num_frames(), with_est.points.num_joints());
    for (frame_t f = 0; f < aligned.num_frames(); ++f)
      for (joint_t j = 0; j < aligned.num_joints(); ++j)
        if (with_est.points.IsValid(f, j)) aligned.at(f, j) = cmp.reference_from_estimate * with_est.points.at(f, j);
    const double mpjpe_est = MeanPointDistance(aligned, scene.points3d), mpjpe_true = MeanPointDistance(with_truth.points, scene.points3d);
    std::string reasons;
    for (const auto& r : out.report.reasons) reasons += r + "; ";
    // The leave-one-camera-out check: the largest shift of any camera (NaN with two cameras).
    double loo_deg = kNaN, loo_rel = kNaN;
    int true_worst = -1;
    for (size_t c = 0; c < out.report.cameras.size() && c < cmp.cameras.size(); ++c) {
      if (true_worst < 0 || cmp.cameras[c].rotation_error_deg > cmp.cameras[true_worst].rotation_error_deg) {
        true_worst = static_cast<int>(c);
      }
    }
    // The verdict's weakest camera ("-" when none stands out) and the truly worst by rotation.
    const int named = FindWeakestCamera(out.report).camera;
    const std::string weakest = (named < 0 ? std::string("-") : std::to_string(named + 1)) +
                                (named == true_worst ? "=" : "/") + std::to_string(true_worst + 1);
    if (std::getenv("EPILABEL_WEAK_DIAG")) PrintCameraDiagnostics(scene, out, cmp);
    if (std::getenv("EPILABEL_WEAK_DUMP")) DumpCameraFigures(sc.name, seed, out, cmp);
    if (std::getenv("EPILABEL_FOCAL_DIAG")) PrintFocalDiagnostics(scene, out);
    if (print_joints) PrintJointResiduals(scene, with_truth, out.report.self.ba.group_weights);
    for (const auto& cr : out.report.cameras) {
      if (!std::isfinite(cr.loo_rotation_deg)) continue;
      loo_deg = std::isfinite(loo_deg) ? std::max(loo_deg, cr.loo_rotation_deg) : cr.loo_rotation_deg;
      const double rel = cr.loo_center_m / out.report.rig_size_m;
      loo_rel = std::isfinite(loo_rel) ? std::max(loo_rel, rel) : rel;
    }
    std::printf("%-22s %6d %9.4f %9.4f %+9.3f %8.3f %9.2f %9.2f %9.4f %8.2f %8.3f %8.3f %8s %7s  %s\n", sc.name.c_str(),
                frames, cmp.max_rotation_error_deg, 100 * cmp.max_center_error_rel, 100 * cmp.scale_error_rel,
                100 * cmp.max_focal_error_rel, 1000 * mpjpe_est, 1000 * mpjpe_true, mpjpe_est / mpjpe_true, seconds,
                loo_deg, 100 * loo_rel, VerdictName(out.report.verdict), weakest.c_str(), reasons.c_str());
    // The passes of the final adjustment: per pass the largest camera change (deg, and in sigma
    // of the pass's covariance) and the share of the views kept that triangulating with its rig
    // changed; then why no further pass ran.
    // And the rig after each pass against the truth (worst rotation deg, centre % of the radius).
    std::printf("  passes %zu:", out.report.self.final_passes.size());
    for (const FinalPassReport& p : out.report.self.final_passes) {
      Rig pass_rig = p.rig;
      for (Camera& c : pass_rig) c.has_extrinsics = true;  // all registered (checked above)
      const RigComparison pc = pass_rig.empty() ? RigComparison{} : CompareRigs(scene.rig, pass_rig);
      std::printf(" [moved %.4f deg, %.1f/%.1f sigma, views %.2f %% | rot %.4f ctr %.4f]", p.rotation_change_deg,
                  p.rotation_change_sigmas, p.center_change_sigmas, 100 * p.view_change, pc.max_rotation_error_deg,
                  100 * pc.max_center_error_rel);
    }
    std::printf("; %s\n", out.report.self.final_passes_stop.c_str());
    std::fflush(stdout);
  }
  return 0;
}
