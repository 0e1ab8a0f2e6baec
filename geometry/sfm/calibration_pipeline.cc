#include "geometry/sfm/calibration_pipeline.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

#include <Eigen/Eigenvalues>

#include "geometry/sfm/calibration_verdict.h"
#include "geometry/sfm/leave_one_camera_out.h"

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

// Every camera failed, for `reason` (the self-calibration's notes per camera, or `camera_reason`).
void FailAll(const std::string& reason, const std::vector<std::string>& camera_notes, const std::string& camera_reason,
             CalibrationReport* rep) {
  rep->verdict = Verdict::kFailed;
  rep->reasons.push_back(reason);
  for (size_t c = 0; c < rep->cameras.size(); ++c) {
    rep->cameras[c].verdict = Verdict::kFailed;
    rep->cameras[c].reason = camera_notes.empty() ? camera_reason : camera_notes[c];
  }
}

// `obs` with the observations of the unregistered cameras cleared.
Observations2d RegisteredObservations(const Observations2d& obs, const std::vector<CameraCalibrationReport>& cameras) {
  Observations2d registered_obs = obs;
  for (camera_t c = 0; c < obs.num_cameras(); ++c) {
    if (cameras[c].registered) continue;
    for (frame_t f = 0; f < obs.num_frames(); ++f)
      for (joint_t j = 0; j < obs.num_joints(); ++j) registered_obs.at(c, f, j).setZero();
  }
  return registered_obs;
}

// Largest distance between the centres of two registered cameras.
double RigSize(const Rig& rig, const std::vector<CameraCalibrationReport>& cameras) {
  double size = 0;
  for (size_t a = 0; a < rig.size(); ++a)
    for (size_t b = a + 1; b < rig.size(); ++b)
      if (cameras[a].registered && cameras[b].registered)
        size = std::max(size, (rig[a].CenterInWorld() - rig[b].CenterInWorld()).norm());
  return size;
}

// Spread of the root trajectory (mean of the root joints per frame): twice the largest standard
// deviation; NaN with fewer than two frames.
double MotionExtent(const Points3d& points, const std::vector<joint_t>& root_joints) {
  std::vector<Eigen::Vector3d> roots;
  for (frame_t f = 0; f < points.num_frames(); ++f) {
    Eigen::Vector3d sum = Eigen::Vector3d::Zero();
    int n = 0;
    for (joint_t j : root_joints)
      if (points.IsValid(f, j)) {
        sum += points.at(f, j);
        ++n;
      }
    if (n > 0) roots.push_back(sum / n);
  }
  if (roots.size() < 2) return kNaN;
  Eigen::Vector3d mean = Eigen::Vector3d::Zero();
  for (const auto& p : roots) mean += p;
  mean /= static_cast<double>(roots.size());
  Eigen::Matrix3d cov = Eigen::Matrix3d::Zero();
  for (const auto& p : roots) cov += (p - mean) * (p - mean).transpose();
  cov /= static_cast<double>(roots.size());
  return 2.0 * std::sqrt(std::max(0.0, Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d>(cov).eigenvalues()(2)));
}

// The leave-one-camera-out check with three registered cameras or more, timed in the report.
void RunLeaveOneCameraOut(const Observations2d& registered_obs, const TriangulationOptions& tri_options,
                          const CalibrationPipelineOptions& options, const Rig& rig, CalibrationReport* rep) {
  std::vector<uint8_t> registered(rep->cameras.size(), 0);
  int n = 0;
  for (size_t c = 0; c < rep->cameras.size(); ++c) {
    registered[c] = rep->cameras[c].registered ? 1 : 0;
    n += registered[c];
  }
  if (!options.leave_one_out || n < 3) return;
  const auto start = std::chrono::steady_clock::now();
  LeaveOneCameraOutCheck(rig, registered_obs, registered, tri_options, options.leave_one_out_frames, &rep->cameras);
  rep->self.timings_s.emplace_back("leave-one-camera-out check",
                                   std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

// The final triangulation's options: the skeleton's bones and symmetric pairs unless given.
TriangulationOptions FinalTriangulation(const CalibrationPipelineOptions& options) {
  TriangulationOptions tri_options = options.triangulation;
  tri_options.symmetric_pairs = options.self.symmetric_pairs;
  if (tri_options.bones.empty()) tri_options.bones = options.self.bones;
  return tri_options;
}

// The scale of the self-calibrated rig (reconstruction units): from options.scale_from's people
// when set and measurable, else from the calibrated observations' triangulation `recon`; which
// one goes into `notes` when scale_from is set.
WorldFrameResult MetricScale(const Rig& rig, const TriangulationResult& recon, const CalibrationPipelineOptions& options,
                             const std::vector<CameraCalibrationReport>& cameras, std::vector<std::string>* notes) {
  WorldFrameResult own = EstimateScale(rig, recon.points, options.world);
  if (!options.scale_from) return own;
  const ScaleObservations& from = *options.scale_from;
  if (from.observations.num_cameras() != static_cast<int>(rig.size()))
    throw std::invalid_argument("CalibrateFromPoses: scale_from has " + std::to_string(from.observations.num_cameras()) +
                                " cameras, the rig " + std::to_string(rig.size()));
  const TriangulationResult other =
      TriangulateSequence(rig, RegisteredObservations(from.observations, cameras), FinalTriangulation(options));
  WorldFrameResult scaled = EstimateScale(rig, other.points, from.world);
  if (!scaled.success) {
    notes->push_back("the scale could not be measured on the people given for it (" + scaled.failure_reason +
                     "): it comes from the calibrated figures");
    return own;
  }
  notes->push_back("the scale comes from the statures of the people given for it, triangulated with these cameras");
  return scaled;
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
    FailAll(self.summary.failure_reason, self.summary.camera_notes, "", &rep);
    out.rig = self.rig;
    return out;
  }

  // Triangulate every frame in reconstruction units, then find the metric world frame.
  const TriangulationOptions tri_options = FinalTriangulation(options);
  const Observations2d registered_obs = RegisteredObservations(obs, rep.cameras);
  const TriangulationResult recon = TriangulateSequence(self.rig, registered_obs, tri_options);
  const WorldFrameResult scaled = MetricScale(self.rig, recon, options, rep.cameras, &rep.notes);
  rep.world = PlaceWorldFrame(self.rig, recon.points, options.world, scaled);
  if (!rep.world.success) {
    FailAll("world frame: " + rep.world.failure_reason, {}, "no metric world frame", &rep);
    out.rig = self.rig;
    return out;
  }
  const Sim3d& world_from_recon = rep.world.world_from_reconstruction;
  out.rig = TransformRig(self.rig, world_from_recon);
  for (int c = 0; c < num_cameras; ++c) out.rig[c].has_extrinsics = rep.cameras[c].registered;
  out.points = recon;
  out.points.points = TransformPoints(recon.points, world_from_recon);
  for (double& u : out.points.uncertainty_m.data()) u *= world_from_recon.scale;
  rep.triangulation = recon.summary;
  rep.rig_size_m = RigSize(out.rig, rep.cameras);
  rep.motion_extent_m = MotionExtent(out.points.points, options.world.root_joints);

  // Leave-one-camera-out check (metric world rig, registered cameras only), then the verdict.
  RunLeaveOneCameraOut(registered_obs, tri_options, options, out.rig, &rep);
  rep.height_given = options.height_given;
  JudgeCalibration(options.thresholds, out.rig, &rep);
  out.success = rep.verdict != Verdict::kFailed;
  return out;
}

}  // namespace epilabel
