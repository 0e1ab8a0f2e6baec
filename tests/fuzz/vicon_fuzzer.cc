// libFuzzer target: the Vicon .xcp calibration importer on arbitrary bytes (marker cameras
// included, so that every <Camera> is converted, lens fit and all).
#include <cstdint>

#include "detection/io/calibration_import.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace epilabel;
  fuzz::SingleThreaded();
  const std::string path = fuzz::WriteInput("calibration.xcp", data, size);
  ViconImportOptions options;
  options.include_marker_cameras = true;
  fuzz::ExpectOnlyInputErrors([&] { ReadViconCalibration(path, options); });
  return 0;
}
