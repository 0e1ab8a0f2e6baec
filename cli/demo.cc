// epilabel demo: the whole pipeline on the synthetic studio, with its scores against the
// truth. Every stage runs through the same library calls as its own command:
//   synth -> calibrate (from the people alone) -> triangulate -> label (multi-view, and the
//   EpipolarPose-style two-view baseline) -> several people (association, triangulation and
//   self-calibration from all of them, per person) -> train a lifter on pseudo-labels and on ground
//   truth -> evaluate both on held-out clips.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "detection/io/calibration_io.h"
#include "detection/skeleton.h"
#include "detection/synthetic/studio.h"
#include "foundation/error.h"
#include "geometry/estimators/triangulation.h"
#include "geometry/metrics/metrics.h"
#include "geometry/sfm/rig_comparison.h"
#include "pseudolabel/dataset.h"
#include "pseudolabel/calibrate_run.h"
#include "pseudolabel/label_run.h"
#include "pseudolabel/label_scoring.h"
#include "pseudolabel/people_evaluation.h"
#ifdef EPILABEL_HAVE_TORCH
#include "training/lifter.h"
#endif

namespace fs = std::filesystem;

namespace epilabel::cli {

namespace {

struct DemoArgs {
  std::string rig = "h36m4";
  int frames = 3000;
  std::string out = "epilabel_demo";
  uint64_t seed = 1;
  bool train = true;
  int epochs = 20;
  int hidden = 256;
  int people = 3;
};

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void RunDemo(const DemoArgs& a) {
  const auto t_start = std::chrono::steady_clock::now();
  const Skeleton& skeleton = GetSkeleton("coco17");
  const fs::path out(a.out);
  fs::create_directories(out);
  ProgressBar bar;

  // 1. The synthetic studio.
  auto t0 = std::chrono::steady_clock::now();
  StudioOptions so;
  so.rig = a.rig;
  so.num_frames = a.frames;
  so.seed = a.seed;
  so.data_dir = DataDir() ;
  so.progress = bar.Callback();
  const SyntheticScene scene = Synthesize(so);
  const std::string studio = (out / "studio").string();
  WriteSyntheticScene(scene, studio);
  bar.Finish();
  fmt::print("\n== 1. Synthetic studio ({:.1f} s): {}\n", Seconds(t0), studio);
  fmt::print("rig {} ({} cameras), {} frames at {} fps, subject {:.2f} m, clips:", a.rig, scene.rig.size(), a.frames,
             so.fps, scene.subject_height);
  for (size_t i = 0; i < scene.clip_names.size() && i < 8; ++i) fmt::print(" {}", scene.clip_names[i]);
  fmt::print("{}\n", scene.clip_names.size() > 8 ? " ..." : "");
  const auto& st = scene.statistics;
  fmt::print("2D detections: noise {} px, outliers {:.1f}%, swapped pairs {:.1f}%, missing {:.1f}%\n", so.noise_px,
             100.0 * so.outlier_rate, 100.0 * so.swap_rate, 100.0 * so.missing_rate);
  (void)st;

  // 2. Self-calibration from the people alone (known intrinsics, true subject height).
  t0 = std::chrono::steady_clock::now();
  CalibrateRunOptions co;
  co.keypoints_path = studio + "/pose";
  co.intrinsics_path = studio + "/intrinsics.toml";
  co.out_path = (out / "calibration" / "calibration.toml").string();
  co.stage.subject_height_m = scene.subject_height;
  co.stage.subject_height_given = true;
  co.stage.seed = a.seed;
  co.stage.num_threads = NumThreads();
  co.stage.progress = bar.Callback();
  const CalibrateRunResult cal = RunCalibrate(co);
  bar.Finish();
  fmt::print("\n== 2. Self-calibration from the 2D joints ({:.1f} s): verdict {}\n", Seconds(t0),
             VerdictName(cal.output.report.verdict));
  if (!cal.output.success) throw std::runtime_error("self-calibration failed: " + cal.output.report.BriefReport());
  const RigComparison cmp = CompareRigs(scene.rig, cal.output.rig);
  // Errors against the truth beside what a user without it sees: the leave-one-camera-out shift.
  fmt::print("{:<10} {:>10} {:>12} {:>10} {:>10} {:>10}\n", "camera", "rot deg", "centre mm", "RMS px", "LOO deg",
             "LOO mm");
  for (size_t c = 0; c < cmp.cameras.size(); ++c) {
    const CameraCalibrationReport& cr = cal.output.report.cameras[c];
    fmt::print("{:<10} {:>10.4f} {:>12.2f} {:>10.2f} {:>10.3f} {:>10.1f}\n", cmp.cameras[c].name,
               cmp.cameras[c].rotation_error_deg, 1000 * cmp.cameras[c].center_error_m, cr.rms_px, cr.loo_rotation_deg,
               1000 * cr.loo_center_m);
  }
  fmt::print("max rotation error {:.4f} deg, max centre error {:.3f}% of the rig radius, scale error {:+.2f}% "
             "({})\n",
             cmp.max_rotation_error_deg, 100 * cmp.max_center_error_rel, 100 * cmp.scale_error_rel,
             cal.output.report.world.scale_method);

  // 3. Triangulation with the estimated and the true cameras.
  t0 = std::chrono::steady_clock::now();
  TriangulationOptions to;
  to.symmetric_pairs = skeleton.symmetric;
  to.bones = skeleton.bones;
  const TriangulationResult with_true = TriangulateSequence(scene.rig, scene.observations, to);
  const TriangulationResult with_est = TriangulateSequence(cal.output.rig, scene.observations, to);
  Points3d aligned(with_est.points.num_frames(), with_est.points.num_joints());
  for (frame_t f = 0; f < aligned.num_frames(); ++f)
    for (joint_t j = 0; j < aligned.num_joints(); ++j)
      if (with_est.points.IsValid(f, j)) aligned.at(f, j) = cmp.reference_from_estimate * with_est.points.at(f, j);
  fmt::print("\n== 3. Triangulation ({:.1f} s)\n", Seconds(t0));
  fmt::print("MPJPE with the true cameras {:.1f} mm, with the self-calibrated cameras {:.1f} mm (after one "
             "similarity); {}\n",
             1000 * MeanPointDistance(with_true.points, scene.points3d), 1000 * MeanPointDistance(aligned, scene.points3d),
             with_est.summary.BriefReport());

  // 4. Pseudo-labels: multi-view (self-calibrated), true calibration, two-view baseline.
  t0 = std::chrono::steady_clock::now();
  auto label = [&](const std::string& name, const std::string& calib, const std::string& pairs) {
    LabelRunOptions lo;
    lo.keypoints_path = studio + "/pose";
    if (pairs.empty()) lo.calibration_path = calib;
    else lo.intrinsics_path = studio + "/intrinsics.toml";
    lo.pairs = pairs;
    lo.out_dir = (out / name).string();
    lo.sequence_name = "studio";
    lo.calibration.subject_height_m = scene.subject_height;
    lo.calibration.subject_height_given = true;
    lo.seed = a.seed;
    lo.num_threads = NumThreads();
    lo.write_html_report = pairs.empty();
    return RunLabel(lo).dataset;
  };
  const LabelDataset labels = label("labels", co.out_path, "");
  const LabelDataset labels_true = label("labels_true_calibration", studio + "/calibration.toml", "");
  const LabelDataset labels_two = label("labels_two_view", "", "neighbours");
  fmt::print("\n== 4. Pseudo-labels against the truth, camera frames ({:.1f} s)\n", Seconds(t0));
  fmt::print("{:<34} {:>8} {:>9} {:>10} {:>10} {:>10}\n", "labels", "samples", "valid %", "abs mm", "MPJPE mm",
             "N-MPJPE mm");
  auto row = [&](const std::string& name, const LabelDataset& d) {
    const LabelScore s = ScoreLabels(d, scene.rig, scene.points3d, skeleton.root);
    fmt::print("{:<34} {:>8} {:>9.1f} {:>10.1f} {:>10.1f} {:>10.1f}\n", name, s.samples, 100 * s.share_valid, s.abs_mm,
               s.mpjpe_mm, s.n_mpjpe_mm);
  };
  row("multi-view, self-calibrated", labels);
  row("multi-view, true calibration", labels_true);
  row("two-view (EpipolarPose-style)", labels_two);

  // 5. Several people: association, triangulation of every person and self-calibration from
  // all of them, each against the truth.
  if (a.people > 1) {
    t0 = std::chrono::steady_clock::now();
    StudioOptions mo = so;
    mo.num_people = a.people;
    mo.num_frames = std::min(a.frames, 1500);
    mo.progress = bar.Callback();
    const SyntheticScene crowd = Synthesize(mo);
    bar.Finish();
    const PeopleEvaluation e = EvaluatePeople(crowd, a.seed, true, false);
    fmt::print("\n== 5. Several people: {} people, {} frames ({:.1f} s)\n", a.people, mo.num_frames, Seconds(t0));
    fmt::print("association with the cameras: {}\n", e.association.BriefReport());
    fmt::print("{:<10} {:>8} {:>14} {:>10} {:>16} {:>10}\n", "person", "PCP %", "oracle PCP %", "MPJPE mm",
               "oracle MPJPE mm", "switches");
    for (size_t p = 0; p < e.ours.people.size(); ++p)
      fmt::print("{:<10} {:>8.2f} {:>14.2f} {:>10.1f} {:>16.1f} {:>10}\n", p, 100 * e.ours.people[p].pcp,
                 100 * e.oracle.people[p].pcp, 1000 * e.ours.people[p].mpjpe_m, 1000 * e.oracle.people[p].mpjpe_m,
                 e.ours.people[p].identity_switches);
    if (e.calibrated)
      fmt::print("self-calibration from every person ({}): max rotation error {:.4f} deg, max centre error {:.3f}% of "
                 "the rig radius, verdict {}\n",
                 e.calibration_association.BriefReport(), e.calibration.max_rotation_error_deg,
                 100 * e.calibration.max_center_error_rel, e.calibration_verdict);
    else
      fmt::print("self-calibration from every person failed ({})\n", e.calibration_verdict);
  }

#ifdef EPILABEL_HAVE_TORCH
  if (a.train) {
    // 6. Lifters: trained on the pseudo-labels of the first clips, on ground truth of the same
    // clips, evaluated on the ground truth of the held-out last clips.
    t0 = std::chrono::steady_clock::now();
    int split = static_cast<int>(0.75 * a.frames);
    for (int start : scene.clip_start_frames)
      if (start > 0.6 * a.frames && start < 0.9 * a.frames) {
        split = start;
        break;
      }
    GroundTruthDatasetOptions go;
    go.sequence_name = "studio";
    go.skeleton = skeleton.name;
    go.joint_names = skeleton.joint_names;
    go.root_joints = skeleton.root;
    const LabelDataset gt = MakeGroundTruthDataset(scene.rig, scene.points3d, scene.frame_numbers, &scene.observations, go);
    auto frames_in = [](const LabelDataset& d, int lo, int hi) { return SelectSamples(d, SamplesInFrames(d, lo, hi)); };
    const LabelDataset test = frames_in(gt, split, a.frames);
    fmt::print("\n== 6. Lifter (mlp, width {}, {} epochs): train on frames [0, {}), test on the ground truth of "
               "frames [{}, {}) ({} samples)\n",
               a.hidden, a.epochs, split, split, a.frames, test.num_samples());
    fmt::print("{:<34} {:>8} {:>10} {:>10} {:>10} {:>8}\n", "trained on", "samples", "MPJPE mm", "P-MPJPE", "N-MPJPE",
               "PCK150");
    auto train_row = [&](const std::string& name, const std::string& dir, const LabelDataset& train) {
      TrainOptions t;
      t.model.type = "mlp";
      t.model.mlp_hidden = a.hidden;
      t.epochs = a.epochs;
      t.seed = a.seed;
      t.num_threads = 1;
      t.run_dir = (out / dir).string();
      t.overwrite = true;
      TrainLifter(t, train, LabelDataset{}, bar.Callback());
      bar.Finish();
      BodyPoseMetricsOptions mo;
      mo.root_joints = skeleton.root;
      mo.pss_num_clusters = {};
      const EvaluationSummary e = EvaluateLifter(t.run_dir, test, InferenceOptions{}, mo);
      fmt::print("{:<34} {:>8} {:>10.1f} {:>10.1f} {:>10.1f} {:>8.3f}\n", name, train.num_samples(),
                 1000 * e.metrics.mpjpe, 1000 * e.metrics.p_mpjpe, 1000 * e.metrics.n_mpjpe, e.metrics.pck);
    };
    train_row("ground-truth 3D", "lifter_gt", frames_in(gt, 0, split));
    train_row("pseudo-labels, multi-view", "lifter_pseudo", frames_in(labels, 0, split));
    train_row("pseudo-labels, two-view", "lifter_two_view", frames_in(labels_two, 0, split));
    fmt::print("({:.1f} s)\n", Seconds(t0));
  }
#else
  (void)a.train;
  fmt::print("\n(lifter training skipped: built without libtorch)\n");
#endif
  fmt::print("\ndemo finished in {:.1f} s; outputs in {} (open {}/labels/report.html in a browser)\n",
             Seconds(t_start), a.out, a.out);
}

}  // namespace

void AddDemoCommand(CLI::App& app) {
  auto args = std::make_shared<DemoArgs>();
  CLI::App* cmd = app.add_subcommand("demo", "The whole pipeline on the built-in synthetic studio, with scores");
  cmd->footer("Example:\n  epilabel demo\n  epilabel demo --rig ring8 --frames 3000 --out /tmp/demo");
  cmd->add_option("--rig", args->rig, "Studio rig: h36m4, ring8, stereo2, ceiling6")->capture_default_str();
  cmd->add_option("--frames", args->frames, "Frames to synthesise")->capture_default_str()->check(CLI::Range(200, 100000));
  cmd->add_option("--out,-o", args->out, "Output folder")->capture_default_str();
  cmd->add_option("--seed", args->seed, "Random seed")->capture_default_str();
  cmd->add_flag("!--no-train", args->train, "Skip the lifter training");
  cmd->add_option("--people", args->people, "People of the multi-person scene (1 = skip it)")
      ->capture_default_str()
      ->check(CLI::Range(1, 8));
  cmd->add_option("--epochs", args->epochs, "Lifter training epochs")->capture_default_str();
  cmd->add_option("--hidden", args->hidden, "Lifter width (the Martinez et al. baseline uses 1024)")->capture_default_str();
  cmd->callback([args]() { SetCommandExitCode(RunCommand([&]() { RunDemo(*args); })); });
}

}  // namespace epilabel::cli
