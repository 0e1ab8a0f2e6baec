#include "foundation/file_util.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <unistd.h>

#include "foundation/error.h"

namespace fs = std::filesystem;

namespace epilabel {

std::string ReadFileToString(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw InputError(path, "file not found");
  if (fs::is_directory(path, ec)) throw InputError(path, "is a folder, expected a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "cannot open for reading");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {
std::string TemporaryName(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  const fs::path p(path);
  return (p.parent_path() / ("." + p.filename().string() + ".tmp." + std::to_string(::getpid()) + "." +
                             std::to_string(counter.fetch_add(1))))
      .string();
}
}  // namespace

void WriteViaTemporary(const std::string& path, const std::function<void(const std::string&)>& write) {
  const fs::path p(path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path());
  const std::string tmp = TemporaryName(path);
  try {
    write(tmp);
    fs::rename(tmp, path);
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
}

void WriteFileAtomic(const std::string& path, const std::string& content) {
  WriteViaTemporary(path, [&](const std::string& tmp) {
    std::ofstream out(tmp, std::ios::binary);
    if (!out) throw std::runtime_error(path + ": cannot open for writing");
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    if (!out) throw std::runtime_error(path + ": write failed (disk full?)");
  });
}

void CommitDirectory(const std::string& tmp_dir, const std::string& final_dir) {
  std::error_code ec;
  if (fs::exists(final_dir, ec)) {
    const std::string old = final_dir + ".old." + std::to_string(::getpid());
    fs::rename(final_dir, old);
    fs::rename(tmp_dir, final_dir);
    fs::remove_all(old, ec);
  } else {
    const fs::path p(final_dir);
    if (p.has_parent_path()) fs::create_directories(p.parent_path());
    fs::rename(tmp_dir, final_dir);
  }
}

}  // namespace epilabel

namespace epilabel {

void CheckNotAnInput(const std::string& output, const std::vector<std::string>& inputs) {
  std::error_code ec;
  const std::filesystem::path out = std::filesystem::weakly_canonical(output, ec);
  if (ec) return;
  for (const std::string& input : inputs) {
    if (input.empty()) continue;
    std::error_code ec2;
    const std::filesystem::path in = std::filesystem::weakly_canonical(input, ec2);
    if (!ec2 && in == out) throw InputError(output, "is also an input (" + input + "); choose another output path");
  }
}

std::string WithoutTrailingSeparator(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

std::string SafeFileNamePart(const std::string& name) {
  std::string out;
  out.reserve(name.size());
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.';
    out.push_back(ok ? c : '_');
  }
  for (char& c : out) {
    if (c != '.') break;
    c = '_';
  }
  return out.empty() ? "_" : out;
}

}  // namespace epilabel
