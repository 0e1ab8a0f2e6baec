// Completion of the joints that the robust per-frame triangulation of one person
// (sequence_triangulation.h) left out although a camera sees them: seen by exactly one camera,
// or (disagreeing_views) by several whose views the fit found no agreement between (e.g. one
// shows another person's joint; each view is then tried alone and the one nearest the motion,
// else fitting the bones best, kept). The cheap per-frame alternative to the sequence
// optimisation (geometry/optim/sequence_smoothing.h), as 4D Association and mvpose do. A joint
// is put on the ray of the camera that sees it (undistorted, world frame):
//  - at the depth where its bone to a triangulated neighbour (parent or child in the skeleton)
//    has the person's length (the median over the frames where both ends are triangulated):
//    the ray meets the sphere around the neighbour; of two roots the one nearer the joint's
//    temporal prediction (its own triangulated positions in the nearest frames within
//    `window_frames` before and after, interpolated), else the one that best fits the bones to
//    its other triangulated neighbours; a ray that misses the sphere gives its point nearest
//    the sphere's centre;
//  - with no triangulated neighbour: at the ray point nearest the temporal prediction.
// It is refused (left missing) when nothing decides between two distant roots, when there is
// neither a neighbour nor a prediction, when the ray misses the sphere by more than
// `bone_tolerance`, or when the point is farther than `max_prediction_distance_m` from its
// prediction. Only the per-frame points (two views or more) support a completion: completed
// points never support each other, so the result does not depend on the order of frames.
//
// Units: world metres; frames are the rows of the sequence (consecutive frame numbers assumed).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "geometry/core/camera.h"
#include "geometry/core/observations.h"
#include "geometry/core/types.h"

namespace epilabel {

struct SingleViewCompletionOptions {
  bool enabled = true;
  // Temporal prediction from the nearest triangulated frame within this many frames before and
  // after (interpolated when both exist). 0: no temporal prediction (bones alone, two roots
  // are told apart by other neighbours only).
  int window_frames = 5;
  // A completion farther than this from its temporal prediction is refused (metres).
  double max_prediction_distance_m = 0.15;
  // A ray that misses the bone's sphere by more than this share of the bone length is refused;
  // two roots closer together than this share (of the bone) count as one (their midpoint).
  double bone_tolerance = 0.2;
  // Also complete a joint that several cameras see but that the per-frame fit left out (their
  // views disagree: e.g. one of them shows another person's joint): each view alone is tried and
  // the one nearest the motion (else fitting the bones best) kept.
  bool disagreeing_views = true;
  // A bone's length needs both ends triangulated in at least this many frames.
  int min_bone_frames = 10;
  // Throws std::invalid_argument naming the member out of range.
  void Check() const;
};

// One completed joint: its position and the one view it rests on.
struct CompletedJoint {
  frame_t frame = 0;
  joint_t joint = 0;
  camera_t camera = 0;
  Eigen::Vector3d point_in_world = Eigen::Vector3d::Constant(kNaN);
  // sqrt(trace(covariance)) in metres: the lateral pixel noise at the point's depth (both axes)
  // and the depth's: from the bone (its spread over the frames and the neighbour's
  // uncertainty, divided by the cosine between ray and bone) or, from motion alone,
  // max_prediction_distance_m / 2.
  double uncertainty_m = kNaN;
  double reproj_error_px = kNaN;  // in the camera that sees it (near zero: it is on its ray)
  bool from_bone = false;         // placed by a bone length (else by the temporal prediction)
};

struct SingleViewCompletionSummary {
  int64_t candidates = 0;          // untriangulated points that a camera sees
  int64_t several_views = 0;       // of which seen by several cameras (disagreeing views)
  int64_t completed_from_several = 0;  // of the completed: from one of several views
  int64_t completed = 0;           // of which completed
  int64_t from_bone = 0;           // of the completed: by a bone length
  int64_t refused_no_support = 0;  // no neighbour and no prediction
  int64_t refused_ambiguous = 0;   // two distant roots and nothing to choose
  int64_t refused_bone = 0;        // the ray misses every neighbour's sphere by too much
  int64_t refused_far = 0;         // too far from the temporal prediction
  std::string BriefReport() const;
  void Add(const SingleViewCompletionSummary& other);  // sums every count
};

struct SingleViewCompletion {
  std::vector<CompletedJoint> joints;  // in frame, then joint order
  SingleViewCompletionSummary summary;
};

// `points` and `num_views` are the per-frame result (NaN and < 2 where not triangulated),
// `uncertainty_m` its per-point uncertainty (NaN allowed), `observations` the (swap-repaired)
// detections that the triangulation used; `rig` matches the observations' cameras. Observations
// below `min_confidence` do not count as views; `prior_sigma_px` is the pixel noise of the
// lateral uncertainty.
SingleViewCompletion CompleteSingleViewJoints(const Rig& rig, const Observations2d& observations,
                                              const Points3d& points, const FrameJointArray<int32_t>& num_views,
                                              const FrameJointArray<double>& uncertainty_m,
                                              const std::vector<Bone>& bones, double min_confidence,
                                              double prior_sigma_px, const SingleViewCompletionOptions& options);

}  // namespace epilabel
