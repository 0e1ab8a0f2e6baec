#include "geometry/sfm/view_bias.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>

#include <Eigen/Cholesky>
#include <Eigen/Geometry>

#include "foundation/statistics.h"

namespace epilabel {

void ViewBiasOptions::Check() const {
  if (harmonics < 1 || harmonics > 4) throw std::invalid_argument("view bias harmonics must be in [1, 4]");
  if (!(prior_sigma_rel > 0)) throw std::invalid_argument("view bias prior_sigma_rel must be > 0");
  if (!(huber_sigmas > 0)) throw std::invalid_argument("view bias huber_sigmas must be > 0");
  if (!(gate_p >= 0 && gate_p < 1)) throw std::invalid_argument("view bias gate_p must be in [0, 1)");
}

namespace {

// Index of the point of (frame, joint), -1 when none.
std::vector<int> PointIndex(const std::vector<BAPointLabel>& labels, int num_frames, int num_joints) {
  std::vector<int> index(static_cast<size_t>(num_frames) * num_joints, -1);
  for (size_t p = 0; p < labels.size(); ++p)
    if (labels[p].frame >= 0 && labels[p].frame < num_frames && labels[p].joint >= 0 && labels[p].joint < num_joints)
      index[static_cast<size_t>(labels[p].frame) * num_joints + labels[p].joint] = static_cast<int>(p);
  return index;
}

bool HasTorso(const ViewBiasOptions& options) {
  for (joint_t j : options.torso_joints)
    if (j < 0) return false;
  return true;
}

// Projection and its Jacobian with respect to the world point (central differences).
std::optional<Eigen::Vector2d> ProjectWithJacobian(const Camera& cam, const Eigen::Vector3d& x,
                                                   Eigen::Matrix<double, 2, 3>* jacobian) {
  const auto p = cam.ImageFromWorld(x);
  if (!p) return std::nullopt;
  const double depth = (cam.cam_from_world.rotation * x + cam.cam_from_world.translation).z();
  const double h = 1e-6 * std::max(std::abs(depth), 1e-9);
  for (int k = 0; k < 3; ++k) {
    Eigen::Vector3d d = Eigen::Vector3d::Zero();
    d[k] = h;
    const auto a = cam.ImageFromWorld(x + d), b = cam.ImageFromWorld(x - d);
    if (!a || !b) return std::nullopt;
    jacobian->col(k) = (*a - *b) / (2 * h);
  }
  return p;
}

// d(offset in world) / d(coefficients of one joint): [basis_k * world_from_body] per column.
Eigen::Matrix<double, 3, Eigen::Dynamic> OffsetJacobian(const Eigen::Matrix3d& body_from_world, double theta,
                                                       int harmonics) {
  Eigen::Matrix<double, 3, Eigen::Dynamic> d(3, 6 * harmonics);
  const Eigen::Matrix3d world_from_body = body_from_world.transpose();
  for (int k = 1; k <= harmonics; ++k) {
    d.middleCols<3>(6 * (k - 1)) = std::cos(k * theta) * world_from_body;
    d.middleCols<3>(6 * (k - 1) + 3) = std::sin(k * theta) * world_from_body;
  }
  return d;
}

// Quantile of the chi-square distribution with `dof` degrees of freedom at probability `q`
// (Wilson-Hilferty: within 1 % for dof >= 3 at the tails used here); the normal quantile by
// bisection on erfc.
double ChiSquareQuantile(int dof, double q) {
  double lo = -10, hi = 10;
  for (int i = 0; i < 100; ++i) {
    const double mid = 0.5 * (lo + hi);
    (0.5 * std::erfc(-mid / std::sqrt(2.0)) < q ? lo : hi) = mid;
  }
  const double z = 0.5 * (lo + hi), v = 2.0 / (9.0 * dof);
  return dof * std::pow(1 - v + z * std::sqrt(v), 3);
}

// Per joint: how much the residuals' persistence from frame to frame inflates the variance of
// a fit to them, tau = 1 + 2 sum_k rho_k (the integrated autocorrelation time), rho_k the
// correlation at lag k pooled over the joint's cameras, summed while positive (up to a quarter
// of the frames, at most 100 lags). tracks[camera * num_joints + joint]: (frame, residual px) in
// frame order.
std::vector<double> CorrelationInflation(
    const std::vector<std::vector<std::pair<frame_t, Eigen::Vector2d>>>& tracks, int num_joints) {
  std::vector<double> tau(num_joints, 1.0);
  for (joint_t j = 0; j < num_joints; ++j) {
    double lag0 = 0;
    size_t longest = 0;
    for (size_t t = j; t < tracks.size(); t += num_joints) {
      for (const auto& e : tracks[t]) lag0 += e.second.squaredNorm();
      longest = std::max(longest, tracks[t].size());
    }
    if (!(lag0 > 0)) continue;
    const size_t max_lag = std::min<size_t>(100, longest / 4);
    for (size_t k = 1; k <= max_lag; ++k) {
      double sum = 0;
      for (size_t t = j; t < tracks.size(); t += num_joints)
        for (size_t i = 0; i + k < tracks[t].size(); ++i) sum += tracks[t][i].second.dot(tracks[t][i + k].second);
      if (!(sum > 0)) break;
      tau[j] += 2 * sum / lag0;
    }
  }
  return tau;
}

// The coefficients of a joint as one vector (a_1, b_1, a_2, ...; 3 each), and back.
Eigen::VectorXd Flatten(const Eigen::MatrixXd& c) { return Eigen::Map<const Eigen::VectorXd>(c.data(), c.size()); }

}  // namespace

double ViewAzimuth(const Eigen::Matrix3d& body_from_world, const Eigen::Vector3d& centre,
                   const Eigen::Vector3d& camera_centre) {
  const Eigen::Vector3d d = body_from_world * (camera_centre - centre);
  return std::atan2(d.y(), d.x());
}

BodyFrames EstimateBodyFrames(const BAProblemData& data, const std::vector<BAPointLabel>& labels, int num_frames,
                              const ViewBiasOptions& options) {
  BodyFrames out;
  out.body_from_world.assign(num_frames, Eigen::Matrix3d::Identity());
  out.centre.assign(num_frames, Eigen::Vector3d::Zero());
  out.valid.assign(num_frames, false);
  if (!HasTorso(options)) return out;
  int num_joints = 0;
  for (const BAPointLabel& l : labels) num_joints = std::max(num_joints, l.joint + 1);
  for (joint_t j : options.torso_joints) num_joints = std::max(num_joints, j + 1);
  const std::vector<int> index = PointIndex(labels, num_frames, num_joints);
  std::vector<double> lengths;
  for (frame_t f = 0; f < num_frames; ++f) {
    std::array<Eigen::Vector3d, 4> x;
    bool ok = true;
    for (int k = 0; k < 4; ++k) {
      const int p = index[static_cast<size_t>(f) * num_joints + options.torso_joints[k]];
      if (p < 0) {
        ok = false;
        break;
      }
      x[k] = data.points[p];
    }
    if (!ok) continue;
    const Eigen::Vector3d mid_shoulder = 0.5 * (x[0] + x[1]), mid_hip = 0.5 * (x[2] + x[3]);
    Eigen::Vector3d up = mid_shoulder - mid_hip;
    const double length = up.norm();
    if (!(length > 0)) continue;
    up /= length;
    Eigen::Vector3d left = (x[0] - x[1]) + (x[2] - x[3]);
    left -= left.dot(up) * up;
    if (!(left.norm() > 1e-3 * length)) continue;
    left.normalize();
    const Eigen::Vector3d forward = left.cross(up);
    out.body_from_world[f].row(0) = forward;
    out.body_from_world[f].row(1) = left;
    out.body_from_world[f].row(2) = up;
    out.centre[f] = 0.5 * (mid_shoulder + mid_hip);
    out.valid[f] = true;
    lengths.push_back(length);
  }
  out.torso_length = lengths.empty() ? 0.0 : Median(lengths);
  return out;
}

ViewBiasModel FitViewBias(const Rig& rig, const BAProblemData& data, const std::vector<Eigen::Vector2d>& pixels,
                          const std::vector<BAPointLabel>& labels, int num_frames, int num_joints,
                          const ViewBiasOptions& options) {
  options.Check();
  if (pixels.size() != data.observations.size() || labels.size() != data.points.size())
    throw std::invalid_argument("FitViewBias: one pixel per observation and one label per point");
  ViewBiasModel model;
  model.harmonics = options.harmonics;
  const int n = 6 * options.harmonics;
  model.coefficients.assign(num_joints, Eigen::MatrixXd::Zero(3, 2 * options.harmonics));
  model.joint_rms_px.assign(num_joints, 0.0);
  model.joint_applied.assign(num_joints, false);
  const BodyFrames body = EstimateBodyFrames(data, labels, num_frames, options);
  if (!(body.torso_length > 0)) return model;

  // Per inlier observation: its residual and its Jacobians on the point, on its camera's pose
  // (a small rotation and translation applied in the camera frame) and on its joint's
  // coefficients.
  struct Term {
    int point;
    camera_t camera;
    double weight;
    Eigen::Vector2d residual;
    Eigen::Matrix<double, 2, 3> j_point;
    Eigen::Matrix<double, 2, 6> j_camera;
    Eigen::Matrix<double, 2, Eigen::Dynamic> j_coef;
  };
  std::vector<std::vector<Term>> per_point(data.points.size());
  std::vector<Eigen::Vector3d> centres(rig.size());
  for (size_t c = 0; c < rig.size(); ++c) centres[c] = rig[c].CenterInWorld();
  std::vector<double> errors;
  for (size_t o = 0; o < data.observations.size(); ++o) {
    const BAObservation& ob = data.observations[o];
    if (!ob.inlier || ob.point < 0) continue;
    const BAPointLabel& l = labels[ob.point];
    if (l.frame < 0 || l.frame >= num_frames || !body.valid[l.frame]) continue;
    Term t;
    const Camera& cam = rig[ob.camera];
    const Eigen::Vector3d& x = data.points[ob.point];
    const auto p = ProjectWithJacobian(cam, x, &t.j_point);
    if (!p) continue;
    t.point = ob.point;
    t.camera = ob.camera;
    t.weight = ob.weight;
    t.residual = pixels[o] - *p;
    // d pixel / d x_cam = d pixel / d x_world * R^T; x_cam moves by w x x_cam + dt.
    const Eigen::Matrix3d r = cam.cam_from_world.RotationMatrix();
    const Eigen::Vector3d x_cam = r * x + cam.cam_from_world.translation;
    const Eigen::Matrix<double, 2, 3> d_cam = t.j_point * r.transpose();
    Eigen::Matrix3d skew;
    skew << 0, -x_cam.z(), x_cam.y(), x_cam.z(), 0, -x_cam.x(), -x_cam.y(), x_cam.x(), 0;
    t.j_camera.leftCols<3>() = -d_cam * skew;
    t.j_camera.rightCols<3>() = d_cam;
    const double theta = ViewAzimuth(body.body_from_world[l.frame], body.centre[l.frame], centres[ob.camera]);
    t.j_coef = t.j_point * OffsetJacobian(body.body_from_world[l.frame], theta, options.harmonics);
    errors.push_back(t.residual.norm());
    per_point[ob.point].push_back(std::move(t));
  }
  if (errors.empty()) return model;
  // Robust scale of the residuals (px): median norm / 1.1774, as the group weights'.
  const double sigma = std::max(Median(errors) / 1.1774, 1e-9);
  const double huber = options.huber_sigmas * sigma;
  auto term_weight = [&](const Term& t) {
    const double e = t.residual.norm();
    return t.weight * (e > huber ? huber / e : 1.0);
  };
  // An observation's Jacobian on a point's local unknowns (its cameras, 6 each, then n coefficients).
  auto local_jacobian = [&](const Term& t, int i, int m) {
    Eigen::MatrixXd jr = Eigen::MatrixXd::Zero(2, m);
    jr.middleCols<6>(6 * i) = t.j_camera;
    jr.rightCols(n) = t.j_coef;
    return jr;
  };

  // One linearised step of the whole adjustment with the coefficients added: the camera poses
  // take their share of the residuals (else the coefficients would be fitted to what the rig's
  // own error leaves, and the rounds converge slowly), each point's coordinates eliminated.
  const int num_cameras = static_cast<int>(rig.size());
  const int dim = 6 * num_cameras + n * num_joints;
  auto coef_index = [&](joint_t j) { return 6 * num_cameras + n * j; };
  Eigen::MatrixXd lhs = Eigen::MatrixXd::Zero(dim, dim);
  Eigen::VectorXd rhs = Eigen::VectorXd::Zero(dim);
  std::vector<int> count(num_joints, 0);
  // Per point its eliminated block, to recover the point's step and the residuals after the fit.
  struct Local {
    Eigen::Matrix3d hpp_inv;
    Eigen::MatrixXd hpr;
    Eigen::Vector3d gp;
    std::vector<int> at;
  };
  std::vector<Local> local(per_point.size());
  for (size_t p = 0; p < per_point.size(); ++p) {
    const std::vector<Term>& terms = per_point[p];
    if (terms.size() < 2) continue;
    const joint_t j = labels[p].joint;
    // Local unknowns: the cameras of the terms (6 each), then the joint's coefficients.
    const int k = static_cast<int>(terms.size()), m = 6 * k + n;
    Eigen::Matrix3d hpp = Eigen::Matrix3d::Zero();
    Eigen::MatrixXd hpr = Eigen::MatrixXd::Zero(3, m), hrr = Eigen::MatrixXd::Zero(m, m);
    Eigen::Vector3d gp = Eigen::Vector3d::Zero();
    Eigen::VectorXd gr = Eigen::VectorXd::Zero(m);
    for (int i = 0; i < k; ++i) {
      const Term& t = terms[i];
      const double w = term_weight(t);
      const Eigen::MatrixXd jr = local_jacobian(t, i, m);
      hpp += w * t.j_point.transpose() * t.j_point;
      hpr += w * t.j_point.transpose() * jr;
      hrr += w * jr.transpose() * jr;
      gp += w * t.j_point.transpose() * t.residual;
      gr += w * jr.transpose() * t.residual;
    }
    // Two opposite cameras leave the depth along the rays free: a little damping there (nothing
    // else has a component along it either).
    hpp += 1e-9 * hpp.trace() * Eigen::Matrix3d::Identity();
    const Eigen::LDLT<Eigen::Matrix3d> ldlt(hpp);
    if (ldlt.info() != Eigen::Success) continue;
    const Eigen::MatrixXd s = hrr - hpr.transpose() * ldlt.solve(hpr);
    const Eigen::VectorXd g = gr - hpr.transpose() * ldlt.solve(gp);
    std::vector<int> at(m);
    for (int i = 0; i < k; ++i)
      for (int q = 0; q < 6; ++q) at[6 * i + q] = 6 * terms[i].camera + q;
    for (int q = 0; q < n; ++q) at[6 * k + q] = coef_index(j) + q;
    for (int a = 0; a < m; ++a) {
      rhs[at[a]] += g[a];
      for (int b = 0; b < m; ++b) lhs(at[a], at[b]) += s(a, b);
    }
    local[p] = {ldlt.solve(Eigen::Matrix3d::Identity()), hpr, gp, std::move(at)};
    count[j] += k;
  }
  // Prior in the units of the residuals: (sigma / prior sigma)^2 per coefficient; the cameras
  // only a trace of damping (the gauge: a similarity of the whole scene changes no residual).
  const double prior_sigma = options.prior_sigma_rel * body.torso_length;
  const double prior = (sigma * sigma) / (prior_sigma * prior_sigma);
  double camera_scale = 0;
  for (int a = 0; a < 6 * num_cameras; ++a) camera_scale = std::max(camera_scale, lhs(a, a));
  for (int a = 0; a < 6 * num_cameras; ++a) lhs(a, a) += 1e-9 * camera_scale + 1e-12;
  for (joint_t j = 0; j < num_joints; ++j)
    for (int q = 0; q < n; ++q) lhs(coef_index(j) + q, coef_index(j) + q) += count[j] > 0 ? prior : 1.0;

  // Solve with the joints in `active` only (the others' coefficients held at zero); then the
  // gate: each active joint's coefficients against their posterior covariance (sigma^2 x the
  // block of the inverse, sigma the residuals' robust scale before the fit: conservative where
  // the bias is large), the statistic divided by the persistence of the residuals after the fit
  // (CorrelationInflation), compared with the chi-square quantile of its n coefficients at
  // options.gate_p. Joints below it are dropped and the rest solved again, until none is dropped
  // (the cameras then take the share the dropped joints' coefficients had taken).
  std::vector<bool> active(num_joints);
  for (joint_t j = 0; j < num_joints; ++j) active[j] = count[j] > 0;
  model.joint_chi2.assign(num_joints, 0.0);
  model.joint_inflation.assign(num_joints, 1.0);
  const double threshold = options.gate_p > 0 ? ChiSquareQuantile(n, 1.0 - options.gate_p) : 0.0;
  Eigen::VectorXd x;
  for (int iteration = 0; iteration <= num_joints; ++iteration) {
    Eigen::MatrixXd a = lhs;
    Eigen::VectorXd b = rhs;
    for (joint_t j = 0; j < num_joints; ++j) {
      if (active[j]) continue;
      const int c0 = coef_index(j);
      a.middleRows(c0, n).setZero();
      a.middleCols(c0, n).setZero();
      a.block(c0, c0, n, n).setIdentity();
      b.segment(c0, n).setZero();
    }
    const Eigen::LDLT<Eigen::MatrixXd> solver(a);
    x = solver.solve(b);
    if (!x.allFinite()) return model;
    if (!(options.gate_p > 0)) break;
    const Eigen::MatrixXd inverse = solver.solve(Eigen::MatrixXd::Identity(dim, dim));
    // The residuals after the step, per camera and joint in frame order (points are labelled by
    // frame), to measure how long their errors persist from frame to frame.
    std::vector<std::vector<std::pair<frame_t, Eigen::Vector2d>>> track(static_cast<size_t>(num_cameras) * num_joints);
    for (size_t p = 0; p < per_point.size(); ++p) {
      const Local& l = local[p];
      if (l.at.empty()) continue;
      const std::vector<Term>& terms = per_point[p];
      const int k = static_cast<int>(terms.size()), m = 6 * k + n;
      Eigen::VectorXd step(m);
      for (int q = 0; q < m; ++q) step[q] = x[l.at[q]];
      const Eigen::Vector3d dp = l.hpp_inv * (l.gp - l.hpr * step);
      for (int i = 0; i < k; ++i) {
        const Term& t = terms[i];
        const Eigen::Vector2d after = t.residual - t.j_point * dp - local_jacobian(t, i, m) * step;
        track[static_cast<size_t>(t.camera) * num_joints + labels[p].joint].push_back({labels[p].frame, after});
      }
    }
    for (auto& tr : track)
      std::sort(tr.begin(), tr.end(), [](const auto& u, const auto& v) { return u.first < v.first; });
    const std::vector<double> inflation = CorrelationInflation(track, num_joints);
    bool dropped = false;
    for (joint_t j = 0; j < num_joints; ++j) {
      if (!active[j]) continue;
      const int c0 = coef_index(j);
      const Eigen::VectorXd c = x.segment(c0, n);
      const Eigen::MatrixXd covariance = sigma * sigma * inverse.block(c0, c0, n, n);
      const double chi2 = c.dot(covariance.ldlt().solve(c));
      model.joint_inflation[j] = inflation[j];
      model.joint_chi2[j] = chi2 / model.joint_inflation[j];
    }
    for (joint_t j = 0; j < num_joints; ++j)
      if (active[j] && model.joint_chi2[j] < threshold) {
        active[j] = false;
        dropped = true;
      }
    if (!dropped) break;
  }
  for (joint_t j = 0; j < num_joints; ++j) {
    if (!active[j]) continue;
    const Eigen::VectorXd c = x.segment(coef_index(j), n);
    model.coefficients[j] = Eigen::Map<const Eigen::MatrixXd>(c.data(), 3, 2 * options.harmonics);
    model.joint_applied[j] = true;
  }
  // The fitted offsets, projected.
  std::vector<double> sum(num_joints, 0.0);
  std::vector<int> num(num_joints, 0);
  for (const std::vector<Term>& terms : per_point)
    for (const Term& t : terms) {
      const joint_t j = labels[t.point].joint;
      sum[j] += (t.j_coef * Flatten(model.coefficients[j])).squaredNorm();
      ++num[j];
    }
  for (joint_t j = 0; j < num_joints; ++j) model.joint_rms_px[j] = num[j] ? std::sqrt(sum[j] / num[j]) : 0.0;
  model.fitted = true;
  return model;
}

int CorrectViewBias(const Rig& rig, const ViewBiasModel& model, const std::vector<Eigen::Vector2d>& pixels,
                    const std::vector<BAPointLabel>& labels, int num_frames, const ViewBiasOptions& options,
                    BAProblemData* data) {
  if (pixels.size() != data->observations.size())
    throw std::invalid_argument("CorrectViewBias: one pixel per observation");
  if (!model.fitted) return 0;
  const BodyFrames body = EstimateBodyFrames(*data, labels, num_frames, options);
  std::vector<Eigen::Vector3d> centres(rig.size());
  for (size_t c = 0; c < rig.size(); ++c) centres[c] = rig[c].CenterInWorld();
  int corrected = 0;
  for (size_t o = 0; o < data->observations.size(); ++o) {
    BAObservation& ob = data->observations[o];
    ob.pixel = pixels[o];
    if (ob.point < 0) continue;
    const BAPointLabel& l = labels[ob.point];
    if (l.frame < 0 || l.frame >= num_frames || !body.valid[l.frame] || l.joint < 0 ||
        static_cast<size_t>(l.joint) >= model.coefficients.size())
      continue;
    const Eigen::Vector3d& x = data->points[ob.point];
    const double theta = ViewAzimuth(body.body_from_world[l.frame], body.centre[l.frame], centres[ob.camera]);
    const Eigen::Vector3d offset =
        OffsetJacobian(body.body_from_world[l.frame], theta, model.harmonics) * Flatten(model.coefficients[l.joint]);
    const auto p0 = rig[ob.camera].ImageFromWorld(x), p1 = rig[ob.camera].ImageFromWorld(x + offset);
    if (!p0 || !p1) continue;
    ob.pixel = pixels[o] - (*p1 - *p0);
    ++corrected;
  }
  return corrected;
}

}  // namespace epilabel
