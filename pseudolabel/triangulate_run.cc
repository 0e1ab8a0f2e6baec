#include "pseudolabel/triangulate_run.h"

#include <chrono>
#include <filesystem>

#include "detection/io/calibration_io.h"
#include "detection/io/points_io.h"
#include "foundation/error.h"
#include "pseudolabel/report_json.h"
#include "pseudolabel/run_outputs.h"
#include "pseudolabel/stages/report_inputs.h"

namespace fs = std::filesystem;

namespace epilabel {

namespace {

void CheckFormats(const std::set<std::string>& formats) {
  if (formats.empty()) throw InputError("format", "no output format given (npz, csv, trc)");
  for (const auto& f : formats)
    if (f != "npz" && f != "csv" && f != "trc") throw InputError("format", "unknown format '" + f + "' (npz, csv, trc)");
}

// points3d.{npz,csv,trc} in the requested formats.
void WritePoints(const PointsFile& pf, const TriangulateRunOptions& options, std::vector<std::string>* written) {
  const fs::path out(options.out_dir);
  if (options.formats.count("npz")) {
    WritePointsNpz(pf, (out / "points3d.npz").string());
    written->push_back((out / "points3d.npz").string());
  }
  if (options.formats.count("csv")) {
    WriteAniposeCsv(pf, (out / "points3d.csv").string());
    written->push_back((out / "points3d.csv").string());
  }
  if (options.formats.count("trc")) {
    TrcOptions trc;
    trc.fps = options.stage.fps;
    WriteTrc(pf, (out / "points3d.trc").string(), trc);
    written->push_back((out / "points3d.trc").string());
  }
}

}  // namespace

TriangulateRunResult RunTriangulate(const TriangulateRunOptions& options) {
  CheckFormats(options.formats);
  TriangulateRunResult result;
  auto t0 = std::chrono::steady_clock::now();
  const Rig calibration = ReadCalibrationToml(options.calibration_path);
  const KeypointInput input = LoadKeypointInput(options.keypoints_path, options.skeleton, 2, options.stage.progress);
  const Rig rig = MatchCalibration(calibration, options.calibration_path, input, CalibrationNeed::kIntrinsicsAndExtrinsics);
  result.association = AssociatePeople(input, options.association);
  const PersonTrack& track = result.association.tracks.front();
  result.read_s = SecondsSince(t0);
  result.num_frames = track.num_frames();
  result.num_cameras = track.num_cameras();
  result.num_joints = track.observations.num_joints();

  t0 = std::chrono::steady_clock::now();
  const TriangulatedSequence seq = TriangulateTrack(rig, track, options.stage);
  result.summary = seq.triangulation.summary;
  result.smoothed = seq.smoothed;
  result.smoothing = seq.smoothing;
  result.triangulate_s = SecondsSince(t0);

  t0 = std::chrono::steady_clock::now();
  fs::create_directories(options.out_dir);
  PointsFile pf = MakePointsFile(seq, track);
  WritePoints(pf, options, &result.written);
  nlohmann::json report = TriangulationReportJson(rig, seq.triangulation, track.skeleton->joint_names,
                                                  track.skeleton->name, seq.smoothed ? &seq.smoothing : nullptr,
                                                  options.stage.triangulation.min_confidence);
  report["inputs"] = {{"calibration", options.calibration_path}, {"poses", options.keypoints_path}};
  report["timings_s"] = {{"read", result.read_s}, {"triangulate", result.triangulate_s}};
  const fs::path out(options.out_dir);
  WriteJson(report, (out / "report.json").string());
  result.written.push_back((out / "report.json").string());
  if (options.write_html_report) {
    std::vector<std::pair<std::string, std::string>> sources = {{"calibration", options.calibration_path}};
    if (options.formats.count("npz")) sources.emplace_back("points", (out / "points3d.npz").string());
    sources.emplace_back("poses", options.keypoints_path);
    sources.emplace_back("report", (out / "report.json").string());
    const ReportInputs in = MakeReportInputs("EpiLabel triangulation", rig, &input.keypoints, *track.skeleton,
                                             std::move(pf), report, std::move(sources));
    WriteHtmlReport(in, (out / "report.html").string());
    result.written.push_back((out / "report.html").string());
  }
  result.write_s = SecondsSince(t0);
  return result;
}

}  // namespace epilabel
