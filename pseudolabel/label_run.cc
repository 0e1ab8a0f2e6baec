#include "pseudolabel/label_run.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "detection/io/calibration_io.h"
#include "foundation/file_util.h"
#include "detection/io/points_io.h"
#include "foundation/error.h"
#include "pseudolabel/report/html_report.h"
#include "pseudolabel/report_json.h"

namespace fs = std::filesystem;

namespace epilabel {

namespace {

nlohmann::json Num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

nlohmann::json GatesJson(const QualityGates& g, const GateCounts& c, const LabelDataset& d) {
  nlohmann::json per_camera = nlohmann::json::object();
  for (size_t i = 0; i < c.samples_per_camera.size() && i < d.camera_names.size(); ++i)
    per_camera[d.camera_names[i]] = c.samples_per_camera[i];
  nlohmann::json per_joint = nlohmann::json::object();
  for (size_t j = 0; j < c.valid_share_per_joint.size() && j < d.joint_names.size(); ++j)
    per_joint[d.joint_names[j]] = Num(c.valid_share_per_joint[j]);
  return {{"thresholds",
           {{"min_views", g.min_views},
            {"max_reprojection_error_px", g.max_reprojection_error_px},
            {"max_bone_deviation_rel", g.max_bone_deviation_rel},
            {"max_uncertainty_m", g.max_uncertainty_m},
            {"min_valid_share", g.min_valid_share},
            {"min_camera_joint_share", g.min_camera_joint_share}}},
          {"joints", c.joints},
          {"failed_views", c.failed_views},
          {"failed_reprojection_error", c.failed_error},
          {"failed_bone_length", c.failed_bone},
          {"failed_uncertainty", c.failed_uncertainty},
          {"valid_joints", c.valid_joints},
          {"poses", c.poses},
          {"poses_kept", c.poses_kept},
          {"poses_dropped", c.poses - c.poses_kept},
          {"samples", c.samples},
          {"samples_per_camera", per_camera},
          {"valid_share_per_joint", per_joint},
          {"mean_uncertainty_m", Num(c.mean_uncertainty_m)},
          {"mean_reprojection_error_px", Num(c.mean_error_px)}};
}

// A folder may be (re)written when it does not exist, is empty, or holds an earlier label run.
void CheckOutputFolder(const std::string& out_dir) {
  std::error_code ec;
  if (!fs::exists(out_dir, ec)) return;
  if (!fs::is_directory(out_dir, ec)) throw InputError(out_dir, "exists and is not a folder");
  if (fs::is_empty(out_dir, ec)) return;
  const fs::path report = fs::path(out_dir) / "report.json";
  if (fs::exists(report, ec)) {
    try {
      const auto j = nlohmann::json::parse(ReadFileToString(report.string()));
      if (j.value("kind", "") == "label") return;
    } catch (const std::exception&) {
    }
  }
  throw InputError(out_dir, "exists and is not a dataset folder of an earlier `epilabel label` run; "
                            "choose a new folder (nothing was written)");
}

}  // namespace

LabelRunResult RunLabel(const LabelRunOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  options.gates.Check();
  if (!options.pairs.empty() && options.pairs != "neighbours")
    throw InputError("--pairs", "unknown mode '" + options.pairs + "' (expected 'neighbours')");
  CheckOutputFolder(options.out_dir);
  LabelRunResult result;
  const PoseInput poses = LoadPoseInput(options.poses_path, options.skeleton, 2, options.progress);
  const double read_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double write_s = 0.0;  // the data files (not report.json/html)
  auto timed_write = [&write_s](const auto& write) {
    const auto w0 = std::chrono::steady_clock::now();
    write();
    write_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  };
  result.num_frames = poses.observations.num_frames();
  result.num_cameras = poses.observations.num_cameras();
  std::string sequence = options.sequence_name;
  if (sequence.empty()) {
    fs::path p = fs::path(options.poses_path);
    if (p.filename().empty()) p = p.parent_path();
    sequence = p.has_extension() ? p.stem().string() : p.filename().string();
    if (sequence.empty()) sequence = "sequence";
  }

  const std::string tmp_dir = options.out_dir + ".tmp-" + std::to_string(::getpid());
  std::error_code ec;
  fs::remove_all(tmp_dir, ec);
  fs::create_directories(tmp_dir);
  try {
    nlohmann::json report;
    report["kind"] = "label";
    report["sequence"] = sequence;
    report["inputs"] = {{"poses", options.poses_path},
                        {"calibration", options.calibration_path},
                        {"intrinsics", options.intrinsics_path},
                        {"skeleton", poses.skeleton->name},
                        {"frames", result.num_frames},
                        {"cameras", poses.camera_names}};
    LabelDataset dataset;
    Rig rig;
    if (options.pairs == "neighbours") {
      // Two-view baseline: intrinsics only, no bundle adjustment.
      if (!options.calibration_path.empty()) {
        rig = MatchCalibration(ReadCalibrationToml(options.calibration_path), options.calibration_path, poses,
                               CalibrationNeed::kIntrinsics);
      } else if (!options.intrinsics_path.empty()) {
        rig = MatchCalibration(ReadCalibrationToml(options.intrinsics_path), options.intrinsics_path, poses,
                               CalibrationNeed::kIntrinsics);
      } else {
        throw InputError("--pairs", "two-view labels need known intrinsics (--intrinsics or --calib)");
      }
      WorldFrameOptions scale = WorldFrameOptionsFor(*poses.skeleton);
      scale.subject_height_m = options.subject_height_m;
      TwoViewLabels tv = MakeTwoViewLabels(rig, poses, options.gates, scale, sequence, options.seed);
      dataset = std::move(tv.dataset);
      result.counts = tv.counts;
      result.calibration_source = "two-view pairs";
      result.verdict = "n/a";
      report["calibration_source"] = result.calibration_source;
      report["pairs"] = tv.pair_notes;
    } else {
      CalibrateRunOptions co;
      co.subject_height_m = options.subject_height_m;
      co.subject_height_given = options.subject_height_given;
      co.baseline = options.baseline;
      co.seed = options.seed;
      co.num_threads = options.num_threads;
      co.pipeline = options.pipeline;
      co.progress = options.progress;
      if (!options.calibration_path.empty()) {
        rig = MatchCalibration(ReadCalibrationToml(options.calibration_path), options.calibration_path, poses,
                               CalibrationNeed::kIntrinsicsAndExtrinsics);
        result.calibration_source = "given";
        result.verdict = "given";
      } else {
        Rig intrinsics;
        if (!options.intrinsics_path.empty()) {
          intrinsics = MatchCalibration(ReadCalibrationToml(options.intrinsics_path), options.intrinsics_path, poses,
                                        CalibrationNeed::kImageSize);
        } else if (options.image_width > 0 && options.image_height > 0) {
          for (const auto& name : poses.camera_names) {
            Camera cam;
            cam.name = name;
            cam.width = options.image_width;
            cam.height = options.image_height;
            intrinsics.push_back(cam);
          }
        } else {
          throw InputError(options.poses_path, "give --calib (full calibration), --intrinsics or --image-size");
        }
        const CalibrationPipelineOptions pipeline = PipelineOptionsFor(*poses.skeleton, co, intrinsics);
        const CalibrationOutput cal = CalibrateFromPoses(intrinsics, poses.observations, pipeline);
        report["calibration"] = CalibrationReportJson(cal.rig, cal.report);
        result.verdict = VerdictName(cal.report.verdict);
        if (!cal.success) {
          throw std::runtime_error("self-calibration failed: " + cal.report.BriefReport());
        }
        rig = cal.rig;
        result.calibration_source = "self-calibrated";
      }
      report["calibration_source"] = result.calibration_source;
      SequenceSmoothingOptions smoothing = options.smoothing;
      smoothing.fps = options.fps;
      smoothing.num_threads = options.num_threads;
      TriangulationOptions topt = options.triangulation;
      topt.min_confidence = options.gates.min_confidence;
      const TriangulatedSequence seq = TriangulateInput(rig, poses, topt, options.smooth, smoothing, options.progress);
      std::vector<uint8_t> kept;
      const FrameJointArray<uint8_t> valid = ApplyGates(seq, poses.skeleton->bones, options.gates, &kept, &result.counts);
      dataset = MakeCameraFrameLabels(rig, poses, seq, valid, kept, options.gates, sequence, &result.counts);
      report["triangulation"] = TriangulationReportJson(rig, seq.triangulation, poses.skeleton->joint_names,
                                                        poses.skeleton->name, seq.smoothed ? &seq.smoothing : nullptr,
                                                        topt.min_confidence);
      // Files of the multi-view labels.
      const VideoPose3DExport vp = MakeVideoPose3DExport(rig, poses, seq, kept, sequence);
      timed_write([&] { WriteVideoPose3DExport(vp, tmp_dir, options.export_name); });
      report["videopose3d"] = {{"name", options.export_name}, {"actions", vp.num_actions}, {"frames", vp.num_frames}};
      PointsFile pf;
      pf.points = seq.points;
      pf.reproj_error_px = seq.reproj_error_px;
      pf.n_views = seq.num_views;
      pf.uncertainty_m = seq.uncertainty_m;
      pf.joint_names = poses.skeleton->joint_names;
      pf.frame_numbers = poses.frame_numbers;
      timed_write([&] {
        WritePointsNpz(pf, (fs::path(tmp_dir) / "points3d.npz").string());
        WriteCalibrationToml(rig, (fs::path(tmp_dir) / "calibration.toml").string());
      });
    }
    timed_write([&] { WriteDatasetNpz(dataset, (fs::path(tmp_dir) / "dataset.npz").string()); });
    report["gates"] = GatesJson(options.gates, result.counts, dataset);
    report["samples"] = dataset.num_samples();
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // read: the keypoints; write: the data files; compute: the rest (calibration, triangulation,
    // gates, labels). report.html is written after report.json and is not counted.
    report["timings_s"] = {{"total", result.seconds},
                           {"read", read_s},
                           {"write", write_s},
                           {"compute", std::max(0.0, result.seconds - read_s - write_s)}};
    result.report = report;
    WriteJson(report, (fs::path(tmp_dir) / "report.json").string());
    if (options.write_html_report && options.pairs.empty()) {
      ReportPaths rp;
      rp.calibration = (fs::path(tmp_dir) / "calibration.toml").string();
      rp.points = (fs::path(tmp_dir) / "points3d.npz").string();
      rp.report_json = (fs::path(tmp_dir) / "report.json").string();
      rp.skeleton = poses.skeleton->name;
      rp.title = "EpiLabel labels: " + sequence;
      WriteHtmlReportFromFiles(rp, (fs::path(tmp_dir) / "report.html").string());
    }
    CommitDirectory(tmp_dir, options.out_dir);
  } catch (...) {
    fs::remove_all(tmp_dir, ec);
    throw;
  }
  return result;
}

}  // namespace epilabel
