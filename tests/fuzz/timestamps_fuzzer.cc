// libFuzzer target: an OpenPose camera folder's timestamps.csv on arbitrary bytes, beside three
// valid JSON frames.
#include <cstdint>
#include <string>

#include "detection/io/openpose_json.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace epilabel;
  fuzz::SingleThreaded();
  const std::string& valid = fuzz::ValidOpenPoseFrame();
  for (int f = 0; f < 3; ++f)
    fuzz::WriteInput("pose/cam1/cam1_00000000000" + std::to_string(f) + "_keypoints.json",
                     reinterpret_cast<const uint8_t*>(valid.data()), valid.size());
  fuzz::WriteInput("pose/cam1/timestamps.csv", data, size);
  fuzz::ExpectOnlyInputErrors([&] { ReadOpenPoseFolder((fuzz::WorkDir() / "pose").string()); });
  return 0;
}
