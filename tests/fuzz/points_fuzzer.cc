// libFuzzer target: the points3d.npz readers (one person and several people) on arbitrary bytes.
#include <cstdint>

#include "detection/io/people_points_io.h"
#include "detection/io/points_io.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace epilabel;
  fuzz::SingleThreaded();
  const std::string path = fuzz::WriteInput("points3d.npz", data, size);
  fuzz::ExpectOnlyInputErrors([&] { ReadPointsNpz(path); });
  fuzz::ExpectOnlyInputErrors([&] { ReadPeoplePointsNpz(path); });
  return 0;
}
