#include "pseudolabel/demo_real.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

#include <toml++/toml.h>

#include "detection/dnn/pose_detector.h"
#include "detection/io/calibration_io.h"
#include "detection/io/openpose_json.h"
#include "foundation/error.h"
#include "foundation/file_util.h"
#include "geometry/sfm/calibration_verdict.h"
#include "geometry/sfm/rig_comparison.h"
#include "pseudolabel/calibrate_run.h"
#include "pseudolabel/calibration_evaluation.h"
#include "pseudolabel/keypoint_input.h"
#include "pseudolabel/stages/intrinsics.h"
#include "pseudolabel/stages/sync_calibration.h"
#include "pseudolabel/stages/triangulate.h"

namespace fs = std::filesystem;

namespace epilabel {

namespace {

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The track with the most observed joints (the trial's subject; a bystander is seen less).
const PersonTrack& SubjectTrack(const Association& association) {
  size_t best = 0;
  int64_t best_count = -1;
  for (size_t k = 0; k < association.tracks.size(); ++k) {
    const Observations2d& obs = association.tracks[k].observations;
    int64_t count = 0;
    for (camera_t c = 0; c < obs.num_cameras(); ++c)
      for (frame_t f = 0; f < obs.num_frames(); ++f)
        for (joint_t j = 0; j < obs.num_joints(); ++j) count += obs.IsObserved(c, f, j) ? 1 : 0;
    if (count > best_count) {
      best = k;
      best_count = count;
    }
  }
  return association.tracks[best];
}

// The subject's joints triangulated (as `triangulate` does, the people associated with the
// reference cameras) with our cameras, mapped into the reference frame by `reference_from_ours`,
// and with the reference cameras: mean and median distance (mm) over the joints both see in two
// views or more.
void ComparePoints(const RealTrial& trial, const Rig& ours, const Sim3d& reference_from_ours, DemoReal* d) {
  const KeypointInput input = LoadKeypointInput(trial.pose_dir, "", 2);
  const Rig reference = MatchCalibration(ReadCalibrationToml(trial.reference_path), trial.reference_path, input,
                                         CalibrationNeed::kIntrinsicsAndExtrinsics);
  const Rig ours_matched = MatchCalibration(ours, "the demo's calibration", input, CalibrationNeed::kIntrinsicsAndExtrinsics);
  const Association association = AssociatePeople(input, {}, &reference);
  const PersonTrack& subject = SubjectTrack(association);
  const TriangulateStageOptions options;
  const TriangulatedSequence with_ours = TriangulateTrack(ours_matched, subject, options);
  const TriangulatedSequence with_reference = TriangulateTrack(reference, subject, options);
  std::vector<double> distances;
  for (frame_t f = 0; f < with_ours.points.num_frames(); ++f)
    for (joint_t j = 0; j < with_ours.points.num_joints(); ++j)
      if (with_ours.num_views.at(f, j) >= 2 && with_reference.num_views.at(f, j) >= 2)
        distances.push_back(
            1000 * (reference_from_ours * with_ours.points.at(f, j) - with_reference.points.at(f, j)).norm());
  if (distances.empty()) return;
  double sum = 0;
  for (double x : distances) sum += x;
  d->points_mean_mm = sum / static_cast<double>(distances.size());
  std::nth_element(distances.begin(), distances.begin() + distances.size() / 2, distances.end());
  d->points_median_mm = distances[distances.size() / 2];
}

// Section 9's stage options: the subject's height given, the demo's seed and threads.
CalibrateStageOptions RealStageOptions(const DemoRealOptions& o, const RealTrial& trial) {
  CalibrateStageOptions stage;
  stage.subject_height_m = trial.subject_height_m;
  stage.subject_height_given = true;
  stage.seed = o.seed;
  stage.num_threads = o.num_threads;
  stage.progress = o.progress;
  return stage;
}

// Section 9, second part: the trial's cameras shifted by whole frames (frame numbers only: what
// unsynchronised cameras give) and calibrated as `calibrate --sync` does, in memory.
void RunRealSync(const DemoRealOptions& o, const RealTrial& trial, DemoReal* d) {
  const KeypointInput input = LoadKeypointInput(trial.pose_dir, "", 2);
  std::vector<int64_t> shift(input.num_cameras(), 0);
  for (int c = 0; c < input.num_cameras(); ++c) {
    const int offset = o.offsets[c % o.offsets.size()];
    d->true_offsets_frames.push_back(c == 0 ? 0.0 : offset);
    // Frame N of a camera whose numbers grow by k shows the reference's frame N - k.
    shift[c] = c == 0 ? 0 : -offset;
  }
  const KeypointInput shifted = ShiftFrameNumbers(input, shift);
  IntrinsicsSource source;
  source.file = ReadCalibrationToml(trial.reference_path);
  source.file_path = trial.reference_path;
  const Rig intrinsics = ResolveIntrinsics(source, shifted);
  SyncStageOptions sync;
  sync.default_fps = trial.fps;
  SyncCalibrationResult r = CalibrateUnsynchronised(intrinsics, shifted, AssociationOptions{},
                                                    RealStageOptions(o, trial), sync);
  JudgeTimeOffsets(r.sync, &r.calibration.output.report);
  for (size_t c = 0; c < r.sync.cameras.size(); ++c) {
    d->offsets_frames.push_back(r.sync.cameras[c].offset_frames);
    if (c < d->true_offsets_frames.size())
      d->max_offset_error_frames =
          std::max(d->max_offset_error_frames, std::abs(r.sync.cameras[c].offset_frames - d->true_offsets_frames[c]));
  }
  const Rig& rig = r.calibration.output.rig;
  d->sync_calibration = r.calibration.output.success
                            ? ScoreCalibration(MatchedReference(ReadCalibrationToml(trial.reference_path), rig, trial.reference_path,
                                                               "calibrate --sync's calibration"),
                                              r.calibration.output)
                            : ScoreCalibration(Rig(), r.calibration.output);
  d->sync_run = true;
}

// The camera the verdict names the weakest (if any) beside the one truly furthest off.
void NameWeakest(const CalibrationReport& report, DemoReal* d) {
  const WeakestCamera weakest = FindWeakestCamera(report);
  if (weakest.camera >= 0) {
    d->named = report.cameras[weakest.camera].name;
    d->evidence = weakest.evidence;
  }
  const auto& rows = d->calibration.cameras;
  const auto furthest = std::max_element(rows.begin(), rows.end(), [](const DemoCameraRow& a, const DemoCameraRow& b) {
    return a.rotation_error_deg < b.rotation_error_deg;
  });
  if (furthest != rows.end()) d->furthest_off = furthest->name;
}

// A calibration of section 9 (calibrate --intrinsics REFERENCE on `keypoints_dir`, written to
// `out_path`) and its scores against the reference: per camera by the orientations, and the
// largest errors by the centres.
CalibrateRunResult CalibrateRealTrial(const DemoRealOptions& o, const RealTrial& trial, const std::string& keypoints_dir,
                                      const std::string& out_path, DemoCalibration* score, double* rotation_by_centres_deg,
                                      double* center_by_centres_pct) {
  CalibrateRunOptions co;
  co.keypoints_path = keypoints_dir;
  co.intrinsics_path = trial.reference_path;
  co.out_path = out_path;
  co.stage = RealStageOptions(o, trial);
  co.sync_stage.default_fps = trial.fps;
  CalibrateRunResult cal = RunCalibrate(co);
  if (!cal.output.success) {
    *score = ScoreCalibration(Rig(), cal.output);
    return cal;
  }
  const Rig reference =
      MatchedReference(ReadCalibrationToml(trial.reference_path), cal.output.rig, trial.reference_path, out_path);
  *score = ScoreCalibration(reference, cal.output);
  const RigComparison by_centres = CompareRigs(reference, cal.output.rig, RigAlignment::kCentres);
  *rotation_by_centres_deg = by_centres.max_rotation_error_deg;
  *center_by_centres_pct = 100 * by_centres.max_center_error_rel;
  return cal;
}

// The trial's videos (videos/*.mp4, sorted by name), or none.
std::vector<CameraInput> RealVideos(const RealTrial& trial) {
  std::vector<CameraInput> inputs;
  std::error_code ec;
  const fs::path dir = fs::path(trial.dir) / "videos";
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file(ec) && it->path().extension() == ".mp4") inputs.push_back({"", it->path().string()});
  std::sort(inputs.begin(), inputs.end(), [](const CameraInput& a, const CameraInput& b) { return a.path < b.path; });
  return inputs;
}

// Section 9, third part: the trial's videos through our detector (`detect`'s defaults), written
// as OpenPose JSON under out_dir/real/detections, then calibrated as the OpenPose detections are.
void RunRealDetection(const DemoRealOptions& o, const RealTrial& trial, DemoReal* d) {
  const std::vector<CameraInput> videos = RealVideos(trial);
  const std::string model = o.models_dir.empty() ? std::string() : MoveNetModelPath(o.models_dir, "thunder");
  std::error_code ec;
  if (videos.empty()) {
    d->detect_skipped = "no videos in " + (fs::path(trial.dir) / "videos").string();
    return;
  }
  if (model.empty() || !fs::is_regular_file(model, ec)) {
    d->detect_skipped = "the MoveNet Thunder model is not installed" +
                        (model.empty() ? std::string() : " (" + model + ")") + ": run scripts/setup-models.sh";
    return;
  }
  PoseDetectorOptions options;
  options.model.path = model;
  options.model.layout = PoseModelLayout::kMoveNet;
  d->detect_model = model;
  const auto t0 = std::chrono::steady_clock::now();
  const DetectionResult detected = DetectCameras(videos, options, o.progress);
  d->detect_s = SecondsSince(t0);
  for (const CameraDetectionSummary& c : detected.cameras) d->detected_frames += static_cast<int>(c.frames);
  const KeypointInput as_read = KeypointInputFromMemory(detected.keypoints, "the detections");
  MatchCalibration(ReadCalibrationToml(trial.reference_path), trial.reference_path, as_read, CalibrationNeed::kIntrinsics,
                   &d->detect_warnings);
  const std::string dir = (fs::path(o.out_dir) / "real" / "detections").string();
  WriteOpenPoseFolder(detected.keypoints, dir);
  CalibrateRealTrial(o, trial, dir, (fs::path(o.out_dir) / "real" / "calibration_detect.toml").string(),
                     &d->detect_calibration, &d->detect_rotation_by_centres_deg, &d->detect_center_by_centres_pct);
  d->detect_run = true;
}

}  // namespace

RealTrial ReadRealTrial(const std::string& dir) {
  RealTrial t;
  t.dir = dir;
  t.pose_dir = (fs::path(dir) / "pose").string();
  t.reference_path = (fs::path(dir) / "Calib_qualisys.toml").string();
  const std::string path = (fs::path(dir) / "trial.toml").string();
  if (!fs::is_regular_file(path)) throw InputError(path, "missing: the real trial of section 9 (or --no-real)");
  toml::table root;
  try {
    root = toml::parse(ReadFileToString(path), path);
  } catch (const toml::parse_error& e) {
    throw InputError(path + ":" + std::to_string(e.source().begin.line), std::string(e.description()));
  }
  t.subject_height_m = root["subject_height_m"].value_or(0.0);
  t.fps = root["fps"].value_or(0.0);
  if (!(t.subject_height_m > 0.5 && t.subject_height_m < 2.5))
    throw InputError(path, "subject_height_m must be a height in metres in (0.5, 2.5)");
  if (!(t.fps > 0 && t.fps <= 1000)) throw InputError(path, "fps must be in (0, 1000]");
  return t;
}

DemoReal RunRealCapture(const RealTrial& trial, const DemoRealOptions& o) {
  DemoReal d;
  d.trial = fs::path(trial.dir).filename().string();
  d.subject_height_m = trial.subject_height_m;
  const std::string out_path = (fs::path(o.out_dir) / "real" / "calibration.toml").string();
  const CalibrateRunResult cal = CalibrateRealTrial(o, trial, trial.pose_dir, out_path, &d.calibration,
                                                    &d.max_rotation_by_centres_deg, &d.max_center_by_centres_pct);
  d.cameras = cal.association.tracks.front().num_cameras();
  d.frames = cal.association.tracks.front().num_frames();
  if (cal.output.success) {
    NameWeakest(cal.output.report, &d);
    const RigComparison by_orientations = CompareRigs(
        MatchedReference(ReadCalibrationToml(trial.reference_path), cal.output.rig, trial.reference_path, out_path),
        cal.output.rig);
    ComparePoints(trial, cal.output.rig, by_orientations.reference_from_estimate, &d);
  }
  if (!o.offsets.empty()) RunRealSync(o, trial, &d);
  if (o.detect) RunRealDetection(o, trial, &d);
  return d;
}

}  // namespace epilabel
