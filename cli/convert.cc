// epilabel convert: keypoints between OpenPose folders, COCO result folders and
// keypoints2d.npz; calibrations (TOML, Qualisys .qca.txt, EasyMocap intri/extri.yml, Vicon .xcp) to TOML
// (Anipose layout) or OpenCV YAML.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "detection/io/calibration_import.h"
#include "detection/io/calibration_io.h"
#include "detection/io/keypoint_io.h"
#include "foundation/error.h"

namespace fs = std::filesystem;

namespace epilabel::cli {

namespace {

struct ConvertArgs {
  std::string in;
  std::string out;
  std::string skeleton;
  std::string to;
  std::string from;
  std::string image_size;
  std::vector<std::string> cameras;
  bool marker_cameras = false;  // Vicon: read the marker cameras too
  std::string units;            // a TOML calibration's length unit (m, cm, mm); empty: as the file says
};

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The calibration format of the input: --from, else its name (.qca.txt: qualisys; intri.yml:
// easymocap; .xcp: vicon; .toml: toml); empty for keypoints.
std::string CalibrationInputFormat(const ConvertArgs& args) {
  if (!args.from.empty()) return args.from;
  std::error_code ec;
  if (!fs::is_regular_file(args.in, ec)) return "";
  const std::string name = fs::path(args.in).filename().string();
  if (EndsWith(name, ".qca.txt") || EndsWith(name, ".qca")) return "qualisys";
  if (name == "intri.yml" || name == "intri.yaml") return "easymocap";
  if (EndsWith(name, ".xcp")) return "vicon";
  if (fs::path(args.in).extension() == ".toml") return "toml";
  return "";
}

// --image-size WxH for formats without image sizes (EasyMocap without H_/W_).
std::pair<int, int> ImageSize(const std::string& text) {
  if (text.empty()) return {0, 0};
  int w = 0, h = 0;
  char x = 0, rest = 0;
  if (std::sscanf(text.c_str(), "%d%c%d%c", &w, &x, &h, &rest) != 3 || (x != 'x' && x != 'X') || w <= 0 || h <= 0 ||
      w > 100000 || h > 100000)
    throw InputError("--image-size", "expected WIDTHxHEIGHT in pixels, e.g. 1920x1080; got '" + text + "'");
  return {w, h};
}

Rig ReadCalibrationInput(const ConvertArgs& args, const std::string& from) {
  if (from == "qualisys") return ReadQualisysCalibration(args.in);
  if (from == "vicon") {
    ViconImportOptions options;
    options.include_marker_cameras = args.marker_cameras;
    const ViconImport vicon = ReadViconCalibration(args.in, options);
    std::string report = vicon.BriefReport();
    if (!report.empty() && report.back() == '\n') report.pop_back();
    spdlog::info("{}:\n{}", args.in, report);
    return vicon.rig;
  }
  if (from == "easymocap") {
    const fs::path extri = fs::path(args.in).parent_path() / "extri.yml";
    std::error_code ec;
    const auto [w, h] = ImageSize(args.image_size);
    return ReadEasyMocapCalibration(args.in, fs::exists(extri, ec) ? extri.string() : "", w, h);
  }
  const Rig rig = ReadCalibrationToml(args.in);
  return args.units.empty() ? rig : TranslationsInMetres(rig, args.units);
}

// The output format: --to, else the output's extension (.npz, .toml, .yaml/.yml), else an
// OpenPose folder for keypoints.
std::string OutputFormat(const ConvertArgs& args, bool calibration) {
  const std::string ext = fs::path(args.out).extension().string();
  std::string from_ext;
  if (ext == ".npz") from_ext = "npz";
  if (ext == ".toml") from_ext = "toml";
  if (ext == ".yaml" || ext == ".yml") from_ext = "yaml";
  if (!args.to.empty()) {
    if (!from_ext.empty() && from_ext != args.to) {
      throw InputError(args.out, "the name says " + from_ext + " but --to says " + args.to);
    }
    return args.to;
  }
  if (!from_ext.empty()) return from_ext;
  if (ext == ".json") {
    throw InputError(args.out, "COCO output is a folder with one <camera>.json per camera; give a folder and --to coco");
  }
  if (calibration) throw InputError(args.out, "cannot tell the output format; use a .toml or .yaml name, or --to");
  return "openpose";
}

void RunConvert(const ConvertArgs& args) {
  std::error_code ec;
  if (!fs::exists(args.in, ec)) throw InputError(args.in, "not found");
  if (fs::exists(args.out, ec) && fs::equivalent(args.in, args.out, ec)) {
    throw InputError(args.out, "is the input itself; choose another output");
  }
  const std::string from = CalibrationInputFormat(args);
  const bool calibration = !from.empty();
  const std::string format = OutputFormat(args, calibration);

  if (calibration) {
    if (format != "toml" && format != "yaml") {
      throw InputError("--to", "a calibration converts to toml or yaml, not " + format);
    }
    if (!args.skeleton.empty() || !args.cameras.empty()) {
      throw InputError(args.in, "--skeleton and --cameras apply to keypoints, not to a calibration");
    }
    if (!args.units.empty() && from != "toml") {
      throw InputError(args.in, "--units applies to TOML calibrations (the other formats state their unit)");
    }
    const Rig rig = ReadCalibrationInput(args, from);
    if (format == "toml") {
      WriteCalibrationToml(rig, args.out);
    } else {
      WriteCalibrationYaml(rig, args.out);
    }
    spdlog::info("wrote {} camera(s) to {} ({})", rig.size(), args.out, format);
    return;
  }

  if (format != "openpose" && format != "coco" && format != "npz") {
    throw InputError("--to", "keypoints convert to openpose, coco or npz, not " + format);
  }
  KeypointReadOptions options;
  options.skeleton = args.skeleton;
  options.cameras = args.cameras;
  KeypointSequence seq;
  {
    ProgressBar bar;
    options.progress = bar.Callback();
    seq = ReadKeypoints(args.in, options);
  }
  spdlog::info("read {} camera(s), {} frame(s), skeleton {} from {}", seq.cameras.size(), seq.AllFrameNumbers().size(),
               seq.skeleton, args.in);
  if (format == "openpose") {
    WriteOpenPoseFolder(seq, args.out);
  } else if (format == "coco") {
    WriteCocoFolder(seq, args.out);
  } else {
    WriteKeypointsNpz(seq, args.out);  // several people per frame: the [cameras, frames, people, joints, 3] layout
  }
  spdlog::info("wrote {} ({})", args.out, format);
}

}  // namespace

void AddConvertCommand(CLI::App& app) {
  auto args = std::make_shared<ConvertArgs>();
  CLI::App* cmd = app.add_subcommand("convert", "Convert keypoints (OpenPose, COCO, npz) or a calibration (TOML, YAML)");
  cmd->footer(
      "Examples:\n"
      "  epilabel convert pose/ keypoints2d.npz                  OpenPose folder -> npz\n"
      "  epilabel convert keypoints2d.npz pose_out/              npz -> OpenPose folder\n"
      "  epilabel convert pose/ coco/ --to coco                  OpenPose folder -> COCO results, one file per camera\n"
      "  epilabel convert Calib_qualisys.toml calibration.yaml   TOML -> OpenCV YAML\n"
      "  epilabel convert Calib.qca.txt calibration.toml         Qualisys QTM export -> TOML\n"
      "  epilabel convert easymocap/intri.yml calibration.toml   EasyMocap (extri.yml beside it) -> TOML\n"
      "  epilabel convert session.xcp calibration.toml           Vicon (video cameras; lens fitted) -> TOML\n"
      "  epilabel convert calib_mm.toml calibration.toml --units mm   an Anipose file in millimetres -> metres\n"
      "Calibrations: Anipose/Pose2Sim/FreeMoCap/Caliscope TOML (.toml), Qualisys (.qca.txt), EasyMocap\n"
      "(intri.yml + extri.yml, --image-size when it has no H_/W_), Vicon (.xcp: its lens model is fitted\n"
      "with OpenCV's and the fit's residual printed); --from overrides the guess.\n"
      "The output format comes from --to, else from the output name (.npz, .toml, .yaml); a name\n"
      "without extension is an OpenPose folder. Nothing is written when the input is bad.");
  cmd->add_option("in", args->in, "Input: OpenPose folder, COCO folder or file, keypoints2d.npz, or a calibration (.toml, .qca.txt, intri.yml, .xcp)")
      ->required();
  cmd->add_option("out", args->out, "Output file or folder")->required();
  cmd->add_option("--to", args->to, "Output format")
      ->check(CLI::IsMember({"openpose", "coco", "npz", "toml", "yaml"}));
  cmd->add_option("--from", args->from, "Calibration input format (default: from the name)")
      ->check(CLI::IsMember({"toml", "qualisys", "easymocap", "vicon"}));
  cmd->add_option("--image-size", args->image_size, "WIDTHxHEIGHT of EasyMocap cameras without H_/W_");
  cmd->add_flag("--marker-cameras", args->marker_cameras,
                "Vicon: read the marker (infrared) cameras too, not only the video cameras");
  cmd->add_option("--units", args->units,
                  "Length unit of a TOML calibration's translations (plain Anipose files do not say; FreeMoCap's "
                  "are recognised): written in metres")
      ->check(CLI::IsMember({"m", "cm", "mm"}));
  cmd->add_option("--skeleton,-s", args->skeleton,
                  "Skeleton of the input keypoints (coco17, h36m17, body25, body25b, halpe26, blazepose33); default: "
                  "guessed from the joint count");
  cmd->add_option("--cameras", args->cameras, "Only these cameras (comma-separated names)")->delimiter(',');
  cmd->callback([args]() { SetCommandExitCode(RunCommand([&]() { RunConvert(*args); })); });
}

}  // namespace epilabel::cli
