// Exact multi-person scenes for association tests: walkers (the body of walker_fixture.h)
// moving on straight lines, seen by a hand-made rig, detected in every camera with optional
// noise, missed detections, dropped joints, shuffled detection order and a bystander seen by
// one camera only. The truth records which person every detection is.
#pragma once

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <vector>

#include "geometry/association/detections.h"
#include "tests/draw_order.h"
#include "tests/geometry/rig_fixture.h"
#include "tests/geometry/walker_fixture.h"

namespace epilabel::testing {

// A person walking from `start` to `end` (ground plane, metres) during frames [enter, leave).
struct PersonPath {
  Eigen::Vector2d start = Eigen::Vector2d::Zero();
  Eigen::Vector2d end = Eigen::Vector2d::Zero();
  frame_t enter = 0;
  frame_t leave = 0;
  int motion_offset = 0;  // frames into WalkerMotion's gait, so that people do not move alike
};

// The walker's joints at each frame of the path, NaN outside [enter, leave).
inline Points3d WalkPath(int frames, const PersonPath& path) {
  const Points3d walker = WalkerMotion(frames + path.motion_offset);
  Points3d out(frames, walker.num_joints());
  const Eigen::Vector2d dir = (path.end - path.start).normalized();
  const Eigen::Matrix3d facing =
      Eigen::AngleAxisd(std::atan2(dir.y(), dir.x()) - M_PI / 2, Eigen::Vector3d::UnitZ()).toRotationMatrix();
  for (frame_t f = path.enter; f < path.leave; ++f) {
    const frame_t g = f + path.motion_offset;
    const Eigen::Vector3d root = 0.5 * (walker.at(g, 11) + walker.at(g, 12));  // mid-hip: the walker's root
    const Eigen::Matrix3d yaw =
        Eigen::AngleAxisd(0.35 * g / 30.0 + M_PI / 2, Eigen::Vector3d::UnitZ()).toRotationMatrix();
    const double s = path.leave - path.enter > 1 ? double(f - path.enter) / (path.leave - 1 - path.enter) : 0.0;
    const Eigen::Vector2d ground = path.start + s * (path.end - path.start);
    const Eigen::Vector3d new_root(ground.x(), ground.y(), root.z());
    for (joint_t j = 0; j < walker.num_joints(); ++j)
      out.at(f, j) = new_root + facing * (yaw.transpose() * (walker.at(g, j) - root));
  }
  return out;
}

// Three people on a ring of radius 4: P0 and P1 walk past each other 0.6 m apart (their
// images cross in the cameras on the y axis, e.g. camera 2 of RingRig(8)); P2 crosses both
// paths, entering at frame 20 and leaving at frame 75.
inline std::vector<PersonPath> ThreeWalkers(int frames) {
  return {{{-1.5, 0.0}, {1.5, 0.0}, 0, frames, 0},
          {{1.5, 0.6}, {-1.5, 0.6}, 0, frames, 17},
          {{0.6, -1.5}, {0.6, 1.5}, 20, std::min(frames, 75), 41}};
}

struct PeopleSceneOptions {
  double noise_px = 0.0;        // Gaussian pixel noise per axis
  double miss_rate = 0.0;       // share of detections dropped
  double joint_drop_rate = 0.0; // share of joints set missing
  double outlier_rate = 0.0;    // share of joints moved by 60-160 px (gross detector errors)
  bool shuffle = true;          // random detection order per camera and frame
  camera_t bystander_camera = kInvalidCameraId;  // a standing person seen only by this camera
  int min_joints = 8;           // a person with fewer joints in the image is not detected
  uint32_t seed = 1;
};

struct PeopleScene {
  Rig rig;
  std::vector<Points3d> people;  // [person] -> [frame][joint], NaN when absent
  MultiDetections detections;
  std::vector<std::vector<std::vector<int>>> truth;  // [camera][frame][detection] -> person, -1 bystander
  int64_t CountDetectionsOf(int person) const {
    int64_t n = 0;
    for (const auto& cam : truth)
      for (const auto& frame : cam) n += std::count(frame.begin(), frame.end(), person);
    return n;
  }
};

// Projects a pose into one camera; empty when fewer than min_joints joints are in the image.
inline PersonJoints DetectPerson(const Camera& cam, const Eigen::Vector3d* pose, int joints,
                                 const PeopleSceneOptions& options, std::mt19937& rng) {
  std::normal_distribution<double> noise(0.0, options.noise_px > 0 ? options.noise_px : 1.0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  PersonJoints out(joints, Eigen::Vector3d::Zero());
  int seen = 0;
  for (joint_t j = 0; j < joints; ++j) {
    if (!pose[j].allFinite()) return {};
    const auto px = cam.ImageFromWorld(pose[j]);
    const double weight = 0.5 + 0.5 * u(rng);
    Eigen::Vector2d n = testing::DrawLastFirst<2>([&] { return noise(rng); });
    if (options.noise_px <= 0) n.setZero();
    if (u(rng) < options.outlier_rate) n += OutlierShift(testing::DrawLastFirst<2>([&] { return u(rng); }));
    if (!px || !cam.IsInImage(*px) || u(rng) < options.joint_drop_rate) continue;
    out[j] << *px + n, weight;
    ++seen;
  }
  if (seen < options.min_joints) return {};
  return out;
}

inline PeopleScene MakePeopleScene(const Rig& rig, const std::vector<PersonPath>& paths, int frames,
                                   const PeopleSceneOptions& options) {
  PeopleScene scene;
  scene.rig = rig;
  for (const PersonPath& p : paths) scene.people.push_back(WalkPath(frames, p));
  // The bystander stands 1.2 m in front of its camera, slightly to the side.
  Points3d bystander;
  if (options.bystander_camera != kInvalidCameraId) {
    const Camera& cam = rig[options.bystander_camera];
    const Eigen::Vector3d c = cam.CenterInWorld();
    const Eigen::Vector3d forward = (Eigen::Vector3d(0, 0, 1) - c).normalized();
    PersonPath still{(c + 2.0 * forward).head<2>(), (c + 2.0 * forward).head<2>() + Eigen::Vector2d(0.01, 0.0), 0,
                     frames, 5};
    bystander = WalkPath(frames, still);
  }
  std::mt19937 rng(options.seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const int joints = 17;
  std::vector<std::vector<std::vector<PersonJoints>>> people(rig.size(), std::vector<std::vector<PersonJoints>>(frames));
  scene.truth.assign(rig.size(), std::vector<std::vector<int>>(frames));
  for (camera_t c = 0; c < static_cast<camera_t>(rig.size()); ++c)
    for (frame_t f = 0; f < frames; ++f) {
      std::vector<std::pair<PersonJoints, int>> found;
      for (int p = 0; p < static_cast<int>(scene.people.size()); ++p) {
        PersonJoints d = DetectPerson(rig[c], scene.people[p].Row(f), joints, options, rng);
        if (!d.empty() && u(rng) >= options.miss_rate) found.emplace_back(std::move(d), p);
      }
      if (c == options.bystander_camera) {
        PersonJoints d = DetectPerson(rig[c], bystander.Row(f), joints, options, rng);
        if (!d.empty()) found.emplace_back(std::move(d), -1);
      }
      if (options.shuffle) std::shuffle(found.begin(), found.end(), rng);
      for (auto& [d, p] : found) {
        people[c][f].push_back(std::move(d));
        scene.truth[c][f].push_back(p);
      }
    }
  scene.detections = MultiDetections(people, joints);
  return scene;
}

// How well tracks recover the people of a scene.
struct Recovery {
  int64_t person_detections = 0;  // detections of the people (not the bystander)
  int64_t recovered = 0;          // of those, in the track that holds most of that person
  int64_t foreign = 0;            // detections in a track that are not its main person's
  int people_with_own_track = 0;  // people whose main track is not another person's main track
};

inline Recovery Evaluate(const PeopleScene& scene, const AssociationResult& result) {
  const int num_people = static_cast<int>(scene.people.size());
  // counts[track][person + 1]
  std::vector<std::vector<int64_t>> counts(result.tracks.size(), std::vector<int64_t>(num_people + 1, 0));
  for (size_t t = 0; t < result.tracks.size(); ++t)
    for (camera_t c = 0; c < static_cast<camera_t>(scene.rig.size()); ++c)
      for (frame_t f = 0; f < scene.detections.num_frames(); ++f) {
        const detection_t d = result.tracks[t].DetectionAt(c, f);
        if (d != kNoDetection) ++counts[t][scene.truth[c][f][d] + 1];
      }
  Recovery r;
  std::vector<int> main_track(num_people, -1);
  for (int p = 0; p < num_people; ++p) {
    r.person_detections += scene.CountDetectionsOf(p);
    for (size_t t = 0; t < counts.size(); ++t)
      if (main_track[p] < 0 || counts[t][p + 1] > counts[main_track[p]][p + 1]) main_track[p] = static_cast<int>(t);
    if (main_track[p] >= 0) r.recovered += counts[main_track[p]][p + 1];
  }
  for (int p = 0; p < num_people; ++p)
    r.people_with_own_track += main_track[p] >= 0 && std::count(main_track.begin(), main_track.end(), main_track[p]) == 1;
  for (size_t t = 0; t < counts.size(); ++t) {
    const auto best = std::max_element(counts[t].begin() + 1, counts[t].end());
    int64_t total = 0;
    for (int64_t n : counts[t]) total += n;
    r.foreign += total - *best;
  }
  return r;
}

}  // namespace epilabel::testing
