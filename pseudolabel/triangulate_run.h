// The `triangulate` run, an edge of the pipeline: reads a calibration and keypoints, runs the
// stages (association -> triangulation of every track) in memory and writes the outputs:
//   OUT/points3d.npz (and .csv, .trc on request), OUT/report.json, OUT/report.html
// With several tracks points3d.npz holds [frames, people, joints, 3] and `track_ids` (see
// detection/io/people_points_io.h), and CSV/TRC are one file per track
// (points3d_track<ID>.csv), as Pose2Sim writes them.
// Each file is written under a temporary name and renamed when complete; report.json comes
// last among the data files, so a folder with a report.json is complete.
#pragma once

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "foundation/progress.h"
#include "pseudolabel/keypoint_input.h"
#include "pseudolabel/stages/association.h"
#include "pseudolabel/sync_run.h"
#include "pseudolabel/stages/triangulate.h"

namespace epilabel {

struct TriangulateRunOptions {
  std::string calibration_path;
  std::string keypoints_path;
  std::string out_dir;
  std::string skeleton;                     // empty: guessed
  // Unsynchronised cameras: sync.toml of `epilabel sync` (else the calibration's time_offset at
  // stage.fps); every track is resampled onto the reference timeline (stages/sync.h).
  std::string sync_path;
  std::set<std::string> formats = {"npz"};  // npz, csv, trc
  AssociationOptions association;
  TriangulateStageOptions stage;            // triangulation, smoothing, fps, threads, progress
  bool write_html_report = true;
};

struct TriangulateRunResult {
  Association association;
  TriangulationSummary summary;          // of the first track
  std::vector<TriangulationSummary> track_summaries;  // one per track
  bool smoothed = false;                 // every track is smoothed when asked
  SequenceSmoothingSummary smoothing;    // of the first track
  std::vector<SequenceSmoothingSummary> track_smoothings;  // one per track when smoothed
  // The per-frame single-view completion, summed over the tracks (when it ran: not smoothed).
  bool completed = false;
  SingleViewCompletionSummary completion;
  std::vector<std::string> written;      // output files
  std::vector<std::string> warnings;     // e.g. image sizes that differ (CheckImageSizes)
  double read_s = 0, triangulate_s = 0, write_s = 0;
  int num_frames = 0, num_cameras = 0, num_joints = 0;
};

// Throws InputError for bad input (files, formats), naming the file or the option key.
TriangulateRunResult RunTriangulate(const TriangulateRunOptions& options);

}  // namespace epilabel
