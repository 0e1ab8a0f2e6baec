#include "pseudolabel/calibrate_run.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <sstream>

#include "detection/io/calibration_io.h"
#include "foundation/error.h"
#include "foundation/file_util.h"
#include "foundation/output_commit.h"
#include "pseudolabel/option_tables.h"
#include "pseudolabel/report_json.h"
#include "pseudolabel/run_outputs.h"
#include "pseudolabel/stages/intrinsics.h"
#include "pseudolabel/stages/people_calibration.h"
#include "pseudolabel/stages/report_inputs.h"
#include "pseudolabel/stages/sync_calibration.h"
#include "pseudolabel/sync_run.h"

namespace fs = std::filesystem;

namespace epilabel {

namespace {

IntrinsicsSource SourceOf(const CalibrateRunOptions& options) {
  IntrinsicsSource source;
  if (!options.intrinsics_path.empty()) {
    source.file = ReadCalibrationToml(options.intrinsics_path);
    source.file_path = options.intrinsics_path;
  }
  source.image_width = options.image_width;
  source.image_height = options.image_height;
  return source;
}

std::string CalibrationMetadata(const CalibrationReport& report) {
  std::ostringstream meta;
  meta << "[metadata]\nsoftware = \"epilabel\"\nverdict = \"" << VerdictName(report.verdict)
       << "\"\nscale_method = \"" << report.world.scale_method << "\"\nscale_uncertainty_rel = "
       << report.world.scale_sigma_rel << "\n";
  if (std::isfinite(report.focal_uncertainty_rel))
    meta << "focal_uncertainty_rel = " << report.focal_uncertainty_rel << "\n";
  return meta.str();
}

std::vector<std::string> TakePaths(const CalibrateRunOptions& options) {
  std::vector<std::string> paths = {options.keypoints_path};
  paths.insert(paths.end(), options.more_takes.begin(), options.more_takes.end());
  return paths;
}

// The poses in report.json: the path, or the takes' paths.
nlohmann::json PosesJson(const CalibrateRunOptions& options) {
  if (options.more_takes.empty()) return options.keypoints_path;
  return TakePaths(options);
}

nlohmann::json TakesJson(const std::vector<TakeSummary>& takes) {
  nlohmann::json out = nlohmann::json::array();
  for (const TakeSummary& t : takes)
    out.push_back({{"path", t.path}, {"frames", t.frames}, {"cameras", t.cameras}, {"people", t.people},
                   {"used_frames", t.used_frames}});
  return out;
}

// Several takes: a note on what each gave, for the verdict.
void NoteTakes(const std::vector<TakeSummary>& takes, CalibrationReport* report) {
  if (takes.empty()) return;
  std::string text = std::to_string(takes.size()) + " takes of one rig pooled (people tracked within each take):";
  for (size_t k = 0; k < takes.size(); ++k) text += (k ? "; " : " ") + takes[k].BriefReport();
  report->notes.push_back(text);
}

// A take that repeats another's detections bit for bit (RepeatedTakeNotes): its people count
// twice, and the verdict's uncertainties (the jackknife) take the repeats for agreement, so a
// good verdict is not earned: it becomes check, with the repeats as its reasons.
void JudgeRepeatedTakes(const KeypointInput& input, CalibrationReport* report) {
  const std::vector<std::string> repeats = RepeatedTakeNotes(input);
  if (repeats.empty()) return;
  report->reasons.insert(report->reasons.end(), repeats.begin(), repeats.end());
  if (report->verdict == Verdict::kGood) report->verdict = Verdict::kCheck;
}

void CheckTakeOptions(const CalibrateRunOptions& options) {
  if (!options.more_takes.empty() && !options.sync_offsets_path.empty())
    throw InputError("sync-offsets", "one offsets file is one recording's: give one take (--poses once) with "
                                     "--sync-offsets, or let --sync estimate each take's offsets");
}

nlohmann::json MakeReport(const CalibrateRunOptions& options, const KeypointInput& input, const PersonTrack& track,
                          const CalibrateRunResult& r) {
  nlohmann::json report = CalibrationReportJson(r.output.rig, r.output.report);
  report["inputs"] = {{"poses", PosesJson(options)},
                      {"intrinsics", options.intrinsics_path},
                      {"skeleton", input.skeleton->name},
                      {"frames", track.num_frames()}};
  report["options"] = OptionsJson(CalibrateStageTable(), options.stage);
  report["timings_s"]["read"] = r.read_s;
  report["timings_s"]["total_calibration"] = r.calibrate_s;
  return report;
}

// The calibration page: the cameras (or those registered before a failure) and the bodies of
// the final triangulation.
void WriteCalibrationHtml(const CalibrateRunOptions& options, const KeypointInput& input, const PersonTrack& track,
                          const CalibrateRunResult& r, const fs::path& report_dir, bool calibration_written,
                          const std::string& html_path) {
  std::optional<PointsFile> points;
  if (r.output.success && !r.output.points.points.empty()) points = MakePointsFile(r.output.points, track);
  std::vector<std::pair<std::string, std::string>> sources;
  for (const std::string& path : TakePaths(options)) sources.emplace_back("poses", path);
  if (calibration_written) sources.insert(sources.begin(), {"calibration", options.out_path});
  sources.emplace_back("report", (report_dir / "report.json").string());
  const ReportInputs in = MakeReportInputs("EpiLabel calibration", ReportRig(r.output), &input.keypoints,
                                           *track.skeleton, std::move(points), r.report, std::move(sources));
  WriteHtmlReport(in, html_path);
}

fs::path ReportDir(const CalibrateRunOptions& options) {
  const fs::path dir = options.report_dir.empty() ? fs::path(options.out_path).parent_path()
                                                  : fs::path(WithoutTrailingSeparator(options.report_dir));
  return dir.empty() ? fs::path(".") : dir;
}

// Temporaries of every output left by killed runs go at the start of a run.
void RemoveStaleOutputTemporaries(const CalibrateRunOptions& options) {
  RemoveStaleTemporaries(options.out_path);
  if (!options.yaml_path.empty()) RemoveStaleTemporaries(options.yaml_path);
  for (const char* name : {"report.json", "report.html"}) RemoveStaleTemporaries((ReportDir(options) / name).string());
}

// The outputs of a run, committed together (foundation/output_commit.h): every file is written
// under a staging name beside its final one and renamed into place once all are complete,
// report.json (the mark of a complete run) last; a failed or killed run leaves the earlier
// outputs as they were. `metadata` empty: no calibration file (a failed or doubtful run).
// `write_html(path)` writes report.html when given.
void WriteOutputs(const CalibrateRunOptions& options, const Rig& rig, const std::string& metadata,
                  const nlohmann::json& report, const std::function<void(const std::string&)>& write_html,
                  std::vector<std::string>* written) {
  const fs::path report_dir = ReportDir(options);
  OutputCommit commit;
  commit.Write([&] {
    if (!metadata.empty()) {
      WriteCalibrationToml(rig, commit.StageFile(options.out_path), metadata);
      written->push_back(options.out_path);
      if (!options.yaml_path.empty()) {
        WriteCalibrationYaml(rig, commit.StageFile(options.yaml_path));
        written->push_back(options.yaml_path);
      }
    }
    if (write_html) write_html(commit.StageFile((report_dir / "report.html").string()));
    WriteJson(report, commit.StageFile((report_dir / "report.json").string(), /*marker=*/true));
  });
  written->push_back((report_dir / "report.json").string());
  if (write_html) written->push_back((report_dir / "report.html").string());
  commit.Commit();
}

nlohmann::json SyncJson(const SyncResult& sync, const std::vector<std::string>& names) {
  nlohmann::json cameras = nlohmann::json::array();
  for (size_t c = 0; c < sync.cameras.size(); ++c) {
    cameras.push_back({{"name", names[c]}, {"time_offset_s", sync.cameras[c].offset_s},
                       {"time_offset_frames", sync.cameras[c].offset_frames},
                       {"confidence", sync.cameras[c].confidence}, {"estimated", sync.cameras[c].estimated},
                       {"note", sync.cameras[c].note}});
    const double se = sync.cameras[c].standard_error_frames;
    if (se > 0.0) cameras.back()["standard_error_frames"] = std::isfinite(se) ? nlohmann::json(se) : nlohmann::json("inf");
    if (!sync.cameras[c].choice.empty()) cameras.back()["choice"] = sync.cameras[c].choice;
  }
  return {{"method", sync.method}, {"verdict", sync.Verdict()}, {"reason", sync.reason}, {"cameras", cameras}};
}

}  // namespace

namespace {

// calibrate --init: the given calibration refined with people (calibration_refinement.h).
nlohmann::json RefinementJson(const CalibrateRunOptions& options, const CalibrationRefinementResult& r) {
  nlohmann::json cameras = nlohmann::json::array();
  for (const CameraMove& m : r.moves)
    cameras.push_back({{"name", m.name},
                       {"rotation_deg", m.rotation_deg},
                       {"rotation_sigma_deg", m.rotation_sigma_deg},
                       {"center_m", m.center_m},
                       {"center_sigma_m", m.center_sigma_m},
                       {"moved", m.moved}});
  return {{"kind", "refinement"},
          {"inputs", {{"poses", PosesJson(options)}, {"init", options.init_path}}},
          {"success", r.success},
          {"failure_reason", r.failure_reason},
          {"moved", r.moved},
          {"cameras", cameras},
          {"rig_size_m", r.rig_size_m},
          {"joints", r.num_points},
          {"bundle_adjustment", r.ba.BriefReport()}};
}

CalibrateRunResult RunRefine(const CalibrateRunOptions& options) {
  if (!options.intrinsics_path.empty() || options.image_width > 0)
    throw InputError("init", "give either an initial calibration or intrinsics / an image size, not both");
  CalibrateRunResult result;
  auto t0 = std::chrono::steady_clock::now();
  const KeypointInput input = LoadTakes(TakePaths(options), options.skeleton, 3, options.stage.progress);
  std::vector<std::string> warnings;
  const Rig init = MatchCalibration(ReadCalibrationToml(options.init_path), options.init_path, input,
                                    CalibrationNeed::kIntrinsicsAndExtrinsics, &warnings);
  result.association = AssociatePeople(input, options.association, &init);
  const PersonTrack pooled =
      result.association.tracks.size() > 1 ? PoolTracks(result.association.tracks) : PersonTrack{};
  const PersonTrack& track = result.association.tracks.size() > 1 ? pooled : result.association.tracks.front();
  result.read_s = SecondsSince(t0);
  t0 = std::chrono::steady_clock::now();
  CalibrationRefinementOptions ro;
  ro.self = PipelineOptionsFor(*track.skeleton, options.stage, init).self;
  ro.refine_intrinsics = options.refine_intrinsics;
  result.refinement = RefineCalibration(init, track.observations, ro);
  result.calibrate_s = SecondsSince(t0);
  const CalibrationRefinementResult& r = *result.refinement;
  CalibrationReport& rep = result.output.report;
  result.output.success = r.success;
  result.output.rig = r.rig;
  rep.verdict = !r.success ? Verdict::kFailed : (r.moved.empty() ? Verdict::kGood : Verdict::kCheck);
  if (!r.success) rep.reasons.push_back(r.failure_reason);
  for (const CameraMove& m : r.moves)
    if (m.moved) {
      char text[200];
      std::snprintf(text, sizeof(text), "camera '%s' moved (bumped?): %.2f deg (sd %.3f), %.1f mm (sd %.1f)",
                    m.name.c_str(), m.rotation_deg, m.rotation_sigma_deg, 1000.0 * m.center_m, 1000.0 * m.center_sigma_m);
      rep.reasons.push_back(text);
    }
  rep.notes = warnings;
  const std::vector<TakeSummary> takes = SummariseTakes(input, result.association, track);
  NoteTakes(takes, &rep);
  JudgeRepeatedTakes(input, &rep);
  result.report = RefinementJson(options, r);
  if (!takes.empty()) result.report["takes"] = TakesJson(takes);
  result.report["verdict"] = {{"status", VerdictName(rep.verdict)}, {"reasons", rep.reasons}, {"notes", rep.notes}};
  std::string meta;
  if (r.success && (options.allow_check || rep.verdict == Verdict::kGood))
    meta = std::string("[metadata]\nsoftware = \"epilabel\"\nverdict = \"") + VerdictName(rep.verdict) +
           "\"\nrefined_from = " + nlohmann::json(options.init_path).dump() + "\n";
  WriteOutputs(options, r.rig, meta, result.report, nullptr, &result.written);
  return result;
}

}  // namespace

CalibrateRunResult RunCalibrate(const CalibrateRunOptions& options) {
  CheckOutputFile(options.out_path);
  if (!options.yaml_path.empty()) CheckOutputFile(options.yaml_path);
  CheckTakeOptions(options);
  std::vector<std::string> inputs = TakePaths(options);
  inputs.push_back(options.init_path.empty() ? options.intrinsics_path : options.init_path);
  CheckNotAnInput(options.out_path, inputs);
  if (!options.yaml_path.empty()) CheckNotAnInput(options.yaml_path, inputs);
  RemoveStaleOutputTemporaries(options);
  if (!options.init_path.empty()) return RunRefine(options);
  CalibrateRunResult result;
  auto t0 = std::chrono::steady_clock::now();
  const KeypointInput input = LoadTakes(TakePaths(options), options.skeleton, 2, options.stage.progress);
  std::vector<std::string> size_warnings;
  const Rig intrinsics = ResolveIntrinsics(SourceOf(options), input, &size_warnings);
  PersonTrack track;
  std::vector<SyncResult> take_sync;
  if (options.sync && !input.takes.empty()) {
    // Several takes, each with offsets of its own: each synchronised alone, then the cameras
    // from every take's tracks (stages/sync_calibration.h).
    SyncStageOptions sync_stage = options.sync_stage;
    sync_stage.fps = CameraFpsWithTimestamps(sync_stage, input);
    TakesSyncCalibrationResult synced =
        CalibrateUnsynchronisedTakes(intrinsics, input, options.association, options.stage, sync_stage);
    result.read_s = SecondsSince(t0) - synced.calibration.seconds - synced.sync_seconds;
    take_sync = std::move(synced.takes);
    result.association = std::move(synced.association);
    result.output = std::move(synced.calibration.output);
    for (const SyncResult& s : take_sync) JudgeTimeOffsets(s, &result.output.report);
    result.calibrate_s = synced.calibration.seconds + synced.sync_seconds;
    track = std::move(synced.used);
  } else if (options.sync || !options.sync_offsets_path.empty()) {
    // Association and offsets together: coarse offsets from motion, frame numbers shifted by
    // whole frames, people associated again, calibration, offsets refined with the cameras,
    // calibration again (stages/sync_calibration.h); the tracks end on the reference timeline.
    SyncStageOptions sync_stage = options.sync_stage;
    if (!options.sync_offsets_path.empty()) {
      const AppliedOffsets known = OffsetsToApply(options.sync_offsets_path, nullptr, input, sync_stage.default_fps);
      sync_stage.known_offsets_s = known.offsets_s;
      sync_stage.fps = known.fps;
      sync_stage.reference = input.camera_names[known.reference];
    }
    sync_stage.fps = CameraFpsWithTimestamps(sync_stage, input);
    SyncCalibrationResult synced =
        CalibrateUnsynchronised(intrinsics, input, options.association, options.stage, sync_stage);
    result.read_s = SecondsSince(t0) - synced.calibration.seconds - synced.sync_seconds;
    result.sync = std::move(synced.sync);
    result.association = std::move(synced.association);
    result.association.tracks = std::move(synced.tracks);
    result.output = std::move(synced.calibration.output);
    JudgeTimeOffsets(result.sync, &result.output.report);
    result.calibrate_s = synced.calibration.seconds + synced.sync_seconds;
    track = std::move(synced.used);
  } else {
    const Rig association_rig = WithoutExtrinsics(intrinsics);
    result.association = AssociatePeople(input, options.association, &association_rig);
    result.read_s = SecondsSince(t0);
    // Several people: their correspondences pooled into one sequence for the self-calibration
    // (or, when that fails, the most confident figure of each view), then associated again with
    // that calibration and calibrated again, kept when better (stages/people_calibration.h).
    PeopleCalibrationResult calibrated =
        CalibrateFromPeople(intrinsics, input, result.association, options.association,
                            [&] { return SinglePersonTrack(input, result.association); }, options.stage);
    result.output = std::move(calibrated.calibration.output);
    result.calibrate_s = calibrated.calibration.seconds;
    result.association = std::move(calibrated.association);
    track = std::move(calibrated.used);
  }
  for (const std::string& w : size_warnings) result.output.report.notes.push_back(w);
  const std::vector<TakeSummary> takes = SummariseTakes(input, result.association, track);
  NoteTakes(takes, &result.output.report);
  JudgeRepeatedTakes(input, &result.output.report);

  result.report = MakeReport(options, input, track, result);
  if (!takes.empty()) result.report["takes"] = TakesJson(takes);
  if (!take_sync.empty()) {
    nlohmann::json per_take = nlohmann::json::array();
    for (size_t k = 0; k < take_sync.size(); ++k) {
      per_take.push_back(SyncJson(take_sync[k], input.camera_names));
      per_take.back()["take"] = input.takes[k].path;
    }
    result.report["sync"] = {{"takes", per_take}};
  } else if (options.sync || !options.sync_offsets_path.empty()) {
    result.report["sync"] = SyncJson(result.sync, input.camera_names);
  }
  const bool write_calibration =
      result.output.success && (options.allow_check || result.output.report.verdict == Verdict::kGood);
  const fs::path report_dir = ReportDir(options);
  std::function<void(const std::string&)> write_html;
  if (options.write_html_report)
    write_html = [&](const std::string& path) {
      WriteCalibrationHtml(options, input, track, result, report_dir, write_calibration, path);
    };
  WriteOutputs(options, result.output.rig, write_calibration ? CalibrationMetadata(result.output.report) : "",
               result.report, write_html, &result.written);
  return result;
}

}  // namespace epilabel
