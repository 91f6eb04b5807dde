// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_RANGE_H
#define MODAL_RANGE_H

#include <cstddef>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <utility>

namespace modal {

/**
 * A lazily fetched, single-pass input range: the results of a list or iterate call,
 * fetched page by page as the loop advances.
 *
 * @code
 * for (modal::Sandbox const& sb : client.sandboxes().list()) { ... }
 * @endcode
 *
 * Fetching happens in begin() and operator++, which throw modal::Error when a page
 * cannot be fetched. Copies of a Range share one position: begin() does not restart.
 *
 * @par Thread Safety
 * A Range and its iterators must be used by one thread at a time.
 */
template <typename T>
class Range {
  struct State;

 public:
  /// Produces the next element, or nullopt at the end; called once per element.
  using Source = std::function<std::optional<T>()>;

  /// An input iterator over the range.
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;  ///< Single pass.
    using value_type = T;                               ///< The element type.
    using difference_type = std::ptrdiff_t;             ///< Required by the concept.
    using pointer = T const*;                           ///< Pointer to an element.
    using reference = T const&;                         ///< Reference to an element.

    /// The end iterator.
    iterator() = default;
    /// The current element.
    reference operator*() const { return *state_->current; }
    /// The current element.
    pointer operator->() const { return &*state_->current; }
    /// Moves to the next element, fetching it. @throws modal::Error.
    iterator& operator++() {
      if (!state_->advance()) state_.reset();
      return *this;
    }
    /// Moves to the next element, fetching it. @throws modal::Error.
    void operator++(int) { ++*this; }
    /// Iterators are equal when both are at the end or share one position.
    friend bool operator==(iterator const& a, iterator const& b) { return a.state_ == b.state_; }

   private:
    friend class Range;
    explicit iterator(std::shared_ptr<State> state) : state_(std::move(state)) {}
    std::shared_ptr<State> state_;
  };

  /// A range over what `source` produces.
  explicit Range(Source source) : state_(std::make_shared<State>(std::move(source))) {}

  /// The first element not consumed yet (fetches it on the first call). @throws modal::Error.
  iterator begin() {
    if (!state_->started) {
      if (!state_->advance()) return end();
    } else if (!state_->current) {
      return end();
    }
    return iterator(state_);
  }
  /// The end of the range.
  iterator end() { return iterator(); }

 private:
  struct State {
    explicit State(Source s) : source(std::move(s)) {}
    bool advance() {
      started = true;
      current.reset();
      if (done) return false;
      current = source();
      if (!current) done = true;
      return current.has_value();
    }
    Source source{};
    std::optional<T> current{};
    bool started = false;
    bool done = false;
  };
  std::shared_ptr<State> state_;
};

}  // namespace modal

#endif  // MODAL_RANGE_H
