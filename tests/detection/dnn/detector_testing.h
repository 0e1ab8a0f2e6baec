// Shared pieces of the detector tests that need the MoveNet models (created by
// scripts/setup-models.sh, which both README commands run).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "detection/dnn/pose_detector.h"
#include "tests/testing.h"

namespace epilabel::testing {

inline std::string ModelsDir() { return SourceDir() + "/models"; }
inline std::string MoveNetPath(const std::string& variant) { return MoveNetModelPath(ModelsDir(), variant); }
inline std::string OpenCvSample(const std::string& name) { return "/usr/share/doc/opencv-doc/examples/data/" + name; }
inline std::string Pose2SimVideo(int camera) {
  return SourceDir() + "/tests/data/pose2sim_videos/cam0" + std::to_string(camera) + ".mp4";
}

// Fails the test (in SetUp, so the body does not run) when the models are missing.
class WithMoveNetModels : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* variant : {"thunder", "lightning", "blazepose"}) {
      const std::string path = MoveNetPath(variant);
      ASSERT_TRUE(std::filesystem::exists(path))
          << path << " is missing: run scripts/setup-models.sh (the README's setup commands run it) to download "
          << "and convert the MoveNet and BlazePose models";
    }
  }

  // The bundled model `variant`, with Thunder as BlazePose's person finder (as `detect` does).
  static PoseDetectorOptions Options(const std::string& variant) {
    PoseDetectorOptions options;
    options.model.path = MoveNetPath(variant);
    if (variant.rfind("blazepose", 0) == 0) options.person_finder_path = MoveNetPath("thunder");
    return options;
  }
};

// COCO-17 joint indices.
enum Coco : int {
  kNose = 0, kLeftEye, kRightEye, kLeftEar, kRightEar, kLeftShoulder, kRightShoulder, kLeftElbow, kRightElbow,
  kLeftWrist, kRightWrist, kLeftHip, kRightHip, kLeftKnee, kRightKnee, kLeftAnkle, kRightAnkle
};

}  // namespace epilabel::testing
