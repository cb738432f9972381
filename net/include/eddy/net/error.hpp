// error.hpp: the networking layer's own error conditions. Socket errors
// (ECONNREFUSED, ECONNRESET, EADDRINUSE...) stay in std::system_category(); the
// resolver's EAI_* codes get their own category so their messages read right.
#pragma once

#include <system_error>

namespace eddy::net {

enum class errc {
  /// read_exact() reached the end of the stream first. Permanent for that stream.
  unexpected_eof = 1,
};

const std::error_category& error_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

/// getaddrinfo()'s EAI_* codes (EAI_SYSTEM is reported as the errno instead).
/// EAI_AGAIN is transient; the others are permanent for that name.
const std::error_category& resolve_category() noexcept;

}  // namespace eddy::net

template <>
struct std::is_error_code_enum<eddy::net::errc> : std::true_type {};
