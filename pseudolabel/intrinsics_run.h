// The run behind `epilabel intrinsics`: camera intrinsics from views of a calibration board.
//
// One input per camera (an image folder or a video); the camera is named after the number in
// the input's name ("int_cam01_img" -> "cam_01", "videos/cam3.mp4" -> "cam_3"), so that the
// cameras match keypoint folders and calibrations by number as everywhere else. Per camera:
// the frames (every image; for a video at most max_video_frames evenly spaced frames), the board
// in each (sub-pixel corners; a view is rejected, with its reason, when the board is not found
// or partial, or blurred), a choice of views that cover the image when there are more than
// selection.max_views, then OpenCV's calibrateCamera. Outputs, written atomically: the
// intrinsics TOML (the layout `calibrate --intrinsics` reads, with a [metadata] table),
// report.json and coverage.svg (the corners of the used views over each image) beside it.
#pragma once

#include <string>
#include <vector>

#include "detection/dnn/board.h"
#include "foundation/progress.h"
#include "geometry/estimators/intrinsic_calibration.h"

namespace epilabel {

struct IntrinsicsRunOptions {
  std::vector<std::string> inputs;  // image folders or video files, one per camera
  std::string board;                // board spec (board.h), e.g. "checkerboard:4x7:0.06"
  std::string out;                  // the intrinsics TOML; report.json and coverage.svg beside it
  int max_video_frames = 300;       // frames examined per video, evenly spaced (all images of a folder)
  BoardDetectionOptions detection;
  CoverageSelectionOptions selection;
  IntrinsicCalibrationOptions calibration;
  ProgressCallback progress;
  // Throws InputError naming the option key (inputs, board, out, ...) when a value is wrong.
  void Check() const;
};

struct RejectedView {
  std::string view;    // image file name or "frame N"
  std::string reason;
};

struct CameraIntrinsicsSummary {
  std::string name;     // "cam_01"
  std::string input;    // the folder or video
  int frames_examined = 0;
  int views_accepted = 0;
  std::vector<TargetView> views;         // the views calibrated from (after the coverage selection)
  std::vector<RejectedView> rejected;
  double coverage = 0.0;                 // share of the 8x8 image cells holding a used corner
  IntrinsicCalibrationResult result;
};

struct IntrinsicsRunSummary {
  BoardSpec board;
  std::vector<CameraIntrinsicsSummary> cameras;
  std::string toml_path, report_path, svg_path;
  bool all_calibrated = false;  // every camera calibrated (the TOML holds only those that were)
};

// The camera name of an input path (see the file comment); the input's own name without digits.
std::string IntrinsicsCameraName(const std::string& input);

// Runs the whole command. Throws InputError for bad options or inputs (naming the file), and
// when no camera could be calibrated (naming the inputs and the reasons).
IntrinsicsRunSummary RunIntrinsics(const IntrinsicsRunOptions& options);

}  // namespace epilabel
