// libFuzzer target: the readers of 3-D truth (`eval3d`: a gt.npz or a points3d.npz; the
// studio's gt.npz) on arbitrary bytes.
#include <cstdint>

#include "detection/synthetic/studio.h"
#include "pseudolabel/point_evaluation.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace epilabel;
  fuzz::SingleThreaded();
  const std::string path = fuzz::WriteInput("gt.npz", data, size);
  fuzz::ExpectOnlyInputErrors([&] { ReadTruthPoints(path); });
  fuzz::ExpectOnlyInputErrors([&] { ReadGroundTruth(path); });
  return 0;
}
