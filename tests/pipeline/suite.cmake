# Pipeline end-to-end checks in Python: nnq's QDQ exports under ONNX Runtime
# (default python3 with numpy + onnxruntime) and onnx.checker (Debian's
# /usr/bin/python3 with onnx).  Each exits 77 - a CTest skip - when its
# Python lacks the module.
find_program(NNQ_PYTHON3 python3)
set(_ptq_model ${PROJECT_SOURCE_DIR}/examples/fmnist_cnn.onnx)
if(NNQ_PYTHON3)
  add_test(NAME pipeline/qdq_onnxruntime
           COMMAND ${NNQ_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/pipeline/check_qdq_ort.py
                   $<TARGET_FILE:nnq> ${_ptq_model})
  set_tests_properties(pipeline/qdq_onnxruntime PROPERTIES LABELS "pipeline;e2e"
                       SKIP_RETURN_CODE 77 TIMEOUT 300)
endif()
if(EXISTS /usr/bin/python3)
  add_test(NAME pipeline/qdq_onnx_checker
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/pipeline/check_qdq_onnx.py
                   $<TARGET_FILE:nnq> ${_ptq_model})
  set_tests_properties(pipeline/qdq_onnx_checker PROPERTIES LABELS "pipeline;e2e"
                       SKIP_RETURN_CODE 77 TIMEOUT 300)
endif()

# nnq compress checks (tests/pipeline/compress_suite.cmake).
include(${CMAKE_CURRENT_LIST_DIR}/compress_suite.cmake)
