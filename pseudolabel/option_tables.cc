#include "pseudolabel/option_tables.h"

#include <limits>

namespace epilabel {

const OptionTable<QualityGates>& QualityGatesTable() {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  using G = QualityGates;
  static const OptionTable<G> table = {
      {"min_views", "Gate: views per joint (the triangulation's)", std::function<int&(G&)>([](G& g) -> int& { return g.min_views; }),
       2, kInf, false, {}},
      {"max_reprojection_error_px", "Gate: mean reprojection error of a joint (px)",
       std::function<double&(G&)>([](G& g) -> double& { return g.max_reprojection_error_px; }), 0, std::numeric_limits<double>::infinity(), true,
       {"max_error_px"}},
      {"max_bone_deviation_rel", "Gate: bone length deviation from the sequence median (share)",
       std::function<double&(G&)>([](G& g) -> double& { return g.max_bone_deviation_rel; }), 0, std::numeric_limits<double>::infinity(), true,
       {"max_bone_deviation"}},
      {"max_uncertainty_m", "Gate: 3D standard deviation of a joint (m)",
       std::function<double&(G&)>([](G& g) -> double& { return g.max_uncertainty_m; }), 0, std::numeric_limits<double>::infinity(), true,
       {"max_uncertainty"}},
      {"min_valid_share", "Gate: share of valid joints to keep a pose",
       std::function<double&(G&)>([](G& g) -> double& { return g.min_valid_share; }), 0, 1, false, {}},
      {"min_camera_joint_share", "A camera gives a sample when it detected this share of the joints",
       std::function<double&(G&)>([](G& g) -> double& { return g.min_camera_joint_share; }), 0, 1, false,
       {"min_camera_joints"}},
      {"min_confidence", "Detections below this confidence do not count (also for the triangulation)",
       std::function<double&(G&)>([](G& g) -> double& { return g.min_confidence; }), 0, 1, false, {}},
  };
  return table;
}

}  // namespace epilabel

namespace epilabel {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

}  // namespace

// The tables from here on give an entry's range and aliases only where its key has them
// (OptionSpec's defaults cover the rest), which -Wextra's missing-field-initializers would flag
// entry by entry.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
const OptionTable<TriangulateStageOptions>& TriangulateStageTable() {
  using T = TriangulateStageOptions;
  using Int = std::function<int&(T&)>;
  using Num = std::function<double&(T&)>;
  using Bool = std::function<bool&(T&)>;
  static const OptionTable<T> table = {
      {"min_confidence", "Ignore 2D joints below this confidence",
       Num([](T& t) -> double& { return t.triangulation.min_confidence; }), 0, 1},
      {"threshold_px", "Reprojection error above which a view is an outlier (pixels; the start of the adaptive thresholds)",
       Num([](T& t) -> double& { return t.triangulation.ransac.reprojection_threshold_px; }), 0, kInf, true},
      {"robust", "Robust view selection (off: every view above min_confidence is used)",
       Bool([](T& t) -> bool& { return t.triangulation.robust; })},
      {"adaptive_threshold", "Per-camera, per-joint outlier thresholds from the measured noise",
       Bool([](T& t) -> bool& { return t.triangulation.adaptive_threshold; })},
      {"threshold_sigmas", "Adaptive thresholds: this many times the measured noise sigma",
       Num([](T& t) -> double& { return t.triangulation.threshold_sigmas; }), 0, kInf, true},
      {"swap_repair", "Repair left/right swaps",
       Bool([](T& t) -> bool& { return t.triangulation.repair_swaps; })},
      {"skeleton_check", "Re-fit joints that miss every bone to their well-seen neighbours",
       Bool([](T& t) -> bool& { return t.triangulation.skeleton_check; })},
      {"bone_tolerance", "Skeleton check: largest relative bone-length deviation that makes a joint suspect",
       Num([](T& t) -> double& { return t.triangulation.bone_tolerance; }), 0, kInf, true},
      {"bone_tolerance_sigmas", "Skeleton check: each bone's tolerance is this many times its measured spread "
       "(0: bone_tolerance for every bone)",
       Num([](T& t) -> double& { return t.triangulation.bone_tolerance_sigmas; }), 0, kInf},
      {"min_bone_tolerance", "Skeleton check: the smallest tolerance of a bone (relative)",
       Num([](T& t) -> double& { return t.triangulation.min_bone_tolerance; }), 0, kInf},
      {"complete_single_view", "Per frame: put a joint that one camera sees on its ray, at a bone's length from a "
       "triangulated neighbour or near its motion (num_views 1, never labelled)",
       Bool([](T& t) -> bool& { return t.completion.enabled; })},
      {"complete_disagreeing_views", "Single-view completion: also a joint whose views disagree (the per-frame fit left "
       "it out), from the view nearest its motion",
       Bool([](T& t) -> bool& { return t.completion.disagreeing_views; })},
      {"completion_window", "Single-view completion: frames before and after for the joint's motion (0: bones only)",
       Int([](T& t) -> int& { return t.completion.window_frames; }), 0, 1000},
      {"completion_max_distance_m", "Single-view completion: refuse a point this far from its motion (m)",
       Num([](T& t) -> double& { return t.completion.max_prediction_distance_m; }), 0, kInf, true},
      {"smooth", "Sequence optimisation: temporal smoothness + constant bone lengths (Ceres)",
       Bool([](T& t) -> bool& { return t.smooth; })},
      {"fps", "Frame rate of the sequence (smoothing, TRC)", Num([](T& t) -> double& { return t.fps; }), 0, 1000, true},
      {"smooth_accel", "Smoothing: expected joint acceleration (m/s^2)",
       Num([](T& t) -> double& { return t.smoothing.acceleration_sigma; }), 0, kInf, true},
      {"smooth_bone_sigma", "Smoothing: bone-length tolerance (m)",
       Num([](T& t) -> double& { return t.smoothing.bone_sigma_m; }), 0, kInf, true},
      {"smooth_pixel_sigma", "Smoothing: expected 2D noise (px); 0 = per camera from the per-frame residuals",
       Num([](T& t) -> double& { return t.smoothing.pixel_sigma; }), 0, kInf},
      {"smooth_cut_speed", "Smoothing: a median joint speed above this (m/s) between two frames is a cut",
       Num([](T& t) -> double& { return t.smoothing.cut_speed; }), 0, kInf, true},
      {"max_gap", "Smoothing: fill gaps up to this many frames",
       Int([](T& t) -> int& { return t.smoothing.max_gap_frames; }), 0, 100000},
  };
  return table;
}

const OptionTable<CalibrateStageOptions>& CalibrateStageTable() {
  using C = CalibrateStageOptions;
  using Int = std::function<int&(C&)>;
  using Num = std::function<double&(C&)>;
  using Bool = std::function<bool&(C&)>;
  static const OptionTable<C> table = {
      {"min_confidence", "Ignore 2D joints below this confidence",
       Num([](C& c) -> double& { return c.pipeline.self.min_confidence; }), 0, 1},
      {"max_frames", "Frames in the bundle adjustment (evenly spread)",
       Int([](C& c) -> int& { return c.pipeline.self.max_ba_frames; }), 1, 1000000},
      {"refine_focal", "Also refine the given focal lengths in the bundle adjustment",
       Bool([](C& c) -> bool& { return c.refine_focal; })},
      {"refine_k1", "Also refine the first radial distortion coefficient",
       Bool([](C& c) -> bool& { return c.refine_k1; })},
      {"shared_focal", "Unknown intrinsics, identical cameras: one focal length per image size",
       Bool([](C& c) -> bool& { return c.pipeline.self.shared_focal; })},
      {"given_focal_check",
       "Given intrinsics: free each given focal length alone to see whether the people agree with it (a note, and the weakest camera, when they do not)",
       Bool([](C& c) -> bool& { return c.pipeline.self.check_given_focal; })},
      {"ba_bones", "Constant bone lengths in the final bundle adjustment (slower)",
       Bool([](C& c) -> bool& { return c.pipeline.self.bone_constancy_in_ba; })},
      {"ba_joint_weights",
       "Final bundle adjustment: weights measured from its residuals, 0 none, 1 per joint type, 2 per camera and joint type",
       Int([](C& c) -> int& { return c.pipeline.self.joint_weighting; }), 0, 2},
      {"ba_segment_frames",
       "Final bundle adjustment: each camera's blocks of this many frames weighted by their residual scale against the camera's (0 off)",
       Int([](C& c) -> int& { return c.pipeline.self.segment_frames; }), 0, 100000},
      {"ba_view_bias",
       "Final bundle adjustment: rounds of fitting a view-dependent detector bias (a per-joint 3D offset turning with the viewing azimuth) to its residuals and adjusting again (0 off)",
       Int([](C& c) -> int& { return c.pipeline.self.view_bias_rounds; }), 0, 5},
      {"ba_passes",
       "Final bundle adjustment passes, each triangulating again with the rig the last one left (choosing the outlier views again); 0 adaptive: another pass while the last moved the rig by more than its uncertainty and changed the views kept, at most 3",
       Int([](C& c) -> int& { return c.pipeline.self.final_passes; }), 0, 10},
      {"reassociate", "Several people: associate them again with the first calibration and calibrate again (kept when better)",
       Bool([](C& c) -> bool& { return c.reassociation.enabled; })},
  };
  return table;
}

#pragma GCC diagnostic pop

}  // namespace epilabel
