#include "detection/dnn/detector_module.h"

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/testing.h"

namespace epilabel {
namespace {

using testing::TempDir;

// The message of the std::runtime_error that LoadDetectorModule throws for `candidates`.
std::string LoadErrorOf(const std::vector<std::string>& candidates) {
  try {
    LoadDetectorModule(candidates);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "LoadDetectorModule did not throw";
  return "";
}

TEST(DetectorModule, MissingModuleNamesThePathAndTheVariable) {
  const std::string path = "/nonexistent/folder/libepilabel_detector_dnn.so";
  const std::string message = LoadErrorOf({path});
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("No such file"), std::string::npos) << message;
  EXPECT_NE(message.find("EPILABEL_DETECTOR_MODULE"), std::string::npos) << message;
  EXPECT_NE(message.find("libepilabel_detector_dnn.so"), std::string::npos) << message;
}

TEST(DetectorModule, FilesThatAreNotTheModuleAreRejectedByName) {
  TempDir dir;
  const std::string text = dir / "libepilabel_detector_dnn.so";
  std::ofstream(text) << "not a shared library\n";
  // libc loads but does not export the module's entry point.
  const std::string message = LoadErrorOf({text, "libc.so.6"});
  EXPECT_NE(message.find(text + ":"), std::string::npos) << message;
  EXPECT_NE(message.find("libc.so.6: not an EpiLabel detector module"), std::string::npos) << message;
}

TEST(DetectorModule, LoadsTheFirstUsableCandidate) {
  std::vector<std::string> candidates = {"/nonexistent/libepilabel_detector_dnn.so"};
  for (const std::string& c : DetectorModuleCandidates()) candidates.push_back(c);
  const DetectorModuleApi& api = LoadDetectorModule(candidates);
  EXPECT_EQ(api.abi, kDetectorModuleAbi);
  EXPECT_NE(api.open_frame_source, nullptr);
  EXPECT_NE(api.load_pose_network, nullptr);
  EXPECT_EQ(&api, &DetectorModule());
}

TEST(DetectorModule, EnvironmentVariableComesFirst) {
  ASSERT_EQ(::setenv("EPILABEL_DETECTOR_MODULE", "/elsewhere/libepilabel_detector_dnn.so", 1), 0);
  const std::vector<std::string> candidates = DetectorModuleCandidates();
  ::unsetenv("EPILABEL_DETECTOR_MODULE");
  ASSERT_GE(candidates.size(), 2u);
  EXPECT_EQ(candidates[0], "/elsewhere/libepilabel_detector_dnn.so");
  EXPECT_EQ(DetectorModuleCandidates().front(), candidates[1]) << "without the variable the build path comes first";
}

}  // namespace
}  // namespace epilabel
