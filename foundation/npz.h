// NumPy .npy arrays and .npz archives (a zip of .npy files), read and written without Python.
//
// Written archives load with numpy.load(); object arrays (dtype '|O', e.g. the dicts of the
// VideoPose3D export) carry a pickle made by pickle.h and need allow_pickle=True, exactly as
// the Python loaders of those projects call it.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

namespace epilabel {

struct NpyArray {
  std::string descr;           // numpy dtype string: "<f8", "<f4", "<i4", "<i8", "|u1", "|b1", "<U12", "|O"
  std::vector<int64_t> shape;  // C order
  std::vector<uint8_t> data;   // raw little-endian element bytes (a pickle for "|O")

  // Product of the extents; throws std::length_error for a negative extent or overflow.
  int64_t num_elements() const;
  // Bytes per element (0 for object arrays); throws std::runtime_error for an unsupported dtype.
  size_t item_size() const;

  template <typename T>
  static NpyArray FromData(const T* values, std::vector<int64_t> shape);
  template <typename T>
  static NpyArray FromVector(const std::vector<T>& values, std::vector<int64_t> shape) {
    return FromData(values.data(), std::move(shape));
  }
  // A 1-D array of unicode strings ("<U n").
  static NpyArray FromStrings(const std::vector<std::string>& values);
  // A 0-d object array whose pickle is `pickle_bytes` (see pickle.h).
  static NpyArray FromPickle(std::string pickle_bytes);

  // Element values converted to double / int64 (from f4, f8, i1, i2, i4, i8, u1, u4, b1);
  // throws std::runtime_error for other dtypes or data shorter than the shape.
  std::vector<double> ToDoubles() const;
  std::vector<int64_t> ToInt64() const;
  std::vector<std::string> ToStrings() const;

  // The .npy file content (version 1.0 header, 64-byte aligned).
  std::string Serialize() const;
  // Parses a .npy file; `where` names it in errors (InputError; see ReadNpz for what is refused).
  static NpyArray Parse(const std::string& bytes, const std::string& where);
};

template <typename T>
constexpr const char* NpyDescr() {
  if constexpr (std::is_same_v<T, double>) return "<f8";
  else if constexpr (std::is_same_v<T, float>) return "<f4";
  else if constexpr (std::is_same_v<T, int32_t>) return "<i4";
  else if constexpr (std::is_same_v<T, int64_t>) return "<i8";
  else if constexpr (std::is_same_v<T, uint8_t>) return "|u1";
  else if constexpr (std::is_same_v<T, bool>) return "|b1";
  else static_assert(sizeof(T) == 0, "unsupported npy element type");
}

template <typename T>
NpyArray NpyArray::FromData(const T* values, std::vector<int64_t> shape) {
  NpyArray a;
  a.descr = NpyDescr<T>();
  a.shape = std::move(shape);
  const size_t n = static_cast<size_t>(a.num_elements());
  a.data.resize(n * sizeof(T));
  if (n > 0) std::memcpy(a.data.data(), values, n * sizeof(T));
  return a;
}

// Writes arrays into an .npz archive atomically (temporary name, then rename on Close()).
// Arrays are stored uncompressed unless `compress` is set (as numpy.savez / savez_compressed).
class NpzWriter {
 public:
  explicit NpzWriter(std::string path, bool compress = false) : path_(std::move(path)), compress_(compress) {}
  void Add(const std::string& name, NpyArray array) { arrays_.emplace_back(name, std::move(array)); }
  // Writes the archive; throws std::runtime_error naming the file on failure.
  void Close();

 private:
  std::string path_;
  bool compress_ = false;
  std::vector<std::pair<std::string, NpyArray>> arrays_;
};

// How far ReadNpz trusts an archive's declared sizes: a stored member cannot hold more bytes
// than it occupies, a compressed one may expand at most kNpzMaxCompressionRatio times plus
// kNpzMemberAllowance (small constant arrays compress better than that), and all members
// together at most kNpzMaxCompressionRatio times the archive plus the allowance. Real keypoint
// and point arrays compress 1.1-20:1; an array that compresses better (nearly all zeros or NaN)
// must be saved uncompressed (numpy.savez).
inline constexpr uint64_t kNpzMaxCompressionRatio = 256;
inline constexpr uint64_t kNpzMemberAllowance = uint64_t{1} << 16;

// Reads every array of an .npz archive, keyed by name without ".npy". Throws InputError naming
// the file, and the member as "file:member.npy", when the file is missing or not a zip, when a
// member declares more bytes than the bounds above allow or decompresses to more or fewer bytes
// than it declares (decompression is streamed and stops there, so memory stays within the
// bounds), or when a member is a malformed .npy: bad magic or header, a dtype other than
// b1, i1-i8, u1-u8, f2-f8, U<n> and O (big-endian multi-byte dtypes are refused too), a shape
// that is not a tuple of non-negative integers, whose size in bytes overflows 64 bits or exceeds
// the data, or, for an empty array, whose other extents multiply to more than 2^20.
std::map<std::string, NpyArray> ReadNpz(const std::string& path);

// Fetches `name` from a loaded archive and checks its rank; throws InputError otherwise.
const NpyArray& RequireArray(const std::map<std::string, NpyArray>& npz, const std::string& name, int rank,
                             const std::string& path);

}  // namespace epilabel
