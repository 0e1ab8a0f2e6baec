#include "geometry/sfm/leave_one_camera_out.h"

#include <algorithm>
#include <cmath>

#include <tbb/parallel_for.h>

#include "geometry/estimators/resection.h"
#include "geometry/sfm/world_frame.h"

namespace epilabel {

namespace {

// Every step-th frame, so that at most max_frames remain.
std::vector<frame_t> SpreadFrames(int num_frames, int max_frames) {
  const int step = std::max(1, (num_frames + std::max(1, max_frames) - 1) / std::max(1, max_frames));
  std::vector<frame_t> frames;
  for (frame_t f = 0; f < num_frames; f += step) frames.push_back(f);
  return frames;
}

// The registered cameras' observations but camera c's, in `frames`.
Observations2d OthersObservations(const Observations2d& obs, camera_t c, const std::vector<uint8_t>& registered,
                                  const std::vector<frame_t>& frames) {
  const int nj = obs.num_joints();
  Observations2d others(obs.num_cameras(), static_cast<int>(frames.size()), nj);
  for (camera_t k = 0; k < obs.num_cameras(); ++k) {
    if (k == c || !registered[k]) continue;
    for (size_t i = 0; i < frames.size(); ++i)
      for (joint_t j = 0; j < nj; ++j) others.at(k, static_cast<frame_t>(i), j) = obs.at(k, frames[i], j);
  }
  return others;
}

// Resects camera `c` on the joints the other cameras triangulate without it and stores how far
// that pose lies from the calibrated one.
void LeaveOneCameraOut(const Rig& world_rig, const Observations2d& obs, camera_t c,
                       const std::vector<uint8_t>& registered, const TriangulationOptions& tri_options, int max_frames,
                       CameraCalibrationReport* report) {
  // In camera c's calibrated frame, in units of its distance to the farthest other camera: the
  // result then does not depend on the world frame the rig is expressed in (the metric scale, the
  // floor found at that scale). The triangulation and the PnP are not exactly equivariant: on a
  // ring of four cameras, the world turned by 23 deg moved a camera's shift from 0.20 to 0.12 deg,
  // scaled by 1.47 from 0.17 to 0.18 deg; on the Pose2Sim two-person trial a floor found at
  // another scale moved cam_03's from 0.64 to 1.11 deg (past the 1.0 deg limit).
  double size = 0.0;
  for (camera_t k = 0; k < static_cast<camera_t>(world_rig.size()); ++k)
    if (registered[k]) size = std::max(size, (world_rig[k].CenterInWorld() - world_rig[c].CenterInWorld()).norm());
  if (!(size > 0)) return;
  const Rig rig = TransformRig(world_rig, Sim3d{1.0 / size, world_rig[c].cam_from_world.rotation,
                                                world_rig[c].cam_from_world.translation / size});
  const std::vector<frame_t> frames = SpreadFrames(obs.num_frames(), max_frames);
  TriangulationOptions topt = tri_options;
  topt.keep_covariance = false;
  const TriangulationResult tri = TriangulateSequence(rig, OthersObservations(obs, c, registered, frames), topt);
  std::vector<Eigen::Vector3d> points;
  std::vector<Eigen::Vector2d> normalized;
  for (size_t i = 0; i < frames.size(); ++i)
    for (joint_t j = 0; j < obs.num_joints(); ++j) {
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
  report->loo_center_m = size * (center - rig[c].CenterInWorld()).norm();
}

}  // namespace

void LeaveOneCameraOutCheck(const Rig& rig, const Observations2d& obs, const std::vector<uint8_t>& registered,
                            const TriangulationOptions& tri_options, int max_frames,
                            std::vector<CameraCalibrationReport>* cameras) {
  tbb::parallel_for(0, obs.num_cameras(), [&](int c) {
    if (registered[c]) LeaveOneCameraOut(rig, obs, c, registered, tri_options, max_frames, &(*cameras)[c]);
  });
}

}  // namespace epilabel
