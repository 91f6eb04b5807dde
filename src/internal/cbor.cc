// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "internal/cbor.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "internal/value_rep.h"
#include "modal/errors.h"

namespace modal::internal {

using Rep = Value::Rep;
using Kind = Value::Kind;

namespace {

// Major types (RFC 8949, section 3.1).
constexpr unsigned kUnsigned = 0;
constexpr unsigned kNegative = 1;
constexpr unsigned kByteString = 2;
constexpr unsigned kTextString = 3;
constexpr unsigned kArray = 4;
constexpr unsigned kMap = 5;
constexpr unsigned kTag = 6;
constexpr unsigned kSimple = 7;

// Tags this codec understands (IANA CBOR tags registry).
constexpr std::uint64_t kTagPositiveBignum = 2;
constexpr std::uint64_t kTagNegativeBignum = 3;
constexpr std::uint64_t kTagSet = 258;  // a Python set or frozenset, read as a list
constexpr std::uint64_t kTagSelfDescribed = 55799;

// ---- encoding ------------------------------------------------------------------------

void put_head(std::string& out, unsigned major, std::uint64_t arg) {
  auto const m = static_cast<char>(major << 5);
  if (arg < 24) {
    out += static_cast<char>(m | static_cast<char>(arg));
    return;
  }
  int bytes;
  char info;
  if (arg <= 0xff) {
    bytes = 1;
    info = 24;
  } else if (arg <= 0xffff) {
    bytes = 2;
    info = 25;
  } else if (arg <= 0xffffffffULL) {
    bytes = 4;
    info = 26;
  } else {
    bytes = 8;
    info = 27;
  }
  out += static_cast<char>(m | info);
  for (int k = bytes - 1; k >= 0; --k) out += static_cast<char>((arg >> (8 * k)) & 0xff);
}

/// Big-endian magnitude of a little-endian one's/two's complement buffer, without leading
/// zero bytes.
std::string big_endian_trimmed(std::string le) {
  while (!le.empty() && le.back() == '\0') le.pop_back();
  return {le.rbegin(), le.rend()};
}

void encode_big_int(std::string& out, std::string const& decimal) {
  // CBOR keeps integers whose magnitude fits 64 bits as major types 0/1 (-1 - n) and the
  // rest as bignums (tags 2/3 over the big-endian magnitude n), as cbor2 writes them.
  bool const negative = decimal[0] == '-';
  std::string le = twos_complement_from_decimal(decimal);
  if (negative) {
    for (auto& c : le) c = static_cast<char>(~static_cast<unsigned char>(c));  // -1 - v
  }
  std::string const be = big_endian_trimmed(std::move(le));
  unsigned const major = negative ? kNegative : kUnsigned;
  if (be.size() <= 8) {
    std::uint64_t n = 0;
    for (char c : be) n = (n << 8) | static_cast<unsigned char>(c);
    put_head(out, major, n);
    return;
  }
  put_head(out, kTag, negative ? kTagNegativeBignum : kTagPositiveBignum);
  put_head(out, kByteString, be.size());
  out += be;
}

void encode_float(std::string& out, double d) {
  // As cbor2: NaN and the infinities as half-precision, every other float as float64, so
  // each double round-trips exactly.
  if (std::isnan(d)) {
    out.append("\xf9\x7e\x00", 3);
  } else if (std::isinf(d)) {
    out.append(d > 0 ? "\xf9\x7c\x00" : "\xf9\xfc\x00", 3);
  } else {
    out += '\xfb';
    auto const bits = std::bit_cast<std::uint64_t>(d);
    for (int k = 7; k >= 0; --k) out += static_cast<char>((bits >> (8 * k)) & 0xff);
  }
}

/// At least the size of the value's encoding (exact but for bignums, over by a little),
/// so that the output is allocated once: growing it by doubling would copy a large byte
/// string again (and touch twice its pages) when the bytes after it are appended.
std::size_t size_bound(Value const& v) {
  constexpr std::size_t kHead = 9;  // the longest head: 1 + 8 bytes
  Rep const* r = ValueAccess::rep(v);
  switch (v.kind()) {
    case Kind::kInt:
      // A bignum's magnitude takes fewer bytes than its decimal text has digits / 2 + 1.
      return r->big ? 2 * kHead + r->text.size() / 2 + 1 : kHead;
    case Kind::kString:
    case Kind::kBytes:
      return kHead + r->text.size();
    case Kind::kList:
    case Kind::kTuple: {
      std::size_t n = kHead;
      for (auto const& item : r->items) n += size_bound(item);
      return n;
    }
    case Kind::kDict: {
      std::size_t n = kHead;
      for (auto const& [key, value] : r->dict) n += size_bound(key) + size_bound(value);
      return n;
    }
    default:
      return kHead;
  }
}

void encode(std::string& out, Value const& v, int depth) {
  if (depth > CborLimits{}.max_depth) {
    throw InvalidError("a Value nested deeper than " + std::to_string(CborLimits{}.max_depth) +
                       " levels cannot be encoded as CBOR");
  }
  Rep const* r = ValueAccess::rep(v);
  switch (v.kind()) {
    case Kind::kNull:
      out += '\xf6';
      return;
    case Kind::kBool:
      out += r->b ? '\xf5' : '\xf4';
      return;
    case Kind::kInt:
      if (r->big) {
        encode_big_int(out, r->text);
      } else if (r->i >= 0) {
        put_head(out, kUnsigned, static_cast<std::uint64_t>(r->i));
      } else {
        put_head(out, kNegative, ~static_cast<std::uint64_t>(r->i));  // -1 - i
      }
      return;
    case Kind::kFloat:
      encode_float(out, r->d);
      return;
    case Kind::kString:
      if (!valid_utf8(r->text)) {
        throw InvalidError(
            "a str Value is not valid UTF-8 and cannot be encoded as CBOR (use Value::bytes "
            "for binary data)");
      }
      put_head(out, kTextString, r->text.size());
      out += r->text;
      return;
    case Kind::kBytes:
      put_head(out, kByteString, r->text.size());
      out += r->text;
      return;
    case Kind::kList:
    case Kind::kTuple:
      put_head(out, kArray, r->items.size());
      for (auto const& item : r->items) encode(out, item, depth + 1);
      return;
    case Kind::kDict:
      put_head(out, kMap, r->dict.size());
      for (auto const& [key, value] : r->dict) {
        encode(out, key, depth + 1);
        encode(out, value, depth + 1);
      }
      return;
  }
}

// ---- decoding ------------------------------------------------------------------------

[[noreturn]] void bad(std::string const& what) { throw InvalidError("invalid CBOR: " + what); }

/// Normalized decimal text of -1 - n, for a big-endian magnitude n.
std::string negative_decimal(std::string_view be) {
  // ~n in two's complement is -1 - n: the little-endian bytes of n, a zero sign byte, all
  // inverted.
  std::string le(be.rbegin(), be.rend());
  le += '\0';
  for (auto& c : le) c = static_cast<char>(~static_cast<unsigned char>(c));
  return decimal_from_twos_complement(le);
}

/// Normalized decimal text of a big-endian magnitude n.
std::string positive_decimal(std::string_view be) {
  std::string le(be.rbegin(), be.rend());
  le += '\0';
  return decimal_from_twos_complement(le);
}

double half_to_double(std::uint16_t h) {
  int const exp = (h >> 10) & 0x1f;
  int const mant = h & 0x3ff;
  double val;
  if (exp == 0) {
    val = std::ldexp(mant, -24);
  } else if (exp != 31) {
    val = std::ldexp(mant + 1024, exp - 25);
  } else {
    val = mant == 0 ? std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::quiet_NaN();
  }
  return (h & 0x8000) ? -val : val;
}

class Decoder {
 public:
  Decoder(std::string_view data, CborLimits const& limits) : data_(data), limits_(limits) {}

  Value top() {
    Value v = item(0);
    if (pos_ != data_.size()) {
      bad(std::to_string(data_.size() - pos_) + " bytes after the end of the item");
    }
    return v;
  }

 private:
  struct Head {
    unsigned major;
    unsigned info;
    std::uint64_t arg;  // meaningless when indefinite
    bool indefinite;
  };

  std::uint8_t byte() {
    if (pos_ >= data_.size()) bad("truncated at byte " + std::to_string(pos_));
    return static_cast<std::uint8_t>(data_[pos_++]);
  }

  std::uint64_t uint_of(int bytes) {
    if (data_.size() - pos_ < static_cast<std::size_t>(bytes)) {
      bad("truncated at byte " + std::to_string(pos_));
    }
    std::uint64_t n = 0;
    for (int k = 0; k < bytes; ++k) n = (n << 8) | static_cast<std::uint8_t>(data_[pos_++]);
    return n;
  }

  Head head() {
    std::size_t const at = pos_;
    std::uint8_t const b = byte();
    Head h{static_cast<unsigned>(b >> 5), static_cast<unsigned>(b & 0x1f), 0, false};
    if (h.info < 24) {
      h.arg = h.info;
    } else if (h.info <= 27) {
      h.arg = uint_of(1 << (h.info - 24));
    } else if (h.info == 31 && h.major >= kByteString && h.major <= kMap) {
      h.indefinite = true;
    } else if (h.info == 31 && h.major == kSimple) {
      bad("unexpected break at byte " + std::to_string(at));
    } else {
      bad("reserved additional information " + std::to_string(h.info) + " at byte " +
          std::to_string(at));
    }
    return h;
  }

  void count() {
    if (++values_ > limits_.max_values) {
      bad("more than " + std::to_string(limits_.max_values) + " values");
    }
  }

  /// The next break byte (0xff) of an indefinite-length item, consumed.
  bool at_break() {
    if (pos_ >= data_.size()) bad("truncated at byte " + std::to_string(pos_));
    if (static_cast<std::uint8_t>(data_[pos_]) != 0xff) return false;
    ++pos_;
    return true;
  }

  /// A definite length, checked against what is left (each element takes a byte at least).
  std::size_t length(std::uint64_t arg, std::size_t min_bytes_each) {
    std::size_t const left = data_.size() - pos_;
    if (arg > left / min_bytes_each) {
      bad("length " + std::to_string(arg) + " at byte " + std::to_string(pos_) +
          " exceeds the remaining " + std::to_string(left) + " bytes");
    }
    return static_cast<std::size_t>(arg);
  }

  std::string chunk_bytes(Head const& h) {
    if (!h.indefinite) {
      std::size_t const n = length(h.arg, 1);
      std::string s(data_.substr(pos_, n));
      pos_ += n;
      return s;
    }
    std::string s;
    while (!at_break()) {
      std::size_t const at = pos_;
      Head const c = head();
      if (c.major != h.major || c.indefinite) {
        bad("a chunk of an indefinite-length string at byte " + std::to_string(at) +
            " is not a definite string of the same type");
      }
      std::size_t const n = length(c.arg, 1);
      s.append(data_.substr(pos_, n));
      pos_ += n;
    }
    return s;
  }

  Value item(int depth) {
    if (depth > limits_.max_depth) {
      bad("nested deeper than " + std::to_string(limits_.max_depth) + " levels");
    }
    count();
    std::size_t const at = pos_;
    Head const h = head();
    switch (h.major) {
      case kUnsigned:
        if (h.arg <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
          return Value(static_cast<std::int64_t>(h.arg));
        }
        return int_from_decimal(std::to_string(h.arg));
      case kNegative:
        if (h.arg <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
          return Value(-1 - static_cast<std::int64_t>(h.arg));
        }
        return int_from_decimal(negative_decimal(be_of(h.arg)));
      case kByteString:
        return Value::bytes(chunk_bytes(h));
      case kTextString: {
        std::string s = chunk_bytes(h);
        if (!valid_utf8(s)) bad("the text string at byte " + std::to_string(at) + " is not UTF-8");
        return Value(std::move(s));
      }
      case kArray: {
        std::vector<Value> items;
        if (h.indefinite) {
          while (!at_break()) items.push_back(item(depth + 1));
        } else {
          std::size_t const n = length(h.arg, 1);
          items.reserve(n);
          for (std::size_t k = 0; k < n; ++k) items.push_back(item(depth + 1));
        }
        return Value::list(std::move(items));
      }
      case kMap: {
        std::vector<std::pair<Value, Value>> entries;
        if (h.indefinite) {
          while (!at_break()) {
            Value key = item(depth + 1);
            entries.emplace_back(std::move(key), item(depth + 1));
          }
        } else {
          std::size_t const n = length(h.arg, 2);
          entries.reserve(n);
          for (std::size_t k = 0; k < n; ++k) {
            Value key = item(depth + 1);
            entries.emplace_back(std::move(key), item(depth + 1));
          }
        }
        return Value::dict(std::move(entries));
      }
      case kTag:
        return tagged(h.arg, at, depth);
      default:
        return simple(h, at);
    }
  }

  static std::string be_of(std::uint64_t n) {
    std::string be;
    for (int k = 7; k >= 0; --k) be += static_cast<char>((n >> (8 * k)) & 0xff);
    return be;
  }

  Value tagged(std::uint64_t tag, std::size_t at, int depth) {
    if (tag == kTagSelfDescribed) return item(depth + 1);  // a marker, no meaning
    if (tag == kTagSet) {  // as the pickle codec reads sets: as lists
      if (pos_ >= data_.size()) bad("truncated at byte " + std::to_string(pos_));
      if ((static_cast<std::uint8_t>(data_[pos_]) >> 5) != kArray) {
        bad("the set tag at byte " + std::to_string(at) + " is not followed by an array");
      }
      return item(depth + 1);
    }
    if (tag != kTagPositiveBignum && tag != kTagNegativeBignum) {
      // 0/1 (datetimes) and the rest have no modal::Value kind.
      bad("tag " + std::to_string(tag) + " at byte " + std::to_string(at) +
          " has no modal::Value equivalent (supported: 2 and 3, bignums; 258, sets; 55799)");
    }
    count();
    std::size_t const inner = pos_;
    Head const h = head();
    if (h.major != kByteString) {
      bad("the bignum tag at byte " + std::to_string(at) + " is not followed by a byte string");
    }
    std::string const be = chunk_bytes(h);
    try {
      return int_from_decimal(tag == kTagPositiveBignum ? positive_decimal(be)
                                                        : negative_decimal(be));
    } catch (InvalidError const& e) {
      bad(std::string("the bignum at byte ") + std::to_string(inner) + ": " + e.what());
    }
  }

  Value simple(Head const& h, std::size_t at) {
    switch (h.info) {
      case 20:
        return Value(false);
      case 21:
        return Value(true);
      case 22:
        return Value();
      case 25:
        return Value(half_to_double(static_cast<std::uint16_t>(h.arg)));
      case 26:
        return Value(static_cast<double>(std::bit_cast<float>(static_cast<std::uint32_t>(h.arg))));
      case 27:
        return Value(std::bit_cast<double>(h.arg));
      default:
        bad("simple value " + std::to_string(h.info < 24 ? h.info : h.arg) + " at byte " +
            std::to_string(at) + " has no modal::Value equivalent");
    }
  }

  std::string_view data_;
  CborLimits limits_;
  std::size_t pos_ = 0;
  std::size_t values_ = 0;
};

}  // namespace

std::string cbor_encode(Value const& value) {
  std::string out;
  out.reserve(size_bound(value));
  encode(out, value, 0);
  return out;
}

std::string cbor_encode_call(std::vector<Value> const& args,
                             std::map<std::string, Value> const& kwargs) {
  std::size_t bound = std::size_t{3} * 9;
  for (auto const& a : args) bound += size_bound(a);
  for (auto const& [key, value] : kwargs) bound += 9 + key.size() + size_bound(value);
  std::string out;
  out.reserve(bound);
  put_head(out, kArray, 2);
  put_head(out, kArray, args.size());
  for (auto const& a : args) encode(out, a, 2);
  put_head(out, kMap, kwargs.size());
  for (auto const& [key, value] : kwargs) {
    if (!valid_utf8(key)) {
      throw InvalidError("the keyword argument name is not valid UTF-8");
    }
    put_head(out, kTextString, key.size());
    out += key;
    encode(out, value, 2);
  }
  return out;
}

Value cbor_decode(std::string_view data, CborLimits const& limits) {
  if (data.empty()) bad("empty input");
  return Decoder(data, limits).top();
}

}  // namespace modal::internal
