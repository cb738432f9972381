// server.hpp: the async HTTP/1.1 server: accepts on a tcp_listener and runs one
// task per connection, which drives a server_codec (server_codec.hpp) and
// answers each request with the router's handler.
//
//   http::router r;
//   r.get("/", hello);
//   http::server srv(std::move(r));
//   auto l = net::tcp_listener::bind(net::address::loopback_v4(8080));
//   co_await srv.serve(*l);       // until srv.shutdown()
//
// A connection, as a state machine (server.cpp):
//   read   -> bytes into the codec; its events are handled in order: each request
//             is answered by awaiting its handler and serializing the response
//             into one output_buffer, so pipelined responses stay in order and a
//             batch leaves in one writev (file bodies in between with sendfile).
//             A handler that suspends (a timer, I/O) first flushes what the batch
//             already holds, so earlier responses are not held back by it.
//             A streamed body (stream_writer.hpp) is produced right after its
//             head, flushing as it goes; the next request is parsed after it.
//   flush  -> then read again, bounded by keep_alive_timeout while idle between
//             requests, and by header_timeout once a request has started.
//   close  -> after `Connection: close`, a protocol error (answered with its
//             status, counted in stats()) or a timed-out request (408): the write
//             side is shut down, input is drained for at most linger_timeout, then
//             the socket closes, so the client reads the whole response instead of
//             a reset. A peer that leaves between requests is just closed.
// Memory: an idle keep-alive connection is a hand-written future in its task's
// cell (socket, codec without a buffer, deadline timer: 296 bytes with the cell)
// plus its reactor slot and registry entry; no coroutine frame and no buffer.
// Bytes that arrive start a batch, a coroutine whose frame (under 1 KiB: output
// buffer, the request in flight) and receive buffer come from per-thread pools
// and go back when the connection is idle again; routing and the response are
// built on the stack, and the rare paths (a handler that waits, a streamed body,
// the graceful close) run in frames of their own.
//
// Graceful shutdown (shutdown(), from any thread): serve() stops accepting and
// closes the listener; idle connections close at once; a connection in the middle
// of a request finishes it (its response says `Connection: close`), up to
// shutdown_timeout, after which the remaining connection tasks are cancelled.
// serve() returns when every connection task is gone.
//
// File bodies go out with sendfile(2), which (unlike the sockets' own writes, sent
// with MSG_NOSIGNAL) raises SIGPIPE when the peer has reset the connection:
// programs serving files should ignore SIGPIPE (the example does).
//
// Threads: a server runs on a current-thread or a multi-thread runtime. On the
// latter its connection tasks run on any worker and move between workers
// between polls, so the state they share is thread-safe without a lock per
// request: the counters are relaxed atomics, the Date value is cached per thread,
// the router is only read, and the registry of live connections (graceful
// shutdown) takes a mutex once when a connection opens, once when its task
// first waits for input, and once when it ends.
//
// Thread safety: serve() runs once, as one task; shutdown() and stats() may be
// called from any thread. The server must outlive its connection tasks: destroy
// it after serve() returned, or after the runtime that ran serve() is gone.
// Several servers may share one router.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>

#include <eddy/net/http/router.hpp>
#include <eddy/net/http/server_codec.hpp>
#include <eddy/net/tcp_listener.hpp>
#include <eddy/task.hpp>
#include <eddy/waker.hpp>

namespace eddy {
class sleep_future;
}  // namespace eddy

namespace eddy::net::http {

struct write_result;

struct server_settings {
  /// Limits of each request (header bytes 431, URI 414, body 413...).
  codec_settings codec;
  /// A request must arrive completely (head and body) within this time of its
  /// first byte arriving (the first request: of the connection being accepted),
  /// or it is answered 408 and the connection closed: slow clients cannot hold a
  /// connection open with a trickle of bytes.
  std::chrono::milliseconds header_timeout{20'000};
  /// A connection idle between requests longer than this is closed.
  std::chrono::milliseconds keep_alive_timeout{60'000};
  /// One write (writev or sendfile) that makes no progress for this long drops
  /// the connection (a client that does not read its responses).
  std::chrono::milliseconds write_timeout{30'000};
  /// How long a closing connection drains its input after shutting down its
  /// write side (graceful close).
  std::chrono::milliseconds linger_timeout{1'000};
  /// How long shutdown lets in-flight requests finish before cancelling them.
  std::chrono::milliseconds shutdown_timeout{10'000};
};

/// A snapshot of the server's counters (server::stats()).
struct server_stats {
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_open = 0;
  std::uint64_t accept_errors = 0;
  /// Requests answered by a handler (or the router's 404/405).
  std::uint64_t requests = 0;
  /// Protocol errors answered with a 4xx/5xx and a close, by status.
  std::uint64_t protocol_errors = 0;
  std::uint64_t errors_400 = 0;
  std::uint64_t errors_413 = 0;
  std::uint64_t errors_414 = 0;
  std::uint64_t errors_431 = 0;
  std::uint64_t errors_other = 0;
  /// Requests not received within header_timeout (answered 408).
  std::uint64_t header_timeouts = 0;
  /// Idle keep-alive connections closed by keep_alive_timeout.
  std::uint64_t idle_timeouts = 0;
  /// Flushes abandoned by write_timeout, and connections reset by the peer.
  std::uint64_t write_timeouts = 0;
  std::uint64_t io_errors = 0;
  /// Handlers that threw (answered 500).
  std::uint64_t handler_errors = 0;
  /// Connections cancelled because shutdown_timeout passed.
  std::uint64_t cancelled_at_shutdown = 0;
  /// The most bytes a streamed response (stream_writer.hpp) held in its
  /// connection's output buffer before flushing: the backpressure bound, about
  /// stream_writer::flush_threshold plus the largest single write.
  std::uint64_t stream_buffer_peak = 0;
};

namespace detail {
struct connection_slot;

/// server_stats as counters that any worker thread bumps (relaxed: each is a
/// count, none orders other memory).
struct server_counters {
  using counter = std::atomic<std::uint64_t>;
  counter connections_accepted{0};
  counter connections_open{0};
  counter accept_errors{0};
  counter requests{0};
  counter protocol_errors{0};
  counter errors_400{0};
  counter errors_413{0};
  counter errors_414{0};
  counter errors_431{0};
  counter errors_other{0};
  counter header_timeouts{0};
  counter idle_timeouts{0};
  counter write_timeouts{0};
  counter io_errors{0};
  counter handler_errors{0};
  counter cancelled_at_shutdown{0};
  counter stream_buffer_peak{0};

  static void bump(counter& c) noexcept { c.fetch_add(1, std::memory_order_relaxed); }
  [[nodiscard]] server_stats snapshot() const noexcept;
};
}  // namespace detail

class server {
 public:
  explicit server(router r, server_settings settings = {});
  /// Precondition: serve() is not running (it returned or never started).
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Accepts on `listener` until shutdown(), then shuts down gracefully (see the
  /// file comment) and closes the listener. Run it on the runtime the listener
  /// is registered with; one serve() per server.
  [[nodiscard]] task<void> serve(tcp_listener& listener);

  /// Asks serve() to stop. Any thread, any number of times, also before serve().
  void shutdown() noexcept;
  [[nodiscard]] bool shutdown_requested() const noexcept {
    return stop_requested_.load(std::memory_order_acquire);
  }

  /// The counters now (each read on its own: a snapshot taken while connections
  /// run need not be consistent across fields; after serve() it is).
  [[nodiscard]] server_stats stats() const noexcept { return stats_.snapshot(); }
  [[nodiscard]] const server_settings& settings() const noexcept { return settings_; }
  [[nodiscard]] const http::router& routes() const noexcept { return router_; }

 private:
  friend struct detail::connection_slot;
  struct accept_future;
  struct drained_future;
  struct connection_guard;
  class connection;
  struct read_future;
  struct flush_future;
  struct stream_sink;
  struct stream_future;
  struct respond_future;
  struct handler_future;
  struct pending_response;

  task<bool> serve_batch(connection& c);
  /// The rare parts of a connection, in frames of their own, so that the frame
  /// every connection keeps while idle holds only the common path.
  task<bool> serve_slow(tcp_stream& stream, output_buffer& out, pending_response& pending,
                        bool handler_waits);
  task<void> linger(tcp_stream& stream, detail::connection_slot* slot, server_codec& codec,
                    sleep_future& deadline_timer);
  write_result finish_response(output_buffer& out, response&& resp, pending_response& pending);
  void publish_answered(pending_response& pending) noexcept;
  task<bool> stream_body(tcp_stream& stream, output_buffer& out, body_framing framing,
                         stream_producer& producer);
  void reap() noexcept;
  void wake_readers();
  void count_error(http::status s) noexcept;

  http::router router_;
  server_settings settings_;
  detail::server_counters stats_;

  // shutdown() from any thread: stop_mu_ guards accept_waker_ and orders the flag
  // against the accept loop's check-then-store (no lost wake-up).
  std::atomic<bool> stop_requested_{false};
  std::mutex stop_mu_;
  waker accept_waker_;

  // The connection registry (server_detail.hpp has its rules). Connections finish
  // their request, then close, once stopping_ is set (by serve(), before it wakes
  // every registered reader).
  std::atomic<bool> stopping_{false};
  std::mutex conns_mu_;                          // guards the three below and slot links
  detail::connection_slot* live_ = nullptr;      // connection tasks still running
  detail::connection_slot* finished_ = nullptr;  // ended, their join handles to drop
  waker drained_waker_;                          // serve() waiting for live_ to empty
};

}  // namespace eddy::net::http
