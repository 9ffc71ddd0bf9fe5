#!/usr/bin/python3
"""Generate the small ONNX models under tests/data/onnx/.

Run with Debian's python (it has the `onnx` package, 1.12):
    /usr/bin/python3 tools/make_test_models.py tests/data/onnx

Tensor values follow simple formulas that tests/graph/test_onnx_load.c
re-derives independently (they are written next to each tensor below).
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = sys.argv[1] if len(sys.argv) > 1 else "tests/data/onnx"


def save(model, name, check=True):
    if check:
        onnx.checker.check_model(model)
    path = os.path.join(OUT, name)
    onnx.save(model, path)
    print(path, os.path.getsize(path))


def tiny_cnn():
    # conv.w[i] = ((i % 7) - 3) * 0.125, i the flat index; conv.b[c] = 0.5 * c
    w = (((np.arange(4 * 3 * 3 * 3) % 7) - 3) * 0.125).astype(np.float32).reshape(4, 3, 3, 3)
    b = (0.5 * np.arange(4)).astype(np.float32)
    # bn: scale = 1 + c, bias = c - 1, mean = 0.25 * c, var = 1 + 2c
    scale = (1.0 + np.arange(4)).astype(np.float32)
    bias = (np.arange(4) - 1.0).astype(np.float32)
    mean = (0.25 * np.arange(4)).astype(np.float32)
    var = (1.0 + 2.0 * np.arange(4)).astype(np.float32)
    # fc.w[o, k] = o - k (transB=1, [2, 4]); fc.b = [0.5, -0.5]
    fw = (np.arange(2)[:, None] - np.arange(4)[None, :]).astype(np.float32)
    fb = np.array([0.5, -0.5], dtype=np.float32)
    inits = [numpy_helper.from_array(a, n) for a, n in [
        (w, "conv.w"), (b, "conv.b"), (scale, "bn.scale"), (bias, "bn.bias"),
        (mean, "bn.mean"), (var, "bn.var"), (fw, "fc.w"), (fb, "fc.b")]]
    nodes = [
        helper.make_node("Conv", ["input", "conv.w", "conv.b"], ["c1"], name="conv1",
                         pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        helper.make_node("BatchNormalization", ["c1", "bn.scale", "bn.bias", "bn.mean", "bn.var"],
                         ["b1"], name="bn1", epsilon=1e-5),
        helper.make_node("Relu", ["b1"], ["r1"]),  # unnamed on purpose: becomes Relu_2
        helper.make_node("GlobalAveragePool", ["r1"], ["p1"], name="pool"),
        helper.make_node("Flatten", ["p1"], ["f1"], name="flatten"),
        helper.make_node("Gemm", ["f1", "fc.w", "fc.b"], ["logits"], name="fc", transB=1),
    ]
    graph = helper.make_graph(
        nodes, "tiny_cnn",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 8, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 2])],
        inits)
    model = helper.make_model(graph, producer_name="nnq-tests", opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    helper.set_model_props(model, {"purpose": "nnq unit tests"})
    save(model, "tiny_cnn.onnx")


def typed_fields():
    """Initializers in every storage field (not raw_data), plus a sparse one."""
    t = []
    t.append(helper.make_tensor("f32", TensorProto.FLOAT, [3], [1.5, -2.0, 0.25]))
    t.append(helper.make_tensor("i8", TensorProto.INT8, [4], [-128, -1, 0, 127]))
    t.append(helper.make_tensor("u8", TensorProto.UINT8, [2], [0, 255]))
    t.append(helper.make_tensor("i16", TensorProto.INT16, [2], [-32768, 32767]))
    t.append(helper.make_tensor("u16", TensorProto.UINT16, [2], [1, 65535]))
    t.append(helper.make_tensor("b", TensorProto.BOOL, [3], [True, False, True]))
    # float16 bits: 1.0 = 0x3C00, -2.0 = 0xC000 (IEEE binary16)
    f16 = TensorProto()
    f16.name, f16.data_type = "f16", TensorProto.FLOAT16
    f16.dims.append(2)
    f16.int32_data.extend([0x3C00, 0xC000])
    t.append(f16)
    # bfloat16 1.0 = 0x3F80, raw little-endian bytes
    t.append(helper.make_tensor("bf16", TensorProto.BFLOAT16, [1], b"\x80\x3f", raw=True))
    t.append(helper.make_tensor("i32", TensorProto.INT32, [2], [-7, 2147483647]))
    t.append(helper.make_tensor("i64", TensorProto.INT64, [2], [-9000000000, 5]))
    t.append(helper.make_tensor("f64", TensorProto.DOUBLE, [2], [0.1, -3.0]))
    t.append(helper.make_tensor("u32", TensorProto.UINT32, [1], [4000000000]))
    t.append(helper.make_tensor("u64", TensorProto.UINT64, [1], [18000000000000000000]))
    t.append(helper.make_tensor("scalar", TensorProto.FLOAT, [], [42.0]))
    t.append(helper.make_tensor("empty", TensorProto.FLOAT, [0, 3], []))
    sparse = helper.make_sparse_tensor(
        helper.make_tensor("sp", TensorProto.FLOAT, [2], [5.0, 7.0]),
        helper.make_tensor("sp_idx", TensorProto.INT64, [2], [1, 5]), [2, 3])
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])
    graph = helper.make_graph([helper.make_node("Add", ["x", "f32"], ["y"], name="add")],
                              "typed", [x], [y], t, sparse_initializer=[sparse])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    save(model, "typed_fields.onnx")


def attrs():
    """Every attribute kind, a subgraph, a function and kept extras."""
    then_g = helper.make_graph([helper.make_node("Identity", ["x"], ["t_out"], name="then_id")],
                               "then", [], [helper.make_tensor_value_info("t_out", TensorProto.FLOAT, [2])])
    else_g = helper.make_graph([helper.make_node("Neg", ["x"], ["e_out"], name="else_neg")],
                               "else", [], [helper.make_tensor_value_info("e_out", TensorProto.FLOAT, [2])])
    tiny = helper.make_tensor("tv", TensorProto.FLOAT, [2], [1.0, 2.0])
    sp = helper.make_sparse_tensor(helper.make_tensor("spv", TensorProto.FLOAT, [1], [3.0]),
                                   helper.make_tensor("spi", TensorProto.INT64, [1], [0]), [2])
    custom = helper.make_node(
        "Everything", ["x"], ["z"], name="everything", domain="com.nnq.test",
        f=0.5, i=-3, s="hello", t=tiny, floats=[1.0, 2.5], ints=[1, -2, 3], strings=["a", "bc"],
        tensors=[tiny, tiny], g=then_g, graphs=[then_g, else_g], sparse_tensor=sp,
        sparse_tensors=[sp], tp=helper.make_tensor_type_proto(TensorProto.INT8, [3]),
        tps=[helper.make_tensor_type_proto(TensorProto.FLOAT, ["n"])])
    cond = helper.make_node("Constant", [], ["cond"], name="const_cond",
                            value=helper.make_tensor("cv", TensorProto.BOOL, [], [True]))
    iff = helper.make_node("If", ["cond"], ["y"], name="if", then_branch=then_g, else_branch=else_g)
    fn = helper.make_function("com.nnq.test", "MyNeg", ["a"], ["b"],
                              [helper.make_node("Neg", ["a"], ["b"])],
                              [helper.make_opsetid("", 13)])
    graph = helper.make_graph(
        [cond, iff, custom], "attrs",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2]),
         helper.make_tensor_value_info("z", TensorProto.FLOAT, [2])])
    ann = graph.quantization_annotation.add()
    ann.tensor_name = "y"
    e = ann.quant_parameter_tensor_names.add()
    e.key, e.value = "SCALE_TENSOR", "y_scale"
    seq = helper.make_value_info("seq", helper.make_sequence_type_proto(
        helper.make_tensor_type_proto(TensorProto.FLOAT, [2])))
    graph.value_info.append(seq)
    model = helper.make_model(graph, functions=[fn], opset_imports=[
        helper.make_opsetid("", 13), helper.make_opsetid("com.nnq.test", 1)])
    model.ir_version = 8
    save(model, "attrs.onnx")


def external(name, location, offset=None, length=None, data=None, data_file=None):
    """A model whose weight 'w' ([2, 3] float32 = 0..5) is external."""
    w = TensorProto()
    w.name = "w"
    w.data_type = TensorProto.FLOAT
    w.dims.extend([2, 3])
    w.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", offset), ("length", length)):
        if v is not None:
            e = w.external_data.add()
            e.key, e.value = k, str(v)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])
    graph = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"], name="add")], "ext",
                              [x], [y], [w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    save(model, name, check=False)
    if data_file:
        with open(os.path.join(OUT, data_file), "wb") as f:
            f.write(data)


def residual_add():
    # Conv -> Relu -> Conv, Add with the skip (the model input), for
    # `--quantize-add` and the weight sites of `nnq eval` (tests/pipeline/test_ptq.c).
    # conv1.w[o].flat[j]: j = 0: 127/128 (the channel's amax, so the int8
    # scale is exactly 1/128); j = 1: 3/256 (1.5 steps: rounds to 2);
    # else (((j + o) % 5) - 2) / 16.  conv1.b = [1/16, -1/16].
    w1 = np.zeros((2, 18), dtype=np.float32)
    for o in range(2):
        w1[o] = [127 / 128, 3 / 256] + [(((j + o) % 5) - 2) / 16 for j in range(2, 18)]
    w1 = w1.reshape(2, 2, 3, 3)
    b1 = np.array([1 / 16, -1 / 16], dtype=np.float32)
    # conv2.w[i] = ((i % 7) - 3) / 8, i the flat index; no bias.
    w2 = (((np.arange(36) % 7) - 3) / 8).astype(np.float32).reshape(2, 2, 3, 3)
    inits = [numpy_helper.from_array(a, n) for a, n in
             [(w1, "conv1.w"), (b1, "conv1.b"), (w2, "conv2.w")]]
    pads = [1, 1, 1, 1]
    nodes = [
        helper.make_node("Conv", ["input", "conv1.w", "conv1.b"], ["c1"], name="conv1", pads=pads),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "conv2.w"], ["c2"], name="conv2", pads=pads),
        helper.make_node("Add", ["c2", "input"], ["sum"], name="add"),
        helper.make_node("GlobalAveragePool", ["sum"], ["pooled"], name="gap"),
        helper.make_node("Flatten", ["pooled"], ["logits"], name="flat"),
    ]
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 2, 4, 4])
    y = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 2])
    graph = helper.make_graph(nodes, "residual_add", [x], [y], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    save(model, "residual_add.onnx")


def attention_matmul():
    # Attention scores: q = x Wq, k = x Wk, scores = q kᵀ (a MatMul of two
    # activations), flattened to [N, 16].  wq[r, c] = (r - c) / 4,
    # wk[r, c] = (r + c - 2) / 4.
    r, c = np.meshgrid(np.arange(3), np.arange(3), indexing="ij")
    wq = ((r - c) / 4).astype(np.float32)
    wk = ((r + c - 2) / 4).astype(np.float32)
    inits = [numpy_helper.from_array(wq, "wq"), numpy_helper.from_array(wk, "wk")]
    nodes = [
        helper.make_node("MatMul", ["input", "wq"], ["q"], name="q_proj"),
        helper.make_node("MatMul", ["input", "wk"], ["k"], name="k_proj"),
        helper.make_node("Transpose", ["k"], ["kt"], name="kt", perm=[0, 2, 1]),
        helper.make_node("MatMul", ["q", "kt"], ["scores"], name="scores"),
        helper.make_node("Flatten", ["scores"], ["logits"], name="flat"),
    ]
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 4, 3])
    y = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 16])
    graph = helper.make_graph(nodes, "attention_matmul", [x], [y], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    save(model, "attention_matmul.onnx")


def main():
    os.makedirs(OUT, exist_ok=True)
    tiny_cnn()
    residual_add()
    attention_matmul()
    typed_fields()
    attrs()
    w = np.arange(6, dtype=np.float32).tobytes()
    # 16 bytes of 0xAB padding, then w: exercises a non-zero offset.
    external("ext_data.onnx", "ext_data.bin", 16, 24, b"\xab" * 16 + w, "ext_data.bin")
    external("ext_no_length.onnx", "ext_data.bin", 16)
    external("ext_escape.onnx", "../escape.bin", 0, 24)
    external("ext_absolute.onnx", "/etc/hostname", 0, 24)
    external("ext_past_eof.onnx", "ext_data.bin", 20, 24)
    external("ext_missing.onnx", "no_such_file.bin", 0, 24)
    external("ext_bad_length.onnx", "ext_data.bin", 16, 20)
    # A test-suite style TensorProto file: [[1, 2], [3, 4]] float32 named "input".
    pb = numpy_helper.from_array(np.array([[1, 2], [3, 4]], dtype=np.float32), "input")
    with open(os.path.join(OUT, "input_0.pb"), "wb") as f:
        f.write(pb.SerializeToString())


if __name__ == "__main__":
    main()
