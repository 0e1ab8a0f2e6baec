#include "pseudolabel/demo_run.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <stdexcept>

#include "detection/io/calibration_io.h"
#include "detection/skeleton.h"
#include "detection/synthetic/rigs.h"
#include "foundation/error.h"
#include "geometry/estimators/sequence_triangulation.h"
#include "geometry/sfm/calibration_verdict.h"
#include "geometry/sfm/rig_comparison.h"
#include "pseudolabel/calibrate_run.h"
#include "pseudolabel/label_run.h"
#include "pseudolabel/stages/sync.h"

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


// Section 9's options from the demo's.
DemoRealOptions RealOptions(const DemoRunOptions& o) {
  DemoRealOptions ro;
  ro.out_dir = o.out_dir;
  ro.offsets = o.real_offsets;
  ro.detect = o.real_detect;
  ro.models_dir = o.models_dir;
  ro.seed = o.seed;
  ro.num_threads = o.num_threads;
  ro.progress = o.progress;
  return ro;
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
    r.real = RunRealCapture(trial, RealOptions(options));
    r.real_run = true;
    r.real_s = SecondsSince(t0);
    done(9);
  }
  r.seconds = SecondsSince(t_start);
  return r;
}

}  // namespace epilabel
