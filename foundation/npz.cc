#include "foundation/npz.h"

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <stdexcept>

#include <zip.h>

#include "foundation/file_util.h"
#include "foundation/error.h"

namespace epilabel {

int64_t NpyArray::num_elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

size_t NpyArray::item_size() const {
  if (descr.size() < 3 || descr[1] == 'O') return 0;
  const char kind = descr[1];
  const size_t count = std::stoul(descr.substr(2));
  return kind == 'U' ? 4 * count : count;
}

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

template <typename Out>
std::vector<Out> ConvertElements(const NpyArray& a) {
  const size_t n = static_cast<size_t>(a.num_elements());
  std::vector<Out> out(n);
  const uint8_t* p = a.data.data();
  auto read = [&](auto tag) {
    using T = decltype(tag);
    if (a.data.size() < n * sizeof(T)) throw std::runtime_error("npy data shorter than its shape");
    for (size_t i = 0; i < n; ++i) {
      T v;
      std::memcpy(&v, p + i * sizeof(T), sizeof(T));
      out[i] = static_cast<Out>(v);
    }
  };
  const std::string& d = a.descr;
  if (d == "<f8" || d == "=f8") read(double{});
  else if (d == "<f4" || d == "=f4") read(float{});
  else if (d == "<i4" || d == "=i4") read(int32_t{});
  else if (d == "<i8" || d == "=i8") read(int64_t{});
  else if (d == "<u4") read(uint32_t{});
  else if (d == "<i2") read(int16_t{});
  else if (d == "|u1" || d == "|i1" || d == "|b1") read(uint8_t{});
  else throw std::runtime_error("unsupported dtype '" + d + "'");
  return out;
}

}  // namespace

std::vector<double> NpyArray::ToDoubles() const { return ConvertElements<double>(*this); }
std::vector<int64_t> NpyArray::ToInt64() const { return ConvertElements<int64_t>(*this); }

std::vector<std::string> NpyArray::ToStrings() const {
  if (descr.size() < 3 || descr[1] != 'U') throw std::runtime_error("not a unicode string array ('" + descr + "')");
  const size_t len = std::stoul(descr.substr(2));
  const size_t n = static_cast<size_t>(num_elements());
  std::vector<std::string> out(n);
  for (size_t i = 0; i < n; ++i) {
    for (size_t k = 0; k < len; ++k) {
      uint32_t cp;
      std::memcpy(&cp, data.data() + (i * len + k) * 4, 4);
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

NpyArray NpyArray::Parse(const std::string& bytes, const std::string& where) {
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) throw InputError(where, "not a .npy array (bad magic)");
  const int major = static_cast<uint8_t>(bytes[6]);
  size_t header_len, offset;
  if (major == 1) {
    header_len = static_cast<uint8_t>(bytes[8]) | (static_cast<uint8_t>(bytes[9]) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw InputError(where, "truncated .npy header");
    header_len = 0;
    for (int i = 0; i < 4; ++i) header_len |= static_cast<size_t>(static_cast<uint8_t>(bytes[8 + i])) << (8 * i);
    offset = 12;
  } else {
    throw InputError(where, "unsupported .npy version " + std::to_string(major));
  }
  if (bytes.size() < offset + header_len) throw InputError(where, "truncated .npy header");
  const std::string header = bytes.substr(offset, header_len);
  NpyArray a;
  auto value_of = [&](const std::string& key) -> std::string {
    const size_t k = header.find("'" + key + "'");
    if (k == std::string::npos) throw InputError(where, "npy header lacks '" + key + "'");
    size_t p = header.find(':', k);
    if (p == std::string::npos) throw InputError(where, "malformed npy header");
    ++p;
    while (p < header.size() && header[p] == ' ') ++p;
    return header.substr(p);
  };
  {
    std::string v = value_of("descr");
    if (v.empty() || v[0] != '\'') throw InputError(where, "structured dtypes are not supported");
    const size_t end = v.find('\'', 1);
    a.descr = v.substr(1, end - 1);
  }
  {
    std::string v = value_of("fortran_order");
    if (v.rfind("True", 0) == 0) throw InputError(where, "Fortran-order arrays are not supported; save with C order");
  }
  {
    std::string v = value_of("shape");
    const size_t open = v.find('('), close = v.find(')');
    if (open == std::string::npos || close == std::string::npos) throw InputError(where, "malformed npy shape");
    std::string dims = v.substr(open + 1, close - open - 1);
    std::stringstream ss(dims);
    std::string item;
    while (std::getline(ss, item, ',')) {
      item.erase(std::remove(item.begin(), item.end(), ' '), item.end());
      if (item.empty()) continue;
      a.shape.push_back(std::stoll(item));
    }
  }
  const size_t data_offset = offset + header_len;
  if (a.descr == "|O") {
    a.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(data_offset), bytes.end());
    return a;
  }
  const size_t expected = static_cast<size_t>(a.num_elements()) * a.item_size();
  if (bytes.size() - data_offset < expected)
    throw InputError(where, "array data truncated: expected " + std::to_string(expected) + " bytes");
  if (a.descr.size() >= 1 && a.descr[0] == '>') throw InputError(where, "big-endian arrays are not supported");
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

std::map<std::string, NpyArray> ReadNpz(const std::string& path) {
  const std::string bytes = ReadFileToString(path);
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (src == nullptr) throw InputError(path, "cannot read archive");
  zip_t* zip = zip_open_from_source(src, ZIP_RDONLY, &error);
  if (zip == nullptr) {
    zip_source_free(src);
    const std::string msg = zip_error_strerror(&error);
    zip_error_fini(&error);
    throw InputError(path, "not an .npz (zip) archive: " + msg);
  }
  std::map<std::string, NpyArray> out;
  const zip_int64_t n = zip_get_num_entries(zip, 0);
  try {
    for (zip_int64_t i = 0; i < n; ++i) {
      zip_stat_t st;
      if (zip_stat_index(zip, static_cast<zip_uint64_t>(i), 0, &st) != 0) continue;
      std::string name = st.name;
      std::string member(st.size, '\0');
      zip_file_t* f = zip_fopen_index(zip, static_cast<zip_uint64_t>(i), 0);
      if (f == nullptr) throw InputError(path, "cannot open member " + name);
      const zip_int64_t got = zip_fread(f, member.data(), st.size);
      zip_fclose(f);
      if (got < 0 || static_cast<zip_uint64_t>(got) != st.size) throw InputError(path, "cannot read member " + name);
      if (name.size() > 4 && name.compare(name.size() - 4, 4, ".npy") == 0) name.resize(name.size() - 4);
      out.emplace(name, NpyArray::Parse(member, path + ":" + name));
    }
  } catch (...) {
    zip_close(zip);
    throw;
  }
  zip_close(zip);
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
