# Replay every fuzz target's seed corpus through its entry point (no
# libFuzzer needed): parsers stay crash-free on the corpora in every build.
file(GLOB _fuzzers CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/fuzz/fuzz_*.c)
foreach(f ${_fuzzers})
  get_filename_component(_name ${f} NAME_WE)
  string(REGEX REPLACE "^fuzz_" "" _short ${_name})
  if(NOT IS_DIRECTORY ${PROJECT_SOURCE_DIR}/fuzz/corpus/${_short})
    continue()
  endif()
  add_executable(replay_${_short} ${f} ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_replay/replay_main.c)
  target_include_directories(replay_${_short} PRIVATE ${PROJECT_SOURCE_DIR}/src
                             ${PROJECT_SOURCE_DIR}/src/common)
  target_link_libraries(replay_${_short} PRIVATE nnq_static)
  add_test(NAME fuzz-replay/${_short} COMMAND replay_${_short} ${PROJECT_SOURCE_DIR}/fuzz/corpus/${_short})
  set_tests_properties(fuzz-replay/${_short} PROPERTIES LABELS "unit;fuzz-replay" TIMEOUT 300)
endforeach()
