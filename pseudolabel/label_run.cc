#include "pseudolabel/label_run.h"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "detection/io/calibration_io.h"
#include "detection/io/people_points_io.h"
#include "detection/io/points_io.h"
#include "foundation/error.h"
#include "foundation/file_util.h"
#include "foundation/output_commit.h"
#include "pseudolabel/option_tables.h"
#include "pseudolabel/report/json_number.h"
#include "pseudolabel/report_json.h"
#include "pseudolabel/run_outputs.h"
#include "pseudolabel/stages/intrinsics.h"
#include "pseudolabel/stages/people_calibration.h"
#include "pseudolabel/stages/report_inputs.h"
#include "pseudolabel/sync_run.h"

namespace fs = std::filesystem;

namespace epilabel {

namespace {

nlohmann::json GateCountsJson(const QualityGates& g, const GateCounts& c, const LabelDataset& d) {
  nlohmann::json per_camera = nlohmann::json::object();
  for (size_t i = 0; i < c.samples_per_camera.size() && i < d.camera_names.size(); ++i)
    per_camera[d.camera_names[i]] = c.samples_per_camera[i];
  nlohmann::json per_joint = nlohmann::json::object();
  for (size_t j = 0; j < c.valid_share_per_joint.size() && j < d.joint_names.size(); ++j)
    per_joint[d.joint_names[j]] = JsonNumber(c.valid_share_per_joint[j]);
  return {{"thresholds", QualityGatesJson(g)},
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
          {"mean_uncertainty_m", JsonNumber(c.mean_uncertainty_m)},
          {"mean_reprojection_error_px", JsonNumber(c.mean_error_px)}};
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

std::string SequenceName(const LabelRunOptions& options) {
  if (!options.sequence_name.empty()) return options.sequence_name;
  fs::path p = fs::path(options.keypoints_path);
  if (p.filename().empty()) p = p.parent_path();
  const std::string name = p.has_extension() ? p.stem().string() : p.filename().string();
  return name.empty() ? "sequence" : name;
}

// The stage options of a run, with the run's seed, threads and progress.
CalibrateStageOptions CalibrationStageOf(const LabelRunOptions& o) {
  CalibrateStageOptions c = o.calibration;
  c.seed = o.seed;
  c.num_threads = o.num_threads;
  c.progress = o.progress;
  return c;
}
TriangulateStageOptions TriangulationStageOf(const LabelRunOptions& o) {
  TriangulateStageOptions t = o.triangulation;
  t.triangulation.min_confidence = o.gates.min_confidence;
  t.num_threads = o.num_threads;
  t.progress = o.progress;
  return t;
}

// Files being written into the temporary folder, and the time spent on the data files.
struct Staging {
  fs::path dir;
  double write_s = 0.0;
  template <typename F>
  void Write(const F& write) {
    const auto w0 = std::chrono::steady_clock::now();
    write();
    write_s += SecondsSince(w0);
  }
};

// What the cameras are: given, or self-calibrated from every person's joints (the report gets
// the calibration's figures).
struct RigChoice {
  Rig rig;
  std::string source, verdict;
  std::vector<std::string> warnings;  // CheckImageSizes, CheckRigUnits
};
RigChoice ChooseRig(const LabelRunOptions& o, const KeypointInput& input, nlohmann::json* report) {
  RigChoice choice;
  if (!o.calibration_path.empty()) {
    choice.rig = MatchCalibration(ReadCalibrationToml(o.calibration_path), o.calibration_path, input,
                                  CalibrationNeed::kIntrinsicsAndExtrinsics, &choice.warnings);
    choice.source = choice.verdict = "given";
    return choice;
  }
  IntrinsicsSource source;
  if (!o.intrinsics_path.empty()) {
    source.file = ReadCalibrationToml(o.intrinsics_path);
    source.file_path = o.intrinsics_path;
  } else if (o.image_width > 0 && o.image_height > 0) {
    source.image_width = o.image_width;
    source.image_height = o.image_height;
  } else {
    throw InputError(o.keypoints_path, "give a full calibration, the intrinsics or the image size");
  }
  const Rig intrinsics = ResolveIntrinsics(source, input, &choice.warnings);
  const Rig association_rig = WithoutExtrinsics(intrinsics);
  Association people = AssociatePeople(input, o.association, &association_rig);
  const AppliedOffsets offsets = OffsetsToApply(o.sync_path, nullptr, input, o.triangulation.fps);
  if (!offsets.empty()) ResampleTracks(offsets.offsets_s, offsets.fps, offsets.reference, &people.tracks);
  // Several people: pooled, then (on the input's own timeline) associated again with the first
  // calibration and calibrated again when that is better (stages/people_calibration.h).
  CalibrateStageOptions stage = CalibrationStageOf(o);
  if (!offsets.empty()) stage.reassociation.enabled = false;
  const CalibrateStageResult cal =
      CalibrateFromPeople(intrinsics, input, people, o.association, [&] { return SinglePersonTrack(input, people); }, stage)
          .calibration;
  (*report)["calibration"] = CalibrationReportJson(cal.output.rig, cal.output.report);
  choice.verdict = VerdictName(cal.output.report.verdict);
  if (!cal.output.success) throw std::runtime_error("self-calibration failed: " + cal.output.report.BriefReport());
  choice.rig = cal.output.rig;
  choice.source = "self-calibrated";
  return choice;
}

// EpipolarPose-style two-view labels of the most confident person: intrinsics only, no bundle
// adjustment.
LabelDataset RunTwoViewLabels(const LabelRunOptions& o, const KeypointInput& input, const std::string& sequence,
                              LabelRunResult* result, nlohmann::json* report) {
  const std::string& path = !o.calibration_path.empty() ? o.calibration_path : o.intrinsics_path;
  if (path.empty()) throw InputError("pairs", "two-view labels need known intrinsics (a calibration or intrinsics file)");
  const Rig rig = MatchCalibration(ReadCalibrationToml(path), path, input, CalibrationNeed::kIntrinsics);
  AssociationOptions single = o.association;
  single.method = "single";
  const Association people = AssociatePeople(input, single);
  WorldFrameOptions scale = WorldFrameOptionsFor(*input.skeleton);
  scale.subject_height_m = o.calibration.subject_height_m;
  TwoViewLabels tv = MakeTwoViewLabels(rig, people.tracks.front(), o.gates, scale, sequence, o.seed);
  result->counts = tv.counts;
  result->calibration_source = "two-view pairs";
  result->verdict = "n/a";
  (*report)["calibration_source"] = result->calibration_source;
  (*report)["pairs"] = tv.pair_notes;
  return std::move(tv.dataset);
}

nlohmann::json PeopleJson(const Association& people, const std::vector<LabelStageResult>& labels) {
  nlohmann::json tracks = nlohmann::json::array();
  for (size_t q = 0; q < people.tracks.size(); ++q)
    tracks.push_back({{"track_id", people.tracks[q].id},
                      {"poses_kept", labels[q].counts.poses_kept},
                      {"samples", labels[q].counts.samples}});
  return {{"method", people.summary.method}, {"summary", people.summary.BriefReport()}, {"tracks", tracks}};
}

// Multi-view labels: cameras, association into people, then per person triangulation, gates
// and labels; writes the VideoPose3D export, points3d.npz and calibration.toml into the
// staging folder.
LabelDataset RunMultiViewLabels(const LabelRunOptions& o, const KeypointInput& input, const std::string& sequence,
                                Staging* staging, LabelRunResult* result, nlohmann::json* report,
                                std::optional<ReportInputs>* html) {
  const RigChoice choice = ChooseRig(o, input, report);
  result->calibration_source = choice.source;
  result->verdict = choice.verdict;
  result->warnings = choice.warnings;
  (*report)["calibration_source"] = result->calibration_source;
  if (!choice.warnings.empty()) (*report)["warnings"] = choice.warnings;  // absent when none
  Association people = AssociatePeople(input, o.association, &choice.rig);
  const AppliedOffsets offsets = OffsetsToApply(o.sync_path, &choice.rig, input, o.triangulation.fps);
  if (!offsets.empty()) ResampleTracks(offsets.offsets_s, offsets.fps, offsets.reference, &people.tracks);
  const bool several = people.tracks.size() > 1;
  const TriangulateStageOptions topt = TriangulationStageOf(o);
  std::vector<LabelStageResult> labels;
  std::vector<LabelDataset> datasets;
  std::vector<VideoPose3DExport> exports;
  PeoplePoints points;
  for (const PersonTrack& track : people.tracks) {
    const TriangulatedSequence seq = TriangulateTrack(choice.rig, track, topt);
    LabelStageOptions lopt;
    lopt.gates = o.gates;
    lopt.sequence_name = sequence;
    if (several) lopt.subject = sequence + "_p" + std::to_string(track.id);
    labels.push_back(LabelTrack(choice.rig, track, seq, lopt));
    AccumulateGateCounts(labels.back().counts, &result->counts);
    if (labels.size() == 1)
      (*report)["triangulation"] =
          TriangulationReportJson(choice.rig, seq.triangulation, track.skeleton->joint_names, track.skeleton->name,
                                  seq.smoothed ? &seq.smoothing : nullptr, topt.triangulation.min_confidence);
    datasets.push_back(std::move(labels.back().dataset));
    exports.push_back(std::move(labels.back().videopose3d));
    points.track_ids.push_back(track.id);
    points.people.push_back(MakePointsFile(seq, track));
  }
  if (several) (*report)["people"] = PeopleJson(people, labels);
  const VideoPose3DExport vp = MergeVideoPose3DExports(std::move(exports));
  staging->Write([&] { WriteVideoPose3DExport(vp, staging->dir.string(), o.export_name); });
  (*report)["videopose3d"] = {{"name", o.export_name}, {"actions", vp.num_actions}, {"frames", vp.num_frames}};
  staging->Write([&] {
    WritePeoplePointsNpz(points, (staging->dir / "points3d.npz").string());
    WriteCalibrationToml(choice.rig, (staging->dir / "calibration.toml").string());
  });
  if (o.write_html_report) {
    const fs::path out(o.out_dir);
    *html = MakeReportInputs("EpiLabel labels: " + sequence, choice.rig, nullptr, *input.skeleton,
                             std::move(points.people.front()), nlohmann::json(),
                             {{"calibration", (out / "calibration.toml").string()},
                              {"points", (out / "points3d.npz").string()},
                              {"report", (out / "report.json").string()}});
  }
  return several ? MergeDatasets(datasets, true) : std::move(datasets.front());
}

}  // namespace

void LabelRunOptions::Check() const {
  gates.Check();
  CheckOptionRanges(TriangulateStageTable(), triangulation, {"min_confidence"});
  CheckOptionRanges(CalibrateStageTable(), calibration, {"min_confidence"});
  if (!pairs.empty() && pairs != "neighbours")
    throw InputError("pairs", "unknown mode '" + pairs + "' (expected 'neighbours')");
  association.Check();
  if (export_name.empty() || export_name == "." || export_name == ".." || SafeFileNamePart(export_name) != export_name)
    throw InputError("export_name", "'" + export_name + "' is not a plain file name part (letters, digits, '-', '_', '.')");
  if (out_dir.empty()) throw InputError("out_dir", "no output folder given");
}

LabelRunResult RunLabel(const LabelRunOptions& options_in) {
  const auto t0 = std::chrono::steady_clock::now();
  options_in.Check();
  LabelRunOptions options = options_in;
  options.out_dir = WithoutTrailingSeparator(options.out_dir);
  CheckOutputFolder(options.out_dir);
  LabelRunResult result;
  const KeypointInput input = LoadKeypointInput(options.keypoints_path, options.skeleton, 2, options.progress);
  const double read_s = SecondsSince(t0);
  result.num_frames = static_cast<int>(input.keypoints.AllFrameNumbers().size());
  result.num_cameras = input.num_cameras();
  const std::string sequence = SequenceName(options);

  Staging staging;
  // Written into "OUT.tmp-<pid>" and renamed into place once complete; the staging folders of
  // killed runs of the same output go first (foundation/output_commit.h).
  staging.dir = StagingName(options.out_dir);
  RemoveStaleTemporaries(options.out_dir);
  std::error_code ec;
  fs::remove_all(staging.dir, ec);
  fs::create_directories(staging.dir);
  try {
    nlohmann::json report;
    report["kind"] = "label";
    report["sequence"] = sequence;
    report["inputs"] = {{"poses", options.keypoints_path},
                        {"calibration", options.calibration_path},
                        {"intrinsics", options.intrinsics_path},
                        {"skeleton", input.skeleton->name},
                        {"frames", result.num_frames},
                        {"cameras", input.camera_names}};
    report["options"] = {{"triangulation", OptionsJson(TriangulateStageTable(), TriangulationStageOf(options))},
                         {"calibration", OptionsJson(CalibrateStageTable(), options.calibration)}};
    std::optional<ReportInputs> html;
    LabelDataset dataset =
        options.pairs == "neighbours"
            ? RunTwoViewLabels(options, input, sequence, &result, &report)
            : RunMultiViewLabels(options, input, sequence, &staging, &result, &report, &html);
    if (dataset.num_samples() == 0) {
      // The calibration's warnings may say why (a file in millimetres fails every bone gate).
      std::string why;
      for (const std::string& w : result.warnings) why += "; warning: " + w;
      throw InputError(options.keypoints_path, "no pose passed the quality gates: no label was made (" +
                                                   std::to_string(result.counts.poses) + " frames; see min_confidence, "
                                                   "max_reprojection_error_px and the other gates)" + why);
    }
    staging.Write([&] { WriteDatasetNpz(dataset, (staging.dir / "dataset.npz").string()); });
    report["gates"] = GateCountsJson(options.gates, result.counts, dataset);
    report["samples"] = dataset.num_samples();
    result.seconds = SecondsSince(t0);
    // read: the keypoints; write: the data files; compute: the rest (calibration, triangulation,
    // gates, labels). report.html is written after report.json and is not counted.
    report["timings_s"] = {{"total", result.seconds},
                           {"read", read_s},
                           {"write", staging.write_s},
                           {"compute", std::max(0.0, result.seconds - read_s - staging.write_s)}};
    result.report = report;
    WriteJson(report, (staging.dir / "report.json").string());
    if (html) {
      html->report_json = report.dump(2) + "\n";
      WriteHtmlReport(*html, (staging.dir / "report.html").string());
    }
    CommitDirectory(staging.dir.string(), options.out_dir);
    result.dataset = std::move(dataset);
  } catch (...) {
    fs::remove_all(staging.dir, ec);
    throw;
  }
  return result;
}

}  // namespace epilabel
