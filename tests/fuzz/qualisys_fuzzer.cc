// libFuzzer target: the Qualisys .qca.txt calibration importer on arbitrary bytes.
#include <cstdint>

#include "detection/io/calibration_import.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace epilabel;
  fuzz::SingleThreaded();
  const std::string path = fuzz::WriteInput("Calib.qca.txt", data, size);
  fuzz::ExpectOnlyInputErrors([&] { ReadQualisysCalibration(path); });
  return 0;
}
