// Shared by the libFuzzer targets: each input is written to a file in a private temporary
// folder (the readers take paths), the readers run on one thread (reproducible runs), and any
// exception other than InputError is a finding (bad input must be an InputError).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <tbb/global_control.h>
#include <unistd.h>

#include "foundation/error.h"

namespace epilabel::fuzz {

// The private folder of this process (under /dev/shm when it exists), removed at exit.
inline const std::filesystem::path& WorkDir() {
  static const std::filesystem::path dir = [] {
    const std::filesystem::path base = std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp";
    std::filesystem::path d = base / ("epilabel_fuzz_" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(WorkDir(), ec);
    });
    return d;
  }();
  return dir;
}

inline void SingleThreaded() {
  static const auto control =
      std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism, 1);
}

inline std::string WriteInput(const std::string& relative_path, const uint8_t* data, size_t size) {
  const std::filesystem::path path = WorkDir() / relative_path;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data),
                                                                static_cast<std::streamsize>(size));
  return path.string();
}

// One valid OpenPose JSON frame: a 17-joint person (frames beside the fuzzed file).
inline const std::string& ValidOpenPoseFrame() {
  static const std::string frame = [] {
    std::string s = R"({"version":1.3,"people":[{"person_id":[-1],"pose_keypoints_2d":[)";
    for (int j = 0; j < 17; ++j) s += (j ? "," : "") + std::to_string(10 * j) + ",5,0.5";
    return s + "]}]}";
  }();
  return frame;
}

// Runs `read`; an InputError is the expected outcome of bad input, anything else aborts.
template <typename Read>
void ExpectOnlyInputErrors(Read&& read) {
  try {
    read();
  } catch (const InputError&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "finding: a reader threw a non-InputError: %s\n", e.what());
    std::abort();
  }
}

}  // namespace epilabel::fuzz
