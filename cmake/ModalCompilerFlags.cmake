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
