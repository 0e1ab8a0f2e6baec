// libFuzzer target: the calibration TOML reader on arbitrary bytes.
#include <cstdint>

#include "detection/io/calibration_io.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace epilabel;
  fuzz::SingleThreaded();
  const std::string path = fuzz::WriteInput("calibration.toml", data, size);
  fuzz::ExpectOnlyInputErrors([&] { ReadCalibrationToml(path); });
  return 0;
}
