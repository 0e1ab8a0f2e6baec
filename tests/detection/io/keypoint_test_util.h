// Helpers shared by the keypoint reader/writer tests: a random multi-person sequence, sequence
// comparison, small JSON fixtures.
#pragma once

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "detection/io/keypoint_io.h"
#include "foundation/error.h"
#include "tests/testing.h"
#include "tests/draw_order.h"

namespace epilabel::testing {

inline std::string Pose2SimDir() { return SourceDir() + "/tests/data/pose2sim_static"; }

inline void WriteText(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

// A COCO-17 stick figure (pixels), about 400 px tall, around (0, 0).
inline const std::vector<Eigen::Vector2d>& CocoTemplate() {
  static const std::vector<Eigen::Vector2d> t = {
      {0, -170}, {-8, -178}, {8, -178}, {-18, -172}, {18, -172}, {-45, -120}, {45, -120}, {-60, -50}, {60, -50},
      {-65, 20}, {65, 20},   {-30, 0},  {30, 0},     {-32, 100}, {32, 100},   {-34, 200}, {34, 200}};
  return t;
}

// A multi-person COCO-17 sequence: cameras with different frame sets, 0-2 people per frame,
// some missing joints.
inline KeypointSequence RandomSequence(uint32_t seed, int num_cameras = 3, int num_frames = 20) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  KeypointSequence seq;
  seq.skeleton = "coco17";
  seq.num_joints = 17;
  for (int c = 0; c < num_cameras; ++c) {
    CameraKeypoints cam;
    cam.name = "cam_" + std::to_string(c + 1);
    for (int f = 0; f < num_frames; ++f) {
      if (c == 1 && f % 7 == 3) continue;  // frames missing on disk
      cam.frame_numbers.push_back(100 + f);
      std::vector<Person2d> people;
      const int n = f % 5 == 4 ? 0 : (f % 3 == 0 ? 2 : 1);
      for (int p = 0; p < n; ++p) {
        Person2d person;
        const Eigen::Vector2d centre(300 + 600 * p + 50 * u(rng), 400 + 30 * u(rng));
        for (const auto& t : CocoTemplate()) {
          if (u(rng) < 0.1) {
            person.joints.emplace_back(0.0, 0.0, 0.0);
          } else {
            const Eigen::Vector2d xy = centre + t + testing::DrawLastFirst<2>([&] { return u(rng); }) * 5.0;
            person.joints.emplace_back(xy.x(), xy.y(), 0.3 + 0.7 * u(rng));
          }
        }
        people.push_back(std::move(person));
      }
      cam.people.push_back(std::move(people));
    }
    seq.cameras.push_back(std::move(cam));
  }
  return seq;
}

inline void ExpectSameSequence(const KeypointSequence& a, const KeypointSequence& b) {
  EXPECT_EQ(a.skeleton, b.skeleton);
  EXPECT_EQ(a.num_joints, b.num_joints);
  ASSERT_EQ(a.cameras.size(), b.cameras.size());
  for (size_t c = 0; c < a.cameras.size(); ++c) {
    const CameraKeypoints& x = a.cameras[c];
    const CameraKeypoints& y = b.cameras[c];
    EXPECT_EQ(x.name, y.name);
    ASSERT_EQ(x.frame_numbers, y.frame_numbers) << x.name;
    for (size_t i = 0; i < x.people.size(); ++i) {
      ASSERT_EQ(x.people[i].size(), y.people[i].size()) << x.name << " frame " << x.frame_numbers[i];
      for (size_t p = 0; p < x.people[i].size(); ++p) {
        ASSERT_EQ(x.people[i][p].joints.size(), y.people[i][p].joints.size());
        for (size_t j = 0; j < x.people[i][p].joints.size(); ++j) {
          EXPECT_EQ(x.people[i][p].joints[j], y.people[i][p].joints[j]) << x.name << " frame " << i << " joint " << j;
        }
      }
    }
  }
}

inline std::string ReadError(const std::string& path, const KeypointReadOptions& options = {}) {
  try {
    ReadKeypoints(path, options);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

inline const char* const kOnePerson17 =
    R"({"version":1.3,"people":[{"person_id":[-1],"pose_keypoints_2d":[1,2,0.5,3,4,0.5,5,6,0.5,7,8,0.5,9,10,0.5,11,12,0.5,13,14,0.5,15,16,0.5,17,18,0.5,19,20,0.5,21,22,0.5,23,24,0.5,25,26,0.5,27,28,0.5,29,30,0.5,31,32,0.5,33,34,0.5]}]})";

}  // namespace epilabel::testing
