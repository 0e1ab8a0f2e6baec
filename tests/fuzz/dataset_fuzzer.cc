// libFuzzer target: the dataset.npz reader (`train`, `eval`, `info`) on arbitrary bytes.
#include <cstdint>

#include "pseudolabel/dataset.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace epilabel;
  fuzz::SingleThreaded();
  const std::string path = fuzz::WriteInput("dataset.npz", data, size);
  fuzz::ExpectOnlyInputErrors([&] { ReadDatasetNpz(path); });
  return 0;
}
