// response.hpp: what a handler returns: a status, header fields and a body, which
// is nothing, bytes (owned or borrowed), a region of a file (sent with sendfile by
// the server), or a stream written after the head by a producer coroutine
// (stream_writer.hpp).
//
// The framing fields (Content-Length, Transfer-Encoding, Date, Connection) are
// always computed by the serializer and cannot be set by hand; use set_close() to
// close the connection after this response.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <eddy/net/http/field.hpp>
#include <eddy/net/http/file_handle.hpp>
#include <eddy/net/http/header_text.hpp>
#include <eddy/net/http/status.hpp>
#include <eddy/net/http/stream_writer.hpp>

namespace eddy::net::http {

/// A region of an open file; the response owns the descriptor.
struct file_body {
  file_handle file;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

/// Bytes the response does not own: they must outlive the write (static strings).
struct borrowed_body {
  std::string_view bytes;
};

/// The body is produced after the head by `producer` (stream_writer.hpp); with
/// no producer it is empty.
struct chunked_body {
  stream_producer producer;
};

/// True if `value` may be sent as a field value: no CR, LF or NUL (no response
/// splitting).
bool is_field_value(std::string_view value) noexcept;

class response {
 public:
  using body_type =
      std::variant<std::monostate, std::string, borrowed_body, file_body, chunked_body>;

  response() = default;
  explicit response(http::status s) : status_(s) {}

  /// A complete response with `body` and a Content-Type.
  static response with_body(http::status s, std::string body, std::string_view content_type);
  /// 405 with its mandatory Allow field ("GET, HEAD").
  static response method_not_allowed(std::string_view allow);
  /// A response whose body `producer` writes after the head (stream_writer.hpp):
  /// chunked for HTTP/1.1 clients, close-delimited for HTTP/1.0 ones.
  static response stream(http::status s, std::string_view content_type, stream_producer producer);

  http::status status() const noexcept { return status_; }
  void set_status(http::status s) noexcept { status_ = s; }

  /// Appends a field. Returns false (and adds nothing) if the name is not a token,
  /// the value holds CR, LF or NUL (no response splitting), or the name is one of
  /// the serializer's own fields (Content-Length, Transfer-Encoding, Date, Connection).
  bool add_header(std::string_view name, std::string_view value);
  /// The same for a name checked at compile time (field.hpp): only the value is
  /// checked here.
  bool add_header(field_name name, std::string_view value) {
    if (!is_field_value(value)) return false;
    headers_.append_field(name.view(), value);
    return true;
  }
  /// The first value of `name`, case-insensitive.
  std::optional<std::string_view> header(std::string_view name) const noexcept;
  /// Every field as its wire form, "Name: value\r\n" lines.
  std::string_view header_block() const noexcept { return headers_.view(); }

  void set_body(std::string bytes) { body_ = std::move(bytes); }
  void set_borrowed_body(std::string_view bytes) { body_ = borrowed_body{bytes}; }
  void set_file_body(file_handle file, std::uint64_t offset, std::uint64_t length) {
    body_ = file_body{std::move(file), offset, length};
  }
  void set_chunked() { body_ = chunked_body{}; }
  void set_stream(stream_producer producer) { body_ = chunked_body{std::move(producer)}; }
  body_type& body() noexcept { return body_; }
  const body_type& body() const noexcept { return body_; }
  /// Length of the content; nullopt for a chunked stream.
  std::optional<std::uint64_t> content_length() const noexcept;

  /// Ask for `Connection: close` after this response.
  void set_close(bool close = true) noexcept { close_ = close; }
  bool close() const noexcept { return close_; }

 private:
  http::status status_ = http::status::ok;
  header_text headers_;  // inline while small: no allocation per response
  body_type body_;
  bool close_ = false;
};

}  // namespace eddy::net::http
