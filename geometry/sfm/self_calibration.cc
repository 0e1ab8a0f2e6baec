#include "geometry/sfm/self_calibration.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>

#include "geometry/sfm/camera_registration.h"
#include "geometry/sfm/focal_uncertainty.h"
#include "geometry/sfm/given_focal_check.h"
#include "geometry/sfm/initial_pair.h"
#include "geometry/sfm/pair_geometry.h"
#include "geometry/sfm/self_calibration_steps.h"
#include "geometry/sfm/view_graph.h"

namespace epilabel {

void SelfCalibrationOptions::Check() const {
  if (!(min_confidence >= 0)) throw std::invalid_argument("min_confidence must be >= 0");
  if (max_correspondences_per_pair < 20) throw std::invalid_argument("max_correspondences_per_pair must be >= 20");
  if (min_pair_inliers < 8) throw std::invalid_argument("min_pair_inliers must be >= 8");
  if (max_ba_frames < 10) throw std::invalid_argument("max_ba_frames must be >= 10");
  // Divides the BA frames into the quick adjustments' stride.
  if (max_registration_frames < 1) throw std::invalid_argument("max_registration_frames must be >= 1");
  if (!(focal_min_rel > 0 && focal_max_rel > focal_min_rel)) throw std::invalid_argument("bad focal search range");
  if (focal_jackknife_blocks < 0 || focal_jackknife_blocks == 1)
    throw std::invalid_argument("focal_jackknife_blocks must be 0 or >= 2");
  if (focal_jackknife_joint_groups < 0 || focal_jackknife_joint_groups == 1)
    throw std::invalid_argument("focal_jackknife_joint_groups must be 0 or >= 2");
  if (joint_weighting < 0 || joint_weighting > 2) throw std::invalid_argument("joint_weighting must be 0, 1 or 2");
  if (view_bias_rounds < 0) throw std::invalid_argument("view_bias_rounds must be >= 0");
  if (view_bias_rounds > 0) view_bias.Check();
  if (segment_frames < 0) throw std::invalid_argument("segment_frames must be >= 0");
  if (final_passes < 0) throw std::invalid_argument("final_passes must be >= 0 (0: adaptive)");
  if (max_final_passes < 1) throw std::invalid_argument("max_final_passes must be >= 1");
  if (!(final_pass_sigmas >= 0) || !(final_pass_view_change >= 0))
    throw std::invalid_argument("final_pass_sigmas and final_pass_view_change must be >= 0");
  if (min_focal_block_frames < 5) throw std::invalid_argument("min_focal_block_frames must be >= 5");
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

// Wall time of each stage, appended to the summary.
class StageTimer {
 public:
  explicit StageTimer(SelfCalibrationSummary* s) : s_(s) {}
  void Lap(const std::string& stage) {
    const auto now = std::chrono::steady_clock::now();
    s_->timings_s.emplace_back(stage, std::chrono::duration<double>(now - start_).count());
    start_ = now;
  }

 private:
  SelfCalibrationSummary* s_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// Cameras without intrinsics get the principal point at the image centre and no distortion
// (their focal lengths are estimated later); every camera loses its extrinsics. False, with the
// reason in the summary, when a camera has neither intrinsics nor an image size.
bool PrepareCameras(Rig* rig, SelfCalibrationSummary* s) {
  s->intrinsics_given.clear();
  for (const Camera& cam : *rig) s->intrinsics_given.push_back(cam.fx > 0 && cam.fy > 0 ? 1 : 0);
  for (Camera& cam : *rig) {
    if (cam.fx > 0 && cam.fy > 0) continue;
    if (cam.width <= 0 || cam.height <= 0) {
      s->failure_reason = "camera '" + cam.name + "' has neither intrinsics nor an image size";
      return false;
    }
    s->focal_estimated = true;
    cam.cx = (cam.width - 1) / 2.0;
    cam.cy = (cam.height - 1) / 2.0;
    cam.distortion = Distortion{};
  }
  for (Camera& cam : *rig) {
    cam.cam_from_world = Rigid3d();
    cam.has_extrinsics = false;
  }
  return true;
}

// The adjustment after each registration: a few iterations, no outlier removal, the gauge on
// the initial pair.
BundleAdjustmentOptions QuickAdjustmentOptions(const SelfCalibrationOptions& options, const SelfCalibrationSummary& s) {
  BundleAdjustmentOptions quick_ba = options.ba;
  quick_ba.fixed_camera = s.initial_a;
  quick_ba.scale_camera = s.initial_b;
  quick_ba.outlier_rounds = 0;
  quick_ba.max_iterations = 8;
  quick_ba.compute_covariance = false;
  quick_ba.num_threads = options.num_threads;
  quick_ba.refine_focal = s.focal_estimated;
  quick_ba.refine_k1 = s.focal_estimated;
  quick_ba.focal_prior_sigma_rel = s.focal_estimated ? options.focal_prior_sigma_rel : 0.0;
  if (s.focal_estimated) quick_ba.fixed_intrinsics = s.intrinsics_given;
  quick_ba.focal_groups = s.focal_groups;
  return quick_ba;
}

// shared_focal: per camera a group id shared by the estimated cameras of one image size; -1 for
// cameras with given intrinsics (or all, when the option is off).
std::vector<int> FocalGroups(const Rig& rig, const SelfCalibrationOptions& options, const SelfCalibrationSummary& s) {
  std::vector<int> groups(rig.size(), -1);
  if (!options.shared_focal || !s.focal_estimated) return groups;
  std::vector<std::pair<int, int>> sizes;
  for (size_t c = 0; c < rig.size(); ++c) {
    if (s.intrinsics_given[c]) continue;
    const std::pair<int, int> size(rig[c].width, rig[c].height);
    const auto it = std::find(sizes.begin(), sizes.end(), size);
    groups[c] = static_cast<int>(it - sizes.begin());
    if (it == sizes.end()) sizes.push_back(size);
  }
  return groups;
}

// Sets every camera of a focal group to the median focal length of the group's cameras in
// `sources` (all cameras when empty); the aspect ratio of each camera is kept.
void ShareFocal(const std::vector<int>& groups, const std::vector<camera_t>& sources, Rig* rig) {
  std::map<int, std::vector<double>> focals;
  for (size_t c = 0; c < groups.size(); ++c) {
    const bool source = sources.empty() || std::find(sources.begin(), sources.end(), static_cast<camera_t>(c)) !=
                                               sources.end();
    if (groups[c] >= 0 && source) focals[groups[c]].push_back((*rig)[c].fx);
  }
  for (size_t c = 0; c < groups.size(); ++c) {
    auto it = focals.find(groups[c]);
    if (groups[c] < 0 || it == focals.end()) continue;
    std::vector<double>& f = it->second;
    std::sort(f.begin(), f.end());
    const double median = f.size() % 2 ? f[f.size() / 2] : 0.5 * (f[f.size() / 2 - 1] + f[f.size() / 2]);
    Camera& cam = (*rig)[c];
    const double aspect = cam.fx > 0 ? cam.fy / cam.fx : 1.0;
    cam.fx = median;
    cam.fy = aspect * median;
  }
}

// The final adjustment: outlier removal, and with unknown intrinsics the focal lengths and
// radial distortion (and the principal points, when they have a prior).
BundleAdjustmentOptions FinalAdjustmentOptions(const SelfCalibrationOptions& options, const SelfCalibrationSummary& s,
                                               const Rig& rig) {
  BundleAdjustmentOptions final_ba = options.ba;
  final_ba.bone_sigma_rel = options.bone_sigma_rel;
  final_ba.fixed_camera = s.initial_a;
  final_ba.scale_camera = s.initial_b;
  final_ba.num_threads = options.num_threads;
  final_ba.refine_focal = options.ba.refine_focal || s.focal_estimated;
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
  if (s.focal_estimated) {
    final_ba.distortion_prior_sigma = options.distortion_prior_sigma;
    final_ba.fixed_intrinsics = s.intrinsics_given;
  }
  final_ba.focal_groups = s.focal_groups;
  final_ba.reweight_groups = options.joint_weighting > 0;
  final_ba.reweight_segments = options.segment_frames > 0;
  return final_ba;
}

// Reprojection terms with outlier removal (a Schur solve on the cameras), repeated as
// options.final_passes says, then, when asked, a second stage with the bone-length terms from
// the refined cameras (they couple the joints of a frame, which makes each iteration dearer, but
// few are needed from there).
void FinalAdjustment(const CalibrationFrames& frames, const SelfCalibrationOptions& options, Rig* rig,
                     SelfCalibrationSummary* s) {
  const BundleAdjustmentOptions final_ba = FinalAdjustmentOptions(options, *s, *rig);
  const bool bones_in_ba = options.bone_constancy_in_ba && !options.bones.empty();
  ReportProgress(options, "bundle adjustment", 0, 2);
  BundleAdjustmentOptions stage1 = final_ba;
  stage1.compute_covariance = true;  // the adaptive rule measures each pass by it; the last pass's is kept
  s->ba = AdjustInPasses(frames.ba, s->registered, options, stage1, rig, &s->num_points, &s->final_passes,
                         &s->final_passes_stop, &s->view_bias_joint_rms_px);
  ReportProgress(options, "bundle adjustment", 1, 2);
  if (bones_in_ba) {
    BundleAdjustmentOptions stage2 = final_ba;
    stage2.compute_covariance = true;
    stage2.outlier_rounds = 0;
    stage2.max_iterations = 30;
    s->ba = AdjustRegistered(frames.ba, s->registered, options, stage2, true, rig, &s->num_points);
  }
  ReportProgress(options, "bundle adjustment", 2, 2);
}

// Unknown intrinsics: the jackknifes of the focal lengths (focal_uncertainty.h).
void FocalJackknifeStep(const CalibrationFrames& frames, const SelfCalibrationOptions& options, const Rig& rig,
                        SelfCalibrationSummary* s) {
  s->focal_frames_sigma_px.assign(rig.size(), kNaN);
  s->focal_joints_sigma_px.assign(rig.size(), kNaN);
  s->focal_jackknife_sigma_px.assign(rig.size(), kNaN);
  if (!s->focal_estimated || !s->ba.success) return;
  // The frames of the quick adjustments (every quick_stride-th BA frame): a quarter of the cost
  // with 600 BA frames, and the spread of their replicates is that of an estimate from fewer
  // frames, if anything larger.
  const FocalJackknife jk = EstimateFocalJackknife(frames.quick, s->registered, s->intrinsics_given, options,
                                                   FinalAdjustmentOptions(options, *s, rig), rig);
  s->focal_jackknife_blocks = jk.frame_blocks;
  s->focal_jackknife_joint_groups = jk.joint_groups;
  s->focal_frames_sigma_px = jk.frames_sigma_px;
  s->focal_joints_sigma_px = jk.joints_sigma_px;
  s->focal_jackknife_sigma_px = jk.sigma_px;
}

// Given intrinsics: how far the people pull each given focal length (given_focal_check.h).
void GivenFocalStep(const CalibrationFrames& frames, const SelfCalibrationOptions& options, const Rig& rig,
                    SelfCalibrationSummary* s) {
  s->given_focal_pull_rel.assign(rig.size(), kNaN);
  s->given_focal_sigma_rel.assign(rig.size(), kNaN);
  const bool any_given = std::find(s->intrinsics_given.begin(), s->intrinsics_given.end(), 1) != s->intrinsics_given.end();
  if (!options.check_given_focal || !any_given || !s->ba.success) return;
  const GivenFocalCheck check = CheckGivenFocalLengths(frames.quick, s->registered, s->intrinsics_given, options,
                                                       FinalAdjustmentOptions(options, *s, rig), rig);
  s->given_focal_blocks = check.frame_blocks;
  s->given_focal_joint_groups = check.joint_groups;
  s->given_focal_pull_rel = check.pull_rel;
  s->given_focal_sigma_rel = check.sigma_rel;
}

}  // namespace

SelfCalibrationResult SelfCalibrate(const Rig& input_rig, const Observations2d& obs,
                                    const SelfCalibrationOptions& options) {
  options.Check();
  SelfCalibrationResult result;
  result.rig = input_rig;
  Rig& rig = result.rig;
  SelfCalibrationSummary& s = result.summary;
  const int num_cameras = obs.num_cameras();
  s.registered.assign(num_cameras, false);
  s.camera_notes.assign(num_cameras, "");
  if (static_cast<int>(input_rig.size()) != num_cameras) throw std::invalid_argument("SelfCalibrate: rig/observation mismatch");
  if (!options.frame_person.empty() && static_cast<int>(options.frame_person.size()) != obs.num_frames())
    throw std::invalid_argument("SelfCalibrate: frame_person has " + std::to_string(options.frame_person.size()) +
                                " entries, the observations " + std::to_string(obs.num_frames()) + " frames");
  if (num_cameras < 2) {
    s.failure_reason = "self-calibration needs at least two cameras (got " + std::to_string(num_cameras) + ")";
    return result;
  }
  StageTimer timer(&s);
  if (!PrepareCameras(&rig, &s)) return result;

  // 1.-3. Correspondences, focal lengths (unknown intrinsics) and relative pose of every pair.
  std::vector<CameraPair> pairs = PairCorrespondences(rig, obs, options);
  if (s.focal_estimated) s.focal_initial = FocalLengthsFromPairs(obs, pairs, options, &rig);
  s.focal_groups = FocalGroups(rig, options, s);
  ShareFocal(s.focal_groups, {}, &rig);
  ReportProgress(options, "pairwise geometry", 0, pairs.size());
  timer.Lap("correspondences and focal search");
  EstimatePairPoses(rig, obs, options, &pairs);
  const ViewGraph graph(num_cameras, JudgePairs(pairs, options, &s.pairs));
  timer.Lap("pairwise geometry");

  // 4. View graph: connectivity and the initial pair.
  const std::vector<camera_t> component = graph.LargestComponent();
  if (component.size() < 2) {
    s.failure_reason = "no camera pair has a reliable relative pose (see the pair table)";
    for (camera_t c = 0; c < num_cameras; ++c) s.camera_notes[c] = "no reliable pair";
    return result;
  }
  NoteUnconnectedCameras(graph, rig, s.pairs, &s.camera_notes);
  const size_t initial = ChooseInitialPair(graph, pairs, s.pairs, options);
  const camera_t ia = pairs[initial].a, ib = pairs[initial].b;
  s.initial_a = ia;
  s.initial_b = ib;

  // 5. Frames of the bundle adjustments.
  const CalibrationFrames frames = SelectCalibrationFrames(obs, options);
  if (frames.ba.num_frames() < 5) {
    s.failure_reason =
        "too few frames where two or more cameras see the person (" + std::to_string(frames.ba.num_frames()) + ")";
    return result;
  }
  s.num_frames_used = frames.ba.num_frames();

  // 6. Initial pair (with unknown focal lengths, their scale from the bone lengths; a camera
  // whose intrinsics were given keeps them, and the pair's pose from its pair geometry).
  const bool pair_given = s.intrinsics_given[pairs[initial].a] || s.intrinsics_given[pairs[initial].b];
  s.focal_bone_search.assign(num_cameras, std::numeric_limits<double>::quiet_NaN());
  if (s.focal_estimated && !options.bones.empty() && !pair_given &&
      SearchInitialPairFocal(obs, frames.quick, frames.quick_person, initial, options, &rig, &pairs[initial])) {
    s.focal_bone_search[ia] = rig[ia].fx;
    s.focal_bone_search[ib] = rig[ib].fx;
  }
  ShareFocal(s.focal_groups, {ia, ib}, &rig);
  rig[ia].cam_from_world = Rigid3d();
  rig[ib].cam_from_world = pairs[initial].geometry.cam2_from_cam1;
  s.registered[ia] = s.registered[ib] = true;
  s.registration_order = {ia, ib};
  const BundleAdjustmentOptions quick_ba = QuickAdjustmentOptions(options, s);
  AdjustRegistered(frames.quick, s.registered, options, quick_ba, false, &rig, &s.num_points);
  timer.Lap("initial pair");

  // 7. Register the other cameras of the component, best-connected first.
  RegisterCameras(component, frames, options, quick_ba, &rig, &s);
  timer.Lap("registration");

  // 8. Final bundle adjustment, with covariance.
  FinalAdjustment(frames, options, &rig, &s);
  timer.Lap("final bundle adjustment");
  FocalJackknifeStep(frames, options, rig, &s);
  if (s.focal_jackknife_blocks + s.focal_jackknife_joint_groups > 0) timer.Lap("focal jackknife");
  GivenFocalStep(frames, options, rig, &s);
  if (s.given_focal_blocks + s.given_focal_joint_groups > 0) timer.Lap("given focal check");
  for (camera_t c = 0; c < num_cameras; ++c) rig[c].has_extrinsics = s.registered[c];
  s.success = s.ba.success;
  if (!s.success) s.failure_reason = "bundle adjustment failed: " + s.ba.termination;
  return result;
}

}  // namespace epilabel
