#include "detection/dnn/pose_decoding.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

namespace epilabel {

namespace {

void CheckMap(const FeatureMap& map, const char* what) {
  if (map.data == nullptr || map.channels <= 0 || map.height <= 0 || map.width <= 0)
    throw std::invalid_argument(std::string("pose decoding: empty ") + what + " map");
}

// Index of the first maximum of n values (ties: the lowest index, as TensorFlow's ArgMax).
size_t ArgMax(const float* values, size_t n) {
  size_t best = 0;
  for (size_t i = 1; i < n; ++i)
    if (values[i] > values[best]) best = i;
  return best;
}

double SafeLog(float v) { return std::log(std::max(static_cast<double>(v), 1e-10)); }

// MoveNetDecodingOptions::vote_radius: the heatmap-weighted mean of the positions (cell + offset,
// cells) that the cells around (ky, kx) give for joint j, those within max_vote_spread of `own`
// (the chosen cell's position).
Eigen::Vector2d VoteOfNeighbours(const MoveNetHeads& heads, int j, int ky, int kx, const Eigen::Vector2d& own,
                                 const MoveNetDecodingOptions& options) {
  const int h = heads.heatmaps.height, w = heads.heatmaps.width, r = options.vote_radius;
  Eigen::Vector2d sum = Eigen::Vector2d::Zero();
  double weight = 0.0;
  for (int y = std::max(0, ky - r); y <= std::min(h - 1, ky + r); ++y) {
    for (int x = std::max(0, kx - r); x <= std::min(w - 1, kx + r); ++x) {
      const Eigen::Vector2d p(x + heads.offsets.at(2 * j + 1, y, x), y + heads.offsets.at(2 * j, y, x));
      const double v = std::max(0.0, static_cast<double>(heads.heatmaps.at(j, y, x)));
      if (!p.allFinite() || (p - own).norm() > options.max_vote_spread) continue;
      sum += v * p;
      weight += v;
    }
  }
  return weight > 0.0 ? Eigen::Vector2d(sum / weight) : own;
}

}  // namespace

std::vector<Eigen::Vector3d> DecodeMoveNetSinglePose(const MoveNetHeads& heads, const MoveNetDecodingOptions& options) {
  CheckMap(heads.center, "centre");
  CheckMap(heads.heatmaps, "keypoint heatmap");
  CheckMap(heads.regression, "regression");
  CheckMap(heads.offsets, "offset");
  const int h = heads.center.height, w = heads.center.width, k = heads.heatmaps.channels;
  for (const FeatureMap* m : {&heads.heatmaps, &heads.regression, &heads.offsets})
    if (m->height != h || m->width != w) throw std::invalid_argument("MoveNet decoding: heads of different sizes");
  if (heads.center.channels != 1 || heads.regression.channels != 2 * k || heads.offsets.channels != 2 * k)
    throw std::invalid_argument("MoveNet decoding: expected 1 centre, K heatmap, 2K regression and 2K offset channels");

  const size_t cells = static_cast<size_t>(h) * w;
  const size_t center_index = ArgMax(heads.center.channel(0), cells);
  const int cy = static_cast<int>(center_index / w), cx = static_cast<int>(center_index % w);

  std::vector<Eigen::Vector3d> keypoints(k);
  for (int j = 0; j < k; ++j) {
    const double ry = cy + heads.regression.at(2 * j, cy, cx);
    const double rx = cx + heads.regression.at(2 * j + 1, cy, cx);
    const float* heatmap = heads.heatmaps.channel(j);
    double best = -std::numeric_limits<double>::infinity();
    int ky = 0, kx = 0;
    for (int y = 0; y < h; ++y) {
      const double dy2 = (y - ry) * (y - ry);
      for (int x = 0; x < w; ++x) {
        // sqrt of the squares rather than std::hypot (no overflow at map sizes; hypot's
        // rescaling made this loop 2 % of a Lightning frame's CPU).
        const double distance = std::sqrt(dy2 + (x - rx) * (x - rx));
        const double v = heatmap[static_cast<size_t>(y) * w + x] / (distance + kMoveNetDistanceBias);
        if (v > best) {
          best = v;
          ky = y;
          kx = x;
        }
      }
    }
    const double py = ky + heads.offsets.at(2 * j, ky, kx);
    const double px = kx + heads.offsets.at(2 * j + 1, ky, kx);
    const Eigen::Vector2d position =
        options.vote_radius > 0 ? VoteOfNeighbours(heads, j, ky, kx, Eigen::Vector2d(px, py), options)
                                : Eigen::Vector2d(px, py);
    keypoints[j] = Eigen::Vector3d(position.x() / w, position.y() / h, heatmap[static_cast<size_t>(ky) * w + kx]);
  }
  return keypoints;
}

namespace {

// Centre cells that are the maximum of their window (ties kept, as the graph's
// |x - maxpool(x)| < 1e-6), best first; ties in score by cell index.
std::vector<std::pair<float, size_t>> CentrePeaks(const FeatureMap& center, int window, int count) {
  const int h = center.height, w = center.width, r = window / 2;
  const float* c = center.channel(0);
  std::vector<std::pair<float, size_t>> peaks;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const float v = c[static_cast<size_t>(y) * w + x];
      bool peak = true;
      for (int yy = std::max(0, y - r); yy <= std::min(h - 1, y + r) && peak; ++yy)
        for (int xx = std::max(0, x - r); xx <= std::min(w - 1, x + r) && peak; ++xx)
          peak = c[static_cast<size_t>(yy) * w + xx] - v < 1e-6f;
      if (peak) peaks.emplace_back(v, static_cast<size_t>(y) * w + x);
    }
  }
  std::stable_sort(peaks.begin(), peaks.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  if (static_cast<int>(peaks.size()) > count) peaks.resize(count);
  return peaks;
}

}  // namespace

std::vector<MultiPoseCandidate> DecodeMoveNetMultiPose(const MoveNetMultiPoseHeads& heads,
                                                       const MultiPoseDecodingOptions& options) {
  for (const FeatureMap* m : {&heads.center, &heads.heatmaps, &heads.regression, &heads.offsets, &heads.box_scale,
                              &heads.box_offset})
    CheckMap(*m, "MultiPose");
  const int h = heads.center.height, w = heads.center.width, k = heads.heatmaps.channels;
  for (const FeatureMap* m : {&heads.heatmaps, &heads.regression, &heads.offsets, &heads.box_scale, &heads.box_offset})
    if (m->height != h || m->width != w) throw std::invalid_argument("MultiPose decoding: heads of different sizes");
  if (heads.center.channels != 1 || heads.regression.channels != 2 * k || heads.offsets.channels != 2 * k ||
      heads.box_scale.channels != 2 || heads.box_offset.channels != 2)
    throw std::invalid_argument("MultiPose decoding: expected 1 centre, K heatmap, 2K regression, 2K offset, 2 box channels");
  const double spread = options.gaussian_scale * std::min(h, w);
  std::vector<MultiPoseCandidate> people;
  for (const auto& [centre_score, index] : CentrePeaks(heads.center, options.nms_window, options.max_people)) {
    const int cy = static_cast<int>(index / w), cx = static_cast<int>(index % w);
    const double by = cy + heads.box_offset.at(0, cy, cx), bx = cx + heads.box_offset.at(1, cy, cx);
    const double bh = std::max(0.0f, heads.box_scale.at(0, cy, cx)), bw = std::max(0.0f, heads.box_scale.at(1, cy, cx));
    const double y0 = std::clamp(by - 0.5 * bh, 0.0, 1.0 * h), y1 = std::clamp(by + 0.5 * bh, 0.0, 1.0 * h);
    const double x0 = std::clamp(bx - 0.5 * bw, 0.0, 1.0 * w), x1 = std::clamp(bx + 0.5 * bw, 0.0, 1.0 * w);
    MultiPoseCandidate person;
    double seen_sum = 0.0;
    int seen = 0;
    for (int j = 0; j < k; ++j) {
      const double ry = cy + heads.regression.at(2 * j, cy, cx), rx = cx + heads.regression.at(2 * j + 1, cy, cx);
      const float* heatmap = heads.heatmaps.channel(j);
      double best = -1.0;
      int ky = -1, kx = -1;
      for (int y = static_cast<int>(std::ceil(y0)); y < y1; ++y) {
        for (int x = static_cast<int>(std::ceil(x0)); x < x1; ++x) {
          const double d2 = (y - ry) * (y - ry) + (x - rx) * (x - rx);
          const double v = heatmap[static_cast<size_t>(y) * w + x] * std::exp(-d2 / spread);
          if (v > best) {
            best = v;
            ky = y;
            kx = x;
          }
        }
      }
      Eigen::Vector3d keypoint(rx / w, ry / h, 0.0);
      if (ky >= 0) {
        const double score = heatmap[static_cast<size_t>(ky) * w + kx];
        keypoint = Eigen::Vector3d((kx + heads.offsets.at(2 * j + 1, ky, kx)) / w,
                                   (ky + heads.offsets.at(2 * j, ky, kx)) / h, score);
      }
      if (keypoint.z() >= options.min_keypoint_score) {
        seen_sum += keypoint.z();
        ++seen;
      }
      person.keypoints.push_back(keypoint);
    }
    person.score = centre_score * seen_sum / std::max(seen, 1);
    people.push_back(std::move(person));
  }
  return people;
}

std::vector<Eigen::Vector3d> DecodeHeatmaps(const FeatureMap& heatmaps, HeatmapRefinement refinement) {
  CheckMap(heatmaps, "heatmap");
  const int h = heatmaps.height, w = heatmaps.width;
  std::vector<Eigen::Vector3d> keypoints(heatmaps.channels);
  for (int c = 0; c < heatmaps.channels; ++c) {
    const float* map = heatmaps.channel(c);
    const size_t index = ArgMax(map, static_cast<size_t>(h) * w);
    const int y = static_cast<int>(index / w), x = static_cast<int>(index % w);
    Eigen::Vector2d shift = Eigen::Vector2d::Zero();
    const bool interior_x = x > 0 && x + 1 < w, interior_y = y > 0 && y + 1 < h;
    if (refinement != HeatmapRefinement::kNone && (interior_x || interior_y)) {
      auto L = [&](int yy, int xx) { return SafeLog(map[static_cast<size_t>(yy) * w + xx]); };
      const double center = L(y, x);
      double gx = 0, gy = 0, hxx = 0, hyy = 0;
      if (interior_x) {
        gx = 0.5 * (L(y, x + 1) - L(y, x - 1));
        hxx = L(y, x + 1) - 2.0 * center + L(y, x - 1);
      }
      if (interior_y) {
        gy = 0.5 * (L(y + 1, x) - L(y - 1, x));
        hyy = L(y + 1, x) - 2.0 * center + L(y - 1, x);
      }
      bool done = false;
      if (refinement == HeatmapRefinement::kTaylor && interior_x && interior_y) {
        const double hxy = 0.25 * (L(y + 1, x + 1) - L(y + 1, x - 1) - L(y - 1, x + 1) + L(y - 1, x - 1));
        const double det = hxx * hyy - hxy * hxy;
        if (hxx < 0.0 && det > 1e-12) {
          // Newton step: shift = -H^-1 g.
          shift.x() = -(hyy * gx - hxy * gy) / det;
          shift.y() = -(-hxy * gx + hxx * gy) / det;
          done = true;
        }
      }
      if (!done) {
        if (interior_x && hxx < 0.0) shift.x() = -gx / hxx;
        if (interior_y && hyy < 0.0) shift.y() = -gy / hyy;
      }
      shift = shift.cwiseMax(-0.5).cwiseMin(0.5);
    }
    keypoints[c] = Eigen::Vector3d(x + shift.x(), y + shift.y(), map[index]);
  }
  return keypoints;
}

std::vector<Eigen::Vector3d> DecodeSimcc(const float* simcc_x, int length_x, const float* simcc_y, int length_y,
                                         int num_joints, double split_ratio) {
  if (simcc_x == nullptr || simcc_y == nullptr || length_x <= 0 || length_y <= 0 || num_joints <= 0)
    throw std::invalid_argument("SimCC decoding: empty input");
  if (!(split_ratio > 0.0)) throw std::invalid_argument("SimCC decoding: split_ratio must be positive");
  std::vector<Eigen::Vector3d> keypoints(num_joints);
  for (int j = 0; j < num_joints; ++j) {
    const float* row_x = simcc_x + static_cast<size_t>(j) * length_x;
    const float* row_y = simcc_y + static_cast<size_t>(j) * length_y;
    const size_t ix = ArgMax(row_x, length_x), iy = ArgMax(row_y, length_y);
    const double score = std::min(row_x[ix], row_y[iy]);
    keypoints[j] = Eigen::Vector3d(ix / split_ratio, iy / split_ratio, score);
  }
  return keypoints;
}

std::vector<Eigen::Vector3d> DecodeBlazePoseLandmarks(const float* landmarks, int count, double pose_flag,
                                                      int num_joints) {
  if (landmarks == nullptr || num_joints <= 0 || count < 5 * num_joints)
    throw std::invalid_argument("BlazePose landmarks: " + std::to_string(count) + " values, expected at least " +
                                std::to_string(5 * std::max(num_joints, 0)) + " (5 per landmark)");
  const double flag = std::isfinite(pose_flag) ? std::clamp(pose_flag, 0.0, 1.0) : 0.0;
  std::vector<Eigen::Vector3d> joints;
  joints.reserve(num_joints);
  for (int j = 0; j < num_joints; ++j) {
    const float* l = landmarks + 5 * j;
    const double visibility = 1.0 / (1.0 + std::exp(-static_cast<double>(l[3])));
    joints.emplace_back(l[0], l[1], std::isfinite(visibility) ? visibility * flag : 0.0);
  }
  return joints;
}

}  // namespace epilabel
