// libFuzzer target: the BVH motion reader (`synth --motion`) on arbitrary text.
#include <cstdint>
#include <string>

#include "detection/synthetic/bvh.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace epilabel;
  fuzz::SingleThreaded();
  const std::string path = fuzz::WriteInput("motion.bvh", data, size);
  fuzz::ExpectOnlyInputErrors([&] { ReadBvh(path); });
  return 0;
}
