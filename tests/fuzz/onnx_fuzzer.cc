// libFuzzer target: the ONNX interface reader (a model file is checked with it before OpenCV's
// dnn loads it) on arbitrary bytes.
#include <cstdint>

#include "detection/dnn/onnx_info.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace epilabel;
  fuzz::SingleThreaded();
  const std::string path = fuzz::WriteInput("model.onnx", data, size);
  fuzz::ExpectOnlyInputErrors([&] { ReadOnnxModelInfo(path); });
  return 0;
}
