# Warnings for our own targets (never applied to generated protobuf code).
function(modal_set_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow=local
      -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual)
    if(MODAL_WERROR)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  endif()
endfunction()
option(MODAL_WERROR "Treat warnings as errors" OFF)

# Sanitizers for every target of the project, generated protobuf code included (compile and
# link flags at the top directory, before any target). scripts/test.sh --sanitize asan|tsan
# builds such a tree. Third-party libraries from Debian stay uninstrumented.
set(MODAL_SANITIZE "" CACHE STRING
  "Sanitizers for every target: 'address,undefined' or 'thread' (empty: none)")
set_property(CACHE MODAL_SANITIZE PROPERTY STRINGS "" "address,undefined" "thread")
if(MODAL_SANITIZE)
  if(NOT MODAL_SANITIZE MATCHES "^(address,undefined|address|undefined|thread)$")
    message(FATAL_ERROR "MODAL_SANITIZE='${MODAL_SANITIZE}': use address,undefined or thread")
  endif()
  add_compile_options(-fsanitize=${MODAL_SANITIZE} -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${MODAL_SANITIZE})
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC's manual: sanitizers cause false -Wmaybe-uninitialized (here in libstdc++'s
    # <regex> with -Werror); the plain build keeps the warning. Likewise a false
    # -Wstringop-overflow with -fsanitize=address, inside libstdc++'s basic_ios::swap (the
    # virtual base of std::ostream; src/streams.cc's OutputStream move assignment).
    add_compile_options(-Wno-maybe-uninitialized -Wno-stringop-overflow)
  endif()
  if(MODAL_SANITIZE MATCHES "undefined")
    # A UBSan finding aborts (fails the test) instead of printing and going on. GCC's
    # `undefined` leaves out float-cast-overflow (clang's includes it).
    add_compile_options(-fno-sanitize-recover=all)
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      add_compile_options(-fsanitize=float-cast-overflow)
      add_link_options(-fsanitize=float-cast-overflow)
    endif()
  endif()
  if(MODAL_SANITIZE STREQUAL "thread")
    # Lets code choose a TSan-compatible path (the emulator runtime's process spawning).
    add_compile_definitions(MODAL_TSAN=1)
  endif()
endif()
# libFuzzer targets in tests/fuzz (MODAL_BUILD_FUZZERS, clang only).
include(ModalFuzzing)
