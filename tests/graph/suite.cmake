# ONNX round trip checked by the reference implementation: nnq saves each
# test model, then Debian's /usr/bin/python3 with `onnx` loads the result,
# runs onnx.checker and compares it with the original.  Skips (exit 77) when
# that Python or its onnx package is missing.
add_executable(graph_roundtrip_tool ${CMAKE_CURRENT_LIST_DIR}/roundtrip_tool.c)
target_compile_options(graph_roundtrip_tool PRIVATE ${NNQ_WARNINGS})
target_link_libraries(graph_roundtrip_tool PRIVATE nnq_graph)
add_test(NAME graph/onnx_roundtrip_python
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/check_onnx_roundtrip.py
                 $<TARGET_FILE:graph_roundtrip_tool> ${NNQ_TEST_DATA_DIR}/onnx)
set_tests_properties(graph/onnx_roundtrip_python PROPERTIES
                     LABELS "python;graph" SKIP_RETURN_CODE 77 TIMEOUT 300)

# BatchNormalization folding checked numerically by ONNX Runtime (the default
# python3 has onnxruntime); skips (77) when it is missing.
add_test(NAME graph/bnfold_onnxruntime_python
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/check_bnfold_ort.py
                 $<TARGET_FILE:graph_roundtrip_tool> ${NNQ_TEST_DATA_DIR}/onnx)
set_tests_properties(graph/bnfold_onnxruntime_python PROPERTIES
                     LABELS "python;graph" SKIP_RETURN_CODE 77 TIMEOUT 300)
