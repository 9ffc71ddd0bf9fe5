#!/usr/bin/python3
"""make_fuzz_exec_corpus.py OUT_DIR - seed corpus for fuzz/fuzz_exec.c.

Writes a few dozen tiny ONNX models (static shapes of a few elements), each
a single operator or a short chain, covering the operators and attribute
variants nnq's executor implements.  The models are written from scratch
with onnx.helper (Debian's /usr/bin/python3 has onnx 1.12); the 4-bit and
float8 types postdate that version, so those tensors are built from their
numeric ONNX type codes directly.

    /usr/bin/python3 tools/make_fuzz_exec_corpus.py fuzz/corpus/exec

The regress_*.onnx files beside them are minimized fuzzer findings, kept
as they were found (each has a regression test in tests/exec/).
"""
import os
import struct
import sys

from onnx import TensorProto, helper

F = TensorProto.FLOAT
I64 = TensorProto.INT64
INT4, FP8E4M3FN, FP8E5M2 = 22, 17, 19


def fl(name, dims, vals=None):
    n = 1
    for d in dims:
        n *= d
    if vals is None:
        vals = [((i * 7) % 11 - 5) / 4.0 for i in range(n)]
    return helper.make_tensor(name, F, dims, vals)


def i64(name, vals, dims=None):
    return helper.make_tensor(name, I64, [len(vals)] if dims is None else dims, vals)


def raw(name, dtype, dims, data):
    t = TensorProto()
    t.name, t.data_type = name, dtype
    t.dims.extend(dims)
    t.raw_data = bytes(data)
    return t


def vi(name, dims, dtype=F):
    return helper.make_tensor_value_info(name, dtype, dims)


def model(nodes, inputs, outputs, inits=(), opset=17):
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m.SerializeToString()


def single(op, in_dims, out_dims, inits=(), extra_inputs=(), opset=17, outs=1, **attrs):
    names = ["x"] + [t.name for t in inits] + list(extra_inputs)
    ys = ["y"] if outs == 1 else ["y%d" % i for i in range(outs)]
    node = helper.make_node(op, names, ys, **attrs)
    return model([node], [vi("x", in_dims)], [vi(y, out_dims) for y in ys], inits, opset)


def corpus():
    c = {}
    # Convolutions: pads / strides / dilations / groups, transposed.
    c["conv_basic"] = single("Conv", [1, 1, 4, 4], None, [fl("w", [2, 1, 3, 3]), fl("b", [2])],
                             pads=[1, 1, 1, 1])
    c["conv_stride_dil"] = single("Conv", [1, 2, 5, 5], None, [fl("w", [2, 2, 2, 2])],
                                  strides=[2, 1], dilations=[2, 2])
    c["conv_group"] = single("Conv", [1, 4, 3, 3], None, [fl("w", [4, 1, 3, 3])], group=4,
                             auto_pad="SAME_UPPER")
    c["conv_1d"] = single("Conv", [1, 1, 6], None, [fl("w", [1, 1, 3])], pads=[2, 0])
    c["convtranspose"] = single("ConvTranspose", [1, 2, 3, 3], None,
                                [fl("w", [2, 1, 3, 3]), fl("b", [1])], strides=[2, 2],
                                output_padding=[1, 1])
    # Dense.
    c["gemm"] = single("Gemm", [2, 3], None, [fl("w", [4, 3]), fl("c", [4])], transB=1,
                       alpha=0.5, beta=2.0)
    c["matmul_batched"] = single("MatMul", [2, 2, 3], None, [fl("w", [3, 2])])
    # Pools and normalizations.
    c["maxpool"] = single("MaxPool", [1, 1, 5, 5], None, kernel_shape=[3, 3], strides=[2, 2],
                          pads=[1, 1, 1, 1], ceil_mode=1)
    c["maxpool_indices"] = model(
        [helper.make_node("MaxPool", ["x"], ["y", "i"], kernel_shape=[2], dilations=[2],
                          auto_pad="SAME_LOWER", storage_order=0)],
        [vi("x", ["n", 2, 5])], [vi("y", None), vi("i", None, I64)])
    c["avgpool"] = single("AveragePool", [1, 2, 4, 4], None, kernel_shape=[2, 3],
                          pads=[0, 1, 0, 1], count_include_pad=1)
    c["global_pools"] = model(
        [helper.make_node("GlobalAveragePool", ["x"], ["a"]),
         helper.make_node("GlobalMaxPool", ["x"], ["b"]),
         helper.make_node("Add", ["a", "b"], ["y"])],
        [vi("x", [1, 3, 2, 2])], [vi("y", None)])
    c["batchnorm"] = single("BatchNormalization", [1, 2, 2, 2], None,
                            [fl("s", [2]), fl("b", [2]), fl("m", [2]), fl("v", [2], [1.0, 2.0])])
    c["layernorm"] = single("LayerNormalization", [2, 4], None, [fl("s", [4]), fl("b", [4])],
                            axis=-1, epsilon=1e-3)
    c["instancenorm"] = single("InstanceNormalization", [1, 2, 3], None,
                               [fl("s", [2]), fl("b", [2])])
    c["softmax"] = single("Softmax", [2, 5], None, axis=0)
    c["logsoftmax_opset11"] = single("LogSoftmax", [2, 2, 3], None, axis=1, opset=11)
    c["lstm"] = single("LSTM", [2, 1, 3], None,
                       [fl("W", [2, 8, 3]), fl("R", [2, 8, 2]), fl("B", [2, 16])],
                       hidden_size=2, direction="bidirectional", outs=3)
    # Shape manipulation.
    c["reshape_transpose"] = model(
        [helper.make_node("Reshape", ["x", "s"], ["r"]),
         helper.make_node("Transpose", ["r"], ["y"], perm=[2, 0, 1])],
        [vi("x", [2, 6])], [vi("y", None)], [i64("s", [3, -1, 2])])
    c["flatten_squeeze"] = model(
        [helper.make_node("Unsqueeze", ["x", "a"], ["u"]),
         helper.make_node("Squeeze", ["u", "a"], ["s"]),
         helper.make_node("Flatten", ["s"], ["y"], axis=1)],
        [vi("x", [2, 3, 2])], [vi("y", None)], [i64("a", [0])])
    c["slice_steps"] = single("Slice", [4, 5], None,
                              [i64("st", [3, 0]), i64("en", [-10, 5]), i64("ax", [0, 1]),
                               i64("sp", [-2, 2])])
    c["slice_opset9"] = single("Slice", [3, 4], None, starts=[1], ends=[100], axes=[1], opset=9)
    c["gather"] = single("Gather", [3, 2], None, [i64("i", [2, -1, 0, 1], [2, 2])], axis=0)
    c["concat"] = model([helper.make_node("Concat", ["x", "c", "x"], ["y"], axis=1)],
                        [vi("x", [2, 1])], [vi("y", None)], [fl("c", [2, 2])])
    c["split"] = single("Split", [6, 2], None, [i64("sp", [1, 2, 3])], axis=0, outs=3)
    c["expand"] = single("Expand", [3, 1], None, [i64("s", [2, 1, 4])])
    c["pad_reflect"] = single("Pad", [2, 3], None, [i64("p", [1, 2, 1, 2])], mode="reflect")
    c["pad_constant_neg"] = single("Pad", [3, 3], None, [i64("p", [0, -1, 2, 1]),
                                                         fl("v", [], [1.5])])
    c["pad_edge_opset2"] = single("Pad", [2, 2], None, pads=[1, 0, 0, 1], mode="edge", opset=2)
    c["resize_linear"] = single("Resize", [1, 1, 2, 2], None,
                                [fl("roi", [0], []), fl("sc", [4], [1, 1, 2, 1.5])],
                                mode="linear", coordinate_transformation_mode="align_corners")
    c["resize_nearest_sizes"] = single("Resize", [1, 1, 3, 2], None,
                                       [fl("roi", [0], []), fl("sc", [0], []),
                                        i64("sz", [1, 1, 2, 5])],
                                       mode="nearest", nearest_mode="floor")
    c["resize_cubic"] = single("Resize", [1, 1, 3, 3], None,
                               [fl("roi", [0], []), fl("sc", [4], [1, 1, 1.7, 0.6])],
                               mode="cubic", cubic_coeff_a=-0.5, exclude_outside=1)
    c["shape_constofshape"] = model(
        [helper.make_node("Shape", ["x"], ["s"]),
         helper.make_node("ConstantOfShape", ["s"], ["c"],
                          value=helper.make_tensor("v", F, [1], [0.25])),
         helper.make_node("Add", ["x", "c"], ["y"])],
        [vi("x", ["batch", 3])], [vi("y", None)])
    c["cumsum"] = single("CumSum", [2, 3], None, [i64("ax", [1], [])], exclusive=1, reverse=1)
    # Elementwise and activations.
    c["elem_chain"] = model(
        [helper.make_node("Mul", ["x", "k"], ["a"]),
         helper.make_node("Sub", ["a", "x"], ["b"]),
         helper.make_node("Div", ["b", "k"], ["c"]),
         helper.make_node("Pow", ["c", "k"], ["d"]),
         helper.make_node("Sqrt", ["d"], ["e"]),
         helper.make_node("Log", ["e"], ["f"]),
         helper.make_node("Tanh", ["f"], ["y"])],
        [vi("x", [2, 3])], [vi("y", None)], [fl("k", [3], [2.0, 0.5, -1.0])])
    c["activations"] = model(
        [helper.make_node("LeakyRelu", ["x"], ["a"], alpha=0.2),
         helper.make_node("Elu", ["a"], ["b"]),
         helper.make_node("HardSigmoid", ["b"], ["c"]),
         helper.make_node("HardSwish", ["c"], ["d"]),
         helper.make_node("Gelu", ["d"], ["e"], approximate="tanh"),
         helper.make_node("Erf", ["e"], ["f"]),
         helper.make_node("Exp", ["f"], ["g"]),
         helper.make_node("Sigmoid", ["g"], ["h"]),
         helper.make_node("Neg", ["h"], ["i"]),
         helper.make_node("Abs", ["i"], ["j"]),
         helper.make_node("Relu", ["j"], ["y"])],
        [vi("x", [5])], [vi("y", None)], opset=20)
    c["prelu"] = single("PRelu", [1, 2, 2], None, [fl("s", [2, 1])])
    c["clip_inputs"] = single("Clip", [4], None, [fl("lo", [], [-0.5]), fl("hi", [], [0.5])])
    c["clip_opset6"] = single("Clip", [4], None, min=-1.0, max=0.25, opset=6)
    c["where_equal"] = model(
        [helper.make_node("Equal", ["x", "z"], ["m"]),
         helper.make_node("Where", ["m", "x", "z"], ["y"])],
        [vi("x", [2, 3])], [vi("y", None)], [fl("z", [3], [0.0, 0.5, -0.125])])
    c["bitwise"] = model(
        [helper.make_node("Cast", ["x"], ["i"], to=TensorProto.INT32),
         helper.make_node("BitwiseAnd", ["i", "k"], ["a"]),
         helper.make_node("BitwiseXor", ["a", "k"], ["b"]),
         helper.make_node("BitwiseNot", ["b"], ["c"]),
         helper.make_node("Mod", ["c", "k"], ["y"], fmod=0)],
        [vi("x", [4])], [vi("y", None, TensorProto.INT32)],
        [helper.make_tensor("k", TensorProto.INT32, [4], [3, -5, 7, 1])], opset=18)
    c["bitshift_uint8"] = model(
        [helper.make_node("BitShift", ["x", "k"], ["y"], direction="LEFT")],
        [vi("x", [3], TensorProto.UINT8)], [vi("y", None, TensorProto.UINT8)],
        [helper.make_tensor("k", TensorProto.UINT8, [3], [1, 7, 9])])
    # Casts and quantization.
    c["cast_chain"] = model(
        [helper.make_node("Cast", ["x"], ["h"], to=TensorProto.FLOAT16),
         helper.make_node("Cast", ["h"], ["b"], to=TensorProto.BFLOAT16),
         helper.make_node("Cast", ["b"], ["i"], to=TensorProto.INT8),
         helper.make_node("Cast", ["i"], ["y"], to=F)],
        [vi("x", [5])], [vi("y", None)])
    c["cast_fp8"] = model(
        [helper.make_node("Cast", ["x"], ["a"], to=FP8E4M3FN, saturate=0),
         helper.make_node("Cast", ["a"], ["b"], to=FP8E5M2),
         helper.make_node("Cast", ["b"], ["y"], to=F)],
        [vi("x", [3])], [vi("y", None)], opset=21)
    c["qdq_int8_axis"] = model(
        [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], axis=1),
         helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], axis=1)],
        [vi("x", [2, 3])], [vi("y", None)],
        [fl("s", [3], [0.1, 0.02, 1.0]),
         helper.make_tensor("z", TensorProto.INT8, [3], [0, -3, 5])], opset=13)
    c["qdq_uint8_tensor"] = model(
        [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"]),
         helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"])],
        [vi("x", [4])], [vi("y", None)],
        [fl("s", [], [0.05]), helper.make_tensor("z", TensorProto.UINT8, [], [128])], opset=10)
    c["qdq_int4_block"] = model(
        [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], axis=1, block_size=2),
         helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], axis=1, block_size=2)],
        [vi("x", [2, 5])], [vi("y", None)],
        [fl("s", [2, 3], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]), raw("z", INT4, [2, 3], [0x1f, 0x20, 0x07])],
        opset=21)
    c["qdq_fp8"] = model(
        [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], saturate=1),
         helper.make_node("DequantizeLinear", ["q", "s"], ["y"])],
        [vi("x", [4])], [vi("y", None)],
        [fl("s", [], [0.5]), raw("z", FP8E5M2, [], [0])], opset=21)
    c["dq_weight_conv"] = model(
        [helper.make_node("DequantizeLinear", ["wq", "ws"], ["w"], axis=0),
         helper.make_node("Conv", ["x", "w"], ["y"])],
        [vi("x", [1, 1, 3, 3])], [vi("y", None)],
        [raw("wq", TensorProto.INT8, [2, 1, 2, 2], struct.pack("8b", 1, -2, 3, -4, 5, 127, -128, 0)),
         fl("ws", [2], [0.01, 0.5])])
    c["identity_constant"] = model(
        [helper.make_node("Constant", [], ["c"], value=fl("v", [2], [1.0, -1.0])),
         helper.make_node("Identity", ["x"], ["i"]),
         helper.make_node("Add", ["i", "c"], ["y"])],
        [vi("x", ["n", 2])], [vi("y", None)])
    c["int64_input_gather"] = model(
        [helper.make_node("Gather", ["t", "x"], ["y"], axis=1)],
        [vi("x", [2], I64)], [vi("y", None)], [fl("t", [2, 3])])
    return c


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "fuzz/corpus/exec"
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(corpus().items()):
        with open(os.path.join(out, name + ".onnx"), "wb") as f:
            f.write(data)
    print("wrote %d models to %s" % (len(corpus()), out))


if __name__ == "__main__":
    main()
