#include "pseudolabel/sync_run.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "detection/io/calibration_io.h"
#include "detection/io/camera_matching.h"
#include "foundation/error.h"
#include "foundation/file_util.h"
#include "foundation/output_commit.h"
#include "pseudolabel/stages/sync_calibration.h"

namespace epilabel {

namespace {

std::string Float(double v) {
  if (v == 0.0 || !std::isfinite(v)) v = 0.0;
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof(buf), v);
  std::string s(buf, res.ptr);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

// A TOML basic string (JSON escaping is valid TOML).
std::string Quoted(const std::string& s) { return nlohmann::json(s).dump(); }

std::string Names(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

// The frame rate of every keypoint camera: per name where given, else the default.
std::vector<double> CameraFps(const SyncRunOptions& options, const std::vector<std::string>& names) {
  std::vector<double> fps(names.size(), options.stage.default_fps);
  for (const auto& [name, rate] : options.camera_fps) {
    size_t c = 0;
    while (c < names.size() && names[c] != name) ++c;
    if (c == names.size()) {
      throw InputError(options.keypoints_path, "a frame rate is given for camera '" + name +
                                                   "', which is not among the cameras (" + Names(names) + ")");
    }
    fps[c] = rate;
  }
  return fps;
}

// The offsets of the sync.toml at `path` for the cameras `names` (matched by name), relative to
// `reference`: a start for the calibrated refinement.
SyncResult StartFromFile(const std::string& path, const std::vector<std::string>& names, const std::vector<double>& fps,
                         int reference) {
  const TimeOffsetsFile file = ReadSyncToml(path);
  std::vector<double> offsets_s, confidence;
  for (const std::string& name : names) {
    const auto it = std::find(file.names.begin(), file.names.end(), name);
    if (it == file.names.end())
      throw InputError(path, "no camera named '" + name + "' (its cameras: " + Names(file.names) + ")");
    const size_t k = static_cast<size_t>(it - file.names.begin());
    offsets_s.push_back(file.offsets_s[k]);
    confidence.push_back(file.confidence[k]);
  }
  return GivenOffsets(offsets_s, fps, reference, confidence);
}

}  // namespace

SyncRunResult RunSync(const SyncRunOptions& options) {
  CheckOutputFile(options.out_path);
  CheckNotAnInput(options.out_path, {options.keypoints_path, options.calibration_path, options.start_path});
  const KeypointInput input = LoadKeypointInput(options.keypoints_path, options.skeleton, 2, options.progress);
  SyncStageOptions stage = options.stage;
  stage.fps = CameraFps(options, input.camera_names);
  stage.fps = CameraFpsWithTimestamps(stage, input);
  const auto& names = input.camera_names;
  if (!stage.reference.empty() && std::find(names.begin(), names.end(), stage.reference) == names.end()) {
    throw InputError(options.keypoints_path,
                     "reference camera '" + stage.reference + "' is not among the cameras (" + Names(names) + ")");
  }
  stage.Check(names);
  SyncRunResult result;
  Rig rig;
  if (!options.calibration_path.empty()) {
    rig = MatchCalibration(ReadCalibrationToml(options.calibration_path), options.calibration_path, input,
                           CalibrationNeed::kIntrinsicsAndExtrinsics, &result.warnings);
  }
  const Association association = AssociatePeople(input, options.association, rig.empty() ? nullptr : &rig);
  result.camera_names = input.camera_names;
  result.fps = stage.fps;
  // Several people: the association above matched frames by number, which pairs the wrong
  // figures across offset cameras; the people are paired by their motion instead, and with a
  // calibration associated again once the whole frames are shifted, then refined.
  if (!options.start_path.empty()) {
    if (rig.empty()) throw InputError(options.start_path, "a start to refine needs a calibration (--calib)");
    const int reference = stage.ReferenceIndex(names);
    const SyncResult start = StartFromFile(options.start_path, names, stage.fps, reference);
    result.sync = association.summary.views_with_several > 0
                      ? RefineOffsetsOfPeople(input, rig, start, options.association, stage)
                      : RefineOffsetsWithCalibration(rig, MakeSyncInput(association.tracks, stage.fps, reference), start,
                                                     stage.calibrated);
  } else if (association.summary.views_with_several > 0) {
    result.sync = EstimateTimeOffsetsOfPeople(input, stage, options.association.uncalibrated);
    if (!rig.empty() && stage.refine) {  // read with extrinsics (kIntrinsicsAndExtrinsics)
      result.sync = RefineOffsetsOfPeople(input, rig, result.sync, options.association, stage);
    }
  } else {
    result.sync = EstimateTimeOffsets(association.tracks, stage, rig.empty() ? nullptr : &rig);
  }
  result.verdict = result.sync.Verdict();
  WriteSyncToml(result, options.out_path);
  result.written.push_back(options.out_path);
  return result;
}

void WriteSyncToml(const SyncRunResult& result, const std::string& path) {
  const SyncResult& s = result.sync;
  std::ostringstream os;
  os << "# Time offsets written by `epilabel sync`: camera time t shows what the reference camera shows\n"
     << "# at t + time_offset (seconds).\n";
  os << "[metadata]\n";
  os << "reference = " << Quoted(result.camera_names.at(s.reference)) << "\n";
  os << "method = " << Quoted(s.method) << "\n";
  os << "verdict = " << Quoted(result.verdict) << "\n";
  if (!s.success) os << "reason = " << Quoted(s.reason) << "\n";
  os << "motion = " << Float(s.motion) << "\n";
  for (size_t c = 0; c < result.camera_names.size(); ++c) {
    const CameraOffset o = c < s.cameras.size() ? s.cameras[c] : CameraOffset{};
    os << "\n[cam_" << c << "]\n";
    os << "name = " << Quoted(result.camera_names[c]) << "\n";
    os << "time_offset = " << Float(s.success ? o.offset_s : 0.0) << "\n";
    os << "time_offset_frames = " << Float(s.success ? o.offset_frames : 0.0) << "\n";
    os << "fps = " << Float(result.fps[c]) << "\n";
    os << "confidence = " << Float(o.confidence) << "\n";
    os << "estimated = " << (s.success && o.estimated ? "true" : "false") << "\n";
    if (o.peak_correlation != 0.0) os << "peak_correlation = " << Float(o.peak_correlation) << "\n";
    if (o.cost_px != 0.0) os << "reprojection_px = " << Float(o.cost_px) << "\n";
    if (o.standard_error_frames > 0.0 && std::isfinite(o.standard_error_frames))
      os << "standard_error_frames = " << Float(o.standard_error_frames) << "\n";
    if (!o.note.empty()) os << "note = " << Quoted(o.note) << "\n";
    if (!o.choice.empty()) os << "choice = " << Quoted(o.choice) << "\n";
  }
  WriteFileAtomic(path, os.str());
}

TimeOffsetsFile ReadSyncToml(const std::string& path) {
  toml::table root;
  try {
    root = toml::parse(ReadFileToString(path), path);
  } catch (const toml::parse_error& e) {
    throw InputError(path + ":" + std::to_string(e.source().begin.line), std::string(e.description()));
  }
  TimeOffsetsFile file;
  if (const toml::table* meta = root["metadata"].as_table()) {
    file.reference = (*meta)["reference"].value_or(std::string());
    file.verdict = (*meta)["verdict"].value_or(std::string());
  }
  for (const auto& [key, node] : root) {
    const toml::table* t = node.as_table();
    if (t == nullptr || key.str() == "metadata") continue;
    const auto name = (*t)["name"].value<std::string>();
    const auto offset = (*t)["time_offset"].value<double>();
    const double fps = (*t)["fps"].value_or(30.0);
    if (!name || !offset || !std::isfinite(*offset)) {
      throw InputError(path, "[" + std::string(key.str()) + "] needs name (a string) and time_offset (seconds)");
    }
    if (!(fps > 0.0 && std::isfinite(fps))) throw InputError(path, "[" + std::string(key.str()) + "] fps must be positive");
    file.names.push_back(*name);
    file.offsets_s.push_back(*offset);
    file.fps.push_back(fps);
    file.confidence.push_back((*t)["confidence"].value_or(0.0));
  }
  if (file.names.empty()) throw InputError(path, "no camera table (expected [cam_0] with name and time_offset)");
  if (file.verdict == "refused") {
    throw InputError(path, "the offsets were refused when estimated (see its reason); synchronise otherwise");
  }
  return file;
}

AppliedOffsets OffsetsToApply(const std::string& sync_path, const Rig* rig, const KeypointInput& input,
                              double default_fps) {
  AppliedOffsets out;
  const int n = input.num_cameras();
  if (!sync_path.empty()) {
    const TimeOffsetsFile file = ReadSyncToml(sync_path);
    Rig named;
    for (const std::string& name : file.names) {
      named.emplace_back();
      named.back().name = name;
    }
    const std::vector<int> match = MatchRigCameras(input.camera_names, named, sync_path + " vs " + input.path);
    for (int c = 0; c < n; ++c) {
      out.offsets_s.push_back(file.offsets_s[match[c]]);
      out.fps.push_back(file.fps[match[c]]);
      if (file.names[match[c]] == file.reference) out.reference = c;
    }
    return out;
  }
  bool any = false;
  for (int c = 0; rig != nullptr && c < n; ++c) any = any || (*rig)[c].time_offset != 0.0;
  if (!any) return out;
  for (int c = 0; c < n; ++c) out.offsets_s.push_back((*rig)[c].time_offset);
  out.fps = input.MeasuredFps();
  for (double& rate : out.fps) rate = rate > 0.0 ? rate : default_fps;
  return out;
}

}  // namespace epilabel
