// method.hpp: request methods. The parser accepts every method llhttp knows; the
// ones a server routes on are named, the rest are `other` (see request::method_name()).
#pragma once

#include <cstdint>
#include <string_view>

namespace eddy::net::http {

enum class method : std::uint8_t {
  get,
  head,
  post,
  put,
  delete_,
  connect,
  options,
  trace,
  patch,
  other,
};

/// "GET", "HEAD", ...; "" for method::other.
std::string_view to_string(method m) noexcept;

}  // namespace eddy::net::http
