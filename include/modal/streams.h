// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_STREAMS_H
#define MODAL_STREAMS_H

#include <chrono>
#include <cstddef>
#include <istream>
#include <iterator>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

namespace modal {
namespace internal {
class ByteSource;
class ByteSink;
struct StreamReaderState;
struct StreamWriterState;
}  // namespace internal

class InputStream;
class OutputStream;

/**
 * A blocking, byte-exact reader of a remote output stream (a Sandbox's or a process's
 * stdout or stderr). Data is fetched lazily on the first read. Interrupted transfers
 * resume where they stopped, so no byte is lost or repeated.
 *
 * @par Thread Safety
 * Copies share one stream position. Reads on one stream are serialized internally; read
 * different streams (stdout and stderr) from different threads to consume both at once.
 */
class StreamReader {
 public:
  /// Reads up to `buffer.size()` bytes, blocking until at least one byte or the end.
  /// @return the number of bytes read; 0 only at the end of the stream.
  std::size_t read(std::span<char> buffer);
  /// Reads the next chunk as the server delivered it (any size > 0); nullopt at the end.
  std::optional<std::string> read_chunk();
  /// Reads everything up to the end of the stream.
  std::string read_all();
  /// Reads one line without its trailing '\n'; nullopt at the end. A last line without
  /// a newline is still returned.
  std::optional<std::string> read_line();
  /// Like read(), waiting at most `timeout` for the first byte.
  /// @return the number of bytes read (0 only at the end of the stream), or nullopt if
  ///   nothing arrived in time (nothing is consumed then; read again later).
  std::optional<std::size_t> read_for(std::span<char> buffer, std::chrono::milliseconds timeout);

  /// An input range of lines: `for (std::string const& line : reader.lines())`.
  class LineRange;
  /// The remaining lines, each as `read_line()` returns it.
  LineRange lines();

  /// A std::istream over the stream (`>>`, `std::getline`). It shares this reader's
  /// position and keeps the stream alive, so it stays valid when the reader, the
  /// process or the Sandbox handle it came from are gone:
  /// `auto in = sb.exec({"cat", "f"}).stdout_stream().istream(); while (in >> x) ...`
  InputStream istream();

  /// Wraps a source; used by the SDK to build readers.
  explicit StreamReader(std::unique_ptr<internal::ByteSource> source);

 private:
  std::shared_ptr<internal::StreamReaderState> state_;
};

/// An input range of the lines of a StreamReader; see `StreamReader::lines()`.
class StreamReader::LineRange {
 public:
  /// An input iterator over the lines; incrementing it reads the next line.
  class iterator {
   public:
    /// Standard input-iterator member types.
    /// @{
    using iterator_category = std::input_iterator_tag;
    using value_type = std::string;
    using difference_type = std::ptrdiff_t;
    using pointer = std::string const*;
    using reference = std::string const&;
    /// @}

    /// The end iterator.
    iterator() = default;
    /// The current line.
    reference operator*() const { return *line_; }
    /// The current line.
    pointer operator->() const { return &*line_; }
    /// Reads the next line; becomes the end iterator after the last one.
    iterator& operator++();
    /// Reads the next line, as the prefix `++` does.
    void operator++(int) { ++*this; }
    /// Iterators are equal when both are the end or both read the same range.
    friend bool operator==(iterator const& a, iterator const& b) { return a.reader_ == b.reader_; }

   private:
    friend class LineRange;
    explicit iterator(StreamReader* reader) : reader_(reader) { ++*this; }
    StreamReader* reader_ = nullptr;  // nullptr = end
    std::optional<std::string> line_;
  };

  /// Reads the next line and returns an iterator to it; the end iterator at the end.
  iterator begin() { return iterator(&reader_); }
  /// The end iterator.
  iterator end() { return iterator(); }

 private:
  friend class StreamReader;
  explicit LineRange(StreamReader reader) : reader_(std::move(reader)) {}
  StreamReader reader_;
};

/**
 * A blocking writer to a remote input stream (stdin). Each write is applied exactly once
 * even when retried. `close()` sends end-of-file.
 *
 * @par Thread Safety
 * Copies share one stream. Writes are serialized internally, in call order.
 */
class StreamWriter {
 public:
  /// Sends `data`; returns once the server accepted it.
  void write(std::string_view data);
  /// Sends end-of-file. Later writes throw InvalidError. Idempotent.
  void close();
  /// A std::ostream over the stream (buffered: flush() or std::endl sends, and so does
  /// its destruction). It keeps the stream alive, so it stays valid when the writer,
  /// the process or the Sandbox handle it came from are gone. Write errors set badbit
  /// and throw (std::ios::badbit is in exceptions()), except during destruction.
  OutputStream ostream();

  /// Wraps a sink; used by the SDK to build writers.
  explicit StreamWriter(std::unique_ptr<internal::ByteSink> sink);

 private:
  std::shared_ptr<internal::StreamWriterState> state_;
};

/**
 * A std::istream over a StreamReader, returned by `StreamReader::istream()`. Holds the
 * stream's shared state: every copy of the reader and every InputStream of it share one
 * position. Movable, not copyable.
 */
class InputStream : public std::istream {
 public:
  /// Takes over `other`'s stream; `other` is left without one.
  InputStream(InputStream&& other) noexcept;
  /// Takes over `other`'s stream.
  InputStream& operator=(InputStream&& other) noexcept;
  ~InputStream() override;

 private:
  friend class StreamReader;
  explicit InputStream(std::shared_ptr<internal::StreamReaderState> state);
  std::shared_ptr<internal::StreamReaderState> state_;
};

/**
 * A std::ostream over a StreamWriter, returned by `StreamWriter::ostream()`. Holds the
 * stream's shared state; every OutputStream of one writer shares one buffer, flushed
 * by flush(), std::endl, StreamWriter::close() and the destructor. Movable, not copyable.
 */
class OutputStream : public std::ostream {
 public:
  /// Takes over `other`'s stream; `other` is left without one.
  OutputStream(OutputStream&& other) noexcept;
  /// Flushes this stream, then takes over `other`'s.
  OutputStream& operator=(OutputStream&& other) noexcept;
  /// Flushes what is buffered; errors are swallowed here (flush() first to see them).
  ~OutputStream() override;

 private:
  friend class StreamWriter;
  explicit OutputStream(std::shared_ptr<internal::StreamWriterState> state);
  std::shared_ptr<internal::StreamWriterState> state_;
};

}  // namespace modal

#endif  // MODAL_STREAMS_H
