// server_connection.cpp: one connection's task (the state machine of server.hpp's
// file comment): the connection future that waits between batches
// (server_detail.hpp), the batch coroutine, and the leaf futures they wait on.
//
// Syscalls per request in steady state: the read that brings the request (a
// short read drained the socket, so no second read returns EAGAIN; see
// read_future), one send (sendmsg for several segments) for the whole batch of
// responses, and a share of epoll_wait. Nothing is allocated per request by the
// loop itself: the codec's buffer and the output buffer's arena (from per-thread
// pools while the connection is busy), the batch's and the handler's frames (from
// the frame allocator) are reused.
#include <eddy/net/http/server.hpp>

#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>
#include <span>
#include <system_error>
#include <variant>

#include <eddy/error.hpp>
#include <eddy/net/http/date_cache.hpp>
#include <eddy/net/http/output_buffer.hpp>
#include <eddy/net/http/serializer.hpp>
#include <eddy/net/http/stream_writer.hpp>
#include <eddy/timer/sleep.hpp>

#include "net/src/http/server_detail.hpp"

namespace eddy::net::http {

namespace {

constexpr std::size_t max_iov = 64;
// Drained at most this much input while closing gracefully.
constexpr std::size_t max_linger_bytes = 1024 * 1024;
// sendfile moves at most this much per call (the kernel caps it near 2 GiB).
constexpr std::uint64_t max_sendfile = std::uint64_t{1} << 30;

result<std::size_t> syscall_size(ssize_t n) noexcept {
  if (n >= 0) return static_cast<std::size_t>(n);
  return result<std::size_t>(std::error_code(errno, std::system_category()));
}

void bump(std::atomic<std::uint64_t>& counter) noexcept {
  counter.fetch_add(1, std::memory_order_relaxed);
}

/// This thread's Date cache: a connection's task may run on any worker of a
/// multi-thread runtime. Not inlined, so that a coroutine resumed on another
/// thread cannot reuse a thread_local address computed before it suspended.
[[gnu::noinline]] date_cache& thread_date() noexcept {
  thread_local date_cache cache;
  return cache;
}

response internal_error() {
  return response::with_body(status::internal_server_error, "Internal Server Error\n",
                             "text/plain; charset=utf-8");
}

}  // namespace

enum class read_kind { data, error, timed_out, stopped };
struct read_outcome {
  read_kind kind;
  std::size_t n = 0;
};

/// One read into the codec's free space, racing the connection's deadline and
/// (between requests) the server's shutdown.
///
/// The codec's buffer is taken (prepare()) only once the socket is readable, and
/// an idle connection gives it back before it waits: idle connections hold no
/// receive buffer.
///
/// A read that fills less than the space it was given drained the socket, so it
/// clears the read readiness it observed, as Tokio does: the next read waits for
/// the next edge instead of making a recv that can only say EAGAIN. No wake is
/// lost: clear_ready() is a no-op if an event arrived since that readiness was
/// observed (registration.hpp), and each arrival of data makes a new edge. It is
/// not cleared when the peer's FIN or an error was seen: no new edge would come
/// for those, and the next read must see them.
///
/// The deadline timer is the connection's, armed lazily: it may be armed for an
/// earlier time than `deadline` (a keep-alive deadline only ever moves later, so
/// most reads keep the timer as it is instead of cancelling and re-inserting it
/// in the wheel per request); when it fires early it is re-armed for the real
/// deadline. It is never armed later than `deadline`.
struct server::read_future {
  server* srv;
  detail::connection_slot* slot;
  tcp_stream* stream;
  server_codec* codec;
  sleep_future* timer;
  timer::clock::time_point deadline;
  bool idle;

  polled<read_outcome> poll(context& cx) {
    auto& reg = stream->io().registration();
    for (;;) {
      auto ready = reg.poll_ready(cx, io_direction::read);
      if (ready.is_pending()) break;
      const std::span<char> space = codec->prepare();
      ssize_t n;
      do {
        n = ::recv(stream->native_handle(), space.data(), space.size(), 0);
      } while (n < 0 && errno == EINTR);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        reg.clear_ready(ready.value(), io_direction::read);
        continue;
      }
      if (n < 0) return read_outcome{read_kind::error};
      const io_ready seen = ready.value();
      if (n > 0 && static_cast<std::size_t>(n) < space.size() && !seen.is_read_closed() &&
          !seen.is_error())
        reg.clear_ready(seen, io_direction::read);  // drained (see above)
      return read_outcome{read_kind::data, static_cast<std::size_t>(n)};
    }
    if (idle) codec->release_buffer();
    if (!slot->reader.will_wake(cx.waker())) {  // once per connection (invariant 5)
      std::lock_guard lock(srv->conns_mu_);
      slot->reader = cx.waker();
    }
    if (idle && srv->stopping_.load(std::memory_order_acquire))
      return read_outcome{read_kind::stopped};
    if (timer->deadline() > deadline) timer->reset(deadline);
    // Armed by an earlier poll of this task, whose waker never changes: it wakes
    // us (no driver lock per read).
    if (timer->is_registered()) return pending;
    if (timer->poll(cx).is_pending()) return pending;
    if (timer->deadline() >= deadline) return read_outcome{read_kind::timed_out};
    timer->reset(deadline);  // fired early (invariant above): wait for the real one
    if (timer->poll(cx).is_pending()) return pending;
    return read_outcome{read_kind::timed_out};
  }
};

/// Writes the whole output buffer: memory segments with one sendmsg per batch
/// of up to 64 iovecs, file segments with sendfile. Fails with timed_out when a
/// write makes no progress for `limit`.
struct server::flush_future {
  tcp_stream* stream;
  output_buffer* out;
  std::chrono::milliseconds limit;
  sleep_future sleep{timer::clock::time_point::max()};
  bool armed = false;

  polled<result<void>> poll(context& cx) {
    bool progress = false;
    while (!out->empty()) {
      auto p = write_some(cx);
      if (p.is_pending()) break;
      auto& r = p.value();
      if (!r) return result<void>(r.error());
      if (*r == 0) return result<void>(std::make_error_code(std::errc::io_error));  // file shrank
      out->consume(*r);
      progress = true;
    }
    if (out->empty()) return result<void>{};
    if (progress || !armed) {
      sleep.reset(timer::deadline_after(limit));
      armed = true;
    }
    if (sleep.poll(cx).is_ready()) return result<void>(eddy::errc::timed_out);
    return pending;
  }

  polled<result<std::size_t>> write_some(context& cx) {
    auto& reg = stream->io().registration();
    const int fd = stream->native_handle();
    if (auto file = out->front_file()) {
      return reg.poll_io(cx, io_direction::write, [&]() -> result<std::size_t> {
        off_t off = static_cast<off_t>(file->offset);
        const auto len = static_cast<std::size_t>(std::min(file->length, max_sendfile));
        for (;;) {
          const ssize_t n = ::sendfile(fd, file->fd, &off, len);
          if (n < 0 && errno == EINTR) continue;
          return syscall_size(n);
        }
      });
    }
    ::iovec iov[max_iov];
    const std::size_t count = out->gather(iov, max_iov);
    return reg.poll_io(cx, io_direction::write, [&]() -> result<std::size_t> {
      ::msghdr msg{};
      msg.msg_iov = iov;
      msg.msg_iovlen = count;
      for (;;) {
        // One segment (the common response): send(), which the kernel takes
        // without copying in a msghdr and an iovec array.
        const ssize_t n = count == 1 ? ::send(fd, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL)
                                     : ::sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        return syscall_size(n);
      }
    });
  }
};

/// The sink of a stream_writer: flush_future, re-armed for each flush, and the
/// backpressure bound recorded (server_stats::stream_buffer_peak).
struct server::stream_sink {
  server* srv;
  flush_future flush;

  static polled<result<void>> poll(void* self, context& cx) {
    auto& s = *static_cast<stream_sink*>(self);
    auto& peak = s.srv->stats_.stream_buffer_peak;
    const std::uint64_t size = s.flush.out->size();
    std::uint64_t seen = peak.load(std::memory_order_relaxed);
    while (size > seen && !peak.compare_exchange_weak(seen, size, std::memory_order_relaxed)) {
    }
    auto p = s.flush.poll(cx);
    if (p.is_ready()) s.flush.armed = false;  // the next flush gets a fresh write_timeout
    return p;
  }
};

/// Runs a stream producer to completion. While it waits for something other
/// than its own write() or flush() (a timer, another socket), what it buffered
/// is written meanwhile; a failure there is kept in the writer, whose next
/// write() reports it.
struct server::stream_future {
  task<void>* producer;
  stream_writer* writer;
  output_buffer* out;

  polled<bool> poll(context& cx) {
    (void)writer->take_flush_polled();
    if (producer->poll(cx).is_ready()) return true;  // rethrows the producer's exception
    if (!writer->take_flush_polled() && !out->empty() && !writer->error())
      (void)writer->poll_flush(cx);
    return pending;
  }
};

/// A request being answered: the handler's task while it waits, the producer of
/// a streamed body, and what writing the response decided.
struct server::pending_response {
  const request* req;
  // The Date value, read once per batch pass: each response of a pipelined batch
  // does not read the clock again. A handler that waits gets a fresh one. A copy,
  // not a view of the cache: the batch may resume on another worker, and each
  // thread's cache rewrites its text when the second changes.
  std::array<char, 29> date_text{};
  std::size_t date_size = 0;
  void read_date() noexcept {
    const std::string_view d = thread_date().now();  // IMF-fixdate: always 29 bytes
    date_size = d.size() == date_text.size() ? d.size() : 0;
    if (date_size != 0) std::memcpy(date_text.data(), d.data(), date_text.size());
  }
  std::string_view date() const noexcept { return {date_text.data(), date_size}; }
  std::optional<task<response>> handler;  // engaged while the handler waits
  stream_producer producer;
  write_result written{true, body_framing::complete};
  // Responses written and not yet counted in stats_.requests: the shared
  // counter takes them once per flush, not once per pipelined response.
  std::uint64_t answered = 0;
};

void server::publish_answered(pending_response& pending) noexcept {
  if (pending.answered == 0) return;
  stats_.requests.fetch_add(pending.answered, std::memory_order_relaxed);
  pending.answered = 0;
}

write_result server::finish_response(output_buffer& out, response&& resp,
                                     pending_response& pending) {
  ++pending.answered;  // counted before it goes out (publish_answered())
  const request& req = *pending.req;
  const bool stopping = stopping_.load(std::memory_order_acquire);
  const response_context ctx{pending.date(), req.method() == method::head,
                             req.keep_alive() && !stopping, req.version_minor()};
  if (auto* c = std::get_if<chunked_body>(&resp.body())) pending.producer = std::move(c->producer);
  return write_response(out, std::move(resp), ctx);
}

/// Routes the codec's request and polls its handler once: a handler that
/// completes without waiting (the common case) is answered into `out` at once;
/// one that waits stays in pending.handler (it keeps cx's waker). Ready at the
/// first poll, with true when the handler waits. A leaf future, so the router's
/// match and the response live on the stack, not in the connection's frame.
struct server::respond_future {
  server* srv;
  output_buffer* out;
  pending_response* pending;

  polled<bool> poll(context& cx) {
    const request& req = *pending->req;
    const auto match = srv->router_.match(req.method(), req.path());
    if (!match.target) return finish(http::router::not_matched(match));
    // The handler's response is written from its task, where the handler's
    // co_return put it: not moved again (a response is ~180 bytes).
    bool done = false;
    try {
      done = pending->handler.emplace((*match.target)(req)).poll_keep(cx);
    } catch (...) {
      pending->handler.reset();
      bump(srv->stats_.handler_errors);
      return finish(internal_error());
    }
    if (!done) return true;
    const bool waits = finish(std::move(pending->handler->value()));
    pending->handler.reset();
    return waits;
  }

 private:
  bool finish(response&& resp) {
    pending->written = srv->finish_response(*out, std::move(resp), *pending);
    return false;
  }
};

/// A waiting handler, polled until it answers (or throws: 500).
struct server::handler_future {
  server* srv;
  output_buffer* out;
  pending_response* pending;

  polled<std::monostate> poll(context& cx) {
    response resp;
    bool threw = false;
    try {
      auto p = pending->handler->poll(cx);
      if (p.is_pending()) return eddy::pending;
      resp = std::move(p).value();
    } catch (...) {
      threw = true;
    }
    pending->handler.reset();
    if (threw) {
      bump(srv->stats_.handler_errors);
      resp = internal_error();
    }
    pending->read_date();
    pending->written = srv->finish_response(*out, std::move(resp), *pending);
    return std::monostate{};
  }
};

/// The rare paths of a request, in a frame of their own: a handler that waits
/// (what the batch holds so far goes out first, then its response is written
/// into `out`) and a streamed body. False when the connection must close now.
task<bool> server::serve_slow(tcp_stream& stream, output_buffer& out, pending_response& pending,
                              bool handler_waits) {
  if (handler_waits) {
    if (!out.empty()) {
      publish_answered(pending);
      auto f = co_await flush_future{&stream, &out, settings_.write_timeout};
      if (!f) {
        bump(f.error() == eddy::errc::timed_out ? stats_.write_timeouts : stats_.io_errors);
        co_return false;
      }
    }
    co_await handler_future{this, &out, &pending};
  }
  const body_framing framing = pending.written.framing;
  if (framing != body_framing::complete) {  // HEAD never gets here: no producer run
    publish_answered(pending);              // its head goes out with the body's first flush
    if (pending.producer && !co_await stream_body(stream, out, framing, pending.producer))
      co_return false;
    write_last_chunk(out, framing);
  }
  co_return true;
}

/// Graceful close: FIN first, then read (and drop) what the client still sends,
/// so that closing with unread input does not reset the connection under the
/// response it has not read yet.
task<void> server::linger(tcp_stream& stream, detail::connection_slot* slot, server_codec& codec,
                          sleep_future& deadline_timer) {
  if (!stream.shutdown(shutdown_how::write)) co_return;
  const auto linger_end = timer::deadline_after(settings_.linger_timeout);
  std::size_t drained = 0;
  while (drained < max_linger_bytes) {
    const auto r =
        co_await read_future{this, slot, &stream, &codec, &deadline_timer, linger_end, false};
    if (r.kind != read_kind::data || r.n == 0) break;
    drained += r.n;
  }
}

/// Streams a body after its head (already in `out`). False when the connection
/// must close now, without the last chunk: the producer threw (counted as a
/// handler error; what it wrote is flushed first) or a write failed (timed out,
/// or the client left).
task<bool> server::stream_body(tcp_stream& stream, output_buffer& out, body_framing framing,
                               stream_producer& producer) {
  stream_sink sink{this, flush_future{&stream, &out, settings_.write_timeout}};
  stream_writer writer(out, framing, {&sink, &stream_sink::poll});
  bool threw = false;
  try {
    task<void> t = producer(writer);
    co_await stream_future{&t, &writer, &out};
  } catch (...) {
    threw = true;
  }
  if (threw) {
    bump(stats_.handler_errors);
    // What it wrote still goes out: the client sees where the body broke off.
    if (!writer.error()) (void)co_await flush_future{&stream, &out, settings_.write_timeout};
    co_return false;
  }
  if (const auto ec = writer.error()) {
    bump(ec == eddy::errc::timed_out ? stats_.write_timeouts : stats_.io_errors);
    co_return false;
  }
  co_return true;
}

server::connection::connection(tcp_stream stream, connection_guard guard) noexcept
    : guard_(std::move(guard)),
      stream_(std::move(stream)),
      codec_(guard_.srv->settings_.codec),
      // Before its first request a connection is held to the header timeout: a
      // client that connects and sends nothing is as slow as one that trickles.
      idle_deadline_(
          timer::deadline_from(timer::recent_now(), guard_.srv->settings_.header_timeout)),
      request_deadline_(idle_deadline_) {
  (void)stream_.set_nodelay(true);  // responses leave at once, not after the peer's ACK
  // An idle connection's whole task (server.hpp, "Memory").
  static_assert(sizeof(eddy::detail::future_cell<connection>) <= 296);
}

/// Between batches: wait for input (or the idle deadline, or shutdown) with no
/// frame; the bytes that arrive start the next batch (invariant 1).
polled<void> server::connection::poll(context& cx) {
  server& srv = *guard_.srv;
  for (;;) {
    if (batch_.valid()) {
      auto p = batch_.poll(cx);
      if (p.is_pending()) return pending;
      const bool idle_again = p.value();
      batch_.reset();
      if (!idle_again) return ready();
      // Idle again: the next request gets the keep-alive timeout, unless none has
      // completed yet (then the first one's deadline still holds).
      if (codec_.requests_completed() != 0) {
        request_started_ = false;
        idle_deadline_ =
            timer::deadline_from(timer::recent_now(), srv.settings_.keep_alive_timeout);
      } else {
        idle_deadline_ = request_deadline_;
      }
    }
    const bool first = codec_.requests_completed() == 0;
    auto p =
        read_future{&srv, guard_.slot, &stream_, &codec_, &deadline_timer_, idle_deadline_, true}
            .poll(cx);
    if (p.is_pending()) return pending;
    const read_outcome r = p.value();
    switch (r.kind) {
      case read_kind::data:
        if (r.n == 0) {
          codec_.finish();
          peer_finished_ = true;
        } else {
          codec_.commit(r.n);
        }
        batch_ = srv.serve_batch(*this);
        break;
      case read_kind::error:
        bump(srv.stats_.io_errors);
        return ready();
      case read_kind::stopped:
        return ready();
      case read_kind::timed_out:  // nothing of a request arrived: close without an answer
        bump(first ? srv.stats_.header_timeouts : srv.stats_.idle_timeouts);
        return ready();
    }
  }
}

/// A batch: every event the received bytes make, answered into one output
/// buffer in order and flushed at once; more input read while a request is
/// incomplete. True when the connection is idle again (the codec holds no partial
/// request, everything is written) and may wait for more; false when it ended.
task<bool> server::serve_batch(connection& c) {
  tcp_stream& stream = c.stream_;
  server_codec& codec = c.codec_;
  output_buffer out;
  enum class ending { none, close, error, timeout };
  ending end = ending::none;
  pending_response pending{};

  for (;;) {
    // 1. Every event the received bytes make, answered into `out` in order.
    pending.read_date();
    while (end == ending::none) {
      const codec_event ev = codec.next();
      if (ev == codec_event::need_input) break;
      if (ev == codec_event::expect_continue) {
        write_continue(out);
        continue;
      }
      if (ev == codec_event::error) {
        count_error(codec.error_status());
        write_error(out, codec.error_status(), pending.date());
        end = ending::error;
        break;
      }
      if (ev == codec_event::closed) {
        end = ending::close;
        break;
      }
      // codec_event::request. The request stays valid until codec.next(): the
      // handler runs to completion before the next request is parsed.
      pending.req = &codec.request();
      const bool handler_waits = co_await respond_future{this, &out, &pending};
      if (handler_waits || pending.written.framing != body_framing::complete) {
        if (!co_await serve_slow(stream, out, pending, handler_waits)) {
          publish_answered(pending);
          co_return false;
        }
        pending.read_date();  // the slow path may have taken a while
      }
      const bool keep_alive = pending.written.keep_alive;
      pending.producer = {};
      c.request_started_ = false;
      if (!keep_alive) end = ending::close;
    }

    // 2. One flush for the whole batch.
    publish_answered(pending);
    if (!out.empty()) {
      auto f = co_await flush_future{&stream, &out, settings_.write_timeout};
      if (!f) {
        bump(f.error() == eddy::errc::timed_out ? stats_.write_timeouts : stats_.io_errors);
        co_return false;
      }
    }
    if (end != ending::none) break;
    // Idle between requests: the connection waits for input without this frame,
    // or closes now if the server is stopping.
    if (codec.idle()) co_return !stopping_.load(std::memory_order_acquire);

    // 3. The rest of a started request, bounded by its deadline.
    if (!c.request_started_) {
      c.request_started_ = true;
      c.request_deadline_ = timer::deadline_from(timer::recent_now(), settings_.header_timeout);
    }
    const auto r = co_await read_future{
        this, c.guard_.slot, &stream, &codec, &c.deadline_timer_, c.request_deadline_, false};
    switch (r.kind) {
      case read_kind::data:
        if (r.n == 0) {
          codec.finish();
          c.peer_finished_ = true;
        } else {
          codec.commit(r.n);
        }
        break;
      case read_kind::error:
        bump(stats_.io_errors);
        co_return false;
      case read_kind::stopped:  // only while idle
        co_return false;
      case read_kind::timed_out:
        bump(stats_.header_timeouts);
        write_error(out, status::request_timeout, thread_date().now());
        end = ending::timeout;
        break;
    }
    // A 408 goes out through step 2's flush, then the loop ends.
  }

  // Lingering (half-close, then drain) keeps a client's unread request bytes
  // from turning our close into a reset that could destroy the response. Once
  // the peer's end of stream has been read there are none: close at once, which
  // saves a shutdown() and a read() per connection the client ended.
  if (!c.peer_finished_) co_await linger(stream, c.guard_.slot, codec, c.deadline_timer_);
  co_return false;
}

}  // namespace eddy::net::http
