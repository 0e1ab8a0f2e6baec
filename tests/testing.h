// Helpers shared by the tests: temporary folders, running commands, Python with numpy.
#pragma once

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

namespace epilabel::testing {

// A fresh folder under the system temp dir, removed when the object goes out of scope.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    const std::string name = "epilabel_test_" + std::to_string(::getpid()) + "_" + std::to_string(rd());
    path_ = std::filesystem::temp_directory_path() / name;
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& leaf) const { return (path_ / leaf).string(); }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command, capturing its combined output.
inline CommandResult Run(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// Debian's python3 (which has python3-numpy), not a pyenv shim that may lack it.
inline std::string PythonWithNumpy() { return "/usr/bin/python3"; }

inline std::string SourceDir() { return EPILABEL_SOURCE_DIR; }
inline std::string Exe() { return EPILABEL_EXE; }

// `epilabel ARGS`, as a user runs it.
inline CommandResult Epilabel(const std::string& args) { return Run(Exe() + " " + args); }

// A whole file as text ("" when it cannot be read).
inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A test suite sharing one studio made once by `epilabel synth <Options::kSynth>` (e.g.
// "--rig h36m4 --frames 60 --seed 4"); Studio("pose") is a path inside it.
template <typename Options>
class StudioSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const CommandResult r = testing::Run(Exe() + " -q synth " + Options::kSynth + " --out " + (*dir_ / "studio"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string Studio(const std::string& leaf) { return *dir_ / ("studio/" + leaf); }
  static inline TempDir* dir_ = nullptr;
};

}  // namespace epilabel::testing
