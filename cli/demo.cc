// epilabel demo: the whole pipeline on the synthetic studio, with its scores against the
// truth (pseudolabel/demo_run.h; the lifters training/demo_lifters.h). This file only parses the
// flags and prints each section as it is done.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "pseudolabel/demo_run.h"
#ifdef EPILABEL_HAVE_TORCH
#include "training/demo_lifters.h"
#endif

namespace epilabel::cli {

namespace {

struct DemoArgs {
  DemoRunOptions run;
  bool train = true;
  int epochs = 20;
  int hidden = 256;
  bool transformer = true;
  bool diffusion = true;
  std::string models_dir;  // --models-dir
};

void PrintCalibrationRows(const DemoCalibration& c) {
  fmt::print("{:<10} {:>10} {:>12} {:>10} {:>10} {:>10}\n", "camera", "rot deg", "centre mm", "RMS px", "LOO deg",
             "LOO mm");
  for (const DemoCameraRow& row : c.cameras)
    fmt::print("{:<10} {:>10.4f} {:>12.2f} {:>10.2f} {:>10.3f} {:>10.1f}\n", row.name, row.rotation_error_deg,
               row.center_error_mm, row.rms_px, row.loo_rotation_deg, row.loo_center_mm);
}

std::string CalibrationLine(const DemoCalibration& c) {
  if (!c.success) return fmt::format("failed ({})", WithFlags(c.reason));
  return fmt::format("max rotation error {:.4f} deg, max centre error {:.3f}% of the rig radius, scale error "
                     "{:+.2f}% ({}), verdict {}",
                     c.max_rotation_error_deg, c.max_center_error_pct, c.scale_error_pct, c.scale_method, c.verdict);
}

// Section 2's second calibration: one camera given a focal length too long.
void PrintWrongFocal(const DemoRunResult& r) {
  const DemoWrongFocal& w = r.wrong_focal;
  fmt::print("{} given a focal length {:.0f} % long ({:.1f} s): it ends {:.3f} deg off; freed alone, the people pull it "
             "{:+.2f} % +- {:.2f} %; weakest camera named: {}\n",
             w.camera, w.focal_error_pct, r.wrong_focal_s, w.rotation_error_deg, w.pull_pct, w.sigma_pct,
             w.named.empty() ? std::string("none") : w.named + " (" + w.evidence + ")");
}

std::string Frames(const std::vector<double>& v) {
  std::string s;
  for (double x : v) s += fmt::format("{}{:+.2f}", s.empty() ? "" : " ", x);
  return s.empty() ? "-" : s;
}

void PrintStudio(const DemoRunResult& r) {
  const StudioOptions& so = r.studio;
  fmt::print("\n== 1. Synthetic studio ({:.1f} s): {}\n", r.studio_s, r.studio_dir);
  fmt::print("rig {} ({} cameras), {} frames at {} fps, subject {:.2f} m, clips:", so.rig, r.scene.rig.size(),
             so.num_frames, so.fps, r.scene.subject_height);
  for (size_t i = 0; i < r.scene.clip_names.size() && i < 8; ++i) fmt::print(" {}", r.scene.clip_names[i]);
  fmt::print("{}\n", r.scene.clip_names.size() > 8 ? " ..." : "");
  fmt::print("2D detections: noise {} px, outliers {:.1f}%, swapped pairs {:.1f}%, missing {:.1f}%\n", so.noise_px,
             100.0 * so.outlier_rate, 100.0 * so.swap_rate, 100.0 * so.missing_rate);
}

void PrintSection(int section, const DemoRunResult& r) {
  switch (section) {
    case 1:
      PrintStudio(r);
      break;
    case 2:
      fmt::print("\n== 2. Self-calibration from the 2D joints ({:.1f} s): verdict {}\n", r.calibration_s,
                 r.calibration.verdict);
      PrintCalibrationRows(r.calibration);
      fmt::print("{}\n", CalibrationLine(r.calibration));
      PrintWrongFocal(r);
      break;
    case 3:
      fmt::print("\n== 3. Triangulation ({:.1f} s)\n", r.triangulation_s);
      fmt::print("MPJPE with the true cameras {:.1f} mm, with the self-calibrated cameras {:.1f} mm (after one "
                 "similarity); {}\n",
                 r.mpjpe_true_cameras_mm, r.mpjpe_self_calibrated_mm, r.triangulation_brief);
      break;
    case 4:
      fmt::print("\n== 4. Pseudo-labels against the truth, camera frames ({:.1f} s)\n", r.labels_s);
      fmt::print("{:<34} {:>8} {:>9} {:>10} {:>10} {:>10}\n", "labels", "samples", "valid %", "abs mm", "MPJPE mm",
                 "N-MPJPE mm");
      for (const DemoLabelRow& row : r.label_rows)
        fmt::print("{:<34} {:>8} {:>9.1f} {:>10.1f} {:>10.1f} {:>10.1f}\n", row.name, row.score.samples,
                   100 * row.score.share_valid, row.score.abs_mm, row.score.mpjpe_mm, row.score.n_mpjpe_mm);
      break;
    case 5: {
      const PeopleEvaluation& e = r.people_evaluation;
      fmt::print("\n== 5. Several people: {} people, {} frames ({:.1f} s)\n", r.people, r.people_frames, r.people_s);
      fmt::print("association with the cameras: {}\n", e.association.BriefReport());
      fmt::print("{:<10} {:>8} {:>14} {:>10} {:>16} {:>10}\n", "person", "PCP %", "oracle PCP %", "MPJPE mm",
                 "oracle MPJPE mm", "switches");
      for (size_t p = 0; p < e.ours.people.size(); ++p)
        fmt::print("{:<10} {:>8.2f} {:>14.2f} {:>10.1f} {:>16.1f} {:>10}\n", p, 100 * e.ours.people[p].pcp,
                   100 * e.oracle.people[p].pcp, 1000 * e.ours.people[p].mpjpe_m, 1000 * e.oracle.people[p].mpjpe_m,
                   e.ours.people[p].identity_switches);
      if (e.calibrated)
        fmt::print("self-calibration from every person ({}): max rotation error {:.4f} deg, max centre error "
                   "{:.3f}% of the rig radius, verdict {}\n",
                   e.calibration_association.BriefReport(), e.calibration.max_rotation_error_deg,
                   100 * e.calibration.max_center_error_rel, e.calibration_verdict);
      else
        fmt::print("self-calibration from every person failed ({})\n", e.calibration_verdict);
      break;
    }
    case 6: {
      const DemoSync& s = r.sync;
      fmt::print("\n== 6. Unsynchronised cameras ({:.1f} s): offsets in frames, the first camera the reference\n",
                 r.sync_s);
      fmt::print("{:<28} {}\n", "true", Frames(s.true_offsets_frames));
      fmt::print("{:<28} {} (max error {:.3f} frame, {})\n", "from motion (sync)", Frames(s.motion_offsets_frames),
                 s.max_motion_error_frames, s.motion_verdict);
      if (s.people > 1)
        fmt::print("{:<28} {} (max error {:.3f} frame, {})\n", fmt::format("{} people, from motion", s.people),
                   Frames(s.people_offsets_frames), s.max_people_error_frames, s.people_verdict);
      fmt::print("{:<28} {} (max error {:.3f} frame)\n", "with the cameras (calibrate --sync)",
                 Frames(s.calibrated_offsets_frames), s.max_calibrated_error_frames);
      fmt::print("calibrate --sync: {}\n", CalibrationLine(s.calibration));
      fmt::print("triangulation with the true cameras: MPJPE {:.1f} mm with frames matched by number, {:.1f} mm "
                 "resampled with the estimated offsets\n",
                 s.mpjpe_by_frame_number_mm, s.mpjpe_resampled_mm);
      break;
    }
    case 7:
      fmt::print("\n== 7. A realistic detector (heavy-tailed, biased, time-correlated errors) and varied motion "
                 "({:.1f} s)\n",
                 r.realistic_s);
      fmt::print("self-calibration: {}\n", CalibrationLine(r.realistic.calibration));
      fmt::print("triangulation with the true cameras: MPJPE {:.1f} mm, {:.3f}x the oracle told the gross errors "
                 "({:.1f} mm)\n",
                 r.realistic.mpjpe_mm, r.realistic.mpjpe_mm / r.realistic.oracle_mpjpe_mm, r.realistic.oracle_mpjpe_mm);
      break;
    case 8:
      fmt::print("\n== 8. Fisheye lenses ({:.0f} deg across the image, {:.1f} s)\n", r.fisheye.fov_deg, r.fisheye_s);
      fmt::print("self-calibration: {}\n", CalibrationLine(r.fisheye.calibration));
      break;
    case 9: {
      const DemoReal& d = r.real;
      fmt::print("\n== 9. A real capture: {} ({} cameras, {} frames, OpenPose detections; {:.1f} s)\n", d.trial,
                 d.cameras, d.frames, r.real_s);
      fmt::print("self-calibration from the person (Qualisys' intrinsics, height {:.2f} m) against Qualisys' "
                 "extrinsics:\n",
                 d.subject_height_m);
      PrintCalibrationRows(d.calibration);
      fmt::print("aligned by the orientations: {}\n", CalibrationLine(d.calibration));
      if (d.calibration.success) {
        fmt::print("aligned by the centres: max rotation error {:.4f} deg, max centre error {:.3f}% of the rig "
                   "radius\n",
                   d.max_rotation_by_centres_deg, d.max_center_by_centres_pct);
        fmt::print("weakest camera named: {}; the camera furthest off: {}\n",
                   d.named.empty() ? std::string("none") : d.named + " (" + d.evidence + ")", d.furthest_off);
        fmt::print("the subject's joints triangulated with these cameras vs with Qualisys': {:.1f} mm mean, {:.1f} mm "
                   "median apart\n",
                   d.points_mean_mm, d.points_median_mm);
      }
      if (d.sync_run) {
        fmt::print("{:<28} {}\n", "cameras shifted by (frames)", Frames(d.true_offsets_frames));
        fmt::print("{:<28} {} (max error {:.3f} frame)\n", "calibrate --sync found", Frames(d.offsets_frames),
                   d.max_offset_error_frames);
        fmt::print("calibrate --sync: {}\n", CalibrationLine(d.sync_calibration));
      }
      if (d.detect_run) {
        fmt::print("our detector on the trial's videos (detect, MoveNet Thunder; {} frames in {:.1f} s), then "
                   "calibrated:\n",
                   d.detected_frames, d.detect_s);
        for (const std::string& w : d.detect_warnings) fmt::print("note: {}\n", w);
        PrintCalibrationRows(d.detect_calibration);
        fmt::print("aligned by the orientations: {}\n", CalibrationLine(d.detect_calibration));
        if (d.detect_calibration.success)
          fmt::print("aligned by the centres: max rotation error {:.4f} deg, max centre error {:.3f}% of the rig "
                     "radius\n",
                     d.detect_rotation_by_centres_deg, d.detect_center_by_centres_pct);
      } else if (!d.detect_skipped.empty()) {
        fmt::print("our detector on the trial's videos: skipped ({})\n", d.detect_skipped);
      }
      break;
    }
    default:
      break;
  }
  std::fflush(stdout);
}

#ifdef EPILABEL_HAVE_TORCH
double RunLifters(const DemoArgs& a, const DemoRunResult& r, ProgressBar& bar) {
  DemoLifterOptions lo;
  lo.epochs = a.epochs;
  lo.hidden = a.hidden;
  lo.transformer = a.transformer;
  lo.diffusion = a.diffusion;
  lo.seed = a.run.seed;
  lo.out_dir = a.run.out_dir;
  lo.progress = bar.Callback();
  const DemoLifterResult l = RunDemoLifters(r, lo);
  bar.Finish();
  fmt::print("\n== 10. Lifters: train on frames [0, {}), test on the ground truth of frames [{}, {}) ({} samples, "
             "{:.1f} s)\n",
             l.split_frame, l.split_frame, l.frames, l.test_samples, l.seconds);
  fmt::print("{:<30} {:<26} {:>8} {:>10} {:>10} {:>10} {:>8}\n", "trained on", "model", "samples", "MPJPE mm",
             "P-MPJPE", "N-MPJPE", "PCK150");
  for (const DemoLifterRow& row : l.rows)
    fmt::print("{:<30} {:<26} {:>8} {:>10.1f} {:>10.1f} {:>10.1f} {:>8.3f}\n", row.name, row.model, row.samples,
               1000 * row.metrics.mpjpe, 1000 * row.metrics.p_mpjpe, 1000 * row.metrics.n_mpjpe, row.metrics.pck);
  return l.seconds;
}
#endif

void RunDemoCommand(DemoArgs& a) {
  a.run.data_dir = DataDir();
  a.run.models_dir = ModelsDir(a.models_dir);
  a.run.num_threads = NumThreads();
  ProgressBar bar;
  a.run.progress = bar.Callback();
  const DemoRunResult r = RunDemo(a.run, [&](int section, const DemoRunResult& partial) {
    bar.Finish();
    PrintSection(section, partial);
  });
  double seconds = r.seconds;
#ifdef EPILABEL_HAVE_TORCH
  if (a.train) seconds += RunLifters(a, r, bar);
#else
  fmt::print("\n(lifter training skipped: built without libtorch)\n");
#endif
  fmt::print("\ndemo finished in {:.1f} s; outputs in {} (open {}/labels/report.html in a browser)\n", seconds,
             a.run.out_dir, a.run.out_dir);
}

}  // namespace

void AddDemoCommand(CLI::App& app) {
  auto args = std::make_shared<DemoArgs>();
  DemoRunOptions& o = args->run;
  CLI::App* cmd = app.add_subcommand("demo", "The whole pipeline on the built-in synthetic studio, with scores");
  cmd->footer("Example:\n  epilabel demo\n  epilabel demo --rig ring8 --frames 3000 --out /tmp/demo");
  cmd->add_option("--rig", o.rig, "Studio rig: h36m4, ring8, stereo2, ceiling6")->capture_default_str();
  cmd->add_option("--frames", o.frames, "Frames to synthesise")->capture_default_str()->check(CLI::Range(200, 100000));
  cmd->add_option("--out,-o", o.out_dir, "Output folder")->capture_default_str();
  cmd->add_option("--seed", o.seed, "Random seed")->capture_default_str();
  cmd->add_option("--people", o.people, "People of the multi-person scene (1 = skip it)")
      ->capture_default_str()
      ->check(CLI::Range(1, 8));
  cmd->add_option("--section-frames", o.section_frames, "Frames of the scenes of sections 5-8")
      ->capture_default_str()
      ->check(CLI::Range(200, 100000));
  cmd->add_flag("!--no-sync", o.unsynchronised, "Skip the unsynchronised-cameras scene");
  cmd->add_option("--time-offsets", o.time_offsets,
                  "Offsets of the unsynchronised scene, frames per camera (first 0; default 0,3.4,-7.2,12.6,...)")
      ->delimiter(',');
  cmd->add_flag("!--no-realistic", o.realistic_detector, "Skip the realistic-detector scene");
  cmd->add_flag("!--no-fisheye", o.fisheye, "Skip the fisheye scene");
  cmd->add_flag("!--no-real", o.real_capture, "Skip the real capture (the Pose2Sim balancing trial)");
  cmd->add_flag("!--no-detect", o.real_detect, "Skip our detector on the real trial's videos");
  cmd->add_option("--models-dir", args->models_dir,
                  "Folder of the pose models (default: $EPILABEL_MODELS_DIR, else the source tree's models/)");
  cmd->add_option("--real-offsets", o.real_offsets,
                  "Whole frames the real trial's cameras are shifted by for calibrate --sync (first 0; default "
                  "0,3,0,7; 0,0,0,0 still runs it)")
      ->delimiter(',');
  cmd->add_flag("!--no-train", args->train, "Skip the lifter training");
  cmd->add_option("--epochs", args->epochs, "Lifter training epochs")->capture_default_str();
  cmd->add_option("--hidden", args->hidden, "Lifter width (the Martinez et al. baseline uses 1024)")->capture_default_str();
  cmd->add_flag("!--no-transformer", args->transformer, "Skip the frame-token transformer lifter");
  cmd->add_flag("!--no-diffusion", args->diffusion, "Skip the diffusion lifter");
  RegisterFlag("time_offsets", "--time-offsets");
  RegisterFlag("section_frames", "--section-frames");
  RegisterFlag("real_offsets", "--real-offsets");
  cmd->callback([args]() { SetCommandExitCode(RunCommand([&]() { RunDemoCommand(*args); })); });
}

}  // namespace epilabel::cli
