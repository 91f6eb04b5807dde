# Install rules and the CMake package `modal` (find_package(modal CONFIG) -> modal::modal;
# with COMPONENTS emulator also modal::emulator). Included from the top-level
# CMakeLists.txt when MODAL_INSTALL is ON.
#
# Installed layout (relative to the prefix), by install component:
#   modal_development
#     include/modal/*.h                         public headers of the SDK
#     lib/libmodal.a, lib/libmodal_protos.a     the SDK and its generated protocol code
#     lib/cmake/modal/modal-config.cmake        package config (+ version file, targets)
#     lib/pkgconfig/modal.pc                    for pkg-config users
#     share/doc/modal_cpp/{LICENSE,README.md}
#   modal_emulator_development (when the emulator is built)
#     include/modal/emulator.h                  the in-process emulator for users' tests
#     lib/libmodal_emulator.a, lib/libmodal_emulator_runtime.a,
#     lib/libmodal_emulator_image_unpack.a
#     lib/cmake/modal/modal-emulator-targets.cmake   loaded for COMPONENTS emulator
#   modal_emulator
#     bin/modal-emulator
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

# The packages behind installed targets' exported link dependencies, in a fixed order:
# find_dependency() lines for modal-config.cmake and pkg-config modules for modal.pc.
# Derived from INTERFACE_LINK_LIBRARIES (what the export carries) so that a dependency added
# in a CMakeLists.txt is not forgotten here; an unknown one is reported at configure time.
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
  "^LibArchive::LibArchive$|LibArchive|libarchive"
  "^nlohmann_json::nlohmann_json$|nlohmann_json CONFIG|"
  "^httplib::httplib$|httplib CONFIG|"
  # The emulator's blob server: Debian's compiled cpp-httplib (a pkg-config module and no
  # CMake package; it needs OpenSSL, found for the SDK's digests anyway).
  "^\\$<INSTALL_INTERFACE:cpp-httplib>$|OpenSSL|cpp-httplib"
  "^tomlplusplus::tomlplusplus$|tomlplusplus CONFIG|tomlplusplus")

# _modal_collect_deps(<targets> <installed targets> <prefix>): for the link dependencies of
# <targets> that are not themselves installed targets, sets <prefix>_FIND (the
# find_dependency lines, in the table's order), <prefix>_PC_REQUIRES (pkg-config modules)
# and <prefix>_PC_LIBS (-lmodal_protos, -pthread) in the caller's scope.
function(_modal_collect_deps targets installed prefix)
  set(find_deps)
  set(pc_requires)
  set(pc_libs)
  foreach(target IN LISTS targets)
    get_target_property(ilibs ${target} INTERFACE_LINK_LIBRARIES)
    foreach(lib IN LISTS ilibs)
      if(NOT lib)
        continue()
      endif()
      string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" lib "${lib}")
      if(lib MATCHES "^\\$<BUILD_INTERFACE:")
        continue()  # not part of the export (header-only, build-only)
      endif()
      if(lib IN_LIST installed)
        if(lib STREQUAL "modal_protos" AND NOT "-lmodal_protos" IN_LIST pc_libs)
          list(APPEND pc_libs "-lmodal_protos")
        endif()
        continue()
      endif()
      set(found FALSE)
      foreach(entry IN LISTS _modal_known_deps)
        string(REPLACE "|" ";" entry "${entry}")
        list(GET entry 0 regex)
        list(GET entry 1 package)
        list(GET entry 2 pc)
        if(lib MATCHES "${regex}")
          set(found TRUE)
          if(NOT package IN_LIST find_deps)
            list(APPEND find_deps "${package}")
          endif()
          if(pc)
            string(REGEX REPLACE "${regex}" "${pc}" pc "${lib}")
            if(NOT pc IN_LIST pc_requires)
              list(APPEND pc_requires "${pc}")
            endif()
          endif()
          if(lib STREQUAL "Threads::Threads" AND NOT "-pthread" IN_LIST pc_libs)
            list(APPEND pc_libs "-pthread")
          endif()
          break()
        endif()
      endforeach()
      if(NOT found)
        message(WARNING "ModalInstall: ${target} links ${lib}, which cmake/ModalInstall.cmake "
                        "does not know; the installed modal package may not find it")
      endif()
    endforeach()
  endforeach()
  set(lines "")
  set(emitted)
  foreach(entry IN LISTS _modal_known_deps)  # in the table's order
    string(REPLACE "|" ";" entry "${entry}")
    list(GET entry 1 package)
    if(package IN_LIST find_deps AND NOT package IN_LIST emitted)
      list(APPEND emitted "${package}")
      string(APPEND lines "find_dependency(${package})\n")
    endif()
  endforeach()
  set(${prefix}_FIND "${lines}" PARENT_SCOPE)
  set(${prefix}_PC_REQUIRES "${pc_requires}" PARENT_SCOPE)
  set(${prefix}_PC_LIBS "${pc_libs}" PARENT_SCOPE)
endfunction()

_modal_collect_deps("${_modal_install_targets}" "${_modal_install_targets}" _modal_sdk)
set(MODAL_CONFIG_FIND_DEPENDENCIES "${_modal_sdk_FIND}")
set(_modal_pc_requires "${_modal_sdk_PC_REQUIRES}")
set(_modal_pc_libs "${_modal_sdk_PC_LIBS}")
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

# The emulator component (find_package(modal COMPONENTS emulator) -> modal::emulator): the
# in-process emulator for users' tests, with the static libraries it needs that the SDK's
# export does not already carry (modal_protos does). Its own targets file is loaded only
# when the component is asked for, so the SDK package never needs it.
set(MODAL_EMULATOR_FIND_DEPENDENCIES "")
if(TARGET modal_emulator AND TARGET modal_emulator_runtime)
  set(_modal_emulator_targets modal_emulator modal_emulator_runtime modal_emulator_image_unpack)
  install(FILES "${PROJECT_SOURCE_DIR}/emulator/include/modal/emulator.h"
    DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/modal"
    COMPONENT modal_emulator_development)
  install(TARGETS ${_modal_emulator_targets}
    EXPORT modal-emulator-targets
    ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT modal_emulator_development)
  install(EXPORT modal-emulator-targets
    NAMESPACE modal::
    FILE modal-emulator-targets.cmake
    DESTINATION "${MODAL_INSTALL_CMAKEDIR}"
    COMPONENT modal_emulator_development)
  _modal_collect_deps("${_modal_emulator_targets}"
    "${_modal_install_targets};${_modal_emulator_targets}" _modal_emulator)
  string(REPLACE "find_dependency(" "    find_dependency(" MODAL_EMULATOR_FIND_DEPENDENCIES
    "${_modal_emulator_FIND}")
endif()
if(TARGET modal-emulator)
  install(TARGETS modal-emulator
    RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}" COMPONENT modal_emulator)
  # The Sandboxes' filesystem tool, where the emulator looks for it first.
  install(TARGETS modal-sandbox-fs-tools
    RUNTIME DESTINATION "${CMAKE_INSTALL_LIBEXECDIR}/modal" COMPONENT modal_emulator)
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
