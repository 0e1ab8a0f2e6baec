#include "geometry/estimators/single_view_completion.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>

#include <Eigen/Geometry>

#include "foundation/statistics.h"

namespace epilabel {

void SingleViewCompletionOptions::Check() const {
  if (window_frames < 0) throw std::invalid_argument("completion window_frames must be >= 0");
  if (!(max_prediction_distance_m > 0)) throw std::invalid_argument("completion max_prediction_distance_m must be > 0");
  if (!(bone_tolerance > 0 && bone_tolerance < 1)) throw std::invalid_argument("completion bone_tolerance must be in (0, 1)");
  if (min_bone_frames < 1) throw std::invalid_argument("completion min_bone_frames must be >= 1");
}

std::string SingleViewCompletionSummary::BriefReport() const {
  std::ostringstream os;
  os << "completed " << completed << " of " << candidates << " points seen by one camera or by views that disagree ("
     << from_bone << " by a bone length, " << completed_from_several << " of " << several_views
     << " from disagreeing views); refused: " << refused_no_support << " without support, " << refused_ambiguous
     << " ambiguous, " << refused_bone << " off every bone, " << refused_far << " far from the motion";
  return os.str();
}

void SingleViewCompletionSummary::Add(const SingleViewCompletionSummary& o) {
  candidates += o.candidates;
  several_views += o.several_views;
  completed += o.completed;
  from_bone += o.from_bone;
  completed_from_several += o.completed_from_several;
  refused_no_support += o.refused_no_support;
  refused_ambiguous += o.refused_ambiguous;
  refused_bone += o.refused_bone;
  refused_far += o.refused_far;
}

namespace {

constexpr double kMadToSigma = 1.4826;
// Smallest |cos| between the ray and the bone in the depth uncertainty (a ray along the sphere's
// tangent fixes no depth); the depth sigma is also capped at the bone length.
constexpr double kMinCosine = 0.05;

struct BoneStats {
  double length = kNaN;  // median over the frames where both ends are triangulated
  double spread = kNaN;  // 1.4826 x MAD of those lengths
};

// A point of the per-frame result that may support a completion: two views or more.
inline bool Supported(const Points3d& points, const FrameJointArray<int32_t>& num_views, frame_t f, joint_t j) {
  return num_views.at(f, j) >= 2 && points.IsValid(f, j);
}

inline bool Usable(const Eigen::Vector3d& o, double min_confidence) {
  return o.z() >= min_confidence && o.z() > 0.0 && o.allFinite();
}

// Everything the completion of one point reads.
struct CompletionContext {
  const Rig* rig = nullptr;
  const Observations2d* observations = nullptr;
  const Points3d* points = nullptr;
  const FrameJointArray<int32_t>* num_views = nullptr;
  const FrameJointArray<double>* uncertainty_m = nullptr;
  const std::vector<Bone>* bones = nullptr;
  std::vector<BoneStats> bone_stats;
  std::vector<Eigen::Vector3d> centers;          // camera centres in the world
  std::vector<Eigen::Matrix3d> world_from_cam;   // rotations
  double prior_sigma_px = 1.0;
  const SingleViewCompletionOptions* options = nullptr;
};

std::vector<BoneStats> MeasureBones(const CompletionContext& ctx) {
  const Points3d& p = *ctx.points;
  std::vector<BoneStats> stats(ctx.bones->size());
  std::vector<double> lengths;
  for (size_t b = 0; b < ctx.bones->size(); ++b) {
    const Bone& bone = (*ctx.bones)[b];
    if (bone.parent < 0 || bone.child < 0 || bone.parent >= p.num_joints() || bone.child >= p.num_joints()) continue;
    lengths.clear();
    for (frame_t f = 0; f < p.num_frames(); ++f)
      if (Supported(p, *ctx.num_views, f, bone.parent) && Supported(p, *ctx.num_views, f, bone.child))
        lengths.push_back((p.at(f, bone.parent) - p.at(f, bone.child)).norm());
    if (static_cast<int>(lengths.size()) < ctx.options->min_bone_frames) continue;
    stats[b].length = Median(lengths);
    for (double& l : lengths) l = std::abs(l - stats[b].length);
    stats[b].spread = kMadToSigma * Median(lengths);
  }
  return stats;
}

// The joint's own per-frame positions in the nearest supported frames within the window before
// and after f, interpolated linearly in the frame index (or the one that exists).
std::optional<Eigen::Vector3d> TemporalPrediction(const CompletionContext& ctx, frame_t f, joint_t j) {
  const int window = ctx.options->window_frames;
  const Points3d& p = *ctx.points;
  frame_t before = -1, after = -1;
  for (frame_t g = f - 1; g >= std::max(0, f - window); --g)
    if (Supported(p, *ctx.num_views, g, j)) {
      before = g;
      break;
    }
  for (frame_t g = f + 1; g <= std::min(p.num_frames() - 1, f + window); ++g)
    if (Supported(p, *ctx.num_views, g, j)) {
      after = g;
      break;
    }
  if (before < 0 && after < 0) return std::nullopt;
  if (after < 0) return p.at(before, j);
  if (before < 0) return p.at(after, j);
  const double w = static_cast<double>(f - before) / (after - before);
  return Eigen::Vector3d((1.0 - w) * p.at(before, j) + w * p.at(after, j));
}

struct Ray {
  Eigen::Vector3d origin, direction;  // world; direction of unit length
};

// A point on the ray with the bone it rests on (-1: none).
struct Candidate {
  double depth = 0;
  int bone = -1;
  joint_t neighbour = -1;
};

// Depths along the ray at which the distance to `center` is `length`: two roots, one when
// they are within the tolerance of each other (their midpoint) or when the ray misses the
// sphere by at most the tolerance (the point nearest the centre); none otherwise. Roots behind
// the camera are dropped.
int SphereDepths(const Ray& ray, const Eigen::Vector3d& center, double length, double tolerance,
                 std::array<double, 2>* depths) {
  const Eigen::Vector3d v = center - ray.origin;
  const double t0 = ray.direction.dot(v);
  const double d2 = std::max(0.0, v.squaredNorm() - t0 * t0);
  const double disc = length * length - d2;
  int n = 0;
  if (disc < 0) {
    if (std::sqrt(d2) - length > tolerance * length) return 0;
    if (t0 > 0) (*depths)[n++] = t0;
    return n;
  }
  const double s = std::sqrt(disc);
  if (2.0 * s < tolerance * length) {
    if (t0 > 0) (*depths)[n++] = t0;
    return n;
  }
  if (t0 - s > 0) (*depths)[n++] = t0 - s;
  if (t0 + s > 0) (*depths)[n++] = t0 + s;
  return n;
}

// Calls fn(bone index, neighbour joint, bone length) for every bone of joint j with a known
// length whose other end is triangulated (supported) in frame f.
template <typename Fn>
void ForEachSupportedBone(const CompletionContext& ctx, frame_t f, joint_t j, Fn&& fn) {
  for (size_t b = 0; b < ctx.bones->size(); ++b) {
    const Bone& bone = (*ctx.bones)[b];
    const double len = ctx.bone_stats[b].length;
    if (!(len > 0) || (bone.parent != j && bone.child != j)) continue;
    const joint_t other = bone.parent == j ? bone.child : bone.parent;
    if (!Supported(*ctx.points, *ctx.num_views, f, other)) continue;
    fn(b, other, len);
  }
}

// Sum of the relative bone-length misfits of x to every supported neighbour of joint j.
double BoneMisfit(const CompletionContext& ctx, frame_t f, joint_t j, const Eigen::Vector3d& x) {
  double cost = 0;
  ForEachSupportedBone(ctx, f, j, [&](size_t, joint_t other, double len) {
    cost += std::abs((x - ctx.points->at(f, other)).norm() - len) / len;
  });
  return cost;
}

enum class Outcome { kCompleted, kNoSupport, kAmbiguous, kOffBone, kFar };

// Of the bone candidates, the one nearest the prediction, or without a prediction the one that
// fits the other bones best when it does so clearly (another candidate apart from it by more
// than the tolerance must misfit by more than the tolerance).
Outcome ChooseCandidate(const CompletionContext& ctx, frame_t f, joint_t j, const Ray& ray,
                        const std::vector<Candidate>& candidates, const std::optional<Eigen::Vector3d>& prediction,
                        Candidate* chosen) {
  auto at = [&](const Candidate& c) -> Eigen::Vector3d { return ray.origin + c.depth * ray.direction; };
  double best = std::numeric_limits<double>::infinity();
  for (const Candidate& c : candidates) {
    const double score = prediction ? (at(c) - *prediction).norm() : BoneMisfit(ctx, f, j, at(c));
    if (score < best) best = score, *chosen = c;
  }
  if (prediction) return Outcome::kCompleted;
  const double tol = ctx.options->bone_tolerance;
  const Eigen::Vector3d x = at(*chosen);
  for (const Candidate& c : candidates) {
    const double apart = (at(c) - x).norm();
    if (apart > tol * ctx.bone_stats[chosen->bone].length && BoneMisfit(ctx, f, j, at(c)) <= best + tol)
      return Outcome::kAmbiguous;
  }
  return Outcome::kCompleted;
}

// sqrt(trace(covariance)) of a completed point at depth `depth` of camera c's ray.
double CompletionUncertainty(const CompletionContext& ctx, camera_t c, const Ray& ray, double depth,
                             const Candidate& chosen, frame_t f) {
  const double lateral = ctx.prior_sigma_px * depth / (*ctx.rig)[c].MeanFocal();
  double along = 0.5 * ctx.options->max_prediction_distance_m;
  if (chosen.bone >= 0) {
    const BoneStats& bs = ctx.bone_stats[chosen.bone];
    const Eigen::Vector3d x = ray.origin + depth * ray.direction;
    const Eigen::Vector3d to_neighbour = x - ctx.points->at(f, chosen.neighbour);
    const double cosine = std::abs(ray.direction.dot(to_neighbour)) / std::max(to_neighbour.norm(), 1e-12);
    double neighbour_sigma = ctx.uncertainty_m->at(f, chosen.neighbour);
    if (!std::isfinite(neighbour_sigma)) neighbour_sigma = 0;
    const double spread = std::isfinite(bs.spread) ? bs.spread : 0.0;
    along = std::min(std::hypot(spread, neighbour_sigma) / std::max(cosine, kMinCosine), bs.length);
  }
  return std::sqrt(2.0 * lateral * lateral + along * along);
}

// Completes joint j of frame f from camera c's observation `o`; `score` (lower is better):
// the distance to the prediction, else the bone misfit.
Outcome CompleteJoint(const CompletionContext& ctx, frame_t f, joint_t j, camera_t c, const Eigen::Vector3d& o,
                      CompletedJoint* out, double* score) {
  const Camera& cam = (*ctx.rig)[c];
  const Eigen::Vector2d xn = cam.NormalizedFromImage(o.head<2>());
  Ray ray;
  ray.origin = ctx.centers[c];
  ray.direction = (ctx.world_from_cam[c] * Eigen::Vector3d(xn.x(), xn.y(), 1.0)).normalized();
  const std::optional<Eigen::Vector3d> prediction =
      ctx.options->window_frames > 0 ? TemporalPrediction(ctx, f, j) : std::nullopt;

  std::vector<Candidate> candidates;
  int neighbours = 0;
  ForEachSupportedBone(ctx, f, j, [&](size_t b, joint_t other, double len) {
    ++neighbours;
    std::array<double, 2> depths{};
    const int n = SphereDepths(ray, ctx.points->at(f, other), len, ctx.options->bone_tolerance, &depths);
    for (int k = 0; k < n; ++k) candidates.push_back({depths[k], static_cast<int>(b), other});
  });
  Candidate chosen;
  if (neighbours == 0) {
    if (!prediction) return Outcome::kNoSupport;
    chosen.depth = std::max(ray.direction.dot(*prediction - ray.origin), 1e-6);
  } else {
    if (candidates.empty()) return Outcome::kOffBone;
    const Outcome o_choice = ChooseCandidate(ctx, f, j, ray, candidates, prediction, &chosen);
    if (o_choice != Outcome::kCompleted) return o_choice;
  }
  const Eigen::Vector3d x = ray.origin + chosen.depth * ray.direction;
  if (prediction && (x - *prediction).norm() > ctx.options->max_prediction_distance_m) return Outcome::kFar;
  out->frame = f;
  out->joint = j;
  out->camera = c;
  out->point_in_world = x;
  out->from_bone = chosen.bone >= 0;
  out->uncertainty_m = CompletionUncertainty(ctx, c, ray, chosen.depth, chosen, f);
  const auto px = cam.ImageFromWorld(x);
  out->reproj_error_px = px ? (*px - o.head<2>()).norm() : kNaN;
  *score = prediction ? (x - *prediction).norm() : BoneMisfit(ctx, f, j, x);
  return Outcome::kCompleted;
}

void Count(Outcome outcome, SingleViewCompletionSummary* s) {
  switch (outcome) {
    case Outcome::kCompleted: ++s->completed; break;
    case Outcome::kNoSupport: ++s->refused_no_support; break;
    case Outcome::kAmbiguous: ++s->refused_ambiguous; break;
    case Outcome::kOffBone: ++s->refused_bone; break;
    case Outcome::kFar: ++s->refused_far; break;
  }
}

}  // namespace

SingleViewCompletion CompleteSingleViewJoints(const Rig& rig, const Observations2d& observations,
                                              const Points3d& points, const FrameJointArray<int32_t>& num_views,
                                              const FrameJointArray<double>& uncertainty_m,
                                              const std::vector<Bone>& bones, double min_confidence,
                                              double prior_sigma_px, const SingleViewCompletionOptions& options) {
  options.Check();
  if (static_cast<int>(rig.size()) != observations.num_cameras() || points.num_frames() != observations.num_frames() ||
      points.num_joints() != observations.num_joints())
    throw std::invalid_argument("CompleteSingleViewJoints: rig, observations and points do not match");
  SingleViewCompletion result;
  if (!options.enabled) return result;
  CompletionContext ctx;
  ctx.rig = &rig;
  ctx.observations = &observations;
  ctx.points = &points;
  ctx.num_views = &num_views;
  ctx.uncertainty_m = &uncertainty_m;
  ctx.bones = &bones;
  ctx.prior_sigma_px = prior_sigma_px;
  ctx.options = &options;
  bool measured = false;
  for (frame_t f = 0; f < points.num_frames(); ++f)
    for (joint_t j = 0; j < points.num_joints(); ++j) {
      if (points.IsValid(f, j)) continue;
      std::array<camera_t, 64> seeing{};
      int views = 0;
      for (camera_t c = 0; c < observations.num_cameras() && views < 64; ++c)
        if (Usable(observations.at(c, f, j), min_confidence)) seeing[views++] = c;
      if (views == 0 || (views > 1 && !options.disagreeing_views)) continue;
      if (!measured) {  // only tracks with candidates pay for the bone lengths
        ctx.bone_stats = MeasureBones(ctx);
        for (const Camera& cam : rig) {
          ctx.centers.push_back(cam.CenterInWorld());
          ctx.world_from_cam.push_back(cam.cam_from_world.RotationMatrix().transpose());
        }
        measured = true;
      }
      ++result.summary.candidates;
      result.summary.several_views += views > 1 ? 1 : 0;
      // Each view alone (several: views the per-frame fit found no agreement between); the one
      // nearest the motion (else fitting the bones best) is kept.
      CompletedJoint best;
      Outcome outcome = Outcome::kNoSupport;
      double best_score = std::numeric_limits<double>::infinity();
      for (int k = 0; k < views; ++k) {
        CompletedJoint cj;
        double score = 0;
        const Outcome o = CompleteJoint(ctx, f, j, seeing[k], observations.at(seeing[k], f, j), &cj, &score);
        if (o == Outcome::kCompleted && score < best_score) {
          outcome = o;
          best = cj;
          best_score = score;
        } else if (o != Outcome::kCompleted && k == 0) {
          outcome = o;  // counted when no view completes it
        }
      }
      Count(outcome, &result.summary);
      if (outcome != Outcome::kCompleted) continue;
      result.summary.from_bone += best.from_bone ? 1 : 0;
      result.summary.completed_from_several += views > 1 ? 1 : 0;
      result.joints.push_back(best);
    }
  return result;
}

}  // namespace epilabel
