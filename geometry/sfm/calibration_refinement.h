// Refining an existing calibration with people (`calibrate --init`): no initial pair and no
// registration; the world frame (metric, floor) stays the one of the given calibration.
//
//  1. triangulate the frames with the given rig (robust: a bumped camera's views are outliers);
//  2. bundle-adjust every camera's pose (optionally focal and k1) on every usable observation of
//     those points, so that a camera that moved is pulled back to its joints (Huber loss);
//  3. align the adjusted rig onto the given one by a similarity of the camera centres, robustly:
//     the camera that disagrees most is left out while it moved beyond the limits below and three
//     cameras remain; the adjusted rig is then expressed in the given world frame;
//  4. per camera: how far it moved (rotation, centre) against its uncertainty (the adjustment's
//     covariance), and the cameras that moved ("bumped").
#pragma once

#include <string>
#include <vector>

#include "geometry/sfm/self_calibration.h"

namespace epilabel {

struct CalibrationRefinementOptions {
  // Frames, triangulation and adjustment settings (max_ba_frames, min_confidence,
  // triangulation_threshold_px, symmetric_pairs, ba: loss, outlier rounds, num_threads).
  SelfCalibrationOptions self;
  bool refine_intrinsics = false;   // also each camera's focal length and k1
  // A camera moved when its rotation move exceeds max(sigma_factor x its sigma, min_move_deg)
  // or its centre move exceeds max(sigma_factor x its sigma, min_move_rel x the rig size).
  // The floors keep a camera whose covariance is tiny (or zero: the adjustment's gauge camera)
  // from being named for a move of the noise: the unmoved studio rig (h36m4, 900 frames, 3 px
  // detections, seed 2) moved by at most 0.07 deg and 2.2 mm (0.03 % of its 7.3 m).
  double sigma_factor = 3.0;
  double min_move_deg = 0.25;
  double min_move_rel = 0.003;
  // Throws InputError naming the option key when a value is out of range.
  void Check() const;
};

struct CameraMove {
  std::string name;
  double rotation_deg = kNaN;        // angle between the given and the refined rotation
  double center_m = kNaN;            // distance between the given and the refined centre (world units)
  double rotation_sigma_deg = kNaN;  // one standard deviation of the refined pose (adjustment covariance)
  double center_sigma_m = kNaN;
  bool moved = false;                // beyond the limits of CalibrationRefinementOptions
};

struct CalibrationRefinementResult {
  bool success = false;
  std::string failure_reason;
  Rig rig;                           // refined, in the given calibration's world frame
  std::vector<CameraMove> moves;     // per camera, rig order
  std::vector<std::string> moved;    // names of the cameras that moved
  BundleAdjustmentSummary ba;
  int num_points = 0;                // 3D joints in the adjustment
  double rig_size_m = kNaN;          // largest distance between two given camera centres
  std::string BriefReport() const;
};

// `init`: every camera with intrinsics and extrinsics (three cameras or more); `obs`: its
// cameras' joints, [cameras][frames][joints]. Never throws for degenerate data (the result says
// what went wrong); throws std::invalid_argument when the sizes disagree.
CalibrationRefinementResult RefineCalibration(const Rig& init, const Observations2d& obs,
                                              const CalibrationRefinementOptions& options);

}  // namespace epilabel
