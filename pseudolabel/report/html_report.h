// The interactive HTML report (`epilabel report`): ONE self-contained HTML file that shows a
// calibration and, when given, the 3D poses, the 2D detections and the report.json of a run.
//
// The page (drawn by the browser from data embedded in the file; no network at view time):
//  - a 3D view (three.js, bundled into the file at build time): camera frusta with names, the
//    floor grid (world z up), the 3D skeletons animated over time (play/pause, frame slider),
//    joints coloured by reprojection error with a colour legend;
//  - SVG plots: reprojection error histograms per camera, error over time, share of joints
//    triangulated per joint, the calibration's view graph with inlier counts;
//  - tables: the calibration (focal, position, rotation, uncertainty) and the verdict, the
//    per-camera triangulation statistics and every other field of report.json.
// Every input but the calibration is optional; the page shows what exists.
//
// Data layout in the file: one <script type="application/json" id="epilabel-data"> element
// holding small metadata as JSON and the per-frame arrays as base64 little-endian typed arrays
// ({"dtype": "f32"|"u8"|"f64", "shape": [...], "b64": "..."}): points [F, J, 3] float32 world
// metres (NaN = unknown), reproj_error_px [F, J] float32, n_views [F, J] uint8, per-camera mean
// error per frame [C, F] float32 (computed from the 2D poses), frame numbers [F] float64.
// About 430 bytes per frame for 17 joints and 8 cameras (10,000 frames: ~4.3 MB of data + ~1 MB
// of script).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "detection/io/points_io.h"
#include "detection/keypoints.h"
#include "geometry/core/camera.h"
#include "geometry/core/types.h"

namespace epilabel {

// What the report shows. Only `rig` is required.
struct ReportInputs {
  std::string title;                       // page title; empty: from the report kind
  Rig rig;                                 // the calibration (cameras without extrinsics get no frustum)
  std::optional<PointsFile> points;        // 3D poses (points3d.npz; the first person of several)
  // The further people of a multi-person points3d.npz, drawn beside `points` (same frames and
  // joints); `track_ids` names every person, `points` first (empty: 0, 1, ...).
  std::vector<Points3d> other_people;
  std::vector<int> track_ids;
  // 2D detections matched to `rig` by camera name (see MatchCameraNames) and to `points` by
  // frame number; with points they give the per-camera error histograms and error over time.
  std::optional<KeypointSequence> poses;
  std::string report_json;                 // report.json text (kind triangulation|calibration|label); may be empty
  std::vector<std::string> joint_names;    // empty: from points, else from the skeleton
  std::vector<Bone> bones;                 // empty: from the skeleton (named in report.json, matched by
                                           // joint names, or guessed from the joint count)
  std::string skeleton;                    // skeleton name; empty: see `bones`
  // Input paths shown on the page (e.g. {"calibration", "calib.toml"}).
  std::vector<std::pair<std::string, std::string>> sources;
};

struct HtmlReportOptions {
  // Detections below this confidence are left out of the per-camera errors computed from poses
  // (as TriangulationOptions::min_confidence).
  double min_confidence = 0.2;
  // Bins of the per-camera error histograms computed from poses: 0 to 1.5 times the 95th
  // percentile, larger errors (outliers) counted in the last bin.
  int histogram_bins = 20;
  // Longer sequences are subsampled (every k-th frame) to at most this many frames so that the
  // page stays light; 0 = never. The page says when it happened.
  int max_frames = 30000;
  // Playback speed of the animation, frames per second.
  double fps = 30.0;

  // Throws std::invalid_argument for negative values, bins < 1 or fps <= 0.
  void Check() const;
};

struct HtmlReportSummary {
  size_t bytes = 0;                 // size of the HTML file
  size_t data_bytes = 0;            // of which the embedded data (JSON + base64 arrays)
  int num_cameras = 0;
  int num_frames = 0;               // frames embedded (after subsampling)
  int frame_stride = 1;             // 1 = every frame
  int num_joints = 0;
  int num_people = 0;               // people drawn (1 + other_people when there are points)
  bool has_points = false, has_poses = false, has_report_json = false;
  bool camera_errors_from_poses = false;  // per-camera errors computed from the 2D poses
};

// The page as a string. Throws InputError for inconsistent inputs (points and poses with
// different joint counts, poses whose cameras do not match the calibration, report_json that is
// not a JSON object, bones out of range).
std::string RenderHtmlReport(const ReportInputs& inputs, const HtmlReportOptions& options = {},
                             HtmlReportSummary* summary = nullptr);

// Renders the page and writes it atomically to `out_path` (parent folders created).
HtmlReportSummary WriteHtmlReport(const ReportInputs& inputs, const std::string& out_path,
                                  const HtmlReportOptions& options = {});

// Paths of the files behind a report; empty = not given (the calibration is required).
struct ReportPaths {
  std::string calibration;   // calibration.toml
  std::string points;        // points3d.npz
  std::string poses;         // 2D keypoints: OpenPose folder, COCO folder or keypoints2d.npz
  std::string report_json;   // report.json
  std::string skeleton;      // skeleton name for the poses; empty: guessed
  std::string title;
};

// Reads the files (InputError naming the file for missing or malformed ones).
ReportInputs LoadReportInputs(const ReportPaths& paths);

// The one call for commands that write a report next to their outputs:
// WriteHtmlReport(LoadReportInputs(paths), out_path, options).
HtmlReportSummary WriteHtmlReportFromFiles(const ReportPaths& paths, const std::string& out_path,
                                           const HtmlReportOptions& options = {});

// Helpers of the data encoding (exposed for tests).
namespace report_encoding {
// Standard base64 (RFC 4648) with '=' padding.
std::string Base64Encode(const void* data, size_t size);
// Decodes standard base64; throws std::invalid_argument on characters outside the alphabet or a
// bad length.
std::vector<uint8_t> Base64Decode(const std::string& text);
// float32 little-endian bytes of `values`, base64-encoded.
std::string Float32Base64(const std::vector<double>& values);
// JSON text made safe inside an HTML <script> element ('<', '>' and '&' as \u escapes).
std::string EscapeJsonForScript(const std::string& json);
// The embedded data of a page written by RenderHtmlReport (the text of the epilabel-data script
// element), or empty when there is none.
std::string ExtractDataJson(const std::string& html);
}  // namespace report_encoding

}  // namespace epilabel
