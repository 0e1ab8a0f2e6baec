#include "pseudolabel/intrinsics_run.h"

#include <cctype>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <tbb/parallel_for.h>

#include "detection/dnn/frame_source.h"
#include "detection/io/calibration_io.h"
#include "foundation/error.h"
#include "foundation/file_util.h"
#include "foundation/output_commit.h"
#include "pseudolabel/report/json_number.h"

namespace fs = std::filesystem;

namespace epilabel {

namespace {

// Frames decoded before their boards are detected in parallel (bounds the memory).
constexpr int kDetectionBatch = 8;

struct CameraViews {
  std::vector<TargetView> accepted;
  std::vector<RejectedView> rejected;
  int frames_examined = 0;
  int width = 0, height = 0;
};

TargetView ToTargetView(const std::string& name, const BoardDetection& detection,
                        const std::vector<Eigen::Vector3d>& board_points) {
  TargetView view;
  view.name = name;
  view.image_points = detection.corners;
  for (int id : detection.ids) view.target_points.push_back(board_points[static_cast<size_t>(id)]);
  return view;
}

// Reads the frames of one input, keeps every `step`-th, detects the board in each.
CameraViews CollectViews(const std::string& input, const BoardSpec& board, const IntrinsicsRunOptions& options,
                         const std::string& camera) {
  CameraViews out;
  std::unique_ptr<FrameSource> source = FrameSource::Open(input);
  const bool folder = fs::is_directory(input);
  const std::vector<std::string> files = folder ? ListImageFiles(input) : std::vector<std::string>{};
  const int64_t count = source->FrameCountHint();
  const int64_t step = (!folder && count > options.max_video_frames)
                           ? (count + options.max_video_frames - 1) / options.max_video_frames
                           : 1;
  const std::vector<Eigen::Vector3d> board_points = board.CornerPoints();
  std::vector<cv::Mat> batch;
  std::vector<std::string> names;
  auto flush = [&]() {
    std::vector<BoardDetection> found(batch.size());
    tbb::parallel_for(size_t{0}, batch.size(), [&](size_t i) { found[i] = DetectBoard(batch[i], board, options.detection); });
    for (size_t i = 0; i < batch.size(); ++i) {
      if (found[i].accepted) {
        out.accepted.push_back(ToTargetView(names[i], found[i], board_points));
      } else {
        out.rejected.push_back({names[i], found[i].reason});
      }
    }
    batch.clear();
    names.clear();
  };
  cv::Mat frame;
  for (int64_t index = 0; source->Read(&frame); ++index) {
    if (index % step != 0) continue;
    if (out.frames_examined == 0) out.width = frame.cols, out.height = frame.rows;
    ++out.frames_examined;
    names.push_back(folder && index < static_cast<int64_t>(files.size()) ? fs::path(files[index]).filename().string()
                                                                           : "frame " + std::to_string(index));
    batch.push_back(frame.clone());
    if (static_cast<int>(batch.size()) == kDetectionBatch) flush();
    if (options.progress) options.progress("board " + camera, static_cast<size_t>(index + 1), count > 0 ? count : 0);
  }
  flush();
  return out;
}

CameraIntrinsicsSummary CalibrateCamera(const std::string& input, const BoardSpec& board,
                                        const IntrinsicsRunOptions& options) {
  CameraIntrinsicsSummary cam;
  cam.input = input;
  cam.name = IntrinsicsCameraName(input);
  CameraViews views = CollectViews(input, board, options, cam.name);
  cam.frames_examined = views.frames_examined;
  cam.views_accepted = static_cast<int>(views.accepted.size());
  cam.rejected = views.rejected;
  const std::vector<int> chosen = SelectViewsForCoverage(views.accepted, views.width, views.height, options.selection);
  for (int i : chosen) cam.views.push_back(views.accepted[i]);
  cam.coverage = ImageCoverage(views.accepted, chosen, views.width, views.height, 8, 8);
  cam.result = CalibrateIntrinsics(cam.views, views.width, views.height, options.calibration);
  cam.result.camera.name = cam.name;
  return cam;
}

std::string Fixed(double v, int digits) {
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(digits);
  os << v;
  return os.str();
}

std::string MetadataToml(const IntrinsicsRunSummary& run) {
  std::ostringstream os;
  os.precision(10);
  os << "[metadata]\nsource = \"epilabel intrinsics\"\nboard = \"" << run.board.ToString() << "\"\n";
  for (const auto& cam : run.cameras) {
    if (!cam.result.success) continue;
    os << "\n[metadata." << cam.name << "]\nrms_px = " << cam.result.rms_px << "\nviews = " << cam.views.size() << "\n";
    if (std::isfinite(cam.result.std_fx))  // the fisheye fit has no standard deviations
      os << "std_fx = " << cam.result.std_fx << "\nstd_fy = " << cam.result.std_fy << "\nstd_cx = " << cam.result.std_cx
         << "\nstd_cy = " << cam.result.std_cy << "\n";
  }
  return os.str();
}

nlohmann::json CameraJson(const CameraIntrinsicsSummary& cam) {
  const auto& r = cam.result;
  nlohmann::json rejected = nlohmann::json::array();
  for (const auto& v : cam.rejected) rejected.push_back({{"view", v.view}, {"reason", v.reason}});
  nlohmann::json views = nlohmann::json::array();
  for (size_t i = 0; i < cam.views.size(); ++i)
    views.push_back({{"view", cam.views[i].name},
                     {"rms_px", JsonNumber(i < r.view_rms_px.size() ? r.view_rms_px[i] : kNaN)}});
  nlohmann::json dist = nlohmann::json::array(), std_dist = nlohmann::json::array();
  for (int i = 0; i < 5; ++i) {
    dist.push_back(JsonNumber(r.camera.distortion[i]));
    std_dist.push_back(JsonNumber(r.std_distortion[i]));
  }
  return {{"name", cam.name},
          {"input", cam.input},
          {"success", r.success},
          {"message", r.message},
          {"size", {r.camera.width, r.camera.height}},
          {"lens", r.camera.lens == LensModel::kFisheye ? "fisheye" : "pinhole"},
          {"frames_examined", cam.frames_examined},
          {"views_accepted", cam.views_accepted},
          {"views", views},
          {"rejected", rejected},
          {"coverage", JsonNumber(cam.coverage)},
          {"rms_px", JsonNumber(r.rms_px)},
          {"fx", JsonNumber(r.camera.fx)},
          {"fy", JsonNumber(r.camera.fy)},
          {"cx", JsonNumber(r.camera.cx)},
          {"cy", JsonNumber(r.camera.cy)},
          {"distortions", dist},
          {"std_fx", JsonNumber(r.std_fx)},
          {"std_fy", JsonNumber(r.std_fy)},
          {"std_cx", JsonNumber(r.std_cx)},
          {"std_cy", JsonNumber(r.std_cy)},
          {"std_distortions", std_dist}};
}

// One panel per camera: the image outline and the corners of every used view (one colour per
// view); the panels are 240 px on their longer side.
std::string CoverageSvg(const IntrinsicsRunSummary& run) {
  const double panel = 240.0, gap = 20.0;
  std::ostringstream os;
  double x0 = gap;
  std::ostringstream body;
  double height_max = 0;
  for (size_t c = 0; c < run.cameras.size(); ++c) {
    const auto& cam = run.cameras[c];
    const double w = cam.result.camera.width, h = cam.result.camera.height;
    if (!(w > 0 && h > 0)) continue;
    const double s = panel / std::max(w, h);
    body << "<g transform=\"translate(" << Fixed(x0, 1) << "," << Fixed(gap + 16, 1) << ")\">\n";
    body << "<text x=\"0\" y=\"-4\" font-size=\"12\">" << cam.name << ": " << cam.views.size() << " views, "
         << Fixed(100 * cam.coverage, 0) << "% of cells, RMS " << Fixed(cam.result.rms_px, 2) << " px</text>\n";
    body << "<rect width=\"" << Fixed(w * s, 1) << "\" height=\"" << Fixed(h * s, 1)
         << "\" fill=\"#f4f4f4\" stroke=\"#333\"/>\n";
    for (size_t v = 0; v < cam.views.size(); ++v) {
      const int hue = static_cast<int>((v * 137) % 360);
      for (const auto& p : cam.views[v].image_points)
        body << "<circle cx=\"" << Fixed(p.x() * s, 1) << "\" cy=\"" << Fixed(p.y() * s, 1)
             << "\" r=\"1.6\" fill=\"hsl(" << hue << ",70%,45%)\"/>\n";
    }
    body << "</g>\n";
    x0 += w * s + gap;
    height_max = std::max(height_max, h * s);
  }
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << Fixed(std::max(x0, 300.0), 0) << "\" height=\""
     << Fixed(height_max + 2 * gap + 16, 0) << "\" font-family=\"sans-serif\">\n"
     << body.str() << "</svg>\n";
  return os.str();
}

}  // namespace

void IntrinsicsRunOptions::Check() const {
  if (inputs.empty()) throw InputError("inputs", "give one image folder or video per camera");
  if (out.empty()) throw InputError("out", "give the intrinsics TOML to write");
  if (max_video_frames < 3 || max_video_frames > 100000)
    throw InputError("max_video_frames", "must be in [3, 100000], got " + std::to_string(max_video_frames));
  ParseBoardSpec(board);
  detection.Check();
  selection.Check();
  calibration.Check();
  std::set<std::string> names;
  for (const auto& input : inputs) {
    std::error_code ec;
    if (!fs::exists(input, ec)) throw InputError(input, "no such file or folder");
    if (!names.insert(IntrinsicsCameraName(input)).second)
      throw InputError(input, "another input has the same camera name '" + IntrinsicsCameraName(input) +
                                  "' (cameras are named after the number in the input's name)");
  }
  CheckNotAnInput(out, inputs);
}

std::string IntrinsicsCameraName(const std::string& input) {
  const std::string name = CameraNameFromPath(input);
  size_t end = name.size();
  while (end > 0 && !std::isdigit(static_cast<unsigned char>(name[end - 1]))) --end;
  if (end == 0) return name;
  size_t begin = end;
  while (begin > 0 && std::isdigit(static_cast<unsigned char>(name[begin - 1]))) --begin;
  return "cam_" + name.substr(begin, end - begin);
}

IntrinsicsRunSummary RunIntrinsics(const IntrinsicsRunOptions& options) {
  options.Check();
  CheckOutputFile(options.out);
  IntrinsicsRunSummary run;
  run.board = ParseBoardSpec(options.board);
  run.toml_path = options.out;
  const fs::path dir = fs::path(options.out).parent_path();
  run.report_path = (dir / "report.json").string();
  run.svg_path = (dir / "coverage.svg").string();
  Rig rig;
  std::string failures;
  for (const auto& input : options.inputs) {
    run.cameras.push_back(CalibrateCamera(input, run.board, options));
    const auto& cam = run.cameras.back();
    if (cam.result.success) {
      rig.push_back(cam.result.camera);
    } else {
      failures += "\n  " + input + ": " + cam.result.message;
    }
  }
  if (rig.empty()) throw InputError(options.out, "no camera could be calibrated:" + failures);
  run.all_calibrated = rig.size() == run.cameras.size();
  // The three files are committed together, report.json last (foundation/output_commit.h).
  OutputCommit commit;
  const std::string toml = commit.StageFile(run.toml_path), svg = commit.StageFile(run.svg_path);
  const std::string report_path = commit.StageFile(run.report_path, /*marker=*/true);
  nlohmann::json cams = nlohmann::json::array();
  for (const auto& cam : run.cameras) cams.push_back(CameraJson(cam));
  const nlohmann::json report = {{"kind", "intrinsics"}, {"board", run.board.ToString()}, {"cameras", cams}};
  commit.Write([&] {
    WriteCalibrationToml(rig, toml, MetadataToml(run));
    WriteFileAtomic(svg, CoverageSvg(run));
    WriteFileAtomic(report_path, report.dump(2) + "\n");
  });
  commit.Commit();
  return run;
}

}  // namespace epilabel
