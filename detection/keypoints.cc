#include "detection/keypoints.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace epilabel {

double Person2d::TotalConfidence() const {
  double sum = 0.0;
  for (const auto& j : joints) {
    if (std::isfinite(j.z()) && j.z() > 0.0) sum += j.z();
  }
  return sum;
}

std::vector<int64_t> KeypointSequence::AllFrameNumbers() const {
  std::vector<int64_t> all;
  for (const auto& cam : cameras) all.insert(all.end(), cam.frame_numbers.begin(), cam.frame_numbers.end());
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return all;
}

int KeypointSequence::CameraIndex(const std::string& name) const {
  for (size_t i = 0; i < cameras.size(); ++i) {
    if (cameras[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

ObservationTable ToObservations(const KeypointSequence& sequence, PersonSelection selection) {
  ObservationTable table;
  table.frame_numbers = sequence.AllFrameNumbers();
  std::unordered_map<int64_t, frame_t> index_of;
  index_of.reserve(table.frame_numbers.size());
  for (size_t i = 0; i < table.frame_numbers.size(); ++i) index_of[table.frame_numbers[i]] = static_cast<frame_t>(i);
  table.observations = Observations2d(static_cast<int>(sequence.cameras.size()),
                                      static_cast<int>(table.frame_numbers.size()), sequence.num_joints);
  for (size_t c = 0; c < sequence.cameras.size(); ++c) {
    const CameraKeypoints& cam = sequence.cameras[c];
    for (size_t i = 0; i < cam.frame_numbers.size(); ++i) {
      const auto& people = cam.people[i];
      if (people.empty()) continue;
      size_t best = 0;
      if (selection == PersonSelection::kMostConfident) {
        double best_conf = -1.0;
        for (size_t p = 0; p < people.size(); ++p) {
          const double conf = people[p].TotalConfidence();
          if (conf > best_conf) {
            best_conf = conf;
            best = p;
          }
        }
      }
      const frame_t f = index_of.at(cam.frame_numbers[i]);
      const auto& joints = people[best].joints;
      const int n = std::min<int>(sequence.num_joints, static_cast<int>(joints.size()));
      for (int j = 0; j < n; ++j) {
        const Eigen::Vector3d& k = joints[j];
        if (k.allFinite() && k.z() > 0.0) table.observations.at(static_cast<camera_t>(c), f, j) = k;
      }
    }
  }
  return table;
}

KeypointSequence FromObservations(const Observations2d& observations, const std::vector<int64_t>& frame_numbers,
                                  const std::vector<std::string>& camera_names, const std::string& skeleton) {
  KeypointSequence seq;
  seq.skeleton = skeleton;
  seq.num_joints = observations.num_joints();
  for (camera_t c = 0; c < observations.num_cameras(); ++c) {
    CameraKeypoints cam;
    cam.name = camera_names.at(c);
    cam.frame_numbers = frame_numbers;
    cam.people.resize(frame_numbers.size());
    for (frame_t f = 0; f < observations.num_frames(); ++f) {
      Person2d person;
      person.joints.assign(observations.Row(c, f), observations.Row(c, f) + observations.num_joints());
      bool any = false;
      for (const auto& j : person.joints) any = any || j.z() > 0.0;
      if (any) cam.people[f].push_back(std::move(person));
    }
    seq.cameras.push_back(std::move(cam));
  }
  return seq;
}

}  // namespace epilabel
