#include "geometry/association/calibrated.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "geometry/association/assignment.h"

namespace epilabel {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// Fewest mutually nearest pairs of a camera pair that set its epipolar threshold.
constexpr size_t kMinScaleSamples = 10;

// A camera as the per-frame steps need it.
struct CameraModel {
  Eigen::Matrix3d rotation;     // cam_from_world
  Eigen::Vector3d translation;  // cam_from_world
  double focal = 1.0;           // mean focal length, pixels
};

// One detection of a frame.
struct Node {
  camera_t camera = kInvalidCameraId;
  detection_t detection = kNoDetection;
};

// Everything step 1 produces for one frame.
struct FrameData {
  std::vector<Node> nodes;                  // detections with an observed joint
  std::vector<Eigen::Vector2d> normalized;  // [node * joints + joint], undistorted
  std::vector<double> weight;               // [node * joints + joint]; 0 when ignored
  std::vector<std::vector<int>> groups;     // node indices, two or more cameras
  std::vector<std::vector<Eigen::Vector3d>> poses;  // per group, one point per joint (NaN)
  std::vector<int> singles;                 // nodes in no group
  // Per group, per member: its median reprojection error (px) onto the group's pose, before
  // any release.
  std::vector<std::vector<double>> member_errors;
  bool uncertain = false;                   // a detection was released
};

using Pose = std::vector<Eigen::Vector3d>;

void CheckRig(const Rig& rig, const MultiDetections& detections) {
  if (static_cast<int>(rig.size()) != detections.num_cameras())
    throw std::invalid_argument("AssociateWithCalibration: the rig has " + std::to_string(rig.size()) +
                                " cameras, the detections " + std::to_string(detections.num_cameras()));
  for (const Camera& cam : rig)
    if (!cam.has_extrinsics || !(cam.fx > 0.0) || !(cam.fy > 0.0))
      throw std::invalid_argument("AssociateWithCalibration: camera '" + cam.name + "' is not calibrated");
}

// Essential matrices E[b * C + a] with x_b^T E x_a = 0 in normalised coordinates.
std::vector<Eigen::Matrix3d> EssentialMatrices(const std::vector<CameraModel>& cams) {
  const size_t n = cams.size();
  std::vector<Eigen::Matrix3d> e(n * n, Eigen::Matrix3d::Zero());
  for (size_t a = 0; a < n; ++a)
    for (size_t b = 0; b < n; ++b) {
      if (a == b) continue;
      const Eigen::Matrix3d r = cams[b].rotation * cams[a].rotation.transpose();
      const Eigen::Vector3d t = cams[b].translation - r * cams[a].translation;
      Eigen::Matrix3d tx;
      tx << 0, -t.z(), t.y(), t.z(), 0, -t.x(), -t.y(), t.x(), 0;
      e[b * n + a] = tx * r;
    }
  return e;
}

FrameData PrepareFrame(const Rig& rig, const MultiDetections& detections, frame_t f, double min_confidence) {
  FrameData data;
  const int joints = detections.num_joints();
  int count = 0;
  for (camera_t c = 0; c < detections.num_cameras(); ++c) count += detections.NumDetections(c, f);
  data.nodes.reserve(count);
  data.weight.reserve(static_cast<size_t>(count) * joints);
  data.normalized.reserve(static_cast<size_t>(count) * joints);
  for (camera_t c = 0; c < detections.num_cameras(); ++c)
    for (detection_t d = 0; d < detections.NumDetections(c, f); ++d) {
      if (!detections.HasObservedJoint(c, f, d)) continue;
      data.nodes.push_back({c, d});
      const Eigen::Vector3d* row = detections.Joints(c, f, d);
      for (joint_t j = 0; j < joints; ++j) {
        const bool use = row[j].allFinite() && row[j].z() >= min_confidence && row[j].z() > 0.0;
        data.weight.push_back(use ? row[j].z() : 0.0);
        data.normalized.push_back(use ? rig[c].NormalizedFromImage(row[j].head<2>()) : Eigen::Vector2d::Zero());
      }
    }
  return data;
}

// The sum of the confidence weights of the joints two detections both observe; `common`
// counts those joints.
double CommonWeight(const FrameData& data, int joints, int node_a, int node_b, int* common) {
  const size_t ia = static_cast<size_t>(node_a) * joints, ib = static_cast<size_t>(node_b) * joints;
  double weight_sum = 0.0;
  *common = 0;
  for (joint_t j = 0; j < joints; ++j) {
    const double w = data.weight[ia + j] * data.weight[ib + j];
    weight_sum += w;
    *common += w > 0.0 ? 1 : 0;
  }
  return weight_sum;
}

// The confidence-weighted sum over the common joints of two detections of different cameras of
// their symmetric epipolar distances (pixels at each camera's mean focal length), each truncated
// at truncation_px; the sum stops growing once it passes `budget` (the pair is then too far).
double SumEpipolarDistances(const FrameData& data, int joints, int node_a, int node_b, const Eigen::Matrix3d& e_ba,
                            double focal_a, double focal_b, double truncation_px, double budget) {
  const size_t ia = static_cast<size_t>(node_a) * joints, ib = static_cast<size_t>(node_b) * joints;
  double sum = 0.0;
  for (joint_t j = 0; j < joints && sum <= budget; ++j) {
    const double w = data.weight[ia + j] * data.weight[ib + j];
    if (w <= 0.0) continue;
    const Eigen::Vector3d xa = data.normalized[ia + j].homogeneous(), xb = data.normalized[ib + j].homogeneous();
    const Eigen::Vector3d line_b = e_ba * xa, line_a = e_ba.transpose() * xb;
    const double residual = std::abs(xb.dot(line_b));
    const double d = 0.5 * (residual / line_b.head<2>().norm() * focal_b + residual / line_a.head<2>().norm() * focal_a);
    sum += w * std::min(std::isfinite(d) ? d : kInf, truncation_px);
  }
  return sum;
}

// Affinity in [0, 1] of two detections of different cameras under the epipolar threshold of
// their camera pair, NaN with too few common joints; 0 below min_affinity (a wrong pair counts
// as fully wrong, and its evaluation stops early).
double EpipolarAffinity(const FrameData& data, int joints, int node_a, int node_b, const Eigen::Matrix3d& e_ba,
                        double focal_a, double focal_b, double threshold_px, const CalibratedAssociationOptions& options) {
  int common = 0;
  const double weight_sum = CommonWeight(data, joints, node_a, node_b, &common);
  if (common < options.min_common_joints) return kNaN;
  // The truncated distances may sum to at most `budget` for the affinity to reach min_affinity.
  const double budget = (1.0 - options.min_affinity) * weight_sum * threshold_px;
  const double sum = SumEpipolarDistances(data, joints, node_a, node_b, e_ba, focal_a, focal_b, threshold_px, budget);
  return sum <= budget ? 1.0 - sum / (weight_sum * threshold_px) : 0.0;
}

Pose TriangulateGroup(const std::vector<CameraModel>& cams, const FrameData& data, int joints,
                      const std::vector<int>& members, const RobustTriangulationOptions& options) {
  Pose pose(joints, Eigen::Vector3d::Constant(kNaN));
  std::vector<PointView> views;
  views.reserve(members.size());
  for (joint_t j = 0; j < joints; ++j) {
    views.clear();
    for (int node : members) {
      const size_t k = static_cast<size_t>(node) * joints + j;
      if (data.weight[k] <= 0.0) continue;
      const CameraModel& cam = cams[data.nodes[node].camera];
      PointView v;
      v.rotation = cam.rotation;
      v.translation = cam.translation;
      v.normalized = data.normalized[k];
      v.focal_px = cam.focal;
      v.weight = data.weight[k];
      views.push_back(v);
    }
    if (views.size() < 2 || views.size() > 64) continue;
    const RobustTriangulation t = EstimateTriangulation(views.data(), static_cast<int>(views.size()), options);
    if (t.success) pose[j] = t.point;
  }
  return pose;
}

// Median pixel reprojection error of a detection onto a pose (at the camera's mean focal
// length); NaN when they share no joint.
double MedianReprojectionPx(const CameraModel& cam, const FrameData& data, int joints, int node, const Pose& pose) {
  double errors[64];
  std::vector<double> more;
  double* e = joints <= 64 ? errors : (more.resize(joints), more.data());
  int n = 0;
  for (joint_t j = 0; j < joints; ++j) {
    const size_t k = static_cast<size_t>(node) * joints + j;
    if (data.weight[k] <= 0.0 || !pose[j].allFinite()) continue;
    const Eigen::Vector3d x = cam.rotation * pose[j] + cam.translation;
    e[n++] = x.z() > 0.0 ? (x.hnormalized() - data.normalized[k]).norm() * cam.focal : kInf;
  }
  if (n == 0) return kNaN;
  std::nth_element(e, e + n / 2, e + n);
  return e[n / 2];
}

// Step 1 for one frame: affinities, clustering, triangulation, and every member's median
// reprojection error (the release comes after, with the threshold of the chunk: ReleaseFrame).
FrameData MatchFrame(const Rig& rig, const std::vector<CameraModel>& cams, const std::vector<Eigen::Matrix3d>& essentials,
                     const std::vector<double>& pair_threshold_px, const MultiDetections& detections, frame_t f,
                     const CalibratedAssociationOptions& options) {
  FrameData data = PrepareFrame(rig, detections, f, options.min_confidence);
  const int joints = detections.num_joints(), n = static_cast<int>(data.nodes.size());
  const size_t num_cams = cams.size();
  Eigen::MatrixXd affinity = Eigen::MatrixXd::Constant(n, n, kNaN);
  Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic> compatible(n, n);
  for (int a = 0; a < n; ++a)
    for (int b = 0; b < n; ++b) {
      const camera_t ca = data.nodes[a].camera, cb = data.nodes[b].camera;
      compatible(a, b) = ca != cb;
      if (b <= a || ca == cb) continue;
      const double threshold = pair_threshold_px[std::min(ca, cb) * num_cams + std::max(ca, cb)];
      affinity(a, b) = affinity(b, a) = EpipolarAffinity(data, joints, a, b, essentials[cb * num_cams + ca],
                                                         cams[ca].focal, cams[cb].focal, threshold, options);
    }
  const std::vector<int> label = ClusterByAffinity(affinity, compatible, options.min_affinity);
  const int num_labels = n == 0 ? 0 : *std::max_element(label.begin(), label.end()) + 1;
  std::vector<std::vector<int>> clusters(num_labels);
  for (int i = 0; i < n; ++i) clusters[label[i]].push_back(i);
  for (std::vector<int>& members : clusters) {
    if (members.size() < 2) {
      data.singles.insert(data.singles.end(), members.begin(), members.end());
      continue;
    }
    Pose pose = TriangulateGroup(cams, data, joints, members, options.triangulation);
    std::vector<double> errors;
    for (int node : members) errors.push_back(MedianReprojectionPx(cams[data.nodes[node].camera], data, joints, node, pose));
    data.groups.push_back(members);
    data.poses.push_back(std::move(pose));
    data.member_errors.push_back(std::move(errors));
  }
  return data;
}

// The mean epipolar distances (truncated at epipolar_threshold_max_px) of the mutually nearest
// detection pairs of every camera pair in frame f: per pair a < b (index a * C + b), appended.
void NearestPairDistances(const Rig& rig, const std::vector<CameraModel>& cams, const std::vector<Eigen::Matrix3d>& essentials,
                          const MultiDetections& detections, frame_t f, const CalibratedAssociationOptions& options,
                          std::vector<std::vector<double>>* per_pair) {
  const FrameData data = PrepareFrame(rig, detections, f, options.min_confidence);
  const int joints = detections.num_joints();
  const size_t num_cams = cams.size();
  std::vector<std::vector<int>> by_camera(num_cams);
  for (int i = 0; i < static_cast<int>(data.nodes.size()); ++i) by_camera[data.nodes[i].camera].push_back(i);
  const double cap = options.epipolar_threshold_max_px;
  for (size_t ca = 0; ca < num_cams; ++ca)
    for (size_t cb = ca + 1; cb < num_cams; ++cb) {
      const std::vector<int>&na = by_camera[ca], &nb = by_camera[cb];
      if (na.empty() || nb.empty()) continue;
      Eigen::MatrixXd d = Eigen::MatrixXd::Constant(na.size(), nb.size(), kInf);
      for (size_t i = 0; i < na.size(); ++i)
        for (size_t k = 0; k < nb.size(); ++k) {
          int common = 0;
          const double weight = CommonWeight(data, joints, na[i], nb[k], &common);
          if (common < options.min_common_joints) continue;
          d(i, k) = SumEpipolarDistances(data, joints, na[i], nb[k], essentials[cb * num_cams + ca], cams[ca].focal,
                                         cams[cb].focal, cap, kInf) / weight;
        }
      for (Eigen::Index i = 0; i < d.rows(); ++i) {
        Eigen::Index k = 0;
        const double best = d.row(i).minCoeff(&k);
        if (std::isfinite(best) && d.col(k).minCoeff() == best) (*per_pair)[ca * num_cams + cb].push_back(best);
      }
    }
}

// Per camera pair a < b (index a * C + b; the other entries unused), the epipolar threshold of a
// chunk of frames (CalibratedAssociationOptions::epipolar_scale_factor) from the distances of its
// mutually nearest pairs in up to kScaleFrames frames spread over [begin, end); those distances
// are also appended to `pooled` (per pair, for the summary).
constexpr int kScaleFrames = 64;
std::vector<double> PairThresholds(const Rig& rig, const std::vector<CameraModel>& cams,
                                   const std::vector<Eigen::Matrix3d>& essentials, const MultiDetections& detections,
                                   frame_t begin, frame_t end, const CalibratedAssociationOptions& options,
                                   std::vector<std::vector<double>>* pooled) {
  const size_t num_cams = cams.size();
  std::vector<double> threshold(num_cams * num_cams, options.epipolar_threshold_px);
  if (!(options.epipolar_scale_factor > 0.0)) return threshold;
  const frame_t step = std::max<frame_t>(1, (end - begin + kScaleFrames - 1) / kScaleFrames);
  std::vector<frame_t> sample;
  for (frame_t f = begin; f < end; f += step) sample.push_back(f);
  std::vector<std::vector<std::vector<double>>> per_frame(sample.size(),
                                                          std::vector<std::vector<double>>(num_cams * num_cams));
  tbb::parallel_for(size_t{0}, sample.size(), [&](size_t i) {
    NearestPairDistances(rig, cams, essentials, detections, sample[i], options, &per_frame[i]);
  });
  for (size_t pair = 0; pair < num_cams * num_cams; ++pair) {
    std::vector<double> values;
    for (const auto& frame : per_frame) values.insert(values.end(), frame[pair].begin(), frame[pair].end());
    (*pooled)[pair].insert((*pooled)[pair].end(), values.begin(), values.end());
    if (values.size() < kMinScaleSamples) continue;
    std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
    const double scaled = options.epipolar_scale_factor * values[values.size() / 2];
    threshold[pair] = std::clamp(scaled, options.epipolar_threshold_px,
                                 std::max(options.epipolar_threshold_px, options.epipolar_threshold_max_px));
  }
  return threshold;
}

// max(release_threshold_px, release_tail_factor x the 99th percentile of `errors`), or
// release_threshold_px alone with fewer than 100 errors (too few for a tail) or a factor of 0.
double TailThreshold(std::vector<double> errors, const CalibratedAssociationOptions& options) {
  if (!(options.release_tail_factor > 0.0) || errors.size() < 100) return options.release_threshold_px;
  const size_t k = static_cast<size_t>(0.99 * static_cast<double>(errors.size() - 1));
  std::nth_element(errors.begin(), errors.begin() + k, errors.end());
  return std::max(options.release_threshold_px, options.release_tail_factor * errors[k]);
}

// The release thresholds of a chunk of frames, per camera (CalibratedAssociationOptions::
// release_tail_factor): the tail of that camera's members' errors, or of every camera's when the
// camera has too few.
std::vector<double> ReleaseThresholds(const std::vector<FrameData>& frames, size_t count, size_t num_cams,
                                      const CalibratedAssociationOptions& options) {
  std::vector<std::vector<double>> by_camera(num_cams);
  std::vector<double> all;
  for (size_t i = 0; i < count; ++i)
    for (size_t g = 0; g < frames[i].groups.size(); ++g)
      for (size_t m = 0; m < frames[i].groups[g].size(); ++m) {
        const double e = frames[i].member_errors[g][m];
        if (!std::isfinite(e)) continue;
        by_camera[frames[i].nodes[frames[i].groups[g][m]].camera].push_back(e);
        all.push_back(e);
      }
  const double overall = TailThreshold(std::move(all), options);
  std::vector<double> threshold(num_cams, overall);
  for (size_t c = 0; c < num_cams; ++c)
    if (by_camera[c].size() >= 100) threshold[c] = TailThreshold(std::move(by_camera[c]), options);
  return threshold;
}

// Step 1, end: a member whose error is above its camera's threshold is released (a single); the
// group is triangulated again without it, or dissolved below two members.
void ReleaseFrame(const std::vector<CameraModel>& cams, int joints, const std::vector<double>& threshold_px,
                  const CalibratedAssociationOptions& options, FrameData* data) {
  std::vector<std::vector<int>> groups;
  std::vector<Pose> poses;
  for (size_t g = 0; g < data->groups.size(); ++g) {
    const std::vector<int>& members = data->groups[g];
    std::vector<int> kept;
    for (size_t i = 0; i < members.size(); ++i) {
      if (data->member_errors[g][i] > threshold_px[data->nodes[members[i]].camera]) {
        data->singles.push_back(members[i]);
        data->uncertain = true;
      } else {
        kept.push_back(members[i]);
      }
    }
    if (kept.size() < 2) {
      data->singles.insert(data->singles.end(), kept.begin(), kept.end());
      continue;
    }
    poses.push_back(kept.size() != members.size() ? TriangulateGroup(cams, *data, joints, kept, options.triangulation)
                                                  : std::move(data->poses[g]));
    groups.push_back(std::move(kept));
  }
  data->groups = std::move(groups);
  data->poses = std::move(poses);
  std::sort(data->singles.begin(), data->singles.end());
}

// Mean distance (metres) between the common joints of two poses; infinity with fewer than 3.
double MeanJointDistance(const Pose& a, const Pose& b) {
  double sum = 0.0;
  int n = 0;
  for (size_t j = 0; j < a.size(); ++j) {
    if (!a[j].allFinite() || !b[j].allFinite()) continue;
    sum += (a[j] - b[j]).norm();
    ++n;
  }
  return n >= 3 ? sum / n : kInf;
}

// Centroid displacement b - a over the common joints (zero without any).
Eigen::Vector3d CentroidShift(const Pose& from, const Pose& to) {
  Eigen::Vector3d sum = Eigen::Vector3d::Zero();
  int n = 0;
  for (size_t j = 0; j < from.size(); ++j) {
    if (!from[j].allFinite() || !to[j].allFinite()) continue;
    sum += to[j] - from[j];
    ++n;
  }
  return n > 0 ? Eigen::Vector3d(sum / n) : Eigen::Vector3d::Zero();
}

// A person being tracked.
struct TrackState {
  int id = -1;  // set at confirmation
  bool alive = true;
  int hits = 0;                          // consecutive frames with a group until confirmation
  frame_t last_frame = kInvalidFrameId;  // last frame with a group
  Pose pose;                             // joints at last_frame (gaps filled by prediction)
  Eigen::Vector3d velocity = Eigen::Vector3d::Zero();  // centroid, metres per frame
  bool has_velocity = false;
  struct Assignment {
    frame_t frame = kInvalidFrameId;
    Node node;
  };
  std::vector<Assignment> assignments;
  std::vector<std::pair<frame_t, Pose>> poses;  // triangulated groups

  Pose Predict(frame_t f) const {
    Pose p = pose;
    const Eigen::Vector3d shift = velocity * static_cast<double>(f - last_frame);
    for (Eigen::Vector3d& x : p) x += shift;
    return p;
  }
};

// Step 2: the sequential tracker.
class Tracker {
 public:
  Tracker(const std::vector<CameraModel>& cams, int joints, const CalibratedAssociationOptions& options)
      : cams_(cams), joints_(joints), options_(options), release_px_(cams.size(), options.release_threshold_px) {}

  // The release thresholds (px, per camera) of the frames that follow (ReleaseThresholds).
  void SetReleaseThresholds(std::vector<double> px) { release_px_ = std::move(px); }

  // Processes one frame; returns whether its assignment was uncertain.
  bool Step(frame_t f, const FrameData& data);
  // Every track (the confirmed ones have an id >= 0), and the counts of the summary.
  const std::vector<TrackState>& tracks() const { return tracks_; }
  int deaths() const { return deaths_; }
  int reidentifications() const { return reidentifications_; }

 private:
  void Continue(TrackState& track, frame_t f, const FrameData& data, int group);
  bool AttachSingles(frame_t f, const FrameData& data, const std::vector<int>& live,
                     const std::vector<Pose>& reference, const std::vector<int>& match);
  void AssignGroups(frame_t f, const FrameData& data, const std::vector<int>& live, bool confirmed,
                    std::vector<Pose>* reference, std::vector<int>* match, std::vector<char>* taken);
  bool JoinSeenTrack(frame_t f, const FrameData& data, int group, const std::vector<int>& live,
                     const std::vector<Pose>& reference, const std::vector<int>& match);
  bool ExplainedTwice(const FrameData& data, const std::vector<Pose>& reference, const std::vector<int>& match) const;

  const std::vector<CameraModel> cams_;  // copies: the tracker owns what it reads
  const int joints_;
  const CalibratedAssociationOptions options_;
  std::vector<double> release_px_;  // per camera
  std::vector<TrackState> tracks_;
  std::vector<int> live_;  // indices of the alive tracks, increasing
  int next_id_ = 0;
  int deaths_ = 0;
  int reidentifications_ = 0;
};

void Tracker::Continue(TrackState& track, frame_t f, const FrameData& data, int group) {
  const Pose& observed = data.poses[group];
  if (track.id >= 0 && f - track.last_frame > 1) ++reidentifications_;
  Pose next = track.pose.empty() ? observed : track.Predict(f);
  for (int j = 0; j < joints_; ++j)
    if (observed[j].allFinite()) next[j] = observed[j];
  if (track.last_frame != kInvalidFrameId) {
    const Eigen::Vector3d v = CentroidShift(track.pose, observed) / static_cast<double>(f - track.last_frame);
    track.velocity = track.has_velocity ? options_.velocity_smoothing * track.velocity + (1.0 - options_.velocity_smoothing) * v : v;
    track.has_velocity = true;
  }
  track.pose = std::move(next);
  track.last_frame = f;
  for (int node : data.groups[group]) track.assignments.push_back({f, data.nodes[node]});
  track.poses.emplace_back(f, observed);
  if (track.id < 0 && ++track.hits >= options_.birth_frames) track.id = next_id_++;
}

// Hungarian assignment of the free groups to the live tracks that are confirmed (or, with
// `confirmed` false, tentative), on the distance to their predictions within the gate.
void Tracker::AssignGroups(frame_t f, const FrameData& data, const std::vector<int>& live, bool confirmed,
                           std::vector<Pose>* reference, std::vector<int>* match, std::vector<char>* taken) {
  std::vector<int> rows, cols;
  for (size_t i = 0; i < live.size(); ++i)
    if ((tracks_[live[i]].id >= 0) == confirmed) rows.push_back(static_cast<int>(i));
  for (int g = 0; g < static_cast<int>(data.groups.size()); ++g)
    if (!(*taken)[g]) cols.push_back(g);
  Eigen::MatrixXd cost(rows.size(), cols.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    const TrackState& track = tracks_[live[rows[r]]];
    const double gate = options_.gate_m + options_.gate_growth_m * (f - track.last_frame - 1);
    for (size_t c = 0; c < cols.size(); ++c) {
      const double d = MeanJointDistance((*reference)[rows[r]], data.poses[cols[c]]);
      cost(r, c) = d <= gate ? d : kInf;
    }
  }
  const std::vector<int> assigned = SolveAssignment(cost);
  for (size_t r = 0; r < rows.size(); ++r) {
    if (assigned[r] < 0) continue;
    const int i = rows[r], g = cols[assigned[r]];
    Continue(tracks_[live[i]], f, data, g);
    (*match)[i] = g;
    (*taken)[g] = 1;
    (*reference)[i] = data.poses[g];
  }
}

bool Tracker::Step(frame_t f, const FrameData& data) {
  const std::vector<int> live = live_;
  const int num_groups = static_cast<int>(data.groups.size());
  std::vector<Pose> reference(live.size());
  for (size_t i = 0; i < live.size(); ++i) reference[i] = tracks_[live[i]].Predict(f);
  std::vector<int> match(live.size(), -1);
  std::vector<char> taken(num_groups, 0);
  // Confirmed tracks choose first; left-over pieces of the people they took join them;
  // tentative tracks take what remains (and their pieces join them), the rest start new tracks.
  AssignGroups(f, data, live, true, &reference, &match, &taken);
  for (int g = 0; g < num_groups; ++g)
    if (!taken[g] && JoinSeenTrack(f, data, g, live, reference, match)) taken[g] = 1;
  AssignGroups(f, data, live, false, &reference, &match, &taken);
  for (int g = 0; g < num_groups; ++g)
    if (!taken[g] && JoinSeenTrack(f, data, g, live, reference, match)) taken[g] = 1;
  for (size_t i = 0; i < live.size(); ++i) {
    TrackState& track = tracks_[live[i]];
    if (match[i] >= 0) continue;
    if (track.id < 0) {
      track.alive = false;  // a tentative track must be seen in consecutive frames
      track.assignments = {};
      track.poses = {};
    } else if (f - track.last_frame > options_.max_gap_frames) {
      track.alive = false;
      ++deaths_;
    }
  }
  bool uncertain = ExplainedTwice(data, reference, match);
  uncertain = AttachSingles(f, data, live, reference, match) || uncertain;
  // New tracks; later pieces of the same person (fragments of the clustering) join them.
  std::vector<int> present = live;
  for (int g = 0; g < num_groups; ++g) {
    if (taken[g] || JoinSeenTrack(f, data, g, present, reference, match)) continue;
    tracks_.emplace_back();
    Continue(tracks_.back(), f, data, g);
    present.push_back(static_cast<int>(tracks_.size()) - 1);
    reference.push_back(data.poses[g]);
    match.push_back(g);
  }
  live_.clear();
  for (int t : present)
    if (tracks_[t].alive) live_.push_back(t);
  return uncertain;
}

// Whether a track already has a detection of camera c at frame f.
bool UsesCamera(const TrackState& track, frame_t f, camera_t c) {
  for (auto it = track.assignments.rbegin(); it != track.assignments.rend() && it->frame == f; ++it)
    if (it->node.camera == c) return true;
  return false;
}

// A group left over after the assignment that is part of a person already seen in this frame
// (the clustering split the person's detections): when every detection of the group
// reprojects onto exactly one such track, in cameras it does not use yet, they join it.
bool Tracker::JoinSeenTrack(frame_t f, const FrameData& data, int group, const std::vector<int>& live,
                            const std::vector<Pose>& reference, const std::vector<int>& match) {
  int fitting = -1;
  for (size_t i = 0; i < live.size(); ++i) {
    if (match[i] < 0) continue;
    bool fits = true;
    for (int node : data.groups[group]) {
      const Node& n = data.nodes[node];
      const double err = MedianReprojectionPx(cams_[n.camera], data, joints_, node, reference[i]);
      fits = fits && !UsesCamera(tracks_[live[i]], f, n.camera) && err <= release_px_[n.camera];
    }
    if (!fits) continue;
    if (fitting >= 0) return false;  // two candidates: leave it to a new track
    fitting = static_cast<int>(i);
  }
  if (fitting < 0) return false;
  for (int node : data.groups[group]) tracks_[live[fitting]].assignments.push_back({f, data.nodes[node]});
  return true;
}

// Whether a detection of a track seen in this frame also reprojects onto another such track.
bool Tracker::ExplainedTwice(const FrameData& data, const std::vector<Pose>& reference,
                             const std::vector<int>& match) const {
  for (size_t i = 0; i < match.size(); ++i) {
    if (match[i] < 0) continue;
    for (size_t k = 0; k < match.size(); ++k) {
      if (k == i || match[k] < 0) continue;
      if (MeanJointDistance(reference[i], reference[k]) > 1.0) continue;  // far apart: cannot explain each other
      for (int node : data.groups[match[i]]) {
        const double err = MedianReprojectionPx(cams_[data.nodes[node].camera], data, joints_, node, reference[k]);
        if (err <= release_px_[data.nodes[node].camera]) return true;
      }
    }
  }
  return false;
}

// Gives each single detection to the one confirmed track that explains it (in a camera the
// track has no detection in yet). Returns whether some detection was explained by two tracks.
bool Tracker::AttachSingles(frame_t f, const FrameData& data, const std::vector<int>& live,
                            const std::vector<Pose>& reference, const std::vector<int>& match) {
  struct Candidate {
    double error;
    int single;
    int track;  // index into live
  };
  std::vector<Candidate> candidates;
  bool ambiguous = false;
  for (int s = 0; s < static_cast<int>(data.singles.size()); ++s) {
    const int node = data.singles[s];
    int fits = 0;
    Candidate best{kInf, s, -1};
    for (size_t i = 0; i < live.size(); ++i) {
      const TrackState& track = tracks_[live[i]];
      if (track.id < 0 || !track.alive) continue;
      const double err = MedianReprojectionPx(cams_[data.nodes[node].camera], data, joints_, node, reference[i]);
      const double release = release_px_[data.nodes[node].camera];
      const double limit = match[i] >= 0 ? release : std::max(options_.prediction_threshold_px, release);
      if (!(err <= limit)) continue;
      ++fits;
      if (err < best.error) best = {err, s, static_cast<int>(i)};
    }
    if (fits == 1) candidates.push_back(best);
    ambiguous = ambiguous || fits > 1;
  }
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    return a.error != b.error ? a.error < b.error : a.single < b.single;
  });
  for (const Candidate& c : candidates) {
    TrackState& track = tracks_[live[c.track]];
    const Node node = data.nodes[data.singles[c.single]];
    if (!UsesCamera(track, f, node.camera)) track.assignments.push_back({f, node});
  }
  return ambiguous;
}

// Per camera pair, the median of the pooled distances of its mutually nearest detection pairs,
// symmetric (C x C, row-major), NaN on the diagonal and for pairs with fewer than
// kMinScaleSamples.
std::vector<double> MedianPairDistances(size_t num_cams, std::vector<std::vector<double>> pooled) {
  std::vector<double> median(num_cams * num_cams, kNaN);
  for (size_t a = 0; a < num_cams; ++a)
    for (size_t b = a + 1; b < num_cams; ++b) {
      std::vector<double>& v = pooled[a * num_cams + b];
      if (v.size() < kMinScaleSamples) continue;
      std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
      median[a * num_cams + b] = median[b * num_cams + a] = v[v.size() / 2];
    }
  return median;
}

std::vector<CameraModel> CameraModels(const Rig& rig) {
  std::vector<CameraModel> cams;
  for (const Camera& cam : rig) cams.push_back({cam.cam_from_world.RotationMatrix(), cam.cam_from_world.translation, cam.MeanFocal()});
  return cams;
}

AssociationResult CollectTracks(const MultiDetections& detections, const Tracker& tracker) {
  AssociationResult result;
  for (const TrackState& state : tracker.tracks()) {
    if (state.id < 0) continue;
    Track track(state.id, detections.num_cameras(), detections.num_frames(), detections.num_joints());
    for (const auto& a : state.assignments) track.Assign(detections, a.node.camera, a.frame, a.node.detection);
    track.points = Points3d(detections.num_frames(), detections.num_joints());
    for (const auto& [f, pose] : state.poses)
      for (joint_t j = 0; j < detections.num_joints(); ++j) track.points.at(f, j) = pose[j];
    result.tracks.push_back(std::move(track));
  }
  std::sort(result.tracks.begin(), result.tracks.end(), [](const Track& a, const Track& b) { return a.id < b.id; });
  return result;
}

}  // namespace

void CalibratedAssociationOptions::Check() const {
  auto fail = [](const std::string& what) { throw std::invalid_argument("CalibratedAssociationOptions: " + what); };
  if (!(min_confidence >= 0.0)) fail("min_confidence must be >= 0");
  if (min_common_joints < 1) fail("min_common_joints must be >= 1");
  if (!(epipolar_threshold_px > 0.0)) fail("epipolar_threshold_px must be > 0");
  if (!(epipolar_scale_factor >= 0.0) || !std::isfinite(epipolar_scale_factor)) fail("epipolar_scale_factor must be >= 0");
  if (!(epipolar_threshold_max_px > 0.0) || !std::isfinite(epipolar_threshold_max_px))
    fail("epipolar_threshold_max_px must be > 0");
  if (!(min_affinity > 0.0 && min_affinity <= 1.0)) fail("min_affinity must be in (0, 1]");
  triangulation.Check();
  if (!(release_threshold_px > 0.0)) fail("release_threshold_px must be > 0");
  if (!(release_tail_factor >= 0.0) || !std::isfinite(release_tail_factor)) fail("release_tail_factor must be >= 0");
  if (!(gate_m > 0.0) || !(gate_growth_m >= 0.0)) fail("gate_m must be > 0 and gate_growth_m >= 0");
  if (birth_frames < 1) fail("birth_frames must be >= 1");
  if (max_gap_frames < 1) fail("max_gap_frames must be >= 1");
  if (!(prediction_threshold_px > 0.0)) fail("prediction_threshold_px must be > 0");
  if (!(velocity_smoothing >= 0.0 && velocity_smoothing < 1.0)) fail("velocity_smoothing must be in [0, 1)");
}

AssociationResult AssociateWithCalibration(const Rig& rig, const MultiDetections& detections,
                                           const CalibratedAssociationOptions& options) {
  options.Check();
  CheckRig(rig, detections);
  const std::vector<CameraModel> cams = CameraModels(rig);
  const std::vector<Eigen::Matrix3d> essentials = EssentialMatrices(cams);
  Tracker tracker(cams, detections.num_joints(), options);
  int64_t uncertain = 0;
  frame_t first_busy = kInvalidFrameId;
  // Frames are matched in parallel a chunk at a time (bounded memory), then tracked in order.
  constexpr frame_t kChunk = 512;
  std::vector<FrameData> frames(kChunk);
  std::vector<std::vector<double>> pair_distances(cams.size() * cams.size());
  for (frame_t begin = 0; begin < detections.num_frames(); begin += kChunk) {
    const frame_t end = std::min<frame_t>(begin + kChunk, detections.num_frames());
    const std::vector<double> pair_threshold =
        PairThresholds(rig, cams, essentials, detections, begin, end, options, &pair_distances);
    tbb::parallel_for(tbb::blocked_range<frame_t>(begin, end), [&](const tbb::blocked_range<frame_t>& r) {
      for (frame_t f = r.begin(); f != r.end(); ++f)
        frames[f - begin] = MatchFrame(rig, cams, essentials, pair_threshold, detections, f, options);
    });
    const std::vector<double> release_px = ReleaseThresholds(frames, static_cast<size_t>(end - begin), cams.size(), options);
    tracker.SetReleaseThresholds(release_px);
    tbb::parallel_for(tbb::blocked_range<frame_t>(begin, end), [&](const tbb::blocked_range<frame_t>& r) {
      for (frame_t f = r.begin(); f != r.end(); ++f)
        ReleaseFrame(cams, detections.num_joints(), release_px, options, &frames[f - begin]);
    });
    for (frame_t f = begin; f < end; ++f) {
      const FrameData& data = frames[f - begin];
      const bool step_uncertain = tracker.Step(f, data);
      uncertain += (step_uncertain || data.uncertain) ? 1 : 0;
      if (first_busy == kInvalidFrameId && !data.nodes.empty()) first_busy = f;
    }
  }
  AssociationResult result = CollectTracks(detections, tracker);
  CountAssignments(detections, &result);
  result.summary.num_uncertain_frames = uncertain;
  result.summary.num_deaths = tracker.deaths();
  result.summary.num_reidentifications = tracker.reidentifications();
  for (const Track& t : result.tracks) result.summary.num_births += t.first_frame > first_busy ? 1 : 0;
  result.summary.pair_epipolar_px = MedianPairDistances(cams.size(), std::move(pair_distances));
  return result;
}

namespace {

double MedianOf(std::vector<double> v) {
  if (v.empty()) return kNaN;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

}  // namespace

std::vector<OutlyingCamera> OutlyingCameras(const std::vector<double>& pair_epipolar_px, int num_cameras,
                                            double ratio) {
  std::vector<OutlyingCamera> out;
  const size_t n = static_cast<size_t>(num_cameras);
  if (num_cameras < 3 || pair_epipolar_px.size() != n * n) return out;
  for (size_t c = 0; c < n; ++c) {
    std::vector<double> own, others;
    for (size_t a = 0; a < n; ++a)
      for (size_t b = a + 1; b < n; ++b) {
        const double d = pair_epipolar_px[a * n + b];
        if (!std::isfinite(d)) continue;
        (a == c || b == c ? own : others).push_back(d);
      }
    const double own_px = MedianOf(own), others_px = MedianOf(others);
    if (std::isfinite(own_px) && std::isfinite(others_px) && own_px > ratio * others_px)
      out.push_back({static_cast<camera_t>(c), own_px, others_px});
  }
  return out;
}

}  // namespace epilabel
