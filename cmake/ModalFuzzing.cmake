# libFuzzer targets (tests/fuzz): -DMODAL_BUILD_FUZZERS=ON, with clang
# (-DCMAKE_CXX_COMPILER=clang++); scripts/fuzz.sh configures such a tree (build-fuzz).
# Every target of the project is then compiled with libFuzzer's coverage instrumentation
# and ASan + UBSan (-fsanitize=fuzzer-no-link,address,undefined, UBSan not recoverable), so
# the parsers are instrumented where they live; only the fuzz targets link libFuzzer's main
# (modal_add_fuzzer in tests/fuzz/CMakeLists.txt).
option(MODAL_BUILD_FUZZERS "Build the libFuzzer targets in tests/fuzz (needs clang)" OFF)
if(MODAL_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "MODAL_BUILD_FUZZERS needs clang (-DCMAKE_CXX_COMPILER=clang++), "
      "not ${CMAKE_CXX_COMPILER_ID}")
  endif()
  if(MODAL_SANITIZE)
    message(FATAL_ERROR "MODAL_BUILD_FUZZERS brings its own sanitizers (address,undefined): "
      "leave MODAL_SANITIZE empty")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
    -fno-omit-frame-pointer
    # modal_set_warnings passes GCC's -Wshadow=local, which clang does not know.
    -Wno-unknown-warning-option)
  add_link_options(-fsanitize=address,undefined)
endif()
