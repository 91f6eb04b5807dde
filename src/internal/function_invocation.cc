// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "internal/function_invocation.h"

#include <cstdio>
#include <memory>
#include <mutex>

#include "internal/blob.h"
#include "internal/cbor.h"
#include "internal/client_state.h"
#include "internal/function_state.h"
#include "modal/errors.h"

namespace modal::internal {
namespace {

namespace mc = modal::client;

/// Margin on top of a server-side long poll for the per-attempt deadline.
constexpr auto kLongPollMargin = std::chrono::seconds(15);
constexpr char kInputPlaneRegionHeader[] = "x-modal-input-plane-region";

double now_seconds() {
  auto const d = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration<double>(d).count();
}

float to_seconds(Clock::duration d) {
  return std::chrono::duration<float>(std::max(d, Clock::duration::zero())).count();
}

CallOptions long_poll_options(Clock::duration poll, std::stop_token const& stop) {
  CallOptions opts;
  opts.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(poll) + kLongPollMargin;
  opts.control.stop = stop;
  return opts;
}

/// The Client's input-plane stubs, one channel per URL (created on first use).
struct InputPlaneStubs {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<ModalStub>> stubs;  // guarded by mu

  std::shared_ptr<ModalStub> get(ClientState& client, std::string const& url) {
    std::lock_guard lock(mu);
    auto& slot = stubs[url];
    if (!slot) {
      auto const address = parse_server_url(url);
      client.logger().debug("creating the input-plane channel for {}", url);
      slot = std::shared_ptr<ModalStub>(
          mc::ModalClient::NewStub(client.connections().channel(address.target, address.tls)));
    }
    return slot;
  }
};

/// One unary call on an input-plane stub through the control plane's pipeline (the same
/// headers, auth token, retries and observer).
template <typename Req, typename Resp>
Resp input_plane_call(ClientState& client, ModalStub& stub,
                      UnaryRpc<ModalStub, Req, Resp> const& rpc, Req const& req,
                      std::string const& region, CallOptions const& opts = {}) {
  client.throw_if_closed();
  Resp resp;
  auto& pipeline = client.pipeline();
  auto const status = run_call(
      pipeline, rpc.name, pipeline.unary_policy(opts), opts.control,
      [&](Attempt& attempt) {
        resp.Clear();
        if (!region.empty()) attempt.context().AddMetadata(kInputPlaneRegionHeader, region);
        return rpc(stub, attempt.context(), req, &resp);
      },
      opts.scope);
  if (!status.ok()) throw_call_error(status, rpc.name, opts);
  return resp;
}

/// Fetches one output (or none) within a server-side long poll of `poll`.
using OutputPoll = std::function<std::optional<mc::FunctionGetOutputsItem>(Clock::duration poll)>;

std::string describe_timeout(std::chrono::milliseconds t) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1fs", std::chrono::duration<double>(t).count());
  return buf;
}

/// Polls in slices of ≤ 55 s until an output comes or `timeout` passes. Each slice is
/// its own call (a fresh idempotency key, as upstream's SDKs send per poll); transient
/// failures within a slice are the retry engine's.
Value poll_output(ClientState& client, OutputPoll const& poll_once,
                  std::optional<std::chrono::milliseconds> timeout, std::stop_token const& stop,
                  BlobFetcher const& fetch) {
  auto& timer = client.timer();
  auto const start = timer.now();
  Clock::duration poll = kOutputsTimeout;
  if (timeout) poll = std::min<Clock::duration>(poll, *timeout);
  while (true) {
    if (auto item = poll_once(poll)) {
      if (!item->has_result()) throw RemoteError("Received null result from invocation");
      return result_value(item->result(), item->data_format(), fetch);
    }
    if (timeout) {
      auto const remaining = start + *timeout - timer.now();
      if (remaining <= Clock::duration::zero()) {
        throw FunctionTimeoutError("Timeout exceeded: " + describe_timeout(*timeout));
      }
      poll = std::min<Clock::duration>(kOutputsTimeout, remaining);
    }
    if (stop.stop_requested()) {
      throw CancelledError("waiting for the Function's output was cancelled");
    }
  }
}

/// One input on the control plane.
class ControlPlaneInvocation {
 public:
  ControlPlaneInvocation(ClientState& client, std::string function_id, mc::FunctionInput input,
                         mc::FunctionCallInvocationType type)
      : client_(client), input_(std::move(input)) {
    mc::FunctionMapRequest req;
    req.set_function_id(function_id);
    req.set_function_call_type(mc::FUNCTION_CALL_TYPE_UNARY);
    req.set_function_call_invocation_type(type);
    auto* item = req.add_pipelined_inputs();
    item->set_idx(0);
    *item->mutable_input() = input_;
    auto resp = client_.call(rpc::FunctionMap, req);
    if (resp.function_call_id().empty()) {
      throw Error("FunctionMap returned no function call id", StatusCode::kInternal,
                  std::string(rpc::FunctionMap.name));
    }
    function_call_id_ = resp.function_call_id();
    function_call_jwt_ = resp.function_call_jwt();
    if (resp.pipelined_inputs_size() > 0) input_jwt_ = resp.pipelined_inputs(0).input_jwt();
  }

  std::string const& function_call_id() const { return function_call_id_; }

  Value await_output() {
    return poll_output(
        client_,
        [&](Clock::duration poll) {
          std::vector<std::string> jwts;
          if (!input_jwt_.empty()) jwts.push_back(input_jwt_);
          return get_outputs(client_, function_call_id_, poll, true, jwts, {});
        },
        std::nullopt, {}, [&](std::string const& id) { return blob_download(client_, id); });
  }

  void retry(std::uint32_t retry_count) {
    mc::FunctionRetryInputsRequest req;
    req.set_function_call_jwt(function_call_jwt_);
    auto* item = req.add_inputs();
    item->set_input_jwt(input_jwt_);
    *item->mutable_input() = input_;
    item->set_retry_count(retry_count);
    auto resp = client_.call(rpc::FunctionRetryInputs, req);
    if (resp.input_jwts_size() < 1) {
      throw Error("FunctionRetryInputs returned no input JWT", StatusCode::kInternal,
                  std::string(rpc::FunctionRetryInputs.name));
    }
    input_jwt_ = resp.input_jwts(0);
  }

  static std::optional<mc::FunctionGetOutputsItem> get_outputs(
      ClientState& client, std::string const& function_call_id, Clock::duration poll,
      bool clear_on_success, std::vector<std::string> const& input_jwts,
      std::stop_token const& stop) {
    mc::FunctionGetOutputsRequest req;
    req.set_function_call_id(function_call_id);
    req.set_max_values(1);
    req.set_timeout(to_seconds(poll));
    req.set_last_entry_id("0-0");
    req.set_clear_on_success(clear_on_success);
    for (auto const& j : input_jwts) req.add_input_jwts(j);
    req.set_requested_at(now_seconds());
    auto resp = client.call(rpc::FunctionGetOutputs, req, long_poll_options(poll, stop));
    if (resp.outputs_size() == 0) return std::nullopt;
    return resp.outputs(0);
  }

 private:
  ClientState& client_;
  mc::FunctionInput input_;
  std::string function_call_id_;
  std::string function_call_jwt_;
  std::string input_jwt_;
};

/// One input on the Function's input plane.
class InputPlaneInvocation {
 public:
  InputPlaneInvocation(ClientState& client, std::string function_id, mc::FunctionInput input,
                       std::string const& url, std::string region)
      : client_(client),
        function_id_(std::move(function_id)),
        region_(std::move(region)),
        stub_(client.domain<InputPlaneStubs>().get(client, url)) {
    item_.set_idx(0);
    *item_.mutable_input() = std::move(input);
    mc::AttemptStartRequest req;
    req.set_function_id(function_id_);
    *req.mutable_input() = item_;
    auto resp = input_plane_call(client_, *stub_, rpc::AttemptStart, req, region_);
    if (resp.attempt_token().empty()) {
      throw Error("AttemptStart returned no attempt token", StatusCode::kInternal,
                  std::string(rpc::AttemptStart.name));
    }
    token_ = resp.attempt_token();
  }

  Value await_output() {
    return poll_output(
        client_,
        [&](Clock::duration poll) -> std::optional<mc::FunctionGetOutputsItem> {
          mc::AttemptAwaitRequest req;
          req.set_attempt_token(token_);
          req.set_requested_at(now_seconds());
          req.set_timeout_secs(to_seconds(poll));
          auto resp = input_plane_call(client_, *stub_, rpc::AttemptAwait, req, region_,
                                       long_poll_options(poll, {}));
          if (!resp.has_output()) return std::nullopt;
          return resp.output();
        },
        std::nullopt, {},
        [&](std::string const& id) {
          mc::BlobGetRequest req;
          req.set_blob_id(id);
          auto resp = input_plane_call(client_, *stub_, rpc::BlobGet, req, region_,
                                       {.not_found = "blob '" + id + "' not found"});
          return http_get(client_.pipeline(), resp.download_url());
        });
  }

  void retry(std::uint32_t /*retry_count: the control plane's only*/) {
    mc::AttemptRetryRequest req;
    req.set_function_id(function_id_);
    *req.mutable_input() = item_;
    req.set_attempt_token(token_);
    auto resp = input_plane_call(client_, *stub_, rpc::AttemptRetry, req, region_);
    if (resp.attempt_token().empty()) {
      throw Error("AttemptRetry returned no attempt token", StatusCode::kInternal,
                  std::string(rpc::AttemptRetry.name));
    }
    token_ = resp.attempt_token();
  }

 private:
  ClientState& client_;
  std::string function_id_;
  std::string region_;
  std::shared_ptr<ModalStub> stub_;
  mc::FunctionPutInputsItem item_;
  std::string token_;
};

void check_no_web_url(FunctionState const& fn, char const* method) {
  if (!fn.metadata.web_url().empty()) {
    throw InvalidError(
        std::string("A webhook Function cannot be invoked for remote execution with '") + method +
        "'. Invoke this Function via its web url '" + fn.metadata.web_url() + "' instead");
  }
}

template <typename Invocation>
Value await_with_retries(FunctionState const& fn, Invocation& inv) {
  std::uint32_t retry_count = 0;
  while (true) {
    try {
      return inv.await_output();
    } catch (InternalFailure const& e) {
      if (retry_count > kMaxSystemRetries) throw;
      fn.client->logger().debug("retrying the input of {} after an internal failure ({}): {}",
                                fn.function_id, retry_count, e.what());
      inv.retry(retry_count);
      ++retry_count;
    }
  }
}

}  // namespace

bool should_upload(std::uint64_t num_bytes, std::uint64_t max_object_size,
                   std::uint64_t max_async_object_size, mc::FunctionCallInvocationType type) {
  return num_bytes > max_object_size ||
         (type == mc::FUNCTION_CALL_INVOCATION_TYPE_ASYNC && num_bytes > max_async_object_size);
}

Value result_value(mc::GenericResult const& result, mc::DataFormat data_format,
                   BlobFetcher const& fetch) {
  switch (result.status()) {
    case mc::GenericResult::GENERIC_STATUS_SUCCESS:
      break;
    case mc::GenericResult::GENERIC_STATUS_TIMEOUT:
      throw FunctionTimeoutError(result.exception().empty() ? "the Function's input timed out"
                                                            : result.exception());
    case mc::GenericResult::GENERIC_STATUS_INTERNAL_FAILURE:
      throw InternalFailure(result.exception().empty() ? "internal failure" : result.exception());
    default:
      // The pickled exception and traceback in `data` are Python's; the text is ours.
      throw RemoteError(result.exception().empty()
                            ? "the Function failed (" +
                                  mc::GenericResult::GenericStatus_Name(result.status()) + ")"
                            : result.exception());
  }
  std::string fetched;
  std::string const* data = &result.data();
  if (result.data_oneof_case() == mc::GenericResult::kDataBlobId) {
    fetched = fetch(result.data_blob_id());
    data = &fetched;
  }
  switch (data_format) {
    case mc::DATA_FORMAT_CBOR:
      return cbor_decode(*data);
    case mc::DATA_FORMAT_PICKLE:
      throw InvalidError(
          "PICKLE output format is not supported - remote function must return CBOR format");
    case mc::DATA_FORMAT_ASGI:
      throw InvalidError("ASGI data format is not supported by this SDK");
    case mc::DATA_FORMAT_GENERATOR_DONE:
      throw InvalidError("generator Functions are not supported by this SDK");
    default:
      throw InvalidError("unsupported data format: " + mc::DataFormat_Name(data_format));
  }
}

mc::FunctionInput make_function_input(ClientState& client, mc::FunctionHandleMetadata const& md,
                                      std::vector<Value> const& args,
                                      std::map<std::string, Value> const& kwargs,
                                      mc::FunctionCallInvocationType type) {
  bool cbor = false;
  for (auto f : md.supported_input_formats()) cbor = cbor || f == mc::DATA_FORMAT_CBOR;
  if (!cbor) {
    throw InvalidError(
        "cannot call Modal Function from the C++ SDK since it was deployed with an incompatible "
        "Python SDK version. Redeploy with Modal Python SDK >= 1.2");
  }
  std::string payload = cbor_encode_call(args, kwargs);
  auto const max_size =
      md.has_max_object_size_bytes() ? md.max_object_size_bytes() : kMaxObjectSizeBytes;
  auto const max_async = md.has_max_async_object_size_bytes() ? md.max_async_object_size_bytes()
                                                              : kMaxAsyncObjectSizeBytes;
  mc::FunctionInput input;
  if (should_upload(payload.size(), max_size, max_async, type)) {
    input.set_args_blob_id(blob_upload(client, payload));
  } else {
    input.set_args(std::move(payload));
  }
  input.set_data_format(mc::DATA_FORMAT_CBOR);
  input.set_method_name(md.use_method_name());
  return input;
}

Value invoke_remote(FunctionState const& fn, std::vector<Value> const& args,
                    std::map<std::string, Value> const& kwargs) {
  check_no_web_url(fn, "remote");
  auto& client = *fn.client;
  client.throw_if_closed();
  auto input = make_function_input(client, fn.metadata, args, kwargs,
                                   mc::FUNCTION_CALL_INVOCATION_TYPE_SYNC);
  if (!fn.metadata.input_plane_url().empty()) {
    InputPlaneInvocation inv(client, fn.function_id, std::move(input),
                             fn.metadata.input_plane_url(), fn.metadata.input_plane_region());
    return await_with_retries(fn, inv);
  }
  ControlPlaneInvocation inv(client, fn.function_id, std::move(input),
                             mc::FUNCTION_CALL_INVOCATION_TYPE_SYNC);
  return await_with_retries(fn, inv);
}

std::string invoke_spawn(FunctionState const& fn, std::vector<Value> const& args,
                         std::map<std::string, Value> const& kwargs) {
  check_no_web_url(fn, "spawn");
  auto& client = *fn.client;
  client.throw_if_closed();
  auto input = make_function_input(client, fn.metadata, args, kwargs,
                                   mc::FUNCTION_CALL_INVOCATION_TYPE_ASYNC);
  ControlPlaneInvocation inv(client, fn.function_id, std::move(input),
                             mc::FUNCTION_CALL_INVOCATION_TYPE_ASYNC);
  return inv.function_call_id();
}

Value await_function_call(ClientState& client, std::string const& function_call_id,
                          std::optional<std::chrono::milliseconds> timeout,
                          std::stop_token const& stop) {
  if (timeout && timeout->count() < 0) {
    throw InvalidError("FunctionCall get timeout must not be negative, got " +
                       std::to_string(timeout->count()) + " ms");
  }
  return poll_output(
      client,
      [&](Clock::duration poll) {
        return ControlPlaneInvocation::get_outputs(client, function_call_id, poll, false, {}, stop);
      },
      timeout, stop, [&](std::string const& id) { return blob_download(client, id); });
}

}  // namespace modal::internal
