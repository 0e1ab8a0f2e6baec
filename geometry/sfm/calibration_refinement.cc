#include "geometry/sfm/calibration_refinement.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include <Eigen/Geometry>

#include "foundation/error.h"
#include "geometry/sfm/self_calibration_steps.h"

namespace epilabel {

void CalibrationRefinementOptions::Check() const {
  self.Check();
  if (!(sigma_factor > 0)) throw InputError("sigma_factor", "must be positive");
  if (!(min_move_deg >= 0)) throw InputError("min_move_deg", "must be >= 0");
  if (!(min_move_rel >= 0)) throw InputError("min_move_rel", "must be >= 0");
}

std::string CalibrationRefinementResult::BriefReport() const {
  std::ostringstream os;
  if (!success) return "refinement failed: " + failure_reason;
  os << "refined " << moves.size() << " cameras on " << num_points << " joints; ";
  if (moved.empty()) {
    os << "no camera moved";
  } else {
    os << "moved:";
    for (const std::string& n : moved) os << " " << n;
  }
  return os.str();
}

namespace {

// The triangulated points, and every usable observation of them (all cameras, not only the
// views the robust triangulation kept: a camera that moved must see its own joints).
BAProblemData RefinementData(const TriangulationResult& tri, double min_confidence) {
  BAProblemData data;
  const int nf = tri.points.num_frames(), nj = tri.points.num_joints();
  for (frame_t f = 0; f < nf; ++f)
    for (joint_t j = 0; j < nj; ++j) {
      if (!tri.points.IsValid(f, j)) continue;
      const int point = static_cast<int>(data.points.size());
      data.points.push_back(tri.points.at(f, j));
      for (camera_t c = 0; c < tri.repaired.num_cameras(); ++c) {
        const Eigen::Vector3d& o = tri.repaired.at(c, f, j);
        if (!Usable(o, min_confidence)) continue;
        BAObservation bo;
        bo.camera = c;
        bo.point = point;
        bo.pixel = o.head<2>();
        bo.weight = o.z();
        data.observations.push_back(bo);
      }
    }
  return data;
}

double RotationAngleDeg(const Eigen::Quaterniond& a, const Eigen::Quaterniond& b) {
  return Eigen::AngleAxisd((a * b.conjugate()).normalized()).angle() * 180.0 / M_PI;
}

// init_from_refined: a similarity of the centres, leaving out the camera that disagrees most
// while it exceeds the floors and three cameras remain.
Sim3d AlignOntoInit(const Rig& init, const Rig& refined, double floor_deg, double floor_m) {
  std::vector<int> kept(init.size());
  for (size_t c = 0; c < init.size(); ++c) kept[c] = static_cast<int>(c);
  while (true) {
    Eigen::Matrix3Xd src(3, kept.size()), dst(3, kept.size());
    for (size_t k = 0; k < kept.size(); ++k) {
      src.col(static_cast<Eigen::Index>(k)) = refined[kept[k]].CenterInWorld();
      dst.col(static_cast<Eigen::Index>(k)) = init[kept[k]].CenterInWorld();
    }
    const Eigen::Matrix4d t = Eigen::umeyama(src, dst, true);
    Sim3d init_from_refined;
    init_from_refined.scale = t.block<3, 1>(0, 0).norm();
    init_from_refined.rotation = Eigen::Quaterniond(t.block<3, 3>(0, 0) / init_from_refined.scale).normalized();
    init_from_refined.translation = t.block<3, 1>(0, 3);
    if (kept.size() <= 3) return init_from_refined;
    int worst = -1;
    double worst_excess = 1.0;
    for (size_t k = 0; k < kept.size(); ++k) {
      const int c = kept[k];
      const Camera moved = [&] {
        Camera m = refined[c];
        m.cam_from_world = init_from_refined.TransformCamFromWorld(m.cam_from_world);
        return m;
      }();
      const double excess =
          std::max(RotationAngleDeg(moved.cam_from_world.rotation, init[c].cam_from_world.rotation) / floor_deg,
                   (moved.CenterInWorld() - init[c].CenterInWorld()).norm() / floor_m);
      if (excess > worst_excess) worst_excess = excess, worst = static_cast<int>(k);
    }
    if (worst < 0) return init_from_refined;
    kept.erase(kept.begin() + worst);
  }
}

double RigSize(const Rig& rig) {
  double size = 0.0;
  for (size_t a = 0; a < rig.size(); ++a)
    for (size_t b = a + 1; b < rig.size(); ++b)
      size = std::max(size, (rig[a].CenterInWorld() - rig[b].CenterInWorld()).norm());
  return size;
}

}  // namespace

CalibrationRefinementResult RefineCalibration(const Rig& init, const Observations2d& obs,
                                              const CalibrationRefinementOptions& options) {
  options.Check();
  if (obs.num_cameras() != static_cast<int>(init.size()))
    throw std::invalid_argument("RefineCalibration: observations and rig have different camera counts");
  CalibrationRefinementResult out;
  out.rig = init;
  out.rig_size_m = RigSize(init);
  if (init.size() < 3) {
    out.failure_reason = "needs three cameras or more";
    return out;
  }
  for (const Camera& c : init)
    if (!(c.fx > 0) || !c.has_extrinsics) {
      out.failure_reason = "camera '" + c.name + "' has no intrinsics or extrinsics";
      return out;
    }
  const CalibrationFrames frames = SelectCalibrationFrames(obs, options.self);
  const std::vector<bool> all(init.size(), true);
  const TriangulationResult tri = TriangulateRegistered(init, frames.ba, all, options.self);
  BAProblemData data = RefinementData(tri, options.self.min_confidence);
  out.num_points = static_cast<int>(data.points.size());
  if (out.num_points < 30) {
    out.failure_reason = "only " + std::to_string(out.num_points) + " joints triangulated with the given calibration";
    return out;
  }
  // Gauge: the camera with the most observations fixed, the farthest from it holds the scale;
  // the similarity of step 3 undoes the gauge when one of them moved.
  std::vector<int> counts(init.size(), 0);
  for (const BAObservation& o : data.observations) ++counts[o.camera];
  BundleAdjustmentOptions ba = options.self.ba;
  ba.fixed_camera = static_cast<camera_t>(std::max_element(counts.begin(), counts.end()) - counts.begin());
  double far = -1.0;
  for (size_t c = 0; c < init.size(); ++c) {
    const double d = (init[c].CenterInWorld() - init[ba.fixed_camera].CenterInWorld()).norm();
    if (d > far) far = d, ba.scale_camera = static_cast<camera_t>(c);
  }
  ba.refine_focal = ba.refine_k1 = options.refine_intrinsics;
  ba.compute_covariance = true;
  ba.num_threads = options.self.num_threads;
  Rig refined = init;
  out.ba = BundleAdjust(&refined, &data, ba);
  if (!out.ba.success) {
    out.failure_reason = "bundle adjustment failed: " + out.ba.termination;
    return out;
  }
  const double floor_m = options.min_move_rel * out.rig_size_m;
  const Sim3d init_from_refined = AlignOntoInit(init, refined, options.min_move_deg, floor_m);
  for (size_t c = 0; c < init.size(); ++c) {
    Camera& cam = refined[c];
    cam.cam_from_world = init_from_refined.TransformCamFromWorld(cam.cam_from_world);
    CameraMove m;
    m.name = cam.name;
    m.rotation_deg = RotationAngleDeg(cam.cam_from_world.rotation, init[c].cam_from_world.rotation);
    m.center_m = (cam.CenterInWorld() - init[c].CenterInWorld()).norm();
    if (c < out.ba.uncertainty.size()) {
      m.rotation_sigma_deg = out.ba.uncertainty[c].rotation_sigma_deg;
      m.center_sigma_m = out.ba.uncertainty[c].center_sigma * init_from_refined.scale;
    }
    const double sigma_deg = std::isfinite(m.rotation_sigma_deg) ? m.rotation_sigma_deg : 0.0;
    const double sigma_m = std::isfinite(m.center_sigma_m) ? m.center_sigma_m : 0.0;
    m.moved = m.rotation_deg > std::max(options.sigma_factor * sigma_deg, options.min_move_deg) ||
              m.center_m > std::max(options.sigma_factor * sigma_m, floor_m);
    if (m.moved) out.moved.push_back(m.name);
    out.moves.push_back(m);
  }
  out.rig = refined;
  out.success = true;
  return out;
}

}  // namespace epilabel
