#include "detection/dnn/keypoint_smoothing.h"

#include <cmath>
#include <map>
#include <vector>

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

}  // namespace

void SmoothKeypoints(double sigma_frames, CameraKeypoints* camera) {
  if (!(sigma_frames > 0.0) || camera == nullptr) return;
  const std::vector<std::vector<Person2d>> original = camera->people;
  const int frames = static_cast<int>(original.size());
  const double reach = 2.0 * sigma_frames;
  for (const auto& track : PeopleByTrack(*camera)) {
    const std::vector<int>& index = track.second;  // a lambda may not capture a structured binding in C++17
    for (int f = 0; f < frames; ++f) {
      if (index[f] < 0) continue;
      Person2d& out = camera->people[f][index[f]];
      const int64_t t = camera->frame_numbers[f];
      for (size_t j = 0; j < out.joints.size(); ++j) {
        if (!(original[f][index[f]].joints[j].z() > 0.0)) continue;
        Eigen::Vector2d sum = Eigen::Vector2d::Zero();
        double weight = 0.0;
        auto add = [&](int g) {
          if (index[g] < 0) return;
          const Eigen::Vector3d& k = original[g][index[g]].joints[j];
          const double dt = static_cast<double>(camera->frame_numbers[g] - t) / sigma_frames;
          const double w = k.z() * std::exp(-0.5 * dt * dt);
          if (!(k.z() > 0.0)) return;
          sum += w * k.head<2>();
          weight += w;
        };
        for (int g = f; g >= 0 && static_cast<double>(t - camera->frame_numbers[g]) <= reach; --g) add(g);
        for (int g = f + 1; g < frames && static_cast<double>(camera->frame_numbers[g] - t) <= reach; ++g) add(g);
        if (weight > 0.0) out.joints[j].head<2>() = sum / weight;
      }
    }
  }
}

}  // namespace epilabel
