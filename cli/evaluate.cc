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

void RunEvalCalib(const EvalCalibArgs& args) {
  const Rig gt = ReadCalibrationToml(args.gt);
  const Rig est = ReadCalibrationToml(args.est);
  std::vector<std::string> est_names;
  for (const auto& c : est) est_names.push_back(c.name);
  const std::vector<int> match = MatchRigCameras(est_names, gt, args.est + " vs " + args.gt);
  Rig ref;
  for (int m : match) ref.push_back(gt[m]);
  if (ref.size() < gt.size()) {
    // Every reference camera must be scored: a calibration that lost cameras is not "perfect".
    std::string missing;
    for (size_t g = 0; g < gt.size(); ++g)
      if (std::find(match.begin(), match.end(), static_cast<int>(g)) == match.end())
        missing += (missing.empty() ? "" : ", ") + gt[g].name;
    throw InputError(args.est, "has no camera for the reference camera(s) " + missing + " of " + args.gt);
  }
  for (const auto& c : est)
    if (!c.has_extrinsics) throw InputError(args.est, "camera '" + c.name + "' has no extrinsics");
  for (const auto& c : ref)
    if (!c.has_extrinsics) throw InputError(args.gt, "camera '" + c.name + "' has no extrinsics");
  const RigComparison cmp = CompareRigs(ref, est);
  fmt::print("{:<14} {:>10} {:>11} {:>10} {:>10}\n", "camera", "rot deg", "centre mm", "% radius", "focal %");
  nlohmann::json cams = nlohmann::json::array();
  for (const auto& c : cmp.cameras) {
    fmt::print("{:<14} {:>10.4f} {:>11.2f} {:>10.3f} {:>10.3f}\n", c.name, c.rotation_error_deg, 1000 * c.center_error_m,
               100 * c.center_error_rel, 100 * c.focal_error_rel);
    cams.push_back({{"name", c.name},
                    {"rotation_error_deg", JsonNumber(c.rotation_error_deg)},
                    {"center_error_m", JsonNumber(c.center_error_m)},
                    {"center_error_rel", JsonNumber(c.center_error_rel)},
                    {"focal_error_rel", JsonNumber(c.focal_error_rel)}});
  }
  fmt::print("\nrig radius {:.3f} m; max rotation error {:.4f} deg, max centre error {:.3f}% of the radius, scale error "
             "{:+.3f}%\n",
             cmp.rig_radius_m, cmp.max_rotation_error_deg, 100 * cmp.max_center_error_rel, 100 * cmp.scale_error_rel);
  if (!args.json.empty()) {
    nlohmann::json j = {{"cameras", cams},
                        {"rig_radius_m", JsonNumber(cmp.rig_radius_m)},
                        {"max_rotation_error_deg", JsonNumber(cmp.max_rotation_error_deg)},
                        {"max_center_error_rel", JsonNumber(cmp.max_center_error_rel)},
                        {"max_focal_error_rel", JsonNumber(cmp.max_focal_error_rel)},
                        {"scale_error_rel", JsonNumber(cmp.scale_error_rel)}};
    WriteFileAtomic(args.json, j.dump(2) + "\n");
  }
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
  cmd->footer("Example:\n  epilabel evalcalib --gt studio/calibration.toml --est out/calibration.toml");
  cmd->add_option("--gt", args->gt, "Reference calibration TOML")->required();
  cmd->add_option("--est", args->est, "Estimated calibration TOML")->required();
  cmd->add_option("--json", args->json, "Also write the figures as JSON");
  cmd->callback([args]() { SetCommandExitCode(RunCommand([&]() { RunEvalCalib(*args); })); });
}

}  // namespace epilabel::cli
