// A detector's view-dependent bias, measured from the residuals of the final adjustment
// (internal to geometry/sfm; SelfCalibrationOptions::view_bias_rounds).
//
// A detector does not place a joint on the same 3D point from every side: it answers with
// what it sees (the hip a few centimetres inside the silhouette it sees, the face joints moved
// with the head's yaw), so each camera sees the joint displaced along a 3D offset that turns
// with the angle between the camera and the body's facing. Such offsets are not noise that
// averages out: every camera sees a different point and the adjustment bends the rig to
// reconcile them. The model here: joint j, seen from azimuth theta (the direction to the camera
// in the body's horizontal plane, 0 in front, + to the body's left), is observed at
//
//   X_j + body_from_world^-1 * sum_k ( a_jk cos(k theta) + b_jk sin(k theta) ),  k = 1..harmonics
//
// with a_jk, b_jk in R^3 (body frame: forward, left, up; units of the reconstruction) shared by
// every camera and frame: a truncated Fourier series of the offset in the viewing azimuth. The
// constant term is the joint's own position (the point absorbs it). The body frame of each frame
// comes from the four torso joints' points (shoulders, hips): up from mid-hip to mid-shoulder,
// left from the right to the left joints. The coefficients are fitted in one linearised
// (Gauss-Newton) step of the whole adjustment with them added, at the current cameras and points:
// the inlier observations' reprojection residuals, with every camera's pose free beside them
// (else the coefficients only see what the rig's own error leaves, and the rig, bent towards the
// bias, barely moves: alternating without the poses took 8 rounds to go from 1.08 to 0.38 deg on
// the test's ring, with them 2 rounds to 0.04 deg), each point's coordinates eliminated (a Schur
// complement per point), a ridge prior of sigma = prior_sigma_rel x the median torso length per
// coefficient and Huber weights on the residuals. A significance gate keeps a joint's offsets only
// where the data support them (ViewBiasOptions::gate_p): without it, a detector without such bias
// has the fitted noise moved into the rig (studio h36m4, Gaussian: 0.034 -> 0.056 deg). Then
// each observation's pixel is corrected by the projected offset and the adjustment (with its
// outlier removal) is run again.
#pragma once

#include <array>
#include <vector>

#include <Eigen/Core>

#include "geometry/core/camera.h"
#include "geometry/core/types.h"
#include "geometry/optim/bundle_adjustment.h"

namespace epilabel {

struct ViewBiasOptions {
  // Torso joints (indices into the joint layout): left shoulder, right shoulder, left hip,
  // right hip. Any invalid: no body frame, the model is not fitted.
  std::array<joint_t, 4> torso_joints{kInvalidJointId, kInvalidJointId, kInvalidJointId, kInvalidJointId};
  int harmonics = 2;               // k = 1..harmonics (2 x 3 x harmonics coefficients per joint)
  double prior_sigma_rel = 0.1;    // ridge prior of each coefficient, relative to the torso length
  double huber_sigmas = 2.5;       // residuals above this many robust sigmas are down-weighted (Huber)
  // Significance gate: a joint's offsets are applied only where its coefficients differ from
  // zero at this false-alarm probability (chi-square test of the 2 x 3 x harmonics coefficients
  // against their posterior covariance, corrected for the residuals' frame-to-frame
  // correlation; FitViewBias). 0: every joint's offsets applied.
  double gate_p = 1e-3;
  void Check() const;
};

// Frame and joint of each point of a BAProblemData (same order as its points).
struct BAPointLabel {
  frame_t frame = kInvalidFrameId;
  joint_t joint = kInvalidJointId;
};

struct ViewBiasModel {
  bool fitted = false;
  int harmonics = 0;
  // Per joint: 3 x (2 harmonics) coefficients, columns a_1, b_1, a_2, b_2, ... (body frame,
  // reconstruction units); zero for joints without observations.
  std::vector<Eigen::MatrixXd> coefficients;
  // Per joint: RMS of the fitted offset over its inlier observations, projected (pixels).
  std::vector<double> joint_rms_px;
  // Per joint: the gate's statistic (chi-square of its coefficients divided by the inflation; 0
  // when not tested), the inflation tau = 1 + 2 sum_k rho_k of the residuals' correlation from
  // frame to frame (rho_k at lag k: an error that persists over frames counts as fewer
  // observations), and whether its offsets passed the gate (zero coefficients otherwise).
  std::vector<double> joint_chi2;
  std::vector<double> joint_inflation;
  std::vector<bool> joint_applied;
};

// The body frame of every frame from the points of its torso joints: rows forward, left, up
// (body_from_world rotation) and the torso's centre; frames without the four joints: nullopt
// (returned as a flag per frame: valid[f]).
struct BodyFrames {
  std::vector<Eigen::Matrix3d> body_from_world;
  std::vector<Eigen::Vector3d> centre;
  std::vector<bool> valid;
  double torso_length = 0.0;  // median mid-hip to mid-shoulder distance (reconstruction units)
};
BodyFrames EstimateBodyFrames(const BAProblemData& data, const std::vector<BAPointLabel>& labels, int num_frames,
                              const ViewBiasOptions& options);

// The viewing azimuth (radians) of a camera centre from a body frame (see the header comment).
double ViewAzimuth(const Eigen::Matrix3d& body_from_world, const Eigen::Vector3d& centre,
                   const Eigen::Vector3d& camera_centre);

// Fits the model to `pixels` (the observations' uncorrected pixels, same order as
// data.observations) against the current rig and points; the inlier observations of points with
// two or more of them. Not fitted (fitted = false) without body frames.
ViewBiasModel FitViewBias(const Rig& rig, const BAProblemData& data, const std::vector<Eigen::Vector2d>& pixels,
                          const std::vector<BAPointLabel>& labels, int num_frames, int num_joints,
                          const ViewBiasOptions& options);

// Sets every observation's pixel to pixels[o] minus the model's projected offset (its pixel
// unchanged where its frame has no body frame). Returns the number corrected.
int CorrectViewBias(const Rig& rig, const ViewBiasModel& model, const std::vector<Eigen::Vector2d>& pixels,
                    const std::vector<BAPointLabel>& labels, int num_frames, const ViewBiasOptions& options,
                    BAProblemData* data);

}  // namespace epilabel
