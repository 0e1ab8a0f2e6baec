#include "geometry/sfm/world_frame.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

#include <Eigen/Eigenvalues>

namespace epilabel {

void WorldFrameOptions::Check() const {
  if (!(subject_height_m > 0.5 && subject_height_m < 2.8)) throw std::invalid_argument("subject height must be in (0.5, 2.8) m");
  if (!(subject_height_sigma_m >= 0)) throw std::invalid_argument("subject height sigma must be >= 0");
  if (baseline && !(baseline->metres > 0)) throw std::invalid_argument("baseline must be > 0 m");
  if (!(floor_inlier_m > 0)) throw std::invalid_argument("floor_inlier_m must be > 0");
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

double Median(std::vector<double> v) {
  if (v.empty()) return kNaN;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

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

StatureMeasurement MeasureStature(const Points3d& points, const StatureModel& model) {
  StatureMeasurement m;
  m.method = "segment stack";
  m.constant_m = model.ankle_height_m + model.head_top_m;
  m.sigma_rel = model.sigma_rel;
  if (model.head.empty() || model.hips.empty() || model.legs.empty()) return m;
  // Legs: the median length of every bone, summed along each chain, averaged over the chains.
  HeightModel legs_only;
  legs_only.legs = model.legs;
  const double legs = MeasureHeightChain(points, legs_only);
  if (!std::isfinite(legs)) return m;
  // Trunk and neck: the per-frame hip-to-head distance; its upper quantile is the upright
  // posture (bending, slouching and looking down only shorten it).
  std::vector<double> trunk;
  for (frame_t f = 0; f < points.num_frames(); ++f) {
    bool complete = true;
    for (joint_t j : model.hips) complete = complete && points.IsValid(f, j);
    for (joint_t j : model.head) complete = complete && points.IsValid(f, j);
    if (!complete) continue;
    trunk.push_back((*MeanOf(points, f, model.head) - *MeanOf(points, f, model.hips)).norm());
  }
  if (trunk.size() < 10) return m;
  const double q = std::clamp(model.upright_quantile, 0.5, 1.0);
  const size_t k = std::min(trunk.size() - 1, static_cast<size_t>(q * static_cast<double>(trunk.size() - 1) + 0.5));
  std::nth_element(trunk.begin(), trunk.begin() + static_cast<std::ptrdiff_t>(k), trunk.end());
  m.length = legs + trunk[k];
  return m;
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

WorldFrameResult EstimateWorldFrame(const Rig& rig, const Points3d& points, const WorldFrameOptions& options) {
  options.Check();
  WorldFrameResult r;
  // --- Scale.
  if (options.baseline) {
    const auto& b = *options.baseline;
    if (b.camera_a < 0 || b.camera_b < 0 || b.camera_a >= static_cast<int>(rig.size()) ||
        b.camera_b >= static_cast<int>(rig.size()) || b.camera_a == b.camera_b) {
      r.failure_reason = "baseline cameras are not two distinct cameras of the rig";
      return r;
    }
    const double d = (rig[b.camera_a].CenterInWorld() - rig[b.camera_b].CenterInWorld()).norm();
    if (!(d > 0)) {
      r.failure_reason = "the two baseline cameras coincide in the reconstruction";
      return r;
    }
    r.scale = b.metres / d;
    r.scale_method = "camera baseline";
    r.scale_sigma_rel = 0.0;
  } else {
    const StatureMeasurement m = MeasureSubjectHeight(points, options);
    if (!m.ok()) {
      r.failure_reason = "neither the legs and torso nor the arms were triangulated; cannot estimate the scale (use --baseline)";
      return r;
    }
    r.scale_method = "subject height (" + m.method + ")";
    if (m.method == "arm ratio")
      r.notes.push_back("legs or torso never triangulated: the scale comes from the arm lengths (less certain)");
    r.chain_length = m.length;
    r.scale = m.ScaleFor(options.subject_height_m);
    if (!(r.scale > 0)) {
      r.failure_reason = "the subject height is smaller than the model's fixed parts; check --subject-height";
      return r;
    }
    // The stated height's uncertainty acts on the measured part only (the constants are fixed).
    const double measured_share = (options.subject_height_m - m.constant_m) / options.subject_height_m;
    r.scale_sigma_rel =
        std::hypot(options.subject_height_sigma_m / (options.subject_height_m * measured_share), m.sigma_rel / measured_share);
  }
  const double s = r.scale;
  {
    const StatureMeasurement m = MeasureSubjectHeight(points, options);
    if (m.ok()) r.measured_height_m = m.constant_m + s * m.length / m.ratio;
  }

  // --- Up direction and floor.
  // Lowest foot joint per frame (in the direction of the provisional up = body axis).
  Eigen::Vector3d body_up = Eigen::Vector3d::Zero();
  int body_n = 0;
  // Body axis: hips to shoulders, or (upper-body recordings) shoulders to head.
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
    if (pass == 1 && body_n > 0) r.notes.push_back("hips never triangulated: up is the shoulder-to-head direction");
  }
  if (body_n == 0 || body_up.norm() < 1e-9) {
    r.failure_reason = "cannot find the body axis (hips, shoulders and head never triangulated together)";
    return r;
  }
  body_up.normalize();
  std::vector<Eigen::Vector3d> feet;
  for (frame_t f = 0; f < points.num_frames(); ++f) {
    double best = std::numeric_limits<double>::infinity();
    Eigen::Vector3d lowest;
    for (joint_t j : options.foot_joints) {
      if (!points.IsValid(f, j)) continue;
      const double h = points.at(f, j).dot(body_up);
      if (h < best) {
        best = h;
        lowest = points.at(f, j);
      }
    }
    if (std::isfinite(best)) feet.push_back(lowest);
  }
  Eigen::Vector3d up = body_up;
  double plane_d = 0.0;
  bool have_plane = false;
  if (feet.size() >= 10) {
    // Spread of the feet in the plane orthogonal to the body axis.
    Eigen::Vector3d c = Eigen::Vector3d::Zero();
    for (const auto& p : feet) c += p;
    c /= static_cast<double>(feet.size());
    Eigen::Matrix3d cov = Eigen::Matrix3d::Zero();
    for (const auto& p : feet) cov += (p - c) * (p - c).transpose();
    cov /= static_cast<double>(feet.size());
    Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d> es(cov);
    r.feet_spread_m = 2.0 * std::sqrt(std::max(0.0, es.eigenvalues()(1))) * s;
    if (r.feet_spread_m >= options.min_floor_spread_m) {
      // RANSAC over triples (seeded), inliers within floor_inlier_m (metres).
      std::mt19937_64 rng(options.seed);
      std::uniform_int_distribution<size_t> pick(0, feet.size() - 1);
      const double thr = options.floor_inlier_m / s;
      size_t best_inliers = 0;
      Eigen::Vector3d best_n = body_up;
      double best_d = 0;
      for (int it = 0; it < 500; ++it) {
        const Eigen::Vector3d& a = feet[pick(rng)];
        const Eigen::Vector3d& b = feet[pick(rng)];
        const Eigen::Vector3d& cc = feet[pick(rng)];
        Eigen::Vector3d n = (b - a).cross(cc - a);
        if (n.norm() < 1e-12) continue;
        n.normalize();
        if (std::abs(n.dot(body_up)) < std::cos(30.0 * M_PI / 180.0)) continue;  // floors are roughly level
        const double d = -n.dot(a);
        size_t inliers = 0;
        for (const auto& p : feet) inliers += std::abs(n.dot(p) + d) < thr ? 1 : 0;
        if (inliers > best_inliers) {
          best_inliers = inliers;
          best_n = n;
          best_d = d;
        }
      }
      std::vector<Eigen::Vector3d> in;
      for (const auto& p : feet)
        if (std::abs(best_n.dot(p) + best_d) < thr) in.push_back(p);
      if (in.size() >= std::max<size_t>(10, feet.size() / 5)) {
        FitPlane(in, &up, &plane_d);
        if (up.dot(body_up) < 0) {
          up = -up;
          plane_d = -plane_d;
        }
        double sq = 0;
        for (const auto& p : in) sq += std::pow(up.dot(p) + plane_d, 2);
        r.floor_rms_m = std::sqrt(sq / static_cast<double>(in.size())) * s;
        r.floor_inliers = static_cast<int>(in.size());
        r.floor_from_feet = true;
        have_plane = true;
      }
    } else {
      r.notes.push_back("the feet hardly move (spread " + std::to_string(r.feet_spread_m) +
                        " m): up is the mean body axis, the floor the lowest feet");
    }
  }
  if (!have_plane) {
    // Floor through the low feet along the body axis: the 5th percentile of foot heights.
    std::vector<double> h;
    for (const auto& p : feet) h.push_back(up.dot(p));
    if (h.empty()) {
      // No feet: put the floor under the lowest joint seen (only the orientation is known).
      for (frame_t f = 0; f < points.num_frames(); ++f)
        for (joint_t j = 0; j < points.num_joints(); ++j)
          if (points.IsValid(f, j)) h.push_back(up.dot(points.at(f, j)));
      if (h.empty()) {
        r.failure_reason = "no joint was triangulated; cannot place the floor";
        return r;
      }
      r.notes.push_back("no foot joint triangulated: the floor is only placed under the lowest joint seen");
    }
    std::sort(h.begin(), h.end());
    plane_d = -h[h.size() / 20];
  }
  // Lower the plane from the foot joints to the ground.
  plane_d += options.foot_height_m / s;

  // --- Frame: origin under the centre of the motion, x towards camera 0.
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
  if (n == 0) {
    r.failure_reason = "neither the hips nor the shoulders were triangulated";
    return r;
  }
  centre /= n;
  const Eigen::Vector3d origin = centre - (up.dot(centre) + plane_d) * up;
  Eigen::Vector3d toward = rig.empty() ? Eigen::Vector3d::UnitX() : Eigen::Vector3d(rig[0].CenterInWorld() - origin);
  toward -= toward.dot(up) * up;
  if (toward.norm() < 1e-9) toward = (std::abs(up.x()) < 0.9 ? Eigen::Vector3d::UnitX() : Eigen::Vector3d::UnitY()).cross(up);
  const Eigen::Vector3d x = toward.normalized();
  const Eigen::Vector3d y = up.cross(x);
  Eigen::Matrix3d world_r_recon;
  world_r_recon.row(0) = x.transpose();
  world_r_recon.row(1) = y.transpose();
  world_r_recon.row(2) = up.transpose();
  r.world_from_reconstruction.scale = s;
  r.world_from_reconstruction.rotation = Eigen::Quaterniond(world_r_recon);
  r.world_from_reconstruction.translation = -s * (world_r_recon * origin);
  r.success = true;
  return r;
}

}  // namespace epilabel
