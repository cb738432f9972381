// copy_short.hpp: memcpy for the short pieces of a response head (the header
// text a response builds inline, and the serializer's head).
#pragma once

#include <cstddef>
#include <cstring>

namespace eddy::net::http::detail {

/// Copies `n` bytes: up to 32 as two overlapping fixed-size copies, which compile
/// to a few moves instead of a call (a field, a reason phrase, a small body).
inline void copy_short(char* dst, const char* src, std::size_t n) noexcept {
  if (n >= 16 && n <= 32) {
    std::memcpy(dst, src, 16);
    std::memcpy(dst + n - 16, src + n - 16, 16);
  } else if (n >= 8 && n < 16) {
    std::memcpy(dst, src, 8);
    std::memcpy(dst + n - 8, src + n - 8, 8);
  } else if (n >= 4 && n < 8) {
    std::memcpy(dst, src, 4);
    std::memcpy(dst + n - 4, src + n - 4, 4);
  } else if (n > 0) {
    std::memcpy(dst, src, n);
  }
}

}  // namespace eddy::net::http::detail
