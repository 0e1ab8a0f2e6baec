#include "geometry/sfm/world_frame.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

#include <Eigen/Eigenvalues>

#include "foundation/statistics.h"
#include "geometry/estimators/ransac.h"

namespace epilabel {

void WorldFrameOptions::Check() const {
  if (!(subject_height_m > 0.5 && subject_height_m < 2.8)) throw std::invalid_argument("subject height must be in (0.5, 2.8) m");
  if (!(subject_height_sigma_m >= 0)) throw std::invalid_argument("subject height sigma must be >= 0");
  if (baseline && !(baseline->metres > 0)) throw std::invalid_argument("baseline must be > 0 m");
  if (!(floor_inlier_m > 0)) throw std::invalid_argument("floor_inlier_m must be > 0");
  if (floor_iterations < 1) throw std::invalid_argument("floor_iterations must be >= 1");
  if (!(given_height_sigma_m >= 0)) throw std::invalid_argument("given_height_sigma_m must be >= 0");
  if (!(prior_outlier_sigmas > 0)) throw std::invalid_argument("prior_outlier_sigmas must be > 0");
  for (int p : frame_person)
    if (p < 0) throw std::invalid_argument("frame_person must be >= 0");
  for (const auto& [person, h] : person_heights_m)
    if (!(h > 0.5 && h < 2.8)) throw std::invalid_argument("person heights must be in (0.5, 2.8) m");
}

Rig TransformRig(const Rig& rig, const Sim3d& b_from_a) {
  Rig out = rig;
  for (Camera& cam : out) cam.cam_from_world = b_from_a.TransformCamFromWorld(cam.cam_from_world);
  return out;
}

Points3d TransformPoints(const Points3d& points, const Sim3d& b_from_a) {
  Points3d out(points.num_frames(), points.num_joints());
  for (frame_t f = 0; f < points.num_frames(); ++f)
    for (joint_t j = 0; j < points.num_joints(); ++j)
      if (points.IsValid(f, j)) out.at(f, j) = b_from_a * points.at(f, j);
  return out;
}

namespace {

std::optional<Eigen::Vector3d> MeanOf(const Points3d& p, frame_t f, const std::vector<joint_t>& joints) {
  Eigen::Vector3d sum = Eigen::Vector3d::Zero();
  int n = 0;
  for (joint_t j : joints) {
    if (!p.IsValid(f, j)) continue;
    sum += p.at(f, j);
    ++n;
  }
  if (n == 0) return std::nullopt;
  return sum / n;
}

// Plane n.x + d = 0 through points, least squares; returns the normal (unit) and d.
void FitPlane(const std::vector<Eigen::Vector3d>& pts, Eigen::Vector3d* normal, double* d) {
  Eigen::Vector3d c = Eigen::Vector3d::Zero();
  for (const auto& p : pts) c += p;
  c /= static_cast<double>(pts.size());
  Eigen::Matrix3d cov = Eigen::Matrix3d::Zero();
  for (const auto& p : pts) cov += (p - c) * (p - c).transpose();
  Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d> es(cov);
  *normal = es.eigenvectors().col(0);
  *d = -normal->dot(c);
}

}  // namespace

namespace {

// (q75 - q25) / median of values; NaN with fewer than 4 values or a median of 0.
double SpreadRel(std::vector<double> values) {
  if (values.size() < 4) return kNaN;
  std::sort(values.begin(), values.end());
  const auto at = [&](double q) { return values[static_cast<size_t>(q * static_cast<double>(values.size() - 1) + 0.5)]; };
  const double median = Median(values);
  return median > 0 ? (at(0.75) - at(0.25)) / median : kNaN;
}

// A leg bone over the chains: the mean of the chains' median lengths, the mean of their spreads
// and the chains' disagreement (see StatureSegment).
struct ChainBone {
  double length = kNaN;
  double spread_rel = kNaN;
  double asymmetry_rel = kNaN;
};

// Every bone of the chains (bone k joins chain[k] and chain[k + 1]) over the chains that see it;
// NaN for a bone no chain has.
std::vector<ChainBone> MeanChainBones(const Points3d& points, const std::vector<std::vector<joint_t>>& chains) {
  size_t num_bones = 0;
  for (const auto& chain : chains) num_bones = std::max(num_bones, chain.size() > 0 ? chain.size() - 1 : 0);
  std::vector<std::vector<double>> medians(num_bones), spreads(num_bones);
  for (const auto& chain : chains)
    for (size_t k = 0; k + 1 < chain.size(); ++k) {
      std::vector<double> lengths;
      for (frame_t f = 0; f < points.num_frames(); ++f)
        if (points.IsValid(f, chain[k]) && points.IsValid(f, chain[k + 1]))
          lengths.push_back((points.at(f, chain[k]) - points.at(f, chain[k + 1])).norm());
      const double m = Median(lengths);
      if (!std::isfinite(m)) continue;
      medians[k].push_back(m);
      const double spread = SpreadRel(lengths);
      if (std::isfinite(spread)) spreads[k].push_back(spread);
    }
  const auto mean = [](const std::vector<double>& v) {
    double sum = 0.0;
    for (double x : v) sum += x;
    return v.empty() ? kNaN : sum / static_cast<double>(v.size());
  };
  std::vector<ChainBone> bones(num_bones);
  for (size_t k = 0; k < num_bones; ++k) {
    bones[k].length = mean(medians[k]);
    bones[k].spread_rel = mean(spreads[k]);
    if (medians[k].size() >= 2) {
      const auto [lo, hi] = std::minmax_element(medians[k].begin(), medians[k].end());
      bones[k].asymmetry_rel = (*hi - *lo) / bones[k].length;
    }
  }
  return bones;
}

// Median over frames and chains of 180 deg minus the angle at each three-joint chain's middle
// joint; NaN when no chain of three joints is ever seen whole.
double MedianFlexionDeg(const Points3d& points, const std::vector<std::vector<joint_t>>& chains) {
  std::vector<double> flexion;
  for (const auto& chain : chains) {
    if (chain.size() != 3) continue;
    for (frame_t f = 0; f < points.num_frames(); ++f) {
      if (!points.IsValid(f, chain[0]) || !points.IsValid(f, chain[1]) || !points.IsValid(f, chain[2])) continue;
      const Eigen::Vector3d a = points.at(f, chain[0]) - points.at(f, chain[1]);
      const Eigen::Vector3d b = points.at(f, chain[2]) - points.at(f, chain[1]);
      if (!(a.norm() > 0 && b.norm() > 0)) continue;
      const double cosine = std::clamp(a.dot(b) / (a.norm() * b.norm()), -1.0, 1.0);
      flexion.push_back(180.0 - std::acos(cosine) * 180.0 / M_PI);
    }
  }
  return Median(flexion);
}

}  // namespace

double MeasureHeightChain(const Points3d& points, const HeightModel& hm) {
  std::vector<double> legs;
  for (const auto& leg : hm.legs) {
    double total = 0.0;
    bool ok = leg.size() >= 2;
    for (size_t k = 0; k + 1 < leg.size(); ++k) {
      std::vector<double> lengths;
      for (frame_t f = 0; f < points.num_frames(); ++f)
        if (points.IsValid(f, leg[k]) && points.IsValid(f, leg[k + 1]))
          lengths.push_back((points.at(f, leg[k]) - points.at(f, leg[k + 1])).norm());
      const double m = Median(lengths);
      ok = ok && std::isfinite(m);
      total += m;
    }
    if (ok) legs.push_back(total);
  }
  std::vector<double> torso;
  for (frame_t f = 0; f < points.num_frames() && !hm.torso_bottom.empty() && !hm.torso_top.empty(); ++f) {
    bool complete = true;
    for (joint_t j : hm.torso_bottom) complete = complete && points.IsValid(f, j);
    for (joint_t j : hm.torso_top) complete = complete && points.IsValid(f, j);
    if (!complete) continue;
    const auto bottom = MeanOf(points, f, hm.torso_bottom), top = MeanOf(points, f, hm.torso_top);
    torso.push_back((*top - *bottom).norm());
  }
  const bool use_torso = !hm.torso_bottom.empty() && !hm.torso_top.empty();
  const double torso_length = use_torso ? Median(torso) : 0.0;
  if (legs.empty() || !std::isfinite(torso_length)) return kNaN;
  double mean = 0;
  for (double l : legs) mean += l;
  return mean / static_cast<double>(legs.size()) + torso_length;
}

namespace {

// The per-frame distance between the means of two joint groups, over the frames that see every
// joint of both.
std::vector<double> GroupDistances(const Points3d& points, const std::vector<joint_t>& bottom,
                                   const std::vector<joint_t>& top) {
  std::vector<double> d;
  if (bottom.empty() || top.empty()) return d;
  for (frame_t f = 0; f < points.num_frames(); ++f) {
    bool complete = true;
    for (joint_t j : bottom) complete = complete && points.IsValid(f, j);
    for (joint_t j : top) complete = complete && points.IsValid(f, j);
    if (complete) d.push_back((*MeanOf(points, f, top) - *MeanOf(points, f, bottom)).norm());
  }
  return d;
}

// The upright distance between the means of two joint groups: the `quantile` of its per-frame
// values (GroupDistances; bending, slouching and looking down only shorten it). NaN with fewer
// than 10 such frames.
double UprightDistance(const Points3d& points, const std::vector<joint_t>& bottom, const std::vector<joint_t>& top,
                       double quantile) {
  std::vector<double> d = GroupDistances(points, bottom, top);
  if (d.size() < 10) return kNaN;
  const double q = std::clamp(quantile, 0.5, 1.0);
  const size_t k = std::min(d.size() - 1, static_cast<size_t>(q * static_cast<double>(d.size() - 1) + 0.5));
  std::nth_element(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(k), d.end());
  return d[k];
}

}  // namespace

namespace {

// Distance of `p` from the line through a and b.
double DistanceFromLine(const Eigen::Vector3d& p, const Eigen::Vector3d& a, const Eigen::Vector3d& b) {
  const Eigen::Vector3d u = b - a;
  const double n2 = u.squaredNorm();
  if (!(n2 > 0.0)) return kNaN;
  return ((p - a) - u * ((p - a).dot(u) / n2)).norm();
}

// The ankles' median distance from their soles (StatureModel::soles) over every chain and frame
// that sees the ankle and both sole joints; NaN with fewer than 10 such observations.
double AnkleAboveSoles(const Points3d& points, const StatureModel& model) {
  std::vector<double> d;
  for (size_t c = 0; c < model.legs.size() && c < model.soles.size(); ++c) {
    if (model.legs[c].empty() || model.soles[c].size() < 2) continue;
    const joint_t ankle = model.legs[c][0], heel = model.soles[c][0], toe = model.soles[c][1];
    for (frame_t f = 0; f < points.num_frames(); ++f) {
      if (!points.IsValid(f, ankle) || !points.IsValid(f, heel) || !points.IsValid(f, toe)) continue;
      const double h = DistanceFromLine(points.at(f, ankle), points.at(f, heel), points.at(f, toe));
      if (std::isfinite(h)) d.push_back(h);
    }
  }
  return d.size() < 10 ? kNaN : Median(d);
}

}  // namespace

StatureMeasurement MeasureStature(const Points3d& points, const StatureModel& model) {
  StatureMeasurement m;
  m.method = "segment stack";
  m.constant_m = model.ankle_height_m + model.head_top_m;
  m.sigma_rel = model.sigma_rel;
  if ((model.head.empty() && model.crown.empty()) || model.hips.empty() || model.legs.empty()) return m;
  // Legs: the median length of every bone, summed along each chain, averaged over the chains;
  // the bones also averaged one by one for the report (shin, thigh for {ankle, knee, hip}).
  HeightModel legs_only;
  legs_only.legs = model.legs;
  const double legs = MeasureHeightChain(points, legs_only);
  if (!std::isfinite(legs)) return m;
  // Trunk and neck up to the head joints, else up to the crown.
  double trunk = UprightDistance(points, model.hips, model.head, model.upright_quantile);
  StatureSegment top{"hips to head", trunk, 0.0}, cap{"head top", kNaN, model.head_top_m};
  top.spread_rel = SpreadRel(GroupDistances(points, model.hips, model.head));
  if (!std::isfinite(trunk)) {
    trunk = UprightDistance(points, model.hips, model.crown, model.upright_quantile);
    top = {"hips to crown", trunk, 0.0};
    top.spread_rel = SpreadRel(GroupDistances(points, model.hips, model.crown));
    cap = {"crown to top", kNaN, model.crown_top_m};
  }
  if (!std::isfinite(trunk)) return m;
  const double ankle = model.soles.empty() ? kNaN : AnkleAboveSoles(points, model);
  m.length = legs + trunk;
  if (std::isfinite(ankle)) {
    m.length += ankle;
    m.constant_m = model.sole_height_m + cap.constant_m;
    m.segments = {{"sole", kNaN, model.sole_height_m}, {"ankle above sole", ankle, 0.0}};
  } else {
    m.constant_m = model.ankle_height_m + cap.constant_m;
    m.segments = {{"ankle height", kNaN, model.ankle_height_m}};
  }
  const std::vector<ChainBone> bones = MeanChainBones(points, model.legs);
  const char* leg_names[] = {"shin", "thigh"};
  for (size_t b = 0; b < bones.size(); ++b)
    m.segments.push_back({b < 2 ? leg_names[b] : "leg bone " + std::to_string(b + 1), bones[b].length, 0.0,
                          bones[b].spread_rel, bones[b].asymmetry_rel});
  m.segments.push_back(top);
  m.segments.push_back(cap);
  m.knee_flexion_deg = MedianFlexionDeg(points, model.legs);
  return m;
}

std::vector<std::string> StatureNotes(const StatureMeasurement& m, const StatureModel& model) {
  std::vector<std::string> notes;
  if (!m.ok()) return notes;
  double shin = kNaN, thigh = kNaN;
  for (const StatureSegment& seg : m.segments) {
    if (seg.name == "shin") shin = seg.length;
    if (seg.name == "thigh") thigh = seg.length;
  }
  const double ratio = shin / thigh;
  if (!std::isfinite(ratio) || (ratio >= model.min_shin_thigh_ratio && ratio <= model.max_shin_thigh_ratio)) return notes;
  char buf[400];
  const bool ankle_constant = !m.segments.empty() && m.segments[0].name == "ankle height";
  std::snprintf(buf, sizeof(buf),
                "stature: the shins measure %.2f of the thighs (adults about 1.0): the detector places the knees or the "
                "ankles off the joints%s (see scale.stature_segments in report.json)",
                ratio,
                ankle_constant ? "; an ankle keypoint above the ankle height the model assumes makes the scale too large"
                               : "");
  notes.emplace_back(buf);
  return notes;
}

StatureMeasurement MeasureSubjectHeight(const Points3d& points, const WorldFrameOptions& options) {
  StatureMeasurement m = MeasureStature(points, options.stature_model);
  if (m.ok()) return m;
  m = StatureMeasurement();
  if (options.height_model.ratio > 0) {
    m.length = MeasureHeightChain(points, options.height_model);
    m.ratio = options.height_model.ratio;
    m.sigma_rel = options.height_model_sigma_rel;
    m.method = "leg + torso ratio";
    if (m.ok()) return m;
  }
  if (options.arm_model.ratio > 0) {
    m.length = MeasureHeightChain(points, options.arm_model);
    m.ratio = options.arm_model.ratio;
    m.sigma_rel = options.arm_model_sigma_rel;
    m.method = "arm ratio";
  }
  return m;
}

namespace {

// Scale from the distance between two camera centres. False (with the reason) when the
// baseline does not name two distinct, separated cameras.
bool ScaleFromBaseline(const Rig& rig, const BaselineScale& b, WorldFrameResult* r) {
  if (b.camera_a < 0 || b.camera_b < 0 || b.camera_a >= static_cast<int>(rig.size()) ||
      b.camera_b >= static_cast<int>(rig.size()) || b.camera_a == b.camera_b) {
    r->failure_reason = "baseline cameras are not two distinct cameras of the rig";
    return false;
  }
  const double d = (rig[b.camera_a].CenterInWorld() - rig[b.camera_b].CenterInWorld()).norm();
  if (!(d > 0)) {
    r->failure_reason = "the two baseline cameras coincide in the reconstruction";
    return false;
  }
  r->scale = b.metres / d;
  r->scale_method = "camera baseline";
  r->scale_sigma_rel = 0.0;
  return true;
}

// Scale from the subject's stated height and the best body measurement, with its uncertainty.
bool ScaleFromHeight(const Points3d& points, const WorldFrameOptions& options, WorldFrameResult* r) {
  const StatureMeasurement m = MeasureSubjectHeight(points, options);
  if (!m.ok()) {
    r->failure_reason = "neither the legs and torso nor the arms were triangulated; cannot estimate the scale (give `baseline`)";
    return false;
  }
  r->scale_method = "subject height (" + m.method + ")";
  if (m.method == "arm ratio")
    r->notes.push_back("legs or torso never triangulated: the scale comes from the arm lengths (less certain)");
  r->chain_length = m.length;
  r->scale = m.ScaleFor(options.subject_height_m);
  if (!(r->scale > 0)) {
    r->failure_reason = "the subject height is smaller than the model's fixed parts; check `subject_height`";
    return false;
  }
  // The stated height's uncertainty acts on the measured part only (the constants are fixed).
  const double measured_share = (options.subject_height_m - m.constant_m) / options.subject_height_m;
  r->scale_sigma_rel =
      std::hypot(options.subject_height_sigma_m / (options.subject_height_m * measured_share), m.sigma_rel / measured_share);
  return true;
}

// The frames of one person as points of their own.
Points3d FramesOf(const Points3d& points, const std::vector<int>& frame_person, int person) {
  int n = 0;
  for (frame_t f = 0; f < points.num_frames(); ++f) n += frame_person[f] == person;
  Points3d out(n, points.num_joints());
  int row = 0;
  for (frame_t f = 0; f < points.num_frames(); ++f) {
    if (frame_person[f] != person) continue;
    for (joint_t j = 0; j < points.num_joints(); ++j)
      if (points.IsValid(f, j)) out.at(row, j) = points.at(f, j);
    ++row;
  }
  return out;
}

// The inverse-variance mean of the scales of the people selected by `take` (and with a usable
// scale); weight_sum 0 when there is none.
struct WeightedScale {
  double scale = kNaN;
  double weight_sum = 0.0;
  double SigmaRel() const { return 1.0 / std::sqrt(weight_sum); }
};
template <typename Take>
WeightedScale MeanScale(const std::vector<PersonStature>& people, Take take) {
  WeightedScale m;
  double weighted = 0.0;
  for (const PersonStature& ps : people) {
    if (!take(ps) || !(ps.scale > 0 && ps.scale_sigma_rel > 0)) continue;
    const double w = 1.0 / (ps.scale_sigma_rel * ps.scale_sigma_rel);
    m.weight_sum += w;
    weighted += w * ps.scale;
  }
  if (m.weight_sum > 0) m.scale = weighted / m.weight_sum;
  return m;
}

// Several people: each one's stature on their own frames, the scale as the inverse-variance mean
// of the scales they imply (the population prior, or the heights given per person). When some
// heights are given, a person on the population prior whose scale is more than
// options.prior_outlier_sigmas combined standard deviations from the given people's is not used.
bool ScaleFromPeople(const Points3d& points, const WorldFrameOptions& options, WorldFrameResult* r) {
  if (static_cast<int>(options.frame_person.size()) != points.num_frames())
    throw std::invalid_argument("frame_person must have one entry per frame");
  std::vector<int> ids = options.frame_person;
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::vector<StatureMeasurement> measured(ids.size());
  for (size_t p = 0; p < ids.size(); ++p) {
    PersonStature ps;
    ps.person = ids[p];
    ps.frames = static_cast<int>(std::count(options.frame_person.begin(), options.frame_person.end(), ids[p]));
    const auto given = options.person_heights_m.find(ids[p]);
    ps.height_given = given != options.person_heights_m.end();
    ps.stated_height_m = ps.height_given ? given->second : options.subject_height_m;
    const double sigma_m = ps.height_given ? options.given_height_sigma_m : options.subject_height_sigma_m;
    measured[p] = MeasureSubjectHeight(FramesOf(points, options.frame_person, ids[p]), options);
    const StatureMeasurement& m = measured[p];
    if (m.ok()) {
      ps.method = m.method;
      ps.scale = m.ScaleFor(ps.stated_height_m);
      const double share = (ps.stated_height_m - m.constant_m) / ps.stated_height_m;
      ps.scale_sigma_rel = std::hypot(sigma_m / (ps.stated_height_m * share), m.sigma_rel / share);
      ps.used = ps.scale > 0 && ps.scale_sigma_rel > 0;
    }
    r->people.push_back(ps);
  }
  // The given heights anchor the scale; a track on the prior that disagrees with them measures no
  // one's stature (a track that mixes people, e.g. a bystander's pieces).
  const WeightedScale given = MeanScale(r->people, [](const PersonStature& ps) { return ps.height_given; });
  if (given.weight_sum > 0) {
    for (PersonStature& ps : r->people) {
      if (!ps.used || ps.height_given) continue;
      const double z = std::abs(ps.scale / given.scale - 1.0) / std::hypot(ps.scale_sigma_rel, given.SigmaRel());
      if (z > options.prior_outlier_sigmas) ps.used = false;
    }
  }
  const WeightedScale all = MeanScale(r->people, [](const PersonStature& ps) { return ps.used; });
  if (!(all.weight_sum > 0)) {
    r->failure_reason = "no person's legs and torso or arms were triangulated; cannot estimate the scale (give `baseline`)";
    return false;
  }
  r->scale = all.scale;
  r->scale_sigma_rel = all.SigmaRel();
  int used = 0, unused = 0;
  for (size_t p = 0; p < ids.size(); ++p) {
    PersonStature& ps = r->people[p];
    const StatureMeasurement& m = measured[p];
    if (m.ok()) ps.measured_height_m = m.constant_m + r->scale * m.length / m.ratio;
    for (const StatureSegment& seg : m.segments)
      ps.stature_segments_m.push_back({seg.name, seg.Metres(r->scale), seg.spread_rel, seg.asymmetry_rel});
    ps.knee_flexion_deg = m.knee_flexion_deg;
    used += ps.used;
    unused += m.ok() && !ps.used;
  }
  r->scale_method = "heights of " + std::to_string(used) + " people";
  if (unused > 0)
    r->notes.push_back(std::to_string(unused) + " track(s) on the default height left out of the scale: their stature " +
                       "disagrees with the given heights' (see scale.people)");
  return true;
}

// Mean direction of the body axis: hips to shoulders, or (upper-body recordings) shoulders to
// head. nullopt when neither is ever seen.
std::optional<Eigen::Vector3d> BodyAxis(const Points3d& points, const WorldFrameOptions& options,
                                        std::vector<std::string>* notes) {
  Eigen::Vector3d body_up = Eigen::Vector3d::Zero();
  int body_n = 0;
  for (int pass = 0; pass < 2 && body_n == 0; ++pass) {
    const std::vector<joint_t>& bottom = pass == 0 ? options.root_joints : options.shoulder_joints;
    const std::vector<joint_t>& top_joints = pass == 0 ? options.shoulder_joints : options.head_joints;
    if (bottom.empty() || top_joints.empty()) continue;
    for (frame_t f = 0; f < points.num_frames(); ++f) {
      const auto root = MeanOf(points, f, bottom);
      const auto top = MeanOf(points, f, top_joints);
      if (!root || !top) continue;
      const Eigen::Vector3d axis = *top - *root;
      if (axis.norm() > 0) {
        body_up += axis.normalized();
        ++body_n;
      }
    }
    if (pass == 1 && body_n > 0) notes->push_back("hips never triangulated: up is the shoulder-to-head direction");
  }
  if (body_n == 0 || body_up.norm() < 1e-9) return std::nullopt;
  return body_up.normalized();
}

// The lowest foot joint of every frame along `up`.
std::vector<Eigen::Vector3d> LowestFeet(const Points3d& points, const std::vector<joint_t>& foot_joints,
                                        const Eigen::Vector3d& up) {
  std::vector<Eigen::Vector3d> feet;
  for (frame_t f = 0; f < points.num_frames(); ++f) {
    double best = std::numeric_limits<double>::infinity();
    Eigen::Vector3d lowest;
    for (joint_t j : foot_joints) {
      if (!points.IsValid(f, j)) continue;
      const double h = points.at(f, j).dot(up);
      if (h < best) {
        best = h;
        lowest = points.at(f, j);
      }
    }
    if (std::isfinite(best)) feet.push_back(lowest);
  }
  return feet;
}

// Smaller principal extent of points in the plane orthogonal to their smallest spread: twice
// the square root of the middle eigenvalue of their covariance (reconstruction units).
double PlanarSpread(const std::vector<Eigen::Vector3d>& pts) {
  Eigen::Vector3d c = Eigen::Vector3d::Zero();
  for (const auto& p : pts) c += p;
  c /= static_cast<double>(pts.size());
  Eigen::Matrix3d cov = Eigen::Matrix3d::Zero();
  for (const auto& p : pts) cov += (p - c) * (p - c).transpose();
  cov /= static_cast<double>(pts.size());
  Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d> es(cov);
  return 2.0 * std::sqrt(std::max(0.0, es.eigenvalues()(1)));
}

// Plane n.x + d = 0 (unit n).
struct Plane {
  Eigen::Vector3d normal = Eigen::Vector3d::UnitZ();
  double d = 0.0;
};

// Floors are roughly level: a candidate plane tilted more than this from the body axis is no
// floor (degrees).
constexpr double kMaxFloorTiltDeg = 30.0;

// The estimator of ransac.h for the floor: planes through three feet that are roughly level,
// residuals point-plane distances, the refit a least-squares plane.
class FloorEstimator {
 public:
  using Model = Plane;
  static constexpr int kSampleSize = 3;
  FloorEstimator(const std::vector<Eigen::Vector3d>& feet, const Eigen::Vector3d& body_up)
      : feet_(feet), body_up_(body_up) {}
  int NumData() const { return static_cast<int>(feet_.size()); }
  bool Fit(const std::array<int, 3>& sample, Plane* plane) const {
    const Eigen::Vector3d& a = feet_[sample[0]];
    const Eigen::Vector3d& b = feet_[sample[1]];
    const Eigen::Vector3d& c = feet_[sample[2]];
    Eigen::Vector3d n = (b - a).cross(c - a);
    if (n.norm() < 1e-12) return false;
    n.normalize();
    if (std::abs(n.dot(body_up_)) < std::cos(kMaxFloorTiltDeg * M_PI / 180.0)) return false;
    plane->normal = n;
    plane->d = -n.dot(a);
    return true;
  }
  double Residual(const Plane& plane, int i) const { return std::abs(plane.normal.dot(feet_[i]) + plane.d); }
  bool Refit(const std::vector<uint8_t>& inliers, Plane* plane) const {
    FitPlane(Selected(inliers), &plane->normal, &plane->d);
    return true;
  }
  std::vector<Eigen::Vector3d> Selected(const std::vector<uint8_t>& inliers) const {
    std::vector<Eigen::Vector3d> in;
    for (size_t i = 0; i < feet_.size(); ++i)
      if (inliers[i]) in.push_back(feet_[i]);
    return in;
  }

 private:
  const std::vector<Eigen::Vector3d>& feet_;
  Eigen::Vector3d body_up_;
};

// The floor plane through the feet (scale s: metres per unit): RANSAC over triples, then least
// squares on the inliers, oriented along the body axis. False when the consensus is below a
// fifth of the feet (or ten).
bool FloorFromFeet(const std::vector<Eigen::Vector3d>& feet, const Eigen::Vector3d& body_up, double s,
                   const WorldFrameOptions& options, Plane* floor, WorldFrameResult* r) {
  RansacOptions ro;
  ro.threshold = options.floor_inlier_m / s;
  ro.scoring = RansacScoring::kInlierCount;
  ro.max_iterations = options.floor_iterations;
  ro.adaptive_stopping = false;
  ro.min_consensus = static_cast<int>(std::max<size_t>(10, feet.size() / 5));
  ro.local_optimization_rounds = 1;
  const FloorEstimator estimator(feet, body_up);
  UniformSamplerWithReplacement<3> sampler(static_cast<int>(feet.size()), options.seed);
  RansacResult<Plane> found = Ransac(estimator, sampler, ro);
  if (found.summary.num_inliers == 0) {
    // No level triple at all: as before this layer, the plane normal to the body axis through
    // the reconstruction's origin gathers the inliers (outputs unchanged; rarely meaningful).
    found.model = Plane{body_up, 0.0};
    int count = 0;
    ScoreRansacModel(estimator, ro, found.model, &found.inlier_mask, &count);
    if (count < ro.min_consensus) return false;
    LocallyOptimize(estimator, ro, &found);
  } else if (!found.success) {
    return false;
  }
  *floor = found.model;
  if (floor->normal.dot(body_up) < 0) {
    floor->normal = -floor->normal;
    floor->d = -floor->d;
  }
  const std::vector<Eigen::Vector3d> in = estimator.Selected(found.inlier_mask);
  double sq = 0;
  for (const auto& p : in) sq += std::pow(floor->normal.dot(p) + floor->d, 2);
  r->floor_rms_m = std::sqrt(sq / static_cast<double>(in.size())) * s;
  r->floor_inliers = static_cast<int>(in.size());
  r->floor_from_feet = true;
  return true;
}

// Without a floor plane: the floor along `up` through the low feet (their 5th percentile), or
// under the lowest joint seen when no foot was triangulated. False when no joint was.
bool FloorUnderLowest(const Points3d& points, const std::vector<Eigen::Vector3d>& feet, const Eigen::Vector3d& up,
                      double* plane_d, WorldFrameResult* r) {
  std::vector<double> h;
  for (const auto& p : feet) h.push_back(up.dot(p));
  if (h.empty()) {
    for (frame_t f = 0; f < points.num_frames(); ++f)
      for (joint_t j = 0; j < points.num_joints(); ++j)
        if (points.IsValid(f, j)) h.push_back(up.dot(points.at(f, j)));
    if (h.empty()) {
      r->failure_reason = "no joint was triangulated; cannot place the floor";
      return false;
    }
    r->notes.push_back("no foot joint triangulated: the floor is only placed under the lowest joint seen");
  }
  std::sort(h.begin(), h.end());
  *plane_d = -h[h.size() / 20];
  return true;
}

// Up direction and floor plane (up.x + d = 0 at the foot joints): from the feet when they
// spread enough, else along the body axis.
bool EstimateFloor(const Points3d& points, const Eigen::Vector3d& body_up, double s, const WorldFrameOptions& options,
                   Plane* floor, WorldFrameResult* r) {
  const std::vector<Eigen::Vector3d> feet = LowestFeet(points, options.foot_joints, body_up);
  floor->normal = body_up;
  floor->d = 0.0;
  if (feet.size() >= 10) {
    r->feet_spread_m = PlanarSpread(feet) * s;
    if (r->feet_spread_m >= options.min_floor_spread_m) {
      if (FloorFromFeet(feet, body_up, s, options, floor, r)) return true;
    } else {
      r->notes.push_back("the feet hardly move (spread " + std::to_string(r->feet_spread_m) +
                         " m): up is the mean body axis, the floor the lowest feet");
    }
  }
  return FloorUnderLowest(points, feet, floor->normal, &floor->d, r);
}

// Mean of the hip centres over the frames (the shoulders' when the hips are never seen).
std::optional<Eigen::Vector3d> MotionCentre(const Points3d& points, const WorldFrameOptions& options) {
  Eigen::Vector3d centre = Eigen::Vector3d::Zero();
  int n = 0;
  for (const auto* joints : {&options.root_joints, &options.shoulder_joints}) {
    for (frame_t f = 0; f < points.num_frames(); ++f) {
      const auto root = MeanOf(points, f, *joints);
      if (!root) continue;
      centre += *root;
      ++n;
    }
    if (n > 0) break;
  }
  if (n == 0) return std::nullopt;
  return centre / n;
}

// world_from_reconstruction: scale s, z along `up`, origin on the floor under `centre`, x towards
// the first camera's centre projected on the floor.
Sim3d WorldFromReconstruction(const Rig& rig, const Plane& floor, const Eigen::Vector3d& centre, double s) {
  const Eigen::Vector3d& up = floor.normal;
  const Eigen::Vector3d origin = centre - (up.dot(centre) + floor.d) * up;
  Eigen::Vector3d toward = rig.empty() ? Eigen::Vector3d::UnitX() : Eigen::Vector3d(rig[0].CenterInWorld() - origin);
  toward -= toward.dot(up) * up;
  if (toward.norm() < 1e-9) toward = (std::abs(up.x()) < 0.9 ? Eigen::Vector3d::UnitX() : Eigen::Vector3d::UnitY()).cross(up);
  const Eigen::Vector3d x = toward.normalized();
  const Eigen::Vector3d y = up.cross(x);
  Eigen::Matrix3d world_r_recon;
  world_r_recon.row(0) = x.transpose();
  world_r_recon.row(1) = y.transpose();
  world_r_recon.row(2) = up.transpose();
  Sim3d world_from_recon;
  world_from_recon.scale = s;
  world_from_recon.rotation = Eigen::Quaterniond(world_r_recon);
  world_from_recon.translation = -s * (world_r_recon * origin);
  return world_from_recon;
}

}  // namespace

WorldFrameResult EstimateScale(const Rig& rig, const Points3d& points, const WorldFrameOptions& options) {
  options.Check();
  WorldFrameResult r;
  const auto [lowest, highest] = std::minmax_element(options.frame_person.begin(), options.frame_person.end());
  const bool several = !options.frame_person.empty() && *lowest != *highest;
  const bool scaled = options.baseline ? ScaleFromBaseline(rig, *options.baseline, &r)
                      : several        ? ScaleFromPeople(points, options, &r)
                                       : ScaleFromHeight(points, options, &r);
  if (!scaled) return r;
  const double s = r.scale;
  const StatureMeasurement m = MeasureSubjectHeight(points, options);
  if (m.ok()) r.measured_height_m = m.constant_m + s * m.length / m.ratio;
  if (!several) r.stated_height_m = options.subject_height_m;
  if (m.ok() && !several) {
    for (const StatureSegment& seg : m.segments)
      r.stature_segments_m.push_back({seg.name, seg.Metres(s), seg.spread_rel, seg.asymmetry_rel});
    r.knee_flexion_deg = m.knee_flexion_deg;
    if (m.method == "segment stack")
      for (std::string& note : StatureNotes(m, options.stature_model)) r.notes.push_back(std::move(note));
  }
  r.success = true;
  return r;
}

WorldFrameResult EstimateWorldFrame(const Rig& rig, const Points3d& points, const WorldFrameOptions& options) {
  return PlaceWorldFrame(rig, points, options, EstimateScale(rig, points, options));
}

WorldFrameResult PlaceWorldFrame(const Rig& rig, const Points3d& points, const WorldFrameOptions& options,
                                 const WorldFrameResult& scaled) {
  options.Check();
  WorldFrameResult r = scaled;
  if (!r.success) return r;
  r.success = false;
  const double s = r.scale;
  // Up direction and floor.
  const std::optional<Eigen::Vector3d> body_up = BodyAxis(points, options, &r.notes);
  if (!body_up) {
    r.failure_reason = "cannot find the body axis (hips, shoulders and head never triangulated together)";
    return r;
  }
  Plane floor;
  if (!EstimateFloor(points, *body_up, s, options, &floor, &r)) return r;
  // Lower the plane from the foot joints to the ground.
  floor.d += options.foot_height_m / s;
  // Frame: origin under the centre of the motion, x towards camera 0.
  const std::optional<Eigen::Vector3d> centre = MotionCentre(points, options);
  if (!centre) {
    r.failure_reason = "neither the hips nor the shoulders were triangulated";
    return r;
  }
  r.world_from_reconstruction = WorldFromReconstruction(rig, floor, *centre, s);
  r.success = true;
  return r;
}

}  // namespace epilabel
