// char_class.hpp: the byte classes the codec's simple-head scan runs over, and
// the run itself: how many bytes from a start belong to a class.
//
// Each class is a table. On x86-64 a run reads 16 bytes at a time and tests them
// against the class's common part (letters, and the few other bytes names and
// targets are mostly made of) in a few SSE2 compares; the table decides each
// byte that ends such a part, and the bytes of the run's last block. Tests
// compare the runs with the tables on every byte value at every position.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace eddy::net::http::detail {

using char_table = std::array<bool, 256>;

constexpr char_table make_char_table(bool (*pred)(unsigned char)) {
  char_table t{};
  for (unsigned c = 0; c < 256; ++c) t[c] = pred(static_cast<unsigned char>(c));
  return t;
}

constexpr bool is_alnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/// RFC 9110 section 5.6.2: tchar.
inline constexpr char_table token_chars = make_char_table([](unsigned char c) {
  return is_alnum(c) ||
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
});
/// An origin-form target of unreserved, sub-delims, ':', '@' and '/' (RFC 3986):
/// nothing any parser reads differently. '?' and '%' (also target bytes) end a
/// run: the scan handles them itself.
inline constexpr char_table plain_target_chars = make_char_table([](unsigned char c) {
  return is_alnum(c) || std::string_view("-._~!$&'()*+,;=:@/").find(static_cast<char>(c)) !=
                            std::string_view::npos;
});
/// A field value of visible ASCII, SP and HTAB (no obs-text, no control).
inline constexpr char_table value_chars =
    make_char_table([](unsigned char c) { return (c >= 0x20 && c < 0x7f) || c == '\t'; });

enum class char_class { token, plain_target, value };

constexpr const char_table& table_of(char_class k) {
  return k == char_class::token          ? token_chars
         : k == char_class::plain_target ? plain_target_chars
                                         : value_chars;
}

#if defined(__SSE2__)
namespace simd {
inline __m128i in_range(__m128i x, unsigned char lo, unsigned char hi) {
  // x - lo <= hi - lo, unsigned: max(d, span) == span.
  const __m128i d = _mm_sub_epi8(x, _mm_set1_epi8(static_cast<char>(lo)));
  const __m128i span = _mm_set1_epi8(static_cast<char>(hi - lo));
  return _mm_cmpeq_epi8(_mm_max_epu8(d, span), span);
}
inline __m128i is(__m128i x, char c) { return _mm_cmpeq_epi8(x, _mm_set1_epi8(c)); }

/// A letter: x | 0x20 is a lowercase letter exactly for the two cases of one.
inline __m128i is_alpha(__m128i x) {
  return in_range(_mm_or_si128(x, _mm_set1_epi8(0x20)), 'a', 'z');
}

/// 0xff in each lane whose byte is in the class's common part: the bytes most
/// names and targets are made of, in a few compares. The rest of the class is
/// rare there; run_of() asks the table about the byte that ends such a run.
template <char_class K>
inline __m128i common(__m128i x) {
  if constexpr (K == char_class::token) {
    return _mm_or_si128(is_alpha(x), is(x, '-'));
  } else if constexpr (K == char_class::plain_target) {
    // '&' to ';' holds &'()*+,-./ the digits and :;
    return _mm_or_si128(_mm_or_si128(is_alpha(x), in_range(x, '&', ';')),
                        _mm_or_si128(is(x, '='), is(x, '_')));
  } else {
    return _mm_or_si128(in_range(x, 0x20, 0x7e), is(x, '\t'));  // the whole class
  }
}
}  // namespace simd
#endif

/// The first index from `j` whose byte is not in class K, or `n` if the bytes
/// [j, n) all are. Bytes up to `readable` (>= n) may be read, though only
/// [j, n) decide the answer; with `nul_at_n` a byte outside every class is at
/// p[n] (it stops the table loop without a bounds check).
template <char_class K>
inline std::size_t run_of(const char* p, std::size_t j, std::size_t n, std::size_t readable,
                          bool nul_at_n) noexcept {
  constexpr const char_table& table = table_of(K);
#if defined(__SSE2__)
  while (j + 16 <= readable) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + j));
    const unsigned out = ~static_cast<unsigned>(_mm_movemask_epi8(simd::common<K>(x))) & 0xffffu;
    if (out != 0) {
      j += static_cast<std::size_t>(__builtin_ctz(out));
      if (j >= n) return n;
      if (!table[static_cast<unsigned char>(p[j])]) return j;
      ++j;  // in the class, outside its common part: the run goes on
      continue;
    }
    j += 16;
    if (j >= n) return n;
  }
#endif
  if (nul_at_n) {
    while (table[static_cast<unsigned char>(p[j])]) ++j;
  } else {
    while (j < n && table[static_cast<unsigned char>(p[j])]) ++j;
  }
  return j;
}

/// Case-insensitive equality of a token `name` (all tchar, as a token run found
/// it) with `lower`, a name of lowercase letters and '-' of the same size, a
/// word at a time: for such bytes, b | 0x20 equals a lowercase letter only for
/// its two cases, and '-' only for itself (its other preimage, CR, is no tchar).
[[gnu::always_inline]] inline bool token_equals_lower(std::string_view name,
                                                      std::string_view lower) noexcept {
  const std::size_t n = name.size();
  auto word8 = [](const char* p) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  };
  auto word4 = [](const char* p) {
    std::uint32_t w;
    std::memcpy(&w, p, 4);
    return w;
  };
  if (n != lower.size()) return false;
  if (n >= 8) {
    for (std::size_t i = 0; i + 8 < n; i += 8) {
      if ((word8(name.data() + i) | 0x2020202020202020u) != word8(lower.data() + i)) return false;
    }
    return (word8(name.data() + n - 8) | 0x2020202020202020u) == word8(lower.data() + n - 8);
  }
  if (n >= 4) {
    return (word4(name.data()) | 0x20202020u) == word4(lower.data()) &&
           (word4(name.data() + n - 4) | 0x20202020u) == word4(lower.data() + n - 4);
  }
  for (std::size_t i = 0; i < n; ++i) {
    if ((name[i] | 0x20) != lower[i]) return false;
  }
  return true;
}

}  // namespace eddy::net::http::detail
