// What identifies a batch entry and its inputs: a stable 64-bit hash and fingerprints of files
// on disk. A sequence is recomputed exactly when its entry's hash changes (see store.h), so
// everything here must give the same value across platforms, runs and versions; changing
// kBatchFormat makes every sequence of every batch recompute.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace epilabel::batch {

// The format of batch records and hashes (hash input, marker files, batch_report.json).
inline constexpr const char* kBatchFormat = "epilabel-batch/1";

// FNV-1a 64: stable across platforms and runs (not cryptographic).
class Fnv1a64 {
 public:
  // Raw bytes.
  void Add(const void* data, size_t size);
  // A string followed by a '\0' separator, so that ("ab", "c") != ("a", "bc").
  void Add(std::string_view s);
  // An integer as its decimal text (then a separator).
  void Add(int64_t v);
  // 16 lower-case hex digits.
  std::string Hex() const;

 private:
  uint64_t h_ = 0xcbf29ce484222325ULL;
};

// A file: by its contents up to 16 MiB (a calibration, a keypoints2d.npz), else by size and
// modification time. 16 hex digits. A missing file gives the fingerprint of size 0, time 0.
std::string FileFingerprint(const std::filesystem::path& path);

// The poses input: a file by FileFingerprint; a folder by the sorted listing of the regular files
// below it (path relative to the folder, size, modification time), without reading them:
// "<number of files>:<16 hex digits>".
std::string PosesFingerprint(const std::filesystem::path& path);

}  // namespace epilabel::batch
