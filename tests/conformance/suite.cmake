# ONNX backend conformance (Debian's libonnx-testdata) through the executor.
# Registered only when the test data is installed; label `conformance`.
find_path(NNQ_ONNX_TESTDATA node PATHS /usr/share/libonnx-testdata/data NO_DEFAULT_PATH)
add_executable(nnq_conformance ${CMAKE_CURRENT_LIST_DIR}/conformance.c)
target_compile_options(nnq_conformance PRIVATE ${NNQ_WARNINGS})
target_link_libraries(nnq_conformance PRIVATE nnq_static)
if(NNQ_ONNX_TESTDATA)
  add_test(NAME conformance/onnx_backend
           COMMAND nnq_conformance ${NNQ_ONNX_TESTDATA} ${CMAKE_CURRENT_LIST_DIR}/skips.txt)
  set_tests_properties(conformance/onnx_backend PROPERTIES LABELS "conformance" TIMEOUT 900)
endif()
