// The interface of an ONNX model (names and shapes of its graph inputs and outputs), read from
// the file without running it. Used to check a model file before handing it to OpenCV's dnn,
// to learn a model's input size, and to recognise the output heads of MoveNet.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace epilabel {

struct OnnxTensorInfo {
  std::string name;
  // Dimensions; -1 for a symbolic or unknown dimension.
  std::vector<int64_t> dims;
};

struct OnnxModelInfo {
  int64_t ir_version = 0;
  std::string producer;
  // Graph inputs that are not initializers (the data the caller feeds), in file order.
  std::vector<OnnxTensorInfo> inputs;
  // Graph outputs, in file order.
  std::vector<OnnxTensorInfo> outputs;
  int num_nodes = 0;

  // The output of that name, or nullptr.
  const OnnxTensorInfo* Output(const std::string& name) const;
};

// Parses the protobuf of an .onnx file far enough to list its inputs and outputs. Throws
// InputError naming the file when it cannot be read or is not an ONNX model (not protobuf, no
// graph, no nodes, no input or output).
OnnxModelInfo ReadOnnxModelInfo(const std::string& path);

// The same in two steps, for a caller that also hands the bytes to the dnn module (one read of
// the file): its bytes (InputError naming `path` when missing, a folder or unreadable), then
// their interface (`path` names the file in errors).
std::string ReadOnnxFile(const std::string& path);
OnnxModelInfo ParseOnnxModelInfo(const std::string& content, const std::string& path);

}  // namespace epilabel
