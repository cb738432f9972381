// serializer.hpp: responses to bytes, appended to an output_buffer.
//
// Every response gets Date and its framing: Content-Length, or Transfer-Encoding:
// chunked for a chunked body (HTTP/1.1 clients) or close-delimited content
// (HTTP/1.0 clients, which cannot read chunks). 1xx, 204 and 304 get neither, and
// HEAD responses keep the framing fields of the body they leave out. A 405 always
// carries Allow. Field order: status line, Date, the response's own fields,
// framing, Connection.
#pragma once

#include <string_view>

#include <eddy/net/http/output_buffer.hpp>
#include <eddy/net/http/response.hpp>
#include <eddy/net/http/status.hpp>

namespace eddy::net::http {

/// What the serializer needs to know about the request being answered.
struct response_context {
  /// The Date value, normally date_cache::get(now) taken once per batch.
  std::string_view date;
  /// The request was HEAD: write the head only.
  bool head = false;
  /// The request's keep-alive decision (request::keep_alive()).
  bool keep_alive = true;
  /// The request's minor version: 0 for HTTP/1.0 clients.
  int http_minor = 1;
};

/// How the content of a streamed (chunked_body) response must be written.
enum class body_framing {
  /// Nothing follows the head (or the body was already appended).
  complete,
  /// Write it with write_chunk() and end with write_last_chunk().
  chunked,
  /// Write raw bytes (write_chunk(..., raw)) and close the connection at the end.
  close_delimited,
};

struct write_result {
  /// Keep the connection open after this response.
  bool keep_alive;
  body_framing framing;
};

/// Appends `r` (consuming its body: owned strings and files move into `out`).
write_result write_response(output_buffer& out, response&& r, const response_context& ctx);

/// Appends the interim "HTTP/1.1 100 Continue\r\n\r\n".
void write_continue(output_buffer& out);

/// Appends a protocol error response: `s`, a short text body, `Connection: close`
/// (and `Allow: <allow>` for 405).
void write_error(output_buffer& out, status s, std::string_view date, std::string_view allow = {});

/// Appends one chunk of a streamed body; an empty `data` appends nothing (an empty
/// chunk would end the stream). With close_delimited framing the bytes go raw.
void write_chunk(output_buffer& out, std::string_view data,
                 body_framing framing = body_framing::chunked);
/// Ends a chunked stream ("0\r\n\r\n"); nothing for close_delimited framing.
void write_last_chunk(output_buffer& out, body_framing framing = body_framing::chunked);

}  // namespace eddy::net::http
