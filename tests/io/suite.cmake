# io cross-check: numpy must read the .npy / .npz files nnq writes.
# Included from tests/CMakeLists.txt (CMAKE_CURRENT_SOURCE_DIR is tests/).
if(TARGET nnq_io)
  add_executable(io_write_samples ${CMAKE_CURRENT_SOURCE_DIR}/io/write_samples.c)
  target_compile_options(io_write_samples PRIVATE ${NNQ_WARNINGS})
  target_link_libraries(io_write_samples PRIVATE nnq_io)
  find_program(NNQ_PYTHON3 python3)
  if(NNQ_PYTHON3)
    add_test(NAME io/numpy_reads_nnq
             COMMAND ${NNQ_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/io/numpy_reads_nnq.py
                     $<TARGET_FILE:io_write_samples> ${CMAKE_CURRENT_BINARY_DIR}/io_numpy_out)
    set_tests_properties(io/numpy_reads_nnq PROPERTIES LABELS "python;io" SKIP_RETURN_CODE 77
                         TIMEOUT 120)
  endif()
endif()
