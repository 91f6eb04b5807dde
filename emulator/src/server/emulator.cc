// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "modal/emulator.h"

#include <malloc.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "control/control_plane.h"
#include "control/function_fixtures.h"
#include "router/router.h"
#include "server/blob_server.h"
#include "server/call_log.h"
#include "server/core.h"

namespace modal::emulator {
namespace {

constexpr int kMaxMessageBytes = 100 * 1024 * 1024;
// In-flight calls (long polls) get this long to finish before the server cancels them.
constexpr auto kShutdownGrace = std::chrono::milliseconds(200);

// Exec output is streamed in messages of ~4 MiB, and gRPC serializes each into freshly
// allocated slices. With glibc's default thresholds the freed MiB-sized blocks go back to
// the kernel (heap trimming, munmap) and are faulted in again for the next message, which
// costs about ten times the copy itself. Keep freed memory for reuse instead (exec
// throughput, see docs/performance.md).
void tune_allocator_for_streaming() {
  static std::once_flag once;
  std::call_once(once, [] {
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
  });
}

}  // namespace

class Emulator::Impl {
 public:
  explicit Impl(EmulatorOptions options)
      : core_(std::move(options)), control_plane_(core_), router_(core_) {
    control_plane_.set_router(&router_);  // SandboxContainerCreateV2 starts sidecars there
    tune_allocator_for_streaming();
    grpc::ServerBuilder builder;
    std::string const& host = core_.options().host;
    bool const v6 = host.find(':') != std::string::npos && host.front() != '[';
    std::string const listen =
        (v6 ? "[" + host + "]" : host) + ":" + std::to_string(core_.options().port);
    int selected_port = 0;
    builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &selected_port);
    builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
    builder.SetMaxSendMessageSize(kMaxMessageBytes);
    // gRPC sets SO_REUSEPORT by default, which would let a second emulator (or anything
    // else) silently share a fixed port: binding a taken port must fail instead.
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    builder.RegisterService(&control_plane_);
    builder.RegisterService(&router_);
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
        interceptors;
    interceptors.push_back(make_call_log_factory(core_));
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
    server_ = builder.BuildAndStart();
    if (server_ == nullptr || selected_port == 0) {
      throw std::runtime_error("modal-emulator: could not listen on " + listen);
    }
    core_.set_port(selected_port);
    blob_server_ =
        std::make_unique<BlobServer>(core_.blobs(), host,
                                     [this](std::string const& app, std::string const& fn,
                                            std::map<std::string, std::string> const& query) {
                                       return serve_web_endpoint(core_, app, fn, query);
                                     });
    core_.set_blob_url(blob_server_->url());
    core_.log("listening on " + core_.address() + " (blobs: " + blob_server_->url() + ")");
  }

  ~Impl() { shutdown(); }

  Core& core() { return core_; }
  Router& router() { return router_; }

  void shutdown() {
    std::call_once(shutdown_once_, [this] {
      core_.begin_shutdown();  // kill sandboxes, wake long polls
      server_->Shutdown(std::chrono::system_clock::now() + kShutdownGrace);
      if (blob_server_ != nullptr) blob_server_->stop();
      {
        std::lock_guard<std::mutex> lock(mu_);
        stopped_ = true;
      }
      cv_.notify_all();
    });
    // A concurrent second caller returns only once the first has finished.
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return stopped_; });
  }

  void wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return stopped_; });
  }

 private:
  Core core_;
  ControlPlane control_plane_;
  Router router_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<BlobServer> blob_server_;
  std::once_flag shutdown_once_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

Emulator::Emulator(EmulatorOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Emulator::~Emulator() { impl_->shutdown(); }

int Emulator::port() const { return impl_->core().port(); }

std::string Emulator::address() const { return impl_->core().address(); }

std::string Emulator::server_url() const { return impl_->core().server_url(); }

EmulatorOptions const& Emulator::options() const { return impl_->core().options(); }

void Emulator::inject_fault(std::string const& method, Fault fault) {
  impl_->core().inject_fault(method, std::move(fault));
}

void Emulator::clear_faults() { impl_->core().clear_faults(); }

std::vector<ReceivedCall> Emulator::received_calls(std::string_view method) const {
  return impl_->core().received_calls(method);
}

void Emulator::clear_received_calls() { impl_->core().clear_received_calls(); }

void Emulator::break_stdio_every(std::uint64_t bytes) {
  impl_->router().set_stdio_break_every(bytes);
}

void Emulator::break_stdin_streams_every(std::uint64_t bytes) {
  impl_->router().set_stdin_stream_break_every(bytes);
}

void Emulator::fail_function_outputs(std::string const& app, std::string const& name, int count,
                                     std::string const& environment) {
  auto def = impl_->core().functions().lookup(environment, app, name);
  if (!def.ok()) throw std::invalid_argument(std::string(def.status().message()));
  impl_->core().functions().fail_next((*def)->id, count);
}

void Emulator::expire_router_tokens() { impl_->router().expire_tokens(); }

void Emulator::shutdown() { impl_->shutdown(); }

void Emulator::wait() { impl_->wait(); }

}  // namespace modal::emulator
