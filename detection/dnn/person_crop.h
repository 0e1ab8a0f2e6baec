// Where to look for the person in the next frame: the region of the image that is cropped and
// resized to the network input.
//
// Coordinates: ImageBox is in continuous image coordinates (pixel (i, j) covers
// [i, i + 1) x [j, j + 1)); keypoints are (x, y, score) in pixel-centre coordinates (pixel
// (i, j) is centred at (i, j), as OpenPose writes them), COCO-17 order. Boxes may extend past
// the image border; the crop is then padded with black.
#pragma once

#include <optional>
#include <vector>

#include <Eigen/Core>

namespace epilabel {

struct ImageBox {
  double x0 = 0.0;
  double y0 = 0.0;
  double width = 0.0;
  double height = 0.0;
  // Rotation of the box about its centre, radians: the crop's x axis points along
  // (cos angle, sin angle) in the image (y down, so a positive angle turns clockwise on screen).
  // 0 for every rule but BlazePoseRegion.
  double angle = 0.0;

  Eigen::Vector2d Center() const { return {x0 + 0.5 * width, y0 + 0.5 * height}; }
};

// MoveNet's cropping (from its reference tracking code): when a hip and a shoulder are seen
// (score >= min_keypoint_score), a square centred on the mid-hip whose half side is the largest
// of 1.9 x the torso extent and 1.2 x the extent of the confident joints, both measured from that
// centre; capped by the largest distance from the centre to the image border. Otherwise, or when
// the half side exceeds half the larger image side, the full-frame square. With
// upright_min_tilt_deg >= 0, a leaning torso turns the square (see MoveNetCropOptions).
struct MoveNetCropOptions {
  double min_keypoint_score = 0.2;  // MoveNet's MIN_CROP_KEYPOINT_SCORE
  double torso_expansion = 1.9;
  double body_expansion = 1.2;
  // Turned crop for a tilted body: when the torso (mid-hip to mid-shoulder, both hips and both
  // shoulders seen) leans more than this many degrees from upright, the square is turned about
  // the mid-hip so that the torso points up in the crop (ImageBox::angle), and the extents are
  // measured along the crop's axes. MoveNet is trained on mostly upright people; a leaning or
  // bending person is placed better upright. Negative = never (MoveNet's own rule).
  double upright_min_tilt_deg = -1.0;
  // Whole-body fit: when the body's ends are seen (a face joint and an ankle) and the person's
  // motion over the last frame is known (last_motion_px >= 0), the half side is the body extent
  // plus motion_frames x that motion, instead of the largest of torso_expansion x the torso and
  // body_expansion x the body: MoveNet's factors are a margin for limbs it has not seen and for
  // motion it does not measure; a person seen whole is framed tightly (larger in the network's
  // input) and the margin follows the measured speed (a fast move at 30 frame/s gets a larger
  // crop than a slow one at 60). false = MoveNet's rule.
  bool fit_seen_body = false;
  double motion_frames = 2.0;
  // What the upright crop turns along: the torso (mid-hip to mid-shoulder), or, with
  // upright_along_body, the whole body (mid-ankle to mid-shoulder when both ankles are seen,
  // else the torso): a person bent at the hips on straight legs is turned by less than the torso.
  bool upright_along_body = false;
};

// The largest displacement of a joint seen (score >= min_score) in both `before` and `after`,
// pixels; -1 when no joint is seen in both.
double LargestJointMotion(const std::vector<Eigen::Vector3d>& before, const std::vector<Eigen::Vector3d>& after,
                          double min_score);

// The square of side max(width, height) centred on the image (the whole frame, padded).
ImageBox FullFrameSquare(int image_width, int image_height);

// The crop around the person of `keypoints` (17 COCO joints) for the next frame. Sets
// *full_frame (if given) when the rule falls back to FullFrameSquare. last_motion_px: the
// person's motion over the last frame (LargestJointMotion), negative = unknown.
ImageBox MoveNetCropRegion(const std::vector<Eigen::Vector3d>& keypoints, int image_width, int image_height,
                           const MoveNetCropOptions& options = {}, bool* full_frame = nullptr,
                           double last_motion_px = -1.0);

// Top-down models: the bounding box of the joints with score >= min_keypoint_score (at least
// `min_joints` of them), in continuous coordinates; nullopt when too few joints are confident or
// the box is degenerate.
std::optional<ImageBox> KeypointBox(const std::vector<Eigen::Vector3d>& keypoints, double min_keypoint_score,
                                    int min_joints = 4);

// BlazePose's region of interest, after MediaPipe's rule for tracking a person from its landmarks:
// a square centred on the mid-hip, turned so that the crop's up axis runs from the mid-hip to the
// mid-shoulder (the model is trained on upright crops), of side `scale` x twice the largest
// distance from the mid-hip to a confident joint (enlarged by head_extension where the head's
// top lies beyond the eyes). `keypoints` are in blazepose33 order (data/skeletons.toml).
// nullopt when both hips or both shoulders are unseen, or fewer than `min_joints` are confident.
struct BlazePoseRegionOptions {
  double min_keypoint_score = 0.2;
  double scale = 1.25;          // MediaPipe's 1.25
  double head_extension = 1.1;  // the farthest joint is usually a hand, a foot or the face
  int min_joints = 6;
};
std::optional<ImageBox> BlazePoseRegion(const std::vector<Eigen::Vector3d>& keypoints,
                                        const BlazePoseRegionOptions& options = {});

// A box with the aspect ratio of the network input (input_width / input_height) around `box`:
// the shorter side is lengthened to match, then both are scaled by `padding` (MMPose's
// top-down convention; 1.25 for detector boxes). Keeps the centre.
ImageBox ExpandToAspect(const ImageBox& box, double input_width, double input_height, double padding);

}  // namespace epilabel
