// epilabel synth: the synthetic studio. Builds a scene with known truth (a camera rig, one or
// several people moving with CMU motion capture, a simulated 2D detector) and writes it in the project's
// formats plus the truth. Parsing only; the work is Synthesize / WriteSyntheticScene.
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "foundation/output_commit.h"
#include "detection/synthetic/studio.h"

namespace epilabel::cli {

namespace {

struct SynthArgs {
  StudioOptions options;
  std::string out;
  std::vector<double> heights;  // --heights MIN MAX
  std::vector<double> fps;      // --fps RATE or one rate per camera
};

void RunSynth(SynthArgs args) {
  if (args.options.motion_files.empty()) args.options.data_dir = DataDir();
  if (!args.fps.empty()) args.options.fps = args.fps.front();  // the scene runs at the first camera's rate
  if (args.fps.size() > 1) args.options.camera_fps = args.fps;
  if (args.heights.size() == 2) {
    args.options.min_height_m = args.heights[0];
    args.options.max_height_m = args.heights[1];
  }
  ProgressBar bar;
  args.options.progress = bar.Callback();
  const SyntheticScene scene = Synthesize(args.options);
  RemoveStaleTemporaries(args.out);  // the staging folders of killed runs of the same output
  WriteSyntheticScene(scene, args.out);
  bar.Finish();

  const DetectorStatistics& s = scene.statistics;
  std::string clips;
  for (size_t i = 0; i < scene.clip_names.size(); ++i) clips += (i ? ", " : "") + scene.clip_names[i];
  spdlog::info("wrote {}: rig {} ({} cameras), {} frames at {} fps, subject {:.2f} m tall", args.out,
               args.options.rig, scene.rig.size(), scene.points3d.num_frames(), args.options.fps, scene.subject_height);
  spdlog::info("2D points: {} visible of {}, {} missing ({:.1f}%), {} outliers ({:.1f}%), {} swapped pairs ({:.1f}%)",
               s.visible, s.points, s.missing, 100.0 * s.missing_rate(), s.outliers, 100.0 * s.outlier_rate(),
               s.swapped_pairs, 100.0 * s.swap_rate());
  spdlog::info("clips played{}: {}", scene.people.size() > 1 ? " by person 0" : "", clips);
  if (scene.people.size() > 1) {
    int64_t visible = 0, occluded = 0;
    std::string heights;
    for (const PersonTruth& person : scene.people) {
      visible += person.statistics.visible;
      occluded += person.statistics.occluded;
      heights += fmt::format("{}{:.2f}{}", heights.empty() ? "" : ", ", person.height,
                             person.bystander ? " (bystander)" : "");
    }
    spdlog::info("{} people, heights {} m; closest mid-hips {:.2f} m; {:.1f}% of visible joints occluded; "
                 "{} false positives; up to {} detections per view",
                 scene.people.size(), heights, scene.min_person_distance,
                 visible > 0 ? 100.0 * occluded / visible : 0.0, scene.false_positives, scene.num_slots);
  }
}

}  // namespace

void AddSynthCommand(CLI::App& app) {
  auto args = std::make_shared<SynthArgs>();
  StudioOptions& o = args->options;
  CLI::App* cmd = app.add_subcommand("synth", "Build a synthetic multi-camera scene with known truth");
  cmd->footer(
      "Writes OUT/calibration.toml, OUT/intrinsics.toml, OUT/pose/<camera>/*_keypoints.json, OUT/keypoints2d.npz,\n"
      "OUT/gt.npz (true 3D points, cameras, masks of outliers/swaps/missing/invisible points) and OUT/scene.json.\n"
      "Examples:\n"
      "  epilabel synth --out studio                                 Human3.6M-like room, 600 frames\n"
      "  epilabel synth --rig ring8 --frames 2000 --noise-px 4 --out ring\n"
      "  epilabel synth --noise-px 0 --outlier-rate 0 --swap-rate 0 --missing-rate 0 --out exact\n"
      "  epilabel synth --time-offsets 0,3.4,-7.2,12 --out unsynced              cameras not synchronised");
  cmd->add_option("--rig", o.rig, "Camera rig: h36m4, ring8, stereo2, ceiling6")->capture_default_str();
  cmd->add_option("--frames", o.num_frames, "Number of frames")->capture_default_str();
  cmd->add_option("--fps", args->fps,
                  "Frame rate of the scene (the 120 Hz motion is resampled; default 30), or one per camera, e.g. "
                  "30,60,30,25 (the scene and --time-offsets at the first; the rates go into the keypoints' timestamps)")
      ->delimiter(',');
  cmd->add_option("--noise-px", o.noise_px,
                  "2D noise: per-axis std. dev. in px of a limb joint for a person ~400 px tall (scales with size)")
      ->capture_default_str();
  cmd->add_option("--outlier-rate", o.outlier_rate, "Share of detected joints replaced by gross errors")
      ->capture_default_str();
  cmd->add_option("--swap-rate", o.swap_rate, "Share of left/right joint pairs swapped per view and frame")
      ->capture_default_str();
  cmd->add_option("--missing-rate", o.missing_rate, "Share of visible joints the detector drops")->capture_default_str();
  cmd->add_option("--detector", o.detector,
                  "Detector model: gaussian (the noise options above) or realistic (heavy-tailed, temporally "
                  "correlated, view-dependent errors measured on OpenPose; each person its own; docs/synth.md)")
      ->capture_default_str();
  cmd->add_flag("--motion-variation", o.motion_variation,
                "Vary the motion with the seed: playback speed, body height, continuous paths across the room");
  cmd->add_flag("--ideal-lenses", o.ideal_lenses, "Principal points at the image centres and no lens distortion");
  cmd->add_option("--lens", o.lens, "Lens model: pinhole (the rig's lenses) or fisheye (equidistant, cv::fisheye)")
      ->capture_default_str();
  cmd->add_option("--fisheye-fov", o.fisheye_fov_deg, "With --lens fisheye: degrees across the image width")
      ->capture_default_str();
  cmd->add_option("--hip-offset-px", o.hip_offset_px,
                  "Systematic hip shift toward the shoulders (px for a ~400 px person); default 1.5 x noise-px");
  cmd->add_option("--people", o.num_people, "Number of people in the capture area (1 to 8)")->capture_default_str();
  cmd->add_flag("--bystander", o.bystander,
                "One more, mostly static person outside the capture area, seen by few cameras");
  cmd->add_flag("--enter-leave", o.enter_leave, "People 2.. enter late and/or leave early (needs --people 2+)");
  cmd->add_option("--min-distance", o.min_distance_m, "Closest mid-hip distance between two people (m)")
      ->capture_default_str();
  cmd->add_option("--heights", args->heights, "Range of the people's heights in m (several people), default 1.55 1.95")
      ->expected(2);
  cmd->add_option("--false-positive-rate", o.false_positive_rate,
                  "Several people: share of views with one ghost detection")
      ->capture_default_str();
  cmd->add_option("--time-offsets", o.time_offsets,
                  "Unsynchronised cameras: one offset per camera in frames, e.g. 0,3.4,-7.2,12 (camera frame N shows "
                  "the scene at frame N + offset; the truth goes into calibration.toml and gt.npz)")
      ->delimiter(',');
  cmd->add_option("--seed", o.seed, "Random seed (motion order, placement, detector noise)")->capture_default_str();
  cmd->add_option("--motion", o.motion_files,
                  "BVH clips (CMU skeleton) to play, the first giving the body; default: all of DATA_DIR/motions");
  cmd->add_option("--out,-o", args->out, "Output folder (replaced if it holds an earlier scene)")->required();
  cmd->callback([args]() { SetCommandExitCode(RunCommand([&]() { RunSynth(*args); })); });
}

}  // namespace epilabel::cli
