// stream_writer.hpp: a response body produced while it is sent. A handler returns
// response::stream(status, content_type, producer); the server writes the head,
// then runs the producer, a coroutine that gets a stream_writer and writes the
// body piece by piece:
//
//   r.get("/numbers", [](const http::request&) -> task<http::response> {
//     co_return http::response::stream(http::status::ok, "text/plain",
//         [n = 0](http::stream_writer& w) mutable -> task<void> {
//           for (; n < 1000; ++n) {
//             auto line = std::to_string(n) + "\n";
//             if (!co_await w.write(line)) co_return;  // the client is gone
//           }
//         });
//   });
//
// Framing: HTTP/1.1 clients get `Transfer-Encoding: chunked`, each write() one
// chunk and the last chunk when the producer returns; HTTP/1.0 clients get the
// raw bytes and the end of the body is the connection closing (`Connection:
// close`). HEAD requests (and 204/304 answers) get the head only: the producer is
// never called, just destroyed.
//
// Backpressure: write() copies into the connection's output buffer and completes
// at once while that buffer holds less than flush_threshold bytes; past it, it
// waits until the whole buffer is written to the socket, so a producer never runs
// more than about flush_threshold (plus one write) ahead of a slow reader. When
// the producer waits for something else (a timer, another socket) the server
// sends what is buffered meanwhile, so small writes are not held back. A write
// that makes no progress for server_settings::write_timeout fails.
//
// Errors: write() and flush() report the first error of the stream (the client
// left: a system error; write_timeout: eddy::errc::timed_out) and every later
// call reports it again without sending. The producer should then return; the
// connection is closed without the last chunk. A producer that throws also ends
// the connection without the last chunk (the client sees a truncated body), and
// counts in server_stats::handler_errors.
//
// Lifetime: the server keeps the producer (and what it captured) alive until the
// coroutine it returned has finished; the request the handler got stays valid
// until then too (later pipelined requests are answered after the stream ends).
// The producer runs on the connection's task, on whichever thread polls it. At
// server shutdown a stream still running after shutdown_timeout is cancelled (its
// coroutine frame destroyed at its suspension point) like any other request.
//
// Thread safety: a stream_writer belongs to its connection; use it from the
// producer only, one write() or flush() at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

#include <eddy/context.hpp>
#include <eddy/polled.hpp>
#include <eddy/result.hpp>
#include <eddy/task.hpp>

namespace eddy::net::http {

class output_buffer;
enum class body_framing;

class stream_writer {
 public:
  /// write() waits for the socket once the output buffer holds this much.
  static constexpr std::size_t flush_threshold = 64 * 1024;

  /// The future of write(): appends on its first poll, then waits for the flush
  /// if one is needed. Dropping it once polled does not take the bytes back.
  class write_future {
   public:
    polled<result<void>> poll(context& cx);

   private:
    friend class stream_writer;
    write_future(stream_writer* w, std::string_view bytes) noexcept : w_(w), bytes_(bytes) {}
    stream_writer* w_;
    std::string_view bytes_;
    bool appended_ = false;
  };

  /// The future of flush(): completes when everything buffered was sent.
  class flush_future {
   public:
    polled<result<void>> poll(context& cx) { return w_->poll_flush(cx); }

   private:
    friend class stream_writer;
    explicit flush_future(stream_writer* w) noexcept : w_(w) {}
    stream_writer* w_;
  };

  /// Sends `bytes` as one chunk (copied: they need not outlive the call). An
  /// empty write is skipped (an empty chunk would end the body).
  [[nodiscard]] write_future write(std::string_view bytes) noexcept { return {this, bytes}; }
  /// Sends what is buffered now, for a producer that wants its last write on the
  /// wire before it waits (the server also does this by itself, see above).
  [[nodiscard]] flush_future flush() noexcept { return flush_future(this); }

  /// Content bytes accepted by write() so far.
  [[nodiscard]] std::uint64_t bytes_written() const noexcept { return written_; }
  /// The error that ended the stream, or an empty code.
  [[nodiscard]] std::error_code error() const noexcept { return error_; }

  /// How the server lets the writer drain `out` to the socket: `poll` writes
  /// until `out` is empty (ready), would block (pending) or fails.
  struct sink {
    void* self;
    polled<result<void>> (*poll)(void* self, context& cx);
  };
  /// Made by the server (and by tests of the framing).
  stream_writer(output_buffer& out, body_framing framing, sink s) noexcept
      : out_(&out), framing_(framing), sink_(s) {}
  stream_writer(const stream_writer&) = delete;
  stream_writer& operator=(const stream_writer&) = delete;

  /// For the server: drains the buffer (what write() and flush() wait on, and
  /// what the server calls while the producer waits for something else).
  polled<result<void>> poll_flush(context& cx);
  /// For the server: whether poll_flush() ran since the last call, so that a
  /// producer waiting in write() is not flushed twice per wake.
  bool take_flush_polled() noexcept { return std::exchange(flush_polled_, false); }

 private:
  output_buffer* out_;
  body_framing framing_;
  sink sink_;
  std::uint64_t written_ = 0;
  std::error_code error_;
  bool flush_polled_ = false;
};

/// A move-only callable `task<void>(stream_writer&)` (std::move_only_function is
/// C++23): what response::stream() keeps until the server runs it.
class stream_producer {
 public:
  stream_producer() noexcept = default;
  template <class F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, stream_producer> &&
           std::is_invocable_r_v<task<void>, std::remove_cvref_t<F>&, stream_writer&>)
      stream_producer(F&& f)  // NOLINT(google-explicit-constructor): a lambda converts
      : impl_(std::make_unique<model<std::remove_cvref_t<F>>>(std::forward<F>(f))) {}

  explicit operator bool() const noexcept { return static_cast<bool>(impl_); }
  /// Starts the producer (lazily: the task runs when polled). Keep *this alive
  /// until that task is done: a lambda coroutine reads its captures from here.
  task<void> operator()(stream_writer& w) { return impl_->call(w); }

 private:
  struct callable {
    virtual ~callable() = default;
    virtual task<void> call(stream_writer& w) = 0;
  };
  template <class F>
  struct model final : callable {
    template <class G>
    explicit model(G&& g) : f(std::forward<G>(g)) {}
    task<void> call(stream_writer& w) override { return f(w); }
    F f;
  };
  std::unique_ptr<callable> impl_;
};

}  // namespace eddy::net::http
