#include "pseudolabel/batch/fingerprint.h"

#include <algorithm>
#include <chrono>
#include <system_error>
#include <tuple>
#include <vector>

#include <fmt/core.h>

#include "foundation/file_util.h"

namespace fs = std::filesystem;

namespace epilabel::batch {

void Fnv1a64::Add(const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    h_ ^= p[i];
    h_ *= 0x100000001b3ULL;
  }
}

void Fnv1a64::Add(std::string_view s) {
  Add(s.data(), s.size());
  const char zero = '\0';
  Add(&zero, 1);
}

void Fnv1a64::Add(int64_t v) { Add(std::to_string(v)); }

std::string Fnv1a64::Hex() const { return fmt::format("{:016x}", h_); }

namespace {

int64_t MTimeNs(const fs::path& p) {
  std::error_code ec;
  const auto t = fs::last_write_time(p, ec);
  if (ec) return 0;
  return static_cast<int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

}  // namespace

std::string FileFingerprint(const fs::path& path) {
  Fnv1a64 h;
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  if (!ec && size <= (16u << 20)) {
    h.Add("content");
    h.Add(ReadFileToString(path.string()));
  } else {
    h.Add("stat");
    h.Add(static_cast<int64_t>(ec ? 0 : size));
    h.Add(MTimeNs(path));
  }
  return h.Hex();
}

std::string PosesFingerprint(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return FileFingerprint(path);
  std::vector<std::tuple<std::string, int64_t, int64_t>> files;  // relative path, size, mtime
  for (auto it = fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code e2;
    if (!it->is_regular_file(e2)) continue;
    const uintmax_t size = it->file_size(e2);
    files.emplace_back(it->path().lexically_relative(path).generic_string(), static_cast<int64_t>(e2 ? 0 : size),
                       MTimeNs(it->path()));
  }
  std::sort(files.begin(), files.end());
  Fnv1a64 h;
  h.Add("listing");
  for (const auto& [name, size, mtime] : files) {
    h.Add(name);
    h.Add(size);
    h.Add(mtime);
  }
  return fmt::format("{}:{}", files.size(), h.Hex());
}

}  // namespace epilabel::batch
