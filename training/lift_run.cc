#include "training/lift_run.h"

#include <filesystem>

#include "detection/io/calibration_io.h"
#include "detection/io/camera_matching.h"
#include "detection/io/keypoint_io.h"
#include "detection/io/points_io.h"
#include "detection/keypoints.h"
#include "foundation/error.h"
#include "foundation/file_util.h"
#include "foundation/output_commit.h"
#include "training/lifter.h"

namespace fs = std::filesystem;

namespace epilabel {

namespace {

KeypointSequence ReadLifterKeypoints(const LiftRunOptions& o, const RunInfo& info) {
  KeypointReadOptions read;
  read.skeleton = o.skeleton.empty() ? info.skeleton : o.skeleton;
  read.cameras = o.cameras;
  read.progress = o.progress;
  KeypointSequence sequence = ReadKeypoints(o.keypoints_path, read);
  if (sequence.num_joints != static_cast<int>(info.joint_names.size()))
    throw InputError(o.keypoints_path, "the keypoints have " + std::to_string(sequence.num_joints) + " joints (" +
                                           sequence.skeleton + "), the lifter expects " +
                                           std::to_string(info.joint_names.size()) + " (" + info.skeleton + ")");
  if (!info.skeleton.empty() && !sequence.skeleton.empty() && sequence.skeleton != info.skeleton)
    throw InputError(o.keypoints_path,
                     "skeleton '" + sequence.skeleton + "' differs from the lifter's '" + info.skeleton + "'");
  return sequence;
}

// Each camera's image size: given, else from the calibration (matched by name), else stored
// with the keypoints.
std::vector<Eigen::Vector2i> ImageSizes(const LiftRunOptions& o, const KeypointSequence& sequence,
                                        std::vector<Eigen::Matrix3d>* intrinsics) {
  const int n = static_cast<int>(sequence.cameras.size());
  std::vector<Eigen::Vector2i> sizes(n, Eigen::Vector2i::Zero());
  std::vector<Eigen::Vector2i> calibrated(n, Eigen::Vector2i::Zero());
  intrinsics->assign(n, Eigen::Matrix3d::Zero());
  if (!o.calibration_path.empty()) {
    const Rig rig = ReadCalibrationToml(o.calibration_path);
    const std::vector<int> match = MatchKeypointCameras(sequence, rig, o.keypoints_path + " / " + o.calibration_path);
    for (int c = 0; c < n; ++c) {
      calibrated[c] = Eigen::Vector2i(rig[match[c]].width, rig[match[c]].height);
      (*intrinsics)[c] = rig[match[c]].K();
    }
  }
  for (int c = 0; c < n; ++c) {
    const CameraKeypoints& cam = sequence.cameras[c];
    sizes[c].x() = o.image_width > 0 ? o.image_width : (calibrated[c].x() > 0 ? calibrated[c].x() : cam.width);
    sizes[c].y() = o.image_height > 0 ? o.image_height : (calibrated[c].y() > 0 ? calibrated[c].y() : cam.height);
    if (sizes[c].x() <= 0 || sizes[c].y() <= 0)
      throw InputError(o.keypoints_path, "the image size of camera '" + cam.name +
                                             "' is unknown; give the image size or a calibration (the 2D input is "
                                             "normalised by it)");
  }
  return sizes;
}

Track2d CameraTrack(const Observations2d& obs, int c, const Eigen::Vector2i& size) {
  Track2d track;
  track.width = size.x();
  track.height = size.y();
  track.num_joints = obs.num_joints();
  track.keypoints.resize(static_cast<size_t>(obs.num_frames()) * obs.num_joints(), Eigen::Vector3d::Zero());
  for (int f = 0; f < obs.num_frames(); ++f)
    for (int j = 0; j < obs.num_joints(); ++j)
      if (obs.IsObserved(c, f, j)) track.keypoints[static_cast<size_t>(f) * obs.num_joints() + j] = obs.at(c, f, j);
  return track;
}

std::string OutputPath(const LiftRunOptions& o, const std::string& camera, int num_cameras) {
  if (num_cameras == 1) return o.out_path;
  const fs::path p(o.out_path);
  return (p.parent_path() / (p.stem().string() + "_" + SafeFileNamePart(camera) + p.extension().string())).string();
}

}  // namespace

std::vector<LiftedCamera> RunLift(const LiftRunOptions& o) {
  CheckOutputFile(o.out_path);
  CheckNotAnInput(o.out_path, {o.keypoints_path, o.calibration_path});
  const RunInfo info = ReadRunInfo(o.run_dir);
  const KeypointSequence sequence = ReadLifterKeypoints(o, info);
  std::vector<Eigen::Matrix3d> intrinsics;
  const std::vector<Eigen::Vector2i> sizes = ImageSizes(o, sequence, &intrinsics);
  const ObservationTable table = ToObservations(sequence);
  const Observations2d& obs = table.observations;
  InferenceOptions inference;
  inference.num_threads = o.num_threads;
  inference.test_time_flip = o.flip_test;
  inference.hypotheses = o.hypotheses;
  inference.steps = o.steps;
  inference.jpma = !o.no_jpma;
  inference.refine = o.refine;
  inference.refine_steps = o.refine_steps;
  std::vector<LiftedCamera> lifted;
  // The files of every camera are committed together once all are written.
  OutputCommit commit;
  for (int c = 0; c < obs.num_cameras(); ++c) {
    PointsFile file;
    Track2d track = CameraTrack(obs, c, sizes[c]);
    track.K = intrinsics[c];
    // The uncertainty: the predicted sigma of a model with an uncertainty head, else the spread
    // of the diffusion lifter's hypotheses.
    const bool spread_wanted = info.model.uncertainty_head || (o.hypotheses > 1 && info.model.type == "diffusion");
    FrameJointArray<double> spread;
    file.points = LiftPoses(o.run_dir, track, inference, spread_wanted ? &spread : nullptr);
    if (spread_wanted) file.uncertainty_m = spread;
    file.joint_names = info.joint_names;
    file.frame_numbers = table.frame_numbers;
    file.reproj_error_px = FrameJointArray<double>(obs.num_frames(), obs.num_joints(), kNaN);
    file.n_views = FrameJointArray<int32_t>(obs.num_frames(), obs.num_joints(), 0);
    LiftedCamera out;
    out.name = sequence.cameras[c].name;
    out.frames = obs.num_frames();
    for (int f = 0; f < obs.num_frames(); ++f) {
      bool any = false;
      for (int j = 0; j < obs.num_joints(); ++j) {
        file.n_views.at(f, j) = obs.IsObserved(c, f, j) ? 1 : 0;
        any = any || file.points.IsValid(f, j);
      }
      out.lifted_frames += any ? 1 : 0;
    }
    out.path = OutputPath(o, out.name, obs.num_cameras());
    const std::string staged = commit.StageFile(out.path);
    commit.Write([&] { WritePointsNpz(file, staged); });
    lifted.push_back(out);
  }
  commit.Commit();
  return lifted;
}

}  // namespace epilabel
