// server.cpp: the accept loop, graceful shutdown and the connection bookkeeping
// (server_detail.hpp). One connection's protocol loop is in server_connection.cpp.
#include <eddy/net/http/server.hpp>

#include <optional>
#include <system_error>
#include <utility>
#include <vector>

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
    std::lock_guard lock(srv->conns_mu_);  // invariant 4
    if (!srv->live_) return ready();
    if (!srv->drained_waker_.will_wake(cx.waker())) srv->drained_waker_ = cx.waker();
    return pending;
  }
};

server::connection_guard::~connection_guard() {
  if (!slot) return;
  server* owner = slot->owner.load(std::memory_order_acquire);
  if (!owner) {  // invariant 3
    slot->reader.reset();
    delete slot;
    return;
  }
  waker drained;
  {
    std::lock_guard lock(owner->conns_mu_);
    slot->reader.reset();  // invariant 4
    detail::unlink(owner->live_, slot);
    detail::link_front(owner->finished_, slot);  // invariant 2
    // Inside the lock: once live_ is empty serve() may return and the server go.
    owner->stats_.connections_open.fetch_sub(1, std::memory_order_relaxed);
    if (!owner->live_) drained = std::move(owner->drained_waker_);
  }
  std::move(drained).wake();
}

server_stats detail::server_counters::snapshot() const noexcept {
  auto get = [](const counter& c) { return c.load(std::memory_order_relaxed); };
  server_stats s;
  s.connections_accepted = get(connections_accepted);
  s.connections_open = get(connections_open);
  s.accept_errors = get(accept_errors);
  s.requests = get(requests);
  s.protocol_errors = get(protocol_errors);
  s.errors_400 = get(errors_400);
  s.errors_413 = get(errors_413);
  s.errors_414 = get(errors_414);
  s.errors_431 = get(errors_431);
  s.errors_other = get(errors_other);
  s.header_timeouts = get(header_timeouts);
  s.idle_timeouts = get(idle_timeouts);
  s.write_timeouts = get(write_timeouts);
  s.io_errors = get(io_errors);
  s.handler_errors = get(handler_errors);
  s.cancelled_at_shutdown = get(cancelled_at_shutdown);
  s.stream_buffer_peak = get(stream_buffer_peak);
  return s;
}

server::server(http::router r, server_settings settings)
    : router_(std::move(r)), settings_(settings) {}

server::~server() {
  {
    std::lock_guard lock(conns_mu_);
    while (live_) {  // invariant 3: only when the runtime dropped serve() mid-way
      detail::connection_slot* s = live_;
      detail::unlink(live_, s);
      s->owner.store(nullptr, std::memory_order_release);
      s->handle.abort();
      s->handle.detach();
    }
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
  detail::connection_slot* done;
  {
    std::lock_guard lock(conns_mu_);
    done = std::exchange(finished_, nullptr);
  }
  while (done) {
    detail::connection_slot* s = std::exchange(done, done->next);
    delete s;  // drops the join handle of a task that is gone
  }
}

void server::count_error(http::status s) noexcept {
  using C = detail::server_counters;
  C::bump(stats_.protocol_errors);
  switch (s) {
    case status::bad_request:
      C::bump(stats_.errors_400);
      break;
    case status::content_too_large:
      C::bump(stats_.errors_413);
      break;
    case status::uri_too_long:
      C::bump(stats_.errors_414);
      break;
    case status::request_header_fields_too_large:
      C::bump(stats_.errors_431);
      break;
    default:
      C::bump(stats_.errors_other);
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
      detail::server_counters::bump(stats_.accept_errors);
      const std::error_code ec = accepted->error();
      if (ec == std::errc::bad_file_descriptor || ec == std::errc::invalid_argument ||
          ec == std::errc::not_a_socket || !listener.is_open())
        break;
      continue;
    }
    detail::server_counters::bump(stats_.connections_accepted);
    stats_.connections_open.fetch_add(1, std::memory_order_relaxed);
    auto* slot = new detail::connection_slot;
    slot->owner.store(this, std::memory_order_relaxed);
    {
      std::lock_guard lock(conns_mu_);
      detail::link_front(live_, slot);  // invariant 1
    }
    // The task may run (and end) on another worker before the handle is stored:
    // its guard then only relinks the slot, which stays until reap() (invariant 2).
    slot->handle = eddy::spawn(connection(std::move(**accepted), connection_guard(this, slot)));
  }

  {
    std::lock_guard lock(stop_mu_);
    accept_waker_.reset();
  }
  listener.close();
  // Idle connections close now; the others see stopping_ after their request
  // (invariant 5). Woken after unlocking: a wake may run code that takes the lock.
  stopping_.store(true, std::memory_order_release);
  wake_readers();
  auto drained = co_await timeout(settings_.shutdown_timeout, drained_future{this});
  if (!drained) {
    // Aborted outside the lock: aborting a task that is not running destroys it
    // here, and its guard takes the lock. The slots stay until reap() (invariant 2).
    std::vector<detail::connection_slot*> left;
    {
      std::lock_guard lock(conns_mu_);
      for (auto* s = live_; s; s = s->next) left.push_back(s);
    }
    for (auto* s : left) {
      detail::server_counters::bump(stats_.cancelled_at_shutdown);
      s->handle.abort();
    }
    co_await drained_future{this};
  }
  {
    std::lock_guard lock(conns_mu_);
    drained_waker_.reset();
  }
  reap();
}

void server::wake_readers() {
  std::vector<waker> readers;
  {
    std::lock_guard lock(conns_mu_);
    for (auto* s = live_; s; s = s->next) {
      if (s->reader) readers.push_back(s->reader);
    }
  }
  for (auto& w : readers) std::move(w).wake();
}

}  // namespace eddy::net::http
