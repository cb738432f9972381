// field.hpp: response header field names checked when the program is compiled.
//
// response::add_header(field_name, value) skips the name checks that
// add_header(std::string_view, value) makes on every call; only the value is
// checked. The common names are below; others are made the same way:
//
//   constexpr http::field_name x_request_id{"X-Request-Id"};
//
// A name that is not a token (RFC 9110 section 5.6.2), or that is one of the
// fields the serializer writes itself, does not compile.
#pragma once

#include <array>
#include <string_view>

#include <eddy/net/http/headers.hpp>

namespace eddy::net::http {

/// tchar (RFC 9110 section 5.6.2) as a table.
inline constexpr std::array<bool, 256> tchar_table = [] {
  std::array<bool, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}();

/// True for a non-empty token.
constexpr bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s) {
    if (!tchar_table[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

/// The fields the serializer writes itself (Date, Connection, Content-Length,
/// Transfer-Encoding); by length first, so that most names are not compared.
constexpr bool is_serializer_field(std::string_view name) noexcept {
  switch (name.size()) {
    case 4:
      return iequals(name, "date");
    case 10:
      return iequals(name, "connection");
    case 14:
      return iequals(name, "content-length");
    case 17:
      return iequals(name, "transfer-encoding");
    default:
      return false;
  }
}

/// A field name a response may carry, checked at compile time.
class field_name {
 public:
  consteval explicit field_name(std::string_view name) : name_(name) {
    // Not a constant expression, so a bad name is a compile error.
    if (!is_token(name) || is_serializer_field(name)) throw "not a field name a response may set";
  }
  constexpr std::string_view view() const noexcept { return name_; }

 private:
  std::string_view name_;
};

namespace field {
inline constexpr field_name allow{"Allow"};
inline constexpr field_name cache_control{"Cache-Control"};
inline constexpr field_name content_encoding{"Content-Encoding"};
inline constexpr field_name content_type{"Content-Type"};
inline constexpr field_name etag{"ETag"};
inline constexpr field_name last_modified{"Last-Modified"};
inline constexpr field_name location{"Location"};
inline constexpr field_name retry_after{"Retry-After"};
inline constexpr field_name server{"Server"};
inline constexpr field_name set_cookie{"Set-Cookie"};
inline constexpr field_name vary{"Vary"};
}  // namespace field

}  // namespace eddy::net::http
