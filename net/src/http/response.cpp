// response.cpp: field validation (no response splitting) and the constructors.
#include <eddy/net/http/response.hpp>

#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <eddy/net/http/headers.hpp>

namespace eddy::net::http {

response response::with_body(http::status s, std::string body, std::string_view content_type) {
  response r(s);
  r.add_header(field::content_type, content_type);
  r.set_body(std::move(body));
  return r;
}

response response::stream(http::status s, std::string_view content_type, stream_producer producer) {
  response r(s);
  r.add_header(field::content_type, content_type);
  r.set_stream(std::move(producer));
  return r;
}

response response::method_not_allowed(std::string_view allow) {
  response r(status::method_not_allowed);
  r.add_header(field::allow, allow);
  return r;
}

// With SSE2, sixteen bytes at a time; otherwise (and below eight bytes) eight at
// a time, where a byte of `x` is zero iff has_zero() sets its top bit (bytes above
// a zero byte may be flagged too; only "any" matters here).
bool is_field_value(std::string_view value) noexcept {
  const char* p = value.data();
  std::size_t n = value.size();
#if defined(__SSE2__)
  // Sixteen bytes at a time; a value of 8 to 15 bytes is one check of its first
  // and last eight (overlapping), so "text/plain" costs one compare, not a loop.
  auto bad16 = [](__m128i x) {
    const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\r')),
                                                  _mm_cmpeq_epi8(x, _mm_set1_epi8('\n'))),
                                     _mm_cmpeq_epi8(x, _mm_setzero_si128()));
    return _mm_movemask_epi8(hit) != 0;
  };
  auto load16 = [](const char* at) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
  };
  auto load8 = [](const char* at) { return _mm_loadl_epi64(reinterpret_cast<const __m128i*>(at)); };
  if (n >= 16) {
    for (std::size_t i = 0; i + 16 <= n; i += 16) {
      if (bad16(load16(p + i))) return false;
    }
    return !bad16(load16(p + n - 16));  // the tail, overlapping
  }
  if (n >= 8) return !bad16(_mm_unpacklo_epi64(load8(p), load8(p + n - 8)));
#endif
  constexpr std::uint64_t ones = 0x0101010101010101, tops = 0x8080808080808080;
  auto has_zero = [](std::uint64_t x) { return (x - ones) & ~x & tops; };
  auto bad = [&](const char* at) {
    std::uint64_t x;
    std::memcpy(&x, at, 8);
    return (has_zero(x) | has_zero(x ^ (ones * '\r')) | has_zero(x ^ (ones * '\n'))) != 0;
  };
  if (n >= 8) {
    for (std::size_t i = 0; i + 8 <= n; i += 8) {
      if (bad(p + i)) return false;
    }
    return !bad(p + n - 8);  // the last word again, overlapping: covers the tail
  }
  for (; n > 0; ++p, --n) {
    if (*p == '\r' || *p == '\n' || *p == '\0') return false;
  }
  return true;
}

bool response::add_header(std::string_view name, std::string_view value) {
  if (!is_token(name) || is_serializer_field(name) || !is_field_value(value)) return false;
  headers_.append_field(name, value);
  return true;
}

std::optional<std::string_view> response::header(std::string_view name) const noexcept {
  std::string_view rest = headers_.view();
  while (!rest.empty()) {
    auto eol = rest.find("\r\n");
    auto line = rest.substr(0, eol);
    auto colon = line.find(':');
    if (iequals(line.substr(0, colon), name)) return line.substr(colon + 2);
    rest.remove_prefix(eol + 2);
  }
  return std::nullopt;
}

std::optional<std::uint64_t> response::content_length() const noexcept {
  struct visitor {
    std::optional<std::uint64_t> operator()(const std::monostate&) const { return 0; }
    std::optional<std::uint64_t> operator()(const std::string& s) const { return s.size(); }
    std::optional<std::uint64_t> operator()(const borrowed_body& b) const { return b.bytes.size(); }
    std::optional<std::uint64_t> operator()(const file_body& f) const { return f.length; }
    std::optional<std::uint64_t> operator()(const chunked_body&) const { return std::nullopt; }
  };
  return std::visit(visitor{}, body_);
}

}  // namespace eddy::net::http
