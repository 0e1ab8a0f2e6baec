#include "detection/dnn/onnx_info.h"

#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "foundation/error.h"
#include "tests/testing.h"

namespace epilabel {
namespace {

using testing::TempDir;

// Writes a small ONNX model with Debian's python3-onnx: input "image" [1, 3, H, W] with
// symbolic H and W, a 1x1 convolution (its weight an initializer that older exporters also list
// as an input), outputs "simcc_x" [1, 17, 384] and "simcc_y" [1, 17, 512].
std::string WriteTinyModel(const TempDir& dir) {
  const std::string script = dir / "make.py";
  const std::string model = dir / "tiny.onnx";
  std::ofstream(script) << R"(
import sys, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
w = numpy_helper.from_array(np.ones((17, 3, 1, 1), np.float32), "w")
nodes = [helper.make_node("Conv", ["image", "w"], ["feat"]),
         helper.make_node("ReduceMax", ["feat"], ["simcc_x"], axes=[2], keepdims=0),
         helper.make_node("ReduceMax", ["feat"], ["simcc_y"], axes=[3], keepdims=0)]
graph = helper.make_graph(nodes, "tiny",
    [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, "H", "W"]),
     helper.make_tensor_value_info("w", TensorProto.FLOAT, [17, 3, 1, 1])],
    [helper.make_tensor_value_info("simcc_x", TensorProto.FLOAT, [1, 17, 384]),
     helper.make_tensor_value_info("simcc_y", TensorProto.FLOAT, [1, 17, 512])], [w])
m = helper.make_model(graph, producer_name="epilabel-test", opset_imports=[helper.make_opsetid("", 11)])
m.ir_version = 6
onnx.checker.check_model(m)
onnx.save(m, sys.argv[1])
)";
  const testing::CommandResult r = testing::Run(testing::PythonWithNumpy() + " " + script + " " + model);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return model;
}

std::string InputErrorOf(const std::string& path) {
  try {
    ReadOnnxModelInfo(path);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(ReadOnnxModelInfo, ListsInputsOutputsAndSymbolicDims) {
  TempDir dir;
  const OnnxModelInfo info = ReadOnnxModelInfo(WriteTinyModel(dir));
  EXPECT_EQ(info.producer, "epilabel-test");
  EXPECT_EQ(info.ir_version, 6);
  EXPECT_EQ(info.num_nodes, 3);
  ASSERT_EQ(info.inputs.size(), 1u) << "the initializer listed as input is not an input";
  EXPECT_EQ(info.inputs[0].name, "image");
  EXPECT_EQ(info.inputs[0].dims, (std::vector<int64_t>{1, 3, -1, -1}));
  ASSERT_EQ(info.outputs.size(), 2u);
  EXPECT_EQ(info.outputs[0].name, "simcc_x");
  EXPECT_EQ(info.outputs[1].dims, (std::vector<int64_t>{1, 17, 512}));
  ASSERT_NE(info.Output("simcc_y"), nullptr);
  EXPECT_EQ(info.Output("heatmaps"), nullptr);
}

TEST(ReadOnnxModelInfo, RejectsFilesThatAreNotOnnx) {
  TempDir dir;
  std::ofstream(dir / "text.onnx") << "This is a text file, not a model.\n";
  std::ofstream(dir / "empty.onnx");
  std::ofstream(dir / "json.onnx") << R"({"format": "graph-model", "modelTopology": {}})";
  std::ofstream jpeg(dir / "image.onnx", std::ios::binary);
  const unsigned char jpeg_header[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0x01};
  jpeg.write(reinterpret_cast<const char*>(jpeg_header), sizeof(jpeg_header));
  jpeg.close();
  for (const char* name : {"text.onnx", "empty.onnx", "json.onnx", "image.onnx"}) {
    const std::string message = InputErrorOf(dir / name);
    EXPECT_NE(message.find("not an ONNX model"), std::string::npos) << name << ": " << message;
    EXPECT_NE(message.find(name), std::string::npos) << "names the file: " << message;
  }
  EXPECT_NE(InputErrorOf(dir / "missing.onnx"), "");
}

TEST(ReadOnnxModelInfo, RejectsATruncatedModel) {
  TempDir dir;
  const std::string model = WriteTinyModel(dir);
  std::ifstream in(model, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(dir / "cut.onnx", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  EXPECT_NE(InputErrorOf(dir / "cut.onnx").find("not an ONNX model"), std::string::npos);
}

}  // namespace
}  // namespace epilabel
