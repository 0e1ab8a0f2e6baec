#include "detection/dnn/onnx_info.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string_view>

#include "foundation/error.h"

namespace epilabel {

namespace {

// Protobuf wire format (https://protobuf.dev/programming-guides/encoding/), only as much as
// needed: varints and length-delimited fields; fixed32/64 are skipped.
struct ParseError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class WireReader {
 public:
  explicit WireReader(std::string_view data) : data_(data) {}
  bool done() const { return pos_ >= data_.size(); }

  uint64_t Varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) throw ParseError("truncated varint");
      const auto byte = static_cast<uint8_t>(data_[pos_++]);
      value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    throw ParseError("varint longer than 10 bytes");
  }

  // Reads a field key; returns false at the end of the message.
  bool Next(uint32_t* field, uint32_t* wire_type) {
    if (done()) return false;
    const uint64_t key = Varint();
    *field = static_cast<uint32_t>(key >> 3);
    *wire_type = static_cast<uint32_t>(key & 7);
    if (*field == 0) throw ParseError("field number 0");
    return true;
  }

  std::string_view Bytes() {
    const uint64_t length = Varint();
    if (length > data_.size() - pos_) throw ParseError("length-delimited field runs past the end");
    std::string_view out = data_.substr(pos_, length);
    pos_ += length;
    return out;
  }

  void Skip(uint32_t wire_type) {
    switch (wire_type) {
      case 0: Varint(); break;
      case 1: Advance(8); break;
      case 2: Bytes(); break;
      case 5: Advance(4); break;
      default: throw ParseError("unsupported wire type " + std::to_string(wire_type));
    }
  }

 private:
  void Advance(size_t n) {
    if (n > data_.size() - pos_) throw ParseError("fixed-size field runs past the end");
    pos_ += n;
  }
  std::string_view data_;
  size_t pos_ = 0;
};

// TensorShapeProto.Dimension: 1 dim_value (int64), 2 dim_param (string).
int64_t ParseDimension(std::string_view bytes) {
  WireReader r(bytes);
  uint32_t field, wire;
  int64_t value = -1;
  while (r.Next(&field, &wire)) {
    if (field == 1 && wire == 0) {
      value = static_cast<int64_t>(r.Varint());
    } else {
      r.Skip(wire);
    }
  }
  return value;
}

// ValueInfoProto: 1 name, 2 type (TypeProto: 1 tensor_type (2 shape (1 dim))).
OnnxTensorInfo ParseValueInfo(std::string_view bytes) {
  OnnxTensorInfo info;
  WireReader r(bytes);
  uint32_t field, wire;
  while (r.Next(&field, &wire)) {
    if (field == 1 && wire == 2) {
      info.name = std::string(r.Bytes());
    } else if (field == 2 && wire == 2) {
      WireReader type(r.Bytes());
      while (type.Next(&field, &wire)) {
        if (field != 1 || wire != 2) {
          type.Skip(wire);
          continue;
        }
        WireReader tensor(type.Bytes());
        while (tensor.Next(&field, &wire)) {
          if (field != 2 || wire != 2) {
            tensor.Skip(wire);
            continue;
          }
          WireReader shape(tensor.Bytes());
          while (shape.Next(&field, &wire)) {
            if (field == 1 && wire == 2) {
              info.dims.push_back(ParseDimension(shape.Bytes()));
            } else {
              shape.Skip(wire);
            }
          }
        }
      }
    } else {
      r.Skip(wire);
    }
  }
  return info;
}

// TensorProto: field 8 is the name.
std::string ParseTensorName(std::string_view bytes) {
  WireReader r(bytes);
  uint32_t field, wire;
  while (r.Next(&field, &wire)) {
    if (field == 8 && wire == 2) return std::string(r.Bytes());
    r.Skip(wire);
  }
  return {};
}

}  // namespace

const OnnxTensorInfo* OnnxModelInfo::Output(const std::string& name) const {
  for (const OnnxTensorInfo& o : outputs)
    if (o.name == name) return &o;
  return nullptr;
}

std::string ReadOnnxFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw InputError(path, "file not found");
  if (std::filesystem::is_directory(path, ec)) throw InputError(path, "is a folder, expected a file");
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw InputError(path, "cannot open for reading");
  std::string content(static_cast<size_t>(std::max<std::streamoff>(0, in.tellg())), '\0');
  in.seekg(0);
  if (!in.read(content.data(), static_cast<std::streamsize>(content.size())))
    throw InputError(path, "cannot read the file");
  return content;
}

OnnxModelInfo ReadOnnxModelInfo(const std::string& path) { return ParseOnnxModelInfo(ReadOnnxFile(path), path); }

OnnxModelInfo ParseOnnxModelInfo(const std::string& content, const std::string& path) {
  const std::string not_onnx = "not an ONNX model: ";
  if (content.empty()) throw InputError(path, not_onnx + "the file is empty");
  OnnxModelInfo info;
  std::vector<OnnxTensorInfo> inputs;
  std::set<std::string> initializers;
  bool has_graph = false;
  try {
    // ModelProto: 1 ir_version, 2 producer_name, 7 graph.
    WireReader model(content);
    uint32_t field, wire;
    while (model.Next(&field, &wire)) {
      if (field == 1 && wire == 0) {
        info.ir_version = static_cast<int64_t>(model.Varint());
      } else if (field == 2 && wire == 2) {
        info.producer = std::string(model.Bytes());
      } else if (field == 7 && wire == 2) {
        has_graph = true;
        // GraphProto: 1 node, 5 initializer, 11 input, 12 output.
        WireReader graph(model.Bytes());
        while (graph.Next(&field, &wire)) {
          if (field == 1 && wire == 2) {
            graph.Bytes();
            ++info.num_nodes;
          } else if (field == 5 && wire == 2) {
            initializers.insert(ParseTensorName(graph.Bytes()));
          } else if (field == 11 && wire == 2) {
            inputs.push_back(ParseValueInfo(graph.Bytes()));
          } else if (field == 12 && wire == 2) {
            info.outputs.push_back(ParseValueInfo(graph.Bytes()));
          } else {
            graph.Skip(wire);
          }
        }
      } else {
        model.Skip(wire);
      }
    }
  } catch (const ParseError& e) {
    throw InputError(path, not_onnx + "the file is not a valid protobuf message (" + e.what() + ")");
  }
  if (!has_graph || info.num_nodes == 0)
    throw InputError(path, not_onnx + "no graph with nodes found in the file");
  for (OnnxTensorInfo& input : inputs)
    if (initializers.count(input.name) == 0) info.inputs.push_back(std::move(input));
  if (info.inputs.empty() || info.outputs.empty())
    throw InputError(path, not_onnx + "the graph has no input or no output");
  return info;
}

}  // namespace epilabel
