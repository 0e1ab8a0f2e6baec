// epilabel eval3d and evalcalib: scores against ground truth (the synthetic studio's gt.npz
// and calibration.toml, or any reference in the same formats).
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

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

namespace epilabel::cli {

namespace {

nlohmann::json Num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

struct Eval3dArgs {
  std::string gt, pred, json, skeleton;
};

// The truth: points3d [F, J, 3] of a gt.npz or points3d.npz, with frame numbers when present.
struct Truth {
  Points3d points;
  std::vector<int64_t> frame_numbers;
};

Truth ReadTruth(const std::string& path) {
  const auto npz = ReadNpz(path);
  const NpyArray& p = RequireArray(npz, "points3d", 3, path);
  if (p.shape[2] != 3) throw InputError(path, "points3d must be [frames, joints, 3]");
  const std::vector<double> v = p.ToDoubles();
  Truth t;
  t.points = Points3d(static_cast<int>(p.shape[0]), static_cast<int>(p.shape[1]));
  for (int f = 0; f < t.points.num_frames(); ++f)
    for (int j = 0; j < t.points.num_joints(); ++j) {
      const size_t k = (static_cast<size_t>(f) * t.points.num_joints() + j) * 3;
      t.points.at(f, j) = Eigen::Vector3d(v[k], v[k + 1], v[k + 2]);
    }
  if (auto it = npz.find("frame_numbers"); it != npz.end()) t.frame_numbers = it->second.ToInt64();
  else
    for (int f = 0; f < t.points.num_frames(); ++f) t.frame_numbers.push_back(f);
  return t;
}

void RunEval3d(const Eval3dArgs& args) {
  const Truth truth = ReadTruth(args.gt);
  const PointsFile pred = ReadPointsNpz(args.pred);
  if (pred.points.num_joints() != truth.points.num_joints())
    throw InputError(args.pred, "has " + std::to_string(pred.points.num_joints()) + " joints, the truth " +
                                    std::to_string(truth.points.num_joints()));
  // Pair frames by frame number.
  std::map<int64_t, int> pred_index;
  for (size_t i = 0; i < pred.frame_numbers.size(); ++i) pred_index[pred.frame_numbers[i]] = static_cast<int>(i);
  const int nj = truth.points.num_joints();
  Points3d p(truth.points.num_frames(), nj), t = truth.points;
  int matched = 0;
  for (int f = 0; f < truth.points.num_frames(); ++f) {
    auto it = pred_index.find(truth.frame_numbers[f]);
    if (it == pred_index.end()) continue;
    ++matched;
    for (int j = 0; j < nj; ++j) p.at(f, j) = pred.points.at(it->second, j);
  }
  if (matched == 0) throw InputError(args.pred, "no frame number in common with " + args.gt);
  std::string skeleton_name = args.skeleton;
  if (skeleton_name.empty()) skeleton_name = GuessSkeleton(nj, {}).value_or("coco17");
  const Skeleton& skeleton = GetSkeleton(skeleton_name);
  // Absolute position error (world frame, no alignment) and the usual aligned metrics.
  int64_t gt_points = 0, found = 0;
  double abs_sum = 0;
  std::vector<double> abs_joint(nj, 0.0);
  std::vector<int64_t> abs_count(nj, 0);
  for (int f = 0; f < t.num_frames(); ++f)
    for (int j = 0; j < nj; ++j) {
      if (!t.IsValid(f, j)) continue;
      ++gt_points;
      if (!p.IsValid(f, j)) continue;
      ++found;
      const double e = (p.at(f, j) - t.at(f, j)).norm();
      abs_sum += e;
      abs_joint[j] += e;
      ++abs_count[j];
    }
  PoseMetricsOptions mo;
  mo.root_joints = skeleton.root;
  mo.pss_num_clusters = {};
  const PoseMetrics m = EvaluatePoses(p, t, nullptr, mo);
  const double abs_mpjpe = found ? abs_sum / found : kNaN;
  fmt::print("frames {} (matched {}), joints {}\n", t.num_frames(), matched, nj);
  fmt::print("triangulated          {:.2f}% of the true joints\n", gt_points ? 100.0 * found / gt_points : 0.0);
  fmt::print("MPJPE (world, no alignment)  {:8.2f} mm\n", 1000 * abs_mpjpe);
  fmt::print("MPJPE (root-relative)        {:8.2f} mm\n", 1000 * m.mpjpe);
  fmt::print("P-MPJPE (Procrustes)         {:8.2f} mm\n", 1000 * m.p_mpjpe);
  fmt::print("PCK3D@150mm {:.3f}, AUC {:.3f}\n", m.pck, m.auc);
  fmt::print("\n{:<18} {:>12}\n", "joint", "MPJPE mm");
  nlohmann::json per_joint = nlohmann::json::object();
  for (int j = 0; j < nj; ++j) {
    const double e = abs_count[j] ? abs_joint[j] / abs_count[j] : kNaN;
    const std::string name = j < skeleton.num_joints() ? skeleton.joint_names[j] : std::to_string(j);
    fmt::print("{:<18} {:>12.2f}\n", name, 1000 * e);
    per_joint[name] = Num(1000 * e);
  }
  if (!args.json.empty()) {
    nlohmann::json j = {{"mpjpe_world_mm", Num(1000 * abs_mpjpe)},
                        {"mpjpe_mm", Num(1000 * m.mpjpe)},
                        {"p_mpjpe_mm", Num(1000 * m.p_mpjpe)},
                        {"pck150", Num(m.pck)},
                        {"auc", Num(m.auc)},
                        {"share_triangulated", Num(gt_points ? static_cast<double>(found) / gt_points : kNaN)},
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
  std::vector<std::string> gt_names, est_names;
  for (const auto& c : gt) gt_names.push_back(c.name);
  for (const auto& c : est) est_names.push_back(c.name);
  const std::vector<int> match = MatchCameraNames(est_names, gt_names, args.est + " vs " + args.gt);
  Rig ref;
  for (int m : match) ref.push_back(gt[m]);
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
                    {"rotation_error_deg", Num(c.rotation_error_deg)},
                    {"center_error_m", Num(c.center_error_m)},
                    {"center_error_rel", Num(c.center_error_rel)},
                    {"focal_error_rel", Num(c.focal_error_rel)}});
  }
  fmt::print("\nrig radius {:.3f} m; max rotation error {:.4f} deg, max centre error {:.3f}% of the radius, scale error "
             "{:+.3f}%\n",
             cmp.rig_radius_m, cmp.max_rotation_error_deg, 100 * cmp.max_center_error_rel, 100 * cmp.scale_error_rel);
  if (!args.json.empty()) {
    nlohmann::json j = {{"cameras", cams},
                        {"rig_radius_m", Num(cmp.rig_radius_m)},
                        {"max_rotation_error_deg", Num(cmp.max_rotation_error_deg)},
                        {"max_center_error_rel", Num(cmp.max_center_error_rel)},
                        {"max_focal_error_rel", Num(cmp.max_focal_error_rel)},
                        {"scale_error_rel", Num(cmp.scale_error_rel)}};
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
