// libFuzzer target: the COCO keypoint results reader on one arbitrary file.
#include <cstdint>

#include "detection/io/coco_json.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace epilabel;
  fuzz::SingleThreaded();
  const std::string path = fuzz::WriteInput("coco/cam.json", data, size);
  fuzz::ExpectOnlyInputErrors([&] { ReadCocoFolder(path); });
  return 0;
}
