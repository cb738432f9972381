// request.hpp: a parsed HTTP/1.1 request, as views into the receive buffer of the
// server_codec that produced it (no copy of the request bytes is made).
//
// Lifetime: a request returned by server_codec::request() is valid until the next
// call to next(), prepare() or feed() on that codec. Copy what must live longer.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include <eddy/net/http/headers.hpp>
#include <eddy/net/http/method.hpp>

namespace eddy::net::http {

class server_codec;

class request {
 public:
  http::method method() const noexcept { return method_; }
  /// The method token as sent ("GET", "PROPFIND").
  std::string_view method_name() const noexcept { return method_name_; }

  /// The request-target exactly as sent: origin-form "/a%20b?x=1", absolute-form
  /// "http://host/a", authority-form "host:443" (CONNECT) or asterisk-form "*".
  std::string_view target() const noexcept { return target_; }
  /// The path, percent-decoded ("/a b"). "/" for an absolute-form target without a
  /// path, "*" for asterisk-form, empty for CONNECT. Escapes were validated: no
  /// malformed %XX and no %00 reaches here. Encoded slashes are decoded too, so
  /// match routes on path() but resolve files from raw_path() (see static_file.hpp).
  std::string_view path() const noexcept { return path_; }
  /// The path as sent, still percent-encoded.
  std::string_view raw_path() const noexcept { return raw_path_; }
  /// The query without '?', still percent-encoded; empty if none. See query_param().
  std::string_view query() const noexcept { return query_; }

  int version_major() const noexcept { return major_; }
  int version_minor() const noexcept { return minor_; }

  /// Every field line in order; duplicates are kept.
  std::span<const header_field> headers() const noexcept { return headers_; }
  /// The first value of the field `name` (case-insensitive), if present.
  std::optional<std::string_view> header(std::string_view name) const noexcept {
    return find_header(headers_, name);
  }

  /// The body, de-chunked; empty while only the head has been parsed.
  std::string_view body() const noexcept { return body_; }
  /// The declared Content-Length, if the request had one.
  std::optional<std::uint64_t> content_length() const noexcept { return content_length_; }
  /// True if the body came with Transfer-Encoding: chunked.
  bool chunked() const noexcept { return chunked_; }

  /// RFC 9112 section 9.3: HTTP/1.1 persists unless `Connection: close`; HTTP/1.0
  /// persists only with `Connection: keep-alive`. CONNECT never does.
  bool keep_alive() const noexcept { return keep_alive_; }
  /// True if the client sent `Expect: 100-continue`.
  bool expects_continue() const noexcept { return expects_continue_; }

 private:
  friend class server_codec;

  http::method method_ = http::method::get;
  std::string_view method_name_;
  std::string_view target_;
  std::string_view path_;
  std::string_view raw_path_;
  std::string_view query_;
  int major_ = 1;
  int minor_ = 1;
  std::vector<header_field> headers_;  // reused across requests: capacity is kept
  std::string_view body_;
  std::optional<std::uint64_t> content_length_;
  bool chunked_ = false;
  bool keep_alive_ = true;
  bool expects_continue_ = false;
};

}  // namespace eddy::net::http
