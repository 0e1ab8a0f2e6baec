#include "pseudolabel/demo_run.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <stdexcept>

#include <toml++/toml.h>

#include "detection/dnn/pose_detector.h"
#include "detection/io/calibration_io.h"
#include "detection/io/openpose_json.h"
#include "detection/skeleton.h"
#include "detection/synthetic/rigs.h"
#include "foundation/error.h"
#include "foundation/file_util.h"
#include "geometry/estimators/sequence_triangulation.h"
#include "geometry/sfm/calibration_verdict.h"
#include "geometry/sfm/rig_comparison.h"
#include "pseudolabel/calibrate_run.h"
#include "pseudolabel/calibration_evaluation.h"
#include "pseudolabel/keypoint_input.h"
#include "pseudolabel/label_run.h"
#include "pseudolabel/label_scoring.h"
#include "pseudolabel/stages/intrinsics.h"
#include "pseudolabel/stages/sync.h"
#include "pseudolabel/stages/sync_calibration.h"
#include "pseudolabel/stages/triangulate.h"

namespace fs = std::filesystem;

namespace epilabel {

namespace {

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Section 6's default offsets (frames), cycled over the rig; the first camera is the reference.
constexpr double kDefaultOffsets[] = {3.4, -7.2, 12.6, -1.5, 5.3, -9.8, 2.2};

std::vector<double> OffsetsFor(const DemoRunOptions& o, int num_cameras) {
  if (!o.time_offsets.empty()) return o.time_offsets;
  std::vector<double> offsets(num_cameras, 0.0);
  for (int c = 1; c < num_cameras; ++c) offsets[c] = kDefaultOffsets[(c - 1) % std::size(kDefaultOffsets)];
  return offsets;
}

StudioOptions BaseStudio(const DemoRunOptions& o) {
  StudioOptions so;
  so.rig = o.rig;
  so.num_frames = o.frames;
  so.seed = o.seed;
  so.data_dir = o.data_dir;
  so.progress = o.progress;
  return so;
}

// A section's smaller studio.
StudioOptions SectionStudio(const DemoRunOptions& o) {
  StudioOptions so = BaseStudio(o);
  so.num_frames = std::min(o.frames, o.section_frames);
  return so;
}

SyntheticScene WriteStudio(const StudioOptions& so, const std::string& dir) {
  SyntheticScene scene = Synthesize(so);
  WriteSyntheticScene(scene, dir);
  return scene;
}

// A calibration against the truth: per camera, the errors after one similarity beside the
// leave-one-camera-out shifts a user without the truth sees.
DemoCalibration ScoreCalibration(const Rig& truth, const CalibrationOutput& output) {
  DemoCalibration d;
  d.verdict = VerdictName(output.report.verdict);
  d.success = output.success;
  if (!output.success) {
    d.reason = output.report.BriefReport();
    return d;
  }
  const RigComparison cmp = CompareRigs(truth, output.rig);
  for (size_t c = 0; c < cmp.cameras.size(); ++c) {
    DemoCameraRow row;
    row.name = cmp.cameras[c].name;
    row.rotation_error_deg = cmp.cameras[c].rotation_error_deg;
    row.center_error_mm = 1000 * cmp.cameras[c].center_error_m;
    if (c < output.report.cameras.size()) {
      const CameraCalibrationReport& cr = output.report.cameras[c];
      row.rms_px = cr.rms_px;
      row.loo_rotation_deg = cr.loo_rotation_deg;
      row.loo_center_mm = 1000 * cr.loo_center_m;
    }
    d.cameras.push_back(row);
  }
  d.max_rotation_error_deg = cmp.max_rotation_error_deg;
  d.max_center_error_pct = 100 * cmp.max_center_error_rel;
  d.scale_error_pct = 100 * cmp.scale_error_rel;
  d.scale_method = output.report.world.scale_method;
  return d;
}

// `calibrate` on a written studio: known intrinsics (the studio's, or `intrinsics_path`), the
// true height.
CalibrateRunResult CalibrateStudio(const DemoRunOptions& o, const std::string& studio, const SyntheticScene& scene,
                                   const std::string& out_path, bool sync, const std::string& intrinsics_path = "") {
  CalibrateRunOptions co;
  co.keypoints_path = studio + "/pose";
  co.intrinsics_path = intrinsics_path.empty() ? studio + "/intrinsics.toml" : intrinsics_path;
  co.out_path = out_path;
  co.stage.subject_height_m = scene.subject_height;
  co.stage.subject_height_given = true;
  co.stage.seed = o.seed;
  co.stage.num_threads = o.num_threads;
  co.stage.progress = o.progress;
  co.sync = sync;
  co.sync_stage.default_fps = scene.options.fps;
  return RunCalibrate(co);
}

// Section 2, second part: the studio's third camera (or last) given a focal length 4 % long.
DemoWrongFocal RunWrongFocal(const DemoRunOptions& o, const DemoRunResult& r) {
  DemoWrongFocal d;
  Rig intrinsics = ReadCalibrationToml(r.studio_dir + "/intrinsics.toml");
  const size_t k = std::min<size_t>(2, intrinsics.size() - 1);
  d.camera = intrinsics[k].name;
  d.focal_error_pct = 4.0;
  intrinsics[k].fx *= 1.0 + d.focal_error_pct / 100;
  intrinsics[k].fy *= 1.0 + d.focal_error_pct / 100;
  const fs::path dir = fs::path(o.out_dir) / "calibration_wrong_focal";
  fs::create_directories(dir);
  WriteCalibrationToml(intrinsics, (dir / "intrinsics.toml").string());
  const CalibrateRunResult cal = CalibrateStudio(o, r.studio_dir, r.scene, (dir / "calibration.toml").string(), false,
                                                 (dir / "intrinsics.toml").string());
  if (!cal.output.success || k >= cal.output.report.cameras.size()) return d;
  const CameraCalibrationReport& cr = cal.output.report.cameras[k];
  d.pull_pct = 100 * cr.given_focal_pull_rel;
  d.sigma_pct = 100 * cr.given_focal_sigma_rel;
  d.rotation_error_deg = CompareRigs(r.scene.rig, cal.output.rig).cameras[k].rotation_error_deg;
  const WeakestCamera weakest = FindWeakestCamera(cal.output.report);
  if (weakest.camera >= 0) {
    d.named = cal.output.report.cameras[weakest.camera].name;
    d.evidence = weakest.evidence;
  }
  return d;
}

TriangulationOptions RobustTriangulation() {
  const Skeleton& skeleton = GetSkeleton("coco17");
  TriangulationOptions to;
  to.symmetric_pairs = skeleton.symmetric;
  to.bones = skeleton.bones;
  return to;
}

// Section 3: the self-calibrated cameras' points mapped into the true world by the comparison's
// similarity, beside the true cameras' points.
void ScoreTriangulation(const SyntheticScene& scene, const Rig& estimate, DemoRunResult* r) {
  const TriangulationOptions to = RobustTriangulation();
  const TriangulationResult with_true = TriangulateSequence(scene.rig, scene.observations, to);
  const TriangulationResult with_est = TriangulateSequence(estimate, scene.observations, to);
  const RigComparison cmp = CompareRigs(scene.rig, estimate);
  Points3d aligned(with_est.points.num_frames(), with_est.points.num_joints());
  for (frame_t f = 0; f < aligned.num_frames(); ++f)
    for (joint_t j = 0; j < aligned.num_joints(); ++j)
      if (with_est.points.IsValid(f, j)) aligned.at(f, j) = cmp.reference_from_estimate * with_est.points.at(f, j);
  r->mpjpe_true_cameras_mm = 1000 * MeanPointDistance(with_true.points, scene.points3d);
  r->mpjpe_self_calibrated_mm = 1000 * MeanPointDistance(aligned, scene.points3d);
  r->triangulation_brief = with_est.summary.BriefReport();
}

// Section 4: `label` with a calibration (multi-view) or with the intrinsics (two-view pairs).
LabelDataset Label(const DemoRunOptions& o, const DemoRunResult& r, const std::string& name, const std::string& calib,
                   const std::string& pairs) {
  LabelRunOptions lo;
  lo.keypoints_path = r.studio_dir + "/pose";
  if (pairs.empty()) lo.calibration_path = calib;
  else lo.intrinsics_path = r.studio_dir + "/intrinsics.toml";
  lo.pairs = pairs;
  lo.out_dir = (fs::path(o.out_dir) / name).string();
  lo.sequence_name = "studio";
  lo.calibration.subject_height_m = r.scene.subject_height;
  lo.calibration.subject_height_given = true;
  lo.seed = o.seed;
  lo.num_threads = o.num_threads;
  lo.write_html_report = pairs.empty();
  return RunLabel(lo).dataset;
}

void RunLabels(const DemoRunOptions& o, DemoRunResult* r) {
  const Skeleton& skeleton = GetSkeleton("coco17");
  r->labels = Label(o, *r, "labels", r->calibration_path, "");
  const LabelDataset labels_true = Label(o, *r, "labels_true_calibration", r->studio_dir + "/calibration.toml", "");
  r->labels_two_view = Label(o, *r, "labels_two_view", "", "neighbours");
  auto row = [&](const std::string& name, const LabelDataset& d) {
    r->label_rows.push_back({name, ScoreLabels(d, r->scene.rig, r->scene.points3d, skeleton.root)});
  };
  row("multi-view, self-calibrated", r->labels);
  row("multi-view, true calibration", labels_true);
  row("two-view (EpipolarPose-style)", r->labels_two_view);
}

// The studio's one person as a track (frames matched by number).
PersonTrack SceneTrack(const SyntheticScene& scene) {
  PersonTrack t;
  t.skeleton = &GetSkeleton("coco17");
  for (const Camera& cam : scene.rig) t.camera_names.push_back(cam.name);
  t.frame_numbers = scene.frame_numbers;
  t.observations = scene.observations;
  return t;
}

std::vector<double> InFrames(const SyncResult& s, double fps) {
  std::vector<double> frames;
  for (double t : s.OffsetsSeconds()) frames.push_back(t * fps);
  return frames;
}

double MaxDifference(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return kNaN;
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

// Section 6 with several people: `epilabel sync` without a calibration on a studio of o.people.
void SyncSeveralPeople(const DemoRunOptions& o, StudioOptions so, DemoSync* d) {
  so.num_people = o.people;
  const SyntheticScene scene = Synthesize(so);
  const KeypointInput input = KeypointInputFromMemory(scene.ToKeypointSequence(), "studio");
  SyncStageOptions sync;
  sync.default_fps = so.fps;
  const SyncResult motion = EstimateTimeOffsetsOfPeople(input, sync, UncalibratedAssociationOptions{});
  d->people = o.people;
  d->people_verdict = motion.Verdict();
  if (!motion.success) return;
  d->people_offsets_frames = InFrames(motion, so.fps);
  d->max_people_error_frames = MaxDifference(d->people_offsets_frames, d->true_offsets_frames);
}

// Section 6: a studio whose cameras are shifted in time.
DemoSync RunSyncSection(const DemoRunOptions& o) {
  DemoSync d;
  StudioOptions so = SectionStudio(o);
  const std::string dir = (fs::path(o.out_dir) / "studio_unsynchronised").string();
  so.time_offsets = OffsetsFor(o, static_cast<int>(MakeStudioRig(so.rig).cameras.size()));
  const SyntheticScene scene = WriteStudio(so, dir);
  d.true_offsets_frames = so.time_offsets;
  for (const Camera& cam : scene.rig) d.camera_names.push_back(cam.name);

  // Offsets from the people's motion alone (`epilabel sync` without a calibration).
  std::vector<PersonTrack> tracks = {SceneTrack(scene)};
  SyncStageOptions sync;
  sync.default_fps = so.fps;
  const SyncResult motion = EstimateTimeOffsets(tracks, sync);
  d.motion_verdict = motion.Verdict();
  if (motion.success) {
    d.motion_offsets_frames = InFrames(motion, so.fps);
    d.max_motion_error_frames = MaxDifference(d.motion_offsets_frames, d.true_offsets_frames);
  }

  if (o.people > 1) SyncSeveralPeople(o, so, &d);

  // `calibrate --sync`: the offsets and the cameras together.
  const CalibrateRunResult cal =
      CalibrateStudio(o, dir, scene, (fs::path(o.out_dir) / "calibration_unsynchronised.toml").string(), true);
  d.calibration = ScoreCalibration(scene.rig, cal.output);
  if (cal.sync.success) {
    d.calibrated_offsets_frames = InFrames(cal.sync, so.fps);
    d.max_calibrated_error_frames = MaxDifference(d.calibrated_offsets_frames, d.true_offsets_frames);
  }

  // Triangulation with the true cameras, before and after resampling onto the reference timeline.
  const TriangulationOptions to = RobustTriangulation();
  d.mpjpe_by_frame_number_mm =
      1000 * MeanPointDistance(TriangulateSequence(scene.rig, scene.observations, to).points, scene.points3d);
  if (cal.sync.success) {
    ResampleTracks(cal.sync.OffsetsSeconds(), sync.CameraFps(static_cast<int>(scene.rig.size())), cal.sync.reference,
                   &tracks);
    d.mpjpe_resampled_mm =
        1000 * MeanPointDistance(TriangulateSequence(scene.rig, tracks[0].observations, to).points, scene.points3d);
  } else {
    d.mpjpe_resampled_mm = kNaN;
  }
  return d;
}

// Section 7: the realistic detector model with varied motion.
DemoRealistic RunRealisticSection(const DemoRunOptions& o) {
  DemoRealistic d;
  StudioOptions so = SectionStudio(o);
  so.detector = "realistic";
  so.motion_variation = true;
  const std::string dir = (fs::path(o.out_dir) / "studio_realistic").string();
  const SyntheticScene scene = WriteStudio(so, dir);
  const CalibrateRunResult cal =
      CalibrateStudio(o, dir, scene, (fs::path(o.out_dir) / "calibration_realistic.toml").string(), false);
  d.calibration = ScoreCalibration(scene.rig, cal.output);
  // The oracle is told which detections are gross errors or swapped.
  const Observations2d masked = ObservationsWithoutGrossErrors(scene);
  TriangulationOptions plain;
  plain.robust = false;
  plain.repair_swaps = false;
  d.oracle_mpjpe_mm = 1000 * MeanPointDistance(TriangulateSequence(scene.rig, masked, plain).points, scene.points3d);
  d.mpjpe_mm =
      1000 * MeanPointDistance(TriangulateSequence(scene.rig, scene.observations, RobustTriangulation()).points,
                               scene.points3d);
  return d;
}

// Section 8: fisheye lenses (known intrinsics).
DemoFisheye RunFisheyeSection(const DemoRunOptions& o) {
  DemoFisheye d;
  StudioOptions so = SectionStudio(o);
  so.lens = "fisheye";
  d.fov_deg = so.fisheye_fov_deg;
  const std::string dir = (fs::path(o.out_dir) / "studio_fisheye").string();
  const SyntheticScene scene = WriteStudio(so, dir);
  const CalibrateRunResult cal =
      CalibrateStudio(o, dir, scene, (fs::path(o.out_dir) / "calibration_fisheye.toml").string(), false);
  d.calibration = ScoreCalibration(scene.rig, cal.output);
  return d;
}


// Section 9: the real trial's facts (trial.toml: subject_height_m, fps).
struct RealTrial {
  std::string dir, pose_dir, reference_path;
  double subject_height_m = 0, fps = 0;
};

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
CalibrateStageOptions RealStageOptions(const DemoRunOptions& o, const RealTrial& trial) {
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
void RunRealSync(const DemoRunOptions& o, const RealTrial& trial, DemoReal* d) {
  const KeypointInput input = LoadKeypointInput(trial.pose_dir, "", 2);
  std::vector<int64_t> shift(input.num_cameras(), 0);
  for (int c = 0; c < input.num_cameras(); ++c) {
    const int offset = o.real_offsets[c % o.real_offsets.size()];
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
CalibrateRunResult CalibrateRealTrial(const DemoRunOptions& o, const RealTrial& trial, const std::string& keypoints_dir,
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
void RunRealDetection(const DemoRunOptions& o, const RealTrial& trial, DemoReal* d) {
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

// Section 9: a real capture calibrated from its people (the reference's intrinsics, the
// subject's height), scored against the reference's extrinsics.
DemoReal RunRealSection(const DemoRunOptions& o, const RealTrial& trial) {
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
  if (!o.real_offsets.empty()) RunRealSync(o, trial, &d);
  if (o.real_detect) RunRealDetection(o, trial, &d);
  return d;
}

}  // namespace

void DemoRunOptions::Check() const {
  if (frames < 200) throw InputError("frames", "must be >= 200, got " + std::to_string(frames));
  if (section_frames < 200) throw InputError("section_frames", "must be >= 200, got " + std::to_string(section_frames));
  if (people < 1 || people > 8) throw InputError("people", "must be in [1, 8], got " + std::to_string(people));
  if (data_dir.empty()) throw InputError("data_dir", "the shipped data folder (motion clips) is not known");
  if (!time_offsets.empty() && time_offsets.front() != 0.0)
    throw InputError("time_offsets", "the first camera is the reference: its offset must be 0");
  if (!real_offsets.empty() && real_offsets.front() != 0)
    throw InputError("real_offsets", "the first camera is the reference: its offset must be 0");
  for (int k : real_offsets)
    if (std::abs(k) > 30) throw InputError("real_offsets", "whole frames within +-30 (the trial has 100 frames)");
}

DemoRunResult RunDemo(const DemoRunOptions& options, const std::function<void(int, const DemoRunResult&)>& on_section) {
  options.Check();
  const auto t_start = std::chrono::steady_clock::now();
  const fs::path out(options.out_dir);
  fs::create_directories(out);
  // The real trial's facts are read first: a missing file is said before minutes of work.
  RealTrial trial;
  if (options.real_capture) trial = ReadRealTrial((fs::path(options.data_dir) / "real" / "pose2sim_balancing").string());
  DemoRunResult r;
  auto done = [&](int section) {
    if (on_section) on_section(section, r);
  };

  auto t0 = std::chrono::steady_clock::now();
  r.studio = BaseStudio(options);
  r.studio_dir = (out / "studio").string();
  r.scene = WriteStudio(r.studio, r.studio_dir);
  r.studio_s = SecondsSince(t0);
  done(1);

  t0 = std::chrono::steady_clock::now();
  r.calibration_path = (out / "calibration" / "calibration.toml").string();
  const CalibrateRunResult cal = CalibrateStudio(options, r.studio_dir, r.scene, r.calibration_path, false);
  r.calibration = ScoreCalibration(r.scene.rig, cal.output);
  r.calibration_s = SecondsSince(t0);
  if (!cal.output.success) throw std::runtime_error("self-calibration failed: " + cal.output.report.BriefReport());
  t0 = std::chrono::steady_clock::now();
  r.wrong_focal = RunWrongFocal(options, r);
  r.wrong_focal_s = SecondsSince(t0);
  done(2);

  t0 = std::chrono::steady_clock::now();
  ScoreTriangulation(r.scene, cal.output.rig, &r);
  r.triangulation_s = SecondsSince(t0);
  done(3);

  t0 = std::chrono::steady_clock::now();
  RunLabels(options, &r);
  r.labels_s = SecondsSince(t0);
  done(4);

  if (options.people > 1) {
    t0 = std::chrono::steady_clock::now();
    StudioOptions mo = SectionStudio(options);
    mo.num_people = options.people;
    r.people = options.people;
    r.people_frames = mo.num_frames;
    r.people_evaluation = EvaluatePeople(Synthesize(mo), options.seed, true, false);
    r.people_run = true;
    r.people_s = SecondsSince(t0);
    done(5);
  }
  if (options.unsynchronised) {
    t0 = std::chrono::steady_clock::now();
    r.sync = RunSyncSection(options);
    r.sync_run = true;
    r.sync_s = SecondsSince(t0);
    done(6);
  }
  if (options.realistic_detector) {
    t0 = std::chrono::steady_clock::now();
    r.realistic = RunRealisticSection(options);
    r.realistic_run = true;
    r.realistic_s = SecondsSince(t0);
    done(7);
  }
  if (options.fisheye) {
    t0 = std::chrono::steady_clock::now();
    r.fisheye = RunFisheyeSection(options);
    r.fisheye_run = true;
    r.fisheye_s = SecondsSince(t0);
    done(8);
  }
  if (options.real_capture) {
    t0 = std::chrono::steady_clock::now();
    r.real = RunRealSection(options, trial);
    r.real_run = true;
    r.real_s = SecondsSince(t0);
    done(9);
  }
  r.seconds = SecondsSince(t_start);
  return r;
}

}  // namespace epilabel
