// epilabel eval3d and evalcalib: scores against ground truth (the synthetic studio's gt.npz
// and calibration.toml, or any reference in the same formats).
#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "pseudolabel/report/json_number.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "detection/io/calibration_io.h"
#include "detection/io/camera_matching.h"
#include "foundation/file_util.h"
#include "foundation/npz.h"
#include "detection/io/points_io.h"
#include "detection/skeleton.h"
#include "foundation/error.h"
#include "geometry/metrics/metrics.h"
#include "geometry/sfm/rig_comparison.h"
#include "pseudolabel/calibration_evaluation.h"
#include "pseudolabel/point_evaluation.h"

namespace epilabel::cli {

namespace {


struct Eval3dArgs {
  std::string gt, pred, json, skeleton;
};

void RunEval3d(const Eval3dArgs& args) {
  const TruthPoints truth = ReadTruthPoints(args.gt);
  const PointsFile pred = ReadPointsNpz(args.pred);
  const int nj = truth.points.num_joints();
  std::string skeleton_name = args.skeleton;
  if (skeleton_name.empty()) skeleton_name = GuessSkeleton(nj, {}).value_or("coco17");
  const Skeleton& skeleton = GetSkeleton(skeleton_name);
  const PointEvaluation e = EvaluatePoints(truth, pred, skeleton, args.pred);
  fmt::print("frames {} (matched {}), joints {}\n", e.frames, e.matched_frames, nj);
  fmt::print("triangulated          {:.2f}% of the true joints\n", 100.0 * e.share_triangulated);
  fmt::print("MPJPE (world, no alignment)  {:8.2f} mm\n", 1000 * e.mpjpe_world_m);
  fmt::print("MPJPE (root-relative)        {:8.2f} mm\n", 1000 * e.mpjpe_m);
  fmt::print("P-MPJPE (Procrustes)         {:8.2f} mm\n", 1000 * e.p_mpjpe_m);
  fmt::print("PCK3D@150mm {:.3f}, AUC {:.3f}\n", e.pck150, e.auc);
  fmt::print("\n{:<18} {:>12}\n", "joint", "MPJPE mm");
  nlohmann::json per_joint = nlohmann::json::object();
  for (int j = 0; j < nj; ++j) {
    const std::string name = j < skeleton.num_joints() ? skeleton.joint_names[j] : std::to_string(j);
    fmt::print("{:<18} {:>12.2f}\n", name, 1000 * e.per_joint_world_m[j]);
    per_joint[name] = JsonNumber(1000 * e.per_joint_world_m[j]);
  }
  if (!args.json.empty()) {
    nlohmann::json j = {{"mpjpe_world_mm", JsonNumber(1000 * e.mpjpe_world_m)},
                        {"mpjpe_mm", JsonNumber(1000 * e.mpjpe_m)},
                        {"p_mpjpe_mm", JsonNumber(1000 * e.p_mpjpe_m)},
                        {"pck150", JsonNumber(e.pck150)},
                        {"auc", JsonNumber(e.auc)},
                        {"share_triangulated", JsonNumber(e.share_triangulated)},
                        {"per_joint_mm", per_joint}};
    WriteFileAtomic(args.json, j.dump(2) + "\n");
  }
}

struct EvalCalibArgs {
  std::string gt, est, json;
};

void PrintComparison(const char* title, const RigComparison& c) {
  fmt::print("{}\n{:<14} {:>10} {:>11} {:>10} {:>10}\n", title, "camera", "rot deg", "centre mm", "% radius", "focal %");
  for (const auto& cam : c.cameras)
    fmt::print("{:<14} {:>10.4f} {:>11.2f} {:>10.3f} {:>10.3f}\n", cam.name, cam.rotation_error_deg,
               1000 * cam.center_error_m, 100 * cam.center_error_rel, 100 * cam.focal_error_rel);
  fmt::print("rig radius {:.3f} m; max rotation error {:.4f} deg, max centre error {:.3f}% of the radius, scale "
             "error {:+.3f}%\n\n",
             c.rig_radius_m, c.max_rotation_error_deg, 100 * c.max_center_error_rel, 100 * c.scale_error_rel);
}

void RunEvalCalib(const EvalCalibArgs& args) {
  const CalibrationEvaluation e = EvaluateCalibrationFiles(args.gt, args.est);
  PrintComparison("aligned by the camera orientations (mean rotation, then centres for scale and shift):",
                  e.by_orientations);
  nlohmann::json j = RigComparisonJson(e.by_orientations);
  if (e.by_centres) {
    PrintComparison("aligned by the camera centres (least-squares similarity of the centres):", *e.by_centres);
    j["by_centres"] = RigComparisonJson(*e.by_centres);
  } else {
    fmt::print("(no alignment by the camera centres: it needs three cameras)\n");
  }
  if (!args.json.empty()) WriteFileAtomic(args.json, j.dump(2) + "\n");
}

}  // namespace

void AddEval3dCommand(CLI::App& app) {
  auto args = std::make_shared<Eval3dArgs>();
  CLI::App* cmd = app.add_subcommand("eval3d", "Score 3D joints against ground truth (MPJPE, P-MPJPE, per joint)");
  cmd->footer("Example:\n  epilabel eval3d --gt studio/gt.npz --pred out/points3d.npz");
  cmd->add_option("--gt", args->gt, "Ground truth: gt.npz of `epilabel synth` or a points3d.npz")->required();
  cmd->add_option("--pred", args->pred, "points3d.npz to score")->required();
  cmd->add_option("--skeleton,-s", args->skeleton, "Skeleton (root joints); default: guessed");
  cmd->add_option("--json", args->json, "Also write the figures as JSON");
  cmd->callback([args]() { SetCommandExitCode(RunCommand([&]() { RunEval3d(*args); })); });
}

void AddEvalCalibCommand(CLI::App& app) {
  auto args = std::make_shared<EvalCalibArgs>();
  CLI::App* cmd = app.add_subcommand("evalcalib", "Compare a calibration with a reference (after a similarity alignment)");
  cmd->footer(
      "Example:\n  epilabel evalcalib --gt studio/calibration.toml --est out/calibration.toml\n"
      "Prints two alignments of the estimate onto the reference:\n"
      "  by the camera orientations: the mean rotation between the rigs, then scale and shift from the centres\n"
      "    (rotation errors spread evenly; works with two cameras; the JSON's top-level figures);\n"
      "  by the camera centres: the least-squares similarity of the centres alone (smallest centre errors;\n"
      "    three cameras or more; the JSON's by_centres).\n"
      "A rig that is right up to a similarity scores zero with both; they differ in how errors are shared.");
  cmd->add_option("--gt", args->gt, "Reference calibration TOML")->required();
  cmd->add_option("--est", args->est, "Estimated calibration TOML")->required();
  cmd->add_option("--json", args->json, "Also write the figures as JSON");
  cmd->callback([args]() { SetCommandExitCode(RunCommand([&]() { RunEvalCalib(*args); })); });
}

}  // namespace epilabel::cli
