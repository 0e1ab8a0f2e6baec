// libFuzzer target: the batch manifest reader on arbitrary text.
#include <cstdint>

#include "pseudolabel/batch/manifest.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace epilabel;
  fuzz::SingleThreaded();
  const std::string path = fuzz::WriteInput("manifest.toml", data, size);
  fuzz::ExpectOnlyInputErrors([&] { ReadBatchManifest(path); });
  return 0;
}
