// The `lift` run: monocular lifting of new 2D keypoints with a trained lifter. Reads the
// keypoints (and optionally a calibration for the image sizes), lifts each camera on its own
// and writes one points3d.npz per camera: root-relative points in that camera's frame (metres,
// x right, y down, z forward). With several cameras the files are OUT_<camera>.npz, the camera
// name made safe as a file name part (names from data never become paths).
#pragma once

#include <string>
#include <vector>

#include "foundation/progress.h"

namespace epilabel {

struct LiftRunOptions {
  std::string run_dir;                    // written by `train`
  std::string keypoints_path;             // OpenPose folder, COCO JSON, keypoints2d.npz
  std::string out_path;                   // points3d.npz (one camera) or the stem of one per camera
  std::vector<std::string> cameras;       // only these cameras; empty = all
  int image_width = 0, image_height = 0;  // every camera's image size; 0 = from the calibration or keypoints
  std::string calibration_path;           // calibration or intrinsics TOML giving the image sizes
  std::string skeleton;                   // empty: the lifter's
  bool flip_test = false;                 // average with the prediction of the mirrored input
  int hypotheses = 1;                     // diffusion: hypotheses (JPMA needs calibration_path for K)
  int steps = 5;                          // diffusion: DDIM steps
  bool no_jpma = false;                   // diffusion: average the hypotheses instead
  bool refine = false;                    // test-time refinement on the reprojection (needs K)
  int refine_steps = 3;                   // its Gauss-Newton steps
  int num_threads = 1;
  ProgressCallback progress;
};

struct LiftedCamera {
  std::string name;
  int frames = 0, lifted_frames = 0;      // frames with at least one lifted joint
  std::string path;                       // the file written
};
// The file's `uncertainty_m` holds the per-joint sigma of a lifter trained with an uncertainty
// head, or with several hypotheses (diffusion) their per-joint spread.

// Throws InputError for bad input (joint counts or skeleton unlike the lifter's, unknown image
// sizes, unmatched camera names), naming the file or the option key.
std::vector<LiftedCamera> RunLift(const LiftRunOptions& options);

}  // namespace epilabel
