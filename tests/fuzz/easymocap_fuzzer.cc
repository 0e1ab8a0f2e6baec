// libFuzzer target: the EasyMocap calibration importer. The input is read as intri.yml (alone,
// then beside a valid extri.yml) and as extri.yml beside a valid intri.yml.
#include <cstdint>
#include <string>

#include "detection/io/calibration_import.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

// Two cameras "01" and "02" with every field the importer reads.
const char kIntri[] =
    "%YAML:1.0\n---\nnames:\n   - \"01\"\n   - \"02\"\n"
    "K_01: !!opencv-matrix\n   rows: 3\n   cols: 3\n   dt: d\n   data: [ 1000., 0., 640., 0., 1000., 360., 0., 0., 1. ]\n"
    "dist_01: !!opencv-matrix\n   rows: 1\n   cols: 5\n   dt: d\n   data: [ 0.1, 0., 0., 0., 0. ]\n"
    "H_01: 720\nW_01: 1280\n"
    "K_02: !!opencv-matrix\n   rows: 3\n   cols: 3\n   dt: d\n   data: [ 900., 0., 640., 0., 900., 360., 0., 0., 1. ]\n"
    "H_02: 720\nW_02: 1280\n";
const char kExtri[] =
    "%YAML:1.0\n---\nnames:\n   - \"01\"\n   - \"02\"\n"
    "R_01: !!opencv-matrix\n   rows: 3\n   cols: 1\n   dt: d\n   data: [ 0., 0.1, 0. ]\n"
    "T_01: !!opencv-matrix\n   rows: 3\n   cols: 1\n   dt: d\n   data: [ 0.1, 0.2, 3. ]\n"
    "Rot_02: !!opencv-matrix\n   rows: 3\n   cols: 3\n   dt: d\n   data: [ 1., 0., 0., 0., 1., 0., 0., 0., 1. ]\n"
    "T_02: !!opencv-matrix\n   rows: 3\n   cols: 1\n   dt: d\n   data: [ 0., 0., 2. ]\n";

std::string Write(const std::string& name, const std::string& text) {
  return epilabel::fuzz::WriteInput(name, reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace epilabel;
  fuzz::SingleThreaded();
  const std::string fuzzed = fuzz::WriteInput("fuzzed/intri.yml", data, size);
  const std::string valid_intri = Write("valid/intri.yml", kIntri);
  const std::string valid_extri = Write("valid/extri.yml", kExtri);
  fuzz::ExpectOnlyInputErrors([&] { ReadEasyMocapCalibration(fuzzed, "", 1280, 720); });
  fuzz::ExpectOnlyInputErrors([&] { ReadEasyMocapCalibration(fuzzed, valid_extri); });
  fuzz::ExpectOnlyInputErrors([&] { ReadEasyMocapCalibration(valid_intri, fuzzed); });
  return 0;
}
