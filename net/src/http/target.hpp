// target.hpp: request-target forms (RFC 9112 section 3.2) and percent-decoding.
// Private to eddy_http; shared by the codec and the static-file resolver.
#pragma once

#include <string>
#include <string_view>

namespace eddy::net::http::detail {

enum class target_form { origin, absolute, authority, asterisk };

struct target_parts {
  target_form form = target_form::origin;
  std::string_view raw_path;  // empty for authority and asterisk forms
  std::string_view query;     // without '?', fragment removed
};

/// Splits `target` into path and query; false if it fits no form allowed for the
/// method (authority-form only for CONNECT, asterisk-form only for OPTIONS).
bool split_target(std::string_view target, bool is_connect, bool is_options,
                  target_parts& out) noexcept;

/// The value of hex digit `c`, or -1.
int hex_value(char c) noexcept;

/// Appends the percent-decoding of `in` to `out`. False on a malformed escape or an
/// encoded NUL (the caller refuses the request).
bool percent_decode(std::string_view in, std::string& out);

}  // namespace eddy::net::http::detail
