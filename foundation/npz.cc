#include "foundation/npz.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdio>
#include <optional>
#include <sstream>
#include <stdexcept>

#include <zip.h>

#include "foundation/file_util.h"
#include "foundation/error.h"

namespace epilabel {

namespace {

// a * b, or false when it does not fit.
bool CheckedMul(uint64_t a, uint64_t b, uint64_t* out) { return !__builtin_mul_overflow(a, b, out); }

// A numpy dtype string "<f8", "|u1", "<U12", "|O": byte order, kind, element count.
struct Dtype {
  char order = 0;
  char kind = 0;
  uint64_t item_size = 0;  // bytes per element; 0 for object arrays
};

// Parses the dtypes this reader understands; returns an explanation when it cannot.
std::optional<Dtype> ParseDtype(const std::string& descr, std::string* why) {
  Dtype d;
  if (descr.size() < 2 || std::strchr("<>|=", descr[0]) == nullptr) {
    *why = "unsupported dtype '" + descr + "'";
    return std::nullopt;
  }
  d.order = descr[0];
  d.kind = descr[1];
  const char* digits = descr.data() + 2;
  const char* end = descr.data() + descr.size();
  if (d.kind == 'O' && digits == end) return d;  // "|O": a pickle
  uint64_t count = 0;
  const auto [ptr, ec] = std::from_chars(digits, end, count);
  if (ec != std::errc() || ptr != end || digits == end || count == 0) {
    *why = "malformed dtype '" + descr + "'";
    return std::nullopt;
  }
  const bool numeric = std::strchr("fiu", d.kind) != nullptr && (count == 1 || count == 2 || count == 4 || count == 8);
  if (d.kind == 'O' && count == 8) return d;  // "|O8" (old numpy)
  if (numeric || (d.kind == 'b' && count == 1)) {
    d.item_size = count;
  } else if (d.kind != 'U' || !CheckedMul(count, 4, &d.item_size)) {  // UTF-32 code units
    *why = "unsupported dtype '" + descr + "'";
    return std::nullopt;
  }
  return d;
}

uint64_t ItemSizeOrThrow(const std::string& descr) {
  std::string why;
  const std::optional<Dtype> d = ParseDtype(descr, &why);
  if (!d) throw std::runtime_error(why);
  return d->item_size;
}

}  // namespace

int64_t NpyArray::num_elements() const {
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || !CheckedMul(n, static_cast<uint64_t>(d), &n) || n > static_cast<uint64_t>(INT64_MAX)) {
      throw std::length_error("npy shape with a negative dimension or more than 2^63 elements");
    }
  }
  return static_cast<int64_t>(n);
}

size_t NpyArray::item_size() const { return static_cast<size_t>(ItemSizeOrThrow(descr)); }

NpyArray NpyArray::FromStrings(const std::vector<std::string>& values) {
  size_t max_len = 1;
  for (const auto& s : values) max_len = std::max(max_len, s.size());
  NpyArray a;
  a.descr = "<U" + std::to_string(max_len);
  a.shape = {static_cast<int64_t>(values.size())};
  a.data.assign(values.size() * max_len * 4, 0);
  for (size_t i = 0; i < values.size(); ++i) {
    // ASCII/Latin-1 code points stored as UTF-32LE (joint and camera names are ASCII).
    for (size_t k = 0; k < values[i].size(); ++k) {
      a.data[(i * max_len + k) * 4] = static_cast<uint8_t>(values[i][k]);
    }
  }
  return a;
}

NpyArray NpyArray::FromPickle(std::string pickle_bytes) {
  NpyArray a;
  a.descr = "|O";
  a.shape = {};
  a.data.assign(pickle_bytes.begin(), pickle_bytes.end());
  return a;
}

namespace {

// Copies `n` elements of type T from `a` into `out` after checking that the data holds them.
template <typename T, typename Out>
void ReadElements(const NpyArray& a, std::vector<Out>* out) {
  const size_t n = static_cast<size_t>(a.num_elements());
  if (n > a.data.size() / sizeof(T)) throw std::runtime_error("npy data shorter than its shape");
  out->resize(n);
  const uint8_t* p = a.data.data();
  for (size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, p + i * sizeof(T), sizeof(T));
    (*out)[i] = static_cast<Out>(v);
  }
}

template <typename Out>
std::vector<Out> ConvertElements(const NpyArray& a) {
  std::vector<Out> out;
  const std::string& d = a.descr;
  if (d == "<f8" || d == "=f8") ReadElements<double>(a, &out);
  else if (d == "<f4" || d == "=f4") ReadElements<float>(a, &out);
  else if (d == "<i4" || d == "=i4") ReadElements<int32_t>(a, &out);
  else if (d == "<i8" || d == "=i8") ReadElements<int64_t>(a, &out);
  else if (d == "<u4") ReadElements<uint32_t>(a, &out);
  else if (d == "<i2") ReadElements<int16_t>(a, &out);
  else if (d == "|u1" || d == "|b1") ReadElements<uint8_t>(a, &out);
  else if (d == "|i1") ReadElements<int8_t>(a, &out);
  else throw std::runtime_error("unsupported dtype '" + d + "'");
  return out;
}

}  // namespace

std::vector<double> NpyArray::ToDoubles() const { return ConvertElements<double>(*this); }
std::vector<int64_t> NpyArray::ToInt64() const { return ConvertElements<int64_t>(*this); }

std::vector<std::string> NpyArray::ToStrings() const {
  if (descr.size() < 3 || descr[1] != 'U') throw std::runtime_error("not a unicode string array ('" + descr + "')");
  const size_t item = item_size();
  const size_t len = item / 4;
  const size_t n = static_cast<size_t>(num_elements());
  if (n > data.size() / item) throw std::runtime_error("npy data shorter than its shape");
  std::vector<std::string> out(n);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* element = data.data() + i * item;
    for (size_t k = 0; k < len; ++k) {
      uint32_t cp;
      std::memcpy(&cp, element + 4 * k, 4);
      if (cp == 0) break;
      out[i].push_back(cp < 128 ? static_cast<char>(cp) : '?');
    }
  }
  return out;
}

std::string NpyArray::Serialize() const {
  std::ostringstream header;
  header << "{'descr': '" << descr << "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < shape.size(); ++i) header << shape[i] << (shape.size() == 1 || i + 1 < shape.size() ? "," : "");
  header << "), }";
  std::string h = header.str();
  const size_t total = 10 + h.size() + 1;
  const size_t padded = (total + 63) / 64 * 64;
  h.append(padded - total, ' ');
  h.push_back('\n');
  std::string out;
  out.reserve(10 + h.size() + data.size());
  out.append("\x93NUMPY", 6);
  out.push_back(1);
  out.push_back(0);
  const uint16_t hlen = static_cast<uint16_t>(h.size());
  out.push_back(static_cast<char>(hlen & 0xff));
  out.push_back(static_cast<char>(hlen >> 8));
  out += h;
  out.append(reinterpret_cast<const char*>(data.data()), data.size());
  return out;
}

namespace {

// Dimensions of an empty array (one extent 0) may not multiply to more than this, so that a
// consumer looping over another extent stays bounded by the input.
constexpr uint64_t kMaxEmptyArrayExtent = uint64_t{1} << 20;

// The header dictionary of a .npy file and the offset of its data; InputError when malformed.
std::string NpyHeader(const std::string& bytes, const std::string& where, size_t* data_offset) {
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) throw InputError(where, "not a .npy array (bad magic)");
  const int major = static_cast<uint8_t>(bytes[6]);
  size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = static_cast<uint8_t>(bytes[8]) | (static_cast<uint8_t>(bytes[9]) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw InputError(where, "truncated .npy header");
    for (int i = 0; i < 4; ++i) header_len |= static_cast<size_t>(static_cast<uint8_t>(bytes[8 + i])) << (8 * i);
    offset = 12;
  } else {
    throw InputError(where, "unsupported .npy version " + std::to_string(major));
  }
  if (bytes.size() - offset < header_len) throw InputError(where, "truncated .npy header");
  *data_offset = offset + header_len;
  return bytes.substr(offset, header_len);
}

// The text after "'key':" in the header dictionary.
std::string HeaderValue(const std::string& header, const std::string& key, const std::string& where) {
  const size_t k = header.find("'" + key + "'");
  if (k == std::string::npos) throw InputError(where, "npy header lacks '" + key + "'");
  size_t p = header.find(':', k);
  if (p == std::string::npos) throw InputError(where, "malformed npy header");
  ++p;
  while (p < header.size() && header[p] == ' ') ++p;
  return header.substr(p);
}

std::string ParseDescrField(const std::string& header, const std::string& where) {
  const std::string v = HeaderValue(header, "descr", where);
  if (v.empty() || v[0] != '\'') throw InputError(where, "structured dtypes are not supported");
  const size_t end = v.find('\'', 1);
  if (end == std::string::npos) throw InputError(where, "malformed npy header: unterminated 'descr'");
  return v.substr(1, end - 1);
}

// "(3, 4)", "(5,)", "()" (also Python 2's "3L"); InputError for anything else.
std::vector<int64_t> ParseShapeField(const std::string& header, const std::string& where) {
  const std::string v = HeaderValue(header, "shape", where);
  const size_t open = v.find('('), close = v.find(')');
  if (open == std::string::npos || close == std::string::npos || close < open) {
    throw InputError(where, "malformed npy shape");
  }
  std::vector<int64_t> shape;
  std::stringstream ss(v.substr(open + 1, close - open - 1));
  std::string item;
  while (std::getline(ss, item, ',')) {
    const size_t first = item.find_first_not_of(' '), last = item.find_last_not_of(' ');
    item = first == std::string::npos ? std::string() : item.substr(first, last - first + 1);
    if (item.empty()) continue;
    if (item.back() == 'L') item.pop_back();
    int64_t d = -1;
    const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), d);
    if (ec != std::errc() || ptr != item.data() + item.size() || item.empty() || d < 0) {
      throw InputError(where, "malformed npy shape: '" + item + "' is not a dimension");
    }
    shape.push_back(d);
  }
  if (shape.size() > 64) throw InputError(where, "npy shape has " + std::to_string(shape.size()) + " dimensions");
  return shape;
}

// Bytes of data the shape and item size call for; InputError when that overflows or, for an
// empty array, when its other extents are implausibly large.
uint64_t ArrayBytes(const std::vector<int64_t>& shape, uint64_t item_size, const std::string& where) {
  uint64_t elements = 1, nonzero = 1, bytes = 0;
  bool empty = false;
  for (int64_t d : shape) {
    const auto u = static_cast<uint64_t>(d);
    empty = empty || d == 0;
    if (d != 0 && !CheckedMul(nonzero, u, &nonzero)) nonzero = UINT64_MAX;
    if (!CheckedMul(elements, u, &elements)) elements = UINT64_MAX;
  }
  if (!empty && (elements > static_cast<uint64_t>(INT64_MAX) || !CheckedMul(elements, item_size, &bytes))) {
    throw InputError(where, "npy shape and dtype call for more than 2^64 bytes (corrupt header)");
  }
  if (empty && nonzero > kMaxEmptyArrayExtent) {
    throw InputError(where, "empty npy array with implausibly large other dimensions (corrupt header)");
  }
  return empty ? 0 : bytes;
}

}  // namespace

NpyArray NpyArray::Parse(const std::string& bytes, const std::string& where) {
  size_t data_offset = 0;
  const std::string header = NpyHeader(bytes, where, &data_offset);
  NpyArray a;
  a.descr = ParseDescrField(header, where);
  if (HeaderValue(header, "fortran_order", where).rfind("True", 0) == 0) {
    throw InputError(where, "Fortran-order arrays are not supported; save with C order");
  }
  a.shape = ParseShapeField(header, where);
  std::string why;
  const std::optional<Dtype> dtype = ParseDtype(a.descr, &why);
  if (!dtype) throw InputError(where, why);
  if (dtype->order == '>' && dtype->item_size > 1) throw InputError(where, "big-endian arrays are not supported");
  if (dtype->kind == 'O') {
    a.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(data_offset), bytes.end());
    return a;
  }
  const uint64_t expected = ArrayBytes(a.shape, dtype->item_size, where);
  if (bytes.size() - data_offset < expected) {
    throw InputError(where, "array data truncated: expected " + std::to_string(expected) + " bytes, the member holds " +
                                std::to_string(bytes.size() - data_offset));
  }
  a.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(data_offset),
                bytes.begin() + static_cast<std::ptrdiff_t>(data_offset + expected));
  return a;
}

void NpzWriter::Close() {
  // Serialise first so the buffers outlive zip_close.
  std::vector<std::string> blobs;
  blobs.reserve(arrays_.size());
  for (const auto& [name, array] : arrays_) blobs.push_back(array.Serialize());
  WriteViaTemporary(path_, [&](const std::string& tmp) {
    int err = 0;
    zip_t* zip = zip_open(tmp.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
    if (zip == nullptr) throw std::runtime_error(path_ + ": cannot create zip archive (libzip error " + std::to_string(err) + ")");
    for (size_t i = 0; i < arrays_.size(); ++i) {
      zip_source_t* src = zip_source_buffer(zip, blobs[i].data(), blobs[i].size(), 0);
      if (src == nullptr) {
        zip_discard(zip);
        throw std::runtime_error(path_ + ": zip_source_buffer failed");
      }
      const std::string member = arrays_[i].first + ".npy";
      const zip_int64_t idx = zip_file_add(zip, member.c_str(), src, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8);
      if (idx < 0) {
        zip_source_free(src);
        const std::string msg = zip_strerror(zip);
        zip_discard(zip);
        throw std::runtime_error(path_ + ": cannot add " + member + ": " + msg);
      }
      zip_set_file_compression(zip, static_cast<zip_uint64_t>(idx), compress_ ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
      // A fixed time stamp (1980-01-01, the DOS epoch) keeps archives byte-identical between runs.
      zip_file_set_mtime(zip, static_cast<zip_uint64_t>(idx), 315532800, 0);
    }
    if (zip_close(zip) != 0) {
      const std::string msg = zip_strerror(zip);
      zip_discard(zip);
      throw std::runtime_error(path_ + ": writing the archive failed: " + msg);
    }
  });
  arrays_.clear();
}

namespace {

constexpr uint64_t kReadChunk = uint64_t{1} << 20;

// One member's name and declared sizes, checked against the archive's size (see npz.h).
struct MemberInfo {
  std::string name;
  uint64_t size = 0;  // declared uncompressed size
};

MemberInfo CheckedMemberInfo(zip_t* zip, zip_uint64_t index, uint64_t archive_size, const std::string& path) {
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat_index(zip, index, 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME)) {
    throw InputError(path, "cannot read the entry of member " + std::to_string(index) + ": " + zip_strerror(zip));
  }
  MemberInfo m;
  m.name = st.name;
  const std::string where = path + ":" + m.name;
  const zip_uint64_t needed = ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD;
  if ((st.valid & needed) != needed) throw InputError(where, "the zip entry lacks its sizes");
  m.size = st.size;
  if (st.comp_size > archive_size) {
    throw InputError(where, "declares " + std::to_string(st.comp_size) + " compressed bytes in an archive of " +
                                std::to_string(archive_size) + " (corrupt archive)");
  }
  const bool stored = st.comp_method == ZIP_CM_STORE;
  const uint64_t bound = stored ? st.comp_size : kNpzMaxCompressionRatio * st.comp_size + kNpzMemberAllowance;
  if (m.size > bound) {
    throw InputError(where, "declares " + std::to_string(m.size) + " bytes from " + std::to_string(st.comp_size) +
                                (stored ? " stored bytes (corrupt archive)"
                                        : " compressed bytes, more than the " + std::to_string(kNpzMaxCompressionRatio) +
                                              ":1 this reader accepts (save it with numpy.savez, uncompressed)"));
  }
  return m;
}

// Reads a member in chunks, never past its declared size (a member that decompresses to more
// is an InputError, as one that ends early).
std::string ReadMember(zip_t* zip, zip_uint64_t index, const MemberInfo& member, const std::string& path) {
  const std::string where = path + ":" + member.name;
  zip_file_t* f = zip_fopen_index(zip, index, 0);
  if (f == nullptr) throw InputError(where, std::string("cannot open the member: ") + zip_strerror(zip));
  std::string out;
  uint64_t done = 0;
  bool failed = false;
  // One byte more than declared tells a member that decompresses to more than it claims.
  while (!failed && done <= member.size) {
    const uint64_t want = std::min<uint64_t>(kReadChunk, member.size + 1 - done);
    out.resize(static_cast<size_t>(done + want));
    const zip_int64_t got = zip_fread(f, out.data() + done, want);
    if (got < 0) failed = true;
    if (got <= 0) break;
    done += static_cast<uint64_t>(got);
  }
  const std::string reason = failed ? zip_file_strerror(f) : "";
  zip_fclose(f);
  if (failed) throw InputError(where, "cannot read the member: " + reason);
  if (done != member.size) {
    throw InputError(where, "holds " + std::string(done > member.size ? "more" : "fewer") +
                                " bytes than the " + std::to_string(member.size) + " its zip entry declares");
  }
  out.resize(static_cast<size_t>(done));
  return out;
}

zip_t* OpenZipBuffer(const std::string& bytes, const std::string& path) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (src == nullptr) {
    zip_error_fini(&error);
    throw InputError(path, "cannot read archive");
  }
  zip_t* zip = zip_open_from_source(src, ZIP_RDONLY, &error);
  if (zip == nullptr) {
    zip_source_free(src);
    const std::string msg = zip_error_strerror(&error);
    zip_error_fini(&error);
    throw InputError(path, "not an .npz (zip) archive: " + msg);
  }
  zip_error_fini(&error);
  return zip;
}

std::map<std::string, NpyArray> ReadMembers(zip_t* zip, uint64_t archive_size, const std::string& path) {
  const zip_int64_t n = zip_get_num_entries(zip, 0);
  std::vector<MemberInfo> members;
  uint64_t total = 0;
  for (zip_int64_t i = 0; i < n; ++i) {
    members.push_back(CheckedMemberInfo(zip, static_cast<zip_uint64_t>(i), archive_size, path));
    if (__builtin_add_overflow(total, members.back().size, &total)) total = UINT64_MAX;
  }
  if (total > kNpzMaxCompressionRatio * archive_size + kNpzMemberAllowance) {
    throw InputError(path, "members declare " + std::to_string(total) + " bytes in all, more than " +
                               std::to_string(kNpzMaxCompressionRatio) + "x the archive's size");
  }
  std::map<std::string, NpyArray> out;
  for (zip_int64_t i = 0; i < n; ++i) {
    const MemberInfo& m = members[static_cast<size_t>(i)];
    std::string name = m.name;
    const std::string bytes = ReadMember(zip, static_cast<zip_uint64_t>(i), m, path);
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".npy") == 0) name.resize(name.size() - 4);
    out.emplace(name, NpyArray::Parse(bytes, path + ":" + m.name));
  }
  return out;
}

}  // namespace

std::map<std::string, NpyArray> ReadNpz(const std::string& path) {
  const std::string bytes = ReadFileToString(path);
  zip_t* zip = OpenZipBuffer(bytes, path);
  std::map<std::string, NpyArray> out;
  try {
    out = ReadMembers(zip, bytes.size(), path);
  } catch (...) {
    zip_discard(zip);
    throw;
  }
  zip_discard(zip);
  return out;
}

const NpyArray& RequireArray(const std::map<std::string, NpyArray>& npz, const std::string& name, int rank,
                             const std::string& path) {
  auto it = npz.find(name);
  if (it == npz.end()) throw InputError(path, "missing array '" + name + "'");
  if (rank >= 0 && static_cast<int>(it->second.shape.size()) != rank) {
    throw InputError(path, "array '" + name + "' has " + std::to_string(it->second.shape.size()) +
                               " dimensions, expected " + std::to_string(rank));
  }
  return it->second;
}

}  // namespace epilabel
