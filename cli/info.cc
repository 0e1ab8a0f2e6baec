// epilabel info: a summary of a calibration file (cameras, sizes, focal lengths, positions) or
// of a keypoint input (cameras, frames, people per frame, skeleton, joints detected), printed
// on stdout.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "detection/io/calibration_io.h"
#include "pseudolabel/keypoint_input.h"
#include "detection/io/camera_matching.h"
#include "detection/io/keypoint_io.h"
#include "foundation/npz.h"
#include "detection/io/people_points_io.h"
#include "detection/io/points_io.h"
#include "detection/skeleton.h"
#include "foundation/error.h"

namespace fs = std::filesystem;

namespace epilabel::cli {

namespace {

struct InfoArgs {
  std::string path;
  std::string skeleton;
  std::string calibration;  // optional: match the keypoint cameras to this calibration
};

constexpr double kRadToDeg = 180.0 / 3.14159265358979323846;

void PrintCalibration(const std::string& path) {
  const Rig rig = ReadCalibrationToml(path);
  int with_extrinsics = 0, with_intrinsics = 0;
  for (const Camera& c : rig) {
    with_extrinsics += c.has_extrinsics ? 1 : 0;
    with_intrinsics += c.fx > 0.0 ? 1 : 0;
  }
  fmt::print("Calibration {}\n", path);
  fmt::print("{} camera(s); intrinsics for {}, extrinsics for {}\n\n", rig.size(), with_intrinsics, with_extrinsics);
  fmt::print("{:<14} {:>11} {:>9} {:>9} {:>8} {:>8} {:>8} {:>9}  {}\n", "camera", "size", "fx", "fy", "cx", "cy",
             "hfov deg", "k1", "centre in world (m)");
  for (const Camera& c : rig) {
    const std::string size = fmt::format("{}x{}", c.width, c.height);
    if (c.fx <= 0.0) {
      fmt::print("{:<14} {:>11} {:>9}\n", c.name, size, "(size only)");
      continue;
    }
    const double hfov = 2.0 * std::atan(0.5 * c.width / c.fx) * kRadToDeg;
    std::string position = "(no extrinsics)";
    if (c.has_extrinsics) {
      const Eigen::Vector3d p = c.CenterInWorld();
      position = fmt::format("{:8.3f} {:8.3f} {:8.3f}", p.x(), p.y(), p.z());
    }
    fmt::print("{:<14} {:>11} {:>9.2f} {:>9.2f} {:>8.2f} {:>8.2f} {:>8.1f} {:>9.5f}  {}\n", c.name, size, c.fx, c.fy,
               c.cx, c.cy, hfov, c.distortion[0], position);
  }
  if (with_extrinsics >= 2) {
    double lo = 1e300, hi = 0.0;
    for (size_t a = 0; a < rig.size(); ++a) {
      for (size_t b = a + 1; b < rig.size(); ++b) {
        if (!rig[a].has_extrinsics || !rig[b].has_extrinsics) continue;
        const double d = (rig[a].CenterInWorld() - rig[b].CenterInWorld()).norm();
        lo = std::min(lo, d);
        hi = std::max(hi, d);
      }
    }
    fmt::print("\nbaselines between camera centres: {:.3f} to {:.3f} m\n", lo, hi);
    if (const std::optional<std::string> units = CheckRigUnits(rig, path)) fmt::print("warning: {}\n", *units);
  }
}

void PrintKeypoints(const std::string& path, const std::string& skeleton, const std::string& calibration) {
  const KeypointFormat format = DetectKeypointFormat(path);
  KeypointReadOptions options;
  options.skeleton = skeleton;
  KeypointSequence seq;
  {
    ProgressBar bar;
    options.progress = bar.Callback();
    seq = ReadKeypoints(path, options);
  }
  // Image sizes come from the calibration when the keypoint format has none.
  std::vector<std::string> matched(seq.cameras.size());
  if (!calibration.empty()) {
    const Rig rig = ReadCalibrationToml(calibration);
    const std::vector<int> match = MatchKeypointCameras(seq, rig, path + " vs " + calibration);
    for (size_t c = 0; c < seq.cameras.size(); ++c) {
      const Camera& cam = rig[static_cast<size_t>(match[c])];
      matched[c] = cam.name;
      if (seq.cameras[c].width <= 0) {
        seq.cameras[c].width = cam.width;
        seq.cameras[c].height = cam.height;
      }
    }
  }
  const std::vector<int64_t> all = seq.AllFrameNumbers();
  fmt::print("Keypoints {} ({})\n", path, KeypointFormatName(format));
  fmt::print("skeleton {} ({} joints){}\n", seq.skeleton, seq.num_joints, skeleton.empty() ? ", guessed" : "");
  if (all.empty()) {
    fmt::print("{} camera(s), no frames\n", seq.cameras.size());
    return;
  }
  fmt::print("{} camera(s), {} frame(s) in all, numbers {} to {}\n\n", seq.cameras.size(), all.size(), all.front(),
             all.back());
  fmt::print("{:<16} {:>7} {:>13} {:>12} {:>10} {:>11} {:>11} {:>11}\n", "camera", "frames", "numbers", "people/frame",
             "max people", "with person", "several", "joints seen");
  std::vector<size_t> joint_seen(static_cast<size_t>(seq.num_joints), 0);
  size_t people_total = 0;
  for (size_t c = 0; c < seq.cameras.size(); ++c) {
    const CameraKeypoints& cam = seq.cameras[c];
    size_t people = 0, with = 0, several = 0, max_people = 0, seen = 0;
    for (const auto& frame : cam.people) {
      people += frame.size();
      with += frame.empty() ? 0 : 1;
      several += frame.size() > 1 ? 1 : 0;
      max_people = std::max(max_people, frame.size());
      for (const Person2d& p : frame) {
        for (size_t j = 0; j < p.joints.size(); ++j) {
          if (p.joints[j].z() > 0.0) {
            ++seen;
            ++joint_seen[j];
          }
        }
      }
    }
    people_total += people;
    const size_t n = cam.frame_numbers.size();
    const std::string numbers =
        n == 0 ? "-" : fmt::format("{}-{}", cam.frame_numbers.front(), cam.frame_numbers.back());
    const double mean = n > 0 ? static_cast<double>(people) / n : 0.0;
    const double share = people > 0 ? 100.0 * seen / (people * static_cast<double>(seq.num_joints)) : 0.0;
    fmt::print("{:<16} {:>7} {:>13} {:>12.2f} {:>10} {:>10.1f}% {:>10.1f}% {:>10.1f}%", cam.name, n, numbers, mean,
               max_people, n > 0 ? 100.0 * with / n : 0.0, n > 0 ? 100.0 * several / n : 0.0, share);
    if (cam.width > 0) fmt::print("  {}x{}", cam.width, cam.height);
    if (!matched[c].empty()) fmt::print("  = {}", matched[c]);
    fmt::print("\n");
  }
  if (people_total > 0) {
    // The joints the detector misses most often (a hint for --skeleton and for the rig).
    const Skeleton* s = nullptr;
    for (const std::string& name : SkeletonNames()) {
      if (name == seq.skeleton) s = &GetSkeleton(name);
    }
    std::vector<size_t> order(joint_seen.size());
    for (size_t j = 0; j < order.size(); ++j) order[j] = j;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return joint_seen[a] < joint_seen[b]; });
    if (joint_seen[order.front()] == people_total) {
      fmt::print("\nevery joint is detected in every person\n");
      return;
    }
    fmt::print("\nleast detected joints:");
    for (size_t k = 0; k < std::min<size_t>(5, order.size()) && joint_seen[order[k]] < people_total; ++k) {
      const size_t j = order[k];
      const std::string name = s != nullptr ? s->joint_names[j] : fmt::format("joint {}", j);
      fmt::print("{} {} {:.0f}%", k ? "," : "", name, 100.0 * joint_seen[j] / people_total);
    }
    fmt::print("\n");
  }
}

void PrintPoints(const std::string& path) {
  const PeoplePoints people = ReadPeoplePointsNpz(path);
  fmt::print("3D points {}\n", path);
  if (people.people.size() > 1) fmt::print("{} people (tracks", people.people.size());
  for (size_t q = 0; q < people.people.size() && people.people.size() > 1; ++q)
    fmt::print(" {}", people.track_ids[q]);
  if (people.people.size() > 1) fmt::print(")\n");
  for (size_t q = 0; q < people.people.size(); ++q) {
    const PointsFile& p = people.people[q];
    const int nf = p.points.num_frames(), nj = p.points.num_joints();
    size_t valid = 0, error_count = 0;
    double error_sum = 0.0;
    for (int f = 0; f < nf; ++f)
      for (int j = 0; j < nj; ++j) {
        if (!p.points.IsValid(f, j)) continue;
        ++valid;
        const double e = p.reproj_error_px.at(f, j);
        if (std::isfinite(e)) {
          error_sum += e;
          ++error_count;
        }
      }
    if (people.people.size() > 1) fmt::print("track {}: ", people.track_ids[q]);
    fmt::print("{} frame(s) x {} joint(s); {:.1f}% triangulated", nf, nj,
               nf * nj > 0 ? 100.0 * valid / (static_cast<double>(nf) * nj) : 0.0);
    if (error_count > 0) fmt::print("; mean reprojection error {:.2f} px", error_sum / error_count);
    fmt::print("\n");
  }
  const PointsFile& first = people.people.front();
  if (!first.frame_numbers.empty())
    fmt::print("frame numbers {} to {}\n", first.frame_numbers.front(), first.frame_numbers.back());
}

void RunInfo(const InfoArgs& args) {
  const fs::path path(args.path);
  std::error_code ec;
  if (!fs::exists(path, ec)) throw InputError(args.path, "not found");
  const std::string ext = path.extension().string();
  if (fs::is_regular_file(path, ec) && ext == ".toml") {
    PrintCalibration(args.path);
  } else if (fs::is_regular_file(path, ec) && ext == ".npz") {
    const auto npz = ReadNpz(args.path);
    if (npz.count("keypoints2d")) {
      PrintKeypoints(args.path, args.skeleton, args.calibration);
    } else if (npz.count("points3d")) {
      PrintPoints(args.path);
    } else {
      throw InputError(args.path, "neither keypoints2d.npz (array 'keypoints2d') nor points3d.npz (array 'points3d')");
    }
  } else if (fs::is_regular_file(path, ec) && (ext == ".yaml" || ext == ".yml")) {
    throw InputError(args.path, "OpenCV YAML calibrations are written, not read; give the calibration TOML");
  } else {
    PrintKeypoints(args.path, args.skeleton, args.calibration);
  }
}

}  // namespace

void AddInfoCommand(CLI::App& app) {
  auto args = std::make_shared<InfoArgs>();
  CLI::App* cmd = app.add_subcommand("info", "Summarise a calibration file or a keypoint input");
  cmd->footer(
      "Examples:\n"
      "  epilabel info calibration.toml      cameras, image sizes, focal lengths, positions\n"
      "  epilabel info pose/                 OpenPose folder: cameras, frames, people, skeleton, joints seen\n"
      "  epilabel info pose/ --calibration Calib.toml   also match the cameras to the calibration's\n"
      "  epilabel info keypoints2d.npz\n"
      "  epilabel info points3d.npz");
  cmd->add_option("path", args->path, "Calibration .toml, OpenPose folder, COCO folder or file, keypoints2d.npz, points3d.npz")
      ->required();
  cmd->add_option("--skeleton,-s", args->skeleton,
                  "Skeleton of the keypoints (coco17, h36m17, body25, body25b, halpe26, blazepose33); default: "
                  "guessed from the joint count");
  cmd->add_option("--calibration,-c", args->calibration,
                  "Calibration TOML: match the keypoint cameras to its cameras (exact name, then the number in "
                  "the name) and show their image sizes");
  cmd->callback([args]() { SetCommandExitCode(RunCommand([&]() { RunInfo(*args); })); });
}

}  // namespace epilabel::cli
