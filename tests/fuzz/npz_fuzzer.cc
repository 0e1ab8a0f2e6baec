// libFuzzer target: foundation/npz ReadNpz and the keypoints2d.npz reader on arbitrary bytes.
#include <cstdint>

#include "detection/io/keypoints_npz.h"
#include "foundation/npz.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace epilabel;
  fuzz::SingleThreaded();
  const std::string path = fuzz::WriteInput("k.npz", data, size);
  fuzz::ExpectOnlyInputErrors([&] {
    // Every conversion of every member: wrong dtypes are std::runtime_error by contract.
    for (const auto& [name, array] : ReadNpz(path)) {
      try {
        array.ToDoubles();
      } catch (const std::runtime_error&) {
      }
      try {
        array.ToStrings();
      } catch (const std::runtime_error&) {
      }
    }
  });
  fuzz::ExpectOnlyInputErrors([&] { ReadKeypointsNpz(path); });
  return 0;
}
