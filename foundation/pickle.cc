#include "foundation/pickle.h"

#include <cstring>
#include <stdexcept>

namespace epilabel {

namespace {

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void WriteString(std::string* out, const std::string& s) {
  out->push_back('X');  // BINUNICODE
  PutU32(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}

void WriteGlobal(std::string* out, const char* module, const char* name) {
  out->push_back('c');  // GLOBAL
  out->append(module);
  out->push_back('\n');
  out->append(name);
  out->push_back('\n');
}

void WriteInt(std::string* out, int64_t v) {
  if (v >= INT32_MIN && v <= INT32_MAX) {
    out->push_back('J');  // BININT
    PutU32(out, static_cast<uint32_t>(static_cast<int32_t>(v)));
  } else {
    out->push_back('\x8a');  // LONG1: little-endian two's complement
    out->push_back(8);
    for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff));
  }
}

}  // namespace

PickleValue PickleValue::Bool(bool v) {
  PickleValue p(Kind::kBool);
  p.bool_ = v;
  return p;
}
PickleValue PickleValue::Int(int64_t v) {
  PickleValue p(Kind::kInt);
  p.int_ = v;
  return p;
}
PickleValue PickleValue::Float(double v) {
  PickleValue p(Kind::kFloat);
  p.float_ = v;
  return p;
}
PickleValue PickleValue::String(std::string v) {
  PickleValue p(Kind::kString);
  p.string_ = std::move(v);
  return p;
}
PickleValue PickleValue::List(std::vector<PickleValue> items) {
  PickleValue p(Kind::kList);
  p.items_ = std::move(items);
  return p;
}
PickleValue PickleValue::Dict() { return PickleValue(Kind::kDict); }
PickleValue PickleValue::Array(NpyArray array) {
  if (array.descr == "|O") throw std::invalid_argument("PickleValue::Array: object arrays are not supported");
  PickleValue p(Kind::kArray);
  p.array_ = std::make_shared<const NpyArray>(std::move(array));
  return p;
}

PickleValue& PickleValue::Set(const std::string& key, PickleValue value) {
  if (kind_ != Kind::kDict) throw std::logic_error("PickleValue::Set on a non-dict");
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == key) {
      items_[i] = std::move(value);
      return items_[i];
    }
  }
  keys_.push_back(key);
  items_.push_back(std::move(value));
  return items_.back();
}

PickleValue& PickleValue::Append(PickleValue value) {
  if (kind_ != Kind::kList) throw std::logic_error("PickleValue::Append on a non-list");
  items_.push_back(std::move(value));
  return items_.back();
}

PickleValue& PickleValue::operator[](const std::string& key) {
  if (kind_ != Kind::kDict) throw std::logic_error("PickleValue::operator[] on a non-dict");
  for (size_t i = 0; i < keys_.size(); ++i)
    if (keys_[i] == key) return items_[i];
  return Set(key, Dict());
}

void PickleValue::Write(std::string* out) const {
  switch (kind_) {
    case Kind::kNone:
      out->push_back('N');
      break;
    case Kind::kBool:
      out->push_back(bool_ ? '\x88' : '\x89');
      break;
    case Kind::kInt:
      WriteInt(out, int_);
      break;
    case Kind::kFloat: {
      out->push_back('G');  // BINFLOAT, big-endian
      uint64_t bits;
      std::memcpy(&bits, &float_, 8);
      for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
      break;
    }
    case Kind::kString:
      WriteString(out, string_);
      break;
    case Kind::kList:
      out->push_back(']');  // EMPTY_LIST
      if (!items_.empty()) {
        out->push_back('(');  // MARK
        for (const auto& v : items_) v.Write(out);
        out->push_back('e');  // APPENDS
      }
      break;
    case Kind::kDict:
      out->push_back('}');  // EMPTY_DICT
      if (!items_.empty()) {
        out->push_back('(');
        for (size_t i = 0; i < items_.size(); ++i) {
          WriteString(out, keys_[i]);
          items_[i].Write(out);
        }
        out->push_back('u');  // SETITEMS
      }
      break;
    case Kind::kArray: {
      const NpyArray& a = *array_;
      // getattr(numpy.frombuffer(bytearray(data), descr), 'reshape')(shape)
      WriteGlobal(out, "builtins", "getattr");
      WriteGlobal(out, "numpy", "frombuffer");
      WriteGlobal(out, "builtins", "bytearray");
      out->push_back('B');  // BINBYTES
      PutU32(out, static_cast<uint32_t>(a.data.size()));
      out->append(reinterpret_cast<const char*>(a.data.data()), a.data.size());
      out->push_back('\x85');  // TUPLE1
      out->push_back('R');     // REDUCE -> bytearray
      WriteString(out, a.descr);
      out->push_back('\x86');  // TUPLE2
      out->push_back('R');     // REDUCE -> 1-D array
      WriteString(out, "reshape");
      out->push_back('\x86');
      out->push_back('R');     // REDUCE -> bound reshape
      out->push_back('(');
      for (int64_t d : a.shape) WriteInt(out, d);
      out->push_back('t');     // TUPLE (the shape)
      out->push_back('\x85');  // args = (shape,)
      out->push_back('R');
      break;
    }
  }
}

std::string PickleValue::Serialize() const {
  std::string out;
  out.push_back('\x80');  // PROTO 3
  out.push_back(3);
  Write(&out);
  out.push_back('.');
  return out;
}

std::string ToNumpyObjectArrayPickle(const PickleValue& root) {
  std::string out;
  out.push_back('\x80');
  out.push_back(3);
  WriteGlobal(&out, "numpy", "array");
  root.Write(&out);
  WriteString(&out, "O");
  out.push_back('\x86');
  out.push_back('R');
  out.push_back('.');
  return out;
}

}  // namespace epilabel
