#include "detection/dnn/keypoint_smoothing.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include <Eigen/Dense>

#include "foundation/error.h"

namespace epilabel {

namespace {

// For one track: the index of its person in each frame (-1 where absent).
std::map<int, std::vector<int>> PeopleByTrack(const CameraKeypoints& camera) {
  std::map<int, std::vector<int>> tracks;
  const size_t frames = camera.people.size();
  for (size_t f = 0; f < frames; ++f) {
    int untracked = 0;
    for (const Person2d& p : camera.people[f]) untracked += p.track_id < 0 ? 1 : 0;
    for (size_t i = 0; i < camera.people[f].size(); ++i) {
      const int id = camera.people[f][i].track_id;
      if (id < 0 && untracked != 1) continue;
      std::vector<int>& index = tracks[id];
      if (index.empty()) index.assign(frames, -1);
      index[f] = static_cast<int>(i);
    }
  }
  return tracks;
}

// Weighted least-squares fit of x(u) = a0 + a1 u + a2 u^2 to samples (u, x, weight); returns
// a0 (the value at u = 0) from the highest degree <= max_degree whose normal equations are
// well conditioned.
class LocalPolynomial {
 public:
  void Add(double u, const Eigen::Vector2d& x, double weight) {
    const Eigen::Vector3d basis(1.0, u, u * u);
    normal_ += weight * basis * basis.transpose();
    rhs_ += weight * basis * x.transpose();
  }
  bool Empty() const { return !(normal_(0, 0) > 0.0); }
  Eigen::Vector2d ValueAtZero(int max_degree) const {
    for (int degree = std::min(max_degree, 2); degree > 0; --degree) {
      const int n = degree + 1;
      const Eigen::MatrixXd a = normal_.topLeftCorner(n, n);
      // Scale-free conditioning: the determinant of the correlation-like matrix.
      const Eigen::VectorXd d = a.diagonal().cwiseSqrt().cwiseInverse();
      const double det = (d.asDiagonal() * a * d.asDiagonal()).determinant();
      if (!(det > 1e-6)) continue;
      const Eigen::MatrixXd solution = a.ldlt().solve(rhs_.topRows(n));
      return solution.row(0).transpose();
    }
    return rhs_.row(0).transpose() / normal_(0, 0);
  }

 private:
  Eigen::Matrix3d normal_ = Eigen::Matrix3d::Zero();
  Eigen::Matrix<double, 3, 2> rhs_ = Eigen::Matrix<double, 3, 2>::Zero();
};

// Smooths with the sample times `t` (one per entry of camera->people) and window sigma (same
// unit as t).
void SmoothOnTimes(const std::vector<double>& t, double sigma, const KeypointSmoothingOptions& options,
                   CameraKeypoints* camera) {
  const std::vector<std::vector<Person2d>> original = camera->people;
  const int frames = static_cast<int>(original.size());
  const double reach = options.reach_sigmas * sigma;
  for (const auto& track : PeopleByTrack(*camera)) {
    const std::vector<int>& index = track.second;  // a lambda may not capture a structured binding in C++17
    for (int f = 0; f < frames; ++f) {
      if (index[f] < 0) continue;
      Person2d& out = camera->people[f][index[f]];
      for (size_t j = 0; j < out.joints.size(); ++j) {
        if (!(original[f][index[f]].joints[j].z() > 0.0)) continue;
        LocalPolynomial fit;
        auto add = [&](int g) {
          if (index[g] < 0) return;
          const Eigen::Vector3d& k = original[g][index[g]].joints[j];
          if (!(k.z() > 0.0)) return;
          const double u = (t[g] - t[f]) / sigma;
          fit.Add(u, k.head<2>(), k.z() * std::exp(-0.5 * u * u));
        };
        for (int g = f; g >= 0 && t[f] - t[g] <= reach; --g) add(g);
        for (int g = f + 1; g < frames && t[g] - t[f] <= reach; ++g) add(g);
        if (!fit.Empty()) out.joints[j].head<2>() = fit.ValueAtZero(options.degree);
      }
    }
  }
}

}  // namespace

void KeypointSmoothingOptions::Check() const {
  if (!(sigma_s >= 0.0) || !std::isfinite(sigma_s)) throw InputError("smooth_seconds", "must be a non-negative number of seconds");
  if (!(sigma_frames >= 0.0) || !std::isfinite(sigma_frames))
    throw InputError("smooth", "must be a non-negative number of frames");
  if (degree < 0 || degree > 2) throw InputError("smooth_degree", "must be 0, 1 or 2");
  if (!(reach_sigmas > 0.0) || !std::isfinite(reach_sigmas)) throw InputError("smooth_reach", "must be positive");
}

KeypointSmoothingSummary SmoothKeypoints(const KeypointSmoothingOptions& options, CameraKeypoints* camera) {
  KeypointSmoothingSummary summary;
  if (camera == nullptr || camera->people.empty()) return summary;
  const size_t n = camera->people.size();
  std::vector<double> t(n);
  double sigma = 0.0;
  if (options.sigma_frames > 0.0) {
    for (size_t i = 0; i < n; ++i) t[i] = static_cast<double>(camera->frame_numbers[i]);
    sigma = options.sigma_frames;
    summary.sigma_frames = sigma;
  } else if (options.sigma_s > 0.0 && camera->timestamps_s.size() == n && n >= 2) {
    t = camera->timestamps_s;
    sigma = options.sigma_s;
    std::vector<double> steps(n - 1);
    for (size_t i = 0; i + 1 < n; ++i) steps[i] = t[i + 1] - t[i];
    std::nth_element(steps.begin(), steps.begin() + steps.size() / 2, steps.end());
    const double step = steps[steps.size() / 2];
    summary.sigma_frames = step > 0.0 ? sigma / step : 0.0;
  } else {
    return summary;
  }
  SmoothOnTimes(t, sigma, options, camera);
  summary.smoothed = true;
  return summary;
}

void SmoothKeypoints(double sigma_frames, CameraKeypoints* camera) {
  if (!(sigma_frames > 0.0)) return;
  KeypointSmoothingOptions options;
  options.sigma_frames = sigma_frames;
  options.degree = 0;
  SmoothKeypoints(options, camera);
}

}  // namespace epilabel
