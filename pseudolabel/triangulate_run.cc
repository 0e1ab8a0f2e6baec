#include "pseudolabel/triangulate_run.h"

#include <chrono>
#include <filesystem>

#include "detection/io/calibration_io.h"
#include "detection/io/people_points_io.h"
#include "detection/io/points_io.h"
#include "foundation/error.h"
#include "foundation/file_util.h"
#include "foundation/output_commit.h"
#include "pseudolabel/option_tables.h"
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

// points3d.{npz,csv,trc} in the requested formats; CSV and TRC one file per track when there
// are several.
// Written into the staging folder `stage`; `written` gets the final paths.
void WritePoints(const PeoplePoints& people, const TriangulateRunOptions& options, const fs::path& stage,
                 std::vector<std::string>* written) {
  const fs::path out(options.out_dir);
  if (options.formats.count("npz")) {
    WritePeoplePointsNpz(people, (stage / "points3d.npz").string());
    written->push_back((out / "points3d.npz").string());
  }
  const bool several = people.people.size() > 1;
  for (size_t q = 0; q < people.people.size(); ++q) {
    const std::string stem = several ? "points3d_track" + std::to_string(people.track_ids[q]) : "points3d";
    if (options.formats.count("csv")) {
      WriteAniposeCsv(people.people[q], (stage / (stem + ".csv")).string());
      written->push_back((out / (stem + ".csv")).string());
    }
    if (options.formats.count("trc")) {
      TrcOptions trc;
      trc.fps = options.stage.fps;
      WriteTrc(people.people[q], (stage / (stem + ".trc")).string(), trc);
      written->push_back((out / (stem + ".trc")).string());
    }
  }
}

// Final points that one camera alone places (filled by the smoothing along that camera's ray).
int64_t CountSingleView(const TriangulatedSequence& seq) {
  int64_t n = 0;
  for (frame_t f = 0; f < seq.points.num_frames(); ++f)
    for (joint_t j = 0; j < seq.points.num_joints(); ++j) n += seq.points.IsValid(f, j) && seq.num_views.at(f, j) == 1;
  return n;
}

// The report of a run: the first track's figures at the top level (as for one person), and a
// line per track when there are several.
nlohmann::json MakeReport(const TriangulateRunOptions& options, const Rig& rig, const Association& association,
                          const std::vector<TriangulatedSequence>& sequences, const TriangulateRunResult& r) {
  const PersonTrack& first = association.tracks.front();
  nlohmann::json report =
      TriangulationReportJson(rig, sequences.front().triangulation, first.skeleton->joint_names, first.skeleton->name,
                              sequences.front().smoothed ? &sequences.front().smoothing : nullptr,
                              options.stage.triangulation.min_confidence);
  report["inputs"] = {{"calibration", options.calibration_path}, {"poses", options.keypoints_path}};
  report["options"] = OptionsJson(TriangulateStageTable(), options.stage);
  if (!r.warnings.empty()) report["warnings"] = r.warnings;  // absent when none (reports as before)
  if (r.completed) {
    const SingleViewCompletionSummary& c = r.completion;
    report["single_view_completion"] = {{"candidates", c.candidates},
                                        {"several_views", c.several_views},
                                        {"completed", c.completed},
                                        {"from_bone", c.from_bone},
                                        {"completed_from_several", c.completed_from_several},
                                        {"refused_no_support", c.refused_no_support},
                                        {"refused_ambiguous", c.refused_ambiguous},
                                        {"refused_bone", c.refused_bone},
                                        {"refused_far", c.refused_far}};
  }
  report["timings_s"] = {{"read", r.read_s}, {"triangulate", r.triangulate_s}};
  if (association.tracks.size() > 1) {
    nlohmann::json people = nlohmann::json::array();
    for (size_t q = 0; q < association.tracks.size(); ++q) {
      nlohmann::json track = {{"track_id", association.tracks[q].id},
                              {"points_triangulated", sequences[q].triangulation.summary.num_triangulated},
                              {"points_total", sequences[q].triangulation.summary.num_points}};
      if (sequences[q].smoothed) {
        track["gaps_filled"] = sequences[q].smoothing.num_points_filled;
        track["points_single_view"] = CountSingleView(sequences[q]);
      } else if (sequences[q].completed) {
        track["points_single_view"] = sequences[q].completion.completed;
      }
      people.push_back(track);
    }
    report["people"] = {{"tracks", people}, {"association", association.summary.BriefReport()}};
  }
  return report;
}

// The files a triangulate run writes into its folder: an earlier run's that this one does not
// write (report.html after --no-report, the points of a track that no longer exists) go.
bool IsTriangulateOutput(const std::string& name) {
  const auto ends_with = [&name](const std::string& tail) {
    return name.size() >= tail.size() && name.compare(name.size() - tail.size(), tail.size(), tail) == 0;
  };
  if (name == "report.html" || name == "report.json") return true;
  return name.rfind("points3d", 0) == 0 && (ends_with(".npz") || ends_with(".csv") || ends_with(".trc"));
}

// Writes the points, report.json and report.html of the run into `stage`, the staging folder of
// options.out_dir; `result->written` gets their final paths.
void WriteOutputFiles(const TriangulateRunOptions& options, const Rig& rig, const KeypointInput& input,
                      const std::vector<PersonTrack>& tracks, const std::vector<TriangulatedSequence>& sequences,
                      const fs::path& stage, PeoplePoints* people, TriangulateRunResult* result) {
  WritePoints(*people, options, stage, &result->written);
  const nlohmann::json report = MakeReport(options, rig, result->association, sequences, *result);
  const fs::path out(options.out_dir);
  WriteJson(report, (stage / "report.json").string());
  result->written.push_back((out / "report.json").string());
  if (!options.write_html_report) return;
  std::vector<std::pair<std::string, std::string>> sources = {{"calibration", options.calibration_path}};
  if (options.formats.count("npz")) sources.emplace_back("points", (out / "points3d.npz").string());
  sources.emplace_back("poses", options.keypoints_path);
  sources.emplace_back("report", (out / "report.json").string());
  ReportInputs in = MakeReportInputs("EpiLabel triangulation", rig, &input.keypoints, *tracks.front().skeleton,
                                     std::move(people->people.front()), report, std::move(sources));
  for (size_t q = 1; q < people->people.size(); ++q) in.other_people.push_back(std::move(people->people[q].points));
  in.track_ids = people->track_ids;
  WriteHtmlReport(in, (stage / "report.html").string());
  result->written.push_back((out / "report.html").string());
}

}  // namespace

TriangulateRunResult RunTriangulate(const TriangulateRunOptions& options_in) {
  CheckFormats(options_in.formats);
  TriangulateRunOptions options = options_in;
  options.out_dir = WithoutTrailingSeparator(options.out_dir);
  std::error_code ec;
  if (fs::exists(options.out_dir, ec) && !fs::is_directory(options.out_dir, ec))
    throw InputError(options.out_dir, "exists and is not a folder (nothing was written)");
  RemoveStaleTemporaries(options.out_dir);  // of killed runs of the same output
  TriangulateRunResult result;
  auto t0 = std::chrono::steady_clock::now();
  const Rig calibration = ReadCalibrationToml(options.calibration_path);
  const KeypointInput input = LoadKeypointInput(options.keypoints_path, options.skeleton, 2, options.stage.progress);
  const Rig rig = MatchCalibration(calibration, options.calibration_path, input, CalibrationNeed::kIntrinsicsAndExtrinsics,
                                   &result.warnings);
  result.association = AssociatePeople(input, options.association, &rig);
  const AppliedOffsets offsets = OffsetsToApply(options.sync_path, &rig, input, options.stage.fps);
  if (!offsets.empty()) ResampleTracks(offsets.offsets_s, offsets.fps, offsets.reference, &result.association.tracks);
  const std::vector<PersonTrack>& tracks = result.association.tracks;
  result.read_s = SecondsSince(t0);
  result.num_frames = tracks.front().num_frames();
  result.num_cameras = tracks.front().num_cameras();
  result.num_joints = tracks.front().observations.num_joints();

  t0 = std::chrono::steady_clock::now();
  std::vector<TriangulatedSequence> sequences;
  PeoplePoints people;
  for (const PersonTrack& track : tracks) {
    sequences.push_back(TriangulateTrack(rig, track, options.stage));
    result.track_summaries.push_back(sequences.back().triangulation.summary);
    people.track_ids.push_back(track.id);
    people.people.push_back(MakePointsFile(sequences.back(), track));
  }
  result.summary = result.track_summaries.front();
  int64_t triangulated = 0;
  for (const TriangulationSummary& s : result.track_summaries) triangulated += s.num_triangulated;
  if (triangulated == 0)
    throw InputError(options.keypoints_path,
                     "no joint could be triangulated: check that the detections' confidences are above min_confidence (" +
                         std::to_string(options.stage.triangulation.min_confidence) + ") and that the calibration fits them");
  result.smoothed = sequences.front().smoothed;
  result.smoothing = sequences.front().smoothing;
  if (result.smoothed)
    for (const TriangulatedSequence& seq : sequences) result.track_smoothings.push_back(seq.smoothing);
  for (const TriangulatedSequence& seq : sequences) {
    if (!seq.completed) continue;
    result.completed = true;
    result.completion.Add(seq.completion);
  }
  result.triangulate_s = SecondsSince(t0);

  t0 = std::chrono::steady_clock::now();
  // The whole output is written into "OUT.tmp-<pid>" and moved into place once complete,
  // report.json (the mark of a complete folder) last (foundation/output_commit.h).
  OutputCommit commit;
  const fs::path stage = commit.StageFolder(options.out_dir, "report.json", IsTriangulateOutput);
  commit.Write([&] { WriteOutputFiles(options, rig, input, tracks, sequences, stage, &people, &result); });
  commit.Commit();
  result.write_s = SecondsSince(t0);
  return result;
}

}  // namespace epilabel
