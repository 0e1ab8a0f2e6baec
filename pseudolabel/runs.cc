#include "pseudolabel/runs.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "detection/io/calibration_io.h"
#include "detection/io/points_io.h"
#include "foundation/error.h"
#include "pseudolabel/report/html_report.h"
#include "pseudolabel/report_json.h"

namespace fs = std::filesystem;

namespace epilabel {

namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

PointsFile MakePointsFile(const TriangulatedSequence& seq, const PoseInput& poses) {
  PointsFile pf;
  pf.points = seq.points;
  pf.reproj_error_px = seq.reproj_error_px;
  pf.n_views = seq.num_views;
  pf.uncertainty_m = seq.uncertainty_m;
  pf.joint_names = poses.skeleton->joint_names;
  pf.frame_numbers = poses.frame_numbers;
  return pf;
}

}  // namespace

TriangulatedSequence TriangulateInput(const Rig& rig, const PoseInput& poses, const TriangulationOptions& triangulation,
                                      bool smooth, SequenceSmoothingOptions smoothing, const ProgressCallback& progress) {
  TriangulatedSequence out;
  TriangulationOptions topt = triangulation;
  if (topt.symmetric_pairs.empty()) topt.symmetric_pairs = poses.skeleton->symmetric;
  if (topt.bones.empty()) topt.bones = poses.skeleton->bones;
  topt.progress = progress;
  out.triangulation = TriangulateSequence(rig, poses.observations, topt);
  out.points = out.triangulation.points;
  out.reproj_error_px = out.triangulation.reproj_error_px;
  out.num_views = out.triangulation.num_views;
  out.uncertainty_m = out.triangulation.uncertainty_m;
  if (!smooth) return out;
  if (smoothing.bones.empty()) smoothing.bones = poses.skeleton->bones;
  smoothing.min_confidence = topt.min_confidence;
  smoothing.progress = progress;
  const SequenceSmoothingResult sm = SmoothSequence(rig, out.triangulation, smoothing);
  out.smoothed = true;
  out.smoothing = sm.summary;
  out.points = sm.points;
  // Errors and view counts of the smoothed points: over the views the per-frame fit used, or
  // over every confident view for points the smoothing filled in.
  const Observations2d& obs = out.triangulation.repaired;
  for (frame_t f = 0; f < out.points.num_frames(); ++f)
    for (joint_t j = 0; j < out.points.num_joints(); ++j) {
      if (!out.points.IsValid(f, j)) {
        out.reproj_error_px.at(f, j) = kNaN;
        out.num_views.at(f, j) = 0;
        continue;
      }
      const uint64_t mask = out.triangulation.view_mask.at(f, j);
      double sum = 0;
      int n = 0;
      for (camera_t c = 0; c < obs.num_cameras(); ++c) {
        const Eigen::Vector3d& o = obs.at(c, f, j);
        const bool use = mask ? (mask & (uint64_t{1} << c)) != 0 : (o.z() >= topt.min_confidence && o.z() > 0);
        if (!use) continue;
        const auto px = rig[c].ImageFromWorld(out.points.at(f, j));
        if (!px) continue;
        sum += (*px - o.head<2>()).norm();
        ++n;
      }
      out.reproj_error_px.at(f, j) = n ? sum / n : kNaN;
      out.num_views.at(f, j) = n;
    }
  return out;
}

TriangulateRunResult RunTriangulate(const TriangulateRunOptions& options) {
  TriangulateRunResult result;
  for (const auto& f : options.formats)
    if (f != "npz" && f != "csv" && f != "trc") throw InputError("--format", "unknown format '" + f + "' (npz, csv, trc)");
  auto t0 = std::chrono::steady_clock::now();
  const Rig calibration = ReadCalibrationToml(options.calibration_path);
  const PoseInput poses = LoadPoseInput(options.poses_path, options.skeleton, 2, options.progress);
  const Rig rig = MatchCalibration(calibration, options.calibration_path, poses, CalibrationNeed::kIntrinsicsAndExtrinsics);
  result.read_s = Seconds(t0);
  result.num_frames = poses.observations.num_frames();
  result.num_cameras = poses.observations.num_cameras();
  result.num_joints = poses.observations.num_joints();

  t0 = std::chrono::steady_clock::now();
  SequenceSmoothingOptions smoothing = options.smoothing;
  smoothing.fps = options.fps;
  smoothing.num_threads = options.num_threads;
  const TriangulatedSequence seq = TriangulateInput(rig, poses, options.triangulation, options.smooth, smoothing, options.progress);
  result.summary = seq.triangulation.summary;
  result.smoothed = seq.smoothed;
  result.smoothing = seq.smoothing;
  result.triangulate_s = Seconds(t0);

  t0 = std::chrono::steady_clock::now();
  fs::create_directories(options.out_dir);
  const PointsFile pf = MakePointsFile(seq, poses);
  const fs::path out(options.out_dir);
  if (options.formats.count("npz")) {
    WritePointsNpz(pf, (out / "points3d.npz").string());
    result.written.push_back((out / "points3d.npz").string());
  }
  if (options.formats.count("csv")) {
    WriteAniposeCsv(pf, (out / "points3d.csv").string());
    result.written.push_back((out / "points3d.csv").string());
  }
  if (options.formats.count("trc")) {
    TrcOptions trc;
    trc.fps = options.fps;
    WriteTrc(pf, (out / "points3d.trc").string(), trc);
    result.written.push_back((out / "points3d.trc").string());
  }
  nlohmann::json report = TriangulationReportJson(rig, seq.triangulation, poses.skeleton->joint_names,
                                                  poses.skeleton->name, seq.smoothed ? &seq.smoothing : nullptr,
                                                  options.triangulation.min_confidence);
  report["inputs"] = {{"calibration", options.calibration_path}, {"poses", options.poses_path}};
  report["timings_s"] = {{"read", result.read_s}, {"triangulate", result.triangulate_s}};
  WriteJson(report, (out / "report.json").string());
  result.written.push_back((out / "report.json").string());
  if (options.write_html_report) {
    ReportPaths rp;
    rp.calibration = options.calibration_path;
    if (options.formats.count("npz")) rp.points = (out / "points3d.npz").string();
    rp.poses = options.poses_path;
    rp.report_json = (out / "report.json").string();
    rp.skeleton = poses.skeleton->name;
    rp.title = "EpiLabel triangulation";
    WriteHtmlReportFromFiles(rp, (out / "report.html").string());
    result.written.push_back((out / "report.html").string());
  }
  result.write_s = Seconds(t0);
  return result;
}

CalibrationPipelineOptions PipelineOptionsFor(const Skeleton& skeleton, const CalibrateRunOptions& options,
                                              const Rig& rig) {
  CalibrationPipelineOptions p = options.pipeline;
  p.self.bones = skeleton.bones;
  p.self.symmetric_pairs = skeleton.symmetric;
  p.self.seed = options.seed;
  p.self.num_threads = options.num_threads;
  p.self.ba.refine_focal = options.refine_focal;
  p.self.ba.refine_k1 = options.refine_k1;
  p.self.progress = options.progress;
  WorldFrameOptions w = WorldFrameOptionsFor(skeleton);
  w.subject_height_m = options.subject_height_m;
  // A measured height is known to about a centimetre; the default is the adult population's.
  w.subject_height_sigma_m = options.subject_height_given ? 0.01 : 0.09;
  w.seed = options.seed;
  if (!options.baseline.empty()) {
    std::stringstream ss(options.baseline);
    std::string a, b, m;
    if (!std::getline(ss, a, ',') || !std::getline(ss, b, ',') || !std::getline(ss, m))
      throw InputError("--baseline", "expected CAM1,CAM2,METRES, got '" + options.baseline + "'");
    BaselineScale bs;
    for (size_t c = 0; c < rig.size(); ++c) {
      if (rig[c].name == a) bs.camera_a = static_cast<camera_t>(c);
      if (rig[c].name == b) bs.camera_b = static_cast<camera_t>(c);
    }
    if (bs.camera_a < 0 || bs.camera_b < 0)
      throw InputError("--baseline", "camera '" + (bs.camera_a < 0 ? a : b) + "' is not one of the keypoint cameras");
    try {
      bs.metres = std::stod(m);
    } catch (const std::exception&) {
      throw InputError("--baseline", "'" + m + "' is not a distance in metres");
    }
    if (!(bs.metres > 0)) throw InputError("--baseline", "the distance must be positive");
    w.baseline = bs;
  }
  p.world = w;
  p.height_given = options.subject_height_given;
  p.triangulation.min_confidence = p.self.min_confidence;
  return p;
}

CalibrateRunResult RunCalibrate(const CalibrateRunOptions& options) {
  CalibrateRunResult result;
  auto t0 = std::chrono::steady_clock::now();
  const PoseInput poses = LoadPoseInput(options.poses_path, options.skeleton, 2, options.progress);
  Rig rig;
  if (!options.intrinsics_path.empty()) {
    const Rig intrinsics = ReadCalibrationToml(options.intrinsics_path);
    rig = MatchCalibration(intrinsics, options.intrinsics_path, poses, CalibrationNeed::kImageSize);
  } else if (options.image_width > 0 && options.image_height > 0) {
    for (const auto& name : poses.camera_names) {
      Camera cam;
      cam.name = name;
      cam.width = options.image_width;
      cam.height = options.image_height;
      rig.push_back(cam);
    }
  } else {
    // Image sizes may come with the keypoints (keypoints2d.npz); otherwise ask for them.
    for (const auto& cam_kp : poses.keypoints.cameras) {
      if (cam_kp.width <= 0 || cam_kp.height <= 0)
        throw InputError(options.poses_path, "camera '" + cam_kp.name +
                                                 "' has no known image size: give --intrinsics FILE or --image-size WxH");
      Camera cam;
      cam.name = cam_kp.name;
      cam.width = cam_kp.width;
      cam.height = cam_kp.height;
      rig.push_back(cam);
    }
  }
  result.read_s = Seconds(t0);

  t0 = std::chrono::steady_clock::now();
  const CalibrationPipelineOptions pipeline = PipelineOptionsFor(*poses.skeleton, options, rig);
  result.output = CalibrateFromPoses(rig, poses.observations, pipeline);
  result.calibrate_s = Seconds(t0);

  const fs::path out_path(options.out_path);
  const fs::path report_dir = options.report_dir.empty() ? out_path.parent_path() : fs::path(options.report_dir);
  if (!report_dir.empty()) fs::create_directories(report_dir);
  result.report = CalibrationReportJson(result.output.rig, result.output.report);
  result.report["inputs"] = {{"poses", options.poses_path},
                             {"intrinsics", options.intrinsics_path},
                             {"skeleton", poses.skeleton->name},
                             {"frames", poses.observations.num_frames()}};
  result.report["timings_s"]["read"] = result.read_s;
  result.report["timings_s"]["total_calibration"] = result.calibrate_s;
  const bool write_calibration = result.output.success &&
                                 (options.allow_check || result.output.report.verdict == Verdict::kGood);
  if (write_calibration) {
    std::ostringstream meta;
    meta << "[metadata]\nsoftware = \"epilabel\"\nverdict = \"" << VerdictName(result.output.report.verdict)
         << "\"\nscale_method = \"" << result.output.report.world.scale_method << "\"\nscale_uncertainty_rel = "
         << result.output.report.world.scale_sigma_rel << "\n";
    WriteCalibrationToml(result.output.rig, options.out_path, meta.str());
    result.written.push_back(options.out_path);
    if (!options.yaml_path.empty()) {
      WriteCalibrationYaml(result.output.rig, options.yaml_path);
      result.written.push_back(options.yaml_path);
    }
  }
  const std::string report_path = ((report_dir.empty() ? fs::path(".") : report_dir) / "report.json").string();
  WriteJson(result.report, report_path);
  result.written.push_back(report_path);
  if (options.write_html_report && write_calibration) {
    ReportPaths rp;
    rp.calibration = options.out_path;
    rp.report_json = report_path;
    rp.skeleton = poses.skeleton->name;
    rp.title = "EpiLabel calibration";
    const std::string html = ((report_dir.empty() ? fs::path(".") : report_dir) / "report.html").string();
    WriteHtmlReportFromFiles(rp, html);
    result.written.push_back(html);
  }
  return result;
}

}  // namespace epilabel
