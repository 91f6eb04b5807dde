# Warnings for our own targets (never applied to generated protobuf code).
function(modal_set_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow=local
      -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual
      # GCC 12 warns about every member omitted from a designated initializer, which is
      # exactly how our option structs are meant to be used.
      -Wno-missing-field-initializers)
    if(MODAL_WERROR)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  endif()
endfunction()
option(MODAL_WERROR "Treat warnings as errors" OFF)
