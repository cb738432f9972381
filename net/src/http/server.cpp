// server.cpp: the accept loop, graceful shutdown and the connection bookkeeping
// (server_detail.hpp). One connection's protocol loop is in server_connection.cpp.
#include <eddy/net/http/server.hpp>

#include <optional>
#include <system_error>

#include <eddy/executor.hpp>
#include <eddy/timer/timeout.hpp>

#include "net/src/http/server_detail.hpp"

namespace eddy::net::http {

/// The next accepted connection, or nullopt once shutdown() was called.
struct server::accept_future {
  server* srv;
  tcp_listener* listener;

  polled<std::optional<result<tcp_stream>>> poll(context& cx) {
    if (srv->stop_requested_.load(std::memory_order_acquire)) return std::nullopt;
    auto p = listener->poll_accept(cx);
    if (p.is_ready()) return std::optional<result<tcp_stream>>(std::move(p).value());
    // Checked again under the lock that shutdown() takes to read the waker, so a
    // shutdown between the check above and storing the waker still wakes us.
    std::lock_guard lock(srv->stop_mu_);
    if (srv->stop_requested_.load(std::memory_order_relaxed)) return std::nullopt;
    if (!srv->accept_waker_.will_wake(cx.waker())) srv->accept_waker_ = cx.waker();
    return pending;
  }
};

/// Ready once no connection task is left.
struct server::drained_future {
  server* srv;

  polled<void> poll(context& cx) {
    if (!srv->live_) return ready();
    if (!srv->drained_waker_.will_wake(cx.waker())) srv->drained_waker_ = cx.waker();
    return pending;
  }
};

server::connection_guard::~connection_guard() {
  if (!slot) return;
  slot->reader.reset();
  if (!slot->owner) {  // invariant 3
    delete slot;
    return;
  }
  --srv->stats_.connections_open;
  detail::unlink(srv->live_, slot);
  detail::link_front(srv->finished_, slot);  // invariant 2
  if (!srv->live_ && srv->drained_waker_) std::move(srv->drained_waker_).wake();
}

server::server(http::router r, server_settings settings)
    : router_(std::move(r)), settings_(settings) {}

server::~server() {
  while (live_) {  // invariant 3: only when the runtime dropped serve() mid-way
    detail::connection_slot* s = live_;
    detail::unlink(live_, s);
    s->owner = nullptr;
    s->handle.abort();
    s->handle.detach();
  }
  reap();
}

void server::shutdown() noexcept {
  waker w;
  {
    std::lock_guard lock(stop_mu_);
    stop_requested_.store(true, std::memory_order_release);
    w = std::move(accept_waker_);
  }
  std::move(w).wake();
}

void server::reap() noexcept {
  while (finished_) {
    detail::connection_slot* s = finished_;
    detail::unlink(finished_, s);
    delete s;  // drops the join handle of a task that is gone
  }
}

void server::count_error(http::status s) noexcept {
  ++stats_.protocol_errors;
  switch (s) {
    case status::bad_request:
      ++stats_.errors_400;
      break;
    case status::content_too_large:
      ++stats_.errors_413;
      break;
    case status::uri_too_long:
      ++stats_.errors_414;
      break;
    case status::request_header_fields_too_large:
      ++stats_.errors_431;
      break;
    default:
      ++stats_.errors_other;
      break;
  }
}

task<void> server::serve(tcp_listener& listener) {
  for (;;) {
    reap();
    auto accepted = co_await accept_future{this, &listener};
    if (!accepted) break;  // shutdown()
    if (!*accepted) {
      // Out of descriptors is handled inside accept (it backs off); what comes
      // back here is a dead listener, or a connection that died in the queue.
      ++stats_.accept_errors;
      const std::error_code ec = accepted->error();
      if (ec == std::errc::bad_file_descriptor || ec == std::errc::invalid_argument ||
          ec == std::errc::not_a_socket || !listener.is_open())
        break;
      continue;
    }
    ++stats_.connections_accepted;
    ++stats_.connections_open;
    auto* slot = new detail::connection_slot;
    slot->owner = this;
    detail::link_front(live_, slot);  // invariant 1
    slot->handle = eddy::spawn(run_connection(std::move(**accepted), connection_guard(this, slot)));
  }

  {
    std::lock_guard lock(stop_mu_);
    accept_waker_.reset();
  }
  listener.close();
  stopping_ = true;
  // Idle connections close now; the others see stopping_ after their request.
  for (auto* s = live_; s; s = s->next) {
    if (s->idle_wait) s->reader.wake_by_ref();
  }
  if (live_) {
    auto drained = co_await timeout(settings_.shutdown_timeout, drained_future{this});
    if (!drained) {
      for (auto *s = live_, *next = s; s; s = next) {
        next = s->next;
        ++stats_.cancelled_at_shutdown;
        s->handle.abort();
      }
      co_await drained_future{this};
    }
  }
  drained_waker_.reset();
  reap();
}

}  // namespace eddy::net::http
