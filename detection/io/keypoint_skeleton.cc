#include "detection/io/keypoint_skeleton.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "detection/skeleton.h"
#include "foundation/error.h"

namespace epilabel::keypoint_skeleton {

namespace {

// Median over the sample poses of the mean bone length, relative to the pose's size: small for
// the skeleton whose limbs connect neighbouring joints. NaN when no sample has a seen bone.
double BoneScore(const Skeleton& skeleton, const std::vector<const Person2d*>& samples) {
  std::vector<double> scores;
  for (const Person2d* p : samples) {
    Eigen::Vector2d lo = Eigen::Vector2d::Constant(1e300), hi = -lo;
    for (const auto& j : p->joints) {
      if (j.z() <= 0.0) continue;
      lo = lo.cwiseMin(j.head<2>());
      hi = hi.cwiseMax(j.head<2>());
    }
    const double scale = (hi - lo).norm();
    if (!(scale > 0.0) || !std::isfinite(scale)) continue;
    double sum = 0.0;
    int count = 0;
    for (const Bone& b : skeleton.bones) {
      const auto& a = p->joints[static_cast<size_t>(b.parent)];
      const auto& c = p->joints[static_cast<size_t>(b.child)];
      if (a.z() <= 0.0 || c.z() <= 0.0) continue;
      sum += (a.head<2>() - c.head<2>()).norm();
      ++count;
    }
    if (count > 0) scores.push_back(sum / count / scale);
  }
  if (scores.empty()) return kNaN;
  std::nth_element(scores.begin(), scores.begin() + static_cast<long>(scores.size() / 2), scores.end());
  return scores[scores.size() / 2];
}

}  // namespace

std::string ResolveSkeleton(const std::string& requested, int num_joints, const std::vector<const Person2d*>& samples,
                            const std::string& where, const std::vector<std::string>& joint_names) {
  if (!requested.empty()) {
    const Skeleton& s = GetSkeleton(requested);
    if (s.num_joints() != num_joints) {
      throw InputError(where, "has " + std::to_string(num_joints) + " joints per person, but skeleton '" + requested +
                                  "' has " + std::to_string(s.num_joints()));
    }
    if (!joint_names.empty() && joint_names != s.joint_names) {
      for (const std::string& other : SkeletonNames()) {
        if (GetSkeleton(other).joint_names == joint_names) {
          throw InputError(where, "holds the joints of skeleton '" + other + "', not '" + requested + "'");
        }
      }
    }
    return requested;
  }
  if (!joint_names.empty()) {
    for (const std::string& name : SkeletonNames()) {
      if (GetSkeleton(name).joint_names == joint_names) return name;
    }
  }
  // The most complete sample pose lets GuessSkeleton look at the joints it needs.
  std::vector<Eigen::Vector3d> sample;
  int best_seen = -1;
  for (const Person2d* p : samples) {
    int seen = 0;
    for (const auto& j : p->joints) seen += j.z() > 0.0 ? 1 : 0;
    if (seen > best_seen) {
      best_seen = seen;
      sample = p->joints;
    }
  }
  std::string reason;
  const std::optional<std::string> guess = GuessSkeleton(num_joints, sample, &reason);
  if (!guess) throw InputError(where, reason + "; give `skeleton`");
  if (reason.empty()) return *guess;
  // Several skeletons share the count and the sample did not settle it: prefer a layout whose
  // limbs are clearly shorter than the default's on these poses (e.g. BODY_25B detections
  // without eyes, which GuessSkeleton's neck test needs).
  const double default_score = BoneScore(GetSkeleton(*guess), samples);
  std::string best = *guess;
  double best_score = default_score;
  for (const std::string& name : SkeletonsWithJointCount(num_joints)) {
    const double score = BoneScore(GetSkeleton(name), samples);
    if (std::isfinite(score) && (!std::isfinite(best_score) || score < best_score)) {
      best = name;
      best_score = score;
    }
  }
  if (best != *guess && std::isfinite(default_score) && best_score < 0.6 * default_score) return best;
  return *guess;
}

std::vector<const Person2d*> SamplePeople(const std::vector<const std::vector<Person2d>*>& frames) {
  size_t total = 0;
  for (const auto* f : frames) total += f->size();
  const size_t stride = std::max<size_t>(1, total / 400);
  std::vector<const Person2d*> out;
  size_t k = 0;
  for (const auto* f : frames) {
    for (const Person2d& p : *f) {
      if (k++ % stride == 0) out.push_back(&p);
    }
  }
  return out;
}

std::vector<const std::vector<Person2d>*> PeopleLists(const KeypointSequence& sequence) {
  std::vector<const std::vector<Person2d>*> frames;
  for (const auto& cam : sequence.cameras) {
    for (const auto& people : cam.people) frames.push_back(&people);
  }
  return frames;
}

}  // namespace epilabel::keypoint_skeleton
