// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Python's pickle (https://docs.python.org/3/library/pickle.html, Lib/pickletools.py
// documents every opcode): a protocol-2 writer and a protocol 0-5 reader for the types
// of modal::Value.
#include "internal/pickle.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>
#include <limits>
#include <unordered_map>
#include <vector>

#include "internal/value_rep.h"
#include "modal/errors.h"

namespace modal::internal {

using Rep = Value::Rep;
using Kind = Value::Kind;

namespace {

[[noreturn]] void bad(std::string const& what) { throw InvalidError("invalid pickle: " + what); }

// ---- UTF-8 ---------------------------------------------------------------------------

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

// ---- Encoder -------------------------------------------------------------------------

void put_le(std::string& out, std::uint64_t v, int n) {
  for (int k = 0; k < n; ++k) out += static_cast<char>((v >> (8 * k)) & 0xff);
}

/// Minimal little-endian two's complement of an int64 (Python's encode_long).
std::string twos_complement(std::int64_t v) {
  std::string out;
  if (v == 0) return out;
  auto u = static_cast<std::uint64_t>(v);
  for (int k = 0; k < 8; ++k) out += static_cast<char>((u >> (8 * k)) & 0xff);
  // Drop redundant sign bytes.
  while (out.size() > 1) {
    auto const last = static_cast<unsigned char>(out.back());
    auto const prev = static_cast<unsigned char>(out[out.size() - 2]);
    if ((last == 0x00 && !(prev & 0x80)) || (last == 0xff && (prev & 0x80))) {
      out.pop_back();
    } else {
      break;
    }
  }
  return out;
}

class Encoder {
 public:
  explicit Encoder(PickleLimits const& limits) : limits_(limits) {}

  std::string run(Value const& v) {
    out_ = "\x80\x02";
    encode(v, 0);
    out_ += '.';
    return std::move(out_);
  }

 private:
  void encode(Value const& v, int depth) {
    switch (v.kind()) {
      case Kind::kNull:
        out_ += 'N';
        return;
      case Kind::kBool:
        out_ += v.as_bool() ? '\x88' : '\x89';
        return;
      case Kind::kInt:
        encode_int(v);
        return;
      case Kind::kFloat: {
        out_ += 'G';
        auto const bits = std::bit_cast<std::uint64_t>(v.as_float());
        for (int k = 7; k >= 0; --k) out_ += static_cast<char>((bits >> (8 * k)) & 0xff);
        return;
      }
      case Kind::kString:
        if (!valid_utf8(v.as_string())) {
          throw InvalidError(
              "a str Value is not valid UTF-8 and cannot be pickled (use Value::bytes for "
              "binary data)");
        }
        text(v.as_string());
        return;
      case Kind::kBytes:
        encode_bytes(v.as_bytes());
        return;
      case Kind::kList:
      case Kind::kTuple:
      case Kind::kDict:
        break;
    }
    if (depth >= limits_.max_depth) {
      throw InvalidError("Value nests deeper than " + std::to_string(limits_.max_depth) +
                         " containers and cannot be pickled");
    }
    auto const* rep = ValueAccess::rep(v);
    if (auto it = memo_.find(rep); it != memo_.end()) {
      get(it->second);
      return;
    }
    if (v.is_dict()) {
      out_ += '}';
      remember(v);
      auto const& d = v.as_dict();
      for (std::size_t k = 0; k < d.size(); k += kBatch) {
        out_ += '(';
        for (std::size_t j = k; j < std::min(d.size(), k + kBatch); ++j) {
          encode(d[j].first, depth + 1);
          encode(d[j].second, depth + 1);
        }
        out_ += 'u';
      }
    } else if (v.is_list()) {
      out_ += ']';
      remember(v);
      auto const& items = v.as_list();
      for (std::size_t k = 0; k < items.size(); k += kBatch) {
        out_ += '(';
        for (std::size_t j = k; j < std::min(items.size(), k + kBatch); ++j) {
          encode(items[j], depth + 1);
        }
        out_ += 'e';
      }
    } else {
      auto const& items = v.as_tuple();
      if (items.empty()) {
        out_ += ')';
        return;
      }
      if (items.size() > 3) out_ += '(';
      for (auto const& item : items) encode(item, depth + 1);
      static constexpr char kTupleN[] = {'\0', '\x85', '\x86', '\x87'};
      out_ += items.size() <= 3 ? kTupleN[items.size()] : 't';
      remember(v);
    }
  }

  void encode_int(Value const& v) {
    if (v.fits_int64()) {
      auto const i = v.as_int();
      if (i >= 0 && i < 256) {
        out_ += 'K';
        put_le(out_, static_cast<std::uint64_t>(i), 1);
      } else if (i >= 0 && i < 65536) {
        out_ += 'M';
        put_le(out_, static_cast<std::uint64_t>(i), 2);
      } else if (i >= std::numeric_limits<std::int32_t>::min() &&
                 i <= std::numeric_limits<std::int32_t>::max()) {
        out_ += 'J';
        put_le(out_, static_cast<std::uint32_t>(static_cast<std::int32_t>(i)), 4);
      } else {
        long_bytes(twos_complement(i));
      }
      return;
    }
    long_bytes(twos_complement_from_decimal(v.as_big_int()));
  }

  void long_bytes(std::string const& bytes) {
    if (bytes.size() < 256) {
      out_ += '\x8a';
      put_le(out_, bytes.size(), 1);
    } else {
      out_ += '\x8b';
      put_le(out_, bytes.size(), 4);
    }
    out_ += bytes;
  }

  void text(std::string_view s) {
    if (s.size() > std::numeric_limits<std::uint32_t>::max()) {
      throw InvalidError("a str of " + std::to_string(s.size()) +
                         " bytes exceeds what pickle protocol 2 can hold (4 GiB)");
    }
    out_ += 'X';
    put_le(out_, s.size(), 4);
    out_ += s;
  }

  void encode_bytes(std::string const& b) {
    // Protocol 2 has no bytes opcode: Python 3 writes bytes() for b'' and
    // _codecs.encode(<the bytes as latin-1 text>, 'latin1') otherwise.
    if (b.empty()) {
      out_ += "c__builtin__\nbytes\n)R";
      return;
    }
    out_ += "c_codecs\nencode\n";
    std::string latin1;
    latin1.reserve(b.size() + b.size() / 2);
    for (unsigned char c : b) append_utf8(latin1, c);
    text(latin1);
    text("latin1");
    out_ += "\x86R";
  }

  void remember(Value const& v) {
    auto const* rep = ValueAccess::rep(v);
    if (rep == nullptr) return;
    auto const idx = memo_.size();
    memo_.emplace(rep, idx);
    if (idx < 256) {
      out_ += 'q';
      put_le(out_, idx, 1);
    } else {
      out_ += 'r';
      put_le(out_, idx, 4);
    }
  }

  void get(std::size_t idx) {
    if (idx < 256) {
      out_ += 'h';
      put_le(out_, idx, 1);
    } else {
      out_ += 'j';
      put_le(out_, idx, 4);
    }
  }

  static constexpr std::size_t kBatch = 1000;
  PickleLimits const& limits_;
  std::string out_;
  std::unordered_map<Rep const*, std::size_t> memo_;
};

// ---- Decoder -------------------------------------------------------------------------

/// The few callables a pickle may name (what Python writes for bytes, bytearray and sets
/// in protocols 0-2).
enum class Global { kNone, kCodecsEncode, kBytes, kBytearray, kSet, kFrozenset };

struct Item {
  Value value;
  Global global = Global::kNone;
};

class Decoder {
 public:
  Decoder(std::string_view data, PickleLimits const& limits) : in_(data), limits_(limits) {}

  ~Decoder() {
    // Break every reference between containers made here, so that a rejected pickle that
    // built a cycle frees everything.
    if (!ok_) {
      for (auto& c : containers_) {
        auto* rep = mutable_rep(c);
        rep->items.clear();
        rep->dict.clear();
      }
    }
  }
  Decoder(Decoder const&) = delete;
  Decoder& operator=(Decoder const&) = delete;

  Value run() {
    while (true) {
      char const op = next_byte();
      if (op == '.') break;
      step(op);
    }
    Value result = pop_value();
    // Every container made, not only those the result reaches: a cycle left in the memo or
    // on the stack would otherwise never be freed.
    GraphInfo info;
    check_graph(result, info);
    for (auto const& c : containers_) check_graph(c, info);
    ok_ = true;
    return result;
  }

 private:
  static Rep* mutable_rep(Value const& v) {
    // Only containers this decoder created (never shared with anyone yet) are mutated.
    return const_cast<Rep*>(ValueAccess::rep(v));  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  }

  // -- input
  std::size_t remaining() const { return in_.size() - pos_; }
  char next_byte() {
    if (pos_ >= in_.size()) bad("truncated (no STOP opcode)");
    return in_[pos_++];
  }
  std::string_view take(std::uint64_t n) {
    if (n > remaining()) {
      bad("truncated: " + std::to_string(n) + " bytes announced, " + std::to_string(remaining()) +
          " left");
    }
    auto s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::uint64_t le(int n) {
    auto s = take(n);
    std::uint64_t v = 0;
    for (int k = n - 1; k >= 0; --k) v = (v << 8) | static_cast<unsigned char>(s[k]);
    return v;
  }
  std::string_view line() {
    auto const end = in_.find('\n', pos_);
    if (end == std::string_view::npos) bad("truncated: a text argument has no end of line");
    auto s = in_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return s;
  }

  // -- stack
  std::size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  void push(Value v) { stack_.push_back({std::move(v), Global::kNone}); }
  Item pop_item() {
    if (stack_.size() <= floor()) bad("stack underflow");
    Item it = std::move(stack_.back());
    stack_.pop_back();
    return it;
  }
  Value pop_value() {
    Item it = pop_item();
    if (it.global != Global::kNone) bad("a callable where a value was expected");
    return std::move(it.value);
  }
  Item& top() {
    if (stack_.size() <= floor()) bad("stack underflow");
    return stack_.back();
  }
  std::vector<Value> pop_mark() {
    if (marks_.empty()) bad("no MARK to pop to");
    auto const m = marks_.back();
    marks_.pop_back();
    std::vector<Value> out;
    out.reserve(stack_.size() - m);
    for (std::size_t k = m; k < stack_.size(); ++k) {
      if (stack_[k].global != Global::kNone) bad("a callable where a value was expected");
      out.push_back(std::move(stack_[k].value));
    }
    stack_.resize(m);
    return out;
  }
  Value container(Kind kind) {
    auto r = std::make_shared<Rep>();
    r->kind = kind;
    Value v = ValueAccess::wrap(std::move(r));
    if (kind != Kind::kTuple) containers_.push_back(v);
    return v;
  }
  Value tuple(std::vector<Value> items) {
    Value v = container(Kind::kTuple);
    mutable_rep(v)->items = std::move(items);
    return v;
  }
  Rep* target(Kind kind, char const* op) {
    Item& t = top();
    if (t.global != Global::kNone || t.value.kind() != kind) {
      bad(std::string(op) + " applied to a " +
          (t.global != Global::kNone ? std::string("callable") : std::string(t.value.type_name())));
    }
    return mutable_rep(t.value);
  }
  void append(std::vector<Value> items, char const* op) {
    auto* rep = target(Kind::kList, op);
    for (auto& v : items) rep->items.push_back(std::move(v));
  }
  void set_items(std::vector<Value> kv, char const* op) {
    if (kv.size() % 2) bad(std::string(op) + " with an odd number of items");
    auto* rep = target(Kind::kDict, op);
    for (std::size_t k = 0; k < kv.size(); k += 2) {
      rep->dict.emplace_back(std::move(kv[k]), std::move(kv[k + 1]));
    }
  }

  // -- memo
  void put(std::uint64_t idx) { memo_[idx] = top(); }
  void get(std::uint64_t idx) {
    auto it = memo_.find(idx);
    if (it == memo_.end()) bad("memo key " + std::to_string(idx) + " is not defined");
    stack_.push_back(it->second);
  }
  static std::uint64_t decimal_index(std::string_view s) {
    std::uint64_t v = 0;
    auto res = std::from_chars(s.data(), s.data() + s.size(), v);
    if (res.ec != std::errc() || res.ptr != s.data() + s.size()) bad("bad memo index");
    return v;
  }

  // -- scalars
  Value int_text(std::string_view s) {
    if (s == "01") return Value(true);  // protocol 0 writes bools as I01 / I00
    if (s == "00") return Value(false);
    if (!s.empty() && s.back() == 'L') s.remove_suffix(1);
    try {
      return int_from_decimal(normalize_decimal(s));
    } catch (InvalidError const& e) {
      bad(e.what());
    }
  }
  Value long_bytes(std::string_view bytes) {
    try {
      return int_from_decimal(decimal_from_twos_complement(bytes));
    } catch (InvalidError const& e) {
      bad(e.what());
    }
  }
  static Value text(std::string_view s) {
    if (!valid_utf8(s)) bad("a str is not valid UTF-8");
    return Value(std::string(s));
  }
  /// Python 2 str: text when ASCII (as Python 3 reads it by default), else bytes.
  static Value py2_str(std::string s) {
    bool const ascii = std::all_of(s.begin(), s.end(),
                                   [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    return ascii ? Value(std::move(s)) : Value::bytes(std::move(s));
  }
  static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  /// UNICODE's argument: raw-unicode-escape (bytes are Latin-1, plus \uXXXX, \UXXXXXXXX).
  static Value raw_unicode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
      auto const c = static_cast<unsigned char>(s[i]);
      if (c == '\\' && i + 1 < s.size() && (s[i + 1] == 'u' || s[i + 1] == 'U')) {
        std::size_t const n = s[i + 1] == 'u' ? 4 : 8;
        if (i + 2 + n > s.size()) bad("truncated \\u escape");
        std::uint32_t cp = 0;
        for (std::size_t k = 0; k < n; ++k) {
          int const h = hex(s[i + 2 + k]);
          if (h < 0) bad("bad \\u escape");
          cp = cp * 16 + static_cast<std::uint32_t>(h);
        }
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) bad("bad code point in \\u escape");
        append_utf8(out, cp);
        i += 1 + n;
      } else {
        append_utf8(out, c);
      }
    }
    return Value(std::move(out));
  }
  /// STRING's argument: a quoted Python 2 string literal.
  static Value quoted(std::string_view s) {
    if (s.size() < 2 || (s[0] != '\'' && s[0] != '"') || s.back() != s[0]) {
      bad("STRING argument is not a quoted string");
    }
    s = s.substr(1, s.size() - 2);
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] != '\\' || i + 1 == s.size()) {
        out += s[i];
        continue;
      }
      char const e = s[++i];
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'a':
          out += '\a';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'v':
          out += '\v';
          break;
        case '\\':
        case '\'':
        case '"':
          out += e;
          break;
        case '\n':
          break;
        case 'x': {
          if (i + 2 >= s.size() + 0 && i + 2 > s.size() - 0) bad("truncated \\x escape");
          int const h1 = i + 1 < s.size() ? hex(s[i + 1]) : -1;
          int const h2 = i + 2 < s.size() ? hex(s[i + 2]) : -1;
          if (h1 < 0 || h2 < 0) bad("bad \\x escape");
          out += static_cast<char>(h1 * 16 + h2);
          i += 2;
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            int v = e - '0';
            for (int k = 0; k < 2 && i + 1 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '7'; ++k) {
              v = v * 8 + (s[++i] - '0');
            }
            out += static_cast<char>(v & 0xff);
          } else {
            out += '\\';
            out += e;
          }
      }
    }
    return py2_str(std::move(out));
  }
  static double float_text(std::string_view s) {
    double d = 0;
    auto res = std::from_chars(s.data(), s.data() + s.size(), d);
    if (res.ec != std::errc() || res.ptr != s.data() + s.size()) {
      bad("bad FLOAT argument '" + std::string(s.substr(0, 32)) + "'");
    }
    return d;
  }

  // -- globals
  static Global global(std::string_view module, std::string_view name) {
    bool const builtins = module == "__builtin__" || module == "builtins";
    if (module == "_codecs" && name == "encode") return Global::kCodecsEncode;
    if (builtins && name == "bytes") return Global::kBytes;
    if (builtins && name == "bytearray") return Global::kBytearray;
    if (builtins && name == "set") return Global::kSet;
    if (builtins && name == "frozenset") return Global::kFrozenset;
    bad("refusing to load the global " + std::string(module.substr(0, 64)) + "." +
        std::string(name.substr(0, 64)) + " (only bytes, bytearray, set and frozenset are read)");
  }
  static Value latin1_bytes(Value const& text, Value const& encoding) {
    if (!text.is_string() || !encoding.is_string() ||
        (encoding.as_string() != "latin1" && encoding.as_string() != "latin-1")) {
      bad("_codecs.encode is only read as encode(str, 'latin1')");
    }
    std::string out;
    auto const& s = text.as_string();
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
      auto const c = static_cast<unsigned char>(s[i]);
      if (c < 0x80) {
        out += static_cast<char>(c);
        ++i;
      } else if ((c & 0xe0) == 0xc0 && i + 1 < s.size()) {
        auto const cp = ((c & 0x1fu) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3fu);
        if (cp > 0xff) bad("_codecs.encode: a character beyond Latin-1");
        out += static_cast<char>(cp);
        i += 2;
      } else {
        bad("_codecs.encode: a character beyond Latin-1");
      }
    }
    return Value::bytes(std::move(out));
  }
  void reduce() {
    Value args = pop_value();
    Item callable = pop_item();
    if (callable.global == Global::kNone) bad("REDUCE of something that is not a callable");
    if (!args.is_tuple()) bad("REDUCE arguments are not a tuple");
    auto const& a = args.as_tuple();
    switch (callable.global) {
      case Global::kCodecsEncode:
        if (a.size() != 2) bad("_codecs.encode takes 2 arguments here");
        push(latin1_bytes(a[0], a[1]));
        return;
      case Global::kBytes:
      case Global::kBytearray:
        if (a.empty()) {
          push(Value::bytes(""));
        } else if (a.size() == 1 && a[0].is_bytes()) {
          push(a[0]);
        } else if (a.size() == 2 && callable.global == Global::kBytearray) {
          push(latin1_bytes(a[0], a[1]));
        } else {
          bad("bytes/bytearray arguments not read");
        }
        return;
      case Global::kSet:
      case Global::kFrozenset: {
        Value v = container(Kind::kList);
        if (a.size() == 1) {
          mutable_rep(v)->items = a[0].items();
        } else if (!a.empty()) {
          bad("set/frozenset arguments not read");
        }
        push(std::move(v));
        return;
      }
      case Global::kNone:
        break;
    }
  }

  void step(char op) {
    switch (op) {
      case '\x80': {  // PROTO
        auto const v = static_cast<unsigned char>(next_byte());
        if (v > 5) bad("unsupported protocol " + std::to_string(v));
        return;
      }
      case '\x95':  // FRAME: a length we do not need
        take(8);
        return;
      case '(':  // MARK
        marks_.push_back(stack_.size());
        return;
      case '0':  // POP
        if (stack_.size() > floor()) {
          stack_.pop_back();
        } else {
          pop_mark();
        }
        return;
      case '1':  // POP_MARK
        pop_mark();
        return;
      case '2':  // DUP
        stack_.push_back(top());
        return;
      case 'N':
        push(Value());
        return;
      case '\x88':
        push(Value(true));
        return;
      case '\x89':
        push(Value(false));
        return;
      case 'I':  // INT
      case 'L':  // LONG
        push(int_text(line()));
        return;
      case 'J':
        push(Value(static_cast<std::int32_t>(static_cast<std::uint32_t>(le(4)))));
        return;
      case 'K':
        push(Value(static_cast<int>(le(1))));
        return;
      case 'M':
        push(Value(static_cast<int>(le(2))));
        return;
      case '\x8a':  // LONG1
        push(long_bytes(take(le(1))));
        return;
      case '\x8b': {  // LONG4
        auto const n = static_cast<std::int32_t>(static_cast<std::uint32_t>(le(4)));
        if (n < 0) bad("negative LONG4 length");
        push(long_bytes(take(static_cast<std::uint64_t>(n))));
        return;
      }
      case 'F':
        push(Value(float_text(line())));
        return;
      case 'G': {  // BINFLOAT, big-endian
        auto s = take(8);
        std::uint64_t bits = 0;
        for (char c : s) bits = (bits << 8) | static_cast<unsigned char>(c);
        push(Value(std::bit_cast<double>(bits)));
        return;
      }
      case 'S':
        push(quoted(line()));
        return;
      case 'T': {  // BINSTRING
        auto const n = static_cast<std::int32_t>(static_cast<std::uint32_t>(le(4)));
        if (n < 0) bad("negative BINSTRING length");
        push(py2_str(std::string(take(static_cast<std::uint64_t>(n)))));
        return;
      }
      case 'U':
        push(py2_str(std::string(take(le(1)))));
        return;
      case 'V':
        push(raw_unicode(line()));
        return;
      case 'X':
        push(text(take(le(4))));
        return;
      case '\x8c':
        push(text(take(le(1))));
        return;
      case '\x8d':
        push(text(take(le(8))));
        return;
      case 'B':
        push(Value::bytes(std::string(take(le(4)))));
        return;
      case 'C':
        push(Value::bytes(std::string(take(le(1)))));
        return;
      case '\x8e':
      case '\x96':  // BINBYTES8, BYTEARRAY8
        push(Value::bytes(std::string(take(le(8)))));
        return;
      case ']':
        push(container(Kind::kList));
        return;
      case 'l': {
        auto items = pop_mark();
        Value v = container(Kind::kList);
        mutable_rep(v)->items = std::move(items);
        push(std::move(v));
        return;
      }
      case 'a':  // APPEND
      {
        Value v = pop_value();
        append({std::move(v)}, "APPEND");
        return;
      }
      case 'e':
        append(pop_mark(), "APPENDS");
        return;
      case ')':
        push(tuple({}));
        return;
      case 't':
        push(tuple(pop_mark()));
        return;
      case '\x85':
      case '\x86':
      case '\x87': {
        std::size_t const n = static_cast<unsigned char>(op) - 0x84;
        std::vector<Value> items(n);
        for (std::size_t k = n; k-- > 0;) items[k] = pop_value();
        push(tuple(std::move(items)));
        return;
      }
      case '}':
        push(container(Kind::kDict));
        return;
      case 'd': {
        auto kv = pop_mark();
        push(container(Kind::kDict));
        set_items(std::move(kv), "DICT");
        return;
      }
      case 's': {
        Value v = pop_value();
        Value k = pop_value();
        set_items({std::move(k), std::move(v)}, "SETITEM");
        return;
      }
      case 'u':
        set_items(pop_mark(), "SETITEMS");
        return;
      case '\x8f':  // EMPTY_SET: read as a list
        push(container(Kind::kList));
        return;
      case '\x90':  // ADDITEMS
        append(pop_mark(), "ADDITEMS");
        return;
      case '\x91': {  // FROZENSET: read as a list
        auto items = pop_mark();
        Value v = container(Kind::kList);
        mutable_rep(v)->items = std::move(items);
        push(std::move(v));
        return;
      }
      case 'p':
        put(decimal_index(line()));
        return;
      case 'q':
        put(le(1));
        return;
      case 'r':
        put(le(4));
        return;
      case '\x94':  // MEMOIZE
        put(memo_.size());
        return;
      case 'g':
        get(decimal_index(line()));
        return;
      case 'h':
        get(le(1));
        return;
      case 'j':
        get(le(4));
        return;
      case 'c': {  // GLOBAL
        auto const module = line();
        auto const name = line();
        stack_.push_back({Value(), global(module, name)});
        return;
      }
      case '\x93': {  // STACK_GLOBAL
        Value name = pop_value();
        Value module = pop_value();
        if (!name.is_string() || !module.is_string()) bad("STACK_GLOBAL of non-strings");
        stack_.push_back({Value(), global(module.as_string(), name.as_string())});
        return;
      }
      case 'R':
        reduce();
        return;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        auto const c = static_cast<unsigned char>(op);
        std::string name = "0x";
        name += kHex[c >> 4];
        name += kHex[c & 15];
        bad("unsupported opcode " + name + " at offset " + std::to_string(pos_ - 1) +
            " (objects, persistent ids, extensions and out-of-band buffers are not read)");
      }
    }
  }

  /// Rejects cycles, nesting deeper than max_depth and trees of more than max_values.
  struct GraphNode {
    bool done = false;
    int depth = 0;
    std::size_t size = 0;
  };
  using GraphInfo = std::unordered_map<Rep const*, GraphNode>;

  /// `info` carries what earlier calls found, so that each container is looked at once.
  void check_graph(Value const& root, GraphInfo& info) const {
    struct Frame {
      Value const* v;
      std::size_t next = 0;
    };
    auto children = [](Value const& v) -> std::size_t {
      if (v.is_dict()) return v.as_dict().size() * 2;
      if (v.is_list() || v.is_tuple()) return v.items().size();
      return 0;
    };
    auto child = [](Value const& v, std::size_t k) -> Value const& {
      if (v.is_dict()) return k % 2 ? v.as_dict()[k / 2].second : v.as_dict()[k / 2].first;
      return v.items()[k];
    };
    auto const cap = limits_.max_values + 1;
    auto is_container = [](Value const& v) { return v.is_list() || v.is_tuple() || v.is_dict(); };
    if (!is_container(root) || info.contains(ValueAccess::rep(root))) return;
    std::vector<Frame> stack{{&root, 0}};
    info[ValueAccess::rep(root)];
    while (!stack.empty()) {
      auto& f = stack.back();
      if (f.next < children(*f.v)) {
        Value const& c = child(*f.v, f.next++);
        if (!is_container(c)) continue;
        auto [it, fresh] = info.try_emplace(ValueAccess::rep(c));
        if (fresh) {
          if (static_cast<int>(stack.size()) >= limits_.max_depth) {
            bad("containers nest deeper than " + std::to_string(limits_.max_depth));
          }
          stack.push_back({&c, 0});
        } else if (!it->second.done) {
          bad("a container contains itself");
        }
        continue;
      }
      // All children done: fold them.
      int depth = 0;
      std::size_t size = 1;
      for (std::size_t k = 0; k < children(*f.v); ++k) {
        Value const& c = child(*f.v, k);
        if (is_container(c)) {
          auto const& ci = info.at(ValueAccess::rep(c));
          depth = std::max(depth, ci.depth + 1);
          size = std::min(cap, size + ci.size);
        } else {
          size = std::min(cap, size + 1);
        }
      }
      if (depth >= limits_.max_depth) {
        bad("containers nest deeper than " + std::to_string(limits_.max_depth));
      }
      if (size > limits_.max_values) {
        bad("more than " + std::to_string(limits_.max_values) +
            " values once shared references are expanded");
      }
      auto& mine = info.at(ValueAccess::rep(*f.v));
      mine = {true, depth, size};
      stack.pop_back();
    }
  }

  std::string_view in_;
  PickleLimits const& limits_;
  std::size_t pos_ = 0;
  std::vector<Item> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<std::uint64_t, Item> memo_;
  std::vector<Value> containers_;
  bool ok_ = false;
};

}  // namespace

std::string pickle_encode(Value const& value, PickleLimits const& limits) {
  return Encoder(limits).run(value);
}

Value pickle_decode(std::string_view data, PickleLimits const& limits) {
  Decoder d(data, limits);
  return d.run();
}

}  // namespace modal::internal
