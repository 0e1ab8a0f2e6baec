#include "detection/dnn/pose_decoding.h"

#include <cmath>
#include <random>
#include <utility>
#include <vector>

#include <Eigen/LU>
#include <gtest/gtest.h>

namespace epilabel {
namespace {

// A [channels, height, width] tensor owning its data.
struct Tensor {
  int channels, height, width;
  std::vector<float> data;
  Tensor(int c, int h, int w, float fill = 0.0f) : channels(c), height(h), width(w), data(size_t(c) * h * w, fill) {}
  float& at(int c, int y, int x) { return data[(size_t(c) * height + y) * width + x]; }
  FeatureMap map() const { return FeatureMap{data.data(), channels, height, width}; }
};

// MoveNet heads with one person whose keypoint k sits at cell (ky[k], kx[k]) + offset, on a
// non-square grid so that an x/y mix-up shows.
struct SyntheticMoveNet {
  static constexpr int kJoints = 17;
  static constexpr int kH = 20, kW = 26;
  Tensor center{1, kH, kW}, heatmaps{kJoints, kH, kW}, regression{2 * kJoints, kH, kW}, offsets{2 * kJoints, kH, kW};
  int cy = 9, cx = 14;
  std::vector<int> ky, kx;
  std::vector<double> oy, ox;

  SyntheticMoveNet() {
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> noise(0.0f, 0.05f);
    for (float& v : center.data) v = noise(rng);
    for (float& v : heatmaps.data) v = noise(rng);
    for (float& v : regression.data) v = 40.0f * (noise(rng) - 0.025f);  // junk away from the centre
    for (float& v : offsets.data) v = 20.0f * (noise(rng) - 0.025f);
    center.at(0, cy, cx) = 0.9f;
    center.at(0, 2, 3) = 0.6f;  // a weaker second person
    for (int k = 0; k < kJoints; ++k) {
      ky.push_back(3 + k % 14);
      kx.push_back(4 + (5 * k) % 19);
      oy.push_back(-0.45 + 0.05 * k);
      ox.push_back(0.4 - 0.045 * k);
      // The regression points near (not exactly at) the keypoint cell.
      regression.at(2 * k, cy, cx) = static_cast<float>(ky[k] - cy + 0.3);
      regression.at(2 * k + 1, cy, cx) = static_cast<float>(kx[k] - cx - 0.4);
      heatmaps.at(k, ky[k], kx[k]) = 0.7f;
      offsets.at(2 * k, ky[k], kx[k]) = static_cast<float>(oy[k]);
      offsets.at(2 * k + 1, ky[k], kx[k]) = static_cast<float>(ox[k]);
    }
  }
  MoveNetHeads heads() const { return {center.map(), heatmaps.map(), regression.map(), offsets.map()}; }
};

TEST(DecodeMoveNetSinglePose, RecoversKeypointsFromPeaksAndOffsets) {
  const SyntheticMoveNet net;
  const std::vector<Eigen::Vector3d> keypoints = DecodeMoveNetSinglePose(net.heads());
  ASSERT_EQ(keypoints.size(), 17u);
  for (int k = 0; k < 17; ++k) {
    EXPECT_NEAR(keypoints[k].x(), (net.kx[k] + net.ox[k]) / SyntheticMoveNet::kW, 1e-6) << "joint " << k;
    EXPECT_NEAR(keypoints[k].y(), (net.ky[k] + net.oy[k]) / SyntheticMoveNet::kH, 1e-6) << "joint " << k;
    EXPECT_FLOAT_EQ(keypoints[k].z(), 0.7f) << "joint " << k;
  }
}

TEST(DecodeMoveNetSinglePose, PrefersThePeakNearTheRegressedPositionOverAStrongerFarOne) {
  SyntheticMoveNet net;
  // A stronger peak for joint 0 far from where the centre's regression points.
  const int far_y = net.ky[0] > 10 ? 1 : 18, far_x = net.kx[0] > 13 ? 1 : 24;
  net.heatmaps.at(0, far_y, far_x) = 0.95f;
  const std::vector<Eigen::Vector3d> keypoints = DecodeMoveNetSinglePose(net.heads());
  EXPECT_NEAR(keypoints[0].x(), (net.kx[0] + net.ox[0]) / SyntheticMoveNet::kW, 1e-6);
  EXPECT_NEAR(keypoints[0].y(), (net.ky[0] + net.oy[0]) / SyntheticMoveNet::kH, 1e-6);

  // A slightly stronger peak one cell further from the regressed position (offset (0.3, -0.4))
  // loses too: 0.7 / (0.5 + 1.8) = 0.304 > 0.75 / (1.43 + 1.8) = 0.232.
  SyntheticMoveNet near;
  const int y = near.ky[1], x = near.kx[1];
  near.heatmaps.at(1, y, x + 1) = 0.75f;
  const std::vector<Eigen::Vector3d> k2 = DecodeMoveNetSinglePose(near.heads());
  EXPECT_NEAR(k2[1].x() * SyntheticMoveNet::kW, x + near.ox[1], 1e-5);
}

TEST(DecodeMoveNetSinglePose, FollowsTheStrongestCentre) {
  SyntheticMoveNet net;
  // Make the second centre the strongest and give it its own regression to other cells.
  net.center.at(0, 2, 3) = 0.99f;
  for (int k = 0; k < 17; ++k) {
    net.regression.at(2 * k, 2, 3) = static_cast<float>(17 - 2);
    net.regression.at(2 * k + 1, 2, 3) = static_cast<float>(24 - 3);
  }
  net.heatmaps.at(5, 17, 24) = 0.5f;
  const std::vector<Eigen::Vector3d> keypoints = DecodeMoveNetSinglePose(net.heads());
  EXPECT_NEAR(keypoints[5].y() * SyntheticMoveNet::kH, 17 + net.offsets.at(10, 17, 24), 1e-5);
  EXPECT_NEAR(keypoints[5].x() * SyntheticMoveNet::kW, 24 + net.offsets.at(11, 17, 24), 1e-5);
  EXPECT_FLOAT_EQ(keypoints[5].z(), 0.5f);
}

TEST(DecodeMoveNetSinglePose, NeighboursVoteOnThePositionWhenAsked) {
  SyntheticMoveNet net;
  // Joint 2: the true position is (ky, kx) + (oy, ox); the chosen cell's offset is off by 0.3
  // cell in x, its four side neighbours (weaker heatmap) point at the true position.
  const int y = net.ky[2], x = net.kx[2];
  const double true_x = x + net.ox[2], true_y = y + net.oy[2];
  net.offsets.at(5, y, x) = static_cast<float>(net.ox[2] + 0.3);
  for (const auto& [dy, dx] : {std::pair{0, 1}, std::pair{0, -1}, std::pair{1, 0}, std::pair{-1, 0}}) {
    net.heatmaps.at(2, y + dy, x + dx) = 0.35f;
    net.offsets.at(4, y + dy, x + dx) = static_cast<float>(true_y - (y + dy));
    net.offsets.at(5, y + dy, x + dx) = static_cast<float>(true_x - (x + dx));
  }
  for (const auto& [dy, dx] : {std::pair{-1, -1}, std::pair{-1, 1}, std::pair{1, -1}}) net.heatmaps.at(2, y + dy, x + dx) = 0.0f;
  // A neighbour pointing a cell and a half away is left out of the vote.
  net.heatmaps.at(2, y + 1, x + 1) = 0.5f;
  net.offsets.at(4, y + 1, x + 1) = static_cast<float>(true_y - (y + 1) + 1.5);
  net.offsets.at(5, y + 1, x + 1) = static_cast<float>(true_x - (x + 1));

  const std::vector<Eigen::Vector3d> own = DecodeMoveNetSinglePose(net.heads());
  EXPECT_NEAR(own[2].x() * SyntheticMoveNet::kW, true_x + 0.3, 1e-5);  // MoveNet's decoding: the cell's offset

  MoveNetDecodingOptions vote;
  vote.vote_radius = 1;
  const std::vector<Eigen::Vector3d> voted = DecodeMoveNetSinglePose(net.heads(), vote);
  // (0.7 * 0.3 + 4 * 0.35 * 0) / (0.7 + 4 * 0.35) = 0.1 cell.
  EXPECT_NEAR(voted[2].x() * SyntheticMoveNet::kW, true_x + 0.1, 1e-5);
  EXPECT_NEAR(voted[2].y() * SyntheticMoveNet::kH, true_y, 1e-5);
  EXPECT_FLOAT_EQ(voted[2].z(), 0.7f);  // the score stays the chosen cell's
  for (int k = 0; k < 17; ++k) {
    if (k == 2) continue;
    // Neighbours of the other joints hold noise offsets up to 0.5 cell: the vote moves them by
    // less than the noise's share of the weight allows.
    EXPECT_NEAR(voted[k].x() * SyntheticMoveNet::kW, own[k].x() * SyntheticMoveNet::kW, 0.4) << k;
  }
}

TEST(DecodeMoveNetSinglePose, RejectsInconsistentHeads) {
  SyntheticMoveNet net;
  MoveNetHeads heads = net.heads();
  heads.offsets.channels = 17;
  EXPECT_THROW(DecodeMoveNetSinglePose(heads), std::invalid_argument);
  heads = net.heads();
  heads.regression.width = 10;
  EXPECT_THROW(DecodeMoveNetSinglePose(heads), std::invalid_argument);
}

// A Gaussian peak exp(-0.5 d^T S^-1 d) at `peak` with covariance S.
Tensor GaussianMap(int h, int w, const Eigen::Vector2d& peak, const Eigen::Matrix2d& covariance, float amplitude) {
  Tensor t(1, h, w);
  const Eigen::Matrix2d info = covariance.inverse();
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const Eigen::Vector2d d(x - peak.x(), y - peak.y());
      t.at(0, y, x) = amplitude * static_cast<float>(std::exp(-0.5 * d.dot(info * d)));
    }
  return t;
}

TEST(DecodeHeatmaps, RefinementRecoversSubPixelPeaksOfGaussians) {
  const Eigen::Vector2d peaks[] = {{12.3, 7.8}, {5.5 - 0.01, 14.2}, {20.9, 3.35}};
  for (const Eigen::Vector2d& peak : peaks) {
    const Tensor map = GaussianMap(18, 28, peak, Eigen::Matrix2d::Identity() * 4.0, 0.8f);
    const Eigen::Vector3d none = DecodeHeatmaps(map.map(), HeatmapRefinement::kNone)[0];
    EXPECT_DOUBLE_EQ(none.x(), std::round(peak.x()));
    EXPECT_DOUBLE_EQ(none.y(), std::round(peak.y()));
    for (HeatmapRefinement r : {HeatmapRefinement::kParabola, HeatmapRefinement::kTaylor}) {
      const Eigen::Vector3d k = DecodeHeatmaps(map.map(), r)[0];
      // float32 storage limits the precision of the log-domain fit.
      EXPECT_NEAR(k.x(), peak.x(), 2e-3) << "refinement " << static_cast<int>(r);
      EXPECT_NEAR(k.y(), peak.y(), 2e-3) << "refinement " << static_cast<int>(r);
      EXPECT_LE(k.z(), 0.8 + 1e-6);
      EXPECT_GT(k.z(), 0.7);
    }
  }
}

TEST(DecodeHeatmaps, TaylorHandlesCorrelatedPeaksWhereParabolaCannot) {
  Eigen::Matrix2d cov;
  cov << 6.0, 4.0, 4.0, 6.0;  // elongated along the diagonal
  const Eigen::Vector2d peak(10.4, 8.35);
  const Tensor map = GaussianMap(20, 22, peak, cov, 1.0f);
  const Eigen::Vector3d taylor = DecodeHeatmaps(map.map(), HeatmapRefinement::kTaylor)[0];
  const Eigen::Vector3d parabola = DecodeHeatmaps(map.map(), HeatmapRefinement::kParabola)[0];
  EXPECT_NEAR((taylor.head<2>() - peak).norm(), 0.0, 2e-3);
  EXPECT_GT((parabola.head<2>() - peak).norm(), 0.05);
}

TEST(DecodeHeatmaps, EachChannelIndependentlyAndBorderPeaksUnrefined) {
  Tensor maps(3, 10, 12, 0.01f);
  maps.at(0, 4, 7) = 0.9f;
  maps.at(1, 0, 0) = 0.5f;  // corner: no neighbours on two sides
  maps.at(2, 9, 5) = 0.3f;  // bottom border
  maps.at(2, 9, 6) = 0.2f;
  const std::vector<Eigen::Vector3d> k = DecodeHeatmaps(maps.map(), HeatmapRefinement::kTaylor);
  ASSERT_EQ(k.size(), 3u);
  EXPECT_DOUBLE_EQ(k[0].x(), 7.0);  // symmetric neighbours: no shift
  EXPECT_DOUBLE_EQ(k[0].y(), 4.0);
  EXPECT_FLOAT_EQ(k[0].z(), 0.9f);
  EXPECT_DOUBLE_EQ(k[1].x(), 0.0);
  EXPECT_DOUBLE_EQ(k[1].y(), 0.0);
  EXPECT_DOUBLE_EQ(k[2].y(), 9.0);                   // no refinement across the border
  EXPECT_GT(k[2].x(), 5.0);                          // pulled toward the stronger neighbour
  EXPECT_LE(k[2].x(), 5.5);                          // by at most half a pixel
}

TEST(DecodeSimcc, ArgmaxOverSplitRatioAndMinimumScore) {
  const int joints = 3, lx = 384, ly = 512;  // RTMPose 192x256 with split ratio 2
  std::vector<float> x(size_t(joints) * lx, -1.0f), y(size_t(joints) * ly, -1.0f);
  const int bx[] = {10, 200, 383}, by[] = {0, 300, 77};
  const float sx[] = {0.9f, 0.4f, 0.7f}, sy[] = {0.5f, 0.8f, 0.7f};
  for (int j = 0; j < joints; ++j) {
    x[size_t(j) * lx + bx[j]] = sx[j];
    y[size_t(j) * ly + by[j]] = sy[j];
  }
  const std::vector<Eigen::Vector3d> k = DecodeSimcc(x.data(), lx, y.data(), ly, joints, 2.0);
  ASSERT_EQ(k.size(), 3u);
  for (int j = 0; j < joints; ++j) {
    EXPECT_DOUBLE_EQ(k[j].x(), bx[j] / 2.0);
    EXPECT_DOUBLE_EQ(k[j].y(), by[j] / 2.0);
    EXPECT_FLOAT_EQ(k[j].z(), std::min(sx[j], sy[j]));
  }
  EXPECT_THROW(DecodeSimcc(x.data(), lx, y.data(), ly, joints, 0.0), std::invalid_argument);
}

TEST(DecodeBlazePoseLandmarks, PixelsAndVisibilityTimesThePersonFlag) {
  // 39 landmarks x (x, y, z, visibility logit, presence logit), as the model gives them.
  std::vector<float> values(39 * 5);
  for (int j = 0; j < 39; ++j) {
    values[5 * j] = 3.5f * j;             // x, input pixels
    values[5 * j + 1] = 250.0f - 2.0f * j;  // y
    values[5 * j + 2] = -40.0f;           // z: unused
    values[5 * j + 3] = static_cast<float>(j - 16);  // visibility logit
    values[5 * j + 4] = 100.0f;           // presence: unused
  }
  const std::vector<Eigen::Vector3d> k = DecodeBlazePoseLandmarks(values.data(), static_cast<int>(values.size()), 0.8);
  ASSERT_EQ(k.size(), 33u) << "the 6 auxiliary landmarks are left out";
  for (int j = 0; j < 33; ++j) {
    EXPECT_FLOAT_EQ(k[j].x(), 3.5f * j);
    EXPECT_FLOAT_EQ(k[j].y(), 250.0f - 2.0f * j);
    EXPECT_NEAR(k[j].z(), 0.8 / (1.0 + std::exp(16.0 - j)), 1e-12);
  }
  // The flag scales every score: no person, no confident joint.
  for (const Eigen::Vector3d& j : DecodeBlazePoseLandmarks(values.data(), 195, 0.0)) EXPECT_EQ(j.z(), 0.0);
  // A NaN flag counts as no person.
  for (const Eigen::Vector3d& j : DecodeBlazePoseLandmarks(values.data(), 195, std::nan(""))) EXPECT_EQ(j.z(), 0.0);
  EXPECT_THROW(DecodeBlazePoseLandmarks(values.data(), 33 * 5 - 1, 1.0), std::invalid_argument);
  EXPECT_THROW(DecodeBlazePoseLandmarks(nullptr, 195, 1.0), std::invalid_argument);
}

}  // namespace
}  // namespace epilabel

namespace epilabel {
namespace {

// MultiPose heads with two people (centres A and B, boxes of 16 x 16 cells) and a weaker
// centre next to A that the 5 x 5 peak window suppresses.
struct SyntheticMultiPose {
  static constexpr int kJoints = 17;
  static constexpr int kH = 32, kW = 40;
  Tensor center{1, kH, kW}, heatmaps{kJoints, kH, kW}, regression{2 * kJoints, kH, kW}, offsets{2 * kJoints, kH, kW};
  Tensor box_scale{2, kH, kW}, box_offset{2, kH, kW};
  int cy[2] = {10, 20}, cx[2] = {12, 30};

  static int Dy(int k) { return -6 + k % 7; }
  static int Dx(int k) { return -5 + (3 * k) % 11; }

  SyntheticMultiPose() {
    center.at(0, cy[0], cx[0]) = 0.9f;
    center.at(0, cy[1], cx[1]) = 0.7f;
    center.at(0, cy[0] + 1, cx[0] + 2) = 0.8f;  // inside A's window: not a peak
    for (int p = 0; p < 2; ++p) {
      box_scale.at(0, cy[p], cx[p]) = 16.0f;
      box_scale.at(1, cy[p], cx[p]) = 16.0f;
      for (int k = 0; k < kJoints; ++k) {
        const int y = cy[p] + Dy(k), x = cx[p] + Dx(k);
        regression.at(2 * k, cy[p], cx[p]) = static_cast<float>(Dy(k) + 0.3);
        regression.at(2 * k + 1, cy[p], cx[p]) = static_cast<float>(Dx(k) - 0.2);
        heatmaps.at(k, y, x) = p == 0 ? 0.8f : 0.5f;
        offsets.at(2 * k, y, x) = 0.25f;
        offsets.at(2 * k + 1, y, x) = -0.1f;
      }
    }
  }
  MoveNetMultiPoseHeads heads() const {
    return {center.map(), heatmaps.map(), regression.map(), offsets.map(), box_scale.map(), box_offset.map()};
  }
};

TEST(DecodeMoveNetMultiPose, FindsEachPersonInsideItsBox) {
  const SyntheticMultiPose net;
  const std::vector<MultiPoseCandidate> people = DecodeMoveNetMultiPose(net.heads());
  // Every other cell of the centre map is 0, also a (flat) local maximum: they come after the
  // two people and score 0.
  ASSERT_GE(people.size(), 2u);
  for (int p = 0; p < 2; ++p) {
    ASSERT_EQ(people[p].keypoints.size(), 17u);
    for (int k = 0; k < 17; ++k) {
      const Eigen::Vector3d& kp = people[p].keypoints[k];
      EXPECT_NEAR(kp.x(), (net.cx[p] + SyntheticMultiPose::Dx(k) - 0.1) / SyntheticMultiPose::kW, 1e-6) << p << " " << k;
      EXPECT_NEAR(kp.y(), (net.cy[p] + SyntheticMultiPose::Dy(k) + 0.25) / SyntheticMultiPose::kH, 1e-6) << p << " " << k;
      EXPECT_NEAR(kp.z(), p == 0 ? 0.8 : 0.5, 1e-6);
    }
  }
  EXPECT_NEAR(people[0].score, 0.9 * 0.8, 1e-6);  // centre x mean keypoint score
  EXPECT_NEAR(people[1].score, 0.7 * 0.5, 1e-6);
  for (size_t p = 2; p < people.size(); ++p) EXPECT_LT(people[p].score, 1e-6);
}

TEST(DecodeMoveNetMultiPose, RejectsHeadsOfDifferentSizes) {
  const SyntheticMultiPose net;
  MoveNetMultiPoseHeads heads = net.heads();
  heads.box_scale.width -= 1;
  EXPECT_THROW(DecodeMoveNetMultiPose(heads), std::invalid_argument);
}

}  // namespace
}  // namespace epilabel
