// Helpers of the batch tests.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

namespace epilabel::testing {

// Writes `text` to `path`, creating its folder.
inline void WriteText(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace epilabel::testing
