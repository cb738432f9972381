// server_codec.hpp: the server side of one HTTP/1.1 connection, without I/O.
//
// Bytes go in (prepare()/commit() or feed()), events come out of next(): complete
// requests in order, a request for an interim `100 Continue`, a protocol error with
// the status to answer, or the end of the connection. The codec never reads, writes
// or sleeps, so the async server drives it from its read loop, and tests and the
// fuzzer drive it synchronously with any split of the input.
//
// Parsing is llhttp's (strict mode); the codec adds what llhttp leaves to its user:
// limits (head 431, URI 414, body 413), Host rules, obs-fold, HTTP/0.9 and
// HTTP/2+ rejection, keep-alive per RFC 9112, target splitting and decoding.
//
// Buffering: the codec owns one receive buffer. A request's views (request.hpp)
// point into it; bodies are de-chunked in place. A completed message's bytes are
// dropped when the caller next asks for space, so in steady state the buffer and
// the request's header vector are reused and nothing is allocated per request.
// Between requests the caller may hand the buffer back (release_buffer()) to a
// per-thread pool that prepare() takes from, so idle connections hold none.
//
// Thread safety: none; a codec belongs to one connection's task.
//
// Driving it (the shape of the async server's connection loop):
//
//   server_codec codec;
//   for (;;) {
//     switch (codec.next()) {
//       case codec_event::request:         serialize handler(codec.request()); continue;
//       case codec_event::expect_continue: write_continue(out); continue;
//       case codec_event::error:           write_error(out, codec.error_status(), date);
//                                          flush, then close gracefully; return;
//       case codec_event::closed:          flush, then close; return;
//       case codec_event::need_input:      break;
//     }
//     flush out (one writev for every response of the batch);
//     auto space = codec.prepare();
//     n = read(space);  n == 0 ? codec.finish() : codec.commit(n);
//   }
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>

#include <eddy/net/http/request.hpp>
#include <eddy/net/http/status.hpp>

namespace eddy::net::http {

/// Limits, each with the status a request exceeding it gets.
struct codec_settings {
  /// Request line plus header section, in bytes (also bounds chunked trailers): 431.
  std::size_t max_header_bytes = 16 * 1024;
  /// Request-target length: 414.
  std::size_t max_uri_bytes = 8 * 1024;
  /// Number of header field lines: 431.
  std::size_t max_header_count = 100;
  /// Body after de-chunking, declared (Content-Length, chunk sizes) or received: 413.
  std::size_t max_body_bytes = 1024 * 1024;
  /// The smallest free space prepare() returns by default.
  std::size_t read_size = 16 * 1024;
  /// Parse plain GET and HEAD heads in one pass of the codec's own instead of
  /// with llhttp; the result is the same (requests, errors), only faster. Off
  /// only to check exactly that (tests, the fuzzer).
  bool simple_heads = true;
};

enum class codec_event {
  /// Everything received is parsed; call prepare()/commit() (or feed()) or finish().
  need_input,
  /// request() is complete. Call next() for the following pipelined one.
  request,
  /// request() holds a head with `Expect: 100-continue` whose body has not started
  /// arriving: send `HTTP/1.1 100 Continue` (write_continue()) and call next().
  /// Reported once per request, and never when the request is refused instead.
  expect_continue,
  /// A protocol error: answer error_status() with `Connection: close`, then close.
  /// Sticky: every later next() returns it again.
  error,
  /// No further request will be read: the last one was not keep-alive, or the peer
  /// finished between requests. Sticky.
  closed,
};

class server_codec {
 public:
  struct impl;  // server_codec.cpp

  explicit server_codec(const codec_settings& settings = {});
  ~server_codec();
  server_codec(server_codec&&) noexcept;
  server_codec& operator=(server_codec&&) noexcept;
  server_codec(const server_codec&) = delete;
  server_codec& operator=(const server_codec&) = delete;

  /// Free space of at least `min_size` (0: settings.read_size) bytes to receive into.
  /// Invalidates request() and drops the bytes of messages already returned.
  std::span<char> prepare(std::size_t min_size = 0);
  /// `n` bytes were written at the start of the last prepare() span.
  void commit(std::size_t n) noexcept;
  /// If no byte of an unfinished message is buffered, gives the receive buffer
  /// back (to a small per-thread pool, which the next prepare() takes from) and
  /// returns true: an idle keep-alive connection then holds no buffer, and
  /// between messages the parser state is parked in a per-thread cache too.
  /// Invalidates request(), like prepare().
  bool release_buffer() noexcept;
  /// prepare() + copy + commit().
  void feed(std::string_view bytes);
  /// The peer will send nothing more (read returned 0). Between requests this
  /// makes next() return closed; inside a request, error (400).
  void finish() noexcept;

  /// Parses what has been received, up to the next event.
  codec_event next();

  /// The request of the last `request` or `expect_continue` event.
  const http::request& request() const noexcept;
  /// After `error`: the status to answer (400, 413, 414, 431, 505...).
  http::status error_status() const noexcept;
  /// After `error`: a short static description for logs ("obs-fold", "Duplicate
  /// Content-Length"...).
  std::string_view error_reason() const noexcept;

  /// True when no byte of an unfinished request is buffered: the connection is
  /// idle between requests (for choosing the keep-alive vs the header timeout).
  bool idle() const noexcept;
  /// Number of requests returned so far.
  std::size_t requests_completed() const noexcept;

 private:
  impl& live();

  std::unique_ptr<impl> impl_;  // null until first used, and while parked (release_buffer())
  codec_settings cfg_;
  std::size_t completed_ = 0;         // requests_completed() while parked
  bool closed_while_parked_ = false;  // finish() while parked: next() says closed
};

}  // namespace eddy::net::http
