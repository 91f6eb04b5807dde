// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "modal/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <ostream>

#include "internal/value_rep.h"
#include "modal/errors.h"

namespace modal {

using Rep = Value::Rep;

namespace {

std::shared_ptr<Rep> make(Value::Kind kind) {
  auto r = std::make_shared<Rep>();
  r->kind = kind;
  return r;
}

[[noreturn]] void mismatch(std::string_view wanted, Value const& got) {
  throw InvalidError("expected " + std::string(wanted) + ", got " + std::string(got.type_name()));
}

/// Base-10^9 limbs, most significant first.
using Limbs = std::vector<std::uint32_t>;
constexpr std::uint32_t kLimbBase = 1'000'000'000;

std::string limbs_to_decimal(Limbs const& limbs) {
  std::size_t first = 0;
  while (first + 1 < limbs.size() && limbs[first] == 0) ++first;
  if (limbs.empty()) return "0";
  std::string out = std::to_string(limbs[first]);
  for (std::size_t k = first + 1; k < limbs.size(); ++k) {
    auto part = std::to_string(limbs[k]);
    out.append(9 - part.size(), '0');
    out += part;
  }
  return out;
}

Limbs decimal_to_limbs(std::string_view digits) {
  Limbs limbs;
  std::size_t head = digits.size() % 9;
  if (head == 0) head = 9;
  for (std::size_t pos = 0; pos < digits.size(); pos += (pos == 0 ? head : 9)) {
    std::size_t const len = pos == 0 ? head : 9;
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < len; ++k) {
      v = v * 10 + static_cast<std::uint32_t>(digits[pos + k] - '0');
    }
    limbs.push_back(v);
  }
  return limbs;
}

void append_quoted(std::string& out, std::string_view s, bool bytes) {
  // Python prefers single quotes unless the text contains ' and no ".
  bool const has_single = s.find('\'') != std::string_view::npos;
  bool const has_double = s.find('"') != std::string_view::npos;
  char const quote = has_single && !has_double ? '"' : '\'';
  if (bytes) out += 'b';
  out += quote;
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c == static_cast<unsigned char>(quote)) {
          out += '\\';
          out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7f || (bytes && c >= 0x80)) {
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);  // UTF-8 of str is printed as is
        }
    }
  }
  out += quote;
}

std::string float_repr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  char buf[64];
  double const a = std::fabs(d);
  bool const fixed = a == 0 || (a >= 1e-4 && a < 1e16);
  auto res = fixed ? std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed)
                   : std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string s(buf, res.ptr);
  // (Python writes 1e+16 and 1e-05, two exponent digits at least: so does to_chars.)
  if (fixed && s.find('.') == std::string::npos) s += ".0";
  return s;
}

void append_repr(std::string& out, Value const& v, int depth) {
  if (depth > 2000) {
    out += "...";
    return;
  }
  switch (v.kind()) {
    case Value::Kind::kNull:
      out += "None";
      return;
    case Value::Kind::kBool:
      out += v.as_bool() ? "True" : "False";
      return;
    case Value::Kind::kInt:
      out += v.as_big_int();
      return;
    case Value::Kind::kFloat:
      out += float_repr(v.as_float());
      return;
    case Value::Kind::kString:
      append_quoted(out, v.as_string(), false);
      return;
    case Value::Kind::kBytes:
      append_quoted(out, v.as_bytes(), true);
      return;
    case Value::Kind::kList:
    case Value::Kind::kTuple: {
      bool const tuple = v.is_tuple();
      out += tuple ? '(' : '[';
      auto const& items = v.items();
      for (std::size_t k = 0; k < items.size(); ++k) {
        if (k) out += ", ";
        append_repr(out, items[k], depth + 1);
      }
      if (tuple && items.size() == 1) out += ',';
      out += tuple ? ')' : ']';
      return;
    }
    case Value::Kind::kDict: {
      out += '{';
      bool first = true;
      for (auto const& [key, val] : v.as_dict()) {
        if (!first) out += ", ";
        first = false;
        append_repr(out, key, depth + 1);
        out += ": ";
        append_repr(out, val, depth + 1);
      }
      out += '}';
      return;
    }
  }
}

}  // namespace

namespace internal {

std::string normalize_decimal(std::string_view text) {
  std::string_view digits = text;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty() ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    throw InvalidError("not an integer literal: '" + std::string(text.substr(0, 64)) +
                       (text.size() > 64 ? "...'" : "'"));
  }
  while (digits.size() > 1 && digits[0] == '0') digits.remove_prefix(1);
  if (digits.size() > Value::kMaxIntDigits) {
    throw InvalidError("integer of " + std::to_string(digits.size()) + " digits exceeds the " +
                       std::to_string(Value::kMaxIntDigits) + "-digit limit");
  }
  if (digits == "0") return "0";
  return (negative ? "-" : "") + std::string(digits);
}

bool decimal_to_int64(std::string const& normalized, std::int64_t& out) {
  std::string_view digits = normalized;
  bool const negative = !digits.empty() && digits[0] == '-';
  if (negative) digits.remove_prefix(1);
  if (digits.size() > 19) return false;
  std::uint64_t v = 0;  // 19 digits fit (< 10^19 < 2^64)
  for (char c : digits) v = v * 10 + static_cast<unsigned>(c - '0');
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (negative) {
    if (v > kMax + 1) return false;
    out = v == kMax + 1 ? std::numeric_limits<std::int64_t>::min() : -static_cast<std::int64_t>(v);
  } else {
    if (v > kMax) return false;
    out = static_cast<std::int64_t>(v);
  }
  return true;
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  auto const n = s.size();
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  while (i < n) {
    unsigned const c = byte(i);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    std::uint32_t cp;
    if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((byte(i + k) & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (byte(i + k) & 0x3f);
    }
    static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

std::string decimal_from_twos_complement(std::string_view le) {
  if (le.empty()) return "0";
  // Each byte adds log10(256) ~ 2.41 digits: refuse before converting (quadratic).
  if (le.size() > Value::kMaxIntDigits * 100 / 240 + 1) {
    throw InvalidError("integer of " + std::to_string(le.size()) + " bytes exceeds the " +
                       std::to_string(Value::kMaxIntDigits) + "-digit limit");
  }
  bool const negative = (static_cast<unsigned char>(le.back()) & 0x80) != 0;
  std::string mag(le);
  if (negative) {  // magnitude = ~x + 1
    unsigned carry = 1;
    for (auto& c : mag) {
      unsigned const v = (~static_cast<unsigned char>(c) & 0xffu) + carry;
      c = static_cast<char>(v & 0xff);
      carry = v >> 8;
    }
  }
  Limbs limbs{0};
  // Reverse iterators, not std::views::reverse: clang 14 cannot compile libstdc++ 12's.
  for (auto it = mag.rbegin(); it != mag.rend(); ++it) {  // NOLINT(modernize-loop-convert)
    std::uint64_t carry = static_cast<unsigned char>(*it);
    // NOLINTNEXTLINE(modernize-loop-convert)
    for (auto limb = limbs.rbegin(); limb != limbs.rend(); ++limb) {
      std::uint64_t const v = static_cast<std::uint64_t>(*limb) * 256 + carry;
      *limb = static_cast<std::uint32_t>(v % kLimbBase);
      carry = v / kLimbBase;
    }
    while (carry) {
      limbs.insert(limbs.begin(), static_cast<std::uint32_t>(carry % kLimbBase));
      carry /= kLimbBase;
    }
  }
  auto digits = limbs_to_decimal(limbs);
  if (digits.size() > Value::kMaxIntDigits) {
    throw InvalidError("integer of " + std::to_string(digits.size()) + " digits exceeds the " +
                       std::to_string(Value::kMaxIntDigits) + "-digit limit");
  }
  if (digits == "0") return digits;
  return negative ? "-" + digits : digits;
}

std::string twos_complement_from_decimal(std::string const& normalized) {
  std::string_view digits = normalized;
  bool const negative = !digits.empty() && digits[0] == '-';
  if (negative) digits.remove_prefix(1);
  Limbs limbs = decimal_to_limbs(digits);
  std::string mag;  // little-endian magnitude
  auto is_zero = [&] {
    return std::all_of(limbs.begin(), limbs.end(), [](std::uint32_t l) { return l == 0; });
  };
  while (!is_zero()) {
    std::uint64_t rem = 0;
    for (auto& limb : limbs) {
      std::uint64_t const v = rem * kLimbBase + limb;
      limb = static_cast<std::uint32_t>(v / 256);
      rem = v % 256;
    }
    mag += static_cast<char>(rem);
    while (limbs.size() > 1 && limbs.front() == 0) limbs.erase(limbs.begin());
  }
  if (mag.empty()) return mag;
  if (!negative) {
    if (static_cast<unsigned char>(mag.back()) & 0x80) mag += '\0';
    return mag;
  }
  unsigned carry = 1;
  for (auto& c : mag) {
    unsigned const v = (~static_cast<unsigned char>(c) & 0xffu) + carry;
    c = static_cast<char>(v & 0xff);
    carry = v >> 8;
  }
  if (!(static_cast<unsigned char>(mag.back()) & 0x80)) mag += '\xff';
  return mag;
}

Value int_from_decimal(std::string normalized) {
  auto r = make(Value::Kind::kInt);
  if (!decimal_to_int64(normalized, r->i)) {
    r->big = true;
    r->text = std::move(normalized);
  }
  return ValueAccess::wrap(std::move(r));
}

}  // namespace internal

Value::Value(bool b) {
  auto r = make(Kind::kBool);
  r->b = b;
  rep_ = std::move(r);
}

Value::Value(double d) {
  auto r = make(Kind::kFloat);
  r->d = d;
  rep_ = std::move(r);
}

Value::Value(char const* s) : Value(std::string(s ? s : "")) {}
Value::Value(std::string_view s) : Value(std::string(s)) {}
Value::Value(std::string s) {
  auto r = make(Kind::kString);
  r->text = std::move(s);
  rep_ = std::move(r);
}

Value::Value(std::initializer_list<std::pair<std::string, Value>> entries) {
  auto r = make(Kind::kDict);
  r->dict.reserve(entries.size());
  for (auto const& [k, v] : entries) r->dict.emplace_back(Value(k), v);
  rep_ = std::move(r);
}

Value Value::from_integer(bool is_signed, std::uint64_t u, std::int64_t s) {
  auto r = make(Kind::kInt);
  if (is_signed || u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    r->i = is_signed ? s : static_cast<std::int64_t>(u);
  } else {
    r->big = true;
    r->text = std::to_string(u);
  }
  return Value(std::shared_ptr<Rep const>(std::move(r)));
}

Value Value::bytes(std::string data) {
  auto r = make(Kind::kBytes);
  r->text = std::move(data);
  return Value(std::shared_ptr<Rep const>(std::move(r)));
}

Value Value::bytes(std::vector<std::uint8_t> const& data) {
  return bytes(std::string(data.begin(), data.end()));
}

Value Value::list(std::vector<Value> items) {
  auto r = make(Kind::kList);
  r->items = std::move(items);
  return Value(std::shared_ptr<Rep const>(std::move(r)));
}

Value Value::tuple(std::vector<Value> items) {
  auto r = make(Kind::kTuple);
  r->items = std::move(items);
  return Value(std::shared_ptr<Rep const>(std::move(r)));
}

Value Value::map(std::map<std::string, Value> const& entries) {
  auto r = make(Kind::kDict);
  r->dict.reserve(entries.size());
  for (auto const& [k, v] : entries) r->dict.emplace_back(Value(k), v);
  return Value(std::shared_ptr<Rep const>(std::move(r)));
}

Value Value::dict(std::vector<std::pair<Value, Value>> items) {
  auto r = make(Kind::kDict);
  r->dict = std::move(items);
  return Value(std::shared_ptr<Rep const>(std::move(r)));
}

Value Value::big_int(std::string_view decimal) {
  return internal::int_from_decimal(internal::normalize_decimal(decimal));
}

Value::Kind Value::kind() const { return rep_ ? rep_->kind : Kind::kNull; }

std::string_view Value::type_name() const {
  switch (kind()) {
    case Kind::kNull:
      return "NoneType";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "str";
    case Kind::kBytes:
      return "bytes";
    case Kind::kList:
      return "list";
    case Kind::kTuple:
      return "tuple";
    case Kind::kDict:
      return "dict";
  }
  return "?";
}

bool Value::as_bool() const {
  if (!is_bool()) mismatch("a bool", *this);
  return rep_->b;
}

std::int64_t Value::as_int() const {
  if (!is_int()) mismatch("an int", *this);
  if (rep_->big) throw InvalidError("the int " + rep_->text + " does not fit 64 bits");
  return rep_->i;
}

bool Value::fits_int64() const { return is_int() && !rep_->big; }

std::string Value::as_big_int() const {
  if (!is_int()) mismatch("an int", *this);
  return rep_->big ? rep_->text : std::to_string(rep_->i);
}

double Value::as_float() const {
  if (!is_float()) mismatch("a float", *this);
  return rep_->d;
}

std::string const& Value::as_string() const {
  if (!is_string()) mismatch("a str", *this);
  return rep_->text;
}

std::string const& Value::as_bytes() const {
  if (!is_bytes()) mismatch("bytes", *this);
  return rep_->text;
}

std::vector<Value> const& Value::as_list() const {
  if (!is_list()) mismatch("a list", *this);
  return rep_->items;
}

std::vector<Value> const& Value::as_tuple() const {
  if (!is_tuple()) mismatch("a tuple", *this);
  return rep_->items;
}

std::vector<Value> const& Value::items() const {
  if (!is_list() && !is_tuple()) mismatch("a list or a tuple", *this);
  return rep_->items;
}

std::vector<std::pair<Value, Value>> const& Value::as_dict() const {
  if (!is_dict()) mismatch("a dict", *this);
  return rep_->dict;
}

std::map<std::string, Value> Value::as_map() const {
  std::map<std::string, Value> out;
  for (auto const& [k, v] : as_dict()) {
    if (!k.is_string()) {
      throw InvalidError("the dict has a key of type " + std::string(k.type_name()) + " (" +
                         k.repr().substr(0, 64) + "), not a str");
    }
    out.insert_or_assign(k.as_string(), v);  // a repeated key keeps its last value
  }
  return out;
}

bool Value::contains(std::string_view key) const {
  auto const& d = as_dict();
  return std::any_of(d.rbegin(), d.rend(), [&](auto const& e) {
    return e.first.is_string() && e.first.as_string() == key;
  });
}

Value const& Value::operator[](std::string_view key) const {
  auto const& d = as_dict();
  // The last of equal keys wins. (Not std::views::reverse: clang 14 cannot compile it.)
  for (auto it = d.rbegin(); it != d.rend(); ++it) {  // NOLINT(modernize-loop-convert)
    if (it->first.is_string() && it->first.as_string() == key) return it->second;
  }
  throw InvalidError("the dict has no key '" + std::string(key) + "'");
}

Value const& Value::at(std::size_t i) const {
  auto const& v = items();
  if (i >= v.size()) {
    throw InvalidError("index " + std::to_string(i) + " is out of range for a " +
                       std::string(type_name()) + " of " + std::to_string(v.size()) + " items");
  }
  return v[i];
}

std::size_t Value::size() const {
  switch (kind()) {
    case Kind::kList:
    case Kind::kTuple:
      return rep_->items.size();
    case Kind::kDict:
      return rep_->dict.size();
    case Kind::kString:
    case Kind::kBytes:
      return rep_->text.size();
    default:
      mismatch("a container, str or bytes", *this);
  }
}

bool operator==(Value const& a, Value const& b) {
  if (a.rep_ == b.rep_) {
    // The same contents: equal, except a NaN float.
    return !(a.is_float() && std::isnan(a.rep_->d));
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::kNull:
      return true;
    case Value::Kind::kBool:
      return a.rep_->b == b.rep_->b;
    case Value::Kind::kInt:
      return a.rep_->big == b.rep_->big &&
             (a.rep_->big ? a.rep_->text == b.rep_->text : a.rep_->i == b.rep_->i);
    case Value::Kind::kFloat:
      return a.rep_->d == b.rep_->d;
    case Value::Kind::kString:
    case Value::Kind::kBytes:
      return a.rep_->text == b.rep_->text;
    case Value::Kind::kList:
    case Value::Kind::kTuple:
      return a.rep_->items == b.rep_->items;
    case Value::Kind::kDict: {
      auto const& x = a.rep_->dict;
      auto const& y = b.rep_->dict;
      if (x.size() != y.size()) return false;
      // (Not a structured binding: clang 14 cannot capture one in a lambda.)
      for (auto const& entry : x) {
        auto it =
            std::find_if(y.begin(), y.end(), [&](auto const& e) { return e.first == entry.first; });
        if (it == y.end() || !(it->second == entry.second)) return false;
      }
      return true;
    }
  }
  return false;
}

std::string Value::repr() const {
  std::string out;
  append_repr(out, *this, 0);
  return out;
}

std::ostream& operator<<(std::ostream& os, Value const& v) { return os << v.repr(); }

}  // namespace modal
