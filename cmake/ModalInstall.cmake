# Install rules and the CMake package `modal` (find_package(modal CONFIG) -> modal::modal).
# Included from the top-level CMakeLists.txt when MODAL_INSTALL is ON.
#
# Installed layout (relative to the prefix):
#   include/modal/*.h                         public headers
#   lib/libmodal.a, lib/libmodal_protos.a     the SDK and its generated protocol code
#   lib/cmake/modal/modal-config.cmake        package config (+ version file, targets)
#   lib/pkgconfig/modal.pc                    for pkg-config users
#   share/doc/modal_cpp/{LICENSE,README.md}
# modal-emulator installs itself (emulator/CMakeLists.txt).
include(CMakePackageConfigHelpers)

if(NOT TARGET modal)
  message(WARNING "MODAL_INSTALL: there is no `modal` target; nothing to install")
  return()
endif()

set(MODAL_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/modal"
  CACHE STRING "Where to install modal-config.cmake (relative to the prefix)")
mark_as_advanced(MODAL_INSTALL_CMAKEDIR)

install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/modal"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
  COMPONENT modal_development
  FILES_MATCHING PATTERN "*.h")

# A static libmodal keeps its private dependencies as link-only entries of the export
# ($<LINK_ONLY:...>): modal_protos must be installed with it, and modal-config.cmake finds
# the external packages again.
set(_modal_install_targets modal)
if(TARGET modal_protos)
  list(APPEND _modal_install_targets modal_protos)
endif()
install(TARGETS ${_modal_install_targets}
  EXPORT modal-targets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT modal_development
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT modal_runtime
    NAMELINK_COMPONENT modal_development
  RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}" COMPONENT modal_runtime
  INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")

install(EXPORT modal-targets
  NAMESPACE modal::
  FILE modal-targets.cmake
  DESTINATION "${MODAL_INSTALL_CMAKEDIR}"
  COMPONENT modal_development)

# Header-only private dependencies are not needed by users of a static libmodal, but a
# plain `target_link_libraries(modal PRIVATE nlohmann_json::nlohmann_json)` still exports
# them as $<LINK_ONLY:...>; keep them build-only so the package never looks for them.
# (Debian's toml++ is NOT header-only: it is built as libtomlplusplus.so with
# TOML_HEADER_ONLY=0, so it is a real link dependency of a static libmodal.)
set(_modal_header_only_deps nlohmann_json::nlohmann_json)
foreach(target IN LISTS _modal_install_targets)
  get_target_property(_ilibs ${target} INTERFACE_LINK_LIBRARIES)
  if(NOT _ilibs)
    continue()
  endif()
  set(_rewritten)
  foreach(lib IN LISTS _ilibs)
    string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" _inner "${lib}")
    if(_inner IN_LIST _modal_header_only_deps)
      list(APPEND _rewritten "$<LINK_ONLY:$<BUILD_INTERFACE:${_inner}>>")
    else()
      list(APPEND _rewritten "${lib}")
    endif()
  endforeach()
  set_property(TARGET ${target} PROPERTY INTERFACE_LINK_LIBRARIES "${_rewritten}")
endforeach()

# The packages behind the installed targets' exported link dependencies, in a fixed order:
# find_dependency() lines for modal-config.cmake and pkg-config modules for modal.pc.
# Derived from INTERFACE_LINK_LIBRARIES (what the export carries) so that a dependency added in src/CMakeLists.txt is not
# forgotten here; an unknown one is reported at configure time.
set(_modal_known_deps
  # target regex                 | find_dependency arguments | pkg-config modules
  "^Threads::Threads$|Threads|"
  "^protobuf::libprotobuf$|Protobuf|protobuf"
  "^absl::(.+)$|absl CONFIG|absl_\\1"
  "^gRPC::grpc\\+\\+$|gRPC CONFIG|grpc++"
  "^gRPC::grpc$|gRPC CONFIG|grpc"
  "^gRPC::(.+)$|gRPC CONFIG|"
  "^spdlog::spdlog$|spdlog CONFIG|spdlog"
  "^fmt::fmt$|fmt CONFIG|fmt"
  "^CURL::libcurl$|CURL|libcurl"
  "^OpenSSL::SSL$|OpenSSL|libssl"
  "^OpenSSL::Crypto$|OpenSSL|libcrypto"
  "^ZLIB::ZLIB$|ZLIB|zlib"
  "^nlohmann_json::nlohmann_json$|nlohmann_json CONFIG|"
  "^httplib::httplib$|httplib CONFIG|"
  "^tomlplusplus::tomlplusplus$|tomlplusplus CONFIG|tomlplusplus")
set(_modal_find_deps)
set(_modal_pc_requires)
set(_modal_pc_libs)
foreach(target IN LISTS _modal_install_targets)
  get_target_property(_ilibs ${target} INTERFACE_LINK_LIBRARIES)
  foreach(lib IN LISTS _ilibs)
    if(NOT lib)
      continue()
    endif()
    string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" lib "${lib}")
    if(lib MATCHES "^\\$<BUILD_INTERFACE:")
      continue()  # not part of the export (header-only, build-only)
    endif()
    if(lib IN_LIST _modal_install_targets)
      if(lib STREQUAL "modal_protos" AND NOT "-lmodal_protos" IN_LIST _modal_pc_libs)
        list(APPEND _modal_pc_libs "-lmodal_protos")
      endif()
      continue()
    endif()
    set(_found FALSE)
    foreach(entry IN LISTS _modal_known_deps)
      string(REPLACE "|" ";" entry "${entry}")
      list(GET entry 0 _regex)
      list(GET entry 1 _package)
      list(GET entry 2 _pc)
      if(lib MATCHES "${_regex}")
        set(_found TRUE)
        if(NOT _package IN_LIST _modal_find_deps)
          list(APPEND _modal_find_deps "${_package}")
        endif()
        if(_pc)
          string(REGEX REPLACE "${_regex}" "${_pc}" _pc "${lib}")
          if(NOT _pc IN_LIST _modal_pc_requires)
            list(APPEND _modal_pc_requires "${_pc}")
          endif()
        endif()
        if(lib STREQUAL "Threads::Threads" AND NOT "-pthread" IN_LIST _modal_pc_libs)
          list(APPEND _modal_pc_libs "-pthread")
        endif()
        break()
      endif()
    endforeach()
    if(NOT _found)
      message(WARNING "ModalInstall: ${target} links ${lib}, which cmake/ModalInstall.cmake "
                      "does not know; the installed modal package may not find it")
    endif()
  endforeach()
endforeach()
set(MODAL_CONFIG_FIND_DEPENDENCIES "")
set(_modal_emitted)
foreach(entry IN LISTS _modal_known_deps)  # in the table's order
  string(REPLACE "|" ";" entry "${entry}")
  list(GET entry 1 _package)
  if(_package IN_LIST _modal_find_deps AND NOT _package IN_LIST _modal_emitted)
    list(APPEND _modal_emitted "${_package}")
    string(APPEND MODAL_CONFIG_FIND_DEPENDENCIES "find_dependency(${_package})\n")
  endif()
endforeach()
# A static libmodal always needs its dependencies, so they are public in modal.pc
# (plain `pkg-config --libs modal` then links); a shared one hides them.
list(JOIN _modal_pc_requires " " _modal_pc_requires)
list(JOIN _modal_pc_libs " " _modal_pc_libs)
get_target_property(_modal_type modal TYPE)
if(_modal_type STREQUAL "STATIC_LIBRARY")
  set(MODAL_PC_REQUIRES "Requires: ${_modal_pc_requires}")
  set(MODAL_PC_LIBS "Libs: -L\${libdir} -lmodal ${_modal_pc_libs}")
else()
  set(MODAL_PC_REQUIRES "Requires.private: ${_modal_pc_requires}")
  set(MODAL_PC_LIBS "Libs: -L\${libdir} -lmodal\nLibs.private: ${_modal_pc_libs}")
endif()

configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/modal-config.cmake.in"
  "${PROJECT_BINARY_DIR}/modal-config.cmake"
  INSTALL_DESTINATION "${MODAL_INSTALL_CMAKEDIR}")
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/modal-config-version.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMinorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/modal-config.cmake"
  "${PROJECT_BINARY_DIR}/modal-config-version.cmake"
  DESTINATION "${MODAL_INSTALL_CMAKEDIR}"
  COMPONENT modal_development)

# pkg-config: relocatable (prefix computed from the .pc file's own location).
file(RELATIVE_PATH _modal_pc_to_prefix
  "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
string(REGEX REPLACE "/$" "" _modal_pc_to_prefix "${_modal_pc_to_prefix}")
configure_file("${PROJECT_SOURCE_DIR}/cmake/modal.pc.in" "${PROJECT_BINARY_DIR}/modal.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/modal.pc"
  DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig"
  COMPONENT modal_development)

install(FILES "${PROJECT_SOURCE_DIR}/LICENSE" "${PROJECT_SOURCE_DIR}/README.md"
  DESTINATION "${CMAKE_INSTALL_DOCDIR}"
  COMPONENT modal_development
  OPTIONAL)
