// libFuzzer target: the OpenPose JSON reader on one arbitrary file beside a valid one.
#include <cstdint>
#include <string>

#include "detection/io/openpose_json.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace epilabel;
  fuzz::SingleThreaded();
  // A valid 17-joint person in frame 0, so the fuzzed frame 1 is checked against it too.
  const std::string& valid = fuzz::ValidOpenPoseFrame();
  fuzz::WriteInput("pose/cam1/cam1_000000000000_keypoints.json", reinterpret_cast<const uint8_t*>(valid.data()),
                   valid.size());
  fuzz::WriteInput("pose/cam1/cam1_000000000001_keypoints.json", data, size);
  fuzz::ExpectOnlyInputErrors([&] { ReadOpenPoseFolder((fuzz::WorkDir() / "pose").string()); });
  return 0;
}
