// headers.hpp: header fields as views, and the case-insensitive helpers every
// lookup uses (field names are case-insensitive, RFC 9110 section 5.1).
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

namespace eddy::net::http {

/// One field line. The views point into the buffer that holds the message.
struct header_field {
  std::string_view name;
  std::string_view value;  // without leading or trailing whitespace
};

/// ASCII case-insensitive equality. Inline (and constexpr): the codec and the serializer compare
/// field names with it on every request.
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const unsigned x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    // 'A'..'Z' + 32 = 'a'..'z'; every other byte stays as it is.
    if (x + ((x - 'A' < 26u) << 5) != y + ((y - 'A' < 26u) << 5)) return false;
  }
  return true;
}

/// True if the comma-separated `list` (e.g. a Connection value) contains `token`,
/// compared case-insensitively: has_token("Keep-Alive, Upgrade", "upgrade").
bool has_token(std::string_view list, std::string_view token) noexcept;

/// The value of the first field named `name`, if any.
std::optional<std::string_view> find_header(std::span<const header_field> fields,
                                            std::string_view name) noexcept;

/// The raw (still percent-encoded) value of `name` in a query string "a=1&b=2";
/// an empty view for a bare key ("a&b"), nullopt if absent.
std::optional<std::string_view> query_param(std::string_view query, std::string_view name) noexcept;

}  // namespace eddy::net::http
