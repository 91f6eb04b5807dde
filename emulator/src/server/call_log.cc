// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "server/call_log.h"

#include <cctype>
#include <map>
#include <string>
#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace modal::emulator {
namespace {

using grpc::experimental::InterceptionHookPoints;

std::string short_method_name(char const* full) {
  std::string_view name = full == nullptr ? std::string_view() : std::string_view(full);
  auto const slash = name.rfind('/');
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  return std::string(name);
}

class CallLogInterceptor final : public grpc::experimental::Interceptor {
 public:
  CallLogInterceptor(Core& core, grpc::experimental::ServerRpcInfo* info)
      : core_(core), method_(short_method_name(info->method())) {}

  ~CallLogInterceptor() override {
    // The call ended without the server sending a status (client went away).
    if (started_ && !finished_) {
      core_.finish_call(seq_, static_cast<int>(grpc::StatusCode::CANCELLED));
    }
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      std::multimap<std::string, std::string> md;
      if (auto* recv = methods->GetRecvInitialMetadata(); recv != nullptr) {
        for (auto const& [key, value] : *recv) {
          std::string k(key.data(), key.size());
          for (auto& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          if (absl::EndsWith(k, "-bin")) continue;
          md.emplace(std::move(k), std::string(value.data(), value.size()));
        }
      }
      seq_ = core_.begin_call(method_, std::move(md));
      started_ = true;
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      grpc::Status const st = methods->GetSendStatus();
      if (started_) core_.finish_call(seq_, static_cast<int>(st.error_code()));
      finished_ = true;
      if (st.ok()) {
        core_.log(absl::StrCat(method_, " -> OK"));
      } else {
        core_.log(absl::StrCat(method_, " -> code ", static_cast<int>(st.error_code()), ": ",
                               st.error_message()));
      }
    }
    methods->Proceed();
  }

 private:
  Core& core_;
  std::string method_;
  std::uint64_t seq_ = 0;
  bool started_ = false;
  bool finished_ = false;
};

class CallLogFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CallLogFactory(Core& core) : core_(core) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new CallLogInterceptor(core_, info);
  }

 private:
  Core& core_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> make_call_log_factory(
    Core& core) {
  return std::make_unique<CallLogFactory>(core);
}

}  // namespace modal::emulator
