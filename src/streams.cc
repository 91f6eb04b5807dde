// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "modal/streams.h"

#include <cstring>
#include <istream>
#include <mutex>
#include <ostream>
#include <streambuf>
#include <string>
#include <utility>
#include <vector>

#include "internal/streams.h"
#include "modal/errors.h"

namespace modal {
namespace internal {
namespace {

class ReaderBuf;
class WriterBuf;

}  // namespace

struct StreamReaderState {
  std::unique_ptr<ByteSource> source{};
  std::mutex mu;
  std::string chunk{};  // current chunk
  std::size_t pos = 0;  // consumed bytes of `chunk`
  bool eof = false;
  std::unique_ptr<std::streambuf> buf{};  // the istream adapters' buffer, shared by all

  // Returns bytes buffered by the istream adapter to the reader. Requires `mu`.
  void sync_istream() const {
    if (buf) buf->pubsync();
  }

  // Ensures unread bytes are available; false at the end. Requires `mu`.
  bool fill() {
    sync_istream();
    while (pos >= chunk.size()) {
      if (eof) return false;
      chunk.clear();
      pos = 0;
      if (!source->next(chunk)) {
        eof = true;
        chunk.clear();
        return false;
      }
    }
    return true;
  }

  // Like fill(), giving up at `deadline` (kTimeout). Requires `mu`.
  ByteSource::Next fill_until(std::chrono::steady_clock::time_point deadline) {
    sync_istream();
    while (pos >= chunk.size()) {
      if (eof) return ByteSource::Next::kEnd;
      chunk.clear();
      pos = 0;
      auto const got = source->next_until(chunk, deadline);
      if (got == ByteSource::Next::kTimeout) return got;
      if (got == ByteSource::Next::kEnd) {
        eof = true;
        chunk.clear();
        return got;
      }
    }
    return ByteSource::Next::kData;
  }
};

struct StreamWriterState {
  std::unique_ptr<ByteSink> sink{};
  std::mutex mu;
  bool closed = false;
  std::unique_ptr<std::streambuf> buf{};  // the ostream adapters' buffer, shared by all
  std::mutex buf_mu;                      // serializes the ostream adapters' buffer
};

namespace {

// istream adapter: hands out the reader's chunks without copying them again.
class ReaderBuf final : public std::streambuf {
 public:
  explicit ReaderBuf(StreamReaderState& s) : s_(s) {}

 protected:
  int_type underflow() override {
    std::lock_guard lock(s_.mu);
    if (!s_.fill()) {  // fill() first returns what the get area consumed
      setg(nullptr, nullptr, nullptr);
      return traits_type::eof();
    }
    char* base = s_.chunk.data() + s_.pos;
    setg(base, base, s_.chunk.data() + s_.chunk.size());
    return traits_type::to_int_type(*gptr());
  }
  // Gives bytes not yet consumed through the get area back to the reader. Called with
  // the reader's mutex held (StreamReaderState::sync_istream).
  int sync() override {
    s_.pos += static_cast<std::size_t>(gptr() - eback());
    setg(nullptr, nullptr, nullptr);
    return 0;
  }

 private:
  StreamReaderState& s_;
};

class WriterBuf final : public std::streambuf {
 public:
  explicit WriterBuf(StreamWriterState& s) : s_(s) { setp(buffer_, buffer_ + sizeof buffer_); }

 protected:
  int_type overflow(int_type ch) override {
    if (sync() != 0) return traits_type::eof();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(ch);
      pbump(1);
    }
    return traits_type::not_eof(ch);
  }
  int sync() override {
    auto const n = static_cast<std::size_t>(pptr() - pbase());
    if (n == 0) return 0;
    std::lock_guard lock(s_.mu);
    if (s_.closed) return -1;
    s_.sink->write(std::string_view(pbase(), n));  // errors propagate as exceptions
    setp(buffer_, buffer_ + sizeof buffer_);
    return 0;
  }

 private:
  StreamWriterState& s_;
  char buffer_[64 * 1024];
};

}  // namespace
}  // namespace internal

StreamReader::StreamReader(std::unique_ptr<internal::ByteSource> source)
    : state_(std::make_shared<internal::StreamReaderState>()) {
  state_->source = std::move(source);
}

std::size_t StreamReader::read(std::span<char> buffer) {
  if (buffer.empty()) return 0;
  std::lock_guard lock(state_->mu);
  if (!state_->fill()) return 0;
  auto const n = std::min(buffer.size(), state_->chunk.size() - state_->pos);
  std::memcpy(buffer.data(), state_->chunk.data() + state_->pos, n);
  state_->pos += n;
  return n;
}

std::optional<std::size_t> StreamReader::read_for(std::span<char> buffer,
                                                  std::chrono::milliseconds timeout) {
  if (timeout.count() < 0) {
    throw InvalidError("read_for timeout must not be negative, got " +
                       std::to_string(timeout.count()) + " ms");
  }
  if (buffer.empty()) return 0;
  auto const deadline = std::chrono::steady_clock::now() + timeout;
  std::lock_guard lock(state_->mu);
  auto const got = state_->fill_until(deadline);
  if (got == internal::ByteSource::Next::kTimeout) return std::nullopt;
  if (got == internal::ByteSource::Next::kEnd) return 0;
  auto const n = std::min(buffer.size(), state_->chunk.size() - state_->pos);
  std::memcpy(buffer.data(), state_->chunk.data() + state_->pos, n);
  state_->pos += n;
  return n;
}

std::optional<std::string> StreamReader::read_chunk() {
  std::lock_guard lock(state_->mu);
  if (!state_->fill()) return std::nullopt;
  std::string out;
  if (state_->pos == 0) {
    out.swap(state_->chunk);
  } else {
    out = state_->chunk.substr(state_->pos);
    state_->chunk.clear();
  }
  state_->pos = 0;
  return out;
}

std::string StreamReader::read_all() {
  // The chunks are kept as they arrive and joined once at the end: growing one string
  // would copy (and, for large outputs, page-fault) about twice the total.
  std::vector<std::string> chunks;
  std::size_t total = 0;
  while (auto chunk = read_chunk()) {
    total += chunk->size();
    chunks.push_back(std::move(*chunk));
  }
  if (chunks.size() == 1) return std::move(chunks.front());
  std::string out;
  out.reserve(total);
  for (auto const& c : chunks) out += c;
  return out;
}

std::optional<std::string> StreamReader::read_line() {
  std::lock_guard lock(state_->mu);
  std::string line;
  bool any = false;
  while (state_->fill()) {
    any = true;
    auto const* begin = state_->chunk.data() + state_->pos;
    auto const avail = state_->chunk.size() - state_->pos;
    // A byte search within the chunk, not a C string.
    // NOLINTNEXTLINE(bugprone-not-null-terminated-result)
    if (auto const* nl = static_cast<char const*>(std::memchr(begin, '\n', avail))) {
      line.append(begin, nl);
      state_->pos += static_cast<std::size_t>(nl - begin) + 1;
      return line;
    }
    line.append(begin, avail);
    state_->pos += avail;
  }
  if (!any) return std::nullopt;
  return line;
}

StreamReader::LineRange StreamReader::lines() { return LineRange(*this); }

StreamReader::LineRange::iterator& StreamReader::LineRange::iterator::operator++() {
  line_ = reader_->read_line();
  if (!line_) reader_ = nullptr;
  return *this;
}

InputStream StreamReader::istream() {
  {
    std::lock_guard lock(state_->mu);
    if (!state_->buf) state_->buf = std::make_unique<internal::ReaderBuf>(*state_);
  }
  return InputStream(state_);
}

InputStream::InputStream(std::shared_ptr<internal::StreamReaderState> state)
    : std::istream(state->buf.get()), state_(std::move(state)) {}

// Moving the std::istream base moves only the stream state: `other`'s own members (state_)
// and its buffer pointer are still to be taken over below.
// NOLINTBEGIN(bugprone-use-after-move)
InputStream::InputStream(InputStream&& other) noexcept
    : std::istream(std::move(other)), state_(std::move(other.state_)) {
  set_rdbuf(state_ ? state_->buf.get() : nullptr);
  other.set_rdbuf(nullptr);
}

InputStream& InputStream::operator=(InputStream&& other) noexcept {
  std::istream::operator=(std::move(other));
  state_ = std::move(other.state_);
  set_rdbuf(state_ ? state_->buf.get() : nullptr);
  other.set_rdbuf(nullptr);
  return *this;
}
// NOLINTEND(bugprone-use-after-move)

InputStream::~InputStream() = default;

StreamWriter::StreamWriter(std::unique_ptr<internal::ByteSink> sink)
    : state_(std::make_shared<internal::StreamWriterState>()) {
  state_->sink = std::move(sink);
}

void StreamWriter::write(std::string_view data) {
  std::lock_guard lock(state_->mu);
  if (state_->closed) throw InvalidError("write to a closed stdin stream");
  if (!data.empty()) state_->sink->write(data);
}

void StreamWriter::close() {
  {
    std::lock_guard buf_lock(state_->buf_mu);
    if (state_->buf) state_->buf->pubsync();  // what the ostream adapters buffered
  }
  std::lock_guard lock(state_->mu);
  if (state_->closed) return;
  state_->sink->close();
  state_->closed = true;
}

OutputStream StreamWriter::ostream() {
  {
    std::lock_guard lock(state_->buf_mu);
    if (!state_->buf) state_->buf = std::make_unique<internal::WriterBuf>(*state_);
  }
  return OutputStream(state_);
}

OutputStream::OutputStream(std::shared_ptr<internal::StreamWriterState> state)
    : std::ostream(state->buf.get()), state_(std::move(state)) {
  exceptions(std::ios::badbit);
}

// As InputStream's: the base's move leaves `other`'s own members to take over.
// NOLINTBEGIN(bugprone-use-after-move)
OutputStream::OutputStream(OutputStream&& other) noexcept
    : std::ostream(std::move(other)), state_(std::move(other.state_)) {
  set_rdbuf(state_ ? state_->buf.get() : nullptr);
  other.set_rdbuf(nullptr);
}

OutputStream& OutputStream::operator=(OutputStream&& other) noexcept {
  if (this != &other) {
    try {
      if (rdbuf() != nullptr) flush();
    } catch (...) {
    }
    std::ostream::operator=(std::move(other));
    state_ = std::move(other.state_);
    set_rdbuf(state_ ? state_->buf.get() : nullptr);
    other.set_rdbuf(nullptr);
  }
  return *this;
}
// NOLINTEND(bugprone-use-after-move)

OutputStream::~OutputStream() {
  if (rdbuf() == nullptr) return;
  try {
    flush();
  } catch (...) {
    // A destructor must not throw; flush() before destruction reports errors.
  }
}

}  // namespace modal
