// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_VALUE_H
#define MODAL_VALUE_H

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace modal {

/**
 * One dynamic value exchanged with Python code (Queue items, Function arguments and
 * results): None, bool, int (unbounded, as Python's), float, str, bytes, list, tuple and
 * dict.
 *
 * @code
 * modal::Value v = {{"a", 1}, {"b", modal::Value::list({1, 2.5, "x"})}};
 * std::int64_t a = v["a"].as_int();          // 1
 * std::string const& x = v["b"].at(2).as_string();
 * std::cout << v << "\n";                     // {'a': 1, 'b': [1, 2.5, 'x']}
 * @endcode
 *
 * C++ → Value: `nullptr` → None, `bool` → bool, every integer type → int, `double` →
 * float, `char const*` / `std::string` / `std::string_view` → str (UTF-8 text), a braced
 * list of `{"key", value}` pairs → dict. Bytes, lists, tuples, dicts with other keys and
 * ints beyond 64 bits are made with the static factories. A single `char` is not a value
 * (it is neither clearly a number nor a string): the constructor is deleted.
 *
 * Accessors are typed and strict: `as_int()` of a float, or `as_string()` of bytes, throws
 * InvalidError naming both types; there are no implicit conversions between kinds.
 *
 * Values are immutable and cheap to copy (copies share their contents).
 *
 * @par Thread Safety
 * A Value may be read from any number of threads at once.
 */
class Value {
 public:
  /// The Python type of a Value.
  enum class Kind { kNull, kBool, kInt, kFloat, kString, kBytes, kList, kTuple, kDict };

  /// None.
  Value() = default;
  /// None.
  Value(std::nullptr_t) {}  // NOLINT(google-explicit-constructor)
  /// A bool.
  Value(bool b);  // NOLINT(google-explicit-constructor)
  /// An int, from any integer type but bool and the character types.
  template <std::integral T>
  requires(!std::same_as<T, bool> && !std::same_as<T, char> && !std::same_as<T, char8_t> &&
           !std::same_as<T, char16_t> && !std::same_as<T, char32_t> && !std::same_as<T, wchar_t>)
      Value(T i)  // NOLINT(google-explicit-constructor)
      : Value(from_integer(std::is_signed_v<T>, static_cast<std::uint64_t>(i),
                           static_cast<std::int64_t>(i))) {}
  /// Deleted: a `char` is neither clearly a number nor a string.
  Value(char) = delete;
  /// A float.
  Value(double d);  // NOLINT(google-explicit-constructor)
  /// A str (UTF-8 text).
  Value(char const* s);  // NOLINT(google-explicit-constructor)
  /// A str (UTF-8 text).
  Value(std::string s);  // NOLINT(google-explicit-constructor)
  /// A str (UTF-8 text).
  Value(std::string_view s);  // NOLINT(google-explicit-constructor)
  /// Deleted: other pointers would silently become bools.
  template <typename T>
  requires(!std::same_as<std::remove_cv_t<T>, char>) Value(T*)
  = delete;
  /// A dict with str keys, in the order given: `Value v = {{"a", 1}, {"b", "x"}};`.
  Value(std::initializer_list<std::pair<std::string, Value>> entries);

  /// Bytes (binary data; distinct from str).
  static Value bytes(std::string data);
  /// Bytes from octets.
  static Value bytes(std::vector<std::uint8_t> const& data);
  /// A list.
  static Value list(std::vector<Value> items);
  /// A tuple.
  static Value tuple(std::vector<Value> items);
  /// A dict with str keys (in key order).
  static Value map(std::map<std::string, Value> const& entries);
  /// A dict with keys of any kind, in the order given.
  static Value dict(std::vector<std::pair<Value, Value>> items);
  /// An int of any size from its decimal text ("-123456789012345678901234567890").
  /// @throws InvalidError if `decimal` is not an integer literal, or longer than
  ///   kMaxIntDigits digits.
  static Value big_int(std::string_view decimal);

  /// The longest int accepted, in decimal digits (Python's default limit for int/str
  /// conversions is 4,300).
  static constexpr std::size_t kMaxIntDigits = 10'000;

  /// The Python type.
  Kind kind() const;
  /// The Python name of the type: "NoneType", "bool", "int", "float", "str", "bytes",
  /// "list", "tuple" or "dict".
  std::string_view type_name() const;
  bool is_null() const { return kind() == Kind::kNull; }      ///< None?
  bool is_bool() const { return kind() == Kind::kBool; }      ///< A bool?
  bool is_int() const { return kind() == Kind::kInt; }        ///< An int (of any size)?
  bool is_float() const { return kind() == Kind::kFloat; }    ///< A float?
  bool is_string() const { return kind() == Kind::kString; }  ///< A str?
  bool is_bytes() const { return kind() == Kind::kBytes; }    ///< Bytes?
  bool is_list() const { return kind() == Kind::kList; }      ///< A list?
  bool is_tuple() const { return kind() == Kind::kTuple; }    ///< A tuple?
  bool is_dict() const { return kind() == Kind::kDict; }      ///< A dict?

  /// The bool. @throws InvalidError if not a bool.
  bool as_bool() const;
  /// The int. @throws InvalidError if not an int, or if it does not fit 64 bits.
  std::int64_t as_int() const;
  /// Whether this is an int that fits std::int64_t.
  bool fits_int64() const;
  /// The int's decimal text, whatever its size. @throws InvalidError if not an int.
  std::string as_big_int() const;
  /// The float. @throws InvalidError if not a float (ints do not convert).
  double as_float() const;
  /// The str's UTF-8 text. @throws InvalidError if not a str.
  std::string const& as_string() const;
  /// The bytes. @throws InvalidError if not bytes.
  std::string const& as_bytes() const;
  /// The list's items. @throws InvalidError if not a list.
  std::vector<Value> const& as_list() const;
  /// The tuple's items. @throws InvalidError if not a tuple.
  std::vector<Value> const& as_tuple() const;
  /// The items of a list or a tuple. @throws InvalidError for other kinds.
  std::vector<Value> const& items() const;
  /// The dict's entries, in order. @throws InvalidError if not a dict.
  std::vector<std::pair<Value, Value>> const& as_dict() const;
  /// The dict as a std::map. @throws InvalidError if not a dict or a key is not a str.
  std::map<std::string, Value> as_map() const;

  /// Whether a dict has the str key `key`. @throws InvalidError if not a dict.
  bool contains(std::string_view key) const;
  /// The value of the str key `key` of a dict.
  /// @throws InvalidError if not a dict or there is no such key.
  Value const& operator[](std::string_view key) const;
  /// Item `i` of a list or tuple. @throws InvalidError if not one, or out of range.
  Value const& at(std::size_t i) const;
  /// Items of a list or tuple, entries of a dict, bytes of str or bytes.
  /// @throws InvalidError for other kinds.
  std::size_t size() const;

  /// Structural equality, as Python's `==` within one kind: ints by value, floats by
  /// value (NaN equals nothing), dicts regardless of order. Values of different kinds are
  /// never equal (1 != 1.0 and True != 1 here, unlike Python).
  friend bool operator==(Value const& a, Value const& b);

  /// Python's repr(): None, True, 12, 2.5, 'text', b'\\x00', [1, 2], (1,), {'a': 1}.
  std::string repr() const;
  /// Writes repr().
  friend std::ostream& operator<<(std::ostream& os, Value const& v);

  /// The shared contents (internal).
  struct Rep;

 private:
  static Value from_integer(bool is_signed, std::uint64_t u, std::int64_t s);
  explicit Value(std::shared_ptr<Rep const> rep) : rep_(std::move(rep)) {}
  friend struct ValueAccess;
  std::shared_ptr<Rep const> rep_;  // null: None
};

}  // namespace modal

#endif  // MODAL_VALUE_H
