// libFuzzer target: the sync.toml reader (`triangulate --sync`, `label --sync`) on arbitrary bytes.
#include <cstdint>

#include "pseudolabel/sync_run.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace epilabel;
  fuzz::SingleThreaded();
  const std::string path = fuzz::WriteInput("sync.toml", data, size);
  fuzz::ExpectOnlyInputErrors([&] { ReadSyncToml(path); });
  return 0;
}
