# Python checks of `nnq compress` (label python; exit 77 = skipped when
# onnxruntime / numpy are missing).  Included from tests/pipeline/suite.cmake.
find_program(NNQ_PYTHON3 python3)
if(NNQ_PYTHON3)
  add_test(NAME pipeline/compress_ort_check
           COMMAND ${NNQ_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/compress_ort_check.py $<TARGET_FILE:nnq>
                   ${PROJECT_SOURCE_DIR}/examples/fmnist_cnn.onnx ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(pipeline/compress_ort_check PROPERTIES LABELS "python;pipeline"
                       SKIP_RETURN_CODE 77 TIMEOUT 300)
endif()
