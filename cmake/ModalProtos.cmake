# Generates C++ and gRPC code for proto/modal_proto/*.proto into the build tree and
# builds it as the internal static library `modal_protos`.
set(MODAL_PROTO_DIR "${PROJECT_SOURCE_DIR}/proto")
set(MODAL_PROTO_FILES api task_command_router)
set(MODAL_PROTO_OUT "${PROJECT_BINARY_DIR}/generated")
file(MAKE_DIRECTORY "${MODAL_PROTO_OUT}/modal_proto")

set(_modal_proto_srcs)
set(_modal_proto_inputs)
foreach(name IN LISTS MODAL_PROTO_FILES)
  list(APPEND _modal_proto_inputs "${MODAL_PROTO_DIR}/modal_proto/${name}.proto")
endforeach()
foreach(name IN LISTS MODAL_PROTO_FILES)
  set(_out "${MODAL_PROTO_OUT}/modal_proto/${name}")
  add_custom_command(
    OUTPUT "${_out}.pb.cc" "${_out}.pb.h" "${_out}.grpc.pb.cc" "${_out}.grpc.pb.h"
    COMMAND ${Protobuf_PROTOC_EXECUTABLE}
      "-I${MODAL_PROTO_DIR}"
      "--cpp_out=${MODAL_PROTO_OUT}"
      "--grpc_out=${MODAL_PROTO_OUT}"
      "--plugin=protoc-gen-grpc=${MODAL_GRPC_CPP_PLUGIN}"
      "${MODAL_PROTO_DIR}/modal_proto/${name}.proto"
    DEPENDS ${_modal_proto_inputs}
    COMMENT "Generating code for modal_proto/${name}.proto"
    VERBATIM)
  list(APPEND _modal_proto_srcs "${_out}.pb.cc" "${_out}.grpc.pb.cc")
endforeach()

add_library(modal_protos STATIC ${_modal_proto_srcs})
target_include_directories(modal_protos SYSTEM PUBLIC $<BUILD_INTERFACE:${MODAL_PROTO_OUT}>)
target_link_libraries(modal_protos PUBLIC protobuf::libprotobuf gRPC::grpc++)
set_target_properties(modal_protos PROPERTIES POSITION_INDEPENDENT_CODE ON)
